//! A history audit searches each new version of a file where it changed (the lines the
//! earlier version at its path held were judged there). These tests build histories whose
//! changes sit where a search of only the changed lines would go wrong: inside a key, far
//! from a rule's context keyword, a cut line that completes a key. Each checks exact
//! findings, and that they are what scanning every commit's tree whole finds first. The
//! audit runs on one thread, where each version is compared with the one before (on more,
//! a version read while the one before is still being scanned is scanned whole), and again
//! on all, with the same findings.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::common::*;

/// Lines of filler, numbered, for a file large enough to be compared (4 KiB).
fn filler(from: usize, to: usize) -> Vec<String> {
    (from..to)
        .map(|i| format!("line {i} of the operations notes, nothing to see"))
        .collect()
}

fn discord_token(g: &mut Gen) -> String {
    let chars = format!("{ALNUM}_-");
    format!(
        "M{}.{}.{}",
        g.chars(24, &chars),
        g.chars(6, &chars),
        g.chars(32, &chars)
    )
}

/// The findings of a history audit at `--confidence low`, on one thread and on all (the
/// same, or the test fails).
fn audit(repo: &Repo) -> Vec<(String, String, u64, String, String)> {
    let args = ["git", "--confidence", "low", "--no-redact"];
    let (code, report, stderr) = repo.json(&[&args[..], &["-j1"]].concat());
    assert_eq!(code, 1, "{stderr}");
    let (_, all_threads, _) = repo.json(&args);
    assert_eq!(found(&report), found(&all_threads));
    found(&report)
}

/// (rule, path, line, commit, secret) of every finding, sorted.
fn found(report: &Value) -> Vec<(String, String, u64, String, String)> {
    let mut all = each_finding(report, |f| {
        (
            field(f, "rule_id"),
            field(f, "path"),
            f["line"].as_u64().unwrap(),
            field(&f["commit"], "id"),
            field(f, "secret"),
        )
    });
    all.sort();
    all
}

/// What a history audit must report, found the slow way: each commit checked out and its
/// tree scanned whole; each (rule, path, secret) at the first commit whose tree holds it,
/// at the lines it is on there.
fn first_seen_in_trees(
    repo: &Repo,
    commits: &[String],
) -> Vec<(String, String, u64, String, String)> {
    let mut first: BTreeMap<(String, String, String), (String, Vec<u64>)> = BTreeMap::new();
    for commit in commits {
        repo.git(&["checkout", "-q", commit]);
        let (_, report, stderr) = repo.json(&["scan", ".", "--confidence", "low", "--no-redact"]);
        let mut here: BTreeMap<(String, String, String), Vec<u64>> = BTreeMap::new();
        for f in report["findings"]
            .as_array()
            .unwrap_or_else(|| panic!("no findings list: {stderr}"))
        {
            let key = (field(f, "rule_id"), field(f, "path"), field(f, "secret"));
            here.entry(key)
                .or_default()
                .push(f["line"].as_u64().unwrap());
        }
        for (key, lines) in here {
            first.entry(key).or_insert((commit.clone(), lines));
        }
    }
    repo.git(&["checkout", "-q", "main"]);
    let mut all: Vec<_> = (first.into_iter())
        .flat_map(|((rule, path, secret), (commit, lines))| {
            lines.into_iter().map(move |line| {
                (
                    rule.clone(),
                    path.clone(),
                    line,
                    commit.clone(),
                    secret.clone(),
                )
            })
        })
        .collect();
    all.sort();
    all
}

type Row = (String, String, u64, String, String);

/// A file edited in 8 commits where searching only what changed would go wrong: the commits,
/// and what the audit must report.
fn edited_history() -> (Repo, Vec<String>, Vec<Row>) {
    let mut g = Gen::new();
    let stripe = g.stripe_live();
    let discord = discord_token(&mut g);
    let key = g.pem("");
    let other_key = g.pem("RSA ");
    let repo = Repo::new();
    let path = "ops/notes.txt";
    // Line 1 names Discord: the context `discord-bot-token` needs anywhere in the file.
    let mut lines = vec!["alerts go to the discord channel #ops".to_string()];
    lines.extend(filler(2, 301));
    let write = |lines: &[String]| {
        repo.write(path, lines.join("\n") + "\n");
    };
    write(&lines);
    // Neighbours in the folder, so that its versions are large enough to be packed as
    // deltas on each other.
    for n in 0..40 {
        repo.write(
            &format!("ops/runbook-{n:02}.txt"),
            filler(n, n + 3).join("\n"),
        );
    }
    let mut commits = vec![repo.commit("notes")];

    // 2: a key at line 150.
    lines[149] = format!("STRIPE_KEY = \"{stripe}\"");
    write(&lines);
    commits.push(repo.commit("payments"));

    // 3: another line edited; the Stripe key stays and is not reported again.
    lines[9] = "line 10 was rewritten".to_string();
    write(&lines);
    commits.push(repo.commit("edit"));

    // 4: a private key from line 200 (8 lines).
    let at = 199;
    lines.splice(at..at + 1, key.lines().map(str::to_string));
    write(&lines);
    commits.push(repo.commit("a key"));

    // 5: one line in the middle of the key's body changes: a new key, at the same lines,
    // whose BEGIN and END lines did not change.
    let middle = at + 4;
    let mut body: Vec<char> = lines[middle].chars().collect();
    body[30] = if body[30] == 'A' { 'B' } else { 'A' };
    lines[middle] = body.into_iter().collect();
    let changed_key = lines[at..at + 8].join("\n");
    write(&lines);
    commits.push(repo.commit("rotate"));

    // 6: a bare Discord bot token at the end, 300 lines from the word that names Discord.
    let last = lines.len() - 1;
    lines[last] = format!("token {discord}");
    write(&lines);
    commits.push(repo.commit("bot"));

    // 7: a second key, broken by a line no key holds; 8: that line is cut, which completes
    // the key though none of its own lines changed.
    let at2 = 100;
    let mut broken: Vec<String> = other_key.lines().map(str::to_string).collect();
    broken.insert(3, "% see the wiki".to_string());
    lines.splice(at2..at2 + 1, broken);
    write(&lines);
    commits.push(repo.commit("a broken key"));
    lines.remove(at2 + 3);
    write(&lines);
    commits.push(repo.commit("fix the key"));

    let c = |i: usize| commits[i].clone();
    let row = |rule: &str, line: u64, commit: String, secret: &str| {
        (
            rule.to_string(),
            path.to_string(),
            line,
            commit,
            secret.to_string(),
        )
    };
    let mut expected = vec![
        row("stripe-secret-key", 150, c(1), &stripe),
        // Before commit 7 inserted 7 lines at 101, the keys were at 200; the audit reports
        // them where they were added.
        row("private-key", 200, c(3), &key),
        row("private-key", 200, c(4), &changed_key),
        row("discord-bot-token", 307, c(5), &discord),
        row("private-key", 101, c(7), &other_key),
    ];
    expected.sort();
    (repo, commits, expected)
}

#[test]
fn each_version_is_searched_where_it_changed_and_finds_what_a_whole_scan_finds() {
    let (repo, commits, expected) = edited_history();
    let audit = audit(&repo);
    assert_eq!(audit, expected);
    assert_eq!(audit, first_seen_in_trees(&repo, &commits));
}

/// How many blobs and trees of the repository's one pack are deltas on another object.
fn deltas_in_pack(repo: &Repo) -> (usize, usize) {
    let pack_dir = repo.path().join(".git/objects/pack");
    let index = std::fs::read_dir(&pack_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .expect("one pack after repack");
    let listing = repo.git(&["verify-pack", "-v", index.to_str().unwrap()]);
    // A delta's line has seven fields: id, type, size, size in pack, offset, depth, base.
    let count = |kind: &str| {
        (listing.lines())
            .map(|l| l.split_whitespace().collect::<Vec<_>>())
            .filter(|f| f.len() == 7 && f[1] == kind)
            .count()
    };
    (count("blob"), count("tree"))
}

/// Packed, the versions of the file and of its folder are deltas on each other (by offset,
/// as `git gc` writes them, and by id, as older packs and some servers do), and are read
/// from the pack by leakhound's own reader: the audit reports what it reports with loose
/// objects.
#[test]
fn packed_histories_are_read_as_loose_ones() {
    let (repo, _, expected) = edited_history();
    repo.git(&[
        "repack",
        "-a",
        "-d",
        "-f",
        "-q",
        "--depth=50",
        "--window=50",
    ]);
    let (blobs, trees) = deltas_in_pack(&repo);
    assert!(blobs >= 5 && trees >= 5, "{blobs} blobs and {trees} trees");
    assert_eq!(audit(&repo), expected);
    let by_id = ["-c", "repack.useDeltaBaseOffset=false"];
    repo.git(&[&by_id[..], &["repack", "-a", "-d", "-f", "-q"]].concat());
    let (blobs, trees) = deltas_in_pack(&repo);
    assert!(blobs >= 5 && trees >= 5, "{blobs} blobs and {trees} trees");
    assert_eq!(audit(&repo), expected);
}

/// A `.gitleaksignore` entry names a line: a secret accepted there is reported in the commit
/// that moves it to another line, though that commit changed a line far from it.
#[test]
fn a_secret_moved_off_a_line_its_ignore_entry_names_is_reported_where_it_moved() {
    let mut g = Gen::new();
    let stripe = g.stripe_live();
    let repo = Repo::new();
    let path = "ops/notes.txt";
    let mut lines = filler(1, 301);
    lines[149] = format!("STRIPE_KEY = \"{stripe}\"");
    repo.write(path, lines.join("\n") + "\n");
    let first = repo.commit("notes");
    lines.insert(0, "a new first line".to_string());
    repo.write(path, lines.join("\n") + "\n");
    let moved = repo.commit("a line on top");
    repo.write(".gitleaksignore", format!("{path}:stripe-secret-key:150\n"));

    let audit = audit(&repo);
    let expected = vec![(
        "stripe-secret-key".to_string(),
        path.to_string(),
        151,
        moved.clone(),
        stripe,
    )];
    assert_eq!(audit, expected);
    assert_eq!(audit, first_seen_in_trees(&repo, &[first, moved]));
}
