//! Binary key stores and DER keys made by the real tools (openssl, keytool) with fresh random
//! keys: each kind is reported once, at line 1, by its own rule, in a tree scan, a history
//! audit and a staged commit; trust stores, certificates and public keys are not.

use std::path::Path;

use crate::common::{Repo, Tree, run_tool, t, triples};

/// A fresh EC key and self-signed certificate in `dir` (k.pem, c.pem, c.der).
fn key_and_cert(dir: &Path) {
    run_tool(
        dir,
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "k.pem",
            "-out",
            "c.pem",
            "-subj",
            "/CN=example.test",
            "-days",
            "1",
        ],
    );
    run_tool(
        dir,
        "openssl",
        &["x509", "-in", "c.pem", "-outform", "DER", "-out", "c.der"],
    );
}

fn keytool(dir: &Path, args: &[&str]) {
    let mut all = args.to_vec();
    all.extend(["-storepass", "changeit", "-keypass", "changeit"]);
    run_tool(dir, "keytool", &all);
}

/// Every kind the tools write, under `dir/stores`, and what the scan must say of each.
fn make_stores(dir: &Path) -> Vec<(String, String, u64)> {
    let work = dir.join("work");
    std::fs::create_dir_all(&work).unwrap();
    key_and_cert(&work);
    let openssl = |args: &[&str]| run_tool(&work, "openssl", args);
    openssl(&[
        "pkcs12",
        "-export",
        "-inkey",
        "k.pem",
        "-in",
        "c.pem",
        "-out",
        "client.p12",
        "-passout",
        "pass:changeit",
    ]);
    openssl(&[
        "pkcs12",
        "-export",
        "-nokeys",
        "-in",
        "c.pem",
        "-out",
        "truststore.p12",
        "-passout",
        "pass:changeit",
    ]);
    openssl(&[
        "pkcs8", "-topk8", "-nocrypt", "-in", "k.pem", "-outform", "DER", "-out", "key.der",
    ]);
    openssl(&[
        "pkcs8",
        "-topk8",
        "-v2",
        "aes256",
        "-passout",
        "pass:changeit",
        "-in",
        "k.pem",
        "-outform",
        "DER",
        "-out",
        "key-enc.der",
    ]);
    openssl(&["ec", "-in", "k.pem", "-outform", "DER", "-out", "ec.der"]);
    openssl(&["genrsa", "-out", "r.pem", "2048"]);
    openssl(&[
        "rsa",
        "-in",
        "r.pem",
        "-traditional",
        "-outform",
        "DER",
        "-out",
        "rsa.der",
    ]);
    openssl(&[
        "pkey",
        "-in",
        "k.pem",
        "-pubout",
        "-outform",
        "DER",
        "-out",
        "public.der",
    ]);
    let genkey = |store: &str, kind: &str| {
        keytool(
            &work,
            &[
                "-genkeypair",
                "-keyalg",
                "EC",
                "-groupname",
                "secp256r1",
                "-alias",
                "app",
                "-dname",
                "CN=example.test",
                "-validity",
                "1",
                "-keystore",
                store,
                "-storetype",
                kind,
            ],
        )
    };
    genkey("server.jks", "JKS");
    genkey("android.keystore", "PKCS12");
    keytool(
        &work,
        &[
            "-genseckey",
            "-keyalg",
            "AES",
            "-keysize",
            "128",
            "-alias",
            "aes",
            "-keystore",
            "secrets.jceks",
            "-storetype",
            "JCEKS",
        ],
    );
    keytool(
        &work,
        &[
            "-importcert",
            "-noprompt",
            "-alias",
            "ca",
            "-file",
            "c.der",
            "-keystore",
            "cacerts.jks",
            "-storetype",
            "JKS",
        ],
    );
    let stores = dir.join("stores");
    std::fs::create_dir_all(&stores).unwrap();
    let kept = [
        "client.p12",
        "truststore.p12",
        "key.der",
        "key-enc.der",
        "ec.der",
        "rsa.der",
        "public.der",
        "c.der",
        "server.jks",
        "android.keystore",
        "secrets.jceks",
        "cacerts.jks",
    ];
    for name in kept {
        std::fs::copy(work.join(name), stores.join(name)).unwrap();
    }
    std::fs::remove_dir_all(&work).unwrap();
    let mut expected = vec![
        t("keystore-pkcs12", "stores/client.p12", 1),
        t("keystore-pkcs12", "stores/android.keystore", 1),
        t("keystore-java", "stores/server.jks", 1),
        t("keystore-java", "stores/secrets.jceks", 1),
        t("private-key-der", "stores/key.der", 1),
        t("private-key-der", "stores/key-enc.der", 1),
        t("private-key-der", "stores/ec.der", 1),
        t("private-key-der", "stores/rsa.der", 1),
    ];
    expected.sort();
    expected
}

#[test]
fn keystores_made_by_openssl_and_keytool_are_reported_by_kind() {
    let tree = Tree::new();
    let expected = make_stores(tree.path());
    let (code, report, stderr) = tree.json(&["scan", "."]);
    assert_eq!(code, 1, "{stderr}");
    let mut found = triples(&report);
    found.sort();
    assert_eq!(found, expected);
    // The certificate, the public key and the JKS trust store are binary and skipped,
    // counted; the PKCS#12 trust store (its certificates encrypted) is below the default
    // confidence.
    assert_eq!(report["summary"]["skipped"]["binary"], 3, "{report:#}");
    assert_eq!(report["summary"]["below_confidence"], 1, "{report:#}");
    for f in report["findings"].as_array().unwrap() {
        assert_eq!(f["confidence"], "high", "{f:#}");
    }
    // The terminal report says what each file is instead of printing binary.
    let out = tree.cmd(&["scan", "."]).output().unwrap();
    let text = String::from_utf8(out.stdout).expect("the report is UTF-8");
    for (path, what) in [
        (
            "client.p12",
            "[binary: PKCS#12 key store holding a private key, ",
        ),
        (
            "server.jks",
            "[binary: Java key store holding a private or secret key, ",
        ),
        ("rsa.der", "[binary: DER-encoded private key, "),
    ] {
        let at = text.find(&format!("stores/{path}:1:1 ")).expect(path);
        assert!(text[at..].contains(what), "{path}: {text}");
    }

    let (_, low, _) = tree.json(&["scan", ".", "--confidence", "low"]);
    let sealed: Vec<_> = triples(&low)
        .into_iter()
        .filter(|f| f.0 == "keystore-pkcs12-sealed")
        .collect();
    assert_eq!(
        sealed,
        vec![t("keystore-pkcs12-sealed", "stores/truststore.p12", 1)]
    );
}

#[test]
fn a_keystore_deleted_from_history_is_found_by_the_audit_and_a_staged_one_by_the_hook() {
    let repo = Repo::new();
    repo.write("README.md", "# app\n");
    repo.commit("initial");
    let scratch = Tree::new();
    make_stores(scratch.path());
    let bytes = std::fs::read(scratch.join("stores/server.jks")).unwrap();
    repo.write("config/server.jks", &bytes);
    let added = repo.commit("add the TLS key store");
    repo.git(&["rm", "-q", "config/server.jks"]);
    repo.commit("remove the key store");

    let (code, report, stderr) = repo.json(&["git", "."]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        triples(&report),
        vec![t("keystore-java", "config/server.jks", 1)]
    );
    assert_eq!(
        report["findings"][0]["commit"]["id"],
        added.as_str(),
        "{report:#}"
    );

    let p12 = std::fs::read(scratch.join("stores/client.p12")).unwrap();
    repo.write("certs/client.p12", &p12);
    repo.git(&["add", "certs/client.p12"]);
    let (code, report, stderr) = repo.json(&["git", "--staged"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        triples(&report),
        vec![t("keystore-pkcs12", "certs/client.p12", 1)]
    );
}

/// Key-store examples are base64 of a file: `rules check` names an example or a
/// counter-example that does not decode, rather than testing an empty file that every
/// counter-example check would pass.
#[test]
fn rules_check_rejects_key_store_examples_that_are_not_base64() {
    let tree = Tree::new();
    tree.write(
        "rules.toml",
        "[[rules]]\nid = \"keystore-java\"\ndescription = \"Java key store\"\n\
         analyzer = \"keystore\"\nexamples = [\"not base64!\"]\n\
         counter_examples = [\"also not base64#\"]\n",
    );
    let out = tree
        .cmd(&["rules", "check", "rules.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("rule \"keystore-java\": example 1 is not base64"),
        "{text}"
    );
    assert!(
        text.contains("rule \"keystore-java\": counter_example 1 is not base64"),
        "{text}"
    );
    assert!(text.contains("2 problem(s) in 1 rule(s)"), "{text}");
}
