//! The one judgement of a (key, value) pair, wherever it was read from (a YAML tree, a
//! template line, a `.env` line, an embedded config file): is there a secret in the value,
//! where, and of what sort. The caller picks the rule id from where the pair was found.

use std::ops::Range;

use super::classify::{KeyClass, ValueClass, key_facts, looks_like_name, value_class};
use super::inner::{connection_password, flag_secrets, tokens};

/// What kind of secret a pair holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum What {
    /// A literal under a secret-named key.
    Literal,
    /// A password inside a connection string.
    Connection,
    /// The literal fallback of a Helm template (`default "pw"`).
    TemplateDefault,
    /// The value of a secret-named flag in an options string.
    Flag,
}

#[derive(Clone, Debug)]
pub struct Judged {
    /// Bytes of the secret within the value.
    pub range: Range<usize>,
    pub what: What,
    /// A weak default (`changeme`): reported as a warning.
    pub weak: bool,
}

/// Key material, judged by its look: 16+ characters of base64/hex with the entropy of random
/// bytes, and no spaces.
fn looks_random(v: &str) -> bool {
    v.len() >= 16
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=_-".contains(&b))
        && v.bytes().any(|b| b.is_ascii_digit())
        && crate::entropy::shannon(v.as_bytes()) >= 3.5
}

/// Judges one pair. `None` when the value holds no secret.
pub fn judge(key: &str, value: &str) -> Option<Judged> {
    if let Some((range, class)) = connection_password(value) {
        return Some(judged(range, What::Connection, &class));
    }
    let key = key_facts(key);
    match key.class {
        KeyClass::Plain if key.options => flags(value),
        KeyClass::Plain if key.other_key && looks_random(value.trim()) => literal(value),
        KeyClass::Plain | KeyClass::Connection => None,
        KeyClass::Ambiguous if looks_like_name(value.trim()) => None,
        KeyClass::Holder if key.issued && super::classify::is_not_issued_token(value.trim()) => {
            None
        }
        KeyClass::Holder | KeyClass::Ambiguous => literal(value),
    }
}

/// Judges a value known to be a secret if literal (a `Secret`'s `stringData`, a
/// `--from-literal`): only references, placeholders and emptiness are safe.
pub fn judge_secret(value: &str) -> Option<Judged> {
    let trimmed = value.trim();
    let lead = value.len() - value.trim_start().len();
    if let ValueClass::Fallback(range, class) = value_class(value) {
        let what = if value.contains("{{") {
            What::TemplateDefault
        } else {
            What::Literal
        };
        return Some(judged(range, what, &class));
    }
    if trimmed.is_empty()
        || super::classify::is_reference(trimmed)
        || super::classify::is_placeholder(trimmed)
    {
        return None;
    }
    let weak = super::classify::is_weak(trimmed);
    Some(Judged {
        range: lead..lead + trimmed.len(),
        what: What::Literal,
        weak,
    })
}

fn literal(value: &str) -> Option<Judged> {
    let lead = value.len() - value.trim_start().len();
    let trimmed = value.trim();
    match value_class(value) {
        ValueClass::Safe => None,
        ValueClass::Fallback(range, class) => {
            let what = if value.contains("{{") {
                What::TemplateDefault
            } else {
                What::Literal
            };
            Some(judged(range, what, &class))
        }
        class => Some(judged(lead..lead + trimmed.len(), What::Literal, &class)),
    }
}

fn flags(value: &str) -> Option<Judged> {
    let found = flag_secrets(&tokens(&[value]));
    let first = found.into_iter().next()?;
    Some(judged(first.range, What::Flag, &first.class))
}

fn judged(range: Range<usize>, what: What, class: &ValueClass) -> Judged {
    Judged {
        range,
        what,
        weak: matches!(class, ValueClass::Weak),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs() {
        assert!(judge("password", "dev-password-123").is_some_and(|j| !j.weak));
        assert!(judge("password", "changeme").is_some_and(|j| j.weak));
        assert!(judge("passwordKey", "password").is_none());
        assert!(judge("existingSecret", "ai-service-db-credentials").is_none());
        assert!(judge("DB_HOST", "postgresql.svc.cluster.local").is_none());
        let j = judge("DATABASE_URL", "postgresql://app:Xq7vL2pw@db/app").unwrap(); // leakhound:allow
        assert_eq!(j.what, What::Connection);
        assert!(
            judge(
                "DATABASE_URL",
                "postgresql://$(DB_USER):$(DB_PASSWORD)@db/x"
            )
            .is_none()
        );
        let v = "-Xmx1g -Dspring.datasource.password=Xq7vL2pw";
        let j = judge("JAVA_OPTS", v).unwrap();
        assert_eq!(&v[j.range], "Xq7vL2pw");
        assert!(judge("tlsSecret", "my-tls").is_none());
        assert!(judge("tlsSecret", "Xq7vL2pwZ9").is_some());
    }
}
