//! The bytes every match of a regex holds: `;` and `=` for an ADO.NET connection string
//! (`Server=…;…Password=…`), `=` for an Azure account key (`…==`). A rule runs where its
//! keywords occur, and generic keywords (`password`, `storage`, `host`) occur in most
//! configuration; where one of these bytes is missing from the text searched, no match can be
//! there, and a search for one byte costs a fraction of the regex's.
//!
//! Only bytes that are certain count: a literal's bytes outside a letter's case (`(?i)` makes
//! a letter a class of two), a class of one byte, and what a repetition repeats at least once.
//! An alternation holds what all its branches hold.

use regex_syntax::hir::{Class, Hir, HirKind};

use super::window::{ByteSet, syntax_tree};

/// The bytes every match of `source` holds; none if it does not parse.
pub fn required(source: &str) -> Vec<u8> {
    syntax_tree(source).map_or_else(Vec::new, |hir| of(&hir).bytes().collect())
}

fn of(hir: &Hir) -> ByteSet {
    let mut set = ByteSet::default();
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => {}
        HirKind::Literal(lit) => lit.0.iter().for_each(|&b| set.add(b)),
        HirKind::Class(class) => {
            if let Some(b) = only_byte(class) {
                set.add(b);
            }
        }
        HirKind::Repetition(r) if r.min == 0 => {}
        HirKind::Repetition(r) => set = of(&r.sub),
        HirKind::Capture(c) => set = of(&c.sub),
        HirKind::Concat(parts) => set = (parts.iter()).fold(set, |all, p| all.union(of(p))),
        HirKind::Alternation(parts) => {
            let mut branches = parts.iter().map(of);
            if let Some(first) = branches.next() {
                set = branches.fold(first, ByteSet::intersection);
            }
        }
    }
    set
}

/// The byte a class matches, if it matches one only.
fn only_byte(class: &Class) -> Option<u8> {
    match class {
        Class::Bytes(c) => match c.ranges() {
            [r] if r.start() == r.end() => Some(r.start()),
            _ => None,
        },
        Class::Unicode(c) => match c.ranges() {
            [r] if r.start() == r.end() && r.start().is_ascii() => Some(r.start() as u8),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(source: &str) -> String {
        String::from_utf8(required(source)).unwrap()
    }

    #[test]
    fn what_every_match_holds() {
        assert_eq!(bytes(r"(?i)server\s*=\s*[^;]+;\s*password=(\w+)"), ";=");
        assert_eq!(bytes(r"ghp_[A-Za-z0-9]{36}"), "_ghp");
        assert_eq!(bytes(r"(?i)ghp_[a-z]{36}"), "_");
        // A class of one byte, written as a class or escaped.
        assert_eq!(bytes(r"[@]x\.y"), ".@xy");
        // Repeated at least once or not at all.
        assert_eq!(bytes(r"(?:ab)+c(?:d)*(?:e)?(?:f){2}"), "abcf");
        // Branches: what all hold.
        assert_eq!(bytes(r"(?:a=1|b=2|=c)"), "=");
        assert_eq!(bytes(r"(?:a|b)"), "");
        // Look-around holds nothing; a pattern that does not parse needs nothing.
        assert_eq!(bytes(r"\b^$"), "");
        assert_eq!(bytes(r"(unclosed"), "");
    }

    /// Each built-in rule's regex matches its examples, so each example holds the bytes the
    /// rule is said to require; and the rules that tell most apart require some.
    #[test]
    fn the_rules_examples_hold_what_their_rules_require() {
        let rules = crate::rules::RuleSet::builtin().unwrap();
        let mut requiring = 0;
        for rule in &rules.rules {
            let Some(compiled) = rule.regex() else {
                continue;
            };
            requiring += usize::from(!compiled.required.is_empty());
            for example in &rule.examples {
                for &b in &compiled.required {
                    assert!(
                        example.as_bytes().contains(&b),
                        "{} {:?} {example}",
                        rule.id,
                        b as char
                    );
                }
            }
        }
        assert!(requiring > 100, "{requiring}");
    }
}
