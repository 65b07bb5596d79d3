//! The diagnostics channel: every message for the user that is not a finding (an unreadable
//! file, a missing commit, a YAML file read line by line, a skipped submodule) is recorded
//! here by whichever stage meets it, from any thread. Nothing is printed where it happens:
//! the [emitter](crate::emit) prints them all at the end, filtered by `-q`/`-v`, with every
//! secret the scan found masked and control characters escaped, and an error among them
//! makes the exit status 2.

use std::sync::Mutex;

use crate::firsts::Firsts;

/// One message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Diag {
    /// Input that could not be read or walked (a file, a blob, a commit): the scan went on
    /// without it, and the exit status is 2.
    Error { what: String, message: String },
    /// Something the user should know even without `-v` (a config entry that does not apply).
    Warning(String),
    /// Detail shown with `-v` (a stale baseline entry).
    Note(String),
    /// Detail about one input shown with `-v` (a skipped file and why): `what` names it (a
    /// path), masked as names are, so that a word that is also a secret (`testing`) does not
    /// cut the path into pieces.
    NoteAt { what: String, text: String },
    /// A YAML file the analyzer could not parse and read line by line instead. Helm templates
    /// are expected not to parse: they are listed only with `-v`; the others are summed up in
    /// one line unless `-v` lists them.
    Unparsed { template: bool, text: String },
    /// A blob with more encoded text than the decoding budget: counted in the summary, named
    /// with `-v`.
    PartlyDecoded(String),
    /// More messages of a kind than the report keeps: how many were counted and not listed.
    More { kind: Kind, count: u64 },
}

impl Diag {
    /// How many messages this stands for, of which kind.
    pub fn counts(&self) -> (Kind, u64) {
        match self {
            Diag::More { kind, count } => (*kind, *count),
            other => (Kind::of(other), 1),
        }
    }
}

/// The kinds of message, each kept within its own budget, in the order they are listed (that
/// of their `Debug` forms, by which each kind's messages are sorted too).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Error,
    Note,
    PartlyDecoded,
    /// [`Diag::Unparsed`] of a file that is not a Helm template.
    Unparsed,
    /// [`Diag::Unparsed`] of a Helm template.
    UnparsedTemplate,
    Warning,
}

impl Kind {
    const ALL: usize = 6;
    const ORDER: [Kind; Kind::ALL] = [
        Kind::Error,
        Kind::Note,
        Kind::PartlyDecoded,
        Kind::Unparsed,
        Kind::UnparsedTemplate,
        Kind::Warning,
    ];

    fn of(diag: &Diag) -> Kind {
        match diag {
            Diag::Error { .. } => Kind::Error,
            Diag::Warning(_) => Kind::Warning,
            Diag::Note(_) | Diag::NoteAt { .. } => Kind::Note,
            Diag::Unparsed {
                template: false, ..
            } => Kind::Unparsed,
            Diag::Unparsed { template: true, .. } => Kind::UnparsedTemplate,
            Diag::PartlyDecoded(_) => Kind::PartlyDecoded,
            Diag::More { kind, .. } => *kind,
        }
    }
}

/// Text kept per kind of message. Hostile input can make a message per file or per commit (a
/// binary blob in each of a million commits, each with a path of up to 4 kB); past this the
/// messages are counted, and the report says how many were not listed.
pub const KEPT_PER_KIND: usize = 1 << 20;

/// The messages of each kind, the first in sorted order (by their `Debug` form) that fit
/// [`KEPT_PER_KIND`], the others counted.
#[derive(Debug)]
pub struct Diagnostics {
    kinds: Mutex<[Firsts<Diag>; Kind::ALL]>,
}

impl Default for Diagnostics {
    fn default() -> Diagnostics {
        Diagnostics {
            kinds: Mutex::new(Diagnostics::empty()),
        }
    }
}

impl Diagnostics {
    fn empty() -> [Firsts<Diag>; Kind::ALL] {
        std::array::from_fn(|_| Firsts::new(KEPT_PER_KIND))
    }

    pub fn push(&self, diag: Diag) {
        let kind = Kind::of(&diag) as usize;
        let key = format!("{diag:?}");
        // The key and the message's own text.
        let weight = 2 * key.len();
        self.kinds.lock().expect("no panics while holding")[kind].add(key, diag, weight);
    }

    pub fn error(&self, what: impl Into<String>, message: impl Into<String>) {
        self.push(Diag::Error {
            what: what.into(),
            message: message.into(),
        });
    }

    pub fn warning(&self, text: impl Into<String>) {
        self.push(Diag::Warning(text.into()));
    }

    pub fn note(&self, text: impl Into<String>) {
        self.push(Diag::Note(text.into()));
    }

    /// A note about one input, `what` (a path).
    pub fn note_at(&self, what: impl Into<String>, text: impl Into<String>) {
        self.push(Diag::NoteAt {
            what: what.into(),
            text: text.into(),
        });
    }

    /// Every message kept so far, sorted and without repeats, each kind followed by a
    /// [`Diag::More`] when some of its messages were counted and not kept.
    pub fn take(&self) -> Vec<Diag> {
        let kinds = std::mem::replace(
            &mut *self.kinds.lock().expect("no panics while holding"),
            Diagnostics::empty(),
        );
        let mut out = Vec::new();
        for (kind, kept) in Kind::ORDER.into_iter().zip(kinds) {
            let count = kept.dropped() as u64;
            out.extend(kept.into_values());
            if count > 0 {
                out.push(Diag::More { kind, count });
            }
        }
        out
    }

    pub fn has_errors(&self) -> bool {
        let kinds = self.kinds.lock().expect("no panics while holding");
        let errors = &kinds[Kind::Error as usize];
        errors.kept() + errors.dropped() > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notes(order: impl Iterator<Item = usize>) -> Vec<Diag> {
        let diags = Diagnostics::default();
        for i in order {
            // 200 bytes each: 20,000 distinct notes are four times the budget.
            diags.note(format!("{i:05}: skipped, binary {}", "x".repeat(180)));
            diags.warning(format!("w{}", i % 3));
        }
        diags.take()
    }

    #[test]
    fn what_is_kept_is_the_first_in_sorted_order_whatever_the_order_met() {
        let forward = notes((0..20_000).chain(0..20_000));
        let backward = notes((0..20_000).rev());
        assert_eq!(forward, backward);
        let listed = forward
            .iter()
            .filter(|d| matches!(d, Diag::Note(_)))
            .count() as u64;
        let Some(Diag::More { kind, count }) = forward
            .iter()
            .find(|d| matches!(d, Diag::More { .. }))
            .cloned()
        else {
            panic!("no count of the notes not kept")
        };
        assert_eq!(kind, Kind::Note);
        assert_eq!(listed + count, 20_000, "each note once, listed or counted");
        assert!(listed > 1_000 && listed < 5_000, "{listed}");
        // The first notes, sorted, then the count, then the warnings (each once).
        let Diag::Note(first) = &forward[0] else {
            panic!("{:?}", forward[0])
        };
        assert!(first.starts_with("00000: "));
        assert!(matches!(&forward[listed as usize], Diag::More { .. }));
        let warnings: Vec<&Diag> = forward[listed as usize + 1..].iter().collect();
        assert_eq!(
            warnings,
            [
                &Diag::Warning("w0".into()),
                &Diag::Warning("w1".into()),
                &Diag::Warning("w2".into())
            ]
        );
    }

    #[test]
    fn errors_not_kept_still_count_as_errors() {
        let diags = Diagnostics::default();
        diags.error("a".repeat(KEPT_PER_KIND), "unreadable");
        assert!(diags.has_errors());
        let taken = diags.take();
        assert_eq!(
            taken,
            [Diag::More {
                kind: Kind::Error,
                count: 1
            }]
        );
        assert_eq!(crate::emit::Emitter::status(&taken, 0, 1), 2);
    }
}
