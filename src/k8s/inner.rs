//! Secrets inside a value rather than in it: the password of a connection string
//! (`postgresql://app:pw@db`, `Password=pw;`, `user:pw@tcp(db)`) and the value of a
//! secret-named command-line flag (`--requirepass pw`, `-Dspring.datasource.password=pw`).
//! Ranges returned are byte offsets within the value given.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::classify::{KeyClass, ValueClass, is_weak, key_class, looks_like_name, value_class};

static URI: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b[a-z][a-z0-9+.\-]*://[^\s:/@'"]*:([^\s@'"/]+)@[^\s@'"/]"#).unwrap()
});
static GO_DSN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"^[^\s:/@'"]+:([^\s@'"/]+)@(?:tcp|unix)\("#).unwrap());
static KEY_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(?:^|[;?&\s])(?:password|pwd|passwd|accountkey|sharedaccesskey)\s*=\s*([^;&\s'"]+)"#,
    )
    .unwrap()
});

/// The first literal password in a connection string, and its class (`Weak` or `Literal`).
pub fn connection_password(v: &str) -> Option<(Range<usize>, ValueClass)> {
    if !(v.contains('@') || v.contains('=')) {
        return None;
    }
    [&*URI, &*GO_DSN, &*KEY_VALUE]
        .into_iter()
        .flat_map(|re| re.captures_iter(v))
        .filter_map(|c| c.get(1))
        .find_map(|m| judge_inner(m.as_str()).map(|class| (m.range(), class)))
}

fn judge_inner(secret: &str) -> Option<ValueClass> {
    if secret.starts_with(['{', '%', ':', '<']) {
        return None;
    }
    match value_class(secret) {
        ValueClass::Safe | ValueClass::Fallback(..) => None,
        class => Some(class),
    }
}

/// A token of a command line: its text and where it sits in the value it came from.
#[derive(Clone, Debug)]
pub struct Token<'a> {
    pub text: &'a str,
    /// Which item of the command (a sequence element) it came from.
    pub item: usize,
    pub range: Range<usize>,
}

/// Splits command items (`command:` / `args:` elements, or one string) into tokens.
pub fn tokens<'a>(items: &[&'a str]) -> Vec<Token<'a>> {
    let mut out = Vec::new();
    for (item, text) in items.iter().enumerate() {
        let mut start = None;
        for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
            match (c.is_whitespace(), start) {
                (true, Some(s)) => {
                    out.push(Token {
                        text: &text[s..i],
                        item,
                        range: s..i,
                    });
                    start = None;
                }
                (false, None) => start = Some(i),
                _ => {}
            }
        }
    }
    out
}

/// A secret given on a command line: which token, the range within its item, and its class.
#[derive(Clone, Debug)]
pub struct FlagSecret {
    pub item: usize,
    pub range: Range<usize>,
    pub class: ValueClass,
    pub flag: String,
}

/// Every secret-named flag with a literal value among the tokens.
pub fn flag_secrets(tokens: &[Token]) -> Vec<FlagSecret> {
    let mut out = Vec::new();
    for (i, tok) in tokens.iter().enumerate() {
        let Some(flag) = tok.text.strip_prefix('-') else {
            continue;
        };
        let flag = flag.trim_start_matches('-');
        // `-p"$MYSQL_ROOT_PASSWORD"`: a value attached to a short flag, here a variable; the
        // next word (`shutdown`) is not the flag's.
        let name_end = flag.find('=').unwrap_or(flag.len());
        if !flag[..name_end]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
        {
            continue;
        }
        let flag = match flag.strip_prefix('D') {
            Some(prop) if !tok.text.starts_with("--") => prop,
            _ => flag,
        };
        let value = match flag.split_once('=') {
            Some((name, value)) => Some((name, tok.item, tok.range.end - value.len(), value)),
            None => tokens
                .get(i + 1)
                .filter(|n| !n.text.starts_with('-') && n.text != "\\")
                .map(|n| (flag, n.item, n.range.start, n.text)),
        };
        if let Some((name, item, at, text)) = value
            && let Some(found) = judge_flag(name, item, at, text)
        {
            out.push(found);
        }
    }
    out
}

/// Judges the value `text` (starting at `at` in item `item`) of the flag `name`.
fn judge_flag(name: &str, item: usize, at: usize, text: &str) -> Option<FlagSecret> {
    let class = key_class(name);
    if !matches!(class, KeyClass::Holder | KeyClass::Ambiguous) {
        return None;
    }
    let quote = usize::from(text.starts_with(['"', '\'']));
    let value = text[quote..].trim_end_matches(['"', '\'']);
    // `--token=ping`, `--token 0`, `--password \`: a word, a number or a line continuation,
    // not a credential; unless it is a weak default (`--password admin`, `-p 123456`), which
    // the policy reports as a warning wherever it is written.
    if (value.len() < 6 || value.bytes().all(|b| b.is_ascii_digit())) && !is_weak(value) {
        return None;
    }
    if class == KeyClass::Ambiguous && looks_like_name(value) {
        return None;
    }
    match value_class(value) {
        ValueClass::Safe | ValueClass::Fallback(..) => None,
        class => Some(FlagSecret {
            item,
            range: at + quote..at + quote + value.len(),
            class,
            flag: name.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pw(v: &str) -> Option<&str> {
        connection_password(v).map(|(r, _)| &v[r])
    }

    #[test]
    fn connection_strings() {
        assert_eq!(
            pw("postgresql://app:Qm4tZ8wk@db:5432/app"), // leakhound:allow
            Some("Qm4tZ8wk")
        );
        assert_eq!(pw("redis://:Qm4tZ8wk@redis:6379/0"), Some("Qm4tZ8wk")); // leakhound:allow
        assert_eq!(
            pw("Server=db;User Id=sa;Password=Qm4tZ8wk;"), // leakhound:allow
            Some("Qm4tZ8wk")
        );
        assert_eq!(
            pw("jdbc:mysql://db/app?user=a&password=Qm4tZ8wk"), // leakhound:allow
            Some("Qm4tZ8wk")
        );
        assert_eq!(pw("app:Qm4tZ8wk@tcp(db:3306)/app"), Some("Qm4tZ8wk")); // leakhound:allow
        assert_eq!(
            pw("postgresql://$(DB_USER):$(DB_PASSWORD)@$(DB_HOST):5432/db"),
            None
        );
        assert_eq!(pw("https://${USER}:${TOKEN}@github.com/x"), None);
        assert_eq!(pw("https://host:8443/path@v1"), None);
        assert_eq!(pw("postgresql://app@db/app"), None);
    }

    #[test]
    fn flags() {
        let items = ["redis-server --requirepass Qm4tZ8wk --port 6379"];
        let found = flag_secrets(&tokens(&items));
        assert_eq!(found.len(), 1);
        assert_eq!(&items[0][found[0].range.clone()], "Qm4tZ8wk");
        let items = [
            "java",
            "-Dspring.datasource.password=Qm4tZ8wk",
            "-jar",
            "app.jar",
        ];
        let found = flag_secrets(&tokens(&items));
        assert_eq!(
            (found[0].item, &items[1][found[0].range.clone()]),
            (1, "Qm4tZ8wk")
        );
        let items = [
            "--password",
            "$(DB_PASSWORD)",
            "--password-file=/run/secrets/pw",
        ];
        assert!(flag_secrets(&tokens(&items)).is_empty());
    }
}
