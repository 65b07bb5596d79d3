//! How leakhound gets installed: the shell completions and man page the release archives
//! ship, and the GitHub Action's install steps (action.yml, scripts/action-install.sh) run
//! against a release laid out as GitHub serves it, on a loopback HTTP server
//! (`python3 -m http.server`).
//!
//! Archives for other platforms hold this machine's binary under their names: what these tests
//! check is which archive is picked, verified and unpacked, which the server's request log and
//! the bytes installed show. The build from source is the one part replaced, through the
//! script's LEAKHOUND_BUILD_COMMAND, so that no test compiles leakhound a second time.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Output, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::common::*;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn leakhound_bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("leakhound")
}

fn leakhound(args: &[&str]) -> Output {
    Process::new(leakhound_bin()).args(args).output().unwrap()
}

#[test]
fn completions_for_each_shell_come_from_the_clap_definitions() {
    let out = leakhound(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    let bash = text(&out.stdout);
    assert_eq!(bash.lines().next(), Some("_leakhound() {"));
    assert!(
        bash.contains(
            "\n    complete -F _leakhound -o nosort -o bashdefault -o default leakhound\n"
        )
    );
    assert!(
        bash.contains(
            "opts=\"-h -V --help --version scan git ci rules baseline install-hook \
             completions man help\"\n"
        ),
        "every subcommand: {bash}"
    );

    let zsh = text(&leakhound(&["completions", "zsh"]).stdout);
    assert_eq!(zsh.lines().next(), Some("#compdef leakhound"));
    let fish = text(&leakhound(&["completions", "fish"]).stdout);
    assert!(fish.contains(
        "complete -c leakhound -n \"__fish_leakhound_needs_command\" -f -a \"man\" -d 'Print the man page (roff) on standard output'\n"
    ));
    let powershell = text(&leakhound(&["completions", "powershell"]).stdout);
    assert!(
        powershell
            .contains("Register-ArgumentCompleter -Native -CommandName 'leakhound' -ScriptBlock {")
    );

    let out = leakhound(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("invalid value 'tcsh' for '<SHELL>'"));
}

#[test]
fn the_man_page_documents_the_commands_and_the_version() {
    let out = leakhound(&["man"]);
    assert_eq!(out.status.code(), Some(0));
    let page = text(&out.stdout);
    assert!(page.contains(&format!("\n.TH leakhound 1  \"leakhound {VERSION}\" \n")));
    assert!(
        page.contains("\n.SH NAME\nleakhound \\- A secret scanner for source trees, git history")
    );
    for command in [
        "scan",
        "git",
        "ci",
        "rules",
        "baseline",
        "install\\-hook",
        "completions",
        "man",
    ] {
        assert!(
            page.contains(&format!("\n.TP\nleakhound\\-{command}(1)\n")),
            "{command}"
        );
    }
    assert!(page.ends_with(&format!(".SH VERSION\nv{VERSION}\n")));
}

/// `python3 -m http.server` serving a folder on loopback; its request log is kept.
struct Server {
    child: Child,
    port: u16,
    log: PathBuf,
    seen: usize,
}

impl Server {
    fn start(root: &Path, scratch: &Path) -> Server {
        let (stdout, log) = (scratch.join("server.out"), scratch.join("server.log"));
        let child = Process::new("python3")
            .args([
                "-u",
                "-m",
                "http.server",
                "0",
                "--bind",
                "127.0.0.1",
                "--directory",
            ])
            .arg(root)
            .stdout(std::fs::File::create(&stdout).unwrap())
            .stderr(std::fs::File::create(&log).unwrap())
            .stdin(Stdio::null())
            .spawn()
            .expect("python3 is not on PATH: the install tests serve a release with it");
        let start = Instant::now();
        let port = loop {
            // "Serving HTTP on 127.0.0.1 port 40123 (http://127.0.0.1:40123/) ..."
            let said = std::fs::read_to_string(&stdout).unwrap();
            if let Some(rest) = said.split(" port ").nth(1) {
                break rest.split(' ').next().unwrap().parse().unwrap();
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no server: {said}"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        Server {
            child,
            port,
            log,
            seen: 0,
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The requests since the last call, as "GET /path status".
    fn requests(&mut self) -> Vec<String> {
        let mut log = String::new();
        std::fs::File::open(&self.log)
            .unwrap()
            .read_to_string(&mut log)
            .unwrap();
        let lines: Vec<String> = log
            .lines()
            .filter_map(|l| {
                l.split_once("] \"")
                    .map(|(_, r)| r.replace(" HTTP/1.1\"", ""))
            })
            .map(|r| r.trim_end_matches(" -").to_string())
            .collect();
        let new = lines[self.seen..].to_vec();
        self.seen = lines.len();
        new
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const TARGETS: [(&str, &str, &str); 5] = [
    ("Linux", "X64", "x86_64-unknown-linux-musl"),
    ("Linux", "ARM64", "aarch64-unknown-linux-musl"),
    ("macOS", "X64", "x86_64-apple-darwin"),
    ("macOS", "ARM64", "aarch64-apple-darwin"),
    ("Windows", "X64", "x86_64-pc-windows-msvc"),
];

fn archive_name(version: &str, target: &str) -> String {
    let ext = if target.contains("windows") {
        "zip"
    } else {
        "tar.gz"
    };
    format!("leakhound-{version}-{target}.{ext}")
}

/// Lays out release `v{version}` as the release workflow publishes it: an archive per target
/// (leakhound-VERSION-TARGET/ with the binary, README.md, LICENSE, completions/, man/) and
/// SHA256SUMS.
fn publish(root: &Path, version: &str) {
    let dir = root.join(format!("v{version}"));
    let staging = root.join(format!("staging-{version}"));
    let mut sums = String::new();
    for (_, _, target) in TARGETS {
        let name = format!("leakhound-{version}-{target}");
        let top = staging.join(&name);
        std::fs::create_dir_all(top.join("completions")).unwrap();
        std::fs::create_dir_all(top.join("man")).unwrap();
        let exe = if target.contains("windows") {
            "leakhound.exe"
        } else {
            "leakhound"
        };
        std::fs::copy(leakhound_bin(), top.join(exe)).unwrap();
        for file in ["README.md", "LICENSE"] {
            std::fs::copy(
                Path::new(env!("CARGO_MANIFEST_DIR")).join(file),
                top.join(file),
            )
            .unwrap();
        }
        for (shell, file) in [
            ("bash", "leakhound.bash"),
            ("zsh", "_leakhound"),
            ("fish", "leakhound.fish"),
            ("powershell", "_leakhound.ps1"),
        ] {
            std::fs::write(
                top.join("completions").join(file),
                leakhound(&["completions", shell]).stdout,
            )
            .unwrap();
        }
        std::fs::write(top.join("man/leakhound.1"), leakhound(&["man"]).stdout).unwrap();
        std::fs::create_dir_all(&dir).unwrap();
        let archive = dir.join(archive_name(version, target));
        let packed = if target.contains("windows") {
            Process::new("python3")
                .args(["-m", "zipfile", "-c"])
                .arg(&archive)
                .arg(&name)
                .current_dir(&staging)
                .output()
        } else {
            Process::new("tar")
                .arg("-czf")
                .arg(&archive)
                .arg(&name)
                .current_dir(&staging)
                .output()
        }
        .unwrap();
        assert!(packed.status.success(), "{}", text(&packed.stderr));
        let digest = hex::encode(Sha256::digest(std::fs::read(&archive).unwrap()));
        sums.push_str(&format!("{digest}  {}\n", archive_name(version, target)));
    }
    std::fs::write(dir.join("SHA256SUMS"), sums).unwrap();
}

/// One run of the action's install steps, as the runner runs them: the `run:` text of the
/// steps in action.yml that call scripts/action-install.sh, with their env.
struct Runner {
    temp: Tree,
    env: Vec<(String, String)>,
    /// What `${{ }}` expressions in the steps' env evaluate to.
    context: HashMap<String, String>,
}

impl Runner {
    fn new(os: &str, arch: &str, action_ref: &str, version_input: &str, server: &Server) -> Runner {
        let temp = Tree::new();
        let source = env!("CARGO_MANIFEST_DIR");
        let env = [
            ("RUNNER_OS", os),
            ("RUNNER_ARCH", arch),
            ("GITHUB_ACTION_PATH", source),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .chain([
            ("RUNNER_TEMP".into(), temp.path().display().to_string()),
            ("GITHUB_OUTPUT".into(), temp.join("output.txt").display().to_string()),
            ("GITHUB_PATH".into(), temp.join("path.txt").display().to_string()),
            ("LEAKHOUND_RELEASE_URL".into(), server.url()),
            ("PATH".into(), std::env::var("PATH").unwrap()),
            // The build from source, replaced: it copies this build's binary and notes the
            // version it was asked for.
            (
                "LEAKHOUND_BUILD_COMMAND".into(),
                format!(
                    "mkdir -p \"$LEAKHOUND_BUILD_ROOT/bin\" && cp '{}' \"$LEAKHOUND_BUILD_ROOT/bin/\" && echo \"built ${{LEAKHOUND_BUILD_VERSION:-from its source}}\"",
                    leakhound_bin().display()
                ),
            ),
        ])
        .collect();
        let context = HashMap::from([
            ("inputs.version".to_string(), version_input.to_string()),
            ("github.action_ref".to_string(), action_ref.to_string()),
        ]);
        Runner { temp, env, context }
    }

    /// Runs the action step whose id (or name) is `step`; its exit code and output.
    fn step(&self, step: &str, outputs: &HashMap<String, String>) -> (i32, String) {
        let action =
            std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("action.yml"))
                .unwrap();
        let (run, step_env) = action_step(&action, step);
        let step_env: Vec<(String, String)> = step_env
            .into_iter()
            .map(|(k, v)| {
                let expr = v.trim_start_matches("${{").trim_end_matches("}}").trim();
                let value = match expr.strip_prefix("steps.pick.outputs.") {
                    Some(name) => outputs.get(name).cloned().unwrap_or_default(),
                    None => self
                        .context
                        .get(expr)
                        .cloned()
                        .unwrap_or_else(|| panic!("{v}")),
                };
                (k, value)
            })
            .collect();
        let out = Process::new("bash")
            .args(["--noprofile", "--norc", "-e", "-o", "pipefail", "-c", &run])
            .current_dir(self.temp.path())
            .env_clear()
            .envs(self.env.iter().cloned())
            .envs(step_env)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            format!("{}{}", text(&out.stdout), text(&out.stderr)),
        )
    }

    /// The pick step, then the install step; the pick step's outputs and the install's
    /// exit code and output.
    fn install(&self) -> (HashMap<String, String>, i32, String) {
        let (code, printed) = self.step("pick", &HashMap::new());
        assert_eq!(code, 0, "{printed}");
        let outputs: HashMap<String, String> =
            std::fs::read_to_string(self.temp.join("output.txt"))
                .unwrap()
                .lines()
                .filter_map(|l| l.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        let path = std::fs::read_to_string(self.temp.join("path.txt")).unwrap();
        assert_eq!(
            path,
            format!("{}\n", outputs["dir"]),
            "the install dir goes on PATH"
        );
        let (code, printed) = self.step("Install leakhound", &outputs);
        (outputs, code, printed)
    }
}

/// The `run:` text and env of the step with this id or name in action.yml.
fn action_step(action: &str, wanted: &str) -> (String, Vec<(String, String)>) {
    use saphyr::LoadableYamlNode;
    let docs = saphyr::Yaml::load_from_str(action).unwrap();
    let steps = docs[0]["runs"]["steps"].as_sequence().unwrap();
    let str_of = |node: &saphyr::Yaml, key: &str| {
        node.as_mapping_get(key)
            .and_then(|v| v.as_str())
            .map(String::from)
    };
    let step = steps
        .iter()
        .find(|s| {
            str_of(s, "id").as_deref() == Some(wanted)
                || str_of(s, "name").as_deref() == Some(wanted)
        })
        .unwrap_or_else(|| panic!("action.yml has no step {wanted}"));
    let env = step
        .as_mapping_get("env")
        .and_then(|e| e.as_mapping())
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.as_str().unwrap().to_string(),
                        v.as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    (str_of(step, "run").unwrap(), env)
}

#[test]
fn the_action_installs_the_released_archive_for_each_runner_os_and_arch() {
    let releases = Tree::new();
    publish(releases.path(), VERSION);
    let mut server = Server::start(releases.path(), releases.path());
    for (os, arch, target) in TARGETS {
        let runner = Runner::new(os, arch, &format!("v{VERSION}"), "", &server);
        let (outputs, code, printed) = runner.install();
        assert_eq!(code, 0, "{os}/{arch}: {printed}");
        assert_eq!(outputs["version"], VERSION);
        assert_eq!(outputs["target"], target);
        assert_eq!(outputs["key"], format!("leakhound-{VERSION}-{target}"));
        let archive = archive_name(VERSION, target);
        assert_eq!(
            server.requests(),
            [
                format!("GET /v{VERSION}/SHA256SUMS 200"),
                format!("GET /v{VERSION}/{archive} 200"),
            ],
            "{os}/{arch}"
        );
        assert!(
            printed.contains(&format!(
                "installed leakhound {VERSION} ({archive}, sha256 "
            )),
            "{printed}"
        );
        let exe = if os == "Windows" {
            "leakhound.exe"
        } else {
            "leakhound"
        };
        let installed = Path::new(&outputs["dir"]).join(exe);
        assert_eq!(
            std::fs::read(&installed).unwrap(),
            std::fs::read(leakhound_bin()).unwrap()
        );
        let names: Vec<String> = std::fs::read_dir(&outputs["dir"])
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, [exe], "only the binary is installed");
    }
    // The input `version` wins over the action's ref.
    let runner = Runner::new("Linux", "X64", "main", VERSION, &server);
    let (outputs, code, printed) = runner.install();
    assert_eq!(code, 0, "{printed}");
    let installed = Path::new(&outputs["dir"]).join("leakhound");
    let out = Process::new(installed).arg("--version").output().unwrap();
    assert_eq!(text(&out.stdout), format!("leakhound {VERSION}\n"));
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn a_checksum_mismatch_fails_the_install() {
    let releases = Tree::new();
    publish(releases.path(), "0.0.9");
    let archive = releases
        .join("v0.0.9")
        .join(archive_name("0.0.9", "x86_64-unknown-linux-musl"));
    let mut bytes = std::fs::read(&archive).unwrap();
    bytes.extend_from_slice(b"tampered");
    std::fs::write(&archive, &bytes).unwrap();
    let actual = hex::encode(Sha256::digest(&bytes));
    let mut server = Server::start(releases.path(), releases.path());

    let runner = Runner::new("Linux", "X64", "v0.0.9", "", &server);
    let (outputs, code, printed) = runner.install();
    assert_eq!(code, 1, "{printed}");
    let expected_line = "::error title=leakhound::checksum mismatch for \
                         leakhound-0.0.9-x86_64-unknown-linux-musl.tar.gz: SHA256SUMS says ";
    assert!(printed.contains(expected_line), "{printed}");
    assert!(
        printed.contains(&format!(", the download is {actual}\n")),
        "{printed}"
    );
    assert_eq!(server.requests().len(), 2);
    assert!(!Path::new(&outputs["dir"]).join("leakhound").exists());
}

#[test]
fn a_ref_without_a_release_builds_from_source() {
    let releases = Tree::new();
    let mut server = Server::start(releases.path(), releases.path());

    // A tag with no release: the server answers 404, the tag's version is built.
    let runner = Runner::new("Linux", "X64", "v9.9.9", "", &server);
    let (outputs, code, printed) = runner.install();
    assert_eq!(code, 0, "{printed}");
    assert_eq!(
        printed,
        "leakhound v9.9.9 has no release: building from source\nbuilt 9.9.9\n"
    );
    assert_eq!(server.requests(), ["GET /v9.9.9/SHA256SUMS 404"]);
    assert!(Path::new(&outputs["dir"]).join("leakhound").is_file());

    // A branch: no release to look for, the action's own source is built.
    let runner = Runner::new("Linux", "X64", "main", "", &server);
    let (outputs, code, printed) = runner.install();
    assert_eq!(code, 0, "{printed}");
    assert_eq!(outputs["version"], "");
    let key = outputs["key"]
        .strip_prefix("leakhound-source-Linux-X64-")
        .unwrap();
    assert!(
        key.len() == 16 && key.chars().all(|c| c.is_ascii_hexdigit()),
        "{key}"
    );
    assert_eq!(
        printed,
        "the action's ref is not a release: building leakhound from source\nbuilt from its source\n"
    );
    assert!(server.requests().is_empty());

    // A platform with no released binary builds the version asked for.
    let runner = Runner::new("Linux", "S390X", "v9.9.9", "", &server);
    let (outputs, code, printed) = runner.install();
    assert_eq!(code, 0, "{printed}");
    assert_eq!(outputs["target"], "");
    assert!(printed.contains(
        "no leakhound binary is released for Linux/S390X: building from source\nbuilt 9.9.9\n"
    ));
}

#[test]
fn the_hooks_for_an_installed_binary_and_the_image_run_this_version() {
    use saphyr::LoadableYamlNode;
    let hooks = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let hooks = saphyr::Yaml::load_from_str(&hooks).unwrap();
    let hooks: Vec<(String, String, String)> = hooks[0]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|h| {
            let get = |k: &str| {
                h.as_mapping_get(k)
                    .and_then(|v| v.as_str())
                    .unwrap()
                    .to_string()
            };
            (get("id"), get("language"), get("entry"))
        })
        .collect();
    let image = format!("ghcr.io/leakhound/leakhound:v{VERSION} git --staged");
    let expected = [
        ("leakhound", "rust", "leakhound git --staged"),
        ("leakhound-history", "rust", "leakhound git"),
        ("leakhound-system", "system", "leakhound git --staged"),
        ("leakhound-docker", "docker_image", image.as_str()),
        ("leakhound-commit-msg", "rust", "leakhound scan"),
        ("leakhound-commit-msg-system", "system", "leakhound scan"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(hooks, expected);
}
