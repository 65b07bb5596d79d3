//! One aho-corasick pass over a blob finds which rules' keywords occur; only those rules'
//! regexes run. Most blobs contain none of the keywords, so most rules never run at all.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

use crate::rules::RuleSet;

pub struct Prefilter {
    automaton: Option<AhoCorasick>,
    /// For each keyword pattern, the rules that asked for it.
    rules_of_keyword: Vec<Vec<usize>>,
    /// Rules with no keyword: they run on every blob.
    always: Vec<usize>,
    rule_count: usize,
}

impl Prefilter {
    pub fn new(rules: &RuleSet) -> Prefilter {
        let mut keywords: Vec<String> = Vec::new();
        let mut rules_of_keyword: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        for (i, rule) in rules.rules.iter().enumerate() {
            if rule.keywords.is_empty() {
                always.push(i);
            }
            for kw in &rule.keywords {
                match keywords.iter().position(|k| k == kw) {
                    Some(p) => rules_of_keyword[p].push(i),
                    None => {
                        keywords.push(kw.clone());
                        rules_of_keyword.push(vec![i]);
                    }
                }
            }
        }
        let automaton = (!keywords.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(&keywords)
                .or_else(|_| {
                    AhoCorasick::builder()
                        .ascii_case_insensitive(true)
                        .build(&keywords)
                })
                .expect("keywords are plain literals")
        });
        Prefilter {
            automaton,
            rules_of_keyword,
            always,
            rule_count: rules.rules.len(),
        }
    }

    /// Whether any rule's keyword occurs: decoded text without one is not worth scanning.
    pub fn has_keyword(&self, bytes: &[u8]) -> bool {
        self.automaton.as_ref().is_some_and(|ac| ac.is_match(bytes))
    }

    /// A flag per rule: true where the rule should run on these bytes.
    pub fn candidates(&self, bytes: &[u8]) -> Vec<bool> {
        let mut hit = vec![false; self.rule_count];
        for &i in &self.always {
            hit[i] = true;
        }
        let Some(ac) = &self.automaton else {
            return hit;
        };
        let mut seen = vec![false; self.rules_of_keyword.len()];
        let mut remaining = seen.len();
        for m in ac.find_overlapping_iter(bytes) {
            let p = m.pattern().as_usize();
            if !seen[p] {
                seen[p] = true;
                for &r in &self.rules_of_keyword[p] {
                    hit[r] = true;
                }
                remaining -= 1;
                if remaining == 0 {
                    break;
                }
            }
        }
        hit
    }
}
