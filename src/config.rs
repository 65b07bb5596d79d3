//! Turns raw flags and `.leakhound.toml` into the objects that run: the rule set, the filter
//! (baseline and `.leakhoundignore`), the scanner and the output settings. Everything that can
//! be wrong with the user's input is found here, before any scanning starts.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::cli::CommonArgs;
use crate::diag::Diagnostics;
use crate::engine::Engine;
use crate::filter::Filter;
use crate::rules::RuleSet;
use crate::rules::gitleaks;
use crate::rules::set::parse_file;
use crate::rules::syntax::RulesFile;
use crate::scan::Scanner;

pub const CONFIG_FILE: &str = ".leakhound.toml";
pub const IGNORE_FILE: &str = ".leakhoundignore";
/// gitleaks' ignore file, honoured at the scan root for teams that switch.
pub const GITLEAKS_IGNORE_FILE: &str = ".gitleaksignore";

/// The rule set: `--config FILE`, else `.leakhound.toml` at the scan root, else the built-ins.
pub fn load_rules(explicit: Option<&Path>, root: &Path, diags: &Diagnostics) -> Result<RuleSet> {
    let found = root.join(CONFIG_FILE);
    let path = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => exists(&found).then_some(found),
    };
    let set = match path {
        None => RuleSet::builtin()?,
        Some(path) => {
            let text = read_text(&path, "config")?;
            let name = path.display().to_string();
            let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let file = if gitleaks::is_gitleaks(file_name.as_deref().unwrap_or(""), &text) {
                translate_gitleaks(&name, &text, diags)?
            } else {
                parse_file(&name, &text)?
            };
            RuleSet::with_config(Some((&name, file)))?
        }
    };
    Ok(set)
}

/// A gitleaks config, translated; what does not carry over is a warning on stderr.
fn translate_gitleaks(name: &str, text: &str, diags: &Diagnostics) -> Result<RulesFile> {
    let builtin = RuleSet::builtin()?;
    let known = |id: &str| builtin.get(id).is_some();
    let translation =
        gitleaks::translate(text, &known).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    for warning in &translation.warnings {
        diags.warning(format!("{name}: {warning}"));
    }
    Ok(translation.file)
}

/// `.gitleaksignore` at the scan root: its `file:rule:line` and `commit:file:rule:line`
/// entries whose rule has a leakhound equivalent; the others are warned about.
pub fn load_gitleaks_ignore(
    root: &Path,
    rules: &RuleSet,
    diags: &Diagnostics,
) -> Result<HashSet<String>> {
    let path = root.join(GITLEAKS_IGNORE_FILE);
    if !exists(&path) {
        return Ok(HashSet::new());
    }
    let text = read_text(&path, "ignore file")?;
    let known = |id: &str| rules.get(id).is_some();
    let mut keys = HashSet::new();
    for (n, line) in text.lines().enumerate() {
        let entry = line.split('#').next().unwrap_or("").trim();
        if entry.is_empty() {
            continue;
        }
        match gitleaks::ignore_entry(entry, &known) {
            Ok(key) => {
                keys.insert(key);
            }
            Err(why) => diags.warning(format!("{}:{}: {why}", path.display(), n + 1)),
        }
    }
    Ok(keys)
}

/// Fingerprints to suppress: `--baseline FILE` plus `.leakhoundignore` at the scan root.
pub fn load_ignored(baseline: Option<&Path>, root: &Path) -> Result<HashSet<String>> {
    let mut ignored = HashSet::new();
    if let Some(path) = baseline {
        let text = read_text(path, "baseline")?;
        ignored.extend(
            parse_fingerprints(&text).with_context(|| format!("baseline {}", path.display()))?,
        );
    }
    let ignore_file = root.join(IGNORE_FILE);
    if exists(&ignore_file) {
        let text = read_text(&ignore_file, "ignore file")?;
        ignored.extend(parse_fingerprints(&text)?);
    }
    Ok(ignored)
}

/// A baseline is either a JSON report (its findings' fingerprints) or one fingerprint per
/// line with `#` comments.
pub fn parse_fingerprints(text: &str) -> Result<Vec<String>> {
    if text.trim_start().starts_with('{') {
        let doc: serde_json::Value = serde_json::from_str(text).context("not a JSON report")?;
        let Some(findings) = doc.get("findings").and_then(|f| f.as_array()) else {
            bail!("a JSON baseline needs a \"findings\" array");
        };
        return Ok(findings
            .iter()
            .filter_map(|f| {
                f.get("fingerprint")
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            })
            .collect());
    }
    Ok(text
        .lines()
        .map(|l| split_entry(l).0)
        .filter(|l| !l.is_empty())
        .collect())
}

/// A fingerprint as a line of `.leakhoundignore` writes it: `\`, `#`, CR and LF escaped with
/// a backslash, so a path holding them (they are legal in file names) survives the round trip
/// and a `#` in a path does not start a comment.
pub fn escape_entry(fingerprint: &str) -> String {
    let mut out = String::with_capacity(fingerprint.len());
    for c in fingerprint.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '#' => out.push_str("\\#"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}

/// One line of a baseline file: the fingerprint (unescaped) and the comment after the first
/// unescaped `#`, if any.
pub fn split_entry(line: &str) -> (String, Option<&str>) {
    let mut fingerprint = String::new();
    let mut chars = line.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '#' => return (fingerprint.trim().to_string(), Some(&line[i + 1..])),
            '\\' => match chars.next() {
                Some((_, 'n')) => fingerprint.push('\n'),
                Some((_, 'r')) => fingerprint.push('\r'),
                Some((_, other)) => fingerprint.push(other),
                None => fingerprint.push('\\'),
            },
            c => fingerprint.push(c),
        }
    }
    (fingerprint.trim().to_string(), None)
}

/// The largest config, ignore or baseline file read: a real one is far smaller, and a file
/// in the repository under audit may be hostile.
const MAX_CONFIG_FILE: u64 = 64 << 20;

/// Whether anything is at `path` (a broken or hostile symlink included: it is then an error
/// to read, not a file to ignore in silence).
fn exists(path: &Path) -> bool {
    path.symlink_metadata().is_ok()
}

/// Reads a config, ignore or baseline file, which must be a regular file of sane size: a
/// FIFO would block, `/dev/zero` would never end.
fn read_text(path: &Path, what: &str) -> Result<String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read {what} {shown}"))?;
    if !meta.is_file() {
        bail!("{what} {shown} is not a regular file (a device, FIFO or socket is never read)");
    }
    if meta.len() > MAX_CONFIG_FILE {
        bail!(
            "{what} {shown} is {} bytes, over the {MAX_CONFIG_FILE}-byte limit",
            meta.len()
        );
    }
    let mut text = String::new();
    use std::io::Read;
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_CONFIG_FILE + 1).read_to_string(&mut text))
        .with_context(|| format!("cannot read {what} {shown}"))?;
    Ok(text)
}

/// Builds the scanner every source feeds.
pub fn scanner(args: &CommonArgs, root: &Path, diags: &Diagnostics) -> Result<Scanner> {
    let rules = load_rules(args.config.as_deref(), root, diags)?;
    let ignored = load_ignored(args.baseline.as_deref(), root)?;
    let ignored_at = load_gitleaks_ignore(root, &rules, diags)?;
    let own_files = vec![
        CONFIG_FILE.into(),
        IGNORE_FILE.into(),
        GITLEAKS_IGNORE_FILE.into(),
    ];
    let min_confidence = args.confidence.or(rules.confidence);
    Ok(Scanner {
        engine: Engine::new(rules),
        filter: Filter::new(ignored, own_files).with_locations(ignored_at),
        max_file_size: args.max_file_size,
        min_confidence,
    })
}

/// The most worker threads `-j` accepts: each has a stack and, in history audits, a
/// repository handle; beyond this, threads only cost memory and contention.
const MAX_THREADS: usize = 1024;

/// `-j N`, checked (1..=1024), or all cores.
pub fn threads(args: &CommonArgs) -> Result<usize> {
    match args.threads {
        Some(n) if (1..=MAX_THREADS).contains(&n) => Ok(n),
        Some(n) => bail!("-j {n}: the number of threads must be between 1 and {MAX_THREADS}"),
        None => Ok(std::thread::available_parallelism().map_or(1, |n| n.get())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_entries_round_trip_any_path() {
        for fp in [
            "generic-password:a#b/c.py:0123456789abcdef",
            "generic-password:we\\ird\nname\r.txt:0123456789abcdef",
            "aws-access-key-id:plain/path.py:0123456789abcdef",
        ] {
            let line = format!("{}  # a comment # more", escape_entry(fp));
            let (parsed, comment) = split_entry(&line);
            assert_eq!(parsed, fp);
            assert_eq!(comment, Some(" a comment # more"));
            assert!(!escape_entry(fp).contains('\n'));
        }
    }
}
