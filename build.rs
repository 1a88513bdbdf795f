//! Stamps the source revision into the binary: `branchwatch_build_info{revision}` reads
//! `BRANCHWATCH_REVISION` at compile time (`option_env!`, in the metrics module).
//!
//! The revision is, in order:
//! 1. `git rev-parse --short=12 HEAD`, plus `-dirty` when `git status --porcelain` lists
//!    anything, when the crate is the root of a git checkout (a `.git` beside `Cargo.toml`, so a
//!    copy vendored inside another repository never takes that repository's commit);
//! 2. the `BRANCHWATCH_REVISION` environment variable, for builds without `.git` (the container
//!    build: `docker build --build-arg BRANCHWATCH_REVISION=$(git rev-parse --short=12 HEAD)`);
//! 3. `unknown`.
//!
//! Cost: cargo reruns this script only when HEAD moves (`.git/HEAD`, the branch's ref file,
//! `packed-refs`), when `src/`, `Cargo.toml` or `Cargo.lock` change (the crate is recompiled
//! then anyway, and `-dirty` must follow the edit), or when `BRANCHWATCH_REVISION` changes.
//! A build with nothing changed runs no git command. `-dirty` reflects the tree as of the last
//! run: an edit outside `src/` (README, tests) does not by itself rerun the script.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const ENV: &str = "BRANCHWATCH_REVISION";
/// Longest revision accepted from the environment; a label value, not a document.
const MAX_ENV_LEN: usize = 64;

fn main() {
    println!("cargo:rerun-if-env-changed={ENV}");
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| ".".into()));
    // The crate is recompiled when these change anyway; rerunning then keeps `-dirty` in step
    // with source edits (and notices a checkout that appeared since the last run).
    for path in ["src", "Cargo.toml", "Cargo.lock"] {
        watch(&root.join(path));
    }
    let revision = git_revision(&root)
        .or_else(env_revision)
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env={ENV}={revision}");
}

/// The checkout's short commit, `-dirty` if the tree has changes; None outside a checkout or
/// without a working `git`. Registers the files whose change means HEAD moved.
fn git_revision(root: &Path) -> Option<String> {
    // No `.git` here: not a checkout (a registry or vendored copy, a Docker context that
    // excludes `.git`). Checked without starting a process.
    if !root.join(".git").exists() {
        return None;
    }
    // `.git` may be a file (worktrees, submodules): ask git where the directories are.
    let dirs = git(root, &["rev-parse", "--git-dir", "--git-common-dir"])?;
    let mut dirs = dirs.lines().map(|dir| root.join(dir));
    let (git_dir, common_dir) = (dirs.next()?, dirs.next()?);
    // Registered before the commit is read, so a checkout without commits yet still reruns
    // the script once HEAD gets one.
    watch(&git_dir.join("HEAD"));
    if let Some(reference) = git(root, &["symbolic-ref", "-q", "HEAD"]) {
        // On a branch: the loose ref file, or packed-refs once `git gc` has packed it.
        watch(&common_dir.join(reference.trim()));
        watch(&common_dir.join("packed-refs"));
    }

    let commit = git(root, &["rev-parse", "--short=12", "--verify", "-q", "HEAD"])?;
    let commit = commit.trim();
    if commit.is_empty() || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let dirty = git(root, &["status", "--porcelain"]).is_some_and(|out| !out.trim().is_empty());
    Some(if dirty {
        format!("{commit}-dirty")
    } else {
        commit.to_string()
    })
}

/// `BRANCHWATCH_REVISION` if set, trimmed, and made of characters safe in a label value. An
/// empty value (`--build-arg BRANCHWATCH_REVISION=` left blank) is the same as unset.
fn env_revision() -> Option<String> {
    let value = std::env::var(ENV).ok()?;
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let safe = value.len() <= MAX_ENV_LEN
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b));
    if !safe {
        println!(
            "cargo:warning={ENV} ignored: at most {MAX_ENV_LEN} characters from [A-Za-z0-9._+-]"
        );
        return None;
    }
    Some(value.to_string())
}

/// Tells cargo to rerun this script when `path` changes. A path that does not exist is not
/// registered: cargo would treat it as changed on every build.
fn watch(path: &Path) {
    if path.exists() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

/// Runs `git -C root args...`; stdout on success, None if git is missing or fails.
/// `GIT_OPTIONAL_LOCKS=0`: `git status` must not take `index.lock` or rewrite the index, which
/// would race with a `git` command run at the same time in the same checkout.
fn git(root: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .arg("-C")
        .arg(root)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8(output.stdout).ok()
}
