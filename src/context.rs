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
    let test_name = stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem.ends_with("_tests")
        || stem.ends_with("_spec")
        || stem == "conftest"
        || name.contains(".test.")
        || name.contains(".spec.")
        || name.contains("_test.");
    PathContext {
        test: in_dir_words(TEST_DIRS) || test_name,
        docs: in_dir(DOCS_DIRS) || DOCS_EXTS.contains(&ext) || stem == "readme" || stem == "notes",
        example: dirs.iter().chain(std::iter::once(&name)).any(|d| {
            EXAMPLE_WORDS
                .iter()
                .any(|w| d.split(['-', '_', '.']).any(|p| p == *w))
        }),
        vendored: in_dir(VENDOR_DIRS),
        plugins: in_dir(&["plugins"]),
    }
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

/// Whether `offset` is inside one of `blocks` (sorted, disjoint: [`doc_blocks`]).
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
pub fn is_comment_line(line: &[u8]) -> bool {
    let text = line.trim_ascii_start();
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
        let prod = of_path("src/billing/config.py");
        assert!(!prod.is_illustrative());
        assert!(!of_path("src/latest/contest.py").test);
        assert!(of_path("aws-signing-test-suite/v4/context.json").test);
    }

    #[test]
    fn comments_are_recognised() {
        assert!(is_comment_line(b"  # password: hunter2"));
        assert!(is_comment_line(b"// const key = 'x'"));
        assert!(!is_comment_line(b"#!/bin/sh"));
        assert!(!is_comment_line(b"password: hunter2 # trailing"));
        assert!(!is_comment_line(b"  /* block */ \"password\": \"x\""));
        assert!(is_comment_line(b"/* password = x */"));
    }
}
