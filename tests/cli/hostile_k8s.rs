//! Hostile repository content for the Kubernetes/YAML analyzer (issue 11, redteam H3–H5),
//! through the real binary under a 1 GiB address-space limit: flow-style JSON and YAML that
//! the YAML scanner would buffer whole, Helm templates full of unclosed `{{`, and a megabyte
//! YAML key above many children. Each run must finish, exit as the findings say, and report
//! exactly the secret planted in the file. The wall-clock bound only catches hangs and
//! quadratic blow-ups (each case takes well under a second in a release build); no speed is
//! asserted.

use std::os::unix::process::CommandExt as _;
use std::process::Command as Process;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;

use crate::common::*;

/// Address space the binary may map: the files here are up to 25 MB, and the old analyzer
/// needed 3–4 GB for them.
const MEMORY_LIMIT: u64 = 1 << 30;

/// Runs `leakhound scan --format json <paths>` in the tree, with the memory limit applied to
/// the child, and returns the exit code, the report and stderr.
fn scan_limited(tree: &Tree, paths: &[&str]) -> (i32, Value, String) {
    let mut process = Process::new(env!("CARGO_BIN_EXE_leakhound"));
    process
        .current_dir(tree.path())
        .env_remove("GITHUB_ACTIONS")
        .env("NO_COLOR", "1")
        .args(["scan", "-v", "--format", "json"])
        .args(paths);
    // SAFETY: setrlimit is async-signal-safe, and the closure touches nothing else.
    unsafe {
        process.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: MEMORY_LIMIT as libc::rlim_t,
                rlim_max: MEMORY_LIMIT as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = Command::from_std(process)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    parse(out)
}

/// `[[1,2,3,4,5,6,7,8],…]` with `rows` rows: 18 bytes and 10 nodes a row.
fn rows(rows: usize) -> String {
    let mut out = "[[1,2,3,4,5,6,7,8]".to_string();
    out.push_str(&",[1,2,3,4,5,6,7,8]".repeat(rows.saturating_sub(1)));
    out.push(']');
    out
}

/// A password of the shape the analyzer reports (random letters and digits).
fn password(g: &mut Gen) -> String {
    format!("Zq{}8", g.alnum(14))
}

#[test]
fn json_of_25_megabytes_in_one_flow_collection_is_scanned_in_bounded_memory() {
    let mut g = Gen::new();
    let key = g.stripe_live();
    // `token_ttl` holds a word a finding needs, so the analyzer parses the file.
    let text = format!(
        "{{\"k\": \"{key}\", \"token_ttl\": 3600,\n\"data\": {}}}\n",
        rows(1_400_000)
    );
    assert!(text.len() > 25_000_000);
    let tree = Tree::new();
    tree.write("d.json", &text);
    let (code, report, stderr) = scan_limited(&tree, &["d.json"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(triples(&report), vec![t("stripe-secret-key", "d.json", 1)]);
    assert!(stderr.contains("more than 1000000 nodes"), "{stderr}");
}

#[test]
fn json_under_the_node_cap_is_judged_by_structure_however_long_its_root() {
    let mut g = Gen::new();
    let pw = password(&mut g);
    let text = format!(
        "{{\n  \"data\": {},\n  \"auth\": {{\n    \"password\": \"{pw}\"\n  }}\n}}\n",
        rows(90_000)
    );
    assert!(text.len() > 1_500_000);
    let tree = Tree::new();
    tree.write("config.json", &text);
    let (code, report, stderr) = scan_limited(&tree, &["config.json"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        with_paths(&report),
        vec![(
            "k8s-literal-secret".into(),
            "config.json".into(),
            4,
            "auth.password".into()
        )]
    );
}

#[test]
fn flow_yaml_longer_than_the_lookahead_is_read_line_by_line() {
    let mut g = Gen::new();
    let pw = password(&mut g);
    // Not JSON (a plain `a`), so the YAML scanner reads it, and holds the root collection
    // (it could be a key) until the lookahead runs out.
    let flow = rows(1_400_000).replacen('[', "[a,", 1);
    let text = format!("{flow}\n---\nauth:\n  password: {pw}\n");
    let tree = Tree::new();
    tree.write("values.yaml", &text);
    let (code, report, stderr) = scan_limited(&tree, &["values.yaml"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        with_paths(&report),
        vec![(
            "k8s-literal-secret".into(),
            "values.yaml".into(),
            4,
            "auth.password".into()
        )]
    );
    assert!(
        stderr.contains("bytes of flow collection or scalar"),
        "{stderr}"
    );
}

#[test]
fn template_with_a_million_unclosed_actions_is_masked_in_one_pass() {
    let mut g = Gen::new();
    let pw = password(&mut g);
    let lines = 1_000_000;
    let text = format!("{}password: {pw}\n", "- {{ x\n".repeat(lines));
    let tree = Tree::new();
    tree.write("chart/templates/list.yaml", &text);
    let (code, report, stderr) = scan_limited(&tree, &["."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        triples(&report),
        vec![t(
            "k8s-literal-secret",
            "chart/templates/list.yaml",
            lines as u64 + 1
        )]
    );
}

#[test]
fn megabyte_key_is_cut_in_every_key_path_beneath_it() {
    let mut g = Gen::new();
    let key = "k".repeat(1_000_000);
    let children: String = (0..3000).map(|i| format!("  a{i}: b\n")).collect();
    let secrets: Vec<String> = (0..200).map(|_| password(&mut g)).collect();
    let secret_children: String = secrets
        .iter()
        .enumerate()
        .map(|(i, pw)| format!("  p{i}:\n    password: {pw}\n"))
        .collect();
    let tree = Tree::new();
    tree.write("quiet.yaml", format!("{key}:\n{children}"));
    tree.write("loud.yaml", format!("{key}:\n{secret_children}"));
    let (code, report, stderr) = scan_limited(&tree, &["quiet.yaml", "loud.yaml"]);
    assert_eq!(code, 1, "{stderr}");
    let found = with_paths(&report);
    let want: Vec<(String, String, u64)> = (0..200)
        .map(|i| t("k8s-literal-secret", "loud.yaml", 3 + 2 * i))
        .collect();
    assert_eq!(triples(&report), want);
    for (i, (_, _, _, path)) in found.iter().enumerate() {
        assert!(path.len() <= 512, "{} bytes", path.len());
        assert!(path.ends_with(&format!("k….p{i}.password")), "{path}");
    }
}

#[test]
fn megabyte_json_key_is_cut_in_the_key_path() {
    let mut g = Gen::new();
    let pw = password(&mut g);
    let key = "k".repeat(1_000_000);
    let tree = Tree::new();
    tree.write(
        "x.json",
        format!("{{\"{key}\": {{\n  \"password\": \"{pw}\"\n}}}}\n"),
    );
    let (code, report, stderr) = scan_limited(&tree, &["x.json"]);
    assert_eq!(code, 1, "{stderr}");
    let found = with_paths(&report);
    assert_eq!(triples(&report), vec![t("k8s-literal-secret", "x.json", 2)]);
    let path = &found[0].3;
    assert!(
        path.len() <= 512 && path.ends_with("k…\"].password"),
        "{path}"
    );
}
