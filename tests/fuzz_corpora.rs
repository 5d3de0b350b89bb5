//! The fuzz targets' kept corpora, replayed through the same checks (tests/fuzz/src/lib.rs),
//! so that every input the fuzzers found interesting stays tried by every `cargo test`.

use std::path::Path;

#[path = "fuzz/src/lib.rs"]
#[allow(dead_code)]
mod checks;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a corpus entry").path())
        .collect();
    files.sort();
    assert!(
        files.len() >= 5,
        "{target}: only {} inputs kept",
        files.len()
    );
    for file in files {
        let data = std::fs::read(&file).expect("a corpus file");
        eprintln!("{target}: {}", file.display());
        check(&data);
    }
}

#[test]
fn codes_corpus() {
    replay("codes", checks::codes);
}

#[test]
fn csv_corpus() {
    replay("csv", checks::csv);
}

#[test]
fn epcis_corpus() {
    replay("epcis", checks::epcis);
}

#[test]
fn json_corpus() {
    replay("json", checks::json);
}

/// Writes the seeds of every target into its corpus (run once when the seeds change:
/// `cargo test --test fuzz_corpora -- --ignored`).
#[test]
#[ignore = "writes the seed inputs into tests/fuzz/corpus"]
fn write_seeds() {
    for target in ["codes", "csv", "epcis", "json"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fuzz/corpus")
            .join(target);
        std::fs::create_dir_all(&dir).expect("the corpus folder");
        for (i, seed) in checks::seeds(target).iter().enumerate() {
            std::fs::write(dir.join(format!("seed-{i:02}")), seed).expect("a seed");
        }
    }
}
