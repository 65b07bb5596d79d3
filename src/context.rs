//! Where a secret sits, beyond its rule: in a test, in documentation, in an example, in
//! vendored code, in a comment. A generic `password = "…"` in a test suite is nearly always a
//! dummy, and in a README nearly always an illustration; a token that passes its checksum is
//! a leak wherever it is. The filter uses this to set each finding's confidence, never to
//! drop it: `--confidence low` shows everything.

/// What a path says about the code in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PathContext {
    pub test: bool,
    pub docs: bool,
    pub example: bool,
    pub vendored: bool,
    /// Under a `plugins/` folder, where an Ansible collection keeps its modules and their
    /// documentation ([`PathContext::is_plugin_doc_example`]).
    pub plugins: bool,
}

impl PathContext {
    /// Code whose literals are usually not real credentials.
    pub fn is_illustrative(self) -> bool {
        self.test || self.docs || self.example || self.vendored
    }

    /// Whether a key path is inside the examples of an Ansible plugin's documentation: the
    /// `EXAMPLES` block of a module's or filter's doc file under `plugins/` (`password:
    /// password123!` shows how to call the module, as a README would).
    pub fn is_plugin_doc_example(self, key_path: Option<&str>) -> bool {
        let first = key_path.map(|k| k.split(['.', '[']).next().unwrap_or(""));
        self.plugins && first == Some("EXAMPLES")
    }
}

const TEST_DIRS: &[&str] = &[
    "test",
    "tests",
    "testing",
    "__tests__",
    "spec",
    "specs",
    "testdata",
    "test_data",
    "fixtures",
    "fixture",
    "__fixtures__",
    "__mocks__",
    "mocks",
    "e2e",
    "testsuite",
    "t",
    "bench",
    "benches",
    "benchmarks",
    "suite",
    // Ansible's test framework: scenarios that create, converge and verify a role.
    "molecule",
    // OpenSSH's and other C projects' regression suites.
    "regress",
];
/// What follows `test` in the name of a folder that holds tests' material (`testcerts`): only
/// these, so that a word that merely starts so (`testament`, `testnet`) does not count.
const TEST_SUPPORT: &[&str] = &[
    "certs",
    "keys",
    "util",
    "utils",
    "helpers",
    "lib",
    "libs",
    "env",
    "files",
    "resources",
    "support",
    "server",
    "servers",
];
const DOCS_DIRS: &[&str] = &["docs", "doc", "documentation", "man", "site", "website"];
const DOCS_EXTS: &[&str] = &[
    "md", "markdown", "rst", "adoc", "asciidoc", "txt", "textile", "org",
];
const EXAMPLE_WORDS: &[&str] = &["example", "examples", "sample", "samples", "demo", "demos"];
const VENDOR_DIRS: &[&str] = &[
    "vendor",
    "node_modules",
    "third_party",
    "third-party",
    "bower_components",
];

pub fn of_path(path: &str) -> PathContext {
    let lower = path.to_ascii_lowercase();
    let mut parts: Vec<&str> = lower.split('/').collect();
    let name = parts.pop().unwrap_or("");
    let dirs = parts;
    let stem = name.split('.').next().unwrap_or(name);
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    let in_dir = |list: &[&str]| dirs.iter().any(|d| list.contains(d));
    // `aws-signing-test-suite`, `unit_tests`: a word of the folder's name.
    let in_dir_words = |list: &[&str]| {
        dirs.iter()
            .any(|d| d.split(['-', '_', '.']).any(|w| list.contains(&w)))
    };
    // `testcerts`, `testutil`, `testhelpers`: a folder named for what its tests use.
    let test_prefixed = dirs.iter().any(|d| {
        d.strip_prefix("test")
            .is_some_and(|rest| TEST_SUPPORT.contains(&rest))
    });
    let test_name = stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem.ends_with("_tests")
        || stem.ends_with("_spec")
        || stem == "conftest"
        || name.contains(".test.")
        || name.contains(".spec.")
        || name.contains("_test.");
    PathContext {
        test: in_dir_words(TEST_DIRS) || test_prefixed || test_name,
        // A Python sdist's `PKG-INFO` carries its README as the long description; a commit
        // message (`COMMIT_EDITMSG`, where history scans report it) and a tag's (`TAG_EDITMSG`)
        // are prose too.
        docs: in_dir(DOCS_DIRS)
            || DOCS_EXTS.contains(&ext)
            || matches!(
                stem,
                "readme" | "notes" | "pkg-info" | "commit_editmsg" | "tag_editmsg"
            ),
        example: dirs.iter().chain(std::iter::once(&name)).any(|d| {
            EXAMPLE_WORDS
                .iter()
                .any(|w| d.split(['-', '_', '.']).any(|p| p == *w))
        }),
        vendored: in_dir(VENDOR_DIRS) || is_bundle(name) || is_next_build(&dirs),
        plugins: in_dir(&["plugins"]),
    }
}

/// Next.js's build output, `.next/static/` (or `_next/static/` once exported): bundles named
/// by content hash (`0g1e966rz9d1a.js`), which [`is_bundle`] cannot tell by name.
fn is_next_build(dirs: &[&str]) -> bool {
    dirs.windows(2)
        .any(|w| matches!(w[0], ".next" | "_next") && w[1] == "static")
}

/// A built web bundle (`app.min.js`, `swagger-ui-bundle.js`, webpack's `2711.31deda38.chunk.js`):
/// minified third-party and generated code, whose string tables hold thousands of names that a
/// generic rule reads as values. A vendor-format key in one is still reported (`medium`).
fn is_bundle(name: &str) -> bool {
    let Some(stem) = [".js", ".mjs", ".cjs", ".css"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext))
    else {
        return false;
    };
    stem.ends_with(".min")
        || stem.ends_with(".bundle")
        || stem.ends_with("-bundle")
        || stem.ends_with(".chunk")
}

/// The documentation strings of an Ansible module written in Python: `EXAMPLES = r'''…'''`,
/// and likewise `DOCUMENTATION` and `RETURN`, each at the start of a line. They show how to
/// call the module (`password: hunter2`), as a README would; a secret inside one is an
/// illustration. Byte ranges from the opening quotes to the closing ones (or the end of the
/// blob when they are missing), sorted and merged where they overlap, so a position is looked
/// up by binary search ([`in_blocks`]) however many a hostile file holds. Read from the
/// content, so a copy of the file anywhere is judged alike.
pub fn doc_blocks(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    const NAMES: [&[u8]; 3] = [b"EXAMPLES", b"DOCUMENTATION", b"RETURN"];
    let mut blocks = Vec::new();
    for name in NAMES {
        for at in memchr::memmem::find_iter(bytes, name) {
            if at > 0 && bytes[at - 1] != b'\n' {
                continue;
            }
            let Some(open) = doc_string_start(&bytes[at + name.len()..]) else {
                continue;
            };
            let start = at + name.len() + open;
            let quotes = &bytes[start..start + 3];
            let body = start + 3;
            let end =
                memchr::memmem::find(&bytes[body..], quotes).map_or(bytes.len(), |e| body + e + 3);
            blocks.push(start..end);
        }
    }
    merge(blocks)
}

/// Where code shows rather than holds its literals, read from the content: the documentation
/// strings of [`doc_blocks`] and [`docstrings`], and the test modules of [`rust_test_blocks`],
/// sorted and merged for [`in_blocks`].
pub fn illustrative_blocks(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut blocks = doc_blocks(bytes);
    blocks.extend(rust_test_blocks(bytes));
    blocks.extend(docstrings(bytes));
    merge(blocks)
}

/// Python's docstrings: a triple-quoted string that is a statement of its own, first in a
/// module (nothing but comments before it) or right after a line ending in `:` (`def`,
/// `class`). They document, as a README does: `Example: connect(password="s3cret")`. Every
/// triple-quoted string is walked from its opening quotes to its closing ones, so quotes inside
/// one string (`'''` in a `"""` string, an SQL `WHERE x:` line before the closing quotes) are
/// never taken for another's opening; each byte is read a bounded number of times however
/// many quotes a hostile file holds. A string never closed runs to the end of the blob.
pub fn docstrings(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    use memchr::memmem::Finder;
    let finders = [Finder::new(b"\"\"\""), Finder::new(b"'''")];
    let mut next: [Option<usize>; 2] = [finders[0].find(bytes), finders[1].find(bytes)];
    let mut blocks = Vec::new();
    let mut pos = 0;
    // Only the first string of a file can be its module's docstring.
    let mut first = true;
    while pos < bytes.len() {
        for (i, finder) in finders.iter().enumerate() {
            if next[i].is_some_and(|n| n < pos) {
                next[i] = finder.find(&bytes[pos..]).map(|n| pos + n);
            }
        }
        let Some((kind, open)) = (0..2)
            .filter_map(|i| next[i].map(|n| (i, n)))
            .min_by_key(|&(_, n)| n)
        else {
            break;
        };
        // The text before the quotes on their line, or after the last string's closing quotes
        // when that is on the same line (then the string is no statement of its own).
        let (line_start, whole_line) = match memchr::memrchr(b'\n', &bytes[pos..open]) {
            Some(i) => (pos + i + 1, true),
            None => (pos, pos == 0),
        };
        let lead = &bytes[line_start..open];
        if has_comment(lead) {
            // Quotes in a comment open nothing.
            pos = next_line(bytes, open).unwrap_or(bytes.len());
            continue;
        }
        let body = open + 3;
        let close = (finders[kind].find(&bytes[body..])).map_or(bytes.len(), |e| body + e + 3);
        let prefix = lead.trim_ascii_start();
        let own_line =
            whole_line && prefix.len() <= 2 && prefix.iter().all(|b| b"rRuU".contains(b));
        if own_line
            && (first && only_comments_before(bytes, line_start) || after_colon(bytes, line_start))
        {
            blocks.push(open..close);
        }
        first = false;
        pos = close;
    }
    blocks
}

/// Whether a `#` comment starts in `lead`, a line's text outside triple-quoted strings: a `#`
/// that is not inside a one-line string (`color = "#fff"`).
fn has_comment(lead: &[u8]) -> bool {
    let mut quote = None;
    let mut escaped = false;
    for &b in lead {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if b == b'\\' => escaped = true,
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'#' => return true,
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None => {}
        }
    }
    false
}

/// Whether every line before `line_start` is blank or a comment (a module's docstring comes
/// first, after the `#!` and encoding lines).
fn only_comments_before(bytes: &[u8], line_start: usize) -> bool {
    bytes[..line_start]
        .split(|&b| b == b'\n')
        .all(|line| line.trim_ascii().is_empty() || line.trim_ascii_start().starts_with(b"#"))
}

/// Whether the last line before `line_start` that is neither blank nor a comment ends in `:`.
/// It reads back over blank and comment lines to the first other line, which is at or after
/// the line where the string before closed: no line is read back over by two strings.
fn after_colon(bytes: &[u8], line_start: usize) -> bool {
    let mut end = line_start;
    while end > 0 {
        let start = memchr::memrchr(b'\n', &bytes[..end - 1]).map_or(0, |i| i + 1);
        let line = bytes[start..end].trim_ascii();
        if !line.is_empty() && !line.starts_with(b"#") {
            return line.ends_with(b":");
        }
        end = start;
    }
    false
}

/// Rust's unit tests live in the file they test, in a module compiled only for tests:
/// `#[cfg(test)]` (or `#[cfg(all(test, …))]`), other attributes or blank lines, then
/// `mod tests {` (any name, `pub` allowed). A password in there is a test's, as in a `tests/`
/// folder. The block runs from the attribute to the first line after it that is a lone `}`
/// indented as the `mod` line (how rustfmt closes it), or to the end of the blob. Openers
/// inside a block already found are skipped, so each byte is read once however many a hostile
/// file holds.
pub fn rust_test_blocks(bytes: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut blocks = Vec::new();
    let mut after = 0;
    for at in memchr::memmem::find_iter(bytes, b"#[cfg(") {
        // Back over the indentation only: a line of thousands of `#[cfg(` costs one step each.
        let indent = bytes[..at]
            .iter()
            .rev()
            .take_while(|b| **b == b' ' || **b == b'\t')
            .count();
        let line_start = at - indent;
        if at < after || (line_start > 0 && bytes[line_start - 1] != b'\n') {
            continue;
        }
        let line_end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
        if !is_test_only(bytes[at..line_end].trim_ascii_end()) {
            continue;
        }
        // The `mod … {` line, past attributes and blank lines. Another opener among those
        // lines would stop at the same line, so none of them is tried again.
        let mut line = next_line(bytes, at);
        let module = loop {
            let Some(start) = line else {
                after = bytes.len();
                break None;
            };
            let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
            let text = bytes[start..end].trim_ascii();
            if text.is_empty() || text.starts_with(b"#[") {
                line = next_line(bytes, start);
                continue;
            }
            after = start;
            break is_module_opening(text).then_some((start, end));
        };
        let Some((start, end)) = module else {
            continue;
        };
        let indent = &bytes
            [start..start + (bytes[start..end].len() - bytes[start..end].trim_ascii_start().len())];
        let mut close = bytes.len();
        let mut line = next_line(bytes, start);
        while let Some(s) = line {
            let e = memchr::memchr(b'\n', &bytes[s..]).map_or(bytes.len(), |i| s + i);
            let text = &bytes[s..e];
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            if text
                .strip_prefix(indent)
                .is_some_and(|rest| rest.trim_ascii_end() == b"}")
            {
                close = e;
                break;
            }
            line = next_line(bytes, s);
        }
        blocks.push(line_start..close);
        after = close;
    }
    blocks
}

/// `#[cfg(test)]`, or `#[cfg(all(test, …))]` (test code behind a feature as well): code that
/// only a test build compiles. `any(test, …)` is built without tests too.
fn is_test_only(attribute: &[u8]) -> bool {
    let Some(predicate) = attribute
        .strip_prefix(b"#[cfg(")
        .and_then(|p| p.strip_suffix(b")]"))
    else {
        return false;
    };
    predicate == b"test"
        || predicate
            .strip_prefix(b"all(")
            .and_then(|p| p.strip_suffix(b")"))
            .is_some_and(|args| {
                args.split(|b| *b == b',')
                    .any(|a| a.trim_ascii() == b"test")
            })
}

/// The start of the line after the one holding `at`, if there is one.
fn next_line(bytes: &[u8], at: usize) -> Option<usize> {
    memchr::memchr(b'\n', &bytes[at..])
        .map(|i| at + i + 1)
        .filter(|&s| s < bytes.len())
}

/// `mod tests {`, `pub(crate) mod test_support {`: an inline module, not `mod tests;`.
fn is_module_opening(text: &[u8]) -> bool {
    let text = text
        .strip_prefix(b"pub")
        .map(|rest| match rest.strip_prefix(b"(") {
            Some(r) => memchr::memchr(b')', r).map_or(r, |i| &r[i + 1..]),
            None => rest,
        })
        .unwrap_or(text)
        .trim_ascii_start();
    let Some(rest) = text.strip_prefix(b"mod ") else {
        return false;
    };
    let name_len = rest
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
        .count();
    name_len > 0 && rest[name_len..].trim_ascii() == b"{"
}

/// Sorts ranges and merges those that overlap.
fn merge(mut blocks: Vec<std::ops::Range<usize>>) -> Vec<std::ops::Range<usize>> {
    blocks.sort_unstable_by_key(|b| b.start);
    let mut merged: Vec<std::ops::Range<usize>> = Vec::with_capacity(blocks.len());
    for b in blocks {
        match merged.last_mut() {
            Some(last) if b.start <= last.end => last.end = last.end.max(b.end),
            _ => merged.push(b),
        }
    }
    merged
}

/// Whether `offset` is inside one of `blocks` (sorted, disjoint: [`illustrative_blocks`]).
pub fn in_blocks(blocks: &[std::ops::Range<usize>], offset: usize) -> bool {
    let after = blocks.partition_point(|b| b.start <= offset);
    after > 0 && blocks[after - 1].contains(&offset)
}

/// Where the triple quotes open after a name: `[ \t]*=[ \t]*`, at most two string prefix
/// letters (`r`, `u`, `b`), then `"""` or `'''`.
fn doc_string_start(rest: &[u8]) -> Option<usize> {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let mut i = rest.iter().take_while(|b| blank(b)).count();
    if rest.get(i) != Some(&b'=') {
        return None;
    }
    i += 1;
    i += rest[i..].iter().take_while(|b| blank(b)).count();
    i += (rest[i..].iter().take(2))
        .take_while(|b| b"rRuUbB".contains(b))
        .count();
    let quotes = rest.get(i..i + 3)?;
    (quotes == b"\"\"\"" || quotes == b"'''").then_some(i)
}

/// Whether a line is a comment in the common syntaxes (`#`, `//`, `--`, `;`, `/*`, `*`,
/// `<!--`, `%`, `REM`): a secret there is commented-out configuration or an illustration.
/// Three dashes or more start no comment: they are armour (`-----BEGIN RSA PRIVATE KEY-----`,
/// `---- BEGIN SSH2 …`) or a YAML document's start, and a key block met there was being
/// reported a level lower wherever it sat.
pub fn is_comment_line(line: &[u8]) -> bool {
    let text = line.trim_ascii_start();
    if text.starts_with(b"---") {
        return false;
    }
    // `/* note */ "password": …` is code after a closed comment.
    for (open, close) in [(&b"/*"[..], &b"*/"[..]), (b"<!--", b"-->")] {
        if let Some(rest) = text.strip_prefix(open)
            && let Some(at) = memchr::memmem::find(rest, close)
        {
            return rest[at + close.len()..].trim_ascii().is_empty();
        }
    }
    [
        &b"#"[..],
        b"//",
        b"--",
        b";",
        b"/*",
        b"* ",
        b"<!--",
        b"%",
        b"REM ",
        b"rem ",
    ]
    .iter()
    .any(|m| text.starts_with(m))
        && !text.starts_with(b"#!")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_module_doc_strings() {
        let text = "import os\nDOCUMENTATION = r'''\nmodule: user\n'''\n\nEXAMPLES = \"\"\"\n- user:\n    password: hunter2\n\"\"\"\nx = 1\n    RETURN = '''not at a line start'''\nRETURN=u'''\nsample: abc\n";
        let blocks = doc_blocks(text.as_bytes());
        let shown: Vec<&str> = blocks.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(
            shown,
            [
                "'''\nmodule: user\n'''",
                "\"\"\"\n- user:\n    password: hunter2\n\"\"\"",
                "'''\nsample: abc\n",
            ]
        );
        let at = |needle: &str| text.find(needle).unwrap();
        assert!(in_blocks(&blocks, at("hunter2")) && in_blocks(&blocks, at("module:")));
        assert!(!in_blocks(&blocks, at("x = 1")) && !in_blocks(&blocks, 0));
        // Overlapping blocks (a RETURN opener inside EXAMPLES) merge into one.
        let nested = b"EXAMPLES = '''\nRETURN = \"\"\"\n'''\nstill in RETURN\n\"\"\"\n";
        let merged = doc_blocks(nested);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0], 11..nested.len() - 1);
        assert!(doc_blocks(b"EXAMPLES = 'one line'\nEXAMPLES_X = '''a'''\n").is_empty());
    }

    #[test]
    fn ansible_plugin_doc_examples() {
        let doc = of_path("microsoft/ad/plugins/modules/user.yml");
        assert!(doc.is_plugin_doc_example(Some("EXAMPLES.password")));
        assert!(doc.is_plugin_doc_example(Some("EXAMPLES[0].vars.password")));
        assert!(!doc.is_plugin_doc_example(Some("password")));
        assert!(!doc.is_plugin_doc_example(None));
        let role = of_path("roles/x/defaults/main.yml");
        assert!(!role.is_plugin_doc_example(Some("EXAMPLES.password")));
        assert!(!of_path("plugins").is_plugin_doc_example(Some("EXAMPLES.password")));
    }

    #[test]
    fn paths_are_classified() {
        assert!(of_path("tests/unit/test_db.py").test);
        assert!(of_path("pkg/db_test.go").test);
        assert!(of_path("src/app.test.ts").test);
        assert!(of_path("docs/install.md").docs);
        assert!(of_path("README.rst").docs);
        assert!(of_path("charts/app/templates/NOTES.txt").docs);
        assert!(of_path("examples/basic/values.yaml").example);
        assert!(of_path("config/settings.sample.py").example);
        assert!(of_path("vendor/github.com/x/y.go").vendored);
        assert!(of_path("static/js/2711.31deda38.chunk.js").vendored);
        assert!(of_path("swagger/swagger-ui-bundle.js").vendored);
        assert!(of_path("dist/app.min.js").vendored);
        assert!(!of_path("src/chunk.js").vendored);
        assert!(!of_path("src/bundle.rs").vendored);
        assert!(of_path("proxy/out/_next/static/chunks/0g1e966rz9d1a.js").vendored);
        assert!(of_path("web/.next/static/chunks/main.js").vendored);
        assert!(!of_path("src/next/static/page.js").vendored);
        assert!(of_path("minio.egg-info/PKG-INFO").docs);
        let prod = of_path("src/billing/config.py");
        assert!(!prod.is_illustrative());
        assert!(!of_path("src/latest/contest.py").test);
        assert!(of_path("aws-signing-test-suite/v4/context.json").test);
        assert!(of_path("openssh/regress/rsa_openssh.prv").test);
        assert!(of_path("pkg/webhook/testcerts/certs.go").test);
        assert!(of_path("internal/testutil/keys.go").test);
        assert!(!of_path("chain/testnet/genesis.json").test);
        assert!(!of_path("site/testimonials/index.html").test);
    }

    #[test]
    fn python_docstrings_are_blocks() {
        let text = "#!/usr/bin/env python\n# -*- coding: utf-8 -*-\n\"\"\"Module: password=a1\"\"\"\n\
                    Q = \"\"\"\nSELECT 1 WHERE x:\n\"\"\"\nS = '''q \"\"\" r'''\n\
                    def f(a):\n    # a comment\n    r'''Call f(password=\"b2\")'''\n    return g(\n        \"\"\"c3\"\"\"\n    )\n\
                    class C:\n\n    \"\"\"d4 # not a comment\n    \"\"\"\n    x = 1  # \"\"\" in a comment\n    y = \"\"\"e5\"\"\"\n\
                    def g():\n    \"\"\"f6\"\"\"\n";
        let blocks = docstrings(text.as_bytes());
        let inside = |s: &str| in_blocks(&blocks, text.find(s).expect("in the text"));
        assert!(inside("a1") && inside("b2") && inside("d4"), "{blocks:?}");
        assert!(!inside("SELECT") && !inside("q \"") && !inside("c3") && !inside("e5"));
        // Quotes in a comment after code open nothing: the next docstring is still one.
        assert!(inside("f6"), "{blocks:?}");
        assert_eq!(blocks.len(), 4);
        // Not first: a module docstring comes before any code.
        assert!(docstrings(b"import os\n\"\"\"x\"\"\"\n").is_empty());
        // Never closed: to the end.
        assert_eq!(docstrings(b"def f():\n    '''open"), vec![13..20]);
    }

    #[test]
    fn many_quotes_stay_linear() {
        let hostile = "def f():\n\"\"\"\n".repeat(200_000) + &"#\"\"\"\n".repeat(200_000);
        let blocks = docstrings(hostile.as_bytes());
        assert_eq!(blocks.len(), 100_000);
        let one_line = "\"\"\"".repeat(1 << 20);
        assert!(!docstrings(one_line.as_bytes()).is_empty());
    }

    #[test]
    fn comments_are_recognised() {
        assert!(is_comment_line(b"  # password: hunter2"));
        assert!(is_comment_line(b"// const key = 'x'"));
        assert!(!is_comment_line(b"#!/bin/sh"));
        assert!(!is_comment_line(b"password: hunter2 # trailing"));
        assert!(!is_comment_line(b"  /* block */ \"password\": \"x\""));
        assert!(is_comment_line(b"/* password = x */"));
        assert!(is_comment_line(b"-- password = 'x'"));
        assert!(is_comment_line(b"--password = 'x'"));
        assert!(!is_comment_line(b"-----BEGIN RSA PRIVATE KEY-----"));
        assert!(!is_comment_line(
            b"    ---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----"
        ));
        assert!(!is_comment_line(b"--- # a YAML document"));
    }

    #[test]
    fn rust_test_modules_are_blocks() {
        let text = "fn a() {}\n#[cfg(test)]\nmod tests;\nfn b() {}\n\
                    #[cfg(test)]\n\n#[allow(x)]\npub(crate) mod checks {\n    fn c() {\n    }\n}\nfn d() {}\n";
        let at = |s: &str| text.find(s).expect("in the text");
        let blocks = rust_test_blocks(text.as_bytes());
        assert_eq!(blocks.len(), 1);
        let block = &blocks[0];
        assert!(block.contains(&at("pub(crate) mod")) && block.contains(&at("fn c")));
        assert!(!block.contains(&at("fn b")) && !block.contains(&at("fn d")));
        // A module in a module closes at its own indentation; one never closed runs to the end.
        let nested = "mod outer {\n    #[cfg(test)]\n    mod tests {\n        fn x() {\n        }\n    }\n    fn y() {}\n}\n";
        let blocks = rust_test_blocks(nested.as_bytes());
        assert_eq!(blocks.len(), 1);
        assert!(blocks[0].contains(&nested.find("fn x").expect("there")));
        assert!(!blocks[0].contains(&nested.find("fn y").expect("there")));
        let open = "#[cfg(test)]\nmod tests {\n    fn x() {}\n";
        assert_eq!(rust_test_blocks(open.as_bytes()), vec![0..open.len()]);
        // Test code behind a feature too; not code that is also built without tests.
        let gated = "#[cfg(all(test, feature = \"sso\"))]\nmod sso_tests {\n}\n#[cfg(any(test, feature = \"x\"))]\nmod helpers {\n}\n#[cfg(not(test))]\nmod real {\n}\n";
        let blocks = rust_test_blocks(gated.as_bytes());
        assert_eq!(blocks.len(), 1);
        assert!(blocks[0].contains(&gated.find("mod sso_tests").expect("there")));
        assert!(!blocks[0].contains(&gated.find("mod helpers").expect("there")));
        // Not at a line's start, or not before a module: no block.
        assert!(rust_test_blocks(b"let s = \"#[cfg(test)]\";\nmod tests {\n}\n").is_empty());
        assert!(rust_test_blocks(b"#[cfg(test)]\nfn helper() {\n}\n").is_empty());
    }

    /// A hostile file of openers inside one unclosed module is one block, and one of
    /// openers before no module is none: each read once.
    #[test]
    fn many_test_module_openers_stay_linear() {
        let text = "#[cfg(test)]\nmod tests {\n".repeat(200_000);
        let blocks = illustrative_blocks(text.as_bytes());
        assert_eq!(blocks, vec![0..text.len()]);
        let text = "#[cfg(test)]\n".repeat(400_000) + "fn main() {}\n";
        assert!(rust_test_blocks(text.as_bytes()).is_empty());
        let text = "#[cfg(test)]\n\n".repeat(400_000);
        assert!(rust_test_blocks(text.as_bytes()).is_empty());
        // One line of openers: none at a line's start but the first, each looked at once.
        let text = "#[cfg(".repeat(2_000_000);
        assert!(rust_test_blocks(text.as_bytes()).is_empty());
    }
}
