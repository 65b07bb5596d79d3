//! Archive members as the pipeline reads them: each member is scanned as a file of its own,
//! named `archive!member` (nested archives add a `!` per level), under the engine class its
//! own name in the archive gives it (a chart's `mychart/values.yaml` inside
//! `mychart-1.0.0.tgz` is a values file).
//! Its candidates carry the member's name, so findings, fingerprints and reports can say
//! where in the archive the secret is.

use std::sync::Arc;

use super::{Pipeline, Revision, Stats};
use crate::blob::Skip;
use crate::blob::archive::{self, Budget, Member};
use crate::finding::{Candidate, member_path};

/// Where bytes being read sit: `path` is the name reports use (`charts/app.tgz!app/values.yaml`
/// for a member), `member` the part after the blob's own path, `depth` how many archives
/// hold it, `again` whether it was read before (see [`Pipeline::content`]): counted once;
/// `revision` where a history blob is read, for comparing with an earlier version.
pub(super) struct Place<'a> {
    pub path: &'a str,
    pub member: Option<Arc<str>>,
    pub depth: u32,
    pub again: bool,
    pub revision: Option<&'a Revision>,
}

impl Pipeline<'_> {
    /// Reads an archive's members into `out`, and says whether it was one. The first archive
    /// met starts a budget; nested ones draw on it. A damaged archive keeps what was read
    /// before the damage. Bytes that only start like an archive (a text file that begins
    /// `PK\x03\x04`) are not one: the caller reads them as any file, so magic bytes cannot
    /// hide a secret.
    pub(super) fn unpack(
        &self,
        place: &Place,
        kind: archive::Kind,
        bytes: &[u8],
        budget: Option<&Budget>,
        out: &mut Vec<Candidate>,
    ) -> bool {
        let own;
        let budget = match budget {
            Some(budget) => budget,
            None => {
                own = Budget::new(self.scanner.max_file_size);
                &own
            }
        };
        let mut read = 0u32;
        let result = archive::members(kind, place.path, bytes, budget, &mut |name, member| {
            read += 1;
            let path = member_path(place.path, &name);
            let inner = Place {
                member: Some(match &place.member {
                    Some(outer) => member_path(outer, &name).into(),
                    None => name.as_str().into(),
                }),
                path: &path,
                depth: place.depth + 1,
                revision: None,
                again: place.again,
            };
            match member {
                Member::File(bytes) => {
                    // By the member's own name, not the archive's path: what the engine finds
                    // in an archive then depends on its bytes alone, as the cache that scans
                    // a blob once for every path of its class assumes. Where the archive sits
                    // (a test folder) still counts when each finding is judged.
                    let class = self.scanner.engine.class_of(&name);
                    self.read_content(&inner, &class, &bytes, Some(budget), out);
                }
                // Counted and said the first time the archive was read.
                Member::Skipped(_) if inner.again => {}
                Member::Skipped(Skip::NotRegular) => {
                    Stats::add(&self.stats.not_regular, 1);
                    (self.diag).note_at(
                        &path,
                        "skipped, a link or device in an archive (not content)",
                    );
                }
                // What cannot be read inside an archive (an encrypted or zstd zip member)
                // is like binary: counted there, named with -v, and not an error.
                Member::Skipped(Skip::Unreadable(why)) => {
                    Stats::add(&self.stats.binary, 1);
                    self.diag.note_at(&path, format!("skipped, {why}"));
                }
                Member::Skipped(skip) => self.skip_named(&path, skip),
            }
        });
        if let Err(why) = result {
            if read == 0 {
                if !place.again {
                    (self.diag)
                        .note_at(place.path, format!("read as a file, not an archive: {why}"));
                }
                return false;
            }
            if !place.again {
                (self.diag).note_at(place.path, format!("skipped from here on, {why}"));
            }
        }
        if place.depth == 0 && budget.spent.get() && !place.again {
            Stats::add(&self.stats.too_large, 1);
            self.diag.warning(format!(
                "{}: unpacks to more than {} bytes (16 times --max-file-size); the rest was \
                 not scanned",
                place.path, budget.total
            ));
        }
        true
    }
}
