//! `leakhound install-hook`: a plain git pre-commit hook for users without the pre-commit
//! framework. It runs `leakhound git --staged`, so a commit that adds a secret is refused;
//! with `--commit-msg`, a commit-msg hook too, so a key pasted into the message is refused
//! before it is in the history for good. An existing hook is never replaced silently: it may
//! hold the user's own checks.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::cli::InstallHookArgs;
use crate::emit::EXIT_CLEAN;

pub fn install(args: &InstallHookArgs) -> Result<u8> {
    let repo = git2::Repository::discover(&args.repo)
        .with_context(|| format!("{}: not a git repository", args.repo.display()))?;
    let dir = hooks_dir(&repo)?;
    let mut hooks = vec![Hook::PreCommit];
    if args.commit_msg {
        hooks.push(Hook::CommitMsg);
    }
    // Nothing is written unless every hook can be.
    for hook in &hooks {
        let path = dir.join(hook.name());
        if path.exists() && !args.force {
            bail!(
                "{} already exists; pass --force to replace it, or add `leakhound {}` to it",
                path.display(),
                hook.args()
            );
        }
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for hook in hooks {
        let path = dir.join(hook.name());
        std::fs::write(&path, script(hook))
            .with_context(|| format!("cannot write {}", path.display()))?;
        make_executable(&path)?;
        println!("installed {}: {}", path.display(), hook.refuses());
    }
    Ok(EXIT_CLEAN)
}

/// The hooks `install-hook` writes.
#[derive(Clone, Copy)]
enum Hook {
    /// Checks what the commit records: `leakhound git --staged`.
    PreCommit,
    /// Checks the message git hands it (`.git/COMMIT_EDITMSG`, up to `git commit -v`'s
    /// scissors line): `leakhound scan "$1"`.
    CommitMsg,
}

impl Hook {
    fn name(self) -> &'static str {
        match self {
            Hook::PreCommit => "pre-commit",
            Hook::CommitMsg => "commit-msg",
        }
    }

    /// leakhound's arguments in the hook.
    fn args(self) -> &'static str {
        match self {
            Hook::PreCommit => "git --staged",
            Hook::CommitMsg => "scan \"$1\"",
        }
    }

    fn refuses(self) -> &'static str {
        match self {
            Hook::PreCommit => "commits that add a secret are refused",
            Hook::CommitMsg => "commits whose message holds a secret are refused",
        }
    }
}

/// `core.hooksPath` when set (relative to the work tree), else `.git/hooks`.
fn hooks_dir(repo: &git2::Repository) -> Result<PathBuf> {
    let config = repo.config().context("cannot read the git config")?;
    match config.get_path("core.hooksPath") {
        Ok(path) if path.is_absolute() => Ok(path),
        Ok(path) => Ok(repo.workdir().unwrap_or_else(|| repo.path()).join(path)),
        Err(_) => Ok(repo.path().join("hooks")),
    }
}

/// Runs `leakhound` from PATH, or the binary that installed the hook when PATH has none.
fn script(hook: Hook) -> String {
    let this = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "leakhound".into());
    format!(
        "#!/bin/sh\n\
         # Installed by `leakhound install-hook`: {}.\n\
         # Accept a finding with `leakhound:allow` on its line, or skip once with --no-verify.\n\
         leakhound=leakhound\n\
         command -v leakhound >/dev/null 2>&1 || leakhound={}\n\
         exec \"$leakhound\" {}\n",
        hook.refuses(),
        shell_quote(&this),
        hook.args()
    )
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make {} executable", path.display()))
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_for_the_shell() {
        assert_eq!(shell_quote("/a b/it's"), "'/a b/it'\\''s'");
    }
}
