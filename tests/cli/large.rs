//! Bounded resources on pathological files: 50 MB of base64 text (every line a decoding
//! candidate) and a 10 MB minified file on a single line. Both must complete and find the
//! secret planted in them at the right line and column. No timing is asserted; the release
//! figures (time, peak RSS) are in the README's "Detection quality" section.

use std::fmt::Write as _;

use base64::Engine as _;

use crate::common::*;

/// `count` lines of 76 base64 characters, cycling through a few hundred random ones.
fn base64_lines(count: usize) -> String {
    let mut rng = rng();
    let lines: Vec<String> = (0..512)
        .map(|_| {
            let bytes: Vec<u8> = (0..57).map(|_| rng.u8(..)).collect();
            base64::engine::general_purpose::STANDARD.encode(bytes)
        })
        .collect();
    let mut out = String::with_capacity(count * 77);
    for i in 0..count {
        out.push_str(&lines[i % lines.len()]);
        out.push('\n');
    }
    out
}

#[test]
fn fifty_megabytes_of_base64_are_scanned_and_the_planted_secret_found() {
    let mut g = Gen::new();
    let key = g.stripe_live();
    let mut text = base64_lines(640_000);
    let planted_line = 500_001;
    let at = (planted_line - 1) * 77;
    text.replace_range(at..at + 30, &format!("k={key}"));
    assert!(text.len() > 49_000_000);
    let tree = Tree::new();
    tree.write("dump.b64", &text);
    let (code, report, stderr) = tree.json(&["scan"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        triples(&report),
        vec![t("stripe-secret-key", "dump.b64", planted_line as u64)]
    );
    assert_eq!(report["findings"][0]["column"], 3);
}

#[test]
fn ten_megabyte_single_line_minified_file_is_scanned() {
    let mut g = Gen::new();
    let key = g.stripe_live();
    let mut line = String::with_capacity(10_500_000);
    let mut n = 0;
    while line.len() < 5_000_000 {
        write!(line, "function a{n}(b){{return b.c{n}(\"d{n}\")}};").unwrap();
        n += 1;
    }
    let column = line.len() + 1 + "var k=\"".len();
    write!(line, "var k=\"{key}\";").unwrap();
    while line.len() < 10_000_000 {
        write!(line, "var e{n}=\"{}\";", g.alnum(40)).unwrap();
        n += 1;
    }
    let tree = Tree::new();
    tree.write("app.min.js", format!("/*! v1 */\n{line}\n"));
    let (code, report, stderr) = tree.json(&["scan"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        triples(&report),
        vec![t("stripe-secret-key", "app.min.js", 2)]
    );
    assert_eq!(report["findings"][0]["column"], column as u64);
}
