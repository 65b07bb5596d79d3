//! How users meet leakhound: `leakhound ci` in a simulated GitHub Actions job, the action's
//! own shell steps, the real `pre-commit` framework, `install-hook` with a real `git commit`,
//! and baselines.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output};

use serde_json::{Value, json};

use crate::common::*;
use crate::sarif::assert_valid_sarif;

/// The folder holding the built binary, to put first on PATH.
fn bin_dir() -> PathBuf {
    let bin = assert_cmd::cargo::cargo_bin("leakhound");
    bin.parent().unwrap().to_path_buf()
}

fn path_with_bin() -> String {
    format!(
        "{}:{}",
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// main: an old secret; feature (the pull request): one new secret; main moves on after the
/// branch point with another secret that the pull request does not add.
struct PullRequest {
    repo: Repo,
    base: String,
    head: String,
    pr_secret: String,
    old_secret: String,
    main_secret: String,
}

fn pull_request() -> PullRequest {
    let mut g = Gen::new();
    let (old_secret, pr_secret, main_secret) = (g.stripe_live(), g.aws_key_id(), g.stripe_live());
    let repo = Repo::new();
    repo.commit_file("old.env", &format!("STRIPE={old_secret}\n"), "old secret");
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.commit_file("README.md", "docs\n", "docs");
    let pr_file = format!("import os\n\nkey = \"{pr_secret}\"\n");
    let head = repo.commit_file("app/settings.py", &pr_file, "add settings");
    repo.git(&["checkout", "-q", "main"]);
    let base = repo.commit_file("main.env", &format!("STRIPE={main_secret}\n"), "main moves");
    repo.git(&["checkout", "-q", "feature"]);
    PullRequest {
        repo,
        base,
        head,
        pr_secret,
        old_secret,
        main_secret,
    }
}

/// A simulated Actions job: event file, step summary, output files, env.
struct Job {
    dir: Tree,
    env: HashMap<String, String>,
}

impl Job {
    fn new(event_name: &str, event: &Value, workspace: &Path, sha: &str) -> Job {
        let dir = Tree::new();
        dir.write("event.json", event.to_string());
        dir.write("summary.md", "");
        dir.write("output.txt", "");
        let env = HashMap::from([
            ("GITHUB_ACTIONS", "true".to_string()),
            ("GITHUB_EVENT_NAME", event_name.to_string()),
            (
                "GITHUB_EVENT_PATH",
                dir.join("event.json").display().to_string(),
            ),
            ("GITHUB_WORKSPACE", workspace.display().to_string()),
            ("GITHUB_SHA", sha.to_string()),
            (
                "GITHUB_STEP_SUMMARY",
                dir.join("summary.md").display().to_string(),
            ),
            (
                "GITHUB_OUTPUT",
                dir.join("output.txt").display().to_string(),
            ),
            ("HOME", dir.path().display().to_string()),
            ("PATH", path_with_bin()),
        ]);
        let env = env.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        Job { dir, env }
    }

    fn pull_request(pr: &PullRequest) -> Job {
        let event = json!({"pull_request": {"number": 7,
            "base": {"sha": pr.base, "ref": "main"}, "head": {"sha": pr.head, "ref": "feature"}}});
        Job::new("pull_request", &event, pr.repo.path(), &pr.head)
    }

    fn leakhound(&self, args: &[&str]) -> Output {
        let mut cmd = leakhound();
        cmd.current_dir(self.dir.path()).args(args).envs(&self.env);
        cmd.output().unwrap()
    }

    fn sarif(&self, name: &str) -> Value {
        let text = std::fs::read_to_string(self.dir.join(name)).expect("SARIF written");
        serde_json::from_str(&text).unwrap()
    }

    fn summary(&self) -> String {
        std::fs::read_to_string(self.dir.join("summary.md")).unwrap()
    }
}

#[test]
fn ci_on_a_pull_request_scans_only_its_commits() {
    let pr = pull_request();
    let job = Job::pull_request(&pr);
    let out = job.leakhound(&["ci"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    let annotations: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        annotations,
        vec![format!(
            "::error file=app/settings.py,line=3,col=8,endLine=3,endColumn=28,\
             title=leakhound%3A aws-access-key-id::AWS access key ID: {}…%0Aintroduced in {} \
             by Ada Lovelace on {}",
            &pr.pr_secret[..4],
            &pr.head[..12],
            annotations[0].rsplit(" on ").next().unwrap()
        )]
    );
    let sarif = job.sarif("leakhound.sarif");
    assert_valid_sarif(&sarif);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["ruleId"], "aws-access-key-id");
    assert_eq!(results[0]["properties"]["commit"], pr.head.as_str());
    let summary = job.summary();
    let row = format!(
        "| app/settings.py | 3 | `aws-access-key-id` | `{}` | Ada Lovelace |",
        &pr.head[..12]
    );
    assert!(summary.contains(&row), "{summary}");
    assert!(summary.contains("1 secret(s) found"), "{summary}");
    assert!(
        stderr.contains("the commits this pull request adds"),
        "{stderr}"
    );
    let all = format!("{stdout}{stderr}{summary}{sarif}");
    for secret in [&pr.pr_secret, &pr.old_secret, &pr.main_secret] {
        assert_redacted(secret, &[&all]);
    }
}

#[test]
fn ci_on_a_clean_pull_request_exits_0_and_says_so() {
    let repo = Repo::new();
    let base = repo.commit_file("a.txt", "one\n", "one");
    let head = repo.commit_file("b.txt", "two\n", "two");
    let event = json!({"pull_request": {"base": {"sha": base}, "head": {"sha": head}}});
    let job = Job::new("pull_request_target", &event, repo.path(), &head);
    let out = job.leakhound(&["ci", "--sarif", "clean.sarif"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    assert_valid_sarif(&job.sarif("clean.sarif"));
    assert!(
        job.summary()
            .contains("No secrets found in the commits this pull request adds")
    );
}

#[test]
fn ci_on_a_push_scans_before_to_after_and_a_new_branch_in_full() {
    let pr = pull_request();
    let before = pr.repo.git(&["rev-parse", "HEAD~1"]);
    let event = json!({"before": before, "after": pr.head});
    let job = Job::new("push", &event, pr.repo.path(), &pr.head);
    let out = job.leakhound(&["ci"]);
    assert_eq!(out.status.code(), Some(1));
    let results = job.sarif("leakhound.sarif")["runs"][0]["results"].clone();
    assert_eq!(results.as_array().unwrap().len(), 1, "{results:#}");

    let zeros = "0".repeat(40);
    let event = json!({"before": zeros, "after": pr.head});
    let job = Job::new("push", &event, pr.repo.path(), &pr.head);
    let out = job.leakhound(&["ci"]);
    assert_eq!(out.status.code(), Some(1));
    let sarif = job.sarif("leakhound.sarif");
    let uris: Vec<String> = (sarif_results(&sarif).into_iter())
        .map(|(_, uri, _)| uri)
        .collect();
    assert_eq!(uris, vec!["app/settings.py", "main.env", "old.env"]);
}

#[test]
fn ci_on_a_schedule_audits_the_whole_history() {
    let pr = pull_request();
    let job = Job::new("schedule", &json!({}), pr.repo.path(), &pr.head);
    let out = job.leakhound(&["ci", "--sarif", "audit.sarif"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout).lines().count(), 3);
    assert!(
        job.summary()
            .contains("**3 secret(s) found** in the whole history.")
    );
}

#[test]
fn ci_in_a_shallow_checkout_says_to_fetch_the_history() {
    let pr = pull_request();
    let shallow = Tree::new();
    let url = format!("file://{}", pr.repo.path().display());
    let dest = shallow.join("checkout");
    let out = git_in(
        shallow.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "-b",
            "feature",
            &url,
            dest.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let event = json!({"pull_request": {"base": {"sha": pr.base}, "head": {"sha": pr.head}}});
    let job = Job::new("pull_request", &event, &dest, &pr.head);
    let out = job.leakhound(&["ci"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("fetch-depth: 0"), "{stderr}");
    assert!(stderr.contains(&pr.base), "{stderr}");
}

#[test]
fn ci_outside_actions_is_a_usage_error() {
    let tree = Tree::new();
    let out = tree
        .cmd(&["ci"])
        .env_remove("GITHUB_EVENT_NAME")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("GITHUB_EVENT_NAME"));
}

#[test]
fn ci_on_a_pushed_annotated_tag_audits_the_history_and_the_tag_message() {
    // `on: push` runs for tags too; for an annotated tag `after` is the tag object.
    let repo = Repo::new();
    let key = Gen::new().aws_key_id();
    let head = repo.commit_file("app.py", "print(1)\n", "init");
    let notes = format!("Release 1.0\n\ndeploy key {key}\n");
    repo.git(&["tag", "-a", "v1.0", "-m", &notes]);
    let tag = repo.git(&["rev-parse", "v1.0"]);
    assert_ne!(tag, head);
    let zeros = "0".repeat(40);
    let event = json!({"ref": "refs/tags/v1.0", "before": zeros, "after": tag});
    let job = Job::new("push", &event, repo.path(), &head);
    let out = job.leakhound(&["ci"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("the whole history (a new tag)"), "{stderr}");
    let sarif = job.sarif("leakhound.sarif");
    assert_valid_sarif(&sarif);
    assert_eq!(
        sarif_results(&sarif),
        vec![("aws-access-key-id".into(), "TAG_EDITMSG".into(), 3)]
    );
    let note = format!("in the message of tag {}, line 3", &tag[..12]);
    assert!(stdout.contains(&note), "{stdout}");
    assert_redacted(
        &key,
        &[&stdout, &stderr, &job.summary(), &sarif.to_string()],
    );

    // A lightweight tag's `after` is the commit itself: the same scope.
    repo.git(&["tag", "light"]);
    let event = json!({"ref": "refs/tags/light", "before": zeros, "after": head});
    let job = Job::new("push", &event, repo.path(), &head);
    let out = job.leakhound(&["ci"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
}

#[test]
fn install_hook_blocks_a_commit_that_adds_a_secret() {
    let repo = Repo::new();
    repo.commit_file("README.md", "hello\n", "first");
    let out = leakhound()
        .args(["install-hook"])
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let hook = repo.path().join(".git/hooks/pre-commit");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&hook).unwrap().permissions());
    assert_eq!(mode & 0o111, 0o111, "executable");

    let secret = Gen::new().stripe_live();
    repo.tree.write("pay.env", format!("STRIPE_KEY={secret}\n"));
    repo.git(&["add", "pay.env"]);
    let out = commit_with_path(repo.path(), "add key");
    assert_refused(&out, "pay.env:1:12", "stripe-secret-key", &secret);
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]), "1");

    repo.tree.write("pay.env", "STRIPE_KEY=${STRIPE_KEY}\n");
    repo.git(&["add", "pay.env"]);
    let out = commit_with_path(repo.path(), "read key from env");
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = leakhound()
        .args(["install-hook"])
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--force"));
    let out = leakhound()
        .args(["install-hook", "--force"])
        .current_dir(repo.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn install_hook_commit_msg_refuses_a_key_in_the_message() {
    let repo = Repo::new();
    repo.commit_file("README.md", "hello\n", "first");
    // A commit-msg hook of the user's own is kept: nothing is written, not even pre-commit.
    let own = repo.path().join(".git/hooks/commit-msg");
    std::fs::write(&own, "#!/bin/sh\nexit 0\n").unwrap();
    let install = |args: &[&str]| {
        let out = leakhound()
            .arg("install-hook")
            .args(args)
            .current_dir(repo.path())
            .output()
            .unwrap();
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    let (code, _, stderr) = install(&["--commit-msg"]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("commit-msg already exists") && stderr.contains("leakhound scan \"$1\""),
        "{stderr}"
    );
    assert!(!repo.path().join(".git/hooks/pre-commit").exists());
    let (code, stdout, stderr) = install(&["--commit-msg", "--force"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
    assert!(stdout.contains("commit-msg: commits whose message holds a secret are refused"));

    let key = Gen::new().aws_key_id();
    repo.tree.write("app.py", "print(1)\n");
    repo.git(&["add", "app.py"]);
    let out = commit_with_path(repo.path(), &format!("rotate\n\nthe old key was {key}"));
    assert_refused(&out, ".git/COMMIT_EDITMSG:3:17", "aws-access-key-id", &key);
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]), "1");
    let out = commit_with_path(repo.path(), "add app");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(repo.git(&["rev-list", "--count", "HEAD"]), "2");
}

/// A hook refused the commit, printing the finding's place and rule, the secret masked.
fn assert_refused(out: &Output, at: &str, rule: &str, secret: &str) {
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!out.status.success(), "the commit went through: {all}");
    assert!(all.contains(at) && all.contains(rule), "{all}");
    assert_redacted(secret, &[&all]);
}

/// `git commit` with a PATH that has no leakhound: the hook falls back to the binary that
/// installed it.
fn commit_with_path(dir: &Path, message: &str) -> Output {
    Process::new("git")
        .args(["commit", "-q", "-m", message])
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1")
        .env("PATH", "/usr/bin:/bin:/usr/local/bin")
        .output()
        .unwrap()
}

#[test]
fn a_baseline_accepts_todays_findings_and_a_new_secret_still_fails() {
    let mut g = Gen::new();
    let (a, b, c) = (g.aws_key_id(), g.stripe_live(), g.stripe_live());
    let tree = Tree::new();
    tree.write("src/aws.py", format!("key = \"{a}\"\n"));
    tree.write("pay.env", format!("STRIPE={b}\n"));
    let out = tree.cmd(&["baseline", "scan"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let ignore = std::fs::read_to_string(tree.join(".leakhoundignore")).unwrap();
    let entries: Vec<&str> = ignore.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(entries.len(), 2, "{ignore}");
    assert!(
        entries[0].starts_with("aws-access-key-id:src/aws.py:"),
        "{ignore}"
    );
    assert!(
        entries[0].contains("# aws-access-key-id, src/aws.py:1, 20"),
        "{ignore}"
    );
    assert_redacted(&a, &[&ignore]);

    let (code, report, _) = tree.json(&["scan"]);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["suppressed"], 2);

    tree.write("more.env", format!("STRIPE={c}\n"));
    let (code, report, _) = tree.json(&["scan"]);
    assert_eq!(code, 1);
    assert_eq!(
        triples(&report),
        vec![t("stripe-secret-key", "more.env", 1)]
    );

    std::fs::remove_file(tree.join("pay.env")).unwrap();
    std::fs::remove_file(tree.join("more.env")).unwrap();
    let out = tree.cmd(&["scan", "-v"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("baseline entry stripe-secret-key:pay.env:") && stderr.contains("stale"),
        "{stderr}"
    );
    assert!(!stderr.contains("entry aws-access-key-id"), "{stderr}");

    // Refreshing the baseline keeps the entry still in use and drops the stale one.
    let out = tree.cmd(&["baseline", "scan"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let again = std::fs::read_to_string(tree.join(".leakhoundignore")).unwrap();
    let entries: Vec<&str> = again.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        entries,
        vec![ignore.lines().find(|l| l.starts_with("aws")).unwrap()]
    );
}

#[test]
fn a_json_report_or_a_baseline_file_works_as_baseline_and_git_history_too() {
    let pr = pull_request();
    let dir = Tree::new();
    let report = dir.join("report.json");
    let out = leakhound()
        .args(["git", "-f", "json", "-o", report.to_str().unwrap()])
        .current_dir(pr.repo.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let (code, json, _) = parse(
        leakhound()
            .args(["git", "-f", "json", "--baseline", report.to_str().unwrap()])
            .current_dir(pr.repo.path())
            .output()
            .unwrap(),
    );
    assert_eq!(code, 0);
    assert_eq!(json["summary"]["suppressed"], 3);

    let file = dir.join("history.baseline");
    let out = leakhound()
        .args(["baseline", "git", "-o", file.to_str().unwrap()])
        .current_dir(pr.repo.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let baseline = std::fs::read_to_string(&file).unwrap();
    assert!(
        baseline.contains(&format!("commit {}", &pr.head[..12])),
        "{baseline}"
    );
    let out = leakhound()
        .args(["git", "--baseline", file.to_str().unwrap()])
        .current_dir(pr.repo.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
}

/// The repository's own files (action.yml, .pre-commit-hooks.yaml).
fn source_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load_yaml(name: &str) -> saphyr::Yaml<'static> {
    use saphyr::LoadableYamlNode;
    let text = std::fs::read_to_string(source_dir().join(name)).unwrap();
    let text: &'static str = Box::leak(text.into_boxed_str());
    saphyr::Yaml::load_from_str(text).unwrap().remove(0)
}

fn yaml_str<'a>(node: &'a saphyr::Yaml, key: &str) -> Option<&'a str> {
    node.as_mapping_get(key).and_then(|v| v.as_str())
}

/// One step of the composite action, as the test runs it.
struct Step<'a> {
    id: Option<&'a str>,
    run: &'a str,
    env: Vec<(&'a str, &'a str)>,
}

fn action_steps<'a>(action: &'a saphyr::Yaml<'static>) -> Vec<&'a saphyr::Yaml<'static>> {
    action["runs"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .collect()
}

#[test]
fn action_yml_is_a_composite_action_with_the_documented_inputs() {
    let action = load_yaml("action.yml");
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    let inputs = &action["inputs"];
    for (name, default) in [
        ("version", ""),
        ("config", ""),
        ("args", ""),
        ("upload-sarif", "true"),
        ("fail-on-findings", "true"),
        ("sarif", "leakhound.sarif"),
    ] {
        assert_eq!(
            yaml_str(&inputs[name], "default"),
            Some(default),
            "input {name}"
        );
        assert!(
            yaml_str(&inputs[name], "description").is_some(),
            "input {name}"
        );
    }
    let steps = action_steps(&action);
    let uses: Vec<&str> = steps.iter().filter_map(|s| yaml_str(s, "uses")).collect();
    // Pinned by full commit: a tag can be moved to other code.
    let actions: Vec<&str> = uses
        .iter()
        .filter_map(|u| u.split_once('@'))
        .map(|(a, _)| a)
        .collect();
    assert_eq!(
        actions,
        ["actions/cache", "github/codeql-action/upload-sarif"]
    );
    assert!(
        uses.iter()
            .all(|u| u.split_once('@').unwrap().1.len() == 40),
        "{uses:?}"
    );
    let upload = steps
        .iter()
        .find(|s| yaml_str(s, "uses").is_some_and(|u| u.contains("upload-sarif")))
        .unwrap();
    assert!(
        yaml_str(upload, "if")
            .unwrap()
            .contains("inputs.upload-sarif == 'true'")
    );
    let install = steps
        .iter()
        .find(|s| yaml_str(s, "name") == Some("Install leakhound"))
        .unwrap();
    assert_eq!(
        yaml_str(install, "run"),
        Some(r#"bash "$GITHUB_ACTION_PATH/scripts/action-install.sh" install"#)
    );
    for step in steps.iter().filter(|s| yaml_str(s, "run").is_some()) {
        assert_eq!(yaml_str(step, "shell"), Some("bash"));
        // Inputs reach scripts through env, never spliced into the script text.
        assert!(!yaml_str(step, "run").unwrap().contains("${{"));
    }
}

/// Runs the action's shell steps as the runner would (bash -e -o pipefail, the step's env
/// with its `${{ }}` expressions evaluated), except installing, caching and uploading: the
/// built binary is on PATH. Returns each step's output and exit code.
fn run_action(job: &Job, overrides: &[(&str, &str)]) -> Vec<(Option<String>, i32, String)> {
    let action = load_yaml("action.yml");
    let mut inputs: HashMap<String, String> = action["inputs"]
        .as_mapping()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let default = yaml_str(v, "default").unwrap_or("");
            (k.as_str().unwrap().to_string(), default.to_string())
        })
        .collect();
    for (k, v) in overrides {
        inputs.insert(k.to_string(), v.to_string());
    }
    let mut outputs: HashMap<String, HashMap<String, String>> = HashMap::new();
    let mut ran = Vec::new();
    for node in action_steps(&action) {
        let Some(step) = shell_step(node) else {
            continue;
        };
        let env: Vec<(String, String)> = step
            .env
            .iter()
            .map(|(k, v)| (k.to_string(), evaluate(v, &inputs, &outputs)))
            .collect();
        let script = job.dir.join("step.sh");
        std::fs::write(&script, step.run).unwrap();
        std::fs::write(job.dir.join("output.txt"), "").unwrap();
        let out = Process::new("bash")
            .args(["--noprofile", "--norc", "-e", "-o", "pipefail"])
            .arg(&script)
            .current_dir(job.dir.path())
            .env_clear()
            .envs(&job.env)
            .envs(env)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        if let Some(id) = step.id {
            outputs.insert(id.to_string(), read_outputs(&job.dir.join("output.txt")));
        }
        let printed = format!("{}{}", text(&out.stdout), text(&out.stderr));
        ran.push((
            step.id.map(String::from),
            out.status.code().unwrap(),
            printed,
        ));
    }
    ran
}

/// A `run:` step that is not an install step (tests/cli/install.rs runs those).
fn shell_step<'a>(node: &'a saphyr::Yaml<'static>) -> Option<Step<'a>> {
    let run = yaml_str(node, "run")?;
    if run.contains("action-install.sh") {
        return None;
    }
    let env = node
        .as_mapping_get("env")
        .and_then(|e| e.as_mapping())
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.as_str().unwrap(), v.as_str().unwrap()))
                .collect()
        })
        .unwrap_or_default();
    Some(Step {
        id: yaml_str(node, "id"),
        run,
        env,
    })
}

/// `${{ inputs.NAME }}` and `${{ steps.ID.outputs.NAME }}`: all the action's env uses.
fn evaluate(
    value: &str,
    inputs: &HashMap<String, String>,
    outputs: &HashMap<String, HashMap<String, String>>,
) -> String {
    let Some(expr) = value
        .trim()
        .strip_prefix("${{")
        .and_then(|v| v.strip_suffix("}}"))
    else {
        return value.to_string();
    };
    let parts: Vec<&str> = expr.trim().split('.').collect();
    match parts.as_slice() {
        ["inputs", name] => inputs[*name].clone(),
        ["steps", id, "outputs", name] => outputs
            .get(*id)
            .and_then(|o| o.get(*name))
            .cloned()
            .unwrap_or_default(),
        _ => panic!("the test cannot evaluate {value}"),
    }
}

fn read_outputs(path: &Path) -> HashMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_actions_steps_annotate_write_sarif_and_summary_and_fail_the_job() {
    let pr = pull_request();
    let job = Job::pull_request(&pr);
    let steps = run_action(&job, &[]);
    assert_eq!(steps.len(), 2, "scan and decide");
    let (id, code, printed) = &steps[0];
    assert_eq!((id.as_deref(), *code), (Some("scan"), 0), "{printed}");
    let annotation = "::error file=app/settings.py,line=3,col=8,endLine=3,endColumn=28,\
                      title=leakhound%3A aws-access-key-id::";
    assert!(printed.contains(annotation), "{printed}");
    assert_eq!(printed.matches("::error file=").count(), 1, "{printed}");
    let sarif = job.sarif("leakhound.sarif");
    assert_valid_sarif(&sarif);
    assert_eq!(sarif["runs"][0]["results"].as_array().unwrap().len(), 1);
    assert!(
        job.summary()
            .contains("| app/settings.py | 3 | `aws-access-key-id` |")
    );
    let (_, code, printed) = &steps[1];
    assert_eq!(*code, 1, "findings fail the job: {printed}");
    assert!(printed.contains("::error title=leakhound::secrets found"));
    assert_redacted(&pr.pr_secret, &[&steps[0].2, &job.summary()]);

    let job = Job::pull_request(&pr);
    let steps = run_action(
        &job,
        &[
            ("fail-on-findings", "false"),
            ("sarif", "custom.sarif"),
            ("args", "-q"),
        ],
    );
    assert_eq!(steps[1].1, 0, "{}", steps[1].2);
    assert_valid_sarif(&job.sarif("custom.sarif"));
}

#[test]
fn the_action_fails_the_job_when_the_scan_cannot_complete() {
    let repo = Repo::new();
    let head = repo.commit_file("a.txt", "a\n", "a");
    let missing = "1234567890123456789012345678901234567890";
    let event = json!({"pull_request": {"base": {"sha": missing}, "head": {"sha": head}}});
    let job = Job::new("pull_request", &event, repo.path(), &head);
    let steps = run_action(&job, &[("fail-on-findings", "false")]);
    assert!(steps[0].2.contains("fetch-depth: 0"), "{}", steps[0].2);
    assert_eq!(steps[1].1, 2, "{}", steps[1].2);
}

/// A virtualenv under `target/` with the `pre-commit` framework from PyPI, made once per
/// checkout by scripts/make-venv.py (no system pip needed); its `bin` folder.
fn pre_commit_venv() -> PathBuf {
    let python = Process::new("python3").arg("--version").output();
    assert!(
        python.is_ok_and(|o| o.status.success()),
        "python3 is not on PATH: the pre-commit test makes its own virtualenv with it \
         (Debian/Ubuntu: apt-get install python3)"
    );
    let out = Process::new("python3")
        .arg(source_dir().join("scripts/make-venv.py"))
        .arg(source_dir().join("target/pre-commit-venv"))
        .arg("pre-commit")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "could not make the pre-commit virtualenv: {}",
        text(&out.stderr)
    );
    PathBuf::from(text(&out.stdout).trim())
}

/// Runs the real `pre-commit` framework. Its `language: rust` builds this repository with
/// `cargo install`; the build goes to a persistent target dir under `target/` with a fast
/// release profile, so it compiles once per checkout rather than once per run.
fn pre_commit(bin: &Path, dir: &Path, args: &[&str]) -> Output {
    let target = source_dir().join("target/pre-commit");
    Process::new(bin.join("pre-commit"))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_PROFILE_RELEASE_LTO", "off")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
        .env("PRE_COMMIT_HOME", dir.join(".pre-commit-home"))
        .env("NO_COLOR", "1")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap()
}

/// A one-commit repository holding this checkout's working tree as it is now (tracked files
/// with their edits, and new files git does not ignore), for `pre-commit try-repo`: a clone
/// would test only the last commit.
fn snapshot_of_the_working_tree(into: &Path) {
    let listed = git_in(
        &source_dir(),
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    );
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    for name in text(&listed.stdout).split('\0').filter(|n| !n.is_empty()) {
        let from = source_dir().join(name);
        if from.is_file() {
            let to = into.join(name);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(&from, &to).unwrap();
        }
    }
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "-m",
            "snapshot",
        ],
    ] {
        let out = git_in(into, args);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
}

#[test]
fn the_pre_commit_framework_blocks_a_staged_secret_and_passes_a_clean_change() {
    let hooks = load_yaml(".pre-commit-hooks.yaml");
    let hook = &hooks.as_sequence().unwrap()[0];
    assert_eq!(yaml_str(hook, "id"), Some("leakhound"));
    assert_eq!(yaml_str(hook, "entry"), Some("leakhound git --staged"));
    assert_eq!(yaml_str(hook, "language"), Some("rust"));

    let bin = pre_commit_venv();
    let copy = Tree::new();
    let src = copy.join("leakhound");
    snapshot_of_the_working_tree(&src);

    let repo = Repo::new();
    repo.commit_file("README.md", "hello\n", "first");
    let secret = Gen::new().stripe_live();
    repo.tree.write("pay.env", format!("STRIPE_KEY={secret}\n"));
    repo.git(&["add", "pay.env"]);
    let out = pre_commit(
        &bin,
        repo.path(),
        &["try-repo", src.to_str().unwrap(), "leakhound"],
    );
    let printed = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{printed}");
    assert!(printed.contains("Failed"), "{printed}");
    assert!(
        printed.contains("pay.env:1:12") && printed.contains("stripe-secret-key"),
        "{printed}"
    );
    assert_redacted(&secret, &[&printed]);

    repo.git(&["rm", "-q", "--cached", "pay.env"]);
    repo.tree.write("notes.md", "no secrets here\n");
    repo.git(&["add", "notes.md"]);
    let out = pre_commit(
        &bin,
        repo.path(),
        &["try-repo", src.to_str().unwrap(), "leakhound"],
    );
    let printed = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{printed}");
    assert!(printed.contains("Passed"), "{printed}");

    // The commit-msg hook: git hands it the message file, which it scans (same environment,
    // so no second build).
    let key = Gen::new().aws_key_id();
    let message = repo.path().join(".git/COMMIT_EDITMSG");
    let run_msg = |body: &str| {
        std::fs::write(&message, body).unwrap();
        pre_commit(
            &bin,
            repo.path(),
            &[
                "try-repo",
                src.to_str().unwrap(),
                "leakhound-commit-msg",
                "--hook-stage",
                "commit-msg",
                "--commit-msg-filename",
                message.to_str().unwrap(),
            ],
        )
    };
    let out = run_msg(&format!("rotate keys\n\nthe old one was {key}\n"));
    let printed = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{printed}");
    assert!(
        printed.contains(".git/COMMIT_EDITMSG:3:17") && printed.contains("aws-access-key-id"),
        "{printed}"
    );
    assert!(printed.contains("1 finding(s)"), "{printed}");
    assert_redacted(&key, &[&printed]);
    let out = run_msg("rotate keys\n\nthe new one is in the vault\n");
    let printed = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{printed}");
    assert!(printed.contains("Passed"), "{printed}");
}
