//! The stable half of fuzzing: every file of `fuzz/corpus/<target>/` (the seeds, and every input
//! that once crashed a target, kept as a regression) is fed to the same body the libFuzzer
//! binary runs, so `cargo test` on stable replays every corpus in CI.

use custos_fuzzing::TARGETS;
use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The names of the entries of `dir` (file stems when `suffix` is given and matches).
fn names(dir: &Path, suffix: Option<&str>) -> BTreeSet<String> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    entries
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|name| match suffix {
            Some(suffix) => name.strip_suffix(suffix).map(str::to_owned),
            None => Some(name),
        })
        .collect()
}

#[test]
fn every_corpus_file_passes_its_target() {
    let mut failures = Vec::new();
    for target in TARGETS {
        let dir = fuzz_dir().join("corpus").join(target.name);
        let files = names(&dir, None);
        assert!(!files.is_empty(), "{}: the corpus is empty", dir.display());
        for file in files {
            let path = dir.join(&file);
            let data = std::fs::read(&path).unwrap();
            if catch_unwind(AssertUnwindSafe(|| (target.body)(&data))).is_err() {
                failures.push(path.display().to_string());
            }
        }
    }
    assert!(failures.is_empty(), "corpus files that fail their target: {failures:#?}");
}

#[test]
fn targets_corpora_and_fuzz_binaries_are_the_same_set() {
    let table: BTreeSet<String> = TARGETS.iter().map(|t| t.name.to_owned()).collect();
    assert_eq!(names(&fuzz_dir().join("corpus"), None), table, "fuzz/corpus/ against TARGETS");
    assert_eq!(
        names(&fuzz_dir().join("fuzz_targets"), Some(".rs")),
        table,
        "fuzz/fuzz_targets/ against TARGETS"
    );
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    for name in &table {
        assert!(manifest.contains(&format!("name = \"{name}\"")), "fuzz/Cargo.toml lacks the {name} binary");
    }
}

#[test]
#[should_panic(expected = "no fuzz target named nope")]
fn an_unknown_target_name_is_refused() {
    custos_fuzzing::run("nope", b"");
}
