//! Judgement of names and values, shared by every file shape the analyzer reads: whether a key
//! (or env name, or flag) *holds* a secret or merely *names* one (`existingSecret`,
//! `passwordKey`, `DB_PASSWORD_FILE`), and whether a value is a literal, a weak default, or a
//! reference that is safe to commit (`{{ }}`, `$(VAR)`, `ref+vault://`, `ENC[…]`, `<set-me>`).

use std::ops::Range;

/// What a key's name says about its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyClass {
    /// `password`, `apiKey`, `jwtSecret`: any literal value is a secret.
    Holder,
    /// `secret`, `credentials`, `tlsSecret`: often the *name* of a Kubernetes Secret; a value
    /// shaped like a resource name is safe, anything else is a secret.
    Ambiguous,
    /// `dsn`, `connectionString`: a secret only where a password sits inside.
    Connection,
    /// Everything else, including keys that name a secret (`existingSecret`, `passwordKey`).
    Plain,
}

/// What a value is, judged on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueClass {
    /// Empty, a reference, a template, a placeholder or prose: not a secret.
    Safe,
    /// A well-known default (`changeme`, `admin`): still a literal password, reported lower.
    Weak,
    /// A literal secret.
    Literal,
    /// A reference with a literal fallback (`default "pw"`, `${X:-pw}`): the byte range of the
    /// fallback within the value, and its own class (`Weak` or `Literal`).
    Fallback(Range<usize>, Box<ValueClass>),
}

/// Words after which `secret` means "a secret value" rather than "a Secret's name".
const SECRET_HOLDERS: &[&str] = &[
    "jwt",
    "client",
    "webhook",
    "session",
    "cookie",
    "shared",
    "hmac",
    "signing",
    "encryption",
    "api",
    "oauth",
    "oauth2",
    "oidc",
    "consumer",
    "app",
    "application",
    "master",
    "admin",
    "root",
    "token",
    "bot",
    "django",
    "flask",
    "nextauth",
    "rails",
    "csrf",
    "totp",
    "otp",
    "auth",
    "github",
    "gitlab",
    "slack",
    "stripe",
    "hash",
    "crypto",
    "aes",
    "hook",
];

/// Words after which `key` means "a key value" rather than "the name of a key".
const KEY_HOLDERS: &[&str] = &[
    "api",
    "fernet",
    "set",
    "cookie",
    "token",
    "access",
    "secret",
    "private",
    "auth",
    "master",
    "encryption",
    "signing",
    "license",
    "ssh",
    "hmac",
    "shared",
    "session",
    "crypto",
    "app",
    "client",
    "consumer",
    "account",
    "storage",
    "primary",
    "secondary",
    "sas",
    "subscription",
    "jwt",
    "aes",
    "cipher",
    "decryption",
    "webhook",
    "service",
    "admin",
    "root",
    "write",
    "read",
];

/// Whole words that hold a secret.
const HOLDER_WORDS: &[&str] = &[
    "password",
    "passwords",
    "passwd",
    "passwds",
    "pwd",
    "pwds",
    "pw",
    "bindpw",
    "rootpw",
    "pass",
    "passphrase",
    "passcode",
    "token",
    "tokens",
    "htpasswd",
    "requirepass",
    "masterauth",
    "apikey",
    "secretkey",
    "privatekey",
    "accesskey",
];

/// Joined words split into their parts, so `dbpassword` reads like `db_password`.
const SUFFIXES: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
];

/// Trailing words that do not change what a key holds (`password_value`, `token_b64`).
const MODIFIERS: &[&str] = &[
    "value",
    "plain",
    "plaintext",
    "raw",
    "b64",
    "base64",
    "encoded",
    "literal",
    "old",
    "new",
    "current",
];

/// Trailing words that number a key or name where it applies, not what it holds
/// (`DB_PASSWORD_2`, `apiKeyProd`, `TOKEN_V2`, `adminPasswordStaging`). A number of up to three
/// digits is one too; a longer one is a code (TypeScript's messages are keyed
/// `Unexpected_token_1012`, and translated).
const PLACES: &[&str] = &[
    "prod",
    "production",
    "prd",
    "dev",
    "development",
    "staging",
    "stage",
    "stg",
    "test",
    "testing",
    "qa",
    "uat",
    "local",
    "live",
    "sandbox",
    "primary",
    "secondary",
    "backup",
    "v",
];

/// A key's words without the trailing ones that do not change what it holds ([`MODIFIERS`],
/// [`PLACES`], numbers); the first word always stays.
fn stem(w: &[String]) -> &[String] {
    let mut w = w;
    while w.len() > 1
        && w.last().is_some_and(|l| {
            MODIFIERS.contains(&l.as_str())
                || PLACES.contains(&l.as_str())
                || (l.len() <= 3 && l.bytes().all(|b| b.is_ascii_digit()))
        })
    {
        w = &w[..w.len() - 1];
    }
    w
}

/// Whether a key's words name a token or an API key (see [`KeyFacts::issued`]).
fn names_issued(w: &[String]) -> bool {
    match stem(w) {
        [.., last] if matches!(last.as_str(), "token" | "tokens" | "apikey") => true,
        [.., api, key] => api == "api" && matches!(key.as_str(), "key" | "keys"),
        _ => false,
    }
}

/// Splits a key into lowercase words at `_ - . / space`, case changes and digits. Bytes, not
/// chars: only ASCII letters and digits make words, so a non-ASCII byte is a separator like any
/// other, and the analyzer calls this for every key of every YAML file.
fn words(key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let bytes = key.as_bytes();
    for (i, &c) in bytes.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            flush(&mut cur, &mut out);
            continue;
        }
        let prev = i.checked_sub(1).map(|p| bytes[p]);
        let boundary = match prev {
            Some(p) if c.is_ascii_uppercase() && p.is_ascii_lowercase() => true,
            Some(p) if c.is_ascii_uppercase() && p.is_ascii_uppercase() => {
                bytes.get(i + 1).is_some_and(|n| n.is_ascii_lowercase())
            }
            Some(p) => c.is_ascii_digit() != p.is_ascii_digit(),
            None => false,
        };
        if boundary {
            flush(&mut cur, &mut out);
        }
        cur.push(char::from(c.to_ascii_lowercase()));
    }
    flush(&mut cur, &mut out);
    out
}

fn flush(cur: &mut String, out: &mut Vec<String>) {
    if cur.is_empty() {
        return;
    }
    let word = std::mem::take(cur);
    match SUFFIXES
        .iter()
        .find(|s| word.len() > s.len() && word.ends_with(*s))
    {
        Some(s) => {
            out.push(word[..word.len() - s.len()].to_string());
            split_joined(s, out);
        }
        None => split_joined(&word, out),
    }
}

fn split_joined(word: &str, out: &mut Vec<String>) {
    let (a, b) = match word {
        "apikey" => ("api", "key"),
        "accesskey" => ("access", "key"),
        "secretkey" => ("secret", "key"),
        "privatekey" => ("private", "key"),
        _ => return out.push(word.to_string()),
    };
    out.push(a.into());
    out.push(b.into());
}

/// What a key holds, judged by its words.
pub fn key_class(key: &str) -> KeyClass {
    key_facts(key).class
}

/// What the analyzer reads from a key's name alone: judged once per distinct key. A file
/// repeats its keys (`name`, `image`, `value` in every list item; 5 keys in each of the
/// 20,000 entries of an Ansible `FILES.json`), and splitting a key into words cost a tenth of
/// the analyzer's time when done at every pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyFacts {
    pub class: KeyClass,
    /// The value is a command line (`JAVA_OPTS`, `args`).
    pub options: bool,
    /// See [`other_key_words`].
    pub other_key: bool,
    /// The key names a token or an API key (`token`, `accessToken`, `tokens`, `apiKey`,
    /// `x-api-key`): a value its issuer makes, long and random, never a word or a small number.
    pub issued: bool,
}

impl KeyFacts {
    fn of(key: &str) -> KeyFacts {
        let w = words(key);
        KeyFacts {
            class: class_of_words(&w),
            options: matches!(
                w.last().map(String::as_str),
                Some(
                    "opts"
                        | "options"
                        | "args"
                        | "flags"
                        | "command"
                        | "cmd"
                        | "entrypoint"
                        | "extra"
                )
            ),
            other_key: other_key_words(&w),
            issued: names_issued(&w),
        }
    }
}

/// [`KeyFacts`] of a key, remembered per thread for keys up to [`MAX_REMEMBERED_KEY`] bytes,
/// at most [`MAX_REMEMBERED`] of them (then forgotten all at once): memory stays bounded
/// whatever keys a file invents.
pub fn key_facts(key: &str) -> KeyFacts {
    use std::cell::RefCell;
    thread_local! {
        static KNOWN: RefCell<foldhash::HashMap<Box<str>, KeyFacts>> = RefCell::default();
    }
    if key.len() > MAX_REMEMBERED_KEY {
        return KeyFacts::of(key);
    }
    KNOWN.with(|known| {
        if let Some(&facts) = known.borrow().get(key) {
            return facts;
        }
        let facts = KeyFacts::of(key);
        let mut known = known.borrow_mut();
        if known.len() >= MAX_REMEMBERED {
            known.clear();
        }
        known.insert(key.into(), facts);
        facts
    })
}

const MAX_REMEMBERED_KEY: usize = 64;
const MAX_REMEMBERED: usize = 4096;

/// [`key_class`] of a key already split by [`words`].
fn class_of_words(w: &[String]) -> KeyClass {
    if w.iter()
        .any(|x| matches!(x.as_str(), "existing" | "public" | "publishable" | "hashed"))
    {
        return KeyClass::Plain;
    }
    if is_connection(w) {
        return KeyClass::Connection;
    }
    let w = stem(w);
    let Some(last) = w.last().map(String::as_str) else {
        return KeyClass::Plain;
    };
    let prev = w.len().checked_sub(2).map(|i| w[i].as_str());
    // `passwordSecretKey`: the key *within* a Secret where the password is.
    let names_a_key = last == "key"
        && prev == Some("secret")
        && w[..w.len() - 2]
            .iter()
            .any(|x| HOLDER_WORDS.contains(&x.as_str()));
    if names_a_key {
        return KeyClass::Plain;
    }
    match last {
        _ if HOLDER_WORDS.contains(&last) => KeyClass::Holder,
        "secret" | "secrets" if prev.is_some_and(|p| SECRET_HOLDERS.contains(&p)) => {
            KeyClass::Holder
        }
        "secret" | "secrets" | "credential" | "credentials" | "creds" => KeyClass::Ambiguous,
        "key" | "keys" if prev.is_some_and(|p| KEY_HOLDERS.contains(&p)) => KeyClass::Holder,
        // Rails `secret_key_base`, Erlang/RabbitMQ `erlangCookie`.
        "base" if prev == Some("key") && w.iter().any(|x| x == "secret") => KeyClass::Holder,
        "cookie" if prev.is_some_and(|p| matches!(p, "erlang" | "rabbitmq" | "node")) => {
            KeyClass::Holder
        }
        _ => KeyClass::Plain,
    }
}

/// A key named `…Key` whose prefix does not say what it holds (`replicaKey`, `dataKey`):
/// key material when its value looks random, a key's *name* otherwise. Takes the key split
/// by [`words`].
fn other_key_words(w: &[String]) -> bool {
    matches!(w.last().map(String::as_str), Some("key"))
        && w.len() > 1
        && !w.iter().any(|x| {
            matches!(
                x.as_str(),
                "public" | "name" | "ref" | "id" | "file" | "path"
            )
        })
}

fn is_connection(w: &[String]) -> bool {
    let joined = w.concat();
    matches!(
        w.last().map(String::as_str),
        Some("dsn" | "connstr" | "connectionstring")
    ) || joined.ends_with("connectionstring")
        || joined.ends_with("connstring")
        || joined.ends_with("connectionstrings")
}

/// A value shaped like a Kubernetes resource or file name (`my-app-tls`, `db_password`), which
/// an ambiguous key (`tlsSecret`, `credentials`) names rather than holds.
pub fn looks_like_name(v: &str) -> bool {
    // `myTlsSecret`, `DbCredentials`: a resource named in camel case, letters only.
    let camel = v.len() <= 63
        && v.bytes().all(|b| b.is_ascii_alphabetic())
        && v.bytes().any(|b| b.is_ascii_uppercase())
        && v.bytes().any(|b| b.is_ascii_lowercase());
    if camel && crate::placeholder::names_a_secret(v) {
        return true;
    }
    let ok = !v.is_empty()
        && v.len() <= 253
        && v.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._".contains(&b));
    ok && (v.contains(['-', '.', '_'])
        || ["secret", "tls", "cert", "cred", "auth", "key"]
            .iter()
            .any(|w| v.contains(w)))
}

/// Values whose meaning is "go and get it elsewhere".
const REFERENCE_PREFIXES: &[&str] = &[
    "ref+",
    "vault:",
    "op://",
    "<path:",
    "arn:aws:secretsmanager:",
    "arn:aws:ssm:",
    "arn:aws:kms:",
    "akv://",
    "azurekeyvault://",
    "sm://",
    "gcpsm://",
    "secretmanager://",
    "awssecretsmanager://",
    "ENC[",
    "$ANSIBLE_VAULT",
    "file://",
    "sops://",
    "k8s://",
    "secretref://",
    "bws://",
    "infisical://",
    "doppler://",
    // LiteLLM's config reads `api_key: os.environ/OPENAI_API_KEY` from the environment.
    "os.environ/",
];

/// Defaults that authenticate somewhere: literal passwords, reported as warnings.
const WEAK: &[&str] = &[
    "changeme",
    "change_me",
    "change-me",
    "changeit",
    "change_it",
    "admin",
    "administrator",
    "guest",
    "password",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "secret",
    "root",
    "toor",
    "test",
    "testing",
    "default",
    "letmein",
    "1234",
    "12345",
    "123456",
    "1234567",
    "12345678",
    "123456789",
    "qwerty",
    "pass",
    "postgres",
    "mysql",
    "redis",
    "minio",
    "minioadmin",
    "minio123",
    "rabbitmq",
    "user",
    "demo",
    "welcome",
    "master",
    "mongo",
    "elastic",
    "keycloak",
    "grafana",
    "prom-operator",
    "airflow",
    "superset",
    "jenkins",
    "sonar",
    "bitnami",
    "pulsar",
];

/// Values that are not secrets: YAML's booleans and nulls as strings, and the choices of
/// Ansible's `update_password` option (`always`, `on_create`), which the user, MySQL,
/// PostgreSQL and MongoDB modules of every collection take beside `password`.
const NON_STRINGS: &[&str] = &[
    "always",
    "on_create",
    "true",
    "false",
    "yes",
    "no",
    "on",
    "off",
    "null",
    "~",
    "none",
    "nil",
    "n/a",
    "undefined",
    "-",
    "...",
    "\"\"",
    "''",
];

/// Judges a value as found (already unquoted).
pub fn value_class(value: &str) -> ValueClass {
    let v = value.trim();
    if v.is_empty() || NON_STRINGS.contains(&v.to_ascii_lowercase().as_str()) {
        return ValueClass::Safe;
    }
    if let Some(fallback) = fallback(value) {
        return fallback;
    }
    if is_reference(v)
        || is_placeholder(v)
        || is_label(v)
        || is_file_name(v)
        || crate::placeholder::is_password_hash(v)
        || crate::placeholder::names_a_secret(v)
        || v.contains(char::is_whitespace)
    {
        return ValueClass::Safe;
    }
    if is_weak(v) {
        return ValueClass::Weak;
    }
    ValueClass::Literal
}

/// `$kms_keys:prod`, `$secrets.db`, `$vault[db]`: a variable looked up by a config system.
fn is_variable_lookup(v: &str) -> bool {
    let Some(rest) = v.strip_prefix('$') else {
        return false;
    };
    let name = rest
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    name > 0 && matches!(rest.as_bytes().get(name), Some(b':' | b'.' | b'['))
}

/// `hostvars[host]["db_password"]`, `secrets['db']`, `os.environ["DB_PASS"]`: a lookup by a
/// quoted key in an expression (a Jinja block, a script's dict), not a literal.
fn is_subscript(v: &str) -> bool {
    let name = v
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || b"_.".contains(b))
        .count();
    name > 0
        && v.as_bytes()[0].is_ascii_alphabetic()
        && v[name..].starts_with('[')
        && v.ends_with(']')
        && (v[name..].contains("[\"") || v[name..].contains("['"))
}

/// `private.key`, `tls.crt`, `sa.json`: the file a secret is in, which a chart mounts.
fn is_file_name(v: &str) -> bool {
    const EXTENSIONS: &[&str] = &[
        "key", "pem", "crt", "cer", "der", "p12", "pfx", "jks", "keystore", "json", "txt", "asc",
        "gpg", "pub", "ppk",
    ];
    v.rsplit_once('.').is_some_and(|(stem, ext)| {
        EXTENSIONS.contains(&ext.to_ascii_lowercase().as_str())
            && !stem.is_empty()
            && stem.len() <= 64
            && stem
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    })
}

/// A value under a token or API key that no issuer makes: shorter than 8 characters, or words
/// of letters in one case (`NX`, `FROMMEMBER`, `bearer`, `max_tokens`), as a grammar or a
/// protocol calls its tokens (Redis's command specs hold hundreds: `"token": "WITHSCORES"`;
/// Kafka's number each request type `"apiKey": 25`).
/// Tokens that systems issue are long and mix digits or cases in, and are ASCII: a value with
/// letters of another script (`令牌…`, a translation or a label) is no issued token. A password
/// may be written so (`Пароль123`): only keys that name issued values are judged this way. A
/// well-known weak value (`changeme`) is still judged as one.
pub fn is_not_issued_token(v: &str) -> bool {
    // Letters of one case, words joined by `_` allowed (`max_tokens`, a field named as the
    // value): no digit, no other sign.
    let one_case = |upper: bool| {
        v.bytes()
            .all(|b| b == b'_' || b.is_ascii_alphabetic() && b.is_ascii_uppercase() == upper)
    };
    let word = v.len() <= 32
        && v.bytes().any(|b| b.is_ascii_alphabetic())
        && (one_case(true) || one_case(false));
    let other_script = v.chars().any(|c| c.is_alphabetic() && !c.is_ascii());
    (v.chars().count() < 8 || word || other_script) && !is_weak(v)
}

/// A weak default: one of the well-known values, or one of them followed by digits
/// (`admin123`, `password1`).
pub fn is_weak(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    let stem = lower.trim_end_matches(|c: char| c.is_ascii_digit() || c == '!');
    WEAK.contains(&lower.as_str()) || (!stem.is_empty() && WEAK.contains(&stem))
}

/// A template, variable, vault, SOPS or secret-manager reference, or a path to a mounted file.
pub fn is_reference(v: &str) -> bool {
    v.contains("{{")
        || v.contains("${")
        || v.contains("$(")
        || v.contains("%(")
        || v.contains("#{")
        || v.contains('`')
        || (v.starts_with('$')
            && v[1..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        || is_variable_lookup(v)
        || is_subscript(v)
        || (v.starts_with('%') && v.ends_with('%') && v.len() > 2)
        || REFERENCE_PREFIXES.iter().any(|p| v.starts_with(p))
        || v.contains("/secrets/")
        || v.contains(".vault.azure.net/")
        || (v.starts_with('/') && !v.contains(char::is_whitespace))
        || v.starts_with("./")
        || v.starts_with("~/")
        || crate::placeholder::is_braced_slot(v)
        || crate::placeholder::is_json_pointer(v)
}

/// Values that only say "put the secret here", and public keys that are meant to be seen.
pub fn is_placeholder(v: &str) -> bool {
    let lower = v.to_ascii_lowercase();
    let mut chars = v.chars();
    let first = chars.next();
    // `aaa`, `***`; and a sign alone or doubled (`*`, `**`): a value shown masked
    // (`password: "**"` in a playbook's example) or a wildcard.
    let long = v.chars().count() >= 3 || first.is_some_and(|c| c.is_ascii_punctuation());
    let same = long && chars.all(|c| Some(c) == first);
    same || is_sequence(&lower)
        || v.ends_with("...")
        || v.ends_with('…')
        || ["pk.", "pk_live_", "pk_test_"]
            .iter()
            .any(|p| v.starts_with(p))
        || v.contains('<')
        || v.contains('>')
        || crate::placeholder::has_words(v)
}

/// `abcdefgh`, `12345678`: keyboard runs.
fn is_sequence(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() >= 6 && b.windows(2).all(|w| w[1] == w[0].wrapping_add(1))
}

/// A capitalised word (`Password`, `Passwort`): a form label or translation, not a secret.
fn is_label(v: &str) -> bool {
    let mut chars = v.chars();
    chars.next().is_some_and(char::is_uppercase)
        && v.chars().count() > 1
        && chars.all(|c| c.is_alphabetic() && c.is_lowercase())
}

/// `{{ … | default "pw" }}` and `${VAR:-pw}`: the literal fallback of a reference, if any. A
/// template or variable without one is `Safe`.
fn fallback(value: &str) -> Option<ValueClass> {
    let found = template_default(value).or_else(|| shell_default(value))?;
    let inner = &value[found.clone()];
    Some(match value_class(inner) {
        ValueClass::Safe => ValueClass::Safe,
        class => ValueClass::Fallback(found, Box::new(class)),
    })
}

/// The string literal given to `default` inside `{{ }}`.
fn template_default(value: &str) -> Option<Range<usize>> {
    let open = value.find("{{")?;
    let close = value[open..].find("}}").map_or(value.len(), |c| open + c);
    let inner = &value[open..close];
    let at = inner.find("default ")? + "default ".len();
    let rest = inner[at..].trim_start();
    let start = open + at + (inner[at..].len() - rest.len());
    let quote = rest
        .chars()
        .next()
        .filter(|q| matches!(q, '"' | '\'' | '`'))?;
    let end = rest[1..].find(quote)?;
    Some(start + 1..start + 1 + end)
}

/// The fallback in `${VAR:-pw}`, `${VAR-pw}`, `${VAR:=pw}` (the shell's, compose's) or
/// `${app.db.password:pw}` (Spring's, whose names hold dots and dashes). The shell's
/// `${VAR:?message}` and `${VAR:+other}` hold none.
fn shell_default(value: &str) -> Option<Range<usize>> {
    let open = value.find("${")?;
    let close = open + value[open..].find('}')?;
    let inner = &value[open + 2..close];
    let name_len = inner
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    // Spring: a property name with dots or dashes, then `:` and the default.
    let spring = inner
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || b"_.-".contains(b))
        .count();
    if inner[spring..].starts_with(':') && !inner[spring + 1..].starts_with(['-', '=', '?', '+']) {
        return Some(open + 2 + spring + 1..close);
    }
    let rest = &inner[name_len..];
    // `${mysql-root-password}`: the name of a secret in kebab case (Spring, Bitnami
    // templates), not the variable `mysql` with the default `root-password`.
    let kebab = |t: &str| {
        t.split('-').count() > 1
            && t.split('-').all(|w| {
                !w.is_empty()
                    && w.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
    };
    if rest.starts_with('-') && !rest.starts_with(":-") && kebab(inner) {
        return None;
    }
    let skip = if rest.starts_with(":-") || rest.starts_with(":=") {
        2
    } else if rest.starts_with('-') {
        1
    } else {
        return None;
    };
    let start = open + 2 + name_len + skip;
    Some(start..close)
}

/// Whether a value holds a reference with a literal default (`${DB_PASSWORD:…}`), empty or
/// not: what the default is, the rules and the analyzer judge.
pub fn has_default(value: &str) -> bool {
    shell_default(value).is_some_and(|r| !r.is_empty())
}

/// Keys that, in `kubectl --from-literal` and kustomize literals, plainly are not secrets.
pub fn plainly_not_secret(key: &str) -> bool {
    let w = words(key);
    let last = w.last().map(String::as_str).unwrap_or("");
    class_of_words(&w) == KeyClass::Plain
        && matches!(
            last,
            "user"
                | "username"
                | "login"
                | "host"
                | "hostname"
                | "port"
                | "database"
                | "db"
                | "dbname"
                | "name"
                | "endpoint"
                | "region"
                | "email"
                | "namespace"
                | "url"
                | "uri"
                | "server"
                | "schema"
                | "bucket"
                | "id"
                | "ssl"
                | "sslmode"
                | "mode"
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The analyzer's gate (`may_hold_findings`) parses a file only if it holds one of
    /// `FINDING_WORDS`: every word that makes a key hold a secret here must spell one, or a
    /// word added to these lists would be judged only in files that happen to hold another.
    #[test]
    fn every_holding_word_passes_the_analyzer_gate() {
        // Each word with a word before it that makes it hold a secret.
        let alone = (HOLDER_WORDS.iter().chain(SUFFIXES)).map(|w| ("db", *w));
        let after = [
            ("db", "secret"),
            ("db", "secrets"),
            ("db", "credential"),
            ("db", "credentials"),
            ("db", "creds"),
            ("api", "key"),
            ("api", "keys"),
            ("erlang", "cookie"),
        ];
        for (before, word) in alone.chain(after) {
            assert!(
                (super::super::FINDING_WORDS.iter()).any(|f| word.contains(f)),
                "{word} holds none of the analyzer gate's words"
            );
            assert_ne!(
                class_of_words(&words(&format!("{before}_{word}"))),
                KeyClass::Plain,
                "{before}_{word} holds no secret"
            );
        }
    }

    /// The remembered facts are the facts: asked twice, past the memory's size, and for keys
    /// too long to remember.
    #[test]
    fn remembered_key_facts_are_computed_ones() {
        let long = format!("{}Password", "x".repeat(MAX_REMEMBERED_KEY));
        let keys = [
            "password",
            "JAVA_OPTS",
            "replicaKey",
            "publicKey",
            "name",
            &long,
        ];
        for round in 0..2 {
            for key in keys {
                assert_eq!(key_facts(key), KeyFacts::of(key), "{key} (round {round})");
            }
            for i in 0..MAX_REMEMBERED + 1 {
                key_facts(&format!("k{i}"));
            }
        }
        assert_eq!(key_facts("password").class, KeyClass::Holder);
        assert!(key_facts("JAVA_OPTS").options);
        assert!(key_facts("replicaKey").other_key && !key_facts("publicKey").other_key);
    }

    #[test]
    fn key_words_split_every_style() {
        assert_eq!(
            words("existingSecretPasswordKey"),
            ["existing", "secret", "password", "key"]
        );
        assert_eq!(words("DB_PASSWORD"), ["db", "password"]);
        assert_eq!(words("APIKey"), ["api", "key"]);
        assert_eq!(words("pgpassword"), ["pg", "password"]);
        assert_eq!(words("client-secret"), ["client", "secret"]);
    }

    #[test]
    fn keys_that_hold_secrets() {
        for k in [
            "password",
            "DB_PASSWORD",
            "apiKey",
            "api_key",
            "accessKey",
            "secretKey",
            "privateKey",
            "clientSecret",
            "jwtSecret",
            "JWT_SECRET",
            "token",
            "GITHUB_TOKEN",
            "adminPassword",
            "rootPassword",
            "PGPASSWORD",
            "RABBITMQ_DEFAULT_PASS",
            "AWS_SECRET_ACCESS_KEY",
            "password_value",
            "requirepass",
            "SECRET_KEY",
            "DB_PASSWORD_2",
            "password2",
            "API_KEY_PROD",
            "apiKeyStaging",
            "TOKEN_V2",
            "adminPassword_prod",
            "jwt_secret_dev",
            "SIGNING_KEY_PRIMARY",
            "apiKeySecondary",
        ] {
            assert_eq!(key_class(k), KeyClass::Holder, "{k}");
        }
    }

    #[test]
    fn keys_that_name_secrets() {
        for k in [
            "existingSecret",
            "existingSecretPasswordKey",
            "passwordKey",
            "usernameKey",
            "secretName",
            "secretKeyRef",
            "tlsSecretName",
            "DB_PASSWORD_FILE",
            "PASSWORD_MIN_LENGTH",
            "passwordPolicy",
            "enabled",
            "tokenTTL",
            "caBundle",
            "passwordHash",
            "hashedPassword",
            "hashed_secret",
            "accessKeyId",
            "LOG_LEVEL",
            "DB_HOST",
            "key",
            "name",
            "key_1",
            "token_2fa",
            "Unexpected_token_1012",
            "PASSWORD_2_FILE",
            "existingSecret_prod",
        ] {
            assert_eq!(key_class(k), KeyClass::Plain, "{k}");
        }
        assert_eq!(key_class("extraEnvVarsSecret"), KeyClass::Ambiguous);
        assert_eq!(key_class("credentials"), KeyClass::Ambiguous);
        for holder in [
            "passwords",
            "bindpw",
            "rootpw",
            "pw",
            "fernetKey",
            "replicaSetKey",
            "masterKey",
            "encryptionKey",
            "cookieSecret",
            "erlangCookie",
            "jwtSecret",
            "hmacKey",
            "signingKey",
            "secretKeyBase",
            "secret_key_base",
            "sessionSecret",
            "sharedKey",
        ] {
            assert_eq!(key_class(holder), KeyClass::Holder, "{holder}");
        }
        assert_eq!(key_class("connectionString"), KeyClass::Connection);
        assert_eq!(key_class("SENTRY_DSN"), KeyClass::Connection);
    }

    #[test]
    fn values() {
        for v in [
            "",
            "{{ .Values.pw }}",
            "$(DB_PASSWORD)",
            "${DB_PASSWORD}",
            "ref+vault://a/b#c",
            "vault:secret/data/x#pw",
            "ENC[AES256_GCM,data:abc,type:str]",
            "<set-me>",
            "REPLACE_ME",
            "YOUR_API_KEY",
            "op://vault/item/field",
            "<path:kv/data/x#pw>",
            "/var/run/secrets/db/password",
            "true",
            "Forgot your password?",
            "********",
            "**",
            "*",
            "always",
            "on_create",
            "ssh_pwd",
            "ETCD_ROOT_PASSWORD",
            "&cluster_admin_password",
            r#"hostvars[array]["eseries_proxy_api_password"]"#,
            "secrets['db']",
        ] {
            assert_eq!(value_class(v), ValueClass::Safe, "{v}");
        }
        for v in ["changeme", "admin", "guest", "password", "admin123"] {
            assert_eq!(value_class(v), ValueClass::Weak, "{v}");
        }
        assert_eq!(value_class("dev-password-123"), ValueClass::Literal);
        // Brackets alone are no lookup; a password may hold them.
        for v in ["pw[x]9Q", "a[1]", "[\"x\"]", "p4ss['w']!"] {
            assert_eq!(value_class(v), ValueClass::Literal, "{v}");
        }
        let v = r#"{{ .Values.pw | default "hX9tq2" }}"#;
        let ValueClass::Fallback(r, c) = value_class(v) else {
            panic!()
        };
        assert_eq!((&v[r], *c), ("hX9tq2", ValueClass::Literal));
        let v = "${DB_PASSWORD:-s3cr3tpw}";
        let ValueClass::Fallback(r, _) = value_class(v) else {
            panic!()
        };
        assert_eq!(&v[r], "s3cr3tpw");
        // Spring's default in a placeholder, and the shell's `:=`.
        for (v, default) in [
            ("${DB_PASSWORD:s3cr3tpw}", "s3cr3tpw"),
            ("${app.db-password:s3cr3tpw}", "s3cr3tpw"),
            ("${DB_PASSWORD:=s3cr3tpw}", "s3cr3tpw"),
        ] {
            let ValueClass::Fallback(r, _) = value_class(v) else {
                panic!("{v}")
            };
            assert_eq!(&v[r], default, "{v}");
        }
        for v in [
            "${DB_PASSWORD:?unset}",
            "${DB_PASSWORD:+other}",
            "${DB_PASSWORD:}",
        ] {
            assert_eq!(value_class(v), ValueClass::Safe, "{v}");
            assert!(!has_default(v), "{v}");
        }
        for v in [
            "${DB_PASSWORD:changeme}",
            "${A:-x}",
            "pre-${A:=x}",
            "${DB_URL:jdbc:pg://db}",
        ] {
            assert!(has_default(v), "{v}");
        }
        assert!(!has_default("${DB_PASSWORD}"));
        assert_eq!(
            value_class("{{ required \"pw\" .Values.pw }}"),
            ValueClass::Safe
        );
        assert_eq!(
            value_class("{{ .Values.pw | default (randAlphaNum 16) }}"),
            ValueClass::Safe
        );
    }

    #[test]
    fn names_of_secrets() {
        assert!(looks_like_name("my-app-tls"));
        assert!(looks_like_name("db_password"));
        assert!(!looks_like_name("Zx8vQ2mK7pL4nR9w"));
    }

    /// The places a key may end with are one list here and one alternation in each of the
    /// four generic assignment rules: what the analyzer calls a holder, the rules match too.
    #[test]
    fn generic_rules_accept_every_place_the_analyzer_strips() {
        let engine = crate::engine::Engine::new(
            crate::rules::RuleSet::builtin().expect("built-in rules load"),
        );
        let found = |path: &str, text: &str| -> Vec<String> {
            (engine.scan(path, text.as_bytes()).iter())
                .map(|m| engine.rules().rules[m.rule].id.clone())
                .collect()
        };
        for place in PLACES
            .iter()
            .filter(|p| **p != "v")
            .chain(&["2", "v2", "123"])
        {
            let password = format!("DB_PASSWORD_{}", place.to_uppercase());
            let token = format!("API_TOKEN_{}", place.to_uppercase());
            assert_eq!(key_class(&password), KeyClass::Holder, "{password}");
            assert_eq!(key_class(&token), KeyClass::Holder, "{token}");
            assert_eq!(
                found("app.py", &format!("{password} = \"Hq4!mZ8#rT2w\"\n")),
                ["generic-password"],
                "{password}"
            );
            assert_eq!(
                found(
                    "app.py",
                    &format!("{token} = \"Tn6Wq2Zk9Lm4Xv8Rb3Pc7Hd\"\n")
                ),
                ["generic-secret"],
                "{token}"
            );
            assert_eq!(
                found("app.properties", &format!("{password}=Kv8rT3nQ6wZm\n")),
                ["generic-password-unquoted"],
                "{password}"
            );
            assert_eq!(
                found(
                    "app.properties",
                    &format!("{token}=Wm5Kq8Zt3Rv7Lx2Nb9Pc4Hd\n")
                ),
                ["generic-secret-unquoted"],
                "{token}"
            );
            for key in [&password, &token] {
                assert_eq!(
                    found(
                        "app.js",
                        &format!("const v = process.env.{key} || \"Wm5Kq8Zt3Rv7Lx2N\";\n")
                    ),
                    ["generic-env-fallback"],
                    "{key}"
                );
            }
        }
    }

    #[test]
    fn keys_that_name_issued_values() {
        for key in [
            "token",
            "accessToken",
            "tokens",
            "apiKey",
            "api_key",
            "x-api-key",
            "apikey",
        ] {
            assert!(KeyFacts::of(key).issued, "{key}");
        }
        for key in ["password", "secretKey", "sshKey", "api_key_id", "key"] {
            assert!(!KeyFacts::of(key).issued, "{key}");
        }
        assert!(is_not_issued_token("25"));
        assert!(is_not_issued_token("WITHSCORES"));
        assert!(!is_not_issued_token("changeme"));
        assert!(!is_not_issued_token("Zx8vQ2mK7pL4nR9w"));
        assert!(is_not_issued_token("令牌令牌令牌令牌令牌令牌"));
        assert!(is_not_issued_token("ключ-Zx8vQ2mK7pL4nR9w"));
        assert!(!is_not_issued_token("Zx8vQ2mK7pL4nR9w-€"));
    }
}
