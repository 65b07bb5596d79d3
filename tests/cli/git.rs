//! `leakhound git`: full-history audits, ranges and staged changes, on real repositories built
//! in temp dirs with the `git` command line, as a user's would be.

use std::process::Command as Git;

use serde_json::Value;

use crate::common::*;

fn commit_of(finding: &Value) -> (&str, &str, &str, &str) {
    let c = &finding["commit"];
    (
        c["id"].as_str().unwrap(),
        c["author"].as_str().unwrap(),
        c["email"].as_str().unwrap(),
        c["summary"].as_str().unwrap(),
    )
}

/// app.py: clean in commit 1, a Stripe key on line 3 in commit 2 (by Grace), other lines
/// edited in commit 3 while the key stays, the key removed in commit 4.
struct History {
    repo: Repo,
    commits: Vec<String>,
}

fn added_then_removed() -> History {
    let mut g = Gen::new();
    let key = g.stripe_live();
    let repo = Repo::new();
    repo.write("app.py", "import os\n\nprint('hi')\n");
    let c1 = repo.commit("start");
    repo.write(
        "app.py",
        format!("import os\n\nKEY = \"{key}\"\nprint('hi')\n"),
    );
    let c2 = repo.commit_as("add payments", "Grace Hopper", "grace@example.com");
    repo.write(
        "app.py",
        format!("import os\nimport sys\n\nKEY = \"{key}\"\nprint('hello')\n"),
    );
    let c3 = repo.commit("say hello");
    repo.write("app.py", "import os\nimport sys\n\nprint('hello')\n");
    let c4 = repo.commit("remove the key");
    History {
        repo,
        commits: vec![c1, c2, c3, c4],
    }
}

#[test]
fn a_removed_secret_is_reported_once_at_the_commit_that_added_it() {
    let h = added_then_removed();
    let (code, report, stderr) = h.repo.json(&["git"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(triples(&report), vec![t("stripe-secret-key", "app.py", 3)]);
    assert_eq!(
        commit_of(&report["findings"][0]),
        (
            h.commits[1].as_str(),
            "Grace Hopper",
            "grace@example.com",
            "add payments"
        )
    );
    let date = report["findings"][0]["commit"]["date"].as_str().unwrap();
    assert_eq!(date.len(), "2024-05-01T12:00:00+00:00".len(), "{date}");
    assert_eq!(report["summary"]["commits_scanned"], 4);
    // Four distinct versions of app.py, each scanned once.
    assert_eq!(report["summary"]["files_scanned"], 4);
}

#[test]
fn a_secret_only_on_a_side_branch_is_found() {
    let mut g = Gen::new();
    let key_id = g.aws_key_id();
    let repo = Repo::new();
    repo.write("README.md", "# demo\n");
    repo.commit("start");
    repo.git(&["checkout", "-q", "-b", "experiment"]);
    repo.write("deploy/aws.txt", format!("# creds\nid: {key_id}\n"));
    let side = repo.commit("try aws");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("README.md", "# demo\nmore\n");
    repo.commit("docs");

    let (code, report, stderr) = repo.json(&["git"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        triples(&report),
        vec![t("aws-access-key-id", "deploy/aws.txt", 2)]
    );
    assert_eq!(commit_of(&report["findings"][0]).0, side);
    assert_eq!(report["summary"]["commits_scanned"], 3);
}

#[test]
fn a_range_reports_only_what_its_commits_add() {
    let h = added_then_removed();
    let c = &h.commits;
    let after_removal = format!("{}..{}", c[3], c[3]);
    let (code, report, _) = h.repo.json(&["git", "--range", &after_removal]);
    assert_eq!((code, triples(&report)), (0, vec![]));

    let (code, report, _) = h.repo.json(&["git", "--range", &format!("{}..HEAD", c[2])]);
    assert_eq!((code, triples(&report)), (0, vec![]));
    assert_eq!(report["summary"]["commits_scanned"], 1);

    let adding = format!("{}..{}", c[0], c[1]);
    let (code, report, stderr) = h.repo.json(&["git", "--range", &adding]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(triples(&report), vec![t("stripe-secret-key", "app.py", 3)]);
    assert_eq!(commit_of(&report["findings"][0]).0, c[1]);

    // Commit 3 keeps the key but only adds other lines: the whole range reports it once.
    let (_, report, _) = h.repo.json(&["git", "--range", &format!("{}..HEAD", c[0])]);
    assert_eq!(triples(&report), vec![t("stripe-secret-key", "app.py", 3)]);
    assert_eq!(report["summary"]["commits_scanned"], 3);
}

#[test]
fn since_takes_the_commits_after_a_revision() {
    let h = added_then_removed();
    let (code, report, _) = h.repo.json(&["git", "--since", &h.commits[1]]);
    assert_eq!((code, triples(&report)), (0, vec![]));
    let (code, report, _) = h.repo.json(&["git", "--since", &h.commits[0]]);
    assert_eq!(code, 1);
    assert_eq!(triples(&report), vec![t("stripe-secret-key", "app.py", 3)]);
}

/// main gets a secret before and after `feature` branches off; feature adds its own and
/// merges main back in. `main..feature` is the feature's own work only.
#[test]
fn main_dot_dot_feature_reports_only_the_branchs_own_commits() {
    let mut g = Gen::new();
    let (old_main, new_main, feature) = (g.stripe_live(), g.stripe_live(), g.stripe_live());
    let repo = Repo::new();
    repo.write("main.py", format!("A = \"{old_main}\"\n"));
    repo.commit("main 1");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("feature.py", format!("# feature\nF = \"{feature}\"\n"));
    let own = repo.commit("feature work");
    repo.git(&["checkout", "-q", "main"]);
    repo.write(
        "main.py",
        format!("A = \"{old_main}\"\nB = \"{new_main}\"\n"),
    );
    repo.commit("main 2");
    repo.git(&["checkout", "-q", "feature"]);
    repo.git(&["merge", "-q", "--no-edit", "main"]);

    let (code, report, stderr) = repo.json(&["git", "--range", "main..feature"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        triples(&report),
        vec![t("stripe-secret-key", "feature.py", 2)]
    );
    assert_eq!(commit_of(&report["findings"][0]).0, own);
    assert_eq!(report["summary"]["commits_scanned"], 2);
}

/// A merge whose resolution writes a new secret (in no parent) reports it, at the merge.
#[test]
fn a_secret_written_while_resolving_a_merge_is_the_merges() {
    let mut g = Gen::new();
    let secret = g.stripe_live();
    let repo = Repo::new();
    repo.write("conf.py", "mode = 'base'\n");
    let base = repo.commit("base");
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.write("conf.py", "mode = 'topic'\n");
    repo.commit("topic");
    repo.git(&["checkout", "-q", "main"]);
    repo.write("conf.py", "mode = 'main'\n");
    repo.commit("main");
    let out = Git::new("git")
        .args(["merge", "-q", "topic"])
        .current_dir(repo.tree.path())
        .output()
        .unwrap();
    assert!(!out.status.success(), "the merge conflicts");
    repo.write("conf.py", format!("mode = 'both'\nkey = \"{secret}\"\n"));
    let merge = repo.commit("merge topic");

    let (code, report, stderr) = repo.json(&["git", "--range", &format!("{base}..HEAD")]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(triples(&report), vec![t("stripe-secret-key", "conf.py", 2)]);
    assert_eq!(commit_of(&report["findings"][0]).0, merge);
}

#[test]
fn a_renamed_file_does_not_raise_its_secret_again_in_a_range() {
    let mut g = Gen::new();
    let key = g.stripe_live();
    let repo = Repo::new();
    repo.write("old/settings.py", format!("import os\nKEY = \"{key}\"\n"));
    repo.commit("settings");
    repo.git(&["mv", "old", "new"]);
    repo.commit("move settings");
    let (code, report, stderr) = repo.json(&["git", "--range", "HEAD~1..HEAD"]);
    assert_eq!((code, triples(&report)), (0, vec![]), "{stderr}");

    // A later edit next to it adds lines, but not the key's.
    repo.write(
        "new/settings.py",
        format!("import os\nKEY = \"{key}\"\nDEBUG = False\n"),
    );
    repo.commit("debug off");
    let (code, report, _) = repo.json(&["git", "--range", "HEAD~2..HEAD"]);
    assert_eq!((code, triples(&report)), (0, vec![]));
}

#[test]
fn staged_reports_the_index_not_the_work_tree() {
    let mut g = Gen::new();
    let (committed, staged, unstaged) = (g.stripe_live(), g.stripe_live(), g.stripe_live());
    let repo = Repo::new();
    repo.write("app.py", format!("OLD = \"{committed}\"\n"));
    repo.commit("old key, accepted");
    repo.write(
        "app.py",
        format!("OLD = \"{committed}\"\nNEW = \"{staged}\"\n"),
    );
    repo.git(&["add", "app.py"]);
    repo.write(
        "app.py",
        format!("OLD = \"{committed}\"\nNEW = \"{staged}\"\nLATER = \"{unstaged}\"\n"),
    );
    repo.write("untracked.py", format!("X = \"{unstaged}\"\n"));

    let (code, report, stderr) = repo.json(&["git", "--staged"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(triples(&report), vec![t("stripe-secret-key", "app.py", 2)]);
    assert!(report["findings"][0].get("commit").is_none());
    assert_eq!(report["summary"]["commits_scanned"], 0);
    assert_eq!(report["summary"]["files_scanned"], 1);

    // Without a `git` command to name the staged paths, libgit2 diffs every folder: the
    // same finding.
    let out = (repo.tree.cmd(&["git", "--staged", "-f", "json"]))
        .env("PATH", "/nonexistent")
        .output()
        .unwrap();
    let (code, report, stderr) = parse(out);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(triples(&report), vec![t("stripe-secret-key", "app.py", 2)]);
}

/// `git commit -- b.py` commits b.py's work-tree content through a temporary index, named
/// to the hook in `GIT_INDEX_FILE`; `.git/index` does not hold it. The hook must read the
/// index git is committing, and must not report what that commit leaves out.
#[test]
fn a_partial_commit_is_checked_in_the_index_git_commits() {
    let mut g = Gen::new();
    let (left_out, committed) = (g.stripe_live(), g.stripe_live());
    let repo = Repo::new();
    repo.write("a.py", "A = 1\n").write("lib/b.py", "B = 1\n");
    repo.commit("start");
    repo.write("a.py", format!("A = \"{left_out}\"\n"));
    repo.git(&["add", "a.py"]);
    repo.write("lib/b.py", format!("B = 1\nKEY = \"{committed}\"\n"));
    let bin = assert_cmd::cargo::cargo_bin("leakhound");
    let report = repo.path().join("hook-report.json");
    let hook = repo.path().join(".git/hooks/pre-commit");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nexec '{}' git --staged -q -f json -o '{}'\n",
            bin.display(),
            report.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();

    let out = git_in(
        repo.path(),
        &["commit", "-q", "-m", "partial", "--", "lib/b.py"],
    );
    assert!(!out.status.success(), "the hook let the key through");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(
        triples(&report),
        vec![t("stripe-secret-key", "lib/b.py", 2)]
    );
    assert_eq!(report["summary"]["files_scanned"], 1);
    assert_eq!(repo.git(&["log", "--format=%s"]), "start");
}

#[test]
fn staged_works_before_the_first_commit() {
    let mut g = Gen::new();
    let key_id = g.aws_key_id();
    let repo = Repo::new();
    repo.write("src/cloud.py", format!("\n\nid = '{key_id}'\n"));
    repo.git(&["add", "."]);
    let (code, report, stderr) = repo.json(&["git", "--staged"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        triples(&report),
        vec![t("aws-access-key-id", "src/cloud.py", 3)]
    );
    let (code, report, stderr) = repo.json(&["git"]);
    assert_eq!((code, triples(&report)), (0, vec![]), "{stderr}");
}

/// The hook reads the index while the rules load on another thread: a broken config is still
/// the error it reports, before an unreadable index, which is the error once the config is
/// mended.
#[test]
fn staged_reports_a_broken_config_before_an_unreadable_index() {
    let repo = Repo::new();
    repo.write("a.py", "A = 1\n");
    repo.commit("start");
    repo.write("a.py", "A = 2\n");
    repo.git(&["add", "a.py"]);
    std::fs::write(repo.path().join(".git/index"), "not an index").unwrap();
    let broken = "[[rules]]\nid = \"acme\"\ndescription = \"x\"\nregex = '''(unclosed'''\n";
    repo.write(".leakhound.toml", broken);
    let out = repo.tree.cmd(&["git", "--staged"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(".leakhound.toml: rule \"acme\": invalid regex"),
        "{err}"
    );
    assert!(!err.contains("cannot read the index"), "{err}");

    repo.write(".leakhound.toml", "");
    let out = repo.tree.cmd(&["git", "--staged"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot read the index"), "{err}");
}

#[test]
fn a_shallow_clone_scans_what_it_has_and_says_history_is_cut() {
    let h = added_then_removed();
    // The key is still there two commits back; a depth-2 clone holds commits 3 and 4.
    let clone = Tree::new();
    let url = format!("file://{}", h.repo.tree.path().display());
    git_ok(
        clone.path(),
        &["clone", "-q", "--depth", "2", &url, "shallow"],
    );
    let out = leakhound()
        .current_dir(clone.join("shallow"))
        .args(["git", "--format", "json"])
        .output()
        .unwrap();
    let (code, report, stderr) = parse(out);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("shallow clone"), "{stderr}");
    // Commit 3 is the oldest one here: the key is attributed to it, at its line there.
    assert_eq!(triples(&report), vec![t("stripe-secret-key", "app.py", 4)]);
    assert_eq!(commit_of(&report["findings"][0]).0, h.commits[2]);
    assert_eq!(report["summary"]["commits_scanned"], 2);
}

#[test]
fn a_partial_clone_counts_each_blob_it_lacks_and_says_why() {
    let h = added_then_removed();
    h.repo.git(&["config", "uploadpack.allowFilter", "true"]);
    let clone = Tree::new();
    let url = format!("file://{}", h.repo.tree.path().display());
    git_ok(
        clone.path(),
        &[
            "clone",
            "-q",
            "--filter=blob:none",
            "--no-checkout",
            &url,
            "partial",
        ],
    );
    let blobs = git_ok(
        h.repo.path(),
        &["rev-list", "--objects", "--all", "--filter=blob:none"],
    );
    let all = git_ok(h.repo.path(), &["rev-list", "--objects", "--all"]);
    let missing = (all.lines().count() - blobs.lines().count()) as u64;
    assert!(missing >= 3, "{all}");
    let scan = |args: &[&str]| {
        let out = leakhound()
            .current_dir(clone.join("partial"))
            .args(args)
            .args(["--format", "json"])
            .output()
            .unwrap();
        parse(out)
    };
    // The full audit: every blob is missing, each is counted, and the exit status says the
    // scan is incomplete.
    let (code, report, stderr) = scan(&["git"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(
        report["summary"]["skipped"]["unreadable"], missing,
        "{stderr}"
    );
    assert_eq!(stderr.matches("partial clone:").count(), 1, "{stderr}");
    assert!(stderr.contains("clone without --filter"), "{stderr}");
    // A range: the files its last commit changes could not be diffed, and are counted too.
    let (code, report, stderr) = scan(&["git", "--range", "HEAD~1..HEAD"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(report["summary"]["skipped"]["unreadable"], 1, "{stderr}");
}

#[test]
fn a_submodule_is_counted_not_entered() {
    let mut g = Gen::new();
    let sub = Repo::new();
    sub.write("lib.py", format!("K = \"{}\"\n", g.stripe_live()));
    sub.commit("lib");
    let repo = Repo::new();
    repo.write("main.py", "print(1)\n");
    repo.commit("main");
    let url = format!("file://{}", sub.tree.path().display());
    repo.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        &url,
        "vendor/lib",
    ]);
    repo.commit("add lib");

    let (code, report, stderr) = repo.json(&["git", "-v"]);
    assert_eq!((code, triples(&report)), (0, vec![]), "{stderr}");
    assert!(
        stderr.contains("1 submodule(s) not entered (vendor/lib)"),
        "{stderr}"
    );
    let (code, _, stderr) = repo.json(&["git", "--range", "HEAD~1..HEAD", "-v"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("1 submodule(s) not entered (vendor/lib)"),
        "{stderr}"
    );
}

#[test]
fn a_folder_that_is_not_a_repository_exits_2() {
    let tree = Tree::new();
    tree.write("a.py", "x = 1\n");
    let out = tree.cmd(&["git"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a git repository"), "{stderr}");
}

#[test]
fn scan_and_git_give_the_same_fingerprint() {
    let mut g = Gen::new();
    let repo = Repo::new();
    repo.write(
        "config/app.env",
        format!("A=1\nSTRIPE={}\n", g.stripe_live()),
    );
    repo.commit("env");
    let (_, from_git, _) = repo.json(&["git"]);
    let (_, from_scan, _) = repo.json(&["scan"]);
    let fp = |r: &Value| {
        r["findings"][0]["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(fp(&from_git), fp(&from_scan));
    assert!(fp(&from_git).starts_with("stripe-secret-key:config/app.env:"));
}

#[test]
fn a_missing_object_is_named_and_the_rest_is_reported() {
    let mut g = Gen::new();
    let repo = Repo::new();
    repo.write("app.py", format!("\nK = \"{}\"\n", g.stripe_live()));
    repo.write("notes.txt", "nothing to see\n");
    repo.commit("two files");
    let blob = repo.git(&["rev-parse", "HEAD:notes.txt"]);
    let loose = repo
        .tree
        .join(&format!(".git/objects/{}/{}", &blob[..2], &blob[2..]));
    std::fs::remove_file(loose).expect("the blob is a loose object");

    let (code, report, stderr) = repo.json(&["git"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains(&blob), "{stderr}");
    assert!(stderr.contains("notes.txt"), "{stderr}");
    assert_eq!(triples(&report), vec![t("stripe-secret-key", "app.py", 2)]);
    assert_eq!(report["summary"]["skipped"]["unreadable"], 1);
}

#[test]
fn a_corrupt_object_is_named_and_the_rest_is_reported() {
    let mut g = Gen::new();
    let repo = Repo::new();
    repo.write("app.py", format!("\nK = \"{}\"\n", g.stripe_live()));
    repo.write("notes.txt", "nothing to see\n");
    repo.commit("two files");
    let blob = repo.git(&["rev-parse", "HEAD:notes.txt"]);
    let loose = repo
        .tree
        .join(&format!(".git/objects/{}/{}", &blob[..2], &blob[2..]));
    std::fs::remove_file(&loose).unwrap();
    std::fs::write(&loose, b"x\x9c not zlib at all").unwrap();

    let (code, report, stderr) = repo.json(&["git"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains(&format!("notes.txt: blob {blob}")),
        "{stderr}"
    );
    assert_eq!(triples(&report), vec![t("stripe-secret-key", "app.py", 2)]);
}

#[test]
fn binary_large_lfs_and_non_utf8_blobs() {
    use std::os::unix::ffi::OsStrExt;
    let mut g = Gen::new();
    let repo = Repo::new();
    repo.write("logo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".as_slice());
    repo.write(
        "big.txt",
        format!("K = \"{}\"\n{}", g.stripe_live(), "x".repeat(4000)),
    );
    repo.write(
        "assets/model.bin",
        format!(
            "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize 12345\n",
            g.chars(64, "0123456789abcdef")
        ),
    );
    let odd = std::ffi::OsStr::from_bytes(b"caf\xe9.py");
    std::fs::write(
        repo.tree.path().join(odd),
        format!("K = \"{}\"\n", g.stripe_live()),
    )
    .unwrap();
    repo.commit("assorted");

    let (code, report, stderr) = repo.json(&["git", "--max-file-size", "1000", "-v"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        triples(&report),
        vec![t("stripe-secret-key", "caf\u{fffd}.py", 1)]
    );
    let skipped = &report["summary"]["skipped"];
    assert_eq!(
        (skipped["binary"].as_u64(), skipped["too_large"].as_u64()),
        (Some(1), Some(1))
    );
    assert!(stderr.contains("1 Git LFS pointer"), "{stderr}");
    assert!(stderr.contains("big.txt"), "{stderr}");
}

#[test]
fn a_range_that_does_not_resolve_exits_2() {
    let repo = Repo::new();
    repo.write("a.py", "x = 1\n");
    repo.commit("one");
    for range in ["nope..HEAD", "HEAD"] {
        let out = repo.tree.cmd(&["git", "--range", range]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{range}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("range"), "{stderr}");
    }
}

/// A key pasted into a commit message stays in the history as long as any file: audits,
/// ranges and `ci` report it at `COMMIT_EDITMSG`, the message's line, and its commit. A
/// message is prose: a generic `password: …` in one is low confidence, shown only with
/// `--confidence low`.
#[test]
fn a_secret_in_a_commit_message_is_reported_at_its_commit_and_line() {
    let mut g = Gen::new();
    let (key, stripe) = (g.aws_key_id(), g.stripe_live());
    let repo = Repo::new();
    repo.commit_file("README.md", "# app\n", "init");
    repo.write("app.py", "print(1)\n");
    let keyed = repo.commit(&format!(
        "rotate the deploy credentials\n\nthe old key was {key}\nand the old Stripe key {stripe}\n"
    ));
    repo.write("app.py", "print(2)\n");
    let generic = repo.commit(&format!("config: password = \"hunter-{}\"\n", g.alnum(10)));

    let (code, audit, stderr) = repo.json(&["git", "."]);
    assert_eq!(code, 1, "{stderr}");
    let want = vec![
        t("aws-access-key-id", "COMMIT_EDITMSG", 3),
        t("stripe-secret-key", "COMMIT_EDITMSG", 4),
    ];
    assert_eq!(triples(&audit), want, "{audit:#}");
    let commits = each_finding(&audit, |f| field(&f["commit"], "id"));
    assert_eq!(commits, vec![keyed.clone(), keyed.clone()]);
    // A message is not a file: README.md and two versions of app.py.
    assert_eq!(audit["summary"]["files_scanned"], 3, "{audit:#}");
    assert_eq!(audit["summary"]["commits_scanned"], 3, "{audit:#}");
    assert!(!audit.to_string().contains(&key) && !audit.to_string().contains(&stripe));

    // The generic match is there, low, at the last commit's line 1.
    let (_, low, _) = repo.json(&["git", ".", "--confidence", "low"]);
    let generic_found: Vec<(String, String, String)> = each_finding(&low, |f| {
        (
            field(f, "rule_id"),
            field(f, "confidence"),
            field(&f["commit"], "id"),
        )
    })
    .into_iter()
    .filter(|f| !want.iter().any(|w| w.0 == f.0))
    .collect();
    assert_eq!(
        generic_found,
        vec![(
            "generic-password".to_string(),
            "low".to_string(),
            generic.clone()
        )],
        "{low:#}"
    );

    // A range holding the commit reports the message; one without it does not.
    let (code, range, _) = repo.json(&["git", ".", "--range", "HEAD~2..HEAD"]);
    assert_eq!((code, triples(&range)), (1, want.clone()));
    let (code, after, _) = repo.json(&["git", ".", "--range", "HEAD~1..HEAD"]);
    assert_eq!((code, triples(&after)), (0, vec![]));

    // Code scanning cannot open a message: the SARIF message names the commit and line.
    let doc = repo.tree.sarif(&["git", "."]);
    let text = doc["runs"][0]["results"][0]["message"]["text"]
        .as_str()
        .unwrap();
    let short = &keyed[..12];
    assert!(
        text.contains(&format!("(in the message of commit {short}, line 3)")),
        "{text}"
    );
    // The human report, which CI logs show, masks both.
    let out = repo.tree.cmd(&["git", "."]).output().unwrap();
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(human.contains("COMMIT_EDITMSG:3:"), "{human}");
    assert!(!human.contains(&key) && !human.contains(&stripe), "{human}");

    // A message over --max-file-size is counted and named, as a file would be.
    let (code, small, stderr) = repo.json(&["git", ".", "--max-file-size", "60", "-v"]);
    assert_eq!((code, triples(&small)), (0, vec![]), "{stderr}");
    assert_eq!(small["summary"]["skipped"]["too_large"], 1, "{stderr}");
    assert!(
        stderr.contains(&format!("COMMIT_EDITMSG of commit {keyed}: skipped")),
        "{stderr}"
    );

    // Allowlisting the path turns message scanning off.
    repo.write(
        ".leakhound.toml",
        "[allowlist]\npaths = ['''^COMMIT_EDITMSG$''']\n",
    );
    let (code, none, stderr) = repo.json(&["git", "."]);
    assert_eq!((code, triples(&none)), (0, vec![]), "{stderr}");
}

#[test]
fn a_commit_msg_hook_reads_the_message_git_keeps_not_the_verbose_diff() {
    let mut g = Gen::new();
    let (fixture, pasted) = (g.aws_key_id(), g.stripe_live());
    let repo = Repo::new();
    repo.write(
        ".leakhound.toml",
        "[allowlist]\npaths = ['''^fixtures/''']\n",
    );
    repo.commit("init");
    // The hook the pre-commit framework's leakhound-commit-msg runs: `leakhound scan FILE`.
    let bin = assert_cmd::cargo::cargo_bin("leakhound");
    let hook = repo.path().join(".git/hooks/commit-msg");
    let script = format!("#!/bin/sh\nexec '{}' scan \"$1\"\n", bin.display());
    std::fs::write(&hook, script).unwrap();
    let editor = repo.path().join(".git/editor.sh");
    // An editor that writes $MSG above what git put in the file (git's comments, the
    // scissors line and, with -v, the staged diff).
    let script = "#!/bin/sh\n{ printf '%s\\n' \"$MSG\"; cat \"$1\"; } > \"$1.new\" && mv \"$1.new\" \"$1\"\n";
    std::fs::write(&editor, script).unwrap();
    for file in [&hook, &editor] {
        std::fs::set_permissions(file, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
    }
    let commit_v = |message: &str| {
        Git::new("git")
            .args(["commit", "-v", "-q"])
            .current_dir(repo.path())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_EDITOR", &editor)
            .env("MSG", message)
            .output()
            .unwrap()
    };

    // An allowlisted fixture's key is in the verbose diff below the scissors: git drops it
    // from the message, and so does the hook.
    repo.write(
        "fixtures/keys.txt",
        format!("aws_access_key_id = {fixture}\n"),
    );
    repo.git(&["add", "-A"]);
    let out = commit_v("Add the test fixtures");
    let printed = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{printed}");
    let written = std::fs::read_to_string(repo.path().join(".git/COMMIT_EDITMSG")).unwrap();
    assert!(
        written.contains(">8") && written.contains(&fixture),
        "{written}"
    );
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]),
        "Add the test fixtures"
    );

    // A key pasted into the message itself is refused, at its line, the diff still not read.
    repo.write("fixtures/keys.txt", format!("# {fixture}\n"));
    repo.git(&["add", "-A"]);
    let out = commit_v(&format!("Rotate: the old key was {pasted}"));
    let printed = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!out.status.success(), "{printed}");
    assert!(
        printed.contains(".git/COMMIT_EDITMSG:1:25") && printed.contains("stripe-secret-key"),
        "{printed}"
    );
    assert!(printed.contains("1 finding(s)"), "{printed}");
    assert_redacted(&pasted, &[&printed]);
    assert_redacted(&fixture, &[&printed]);
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]),
        "Add the test fixtures"
    );
}

#[test]
fn tag_messages_and_the_trees_and_blobs_refs_name_are_audited() {
    let mut g = Gen::new();
    let (in_tag, in_blob, in_tree) = (g.aws_key_id(), g.stripe_live(), g.aws_key_id());
    let repo = Repo::new();
    repo.commit_file("README.md", "# app\n", "init");
    // An annotated tag's notes, and a second tag of the first (read once each).
    let notes = format!("Release 1.0\n\ndeploy with {in_tag}\n");
    repo.git(&["tag", "-a", "v1.0", "-m", &notes]);
    repo.git(&["tag", "-a", "v1.0-final", "v1.0", "-m", "same release"]);
    let tag = repo.git(&["rev-parse", "v1.0"]);
    // A tag of a blob that no commit holds.
    repo.write("key.txt", format!("STRIPE_KEY={in_blob}\n"));
    let blob = repo.git(&["hash-object", "-w", "key.txt"]);
    std::fs::remove_file(repo.path().join("key.txt")).unwrap();
    repo.git(&["tag", "-a", "keyfile", &blob, "-m", "the key file"]);
    let blob_tag = repo.git(&["rev-parse", "keyfile"]);
    // A ref to a tree that no commit holds (a snapshot written with write-tree).
    repo.write("conf/app.ini", format!("[aws]\nkey_id = {in_tree}\n"));
    repo.git(&["add", "conf/app.ini"]);
    let tree = repo.git(&["write-tree"]);
    repo.git(&["update-ref", "refs/snapshots/conf", &tree]);
    repo.git(&["rm", "-q", "--cached", "conf/app.ini"]);
    std::fs::remove_dir_all(repo.path().join("conf")).unwrap();

    let (code, audit, stderr) = repo.json(&["git", "."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        with_commits(&audit),
        vec![
            (
                "aws-access-key-id".into(),
                "TAG_EDITMSG".into(),
                3,
                tag.clone()
            ),
            (
                "aws-access-key-id".into(),
                "conf/app.ini".into(),
                2,
                tree.clone()
            ),
            (
                "stripe-secret-key".into(),
                "refs/tags/keyfile".into(),
                1,
                blob_tag
            ),
        ],
        "{audit:#}"
    );
    let tagged = &audit["findings"][0]["commit"];
    assert_eq!(field(tagged, "author"), "Ada Lovelace");
    assert_eq!(field(tagged, "summary"), "Release 1.0");
    assert_eq!(
        field(&audit["findings"][1]["commit"], "summary"),
        "refs/snapshots/conf"
    );
    // Tags are not commits; the blob and the tree's file are files.
    assert_eq!(audit["summary"]["commits_scanned"], 1, "{audit:#}");
    assert_eq!(audit["summary"]["files_scanned"], 3, "{audit:#}");
    let printed = audit.to_string();
    assert_redacted(&in_tag, &[&printed, &stderr]);
    assert_redacted(&in_blob, &[&printed]);
    assert_redacted(&in_tree, &[&printed]);

    // SARIF names the tag.
    let doc = repo.tree.sarif(&["git", "."]);
    let messages: Vec<String> = (doc["runs"][0]["results"].as_array().unwrap().iter())
        .map(|r| r["message"]["text"].as_str().unwrap().to_string())
        .collect();
    // A tagger's name is the repository's text: no raw control byte reaches the CI log.
    repo.git(&[
        "-c",
        "user.name=evil\x1b[31m",
        "tag",
        "-a",
        "v2",
        "-m",
        &format!("Release 2.0\n\ndeploy with {}\n", g.aws_key_id()),
    ]);
    let out = repo
        .tree
        .cmd(&["git", ".", "-f", "github"])
        .output()
        .unwrap();
    let log = text(&out.stdout);
    assert!(log.contains("by evil\\u{1b}[31m on"), "{log}");
    // A ref to a tree has no author or date: none are shown, empty.
    assert!(
        log.contains(&format!("introduced in {}\n", &tree[..12])),
        "{log}"
    );
    assert!(!log.contains("by  on"), "{log}");
    let out = repo.tree.cmd(&["git", "."]).output().unwrap();
    let human = text(&out.stdout);
    let line = format!("commit: {} refs/snapshots/conf\n", &tree[..12]);
    assert!(human.contains(&line), "{human}");
    assert!(!human.contains("<>"), "{human}");
    assert!(
        !log.bytes().any(|b| b.is_ascii_control() && b != b'\n'),
        "{log:?}"
    );
    let note = format!("(in the message of tag {}, line 3)", &tag[..12]);
    assert_eq!(
        messages.iter().filter(|m| m.contains(&note)).count(),
        1,
        "{messages:?}"
    );
}

/// A commit's author and first paragraph are the repository's text, at any length: a report
/// keeps 256 characters of each, cut at a word, so a megabyte first line is not copied into
/// every finding and a token across the cut is not shown in part.
#[test]
fn huge_authors_and_summaries_are_clipped_at_a_word() {
    let mut g = Gen::new();
    let (key, token) = (g.aws_key_id(), g.stripe_live());
    let repo = Repo::new();
    // 248 characters of words, then a token that crosses the 256th, then a megabyte.
    let words = "fix ".repeat(62);
    let message = format!("{words}{token} {}\n\nbody\n", "more words ".repeat(100_000));
    repo.write("message.txt", &message);
    repo.write("app.env", format!("AWS_ACCESS_KEY_ID={key}\n"));
    repo.git(&["add", "app.env"]);
    let name = "Ada ".repeat(5_000);
    repo.git(&[
        "-c",
        &format!("user.name={name}"),
        "commit",
        "-q",
        "-F",
        "message.txt",
    ]);
    std::fs::remove_file(repo.path().join("message.txt")).unwrap();

    let (code, audit, stderr) = repo.json(&["git", ".", "--no-redact"]);
    assert_eq!(code, 1, "{stderr}");
    let mut found: Vec<(String, String)> =
        each_finding(&audit, |f| (field(f, "rule_id"), field(f, "path")));
    found.sort();
    // The token is in the message too: found there, and not shown in the summary.
    assert_eq!(
        found,
        vec![
            ("aws-access-key-id".into(), "app.env".into()),
            ("stripe-secret-key".into(), "COMMIT_EDITMSG".into()),
        ],
        "{audit:#}"
    );
    let commit = &audit["findings"][0]["commit"];
    assert_eq!(field(commit, "summary"), format!("{}…", words.trim_end()));
    assert_eq!(
        field(commit, "author"),
        format!("{}…", "Ada ".repeat(64).trim_end())
    );
    // Every report stays small: the megabyte is in none of them.
    let printed = audit.to_string();
    assert!(printed.len() < 10_000, "{} bytes", printed.len());
    for format in ["human", "github"] {
        let out = repo.tree.cmd(&["git", ".", "-f", format]).output().unwrap();
        assert!(
            out.stdout.len() < 10_000,
            "{format}: {} bytes",
            out.stdout.len()
        );
        assert!(!text(&out.stdout).contains(&token[..12]), "{format}");
    }
}

/// `(rule, path, line, commit id)` of every finding, sorted.
fn with_commits(report: &Value) -> Vec<(String, String, u64, String)> {
    let mut all = each_finding(report, |f| {
        (
            field(f, "rule_id"),
            field(f, "path"),
            f["line"].as_u64().unwrap(),
            field(&f["commit"], "id"),
        )
    });
    all.sort();
    all
}
