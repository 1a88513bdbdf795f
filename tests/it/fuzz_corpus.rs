//! The fuzz corpora, replayed on stable: every input `cargo fuzz` kept in `fuzz/corpus/<target>/`
//! (see `fuzz/README.md`) goes through its `branchwatch::fuzzing` entry point, which must not
//! panic. A decoder change that panics on an input the fuzzer once found interesting fails here,
//! in CI, without nightly or libFuzzer. The dev profile has overflow checks on, as the fuzz
//! build does.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use branchwatch::fuzzing;

/// A fuzz target's name in `fuzz/Cargo.toml` and the entry point it calls.
type Target = (&'static str, fn(&[u8]));

/// Every fuzz target.
const TARGETS: [Target; 11] = [
    ("testgrid_legacy", fuzzing::testgrid_legacy),
    ("testgrid_v1", fuzzing::testgrid_v1),
    ("testgrid_headers", fuzzing::testgrid_headers),
    ("schedule", fuzzing::schedule),
    ("eol", fuzzing::eol),
    ("graphql", fuzzing::graphql),
    ("releases", fuzzing::releases),
    ("prow_description", fuzzing::prow_description),
    ("cherry_pick", fuzzing::cherry_pick),
    ("version", fuzzing::version),
    ("config", fuzzing::config),
];

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of a directory, sorted; a missing directory fails the test.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

/// Replays `target`'s corpus; every input that panics is named in the failure.
fn replay(target: &str) {
    let entry = TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, entry)| *entry)
        .expect("a known target");
    let dir = fuzz_dir().join("corpus").join(target);
    let inputs = files(&dir);
    assert!(
        !inputs.is_empty(),
        "{} is empty: the replay would pass without testing anything",
        dir.display()
    );
    let panicked: Vec<String> = inputs
        .iter()
        .filter(|path| {
            let data = std::fs::read(path)
                .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
            catch_unwind(AssertUnwindSafe(|| entry(&data))).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        panicked.is_empty(),
        "fuzzing::{target} panicked on {} of {} corpus inputs (reproduce with \
         `cargo +nightly fuzz run {target} <file>` in fuzz/):\n{}",
        panicked.len(),
        inputs.len(),
        panicked.join("\n")
    );
}

macro_rules! replay_tests {
    ($($target:ident),* $(,)?) => {
        $(
            #[test]
            fn $target() {
                replay(stringify!($target));
            }
        )*
    };
}

replay_tests!(
    testgrid_legacy,
    testgrid_v1,
    testgrid_headers,
    schedule,
    eol,
    graphql,
    releases,
    prow_description,
    cherry_pick,
    version,
    config,
);

/// The names of the entries of `dir` that `keep` accepts, without extension.
fn names(dir: &Path, keep: impl Fn(&Path) -> bool) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("cannot list {}: {error}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| keep(path))
        .filter_map(|path| Some(path.file_stem()?.to_str()?.to_string()))
        .collect()
}

#[test]
fn every_fuzz_target_has_a_corpus_replayed_here() {
    let replayed: BTreeSet<String> = TARGETS.iter().map(|(name, _)| name.to_string()).collect();
    let targets = names(&fuzz_dir().join("fuzz_targets"), |path| {
        path.extension().is_some_and(|ext| ext == "rs")
    });
    assert_eq!(
        targets, replayed,
        "fuzz/fuzz_targets/ and this test's TARGETS differ"
    );
    let corpora = names(&fuzz_dir().join("corpus"), Path::is_dir);
    assert_eq!(
        corpora, replayed,
        "fuzz/corpus/ and the fuzz targets differ"
    );
}
