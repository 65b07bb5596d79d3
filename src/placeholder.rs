//! The placeholder model: one vocabulary for "this value only says where a secret goes",
//! shared by every rule and by the Kubernetes analyzer, so that `password: TODO` and
//! `api_key = "your-key-here"` are judged the same way whichever stage looks at them. Short
//! words (`tbd`, `todo`, `xxxx`) occur by chance inside random tokens, so they count only
//! where they stand apart or the value reads as words.

/// Substrings (lowercase) of values that cannot be real secrets.
const PLACEHOLDER_WORDS: &[&str] = &[
    "missing",
    "undefined",
    "replace_with",
    "replace-with",
    "set-me",
    "set_me",
    "setme",
    "fixme",
    "tbd",
    "fill_me",
    "fill-me",
    "fillme",
    "fill_in",
    "fill-in",
    "enter_",
    "enter-",
    "not-real",
    "to_be_set",
    "to-be-set",
    "supply_",
    "provide_",
    "generated_",
    "replaceme",
    "replace_me",
    "replace-me",
    "your_",
    "your-",
    "yourkey",
    "yourtoken",
    "yoursecret",
    "yourpassword",
    "placeholder",
    "xxxx",
    "****",
    "redacted",
    "dummy",
    "example",
    "notreal",
    "not_real",
    "not-a-real",
    "fake",
    "insert_",
    "insert-",
    "put_your",
    "todo",
];

/// Requests to change a default. The generic rules drop them as placeholders; in deployable
/// configuration the Kubernetes analyzer reports them as weak defaults instead, because a
/// chart installed as-is runs with them.
const CHANGE_ME: &[&str] = &["changeme", "change_me", "change-me"];

/// Code that reads a secret from elsewhere instead of holding one.
const REFERENCE_MARKERS: &[&str] = &[
    "os.environ",
    "os.getenv",
    "getenv(",
    "process.env",
    "env::var",
    "environ[",
    "env[",
    "system.getenv",
    "secrets.",
    "vault:",
    "ref+vault",
    "op://",
    "arn:aws:secretsmanager",
];

/// Values published on purpose: the Azure storage emulator's account key (Azurite), the
/// jwt.io sample tokens (the HS256 one's signature; the payload of all of them, `{"sub":
/// "1234567890","name":"John Doe"…`, signed with jwt.io's published keys) and the test-mode
/// key in Stripe's API reference are in every tutorial; no one can be harmed by them. So is
/// the access key id of AWS's own docs, `AKIAIOSFODNN7EXAMPLE`, whose head tests reuse with
/// another last letter (`…EXAMPLF`, to tell two keys apart): a random key id shares those 9
/// characters once in 32⁹. And the keys of MinIO's public playground server, where anyone may
/// store anything and read it back.
const KNOWN_PUBLIC: &[&str] = &[
    "AKIAIOSFODNN7",
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lI",
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
    // MinIO's public playground, play.min.io: in every MinIO SDK's README and examples.
    "Q3AM3UQ867SPQQA43P2F",
    "zuf+tfteSlswRu7BJ86wekitnifILbZam1KYY3TG",
];

/// Prefixes of keys that are public by design: Stripe publishable keys and Mapbox public
/// tokens ship in every web page that uses them.
const PUBLIC_PREFIXES: &[&str] = &["pk_live_", "pk_test_", "pk.eyJ"];

/// Values that name the field instead of filling it: `"password": "Password"`.
const LABELS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
    "clientsecret",
    "accesstoken",
    "authtoken",
    "passwort",
    "kennwort",
    "motdepasse",
    "contrasena",
    "senha",
    "wachtwoord",
    "salasana",
    "haslo",
    "losenord",
    "contraseña",
    "hasło",
    "lösenord",
    "пароль",
    "パスワード",
    "密码",
    "密碼",
    "비밀번호",
];

/// Words that make a kebab-case value the *name* of a secret (`billing-db-credentials`, a
/// Kubernetes Secret or vault path), not its content.
const NAME_WORDS: &[&str] = &["secret", "credential", "token", "key", "password", "auth"];

/// Whether a captured value is a placeholder, template or reference rather than a secret.
pub fn is_placeholder(secret: &str) -> bool {
    let trimmed = secret.trim_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace());
    if trimmed.is_empty() || secret.contains("EXAMPLE") || is_known_public(trimmed) {
        return true;
    }
    if is_template(trimmed)
        || all_same_char(trimmed)
        || is_sequence(trimmed)
        || is_masked(trimmed)
        || is_json_pointer(trimmed)
    {
        return true;
    }
    if is_label(trimmed)
        || is_path(trimmed)
        || is_secret_name(trimmed)
        || names_a_secret(trimmed)
        || is_dotted_name(trimmed)
        || is_password_hash(trimmed)
    {
        return true;
    }
    let lower = trimmed.to_ascii_lowercase();
    has_words(trimmed)
        || CHANGE_ME.iter().any(|w| lower.contains(w))
        || REFERENCE_MARKERS.iter().any(|w| lower.contains(w))
}

/// Whether a value holds a placeholder word (`your-key`, `TODO`, `xxxx`, `tbd`): the
/// vocabulary itself, which the Kubernetes analyzer applies to the values it reads.
///
/// One automaton finds every word's occurrences in one pass (a substring search per word,
/// 60 of them, was a third of the time a file of a thousand secrets took). A word's
/// occurrences are taken as `str::match_indices` gives them, each search starting past the
/// last one found, so a word counts exactly where a search of its own would have counted it.
pub fn has_words(value: &str) -> bool {
    use std::sync::LazyLock;
    static WORDS: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
        aho_corasick::AhoCorasick::new(PLACEHOLDER_WORDS).expect("literal words build")
    });
    let lower = value.to_ascii_lowercase();
    let wordy = std::cell::OnceCell::new();
    let mut next = [0usize; PLACEHOLDER_WORDS.len()];
    for m in WORDS.find_overlapping_iter(&lower) {
        let w = m.pattern().as_usize();
        if m.start() < next[w] {
            continue;
        }
        next[w] = m.end();
        let wordy = || *wordy.get_or_init(|| reads_as_words(value));
        if placeholder_word_at(value, PLACEHOLDER_WORDS[w], m.start(), wordy) {
            return true;
        }
    }
    false
}

/// No digits and one case (`dummypassword`): words rather than a token.
fn reads_as_words(value: &str) -> bool {
    let has = |class: fn(&u8) -> bool| value.as_bytes().iter().any(class);
    let mixed_case = has(u8::is_ascii_lowercase) && has(u8::is_ascii_uppercase);
    !has(u8::is_ascii_digit) && !mixed_case
}

/// Short words (`todo`, `tbd`, `xxxx`) turn up by chance inside random tokens: about one
/// 40-character AWS secret in 3,000 contains `todo` or `fake` in some mix of cases, and a
/// Dynatrace token segment may start with `TBD`. A short word therefore counts only where it
/// stands apart on both sides (`fake-token`, `TODO`), where it is a run of one character
/// after a separator (`sk_live_xxxxxxxx`), or where the value reads as words rather than a
/// token (no digits, one case: `dummypassword`).
/// `wordy` says whether the value [reads as words](reads_as_words); asked only when needed.
fn placeholder_word_at(value: &str, word: &str, i: usize, wordy: impl FnOnce() -> bool) -> bool {
    if word.len() >= 6 {
        return true;
    }
    let run = word.bytes().all(|b| Some(b) == word.bytes().next());
    let bytes = value.as_bytes();
    let apart = |b: Option<&u8>| b.is_none_or(|b| !b.is_ascii_alphanumeric());
    let before = apart(bytes.get(i.wrapping_sub(1)));
    let after = apart(bytes.get(i + word.len()));
    (before && (after || run)) || wordy()
}

/// A password *hash*, which a config holds so that the password itself need not be there:
/// bcrypt (`$2b$12$…`), crypt (`$1$`, `$5$`, `$6$`, `$apr1$`, `$y$`), Argon2, Django's
/// `pbkdf2_sha256$…`, Jupyter's `sha1:salt:hash`, LDAP `{SSHA}…`, and htpasswd lines
/// (`user:$apr1$…`).
pub fn is_password_hash(v: &str) -> bool {
    let v = match v.split_once(':') {
        Some((user, hash)) if !user.is_empty() && hash.starts_with('$') => hash,
        _ => v,
    };
    let crypt = [
        "$2a$", "$2b$", "$2y$", "$1$", "$5$", "$6$", "$apr1$", "$y$", "$argon2",
    ];
    let hex = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_hexdigit());
    crypt.iter().any(|p| v.starts_with(p))
        || [
            "pbkdf2_sha256$",
            "pbkdf2_sha1$",
            "argon2$",
            "bcrypt$",
            "scrypt$",
        ]
        .iter()
        .any(|p| v.starts_with(p))
        || ["{SSHA}", "{SHA}", "{SSHA512}", "{CRYPT}", "{PBKDF2}"]
            .iter()
            .any(|p| v.starts_with(p))
        || matches!(v.split(':').collect::<Vec<_>>()[..],
            [alg, salt, digest] if matches!(alg, "sha1" | "sha256" | "sha512" | "argon2") && hex(salt) && hex(digest) && digest.len() >= 32)
}

/// Words that make an identifier the *name* of a secret.
const SECRET_WORDS: &[&str] = &[
    "secret",
    "token",
    "password",
    "passwd",
    "key",
    "credential",
    "auth",
    "pass",
    "pwd",
];

/// An identifier that names a secret instead of holding one: an enum label or a field name
/// used as a value (`"CLIENT_HANDSHAKE_TRAFFIC_SECRET"`, `'automountServiceAccountToken'`,
/// `ETCD_ROOT_PASSWORD`, `adminPassword`). Letters only, in SCREAMING_SNAKE_CASE or camelCase
/// with at least two words, one of them a secret word. Real passwords have digits or symbols,
/// or are not shaped like identifiers. One sigil before it refers to the name too: a YAML
/// anchor or alias (`&cluster_admin_password`), a C address or dereference.
pub fn names_a_secret(v: &str) -> bool {
    let v = v.strip_prefix(['&', '*']).unwrap_or(v);
    let ident = v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !ident || v.len() < 6 || !v.as_bytes()[0].is_ascii_alphabetic() {
        return false;
    }
    let digits = v.bytes().any(|b| b.is_ascii_digit());
    let words: Vec<String> = if v.contains('_') {
        if v.bytes().any(|b| b.is_ascii_lowercase()) && v.bytes().any(|b| b.is_ascii_uppercase()) {
            return false;
        }
        // `CLIENT_PASSWORD1`: a numbered name is still a name.
        (v.split('_').filter(|w| !w.is_empty()))
            .map(|w| {
                w.trim_end_matches(|c: char| c.is_ascii_digit())
                    .to_ascii_lowercase()
            })
            .collect()
    } else {
        camel_words(v)
    };
    // With digits (`V1ServiceAccountToken`), only a longer name is surely one.
    let snake_numbered = v.contains('_')
        && v.split('_').all(|w| {
            w.trim_end_matches(|c: char| c.is_ascii_digit())
                .bytes()
                .all(|b| b.is_ascii_alphabetic())
        });
    let enough = if digits && !snake_numbered { 3 } else { 2 };
    words.len() >= enough && words.iter().any(|w| SECRET_WORDS.contains(&w.as_str()))
}

/// A dotted lower-case name (`.models.v1_secret`, `gen_ai.usage.input_tokens`): a module,
/// a metric or a config key used as a value, not a secret.
pub fn is_dotted_name(v: &str) -> bool {
    let body = v.strip_prefix('.').unwrap_or(v);
    let parts: Vec<&str> = body.split('.').collect();
    let lower = parts.len() >= 2
        && parts.iter().all(|p| {
            p.as_bytes()
                .first()
                .is_some_and(|b| b.is_ascii_lowercase() || *b == b'_')
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        });
    lower || is_message_key(v) || is_object_reference(v)
}

/// `jupyterhub.authenticators.shared:SharedPasswordAuthenticator`: a Python object reference
/// (`module.path:attribute`), as entry points in `pyproject.toml` and `setup.cfg` and many
/// frameworks' settings name a class. The module is a dotted lower-case name, the attribute
/// an identifier; a password with a `.` and a `:` in it is not spelled that way.
fn is_object_reference(v: &str) -> bool {
    v.split_once(':').is_some_and(|(module, attribute)| {
        // A dotted name has two parts or more, so the module holds a `.`.
        !module.starts_with('.')
            && is_dotted_name(module)
            && (attribute.as_bytes().first()).is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
            && (attribute.bytes()).all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
    })
}

/// `adminPanel.cyberArk.fields.apiKey`, `keyword.tag-while`, Monaco's `@brackets.directive`: a
/// translation or theme key in a web bundle. Words of letters (camelCase, `-` inside), each
/// starting lower-case, no digits: a token of that shape would have to be all letters in one
/// long dotted run.
fn is_message_key(v: &str) -> bool {
    let body = v.strip_prefix('@').unwrap_or(v);
    body.contains('.')
        && body.split('.').all(|p| {
            p.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
                && p.len() <= 32
                && p.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-')
        })
}

/// A JSON pointer (`#/components/schemas/ApiKeyAuth`): it names a schema, as OpenAPI does.
pub fn is_json_pointer(v: &str) -> bool {
    v.starts_with("#/")
}

/// `automountServiceAccountToken` → automount, service, account, token. A value with no
/// lower-case letter after an upper-case one is one word.
fn camel_words(v: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    for c in v.chars() {
        if c.is_ascii_uppercase() && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        current.push(c.to_ascii_lowercase());
    }
    words.push(current);
    if words.iter().any(|w| w.len() == 1) {
        return vec![v.to_ascii_lowercase()];
    }
    words
}

fn is_known_public(v: &str) -> bool {
    KNOWN_PUBLIC.iter().any(|k| v.contains(k)) || PUBLIC_PREFIXES.iter().any(|p| v.starts_with(p))
}

/// Letters of any script count, so that `Contraseña` and `パスワード` read as labels too.
fn is_label(v: &str) -> bool {
    let squashed: String = v
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    LABELS.contains(&squashed.as_str())
}

/// `billing-db-credentials`, `platform-jwt-secret`: lower-case words joined by hyphens, one
/// of which says what the named thing holds.
fn is_secret_name(v: &str) -> bool {
    let words: Vec<&str> = v.split('-').collect();
    words.len() >= 3
        && words
            .iter()
            .all(|w| w.len() >= 2 && w.bytes().all(|b| b.is_ascii_lowercase()))
        && words
            .iter()
            .any(|w| NAME_WORDS.iter().any(|n| w.starts_with(n)))
}

/// `/etc/keys/private.pem`, `./certs/tls.key`: where a secret lives, not the secret. Random
/// base64 has upper-case letters, so it does not pass for a path.
fn is_path(v: &str) -> bool {
    let rest = ["/", "./", "../", "~/"]
        .iter()
        .find_map(|p| v.strip_prefix(p));
    rest.is_some_and(|r| {
        r.contains('/')
            && r.split('/').all(|seg| {
                !seg.is_empty()
                    && seg.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)
                    })
            })
    })
}

/// `${VAR}`, `$(VAR)`, `$VAR`, `{{ .Values.x }}`, `%(name)s`, `<your-key>`, `#{x}`, and a
/// word in parentheses (`PWD=(whatever);`, `(your password)`), as a form or manual writes a
/// blank.
fn is_template(v: &str) -> bool {
    is_format_slot(v)
        || is_bracketed_words(v)
        || v.contains("${")
        || v.contains("$(")
        || v.contains("{{")
        || v.contains("%(")
        || v.contains("#{")
        || (v.starts_with('<') && v.ends_with('>'))
        || (v.starts_with('$')
            && v[1..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'))
}

/// `(whatever)`, `(your password)`: letters, spaces, `_` and `-` in parentheses.
fn is_bracketed_words(v: &str) -> bool {
    let inner = v.strip_prefix('(').and_then(|v| v.strip_suffix(')'));
    inner.is_some_and(|w| {
        w.bytes().any(|b| b.is_ascii_alphabetic())
            && (w.bytes()).all(|b| b.is_ascii_alphabetic() || matches!(b, b' ' | b'_' | b'-'))
    })
}

/// Logins that products ship as their documented demo account, as (user, password): Oracle's
/// `scott`/`tiger`, in SQLAlchemy's and many drivers' docs and test settings.
const DEMO_LOGINS: &[(&str, &str)] = &[("scott", "tiger")];

/// Whether the text just before a secret shows it is not one, which the secret alone cannot:
/// - a demo login in a URL's user info (`postgresql://scott:tiger@localhost/test`);
/// - a value that spells the name it is assigned to, an enum or error code
///   (`INVALID_PASSWORD: 'invalid-password'`, `TokenExpired = "token_expired"`);
/// - a pagination cursor (`"next_page_token": "eyJpbmRleCI6IDExfQ=="`);
/// - a digest of a secret (`"hashed_secret": "d70eab08…"`, detect-secrets' baseline);
/// - a name that says the value stands in for a secret (`PLACEHOLDER_TOKEN`, `dummyPassword`).
///
/// `before` is the blob up to the secret's first byte; only the end of its last line is read.
pub fn is_named_by_context(before: &[u8], secret: &str) -> bool {
    // At most 256 bytes back: a hostile one-line blob with many matches stays linear.
    let tail = &before[before.len().saturating_sub(256)..];
    let line = memchr::memrchr(b'\n', tail).map_or(tail, |i| &tail[i + 1..]);
    if is_demo_login(line, secret) {
        return true;
    }
    assigned_name(line).is_some_and(|name| {
        // A field of an object counts by its own name (`req.pageToken`, `user.hashedPassword`).
        let field = squash(name.rsplit(|&b| b == b'.').next().unwrap_or(name));
        spells_its_name(name, secret)
            || names_a_cursor(&field)
            || names_a_digest(&field)
            || names_a_stand_in(name)
    })
}

fn is_demo_login(line: &[u8], secret: &str) -> bool {
    let Some(user_info) = line.strip_suffix(b":") else {
        return false;
    };
    DEMO_LOGINS.iter().any(|(user, password)| {
        secret.eq_ignore_ascii_case(password)
            && user_info.len() >= user.len()
            && user_info[user_info.len() - user.len()..].eq_ignore_ascii_case(user.as_bytes())
            && user_info
                .len()
                .checked_sub(user.len() + 1)
                .is_none_or(|i| matches!(user_info[i], b'/' | b'@' | b' ' | b'"' | b'\''))
    })
}

/// The name a value is assigned to ([`assigned_name`]), compared with the value as letters and
/// digits only, case ignored. At least six of them, so that a short
/// name and value meeting by chance (`pw = "pw"`) do not count.
fn spells_its_name(name: &[u8], secret: &str) -> bool {
    let value = squash(secret.as_bytes());
    value.len() >= 6 && value.iter().any(u8::is_ascii_alphabetic) && squash(name) == value
}

/// A name that says its value stands in for a secret: `PLACEHOLDER_TOKEN`, `dummyPassword`,
/// `FAKE_API_KEY`, `example_secret`. Its author wrote it so that no one takes it for one.
/// Only an identifier counts: what ends a URL's user name (`user%40example.com:`) is no name.
fn names_a_stand_in(name: &[u8]) -> bool {
    const STAND_INS: [&[u8]; 4] = [b"placeholder", b"dummy", b"fake", b"example"];
    let identifier = name
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        && name
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
    if !identifier {
        return false;
    }
    let name = squash(name);
    STAND_INS
        .iter()
        .any(|w| name.windows(w.len()).any(|part| part == *w))
}

/// A pagination cursor: `next_page_token`, `pageToken`, `continuation_token`. An API hands it
/// to a client to fetch the next page (often base64 of the position, `{"index": 11}`); it opens
/// nothing. A page token with anything else in its name is not one (`FB_PAGE_TOKEN` is a
/// Facebook Page's access token). `field` is the name's last field, [`squash`]ed.
fn names_a_cursor(field: &[u8]) -> bool {
    const CURSORS: [&[u8]; 5] = [
        b"nextpagetoken",
        b"prevpagetoken",
        b"nexttoken",
        b"continuationtoken",
        b"paginationtoken",
    ];
    field == b"pagetoken" || CURSORS.iter().any(|c| field.ends_with(c))
}

/// A name that says its value is a secret's digest, not the secret: `hashed_secret` (every
/// entry of a detect-secrets `.secrets.baseline`), `hashedPassword`, `HASHED_TOKEN`. A hash
/// opens nothing, and its hex looks random, so only the name can tell. A name that merely
/// holds the word (`hash_secret`, the key a hash is made with) is still a secret's. `field` as
/// for [`names_a_cursor`].
fn names_a_digest(field: &[u8]) -> bool {
    field.starts_with(b"hashed")
}

/// Letters and digits only, in lower case.
/// The string types a declaration may name between a variable and its `=`: TypeScript, Go,
/// Kotlin, Swift, Scala, Rust and Python's annotations, as the generic assignment rules accept
/// them (`rules/generic.toml`).
const STRING_TYPES: [&[u8]; 8] = [
    b"&'static str",
    b"&str",
    b"string?",
    b"string",
    b"str",
    b"final[str]",
    b"classvar[str]",
    b"optional[str]",
];

fn squash(b: &[u8]) -> Vec<u8> {
    (b.iter())
        .filter(|b| b.is_ascii_alphanumeric())
        .map(u8::to_ascii_lowercase)
        .collect()
}

/// The name at the end of `line`, which a value follows (`NAME = '`, `"name": "`, `name: `,
/// `NAME=`): back over the value's opening quote, the assignment sign, a string type declared
/// before `=` (`API_KEY: &str = "`, `apiKey: string = '`, `var dbPassword string = "`) and the
/// name's closing quote.
fn assigned_name(line: &[u8]) -> Option<&[u8]> {
    let mut end = line.len();
    let skip = |end: &mut usize, set: &[u8]| {
        while *end > 0 && set.contains(&line[*end - 1]) {
            *end -= 1;
        }
    };
    skip(&mut end, b"\"'` \t");
    let sign = end;
    skip(&mut end, b":=>");
    if end == sign {
        return None;
    }
    skip(&mut end, b" \t");
    if line[end..sign].ends_with(b"=")
        && let Some(typed) = STRING_TYPES.iter().find(|t| {
            line[..end].len() >= t.len()
                && line[end - t.len()..end].eq_ignore_ascii_case(t)
                && line[..end - t.len()]
                    .last()
                    .is_some_and(|b| matches!(b, b' ' | b'\t' | b':'))
        })
    {
        end -= typed.len();
        skip(&mut end, b" \t");
        let colon = end;
        skip(&mut end, b":");
        // Go writes the type after a space, the others after a colon.
        if colon - end > 1 {
            return None;
        }
    }
    skip(&mut end, b"\"'` \t");
    let start = line[..end]
        .iter()
        .rposition(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')))
        .map_or(0, |i| i + 1);
    Some(&line[start..end])
}

/// `{}`, `{0}`, `{password}`, `{db.pass}` (format strings) and `%s`, `%v` (printf): the value
/// is filled in at runtime, as in `f"postgres://app:{pw}@db/app"`.
fn is_format_slot(v: &str) -> bool {
    is_braced_slot(v) || matches!(v, "%s" | "%v" | "%d" | "%q" | "?")
}

/// `{}`, `{0}`, `{api_key}`, `{db.pass}`: the braced slot of a format string, also what the
/// Kubernetes analyzer reads as a reference (a provider's header template).
pub fn is_braced_slot(v: &str) -> bool {
    v.len() >= 2
        && v.starts_with('{')
        && v.ends_with('}')
        && v[1..v.len() - 1]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '!' | '[' | ']'))
}

/// `XXXXXXXX…`, `********`: eight or more masking characters in a row, as in a key pasted
/// with its body replaced. Random text has no such run (and `A` runs, common in DER, do not
/// count).
fn is_masked(v: &str) -> bool {
    let mut run = 0;
    let mut last = 0u8;
    for b in v.bytes() {
        run = if b == last { run + 1 } else { 1 };
        last = b;
        if run >= 8 && matches!(b, b'x' | b'X' | b'*' | b'#') {
            return true;
        }
    }
    false
}

fn all_same_char(v: &str) -> bool {
    let mut chars = v.chars();
    let first = chars.next();
    v.len() >= 3 && chars.all(|c| Some(c) == first)
}

/// `12345678`, `abcdefgh`, `0123456789abcdef`: keyboard-run values. Also a value mostly made of
/// such runs behind a format's prefix (`AKIAABCDEFGHIJKLMNOP`, `sk-9876543210abcdef`): runs of
/// at least 4 letters or digits, up or down, cover three quarters of its letters and digits,
/// which a random key's do once in billions.
fn is_sequence(v: &str) -> bool {
    let b = v.as_bytes();
    if b.len() >= 6
        && b.windows(2)
            .all(|w| w[1] == w[0].wrapping_add(1) || (w[0] == b'9' && w[1] == b'a'))
    {
        return true;
    }
    let alnum: Vec<u8> = b
        .iter()
        .copied()
        .filter(u8::is_ascii_alphanumeric)
        .collect();
    if alnum.len() < 12 {
        return false;
    }
    let mut covered = 0;
    let mut run = 1;
    let mut step = 0i16;
    for (i, w) in alnum.windows(2).enumerate() {
        let d = i16::from(w[1]) - i16::from(w[0]);
        if (d == 1 || d == -1) && (run == 1 || d == step) {
            run += 1;
            step = d;
        } else {
            covered += if run >= 4 { run } else { 0 };
            run = 1;
            // A run can turn: `…3210` then `abc…` starts afresh at `a`.
            step = 0;
        }
        if i + 2 == alnum.len() && run >= 4 {
            covered += run;
        }
    }
    covered * 4 >= alnum.len() * 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_recognised() {
        for v in [
            "changeme",
            "<your-api-key>",
            "${DB_PASSWORD}",
            "$(DB_PASSWORD)",
            "{{ .Values.pw }}",
            "xxxxxxxxxxxx",
            "AKIAIOSFODNN7EXAMPLE",
            "os.environ['X']",
            "12345678",
            "AKIAABCDEFGHIJKLMNOP",
            "sk-9876543210abcdef",
            "$SECRET",
            "YOUR_API_KEY",
            "{}",
            "{0}",
            "{password}",
            "%s",
            "********",
            "Password",
            "Passwort",
            "Contraseña",
            "パスワード",
            "Пароль",
            "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
            "billing-db-credentials",
            "/etc/keys/private.pem",
            "pk_live_hGAkWvj7FAc9QeWJKY40uvSw",
            "AKIAIOSFODNN7EXAMPLF", // leakhound:allow
        ] {
            assert!(is_placeholder(v), "{v} should be a placeholder");
        }
    }

    /// Regression: random tokens that happen to contain a short placeholder word were
    /// dropped (one CI run lost an AWS key id `AKIA…FAKE…`).
    #[test]
    fn short_words_inside_random_tokens_do_not_make_placeholders() {
        for v in [
            "AKIA5FAKESZWQBVVGF3Q", // leakhound:allow
            "UimlIYAaHPt9qtOdowHnBXKxd",
            "AAbBDadWkRVyYCF7oYUlz+4r1XXxXL0+JmVDxKeL", // leakhound:allow
        ] {
            assert!(!is_placeholder(v), "{v} is a token, not a placeholder");
        }
        for v in [
            "sk_live_xxxxxxxxxxxxxxxx",
            "fake-token-for-tests",
            "dummypassword",
            "TODO",
        ] {
            assert!(is_placeholder(v), "{v} should be a placeholder");
        }
    }

    #[test]
    fn identifiers_that_name_a_secret_are_not_secrets() {
        for v in [
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
            "automountServiceAccountToken",
            "ETCD_ROOT_PASSWORD",
            "adminPassword",
            "INVALID_PASSWORD",
            "V1ServiceAccountTokenProjection",
            "CLIENT_PASSWORD1",
            "&cluster_admin_password",
            "*DB_ROOT_PASSWORD",
        ] {
            assert!(names_a_secret(v), "{v} names a secret");
        }
        for v in [
            "hunter2",
            "Tr0ub4dor&3",
            "correcthorse",
            "SuperSecret1",
            "PASSWORD",
            "AKIAXYZTOKEN",
            "&hunter2",
            "&&admin_password",
        ] {
            assert!(!names_a_secret(v), "{v} could be a secret");
        }
    }

    #[test]
    fn password_hashes_are_not_passwords() {
        for v in [
            "sha1:1b2c3d4e5f60:9b5d2e8f4c1a7b3e6d0f2a8c4e1b7d3f9a5c2e8b",
            "$2y$10$abcdefghijklmnopqrstuuJ4b0sCzvB6w3xUeQ1kY2mN5oP7rS9tV",
            "admin:$apr1$r31.....$HqJZimcKQFAMYayBlzkrA/",
            "pbkdf2_sha256$260000$salt$hash",
            "{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=",
        ] {
            assert!(is_password_hash(v), "{v}");
        }
        assert!(!is_password_hash("hunter2:hunter2"));
        assert!(!is_password_hash("sha1:notahash"));
    }

    #[test]
    fn dotted_names_are_not_secrets() {
        assert!(is_dotted_name(".models.v1_secret"));
        assert!(is_dotted_name("gen_ai.response.time_to_first_token"));
        assert!(!is_dotted_name("Tr0ub4dor.3x"));
        assert!(!is_dotted_name("hunter2"));
        // Python object references: entry points, settings that name a class.
        assert!(is_placeholder(
            "jupyterhub.authenticators.shared:SharedPasswordAuthenticator"
        ));
        assert!(is_dotted_name("myapp.auth:make_token"));
        assert!(!is_dotted_name("auth:make_token"));
        assert!(!is_dotted_name("my.pass:W0rd!"));
        assert!(!is_dotted_name("Tr0ub.4dor:3x"));
        assert!(!is_dotted_name(".auth:Token"));
    }

    #[test]
    fn real_looking_values_are_not_placeholders() {
        for v in [
            "dev-password-123",
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc", // leakhound:allow
            "hunter2",
            "Tr0ub4dor&3",
            "/K7MDENG/bPxRfiCYzXAMPLEKEYwJalrXUtnFEM",
            "password-1977-Xq",
            "correct-horse-battery-staple",
        ] {
            assert!(!is_placeholder(v), "{v} should not be a placeholder");
        }
    }

    /// The string types are one list here and one alternation in `generic-password` and
    /// `generic-secret`: every type the rules read past, this reads past too.
    #[test]
    fn generic_rules_and_names_agree_on_string_types() {
        let engine =
            crate::engine::Engine::new(crate::rules::RuleSet::builtin().expect("rules load"));
        for ty in STRING_TYPES {
            let ty = std::str::from_utf8(ty).expect("ASCII");
            let found = engine.scan(
                "app.ts",
                format!("const API_TOKEN: {ty} = \"Tn6Wq2Zk9Lm4Xv8Rb3Pc7Hd\";\n").as_bytes(),
            );
            let ids: Vec<&str> = (found.iter())
                .map(|m| engine.rules().rules[m.rule].id.as_str())
                .collect();
            assert_eq!(ids, ["generic-secret"], "{ty}");
            let before = format!("const INVALID_TOKEN: {ty} = \"");
            assert!(
                is_named_by_context(before.as_bytes(), "invalid-token"),
                "{ty}"
            );
        }
    }

    #[test]
    fn context_before_a_value_can_name_it() {
        let named = |before: &str, v: &str| is_named_by_context(before.as_bytes(), v);
        // Demo logins, in a URL's user info only.
        assert!(named("x = \"postgresql+psycopg2://scott:", "tiger"));
        assert!(named("mysql://SCOTT:", "Tiger"));
        assert!(!named("postgresql://scott:", "tiger2"));
        assert!(!named("postgresql://notscott:", "tiger"));
        assert!(!named("postgresql://app:", "tiger"));
        // A value that spells its name.
        assert!(named("  INVALID_PASSWORD: '", "invalid-password"));
        assert!(named("const TokenExpired = \"", "token_expired"));
        assert!(named("\"db_password\": \"", "DB-PASSWORD"));
        assert!(named("ADMIN_PASSWORD=", "admin_password"));
        assert!(!named("ADMIN_PASSWORD = \"", "admin_password1"));
        assert!(!named("password = \"", "hunter2"));
        assert!(!named("pw = \"", "pw"));
        assert!(!named("INVALID_PASSWORD \"", "invalid-password"));
        // Past a string type declared before the `=`.
        assert!(named(
            "pub const X_AMZ_SECURITY_TOKEN: &str = \"",
            "x-amz-security-token"
        ));
        assert!(named("static API_KEY: &'static str = \"", "api-key"));
        assert!(named(
            "  readonly tokenExpired: string = '",
            "token_expired"
        ));
        assert!(named(
            "const INVALID_PASSWORD string = \"",
            "invalid-password"
        ));
        assert!(named("INVALID_TOKEN: Final[str] = \"", "invalid_token"));
        assert!(!named("const API_KEY: &str = \"", "Zq8vLw3rTn5yKd2x"));
        // A name that ends in a type's word is still the whole name.
        assert!(named("const MY_STRING = \"", "my_string"));
        assert!(!named("const MY_STRING = \"", "string"));
        // Only the value's own line counts.
        assert!(!named(
            "INVALID_PASSWORD = \"x\"\nother = \"",
            "invalid-password"
        ));
        // Names that say the value stands in for one.
        assert!(named(
            "const PLACEHOLDER_TOKEN: &str = \"",
            "sf-core-host-backend-session"
        ));
        assert!(named("dummyPassword = '", "Zq8vLw3rTn5y"));
        assert!(named("  \"example_api_key\": \"", "Zq8vLw3rTn5yKd2x"));
        assert!(!named("PROD_API_KEY = \"", "Zq8vLw3rTn5yKd2x"));
        assert!(!named("\"smtps://user%40example.com:", "Zq8vLw3rTn5y"));
        // Pagination cursors.
        assert!(named("  \"next_page_token\": \"", "eyJpbmRleCI6IDExfQ=="));
        assert!(named("req.pageToken = '", "Zq8vLw3rTn5y"));
        assert!(named("continuation_token=", "Zq8vLw3rTn5y"));
        assert!(!named("access_token = \"", "Zq8vLw3rTn5y"));
        assert!(!named("page_token_secret = \"", "Zq8vLw3rTn5y"));
        assert!(!named("FB_PAGE_TOKEN=", "Zq8vLw3rTn5y"));
        // Digests of secrets, named so.
        assert!(named(
            "  \"hashed_secret\": \"",
            "d70eab08607a4d05faa2d0d6647206599e9abc65"
        ));
        assert!(named("user.hashedPassword = '", "Zq8vLw3rTn5y"));
        assert!(!named("HASH_SECRET=", "Zq8vLw3rTn5y"));
        assert!(!named("unhashed_password = \"", "Zq8vLw3rTn5y"));
    }

    #[test]
    fn message_keys_are_names() {
        for v in [
            "adminPanel.cyberArk.fields.apiKey",
            "keyword.tag-while",
            "@brackets.directive",
        ] {
            assert!(is_dotted_name(v), "{v} is a message key");
        }
        for v in [
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
            "Key.value",
            "a.b1",
            "token",
        ] {
            assert!(!is_message_key(v), "{v} is not a message key");
        }
    }

    #[test]
    fn bracketed_words_are_blanks() {
        for v in ["(whatever)", "(your password)", "(set-me)"] {
            assert!(is_placeholder(v), "{v} should be a placeholder");
        }
        for v in ["(Xk9fz2Lq)", "(", "()", "pass(word)"] {
            assert!(!is_bracketed_words(v), "{v} is not a bracketed blank");
        }
    }
}

#[cfg(test)]
mod one_pass {
    use super::*;

    /// The search per word that [`has_words`] replaced.
    fn word_by_word(value: &str) -> bool {
        let lower = value.to_ascii_lowercase();
        PLACEHOLDER_WORDS.iter().any(|word| {
            lower
                .match_indices(word)
                .any(|(i, _)| placeholder_word_at(value, word, i, || reads_as_words(value)))
        })
    }

    #[test]
    fn one_pass_finds_what_a_search_per_word_found() {
        // Pieces of the words, runs, separators, digits and both cases, so that words
        // overlap each other and themselves (`xxxxxx`, `todotodo`, `your_todo`).
        let pieces = [
            "x", "xx", "xxxx", "*", "**", "todo", "TODO", "tbd", "fake", "your", "_", "-", "a",
            "Z", "7", "dummy", "example", "fill", "me", "set", "replace", "to", "do", "ta", "é",
        ];
        let mut rng = fastrand::Rng::with_seed(11);
        let mut differ = Vec::new();
        let mut found = 0;
        for _ in 0..200_000 {
            let value: String = (0..rng.usize(1..8))
                .map(|_| pieces[rng.usize(..pieces.len())])
                .collect();
            let expected = word_by_word(&value);
            found += usize::from(expected);
            if has_words(&value) != expected {
                differ.push(value);
            }
        }
        assert!(differ.is_empty(), "{:?}", &differ[..differ.len().min(10)]);
        assert!(
            found > 20_000 && found < 180_000,
            "{found}: both outcomes are tried"
        );
    }
}
