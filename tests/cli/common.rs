//! A small test DSL: a temp tree to write files into, the binary to run in it, and the JSON
//! report taken apart into (rule, path, line) triples that tests compare exactly. Secrets are
//! generated per run: random characters in the right shape, never pasted from anywhere.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output};

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

pub struct Tree {
    pub dir: TempDir,
}

impl Tree {
    pub fn new() -> Tree {
        Tree {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes a file, creating its parent folders.
    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> &Tree {
        let path = self.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
        self
    }

    /// The binary, run in this tree.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = leakhound();
        cmd.current_dir(self.path()).args(args);
        cmd
    }

    /// Runs with `--format sarif` and returns the log, validated against the schema.
    pub fn sarif(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["--format", "sarif"]);
        let out = self.cmd(&all).output().unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        crate::sarif::assert_valid_sarif(&doc);
        doc
    }

    /// Runs with `--format json` and returns the exit code and the parsed report.
    pub fn json(&self, args: &[&str]) -> (i32, Value, String) {
        let mut all = args.to_vec();
        all.extend(["--format", "json"]);
        let out = self.cmd(&all).output().unwrap();
        parse(out)
    }
}

/// The seed of every test's randomness: `LEAKHOUND_TEST_SEED`, else a fixed one, so a failure
/// replays exactly. Tests that draw from it print nothing unless they fail.
pub fn seed() -> u64 {
    std::env::var("LEAKHOUND_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x1ea4_0b0d)
}

/// A random generator from [`seed`].
pub fn rng() -> fastrand::Rng {
    fastrand::Rng::with_seed(seed())
}

pub fn leakhound() -> Command {
    let mut cmd = Command::cargo_bin("leakhound").unwrap();
    cmd.env_remove("GITHUB_ACTIONS").env("NO_COLOR", "1");
    cmd
}

pub fn parse(out: Output) -> (i32, Value, String) {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}\nstderr:\n{stderr}"));
    (out.status.code().unwrap_or(-1), value, stderr)
}

/// One value per finding, in report order.
pub fn each_finding<T>(report: &Value, f: impl Fn(&Value) -> T) -> Vec<T> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(f)
        .collect()
}

/// A string field of a finding; a missing one fails the test, naming the field.
pub fn field(finding: &Value, name: &str) -> String {
    (finding[name].as_str())
        .unwrap_or_else(|| panic!("finding without {name}: {finding}"))
        .to_string()
}

/// `(rule_id, path, line)` of every finding, in report order.
pub fn triples(report: &Value) -> Vec<(String, String, u64)> {
    each_finding(report, |f| {
        let line = f["line"].as_u64().expect("line");
        (field(f, "rule_id"), field(f, "path"), line)
    })
}

/// Every finding's fingerprint, in report order.
pub fn fingerprints(report: &Value) -> Vec<String> {
    each_finding(report, |f| field(f, "fingerprint"))
}

pub fn t(rule: &str, path: &str, line: u64) -> (String, String, u64) {
    (rule.to_string(), path.to_string(), line)
}

/// A row of [`with_paths`]: rule, path, line and key path (`""` for none).
pub fn tk(rule: &str, path: &str, line: u64, key: &str) -> (String, String, u64, String) {
    (rule.to_string(), path.to_string(), line, key.to_string())
}

/// Random synthetic secrets of the right shape.
pub struct Gen {
    rng: fastrand::Rng,
}

pub const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

impl Gen {
    pub fn new() -> Gen {
        Gen { rng: rng() }
    }

    pub fn chars(&mut self, n: usize, alphabet: &str) -> String {
        let a: Vec<char> = alphabet.chars().collect();
        (0..n).map(|_| a[self.rng.usize(..a.len())]).collect()
    }

    pub fn alnum(&mut self, n: usize) -> String {
        self.chars(n, ALNUM)
    }

    pub fn aws_key_id(&mut self) -> String {
        format!("AKIA{}", self.chars(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"))
    }

    pub fn aws_secret(&mut self) -> String {
        self.chars(40, &format!("{ALNUM}/+"))
    }

    pub fn stripe_live(&mut self) -> String {
        format!("sk_live_{}", self.alnum(24))
    }

    /// A NATS NKEY seed of a key type (`b'U'` user, `b'A'` account, `b'O'` operator): base32 of
    /// the seed prefix, 32 random bytes and their CRC-16/XMODEM, as the nkeys libraries write.
    pub fn nkey_seed(&mut self, kind: u8) -> String {
        const SEED: u8 = 18 << 3;
        let kind: u8 = match kind {
            b'U' => 20 << 3,
            b'A' => 0,
            b'O' => 14 << 3,
            other => panic!("no nkey type {other}"),
        };
        let mut raw = vec![SEED | (kind >> 5), (kind & 31) << 3];
        raw.extend((0..32).map(|_| self.rng.u8(..)));
        let crc = crc::Crc::<u16>::new(&crc::CRC_16_XMODEM).checksum(&raw);
        raw.extend(crc.to_le_bytes());
        data_encoding::BASE32_NOPAD.encode(&raw)
    }

    /// A WireGuard private key as `wg genkey` makes one: 32 random bytes, clamped, in base64.
    pub fn wireguard_key(&mut self) -> String {
        let mut key: Vec<u8> = (0..32).map(|_| self.rng.u8(..)).collect();
        key[0] &= 248;
        key[31] = (key[31] & 127) | 64;
        data_encoding::BASE64.encode(&key)
    }

    pub fn slack_webhook(&mut self) -> String {
        let upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        format!(
            "https://hooks.slack.com/services/T{}/B{}/{}",
            self.chars(8, upper),
            self.chars(8, upper),
            self.alnum(24)
        )
    }

    /// A PEM block with a random base64 body (not a real key, but the right shape). It opens
    /// as a PKCS#8 key's DER does (a SEQUENCE, version 0, an algorithm), so that it is never
    /// taken for a public key by chance (`offline::is_public_key_der`).
    pub fn pem(&mut self, kind: &str) -> String {
        let b64 = format!("{ALNUM}+/");
        let mut body: Vec<String> = (0..6).map(|_| self.chars(64, &b64)).collect();
        body[0].replace_range(..12, "MIIEvQIBADAN");
        format!(
            "-----BEGIN {kind}PRIVATE KEY-----\n{}\n-----END {kind}PRIVATE KEY-----",
            body.join("\n")
        )
    }
}

/// A process's output as text, lossy where not UTF-8.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts that no part of the output contains the secret in full.
pub fn assert_redacted(secret: &str, outputs: &[&str]) {
    for out in outputs {
        assert!(!out.contains(secret), "secret leaked in output:\n{out}");
    }
}

/// Runs git in `dir` with no system config; the caller checks the status.
pub fn git_in(dir: &Path, args: &[&str]) -> Output {
    Process::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs")
}

/// Runs git in `dir` and returns its trimmed standard output; any failure fails the test.
pub fn git_ok(dir: &Path, args: &[&str]) -> String {
    let out = git_in(dir, args);
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A git repository in a temp dir, with its own identity so commits do not depend on the
/// machine's configuration.
pub struct Repo {
    pub tree: Tree,
}

impl Repo {
    pub fn new() -> Repo {
        let repo = Repo { tree: Tree::new() };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "Ada Lovelace"]);
        repo.git(&["config", "user.email", "ada@example.com"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.tree.path()
    }

    pub fn git(&self, args: &[&str]) -> String {
        git_ok(self.tree.path(), args)
    }

    pub fn write(&self, rel: &str, content: impl AsRef<[u8]>) -> &Repo {
        self.tree.write(rel, content);
        self
    }

    /// Stages everything and commits; returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// Writes one file and commits everything; returns the commit id.
    pub fn commit_file(&self, rel: &str, content: &str, message: &str) -> String {
        self.write(rel, content);
        self.commit(message)
    }

    pub fn commit_as(&self, message: &str, name: &str, email: &str) -> String {
        self.git(&["add", "-A"]);
        let author = format!("{name} <{email}>");
        self.git(&["commit", "-q", "-m", message, "--author", &author]);
        self.git(&["rev-parse", "HEAD"])
    }

    pub fn json(&self, args: &[&str]) -> (i32, Value, String) {
        self.tree.json(args)
    }
}

/// `(rule, path, line, key_path)` of every finding.
pub fn with_paths(report: &Value) -> Vec<(String, String, u64, String)> {
    each_finding(report, |f| {
        let key_path = f["key_path"].as_str().unwrap_or("").to_string();
        let line = f["line"].as_u64().expect("line");
        (field(f, "rule_id"), field(f, "path"), line, key_path)
    })
}

/// `(rule, uri, line)` of every result of a SARIF log, in its order.
pub fn sarif_results(doc: &Value) -> Vec<(String, String, u64)> {
    doc["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap().to_string(),
                loc["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                loc["region"]["startLine"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Runs a tool (tar, zip, openssl, keytool) in `dir`; any failure fails the test with its
/// stderr.
pub fn run_tool(dir: &Path, tool: &str, args: &[&str]) {
    let out = std::process::Command::new(tool)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{tool} must be installed (.ci/run installs it): {e}"));
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
