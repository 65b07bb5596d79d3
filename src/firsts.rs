//! The first items of a set in sorted order, within a budget, and a count of the others. A
//! report lists what hostile input can make by the million (a message for a binary blob in
//! every commit, a submodule at a new path in every commit); past the budget it says how many
//! were not listed. Which items are kept does not depend on the order they come in, so a
//! report is the same from run to run whatever order threads met them in.

use std::collections::BTreeMap;

#[derive(Debug)]
pub struct Firsts<V> {
    /// By key, with the weight each was added with.
    items: BTreeMap<String, (V, usize)>,
    used: usize,
    budget: usize,
    /// The smallest key not kept: from it on, items are counted, not kept.
    cutoff: Option<String>,
    /// Digests of the keys not kept, so that each counts once however often it comes.
    dropped: foldhash::HashSet<u64>,
}

impl<V> Firsts<V> {
    pub fn new(budget: usize) -> Firsts<V> {
        Firsts {
            items: BTreeMap::new(),
            used: 0,
            budget,
            cutoff: None,
            dropped: Default::default(),
        }
    }

    /// Adds `value` under `key`, using `weight` of the budget; a key met before changes
    /// nothing. The items kept are those of the smallest keys whose weights fit the budget.
    pub fn add(&mut self, key: String, value: V, weight: usize) {
        if self.items.contains_key(&key) {
            return;
        }
        if self.cutoff.as_ref().is_some_and(|cutoff| key >= *cutoff) {
            self.dropped.insert(digest(&key));
            return;
        }
        self.used += weight;
        self.items.insert(key, (value, weight));
        while self.used > self.budget {
            let Some((key, (_, weight))) = self.items.pop_last() else {
                break;
            };
            self.used -= weight;
            self.dropped.insert(digest(&key));
            self.cutoff = Some(key);
        }
    }

    /// The keys kept, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.items.keys().map(String::as_str)
    }

    /// The values kept, by key.
    pub fn into_values(self) -> impl Iterator<Item = V> {
        self.items.into_values().map(|(value, _)| value)
    }

    pub fn kept(&self) -> usize {
        self.items.len()
    }

    /// How many distinct keys were counted and not kept.
    pub fn dropped(&self) -> usize {
        self.dropped.len()
    }
}

/// A 64-bit digest of a key, to count distinct keys without keeping them. Fixed, so that the
/// same key always counts once within a run.
fn digest(key: &str) -> u64 {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::with_seed(0x6c65_616b).hash_one(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_keys_that_fit_are_kept_whatever_the_order() {
        let fill = |order: &[u32]| {
            let mut f = Firsts::new(10);
            for &i in order {
                f.add(format!("{i:02}"), i, 3);
            }
            f
        };
        let a = fill(&[9, 1, 5, 3, 7, 1, 9, 2]);
        let b = fill(&[1, 2, 3, 5, 7, 9, 9, 1]);
        for f in [&a, &b] {
            assert_eq!(f.keys().collect::<Vec<_>>(), ["01", "02", "03"]);
            assert_eq!(f.dropped(), 3, "5, 7 and 9, each once");
        }
    }
}
