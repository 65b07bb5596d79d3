//! Archives made by the real tools (GNU tar, gzip, zip, bzip2, xz, zstd): a packaged Helm
//! chart, a Spring Boot jar, a container image laid out as `docker save` / OCI writes it (a tar
//! holding gzipped or zstd layer tars), a vendored `.tar.xz`, compressed values files. Each secret inside is reported at its member and line,
//! in a tree scan, a history audit and a staged commit; hostile archives (a bomb, a damaged
//! one, an encrypted member, too deep a nest, a member named after its secret) end with a
//! count and a note, never a hang, a panic or a leak.

use std::path::Path;

use serde_json::Value;

use crate::common::*;

/// `(rule, path, member, line)` of every finding, sorted.
fn members(report: &Value) -> Vec<(String, String, String, u64)> {
    let mut all = each_finding(report, |f| {
        (
            field(f, "rule_id"),
            field(f, "path"),
            f["member"].as_str().unwrap_or("").to_string(),
            f["line"].as_u64().expect("line"),
        )
    });
    all.sort();
    all
}

fn m(rule: &str, path: &str, member: &str, line: u64) -> (String, String, String, u64) {
    (rule.into(), path.into(), member.into(), line)
}

fn skipped(report: &Value, what: &str) -> u64 {
    report["summary"]["skipped"][what].as_u64().unwrap()
}

/// The secrets the archives of [`packaged`] hold.
struct Secrets {
    chart_password: String,
    chart_token: String,
    jar_password: String,
    aws_id: String,
    aws_secret: String,
    gz_password: String,
}

/// Builds, under `out`, the archives every test scans; the sources are made in a temp dir
/// of their own, so only the archives are in `out`.
fn packaged(out: &Path) -> Secrets {
    let mut g = Gen::new();
    let s = Secrets {
        chart_password: format!("dev-{}-pass", g.alnum(8)),
        chart_token: g.alnum(20),
        jar_password: g.alnum(14),
        aws_id: g.aws_key_id(),
        aws_secret: g.aws_secret(),
        gz_password: format!("gz-{}", g.alnum(10)),
    };
    let src = Tree::new();
    src.write(
        "mychart/Chart.yaml",
        "apiVersion: v2\nname: mychart\nversion: 0.1.0\n",
    )
    .write(
        "mychart/values.yaml",
        format!(
            "image: nginx\npostgresql:\n  auth:\n    password: {}\n",
            s.chart_password
        ),
    )
    .write(
        "mychart/templates/secret.yaml",
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\nstringData:\n  token: {}\n",
            s.chart_token
        ),
    )
    .write(
        "jar/BOOT-INF/classes/application.properties",
        format!(
            "spring.datasource.url=jdbc:postgresql://db/app\nspring.datasource.password={}\n",
            s.jar_password
        ),
    )
    .write(
        "layer/etc/app/credentials",
        format!(
            "[default]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            s.aws_id, s.aws_secret
        ),
    )
    .write("layer/usr/share/doc/readme.txt", "nothing to see\n")
    .write(
        "backup/values.yaml",
        format!("redis:\n  password: {}\n", s.gz_password),
    );
    let dir = src.path();
    std::fs::create_dir_all(out.join("charts")).unwrap();
    let out_abs = out.to_str().unwrap();
    // `helm package` writes a gzipped tar of the chart folder.
    run_tool(
        dir,
        "tar",
        &[
            "-czf",
            &format!("{out_abs}/charts/mychart-0.1.0.tgz"),
            "mychart",
        ],
    );
    run_tool(
        &dir.join("jar"),
        "zip",
        &["-qr", &format!("{out_abs}/app.jar"), "BOOT-INF"],
    );
    // An image as `docker save` writes it: the layer is a gzipped tar under blobs/.
    std::fs::create_dir_all(dir.join("image/blobs/sha256")).unwrap();
    run_tool(
        &dir.join("layer"),
        "tar",
        &["-czf", "../image/blobs/sha256/4f1c", "etc", "usr"],
    );
    src.write("image/index.json", "{\"schemaVersion\": 2}\n");
    run_tool(
        &dir.join("image"),
        "tar",
        &[
            "-cf",
            &format!("{out_abs}/image.tar"),
            "index.json",
            "blobs",
        ],
    );
    run_tool(dir, "gzip", &["-k", "backup/values.yaml"]);
    std::fs::copy(
        dir.join("backup/values.yaml.gz"),
        out.join("values.yaml.gz"),
    )
    .unwrap();
    s
}

/// What a scan of [`packaged`]'s archives must report, at the default confidence.
fn expected(prefix: &str) -> Vec<(String, String, String, u64)> {
    let p = |path: &str| format!("{prefix}{path}");
    let mut want = vec![
        m(
            "k8s-literal-secret",
            &p("charts/mychart-0.1.0.tgz"),
            "mychart/values.yaml",
            4,
        ),
        m(
            "k8s-secret-manifest",
            &p("charts/mychart-0.1.0.tgz"),
            "mychart/templates/secret.yaml",
            6,
        ),
        m(
            "generic-password-unquoted",
            &p("app.jar"),
            "BOOT-INF/classes/application.properties",
            2,
        ),
        m(
            "aws-access-key-id",
            &p("image.tar"),
            "blobs/sha256/4f1c!etc/app/credentials",
            2,
        ),
        m(
            "aws-secret-access-key",
            &p("image.tar"),
            "blobs/sha256/4f1c!etc/app/credentials",
            3,
        ),
        m("k8s-literal-secret", &p("values.yaml.gz"), "values.yaml", 2),
    ];
    want.sort();
    want
}

#[test]
fn charts_jars_images_and_gzipped_files_are_scanned_member_by_member() {
    let tree = Tree::new();
    let s = packaged(tree.path());
    let (code, report, stderr) = tree.json(&["scan", "."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(members(&report), expected(""), "{report:#}");
    // Each member is a file scanned: 3 chart files, 1 in the jar, index.json and 2 in the
    // layer, the gzipped values file. Nothing was skipped.
    assert_eq!(report["summary"]["files_scanned"], 8, "{report:#}");
    for what in ["too_large", "binary", "unreadable", "not_regular"] {
        assert_eq!(skipped(&report, what), 0, "{what}");
    }
    // The fingerprint names the member, so a baseline tells two members apart.
    let fps = fingerprints(&report);
    assert!(
        fps.iter()
            .any(|f| f
                .starts_with("k8s-literal-secret:charts/mychart-0.1.0.tgz!mychart/values.yaml:")),
        "{fps:?}"
    );
    // The human report names the member after the archive, secrets redacted.
    let out = tree.cmd(&["scan", "."]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "charts/mychart-0.1.0.tgz!mychart/values.yaml:4:15 error [k8s-literal-secret]"
        ),
        "{text}"
    );
    let all = [
        &s.chart_password,
        &s.chart_token,
        &s.jar_password,
        &s.aws_secret,
        &s.gz_password,
    ];
    for secret in all {
        assert!(!text.contains(secret.as_str()), "{secret} in\n{text}");
        assert!(!report.to_string().contains(secret.as_str()));
    }
    // A baseline of this report suppresses every member's finding.
    tree.write("baseline.json", report.to_string());
    let (code, again, _) = tree.json(&["scan", ".", "--baseline", "baseline.json"]);
    assert_eq!(
        (code, again["summary"]["suppressed"].as_u64()),
        (0, Some(6))
    );
}

#[test]
fn sarif_and_annotations_place_member_findings_on_the_archive() {
    let tree = Tree::new();
    packaged(tree.path());
    let doc = tree.sarif(&["scan", "."]);
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 6);
    let chart = results
        .iter()
        .find(|r| r["properties"]["archiveMember"] == "mychart/values.yaml")
        .expect("the chart's values file");
    let loc = &chart["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "charts/mychart-0.1.0.tgz");
    assert_eq!(loc["region"]["startLine"], 4);
    let message = chart["message"]["text"].as_str().unwrap();
    assert!(
        message.contains("in the archive's mychart/values.yaml, line 4"),
        "{message}"
    );
    let out = tree.cmd(&["scan", ".", "-f", "github"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("file=app.jar,"))
        .expect("an annotation on the jar");
    assert!(
        line.contains("in the archive's BOOT-INF/classes/application.properties, line 2"),
        "{line}"
    );
}

#[test]
fn archives_in_history_and_in_a_staged_commit() {
    let repo = Repo::new();
    repo.commit_file("README.md", "# app\n", "start");
    packaged(&repo.path().join("dist"));
    // Staged: the archives are new content whole, whatever lines git calls added.
    repo.git(&["add", "-A"]);
    let (code, staged, stderr) = repo.json(&["git", "--staged"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(members(&staged), expected("dist/"));
    let added = repo.commit("add the release artifacts");
    let (code, audit, stderr) = repo.json(&["git", "."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(members(&audit), expected("dist/"));
    let commits: Vec<String> = each_finding(&audit, |f| field(&f["commit"], "id"));
    assert!(commits.iter().all(|c| *c == added), "{commits:?}");
}

#[test]
fn hostile_archives_are_bounded_counted_and_named() {
    let tree = Tree::new();
    let src = Tree::new();
    let mut g = Gen::new();
    let out = tree.path().to_str().unwrap().to_string();
    // A bomb: 80 MiB of zeros in twenty members, gzipped to under 100 kB.
    for i in 0..20 {
        src.write(&format!("bomb/zeros{i}"), vec![0u8; 4 << 20]);
    }
    run_tool(
        src.path(),
        "tar",
        &["-czf", &format!("{out}/bomb.tgz"), "bomb"],
    );
    // Damaged: the second half of a gzipped tar is gone.
    let secret = format!("cut-{}", g.alnum(12));
    src.write("cut/values.yaml", format!("password: {secret}\n"));
    src.write("cut/filler", g.alnum(300_000));
    run_tool(
        src.path(),
        "tar",
        &["-czf", "cut.tgz", "cut/values.yaml", "cut/filler"],
    );
    let mut cut = std::fs::read(src.join("cut.tgz")).unwrap();
    cut.truncate(cut.len() / 2);
    tree.write("cut.tgz", cut);
    // Encrypted: zip -P (the member cannot be read without the password).
    src.write("locked/values.yaml", format!("password: {}\n", g.alnum(12)));
    run_tool(
        &src.join("locked"),
        "zip",
        &[
            "-q",
            "-P",
            "hunter2",
            &format!("{out}/locked.zip"),
            "values.yaml",
        ],
    );
    // Too deep: a gzipped tar in a tar in a tar in a tar.
    let deep = format!("deep-{}", g.alnum(12));
    src.write("d/values.yaml", format!("password: {deep}\n"));
    run_tool(&src.join("d"), "tar", &["-czf", "../l3.tgz", "values.yaml"]);
    run_tool(src.path(), "tar", &["-cf", "l2.tar", "l3.tgz"]);
    run_tool(src.path(), "tar", &["-cf", "l1.tar", "l2.tar"]);
    run_tool(
        src.path(),
        "tar",
        &["-cf", &format!("{out}/l0.tar"), "l1.tar"],
    );
    // Text that starts with an archive's magic bytes is read as text.
    let disguised = g.aws_secret();
    tree.write(
        "notes.txt",
        format!("PK\x03\x04\naws_secret_access_key = {disguised}\n"),
    );
    // A member named after the secret it holds, with a newline in its name.
    let token = g.stripe_live();
    let name = format!("keys/{token}\nx.txt");
    std::fs::create_dir_all(src.join("named/keys")).unwrap();
    std::fs::write(src.join("named").join(&name), format!("stripe = {token}\n")).unwrap();
    run_tool(
        &src.join("named"),
        "tar",
        &["-cf", &format!("{out}/named.tar"), "keys"],
    );

    let (code, report, stderr) = tree.json(&["scan", ".", "--max-file-size", "1000000", "-v"]);
    assert_eq!(code, 1, "{stderr}");
    let found = members(&report);
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(found[0], m("aws-secret-access-key", "notes.txt", "", 2));
    assert!(
        stderr.contains("notes.txt: read as a file, not an archive"),
        "{stderr}"
    );
    // What the damaged archive held before the damage is scanned.
    assert_eq!(
        found[1],
        m("k8s-literal-secret", "cut.tgz", "cut/values.yaml", 1)
    );
    assert_eq!(
        (found[2].0.as_str(), found[2].1.as_str(), found[2].3),
        ("stripe-secret-key", "named.tar", 1)
    );
    let member = &found[2].2;
    assert!(
        member.starts_with("keys/sk_l…") && !member.contains(&token),
        "{member}"
    );
    // The bomb: with --max-file-size 1 MB an archive may inflate 16 MB. Each 4 MiB member
    // is over the limit and passed over by its size, but passing over a gzipped tar's member
    // inflates it: the fourth runs the budget out. Four members and the rest of the archive
    // are counted as too large, and a warning says so. The encrypted member counts as binary,
    // and so does the archive nested past the limit.
    assert_eq!(skipped(&report, "too_large"), 5, "{stderr}");
    assert!(
        stderr.contains("bomb.tgz: unpacks to more than 16000000 bytes"),
        "{stderr}"
    );
    assert_eq!(skipped(&report, "binary"), 2, "{stderr}");
    assert!(
        stderr.contains("locked.zip!values.yaml: skipped"),
        "{stderr}"
    );
    assert!(stderr.contains("cut.tgz: skipped from here on"), "{stderr}");
    assert!(
        stderr.contains("l0.tar!l1.tar!l2.tar!l3.tgz: skipped, binary"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(&token) && !stderr.contains(&deep),
        "{stderr}"
    );

    // With room for each member, 19 are read (zeros: binary), the twentieth is cut off by
    // the budget (80 MB) and counted with the rest of the archive.
    let (_, report, stderr) = tree.json(&["scan", "bomb.tgz", "--max-file-size", "5000000"]);
    assert!(
        stderr.contains("bomb.tgz: unpacks to more than 80000000 bytes"),
        "{stderr}"
    );
    assert_eq!(skipped(&report, "binary"), 19, "{report:#}");
    assert_eq!(skipped(&report, "too_large"), 2, "{report:#}");
}

#[test]
fn one_archive_at_two_paths_is_scanned_once_and_judged_at_each() {
    let tree = Tree::new();
    packaged(tree.path());
    std::fs::create_dir_all(tree.join("tests/data")).unwrap();
    std::fs::copy(
        tree.join("charts/mychart-0.1.0.tgz"),
        tree.join("tests/data/mychart-0.1.0.tgz"),
    )
    .unwrap();
    let (code, report, stderr) = tree.json(&["scan", ".", "--confidence", "low"]);
    assert_eq!(code, 1, "{stderr}");
    let chart: Vec<(String, String, u64, String)> = each_finding(&report, |f| {
        (
            field(f, "path"),
            f["member"].as_str().unwrap_or("").to_string(),
            f["line"].as_u64().unwrap(),
            field(f, "confidence"),
        )
    })
    .into_iter()
    .filter(|f| f.0.ends_with("mychart-0.1.0.tgz"))
    .collect();
    // The same members and lines at both paths; in a test folder the confidence is low.
    let row = |path: &str, member: &str, line: u64, c: &str| {
        (path.to_string(), member.to_string(), line, c.to_string())
    };
    let mut want = vec![
        row(
            "charts/mychart-0.1.0.tgz",
            "mychart/templates/secret.yaml",
            6,
            "medium",
        ),
        row(
            "charts/mychart-0.1.0.tgz",
            "mychart/values.yaml",
            4,
            "medium",
        ),
        row(
            "tests/data/mychart-0.1.0.tgz",
            "mychart/templates/secret.yaml",
            6,
            "low",
        ),
        row(
            "tests/data/mychart-0.1.0.tgz",
            "mychart/values.yaml",
            4,
            "low",
        ),
    ];
    let mut got = chart;
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

/// A ustar header (GNU magic) for an entry of `kind` (`b'0'` a file, `b'L'` a GNU long name).
fn tar_header(name: &str, size: u64, kind: u8) -> Vec<u8> {
    let mut h = vec![0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{size:011o}\0").as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = kind;
    h[257..265].copy_from_slice(b"ustar  \0");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    h
}

/// `data`, padded to tar's 512-byte blocks.
fn tar_data(data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    out.resize(data.len().div_ceil(512) * 512, 0);
    out
}

#[test]
fn long_member_names_are_read_and_hostile_ones_bounded() {
    let mut g = Gen::new();
    let tree = Tree::new();
    let src = Tree::new();
    let out = tree.path().to_str().unwrap().to_string();
    // GNU tar writes a path over 100 bytes as a long-name entry, POSIX tar as a PAX record.
    let deep = format!("chart/{}/values.yaml", "nested-folder".repeat(10));
    let password = format!("long-{}", g.alnum(12));
    src.write(&deep, format!("password: {password}\n"));
    run_tool(
        src.path(),
        "tar",
        &["-czf", &format!("{out}/gnu.tgz"), "chart"],
    );
    run_tool(
        src.path(),
        "tar",
        &["--format=posix", "-czf", &format!("{out}/pax.tgz"), "chart"],
    );
    // A long name of 8 MiB (a few kB gzipped) before a member: the name is past what a tar's
    // metadata may hold, so it is passed over unread and the member keeps its own name.
    let name_len = 8 << 20;
    let mut tar = tar_header("././@LongLink", name_len + 1, b'L');
    tar.extend(tar_data(&vec![b'a'; name_len as usize + 1]));
    let values = format!("password: {password}\n");
    tar.extend(tar_header("chart/values.yaml", values.len() as u64, b'0'));
    tar.extend(tar_data(values.as_bytes()));
    tar.extend(vec![0u8; 1024]);
    src.write("hostile.tar", tar);
    run_tool(src.path(), "gzip", &["-k", "hostile.tar"]);
    std::fs::copy(src.join("hostile.tar.gz"), tree.join("hostile.tgz")).unwrap();

    let (code, report, stderr) = tree.json(&["scan", "."]);
    assert_eq!(code, 1, "{stderr}");
    let mut want = vec![
        m("k8s-literal-secret", "gnu.tgz", &deep, 1),
        m("k8s-literal-secret", "pax.tgz", &deep, 1),
        m("k8s-literal-secret", "hostile.tgz", "chart/values.yaml", 1),
    ];
    want.sort();
    assert_eq!(members(&report), want);
}

/// A zstd skippable frame (what `pzstd` and seekable files put between frames).
fn skippable_frame(payload: &[u8]) -> Vec<u8> {
    let mut frame = 0x184D_2A50u32.to_le_bytes().to_vec();
    frame.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    frame.extend_from_slice(payload);
    frame
}

#[test]
fn bzip2_xz_and_zstd_streams_and_zip_methods_are_read() {
    let tree = Tree::new();
    let src = Tree::new();
    let mut g = Gen::new();
    let out = tree.path().to_str().unwrap().to_string();
    let (id, secret) = (g.aws_key_id(), g.aws_secret());
    let credentials =
        format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n");
    let chart_password = format!("dev-{}-pass", g.alnum(8));
    src.write(
        "mychart/values.yaml",
        format!("image: nginx\npostgresql:\n  auth:\n    password: {chart_password}\n"),
    )
    .write("lib-1.0/README", "a vendored source tarball\n")
    .write("lib-1.0/test/credentials", &credentials)
    .write("layer/etc/app/credentials", &credentials)
    .write(
        "jar/BOOT-INF/classes/application.properties",
        format!("spring.datasource.password={}\n", g.alnum(14)),
    )
    .write(
        "values.yaml",
        format!("redis:\n  password: {chart_password}\n"),
    );
    let s = src.path();
    // A chart as tar.bz2, a vendored source tarball as tar.xz, an image layer as tar+zstd
    // (OCI's `application/vnd.oci.image.layer.v1.tar+zstd`) inside the image's tar.
    run_tool(
        s,
        "tar",
        &["-cjf", &format!("{out}/mychart.tar.bz2"), "mychart"],
    );
    run_tool(
        s,
        "tar",
        &["-cJf", &format!("{out}/lib-1.0.tar.xz"), "lib-1.0"],
    );
    std::fs::create_dir_all(s.join("image/blobs/sha256")).unwrap();
    run_tool(
        &s.join("layer"),
        "tar",
        &["--zstd", "-cf", "../image/blobs/sha256/9a2e", "etc"],
    );
    run_tool(
        &s.join("image"),
        "tar",
        &["-cf", &format!("{out}/image.tar"), "blobs"],
    );
    // A jar whose member is bzip2-compressed (zip -Z bzip2).
    run_tool(
        &s.join("jar"),
        "zip",
        &["-qr", "-Z", "bzip2", &format!("{out}/app.jar"), "BOOT-INF"],
    );
    // Single files: values.yaml.xz, and a zstd stream of two frames with a skippable frame
    // between them, the secret in the second.
    run_tool(s, "xz", &["-k", "values.yaml"]);
    std::fs::copy(s.join("values.yaml.xz"), tree.join("values.yaml.xz")).unwrap();
    src.write("head.txt", "nothing here\n")
        .write("tail.txt", &credentials);
    run_tool(s, "zstd", &["-q", "head.txt", "tail.txt"]);
    let mut frames = std::fs::read(s.join("head.txt.zst")).unwrap();
    frames.extend(skippable_frame(b"index"));
    frames.extend(std::fs::read(s.join("tail.txt.zst")).unwrap());
    tree.write("notes.zst", frames);

    let (code, report, stderr) = tree.json(&["scan", "."]);
    assert_eq!(code, 1, "{stderr}");
    let mut want = vec![
        m(
            "k8s-literal-secret",
            "mychart.tar.bz2",
            "mychart/values.yaml",
            4,
        ),
        m(
            "aws-access-key-id",
            "lib-1.0.tar.xz",
            "lib-1.0/test/credentials",
            2,
        ),
        m(
            "aws-secret-access-key",
            "lib-1.0.tar.xz",
            "lib-1.0/test/credentials",
            3,
        ),
        m(
            "aws-access-key-id",
            "image.tar",
            "blobs/sha256/9a2e!etc/app/credentials",
            2,
        ),
        m(
            "aws-secret-access-key",
            "image.tar",
            "blobs/sha256/9a2e!etc/app/credentials",
            3,
        ),
        m(
            "generic-password-unquoted",
            "app.jar",
            "BOOT-INF/classes/application.properties",
            1,
        ),
        m("k8s-literal-secret", "values.yaml.xz", "values.yaml", 2),
        m("aws-access-key-id", "notes.zst", "notes", 3),
        m("aws-secret-access-key", "notes.zst", "notes", 4),
    ];
    want.sort();
    assert_eq!(members(&report), want, "{report:#}");
    // chart 1, tarball 2, layer 1, jar 1, values 1, notes 1.
    assert_eq!(report["summary"]["files_scanned"], 7, "{report:#}");
    for what in ["too_large", "binary", "unreadable", "not_regular"] {
        assert_eq!(skipped(&report, what), 0, "{what}: {stderr}");
    }
    assert!(!report.to_string().contains(&secret));
}

#[test]
fn xz_and_zstd_windows_and_bzip2_bombs_are_bounded() {
    let tree = Tree::new();
    let src = Tree::new();
    let s = src.path();
    src.write("zeros", vec![0u8; 8 << 20]);
    // A stream that asks its decoder for a 1.5 GiB dictionary, one for a 2 GiB window: each
    // would be an allocation of that size. Both are refused and counted as binary.
    run_tool(s, "xz", &["-k", "-1", "--lzma2=dict=1536MiB", "zeros"]);
    // From a pipe: given a file, zstd shrinks the window to the file's size.
    run_tool(s, "sh", &["-c", "zstd -q --long=31 < zeros > zeros.zst"]);
    // 8 MiB of zeros bzip2-compressed to a few hundred bytes: over --max-file-size once
    // unpacked, so passed over and counted as too large.
    run_tool(s, "bzip2", &["-k", "zeros"]);
    for name in ["zeros.xz", "zeros.zst", "zeros.bz2"] {
        std::fs::copy(s.join(name), tree.join(name)).unwrap();
    }
    let (code, report, stderr) = tree.json(&["scan", ".", "--max-file-size", "1000000", "-v"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(skipped(&report, "binary"), 2, "{stderr}");
    assert_eq!(skipped(&report, "too_large"), 1, "{stderr}");
    assert_eq!(report["summary"]["files_scanned"], 0, "{report:#}");
    assert!(
        stderr.contains("zeros.xz: read as a file, not an archive: not a readable xz stream"),
        "{stderr}"
    );
    assert!(
        stderr.contains("zeros.zst: read as a file, not an archive: not a readable zstd stream"),
        "{stderr}"
    );
    assert!(
        stderr.contains("zeros.bz2!zeros: skipped, 1000001 bytes is over --max-file-size"),
        "{stderr}"
    );
}
