//! The engine turns the bytes of one blob into [`Match`]es. It is built once from the rule
//! set and shared by every thread: a keyword prefilter picks the candidate rules, their
//! regexes run, each captured secret must clear the rule's entropy floor, offline check and
//! allowlist, and structural analyzers (Kubernetes/Helm) judge YAML, JSON and `.env` files.
//! Encoded runs (base64, hex, percent) that decode to text are scanned again, depth-limited.

pub mod decode;
mod join;
pub mod prefilter;
mod streams;

use std::cell::OnceCell;
use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use regex_automata::meta::Regex;
use regex_automata::util::captures::Captures;
use regex_automata::{Anchored, Input};

use crate::finding::Severity;
use crate::k8s;
use crate::rules::window::{self, ByteSet, Reach};
use crate::rules::{Analyzer, Compiled, Pattern, Rule, RuleSet, Tier};
use decode::Budget;
use prefilter::{Prefilter, Windows};

/// A blob's image and font data-URI payloads, found when first needed.
type Pictures = OnceCell<Vec<Range<usize>>>;

/// How many encodings deep a secret is looked for: base64 inside base64 is found, a third
/// layer is not (nobody nests deeper by accident, and each layer costs a pass).
const MAX_DECODE_DEPTH: usize = 2;

/// The shortest keyword a rule is anchored on. Shorter ones are common words of code
/// (`key` in every other line of a crypto library): the starts around them cost more than the
/// regex's own search of the whole blob (`azure-storage-account-key` on the C history took
/// 12 times as long anchored on `key`).
const MIN_ANCHOR: usize = 5;

/// Starts the warning for a blob whose encoded runs were not all decoded, so the scan stage
/// can tell it from an analyzer's parse warning.
pub const DECODE_BUDGET_MARK: &str = "decode-budget: ";

/// A candidate secret: which rule, where in the blob (byte offsets of the secret itself), and
/// what the rule or analyzer learned about it.
#[derive(Clone, Debug)]
pub struct Match {
    /// Index into the rule set.
    pub rule: usize,
    pub span: Range<usize>,
    pub secret: String,
    pub key_path: Option<String>,
    pub entropy: Option<f64>,
    /// Overrides the rule's severity (a weak default is a warning, not an error).
    pub severity: Option<Severity>,
}

/// Everything about a path that changes what the engine reports for the same bytes: how the
/// Kubernetes analyzer reads the file, and which path-restricted rules apply. A blob is
/// scanned once per class it appears under, not once per path.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct EngineClass {
    analyzer: Option<k8s::Profile>,
    /// Source code, where split string literals are joined (see `join`).
    code: bool,
    /// Indexes of the path-restricted rules whose `paths` match.
    restricted: Vec<u32>,
}

pub struct Engine {
    rules: RuleSet,
    prefilter: Prefilter,
    kubernetes: bool,
    /// Rules with `paths`: the only ones whose running depends on the path.
    restricted: Vec<usize>,
    /// For each rule, found on first use: another keyword to search near, when the rule's own
    /// do not bound where its matches lie (see [`Engine::anchor`]).
    anchors: Vec<OnceLock<Option<Anchor>>>,
    /// For each rule, whether its keywords are only context (found on the first narrowed
    /// scan; see [`Engine::is_context`]).
    context: OnceLock<Vec<bool>>,
}

/// Which bytes the parts of a blob searched hold, looked for as rules ask: most rules
/// that run need the same few (`=`, `:`, `;`), and one found early costs little.
struct Held<'a> {
    bytes: &'a [u8],
    parts: &'a [Range<usize>],
    asked: ByteSet,
    held: ByteSet,
}

impl<'a> Held<'a> {
    fn new(bytes: &'a [u8], parts: &'a [Range<usize>]) -> Held<'a> {
        Held {
            bytes,
            parts,
            asked: ByteSet::default(),
            held: ByteSet::default(),
        }
    }

    /// Whether a part holds `b`.
    fn has(&mut self, b: u8) -> bool {
        if !self.asked.contains(b) {
            self.asked.add(b);
            let bytes = self.bytes;
            if (self.parts.iter()).any(|p| memchr::memchr(b, &bytes[p.clone()]).is_some()) {
                self.held.add(b);
            }
        }
        self.held.contains(b)
    }
}

/// Told where the analyzer found values, names the parts of a blob to search, or `None` for
/// the whole blob.
pub type Narrow<'a> = dyn Fn(&[Range<usize>]) -> Option<Narrowed> + 'a;

/// How a caller narrows a scan to parts of a blob (see [`Engine::scan_class`]).
pub struct Narrowing<'a> {
    /// Absent where there is nothing to compare with: the blob is scanned whole, for
    /// `keywords`.
    pub narrow: Option<&'a Narrow<'a>>,
    /// Set by the scan: the rules whose keywords are context and occur in the blob (after a
    /// narrowed scan, may occur: those found in the parts, and the `maybe` it was given).
    pub keywords: Vec<usize>,
}

/// Where a narrowed scan searches and what it keeps: matches found in `search` that touch
/// `keep` (the rest of `search` is context the rules read). `maybe` are the rules whose
/// keywords are context and may occur outside `search` (what the earlier version held).
pub struct Narrowed {
    pub search: Vec<Range<usize>>,
    pub keep: Vec<Range<usize>>,
    pub maybe: Vec<usize>,
}

/// A keyword of the prefilter that every match of a rule spells, though the rule does not
/// ask for it (its own keywords are context: `meta` for `fb…secret`, `kubeadm` for a
/// bootstrap token), and how far the matches reach from it.
#[derive(Clone, Debug)]
struct Anchor {
    reach: Reach,
    patterns: Vec<u32>,
}

impl Engine {
    pub fn new(rules: RuleSet) -> Engine {
        let prefilter = Prefilter::new(&rules);
        let kubernetes = rules
            .rules
            .iter()
            .any(|r| matches!(r.pattern, Pattern::Analyzer(Analyzer::Kubernetes)));
        let restricted = (rules.rules.iter().enumerate())
            .filter(|(_, r)| r.paths.is_some())
            .map(|(i, _)| i)
            .collect();
        let anchors = (0..rules.rules.len()).map(|_| OnceLock::new()).collect();
        Engine {
            rules,
            prefilter,
            kubernetes,
            restricted,
            anchors,
            context: OnceLock::new(),
        }
    }

    /// Whether a rule's keywords are only context: its regex does not prove every match
    /// spells one (`discord-bot-token` runs where `discord` occurs, and its matches are bare
    /// tokens). A narrowed scan cannot tell from the parts it searches whether such a rule
    /// should run.
    fn is_context(&self, rule: usize) -> bool {
        // From the pattern, without compiling every rule's regex (most never run).
        let flags = self.context.get_or_init(|| {
            (self.rules.rules.iter())
                .map(|r| match &r.pattern {
                    Pattern::Regex { source, .. } => {
                        !r.keywords.is_empty() && window::reach(source, &r.keywords).is_none()
                    }
                    Pattern::Analyzer(_) => false,
                })
                .collect()
        });
        flags[rule]
    }

    /// Whether one of `rule`'s keywords occurs anywhere in `bytes`.
    fn spells_keyword(&self, rule: usize, bytes: &[u8]) -> bool {
        AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&self.rules.rules[rule].keywords)
            .is_ok_and(|keywords| keywords.is_match(bytes))
    }

    /// Where a rule's matches lie, as keyword patterns and the reach from them: its own
    /// keywords when its regex proves every match holds one, else an anchor (`None`: the
    /// whole blob is searched). The rule still runs only where its own keywords occur.
    fn reach_of(&self, index: usize, rule: &Rule, compiled: &Compiled) -> Option<(Reach, &[u32])> {
        if let Some(reach) = compiled.reach {
            return Some((reach, self.prefilter.patterns_of(index)));
        }
        let anchor = self.anchors[index].get_or_init(|| self.anchor(rule));
        anchor.as_ref().map(|a| (a.reach, a.patterns.as_slice()))
    }

    /// The longest of the prefilter's keywords that the rule's regex spells in every match
    /// (checked by `window::reach`, the same proof as for the rule's own keywords), so that
    /// a rule whose keywords are context is still searched only near what its matches hold:
    /// `facebook-app-secret` runs on every file holding `meta`, and its matches all hold
    /// `secret`. Only keywords written in the pattern's source are candidates.
    fn anchor(&self, rule: &Rule) -> Option<Anchor> {
        let Pattern::Regex { source, .. } = &rule.pattern else {
            return None;
        };
        let lower = source.to_ascii_lowercase();
        let keywords = self.prefilter.keywords();
        let mut candidates: Vec<usize> = (0..keywords.len())
            .filter(|&p| keywords[p].len() >= MIN_ANCHOR)
            .filter(|&p| lower.contains(&keywords[p].to_ascii_lowercase()))
            .collect();
        candidates.sort_by_key(|&p| std::cmp::Reverse(keywords[p].len()));
        candidates.into_iter().find_map(|p| {
            let reach = window::reach(source, std::slice::from_ref(&keywords[p]))?;
            Some(Anchor {
                reach,
                patterns: vec![p as u32],
            })
        })
    }

    pub fn class_of(&self, path: &str) -> EngineClass {
        EngineClass {
            analyzer: self.kubernetes.then(|| k8s::profile(path)).flatten(),
            code: join::is_code(path),
            restricted: (self.restricted.iter())
                .filter(|&&i| self.rules.rules[i].applies_to(path))
                .map(|&i| i as u32)
                .collect(),
        }
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// Every match in `bytes` for a file at `path`, sorted by position, one per secret span.
    pub fn scan(&self, path: &str, bytes: &[u8]) -> Vec<Match> {
        self.scan_class(&self.class_of(path), path, bytes, None, &mut Vec::new())
    }

    /// The matches in `bytes` for a path of this class, adding to `warnings` what an analyzer
    /// could not parse (the file is still scanned, by the rules and a line-wise fallback).
    /// `path` only names the file in warnings.
    ///
    /// With `narrowing`, the analyzer reads the whole blob first, and the caller, told where
    /// it found values, may name the only parts to search (a history's new version of a file,
    /// by what it changed): there the rules search the parts, with the whole blob around them
    /// for the text they read before a match. A rule whose keywords are context runs there if
    /// they occur in the parts or may occur elsewhere (`maybe`), and a match of one whose
    /// keywords are not in the parts is kept if they are in the blob, as it would be found
    /// scanning it whole.
    pub fn scan_class(
        &self,
        class: &EngineClass,
        path: &str,
        bytes: &[u8],
        mut narrowing: Option<&mut Narrowing>,
        warnings: &mut Vec<String>,
    ) -> Vec<Match> {
        let mut analyzed = Vec::new();
        let mut analyzed_first = false;
        let mut narrowed = None;
        if let Some(narrow) = narrowing.as_ref().and_then(|n| n.narrow) {
            if let Some(profile) = class.analyzer {
                // Its cleared values are asked for below if a generic rule matches.
                let found = &mut analyzed;
                self.run_kubernetes(profile, path, bytes, false, found, warnings);
                analyzed_first = true;
            }
            let spans: Vec<Range<usize>> = analyzed.iter().map(|m| m.span.clone()).collect();
            narrowed = narrow(&spans);
        }
        let whole = 0..bytes.len();
        let search = (narrowed.as_ref()).map_or(std::slice::from_ref(&whole), |n| &n.search[..]);
        let maybe = narrowed.as_ref().map(|n| &n.maybe[..]);
        let mut found = Vec::new();
        let hit = self.run_rules(class, bytes, search, maybe, &mut found);
        let mut budget = Budget::new();
        let mut decoded = Vec::new();
        for part in search {
            let mut inner = Vec::new();
            self.run_decoded(class, &bytes[part.clone()], 1, &mut budget, &mut inner);
            decoded.extend(inner.into_iter().map(|m| Match {
                span: m.span.start + part.start..m.span.end + part.start,
                ..m
            }));
        }
        if let Some(narrowed) = &narrowed {
            let mut spelled = std::collections::HashMap::new();
            found.retain(|m| {
                touches(&narrowed.keep, &m.span)
                    && (hit[m.rule]
                        || *(spelled.entry(m.rule))
                            .or_insert_with(|| self.spells_keyword(m.rule, bytes)))
            });
            decoded.retain(|m| touches(&narrowed.keep, &m.span));
        }
        if let Some(narrowing) = &mut narrowing {
            let mut keywords: Vec<usize> = (0..hit.len())
                .filter(|&r| hit[r] && self.is_context(r))
                .collect();
            keywords.extend(maybe.unwrap_or_default());
            keywords.sort_unstable();
            keywords.dedup();
            narrowing.keywords = keywords;
        }
        // The analyzer's cleared values only matter to generic matches. Where it ran first, for
        // its findings, it is asked again only for what it cleared.
        let cleared = match class.analyzer {
            Some(profile) => {
                let generic = |m: &Match| self.rules.rules[m.rule].tier == Tier::Generic;
                let cleared_wanted = found.iter().chain(&decoded).any(generic);
                if !analyzed_first {
                    let found = &mut analyzed;
                    self.run_kubernetes(profile, path, bytes, cleared_wanted, found, warnings)
                } else if cleared_wanted {
                    let (found, warned) = (&mut Vec::new(), &mut Vec::new());
                    self.run_kubernetes(profile, path, bytes, true, found, warned)
                } else {
                    Vec::new()
                }
            }
            None => Vec::new(),
        };
        // After the analyzer's: where spans tie, the first of equal tier is kept (`dedupe`).
        found.append(&mut analyzed);
        found.append(&mut decoded);
        if budget.refused() {
            warnings.push(format!(
                "{}{path}: more encoded text than the {} MiB decoding budget; the rest was not decoded",
                DECODE_BUDGET_MARK,
                Budget::PER_BLOB >> 20
            ));
        }
        drop_cleared(&self.rules, &cleared, &mut found);
        dedupe(&self.rules, found)
    }

    /// Runs the rules whose keywords occur in `parts` of `bytes` (and the `maybe` rules, when
    /// only parts of the blob are searched) on those parts. Returns the rules whose keywords
    /// occur there.
    fn run_rules(
        &self,
        class: &EngineClass,
        bytes: &[u8],
        parts: &[Range<usize>],
        maybe: Option<&[usize]>,
        out: &mut Vec<Match>,
    ) -> Vec<bool> {
        let candidates = self.prefilter.candidates_in(bytes, parts);
        let mut run = candidates.rules.clone();
        for &rule in maybe.unwrap_or_default() {
            run[rule] = true;
        }
        // Found at the first match of any rule: most blobs hold no data URI.
        let pictures = OnceCell::new();
        let mut held = Held::new(bytes, parts);
        for (index, rule) in self.rules.rules.iter().enumerate() {
            let applies = rule.paths.is_none() || class.restricted.contains(&(index as u32));
            if !(run[index] && applies) {
                continue;
            }
            let Some(compiled) = rule.regex() else {
                continue;
            };
            if !compiled.required.iter().all(|&b| held.has(b)) {
                continue;
            }
            let windows = self
                .reach_of(index, rule, compiled)
                .and_then(|(reach, patterns)| {
                    (self.prefilter).windows(&candidates, patterns, reach, bytes)
                });
            let found = (&compiled.regex, windows, &pictures);
            self.run_regex(index, rule, (bytes, parts), found, out);
        }
        candidates.rules
    }

    /// Scans the text that encoded runs decode to. Rules run only on decoded text holding a
    /// keyword; every match is placed at the encoded run it came from.
    fn run_decoded(
        &self,
        class: &EngineClass,
        bytes: &[u8],
        depth: usize,
        budget: &mut Budget,
        out: &mut Vec<Match>,
    ) {
        let mut runs = decode::decode_all(bytes, budget);
        if depth == 1 && class.code {
            runs.extend(join::joined(bytes, budget));
        }
        for decoded in runs {
            let mut inner = Vec::new();
            if self.prefilter.has_keyword(&decoded.text) {
                let whole = 0..decoded.text.len();
                let whole = std::slice::from_ref(&whole);
                self.run_rules(class, &decoded.text, whole, None, &mut inner);
            }
            if depth < MAX_DECODE_DEPTH {
                self.run_decoded(class, &decoded.text, depth + 1, budget, &mut inner);
            }
            out.extend(inner.into_iter().map(|m| Match {
                span: decoded.place(&m.span),
                ..m
            }));
        }
    }

    /// Runs one rule's regex over the `parts` of the blob searched (the whole, or what a
    /// version changed), or only in its `windows` there. Both find the same matches. A
    /// search anchored at each possible start in turn, resuming after each match, is what an
    /// unanchored search does, minus the starts where no match can begin; a match that cannot
    /// cross a line lies whole in one line; and no match starts before the first possible
    /// start.
    ///
    /// `pictures` holds the blob's data-URI payloads once a rule has matched (see
    /// [`decode::data_uri_payloads`]); a match inside one is dropped.
    fn run_regex(
        &self,
        index: usize,
        rule: &Rule,
        (bytes, parts): (&[u8], &[Range<usize>]),
        (regex, windows, pictures): (&Regex, Option<Windows>, &Pictures),
        out: &mut Vec<Match>,
    ) {
        let group = rule
            .secret_group
            .unwrap_or(usize::from(regex.captures_len() > 1));
        let mut found = Vec::new();
        let mut keep = |caps: &Captures| {
            let Some(span) = caps.get_group(group) else {
                return;
            };
            let pictures = pictures.get_or_init(|| decode::data_uri_payloads(bytes));
            let after = pictures.partition_point(|p| p.start <= span.start);
            if after > 0 && pictures[after - 1].contains(&span.start) {
                return;
            }
            let secret = String::from_utf8_lossy(&bytes[span.range()]);
            // The text before a match can show it is no secret (a demo login, a value that
            // spells its name). Read here, in the text the match was found in: a match in
            // decoded or joined text is placed at the whole run, where that text is not.
            // The analyzer judges such values by the structure it read instead (in deployable
            // config `password: password` is a weak default, reported).
            if rule.tier != Tier::Analyzer
                && crate::placeholder::is_named_by_context(&bytes[..span.start], &secret)
            {
                return;
            }
            if let Some(entropy) = self.admits(rule, &secret) {
                found.push(Match {
                    rule: index,
                    span: span.range(),
                    secret: secret.into_owned(),
                    key_path: None,
                    entropy,
                    severity: None,
                });
            }
        };
        match windows {
            None => match parts {
                // The whole blob, searched as it was before there were parts: the loop below
                // measured slower on the C history (its code is generated differently).
                [part] if *part == (0..bytes.len()) => {
                    regex.captures_iter(bytes).for_each(|caps| keep(&caps))
                }
                _ => {
                    for part in parts {
                        let input = Input::new(bytes).range(part.clone());
                        regex.captures_iter(input).for_each(|caps| keep(&caps))
                    }
                }
            },
            Some(Windows::Lines(lines)) => {
                for line in lines {
                    let input = Input::new(bytes).range(line);
                    regex.captures_iter(input).for_each(|caps| keep(&caps));
                }
            }
            Some(Windows::From(first)) => {
                for part in parts.iter().filter(|p| p.end > first) {
                    let input = Input::new(bytes).range(part.start.max(first)..part.end);
                    regex.captures_iter(input).for_each(|caps| keep(&caps));
                }
            }
            Some(Windows::Starts { starts, limit }) => {
                let mut caps = regex.create_captures();
                let mut next = 0;
                // Bytes the tries may read: past a few times the blob, white space made to
                // prolong them, the whole search (linear) is done instead, and its matches kept.
                let mut budget = 4 * bytes.len().max(1 << 12);
                for range in starts {
                    for at in range.start.max(next)..range.end {
                        if at < next {
                            continue;
                        }
                        let end = limit.end(bytes, at);
                        budget = match budget.checked_sub(end - at) {
                            Some(left) => left,
                            None => {
                                let whole = (regex, None, pictures);
                                let searched = (bytes, parts);
                                return self.run_regex(index, rule, searched, whole, out);
                            }
                        };
                        let input = Input::new(bytes).range(at..end).anchored(Anchored::Yes);
                        regex.search_captures(&input, &mut caps);
                        if let Some(m) = caps.get_match() {
                            keep(&caps);
                            next = m.end().max(at + 1);
                        }
                    }
                }
            }
        }
        out.append(&mut found);
    }

    /// The rule's own tests: entropy floor and offline check. Returns the entropy (when the
    /// rule has a floor) for a secret that passes, `None` for one that fails. Allowlists and
    /// placeholders are the filter's.
    fn admits(&self, rule: &Rule, secret: &str) -> Option<Option<f64>> {
        let entropy = rule
            .entropy
            .map(|_| crate::entropy::shannon(secret.as_bytes()));
        if let (Some(floor), Some(e)) = (rule.entropy, entropy)
            && e < floor
        {
            return None;
        }
        if rule.check.is_some_and(|c| !c.passes(secret)) {
            return None;
        }
        Some(entropy)
    }

    /// Runs the analyzer; returns the values it judged safe.
    fn run_kubernetes(
        &self,
        profile: k8s::Profile,
        path: &str,
        bytes: &[u8],
        cleared_wanted: bool,
        out: &mut Vec<Match>,
        warnings: &mut Vec<String>,
    ) -> Vec<Range<usize>> {
        let mut analysis = k8s::analyze_as(profile, path, bytes, cleared_wanted);
        warnings.append(&mut analysis.warnings);
        for hit in analysis.hits {
            let Some(index) = self.rules.position(hit.rule_id) else {
                continue;
            };
            out.push(Match {
                rule: index,
                span: hit.span,
                secret: hit.secret,
                key_path: hit.key_path,
                entropy: None,
                severity: hit.severity,
            });
        }
        analysis.cleared
    }
}

/// Whether `span` overlaps one of `ranges` (sorted, apart).
fn touches(ranges: &[Range<usize>], span: &Range<usize>) -> bool {
    let after = ranges.partition_point(|r| r.end <= span.start);
    ranges
        .get(after)
        .is_some_and(|r| r.start < span.end.max(span.start + 1))
}

/// Generic assignment matches inside values the Kubernetes analyzer judged safe by their
/// structure (`existingSecret: db-credentials`) are dropped; vendor rules still report.
fn drop_cleared(rules: &RuleSet, cleared: &[Range<usize>], found: &mut Vec<Match>) {
    if cleared.is_empty() {
        return;
    }
    found.retain(|m| {
        rules.rules[m.rule].tier != Tier::Generic
            || !cleared
                .iter()
                .any(|c| c.start <= m.span.start && m.span.end <= c.end)
    });
}

/// Where matches overlap, the most specific rule wins: a vendor rule over the Kubernetes
/// analyzer over a generic assignment rule. The winner inherits a key path it lacks.
fn dedupe(rules: &RuleSet, mut found: Vec<Match>) -> Vec<Match> {
    found.sort_by_key(|m| (m.span.start, std::cmp::Reverse(m.span.end)));
    let mut kept: Vec<Match> = Vec::with_capacity(found.len());
    for m in found {
        match kept.last_mut() {
            Some(last) if last.span.start < m.span.end && m.span.start < last.span.end => {
                if rules.rules[m.rule].tier > rules.rules[last.rule].tier {
                    let key_path = last.key_path.take();
                    *last = m;
                    last.key_path = last.key_path.take().or(key_path);
                } else if last.key_path.is_none() {
                    last.key_path = m.key_path;
                }
            }
            _ => kept.push(m),
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rules whose keywords are only context are searched near a keyword every match spells.
    #[test]
    fn context_keyword_rules_are_anchored_on_what_matches_spell() {
        let engine = Engine::new(RuleSet::builtin().expect("built-in rules load"));
        let anchor_of = |id: &str| {
            let index = engine.rules.position(id).expect("rule exists");
            let rule = &engine.rules.rules[index];
            let compiled = rule.regex().expect("a regex rule");
            assert!(
                compiled.reach.is_none(),
                "{id} is windowed by its own keywords"
            );
            engine.anchor(rule).map(|a| {
                let keyword = &engine.prefilter.keywords()[a.patterns[0] as usize];
                keyword.to_ascii_lowercase()
            })
        };
        assert_eq!(anchor_of("facebook-app-secret").as_deref(), Some("secret"));
        assert_eq!(
            anchor_of("telegram-bot-token-context").as_deref(),
            Some("token")
        );
        assert_eq!(
            anchor_of("kubeadm-bootstrap-token").as_deref(),
            Some("token")
        );
        // A bare bot token spells no keyword: still searched whole.
        assert_eq!(anchor_of("discord-bot-token"), None);
        // Every match spells `key`, too common a word of code to search around.
        assert_eq!(anchor_of("azure-storage-account-key"), None);
    }

    /// Every built-in rule searched in its windows finds exactly what it finds searching the
    /// whole text: its examples and counter-examples, each in a page of filler so that the
    /// windows are worth using, and all of them again packed together.
    #[test]
    fn windows_find_what_the_whole_blob_holds() {
        let engine = Engine::new(RuleSet::builtin().expect("built-in rules load"));
        let filler = "lorem ipsum dolor sit amet, consectetur adipiscing\n".repeat(80);
        let mut spread = String::new();
        let mut packed = String::new();
        for rule in &engine.rules.rules {
            for example in rule.examples.iter().chain(&rule.counter_examples) {
                spread.push_str(example);
                spread.push('\n');
                spread.push_str(&filler);
                packed.push_str(example);
                packed.push(' ');
            }
        }
        let text = format!("{spread}{packed}\n{filler}");
        let bytes = text.as_bytes();
        let candidates = engine.prefilter.candidates(bytes);
        let (mut starts, mut lines, mut anchored) = (0, 0, 0);
        for (index, rule) in engine.rules.rules.iter().enumerate() {
            let Some(compiled) = rule.regex() else {
                continue;
            };
            let Some((reach, patterns)) = engine.reach_of(index, rule, compiled) else {
                continue;
            };
            let Some(windows) = engine
                .prefilter
                .windows(&candidates, patterns, reach, bytes)
            else {
                continue;
            };
            anchored += usize::from(compiled.reach.is_none());
            match windows {
                Windows::Starts { .. } | Windows::From(_) => starts += 1,
                Windows::Lines(_) => lines += 1,
            }
            let (mut whole, mut windowed) = (Vec::new(), Vec::new());
            let pictures = OnceCell::new();
            let found = (&compiled.regex, None, &pictures);
            let all = 0..bytes.len();
            let all = std::slice::from_ref(&all);
            engine.run_regex(index, rule, (bytes, all), found, &mut whole);
            let found = (&compiled.regex, Some(windows), &pictures);
            engine.run_regex(index, rule, (bytes, all), found, &mut windowed);
            let spans = |m: &[Match]| m.iter().map(|m| m.span.clone()).collect::<Vec<_>>();
            assert_eq!(spans(&whole), spans(&windowed), "{}", rule.id);
            assert!(!whole.is_empty() || rule.examples.is_empty(), "{}", rule.id);
        }
        assert!(
            starts > 300 && lines >= 2 && anchored >= 8,
            "{starts} by starts, {lines} by lines, {anchored} by anchors"
        );
    }
}
