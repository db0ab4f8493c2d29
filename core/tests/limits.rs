//! Decompression bombs are rejected from the header, without allocating their pixels.

#[path = "common/counting.rs"]
mod counting;

use counting::peak_during;

fn read(path: &str) -> Option<Vec<u8>> {
    std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).ok()
}

/// Single test in this binary, so no other test's allocations are counted.
#[test]
fn bombs_allocate_nothing_like_their_declared_size() {
    let mut bombs = vec![("fixtures bomb", read("../fixtures/bomb-100000x100000.png").expect("fixture"))];
    let corpus = std::env::var("THUMBING_CORPUS")
        .unwrap_or_else(|_| format!("{}/../../shared/corpus", env!("CARGO_MANIFEST_DIR")));
    for name in ["sharp-fixtures/giant-image.jpg", "sharp-fixtures/65536-uint32-limit.png"] {
        match std::fs::read(format!("{corpus}/{name}")) {
            Ok(bytes) => bombs.push((name, bytes)),
            Err(_) if std::env::var("CI").as_deref() == Ok("true") => panic!("corpus file {name} missing under CI"),
            Err(_) => eprintln!("SKIPPED {name}: corpus not found at {corpus}"),
        }
    }
    for (name, bytes) in &bombs {
        let (result, peak) = peak_during(|| thumbing::avatar(bytes, 512));
        let err = result.unwrap_err();
        assert_eq!(err.kind(), thumbing::ErrorKind::TooLarge, "{name}: {err}");
        // The input is already in memory; a rejection may copy a header, never pixels.
        assert!(peak < 1 << 20, "{name}: rejecting it allocated {peak} bytes");
        eprintln!("{name}: rejected with {peak} bytes allocated: {err}");
    }
}
