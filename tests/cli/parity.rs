//! The history audit never reports less than a scan of the checkout: random small histories
//! (adds, copies, renames, deletes, edits, side branches and merges, files moving in and out
//! of an allowlisted `testdata/` and between `.txt`, `.py` and `.yaml`) are built in temp
//! repositories with libgit2, and every `(rule, secret)` that `leakhound scan` reports on the
//! final checkout must be in `leakhound git`'s report too.
//!
//! `LEAKHOUND_PARITY_SEEDS` (default 500) histories are built, from seed
//! `LEAKHOUND_PARITY_FROM` (default 0); a failure names each failing seed, its operations and
//! what the audit missed, and `LEAKHOUND_PARITY_FROM=S LEAKHOUND_PARITY_SEEDS=1` replays one
//! (with `LEAKHOUND_PARITY_KEEP=1` the failing repositories are kept and their paths named).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::*;
use crate::provenance::{ALLOW_TESTDATA, aws_key_id, deployment, ghp_token, token_literal};
use git2::{Oid, Repository, Signature, Time, build::CheckoutBuilder};
use serde_json::Value;

/// Path → content of one commit's tree.
type Files = BTreeMap<String, String>;

const DIRS: &[&str] = &[
    "",
    "src/",
    "config/",
    "deploy/",
    "charts/app/",
    "docs/",
    "testdata/",
    "src/testdata/",
];
const NAMES: &[&str] = &[
    "app",
    "settings",
    "values",
    "deployment",
    "creds",
    "client",
    "notes",
];
const EXTS: &[&str] = &["py", "txt", "yaml"];

/// A history under construction: commits are written straight into the object database.
struct Builder {
    repo: Repository,
    rng: fastrand::Rng,
    log: Vec<String>,
    /// Commit times, one minute apart, so the history is the same on every run.
    clock: i64,
    /// Files created so far, for names that do not collide.
    serial: usize,
}

/// A branch: its head commit and the files in it.
#[derive(Clone)]
struct Branch {
    name: String,
    head: Oid,
    files: Files,
}

impl Builder {
    fn new(dir: &Path, seed: u64) -> Builder {
        Builder {
            repo: Repository::init(dir).expect("init"),
            rng: fastrand::Rng::with_seed(seed),
            log: Vec::new(),
            clock: 1_700_000_000,
            serial: 0,
        }
    }

    fn tree(&self, files: &Files) -> Oid {
        write_tree(&self.repo, files, "")
    }

    fn commit(&mut self, parents: &[Oid], files: &Files, what: &str) -> Oid {
        self.clock += 60;
        let sig = Signature::new("Ada Lovelace", "ada@example.com", &Time::new(self.clock, 0))
            .expect("signature");
        let tree = self.repo.find_tree(self.tree(files)).expect("tree");
        let parents: Vec<git2::Commit> = parents
            .iter()
            .map(|p| self.repo.find_commit(*p).expect("parent"))
            .collect();
        let refs: Vec<&git2::Commit> = parents.iter().collect();
        let oid = self
            .repo
            .commit(None, &sig, &sig, what, &tree, &refs)
            .expect("commit");
        self.log.push(format!("{} {what}", &oid.to_string()[..8]));
        oid
    }

    /// One operation on a branch, committed on it.
    fn step(&mut self, branch: &mut Branch) {
        let what = self.change(&mut branch.files);
        let what = format!("{}: {what}", branch.name);
        branch.head = self.commit(&[branch.head], &branch.files, &what);
    }

    /// Changes `files` at random; says what it did.
    fn change(&mut self, files: &mut Files) -> String {
        let movable: Vec<String> = files
            .keys()
            .filter(|p| *p != ".leakhound.toml")
            .cloned()
            .collect();
        let roll = self.rng.usize(..100);
        if movable.is_empty() || roll < 35 {
            return self.add(files);
        }
        let pick = movable[self.rng.usize(..movable.len())].clone();
        match roll {
            35..50 => {
                // Copies sometimes take the root config, which is never scanned where it is.
                let from = if self.rng.usize(..10) == 0 {
                    ".leakhound.toml".to_string()
                } else {
                    pick
                };
                let to = self.path_like(&from);
                files.insert(to.clone(), files[&from].clone());
                format!("copy {from} -> {to}")
            }
            50..65 => {
                let to = self.path_like(&pick);
                let content = files.remove(&pick).expect("picked");
                files.insert(to.clone(), content);
                format!("rename {pick} -> {to}")
            }
            65..75 => {
                files.remove(&pick);
                format!("delete {pick}")
            }
            _ => self.modify(files, &pick),
        }
    }

    fn add(&mut self, files: &mut Files) -> String {
        let (content, kind, ext) = self.content();
        let path = self.new_path(ext);
        files.insert(path.clone(), content);
        format!("add {path} ({kind})")
    }

    fn modify(&mut self, files: &mut Files, path: &str) -> String {
        let old = files[path].clone();
        let (new, how) = match self.rng.usize(..3) {
            0 => (
                format!("# revision {}\n{old}", self.rng.u32(..)),
                "shift lines",
            ),
            1 => {
                let token = ghp_token(&mut self.rng);
                (format!("{old}EXTRA = \"{token}\"\n"), "append a ghp token")
            }
            _ => {
                let (content, kind, _) = self.content();
                files.insert(path.to_string(), content);
                return format!("modify {path}: rewrite ({kind})");
            }
        };
        files.insert(path.to_string(), new);
        format!("modify {path}: {how}")
    }

    /// New content of a random kind: `(content, kind, the extension it usually has)`.
    fn content(&mut self) -> (String, &'static str, &'static str) {
        let n = self.rng.u32(..1000);
        let yaml_or_txt = if self.rng.usize(..5) == 0 {
            "txt"
        } else {
            "yaml"
        };
        let py_or_txt = if self.rng.bool() { "py" } else { "txt" };
        match self.rng.usize(..6) {
            0 => {
                let token = ghp_token(&mut self.rng);
                let text = format!("import os\n\nTOKEN = \"{token}\"\nprint({n})\n");
                (text, "ghp", py_or_txt)
            }
            1 => {
                let id = aws_key_id(&mut self.rng);
                let text = format!("[default]\nregion = eu-west-{n}\naws_access_key_id = {id}\n");
                (text, "akia", py_or_txt)
            }
            2 => {
                let len = self.rng.usize(12..=18);
                let lit = token_literal(&mut self.rng, len);
                let text = format!(
                    "replicaCount: {n}\ndatabase:\n  host: db.svc.cluster.local\n  password: {lit}\n"
                );
                (text, "helm values", yaml_or_txt)
            }
            3 => {
                let lit = token_literal(&mut self.rng, 14);
                (deployment(&lit), "deployment env", yaml_or_txt)
            }
            _ => (format!("print('hello {n}')\n"), "no secret", py_or_txt),
        }
    }

    fn new_path(&mut self, ext: &str) -> String {
        self.serial += 1;
        let dir = DIRS[self.rng.usize(..DIRS.len())];
        let name = NAMES[self.rng.usize(..NAMES.len())];
        format!("{dir}{name}-{}.{ext}", self.serial)
    }

    /// A new path for a copy or rename: half the time it keeps the extension.
    fn path_like(&mut self, from: &str) -> String {
        let ext = match from.rsplit_once('.') {
            Some((_, ext)) if self.rng.bool() && EXTS.contains(&ext) => ext,
            _ => EXTS[self.rng.usize(..EXTS.len())],
        };
        self.new_path(ext)
    }

    /// A side branch off `main` with 1–3 commits while `main` gets 0–2, then most of the
    /// time a merge commit (two parents) that takes the side's changes and, now and then,
    /// changes something of its own.
    fn branch(&mut self, main: &mut Branch, n: usize) -> (usize, Option<Branch>) {
        let base = main.files.clone();
        let mut side = Branch {
            name: format!("side-{n}"),
            ..main.clone()
        };
        let (on_side, on_main) = (self.rng.usize(1..=3), self.rng.usize(0..=2));
        for _ in 0..on_side {
            self.step(&mut side);
        }
        for _ in 0..on_main {
            self.step(main);
        }
        if self.rng.usize(..6) == 0 {
            self.log.push(format!("(side-{n} stays unmerged)"));
            return (on_side + on_main, Some(side));
        }
        main.files = merged(&base, &main.files, &side.files);
        let mut what = format!("main: merge side-{n}");
        if self.rng.usize(..4) == 0 {
            what += &format!(" and {}", self.change(&mut main.files));
        }
        main.head = self.commit(&[main.head, side.head], &main.files, &what);
        (on_side + on_main + 1, Some(side))
    }

    /// The whole history; leaves `main` checked out.
    fn build(mut self) -> Vec<String> {
        let mut config = ALLOW_TESTDATA.to_string();
        if self.rng.bool() {
            config += &format!("# ci token: {}\n", ghp_token(&mut self.rng));
        }
        let mut files = Files::from([(".leakhound.toml".to_string(), config)]);
        let what = format!("main: config and {}", self.add(&mut files));
        let head = self.commit(&[], &files, &what);
        let mut main = Branch {
            name: "main".into(),
            head,
            files,
        };
        let mut sides = Vec::new();
        let ops = self.rng.usize(6..=12);
        let mut done = 1;
        while done < ops {
            if self.rng.usize(..100) < 20 && done + 3 <= ops {
                let (n, side) = self.branch(&mut main, sides.len() + 1);
                sides.extend(side);
                done += n;
            } else {
                self.step(&mut main);
                done += 1;
            }
        }
        for side in &sides {
            self.set_ref(&side.name, side.head);
        }
        self.set_ref("main", main.head);
        self.repo.set_head("refs/heads/main").expect("HEAD");
        self.repo
            .checkout_head(Some(CheckoutBuilder::new().force().remove_untracked(true)))
            .expect("checkout");
        self.log
    }

    fn set_ref(&self, branch: &str, head: Oid) {
        let name = format!("refs/heads/{branch}");
        self.repo
            .reference(&name, head, true, "parity")
            .expect("ref");
    }
}

/// A three-way merge that takes every path the side changed since the base.
fn merged(base: &Files, ours: &Files, theirs: &Files) -> Files {
    let mut out = ours.clone();
    let paths: BTreeSet<&String> = base.keys().chain(theirs.keys()).collect();
    for path in paths {
        if base.get(path) != theirs.get(path) {
            match theirs.get(path) {
                Some(content) => out.insert(path.clone(), content.clone()),
                None => out.remove(path),
            };
        }
    }
    out
}

/// Writes the tree of the files under `prefix` (nested trees for folders).
fn write_tree(repo: &Repository, files: &Files, prefix: &str) -> Oid {
    let mut builder = repo.treebuilder(None).expect("treebuilder");
    let mut dirs = BTreeSet::new();
    for (path, content) in files.range(prefix.to_string()..) {
        let Some(rest) = path.strip_prefix(prefix) else {
            break;
        };
        match rest.split_once('/') {
            Some((dir, _)) => {
                dirs.insert(dir.to_string());
            }
            None => {
                let blob = repo.blob(content.as_bytes()).expect("blob");
                builder.insert(rest, blob, 0o100644).expect("insert blob");
            }
        }
    }
    for dir in dirs {
        let sub = write_tree(repo, files, &format!("{prefix}{dir}/"));
        builder.insert(&dir, sub, 0o040000).expect("insert tree");
    }
    builder.write().expect("write tree")
}

/// `(rule, secret)` → `(path, line)` of every finding; and the exit code and stderr.
type Found = BTreeMap<(String, String), (String, u64)>;

fn findings(dir: &Path, args: &[&str]) -> Result<(Found, i32, String), String> {
    let out = leakhound()
        .current_dir(dir)
        .args(args)
        .args(["--no-redact", "--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report: Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "`leakhound {}` wrote no JSON report ({e}): {stderr}",
            args[0]
        )
    })?;
    let found = report["findings"]
        .as_array()
        .ok_or_else(|| format!("`leakhound {}`: no findings array", args[0]))?
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            let at = (s("path"), f["line"].as_u64().unwrap_or(0));
            ((s("rule_id"), s("secret")), at)
        })
        .collect();
    Ok((found, out.status.code().unwrap_or(-1), stderr))
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|v| v.parse().unwrap_or_else(|_| panic!("{name}={v:?}")))
        .unwrap_or(default)
}

/// How many findings the scan of one seed's checkout had, or what the audit missed, said
/// without printing more than a secret's first 8 characters.
fn check_seed(seed: u64) -> Result<usize, String> {
    let tree = Tree::new();
    let log = Builder::new(tree.path(), seed).build();
    let reports = findings(tree.path(), &["scan"]).and_then(|scan| {
        let git = findings(tree.path(), &["git"])?;
        Ok((scan, git))
    });
    let ((scanned, scan_code, scan_err), (audited, git_code, git_err)) = match reports {
        Ok(reports) => reports,
        Err(e) => {
            return Err(format!(
                "seed {seed}: {e}\n  operations:\n    {}",
                log.join("\n    ")
            ));
        }
    };
    let missing: Vec<String> = scanned
        .iter()
        .filter(|(key, _)| !audited.contains_key(*key))
        .map(|((rule, secret), (path, line))| {
            let short: String = secret.chars().take(8).collect();
            format!("({rule}, {path}) line {line}, secret {short}…")
        })
        .collect();
    if missing.is_empty() {
        return Ok(scanned.len());
    }
    let kept = match std::env::var_os("LEAKHOUND_PARITY_KEEP") {
        Some(_) => format!("\n  repository kept at {}", tree.dir.keep().display()),
        None => String::new(),
    };
    let history: Vec<String> = audited
        .iter()
        .map(|((rule, _), (path, line))| format!("({rule}, {path}) line {line}"))
        .collect();
    Err(format!(
        "seed {seed}: the full audit misses {}\n  operations:\n    {}\n  the audit reported: {}\n  \
         exit codes: scan {scan_code}, git {git_code}\n  scan stderr: {}\n  git stderr: {}{kept}",
        missing.join("; "),
        log.join("\n    "),
        history.join("; "),
        scan_err.trim(),
        git_err.trim(),
    ))
}

#[test]
fn history_reports_every_secret_a_scan_of_the_checkout_reports() {
    let count = env_u64("LEAKHOUND_PARITY_SEEDS", 500);
    let from = env_u64("LEAKHOUND_PARITY_FROM", 0);
    let mut failures: Vec<(u64, String)> = Vec::new();
    let mut with_findings = 0;
    for seed in from..from + count {
        match check_seed(seed) {
            Ok(n) => with_findings += u64::from(n > 0),
            Err(failure) => failures.push((seed, failure)),
        }
    }
    if failures.is_empty() {
        // Most histories end with a secret in the checkout: the property is not vacuous.
        assert!(
            with_findings * 2 >= count,
            "only {with_findings} of {count} checkouts had a finding"
        );
        return;
    }
    let seeds: Vec<String> = failures.iter().map(|(s, _)| s.to_string()).collect();
    let details: Vec<&str> = failures.iter().take(5).map(|(_, f)| f.as_str()).collect();
    panic!(
        "{} of {count} histories: `git` reports less than `scan` of the checkout\n\
         failing seeds: {}\n(replay one: LEAKHOUND_PARITY_FROM=SEED LEAKHOUND_PARITY_SEEDS=1)\n\n{}",
        failures.len(),
        seeds.join(" "),
        details.join("\n\n")
    );
}

/// The builder itself: the checkout is the last commit of `main`, and merges have two parents.
#[test]
fn parity_histories_check_out_main_and_contain_merges() {
    let mut merges = 0;
    for seed in 0..40 {
        let tree = Tree::new();
        Builder::new(tree.path(), seed).build();
        let status = git_ok(tree.path(), &["status", "--porcelain"]);
        assert_eq!(status, "", "seed {seed}: the work tree matches HEAD");
        assert_eq!(git_ok(tree.path(), &["branch", "--show-current"]), "main");
        let count = git_ok(tree.path(), &["rev-list", "--merges", "--count", "--all"]);
        merges += count.parse::<u32>().unwrap();
    }
    assert!(merges > 0, "no merge commit in 40 histories");
}
