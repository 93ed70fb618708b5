//! Test support: the golden reference data in `tests/golden/` (see its README.md), found
//! through the crate's own directory so that `cargo test` needs nothing outside the repository.
//! Every helper panics on a missing or malformed file, which fails the calling test.

use crate::io::read_matrix;
use crate::matrix::Matrix;
use std::path::PathBuf;

/// Path of a file under `tests/golden/`, e.g. `data/dsprites_real_258.csv`.
pub fn path(rel: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden")).join(rel)
}

/// Path of a golden metrics input, `tests/golden/metrics/<name>`.
pub fn metrics_file(name: &str) -> PathBuf {
    path("metrics").join(name)
}

/// A golden metrics input (headerless CSV) as a matrix.
pub fn matrix(name: &str) -> Matrix {
    let p = metrics_file(name);
    read_matrix(&p).unwrap_or_else(|e| panic!("golden file {}: {e}", p.display()))
}

/// `tests/golden/metrics/expected.json`, parsed: the independent implementation's values.
pub fn expected() -> serde_json::Value {
    let p = metrics_file("expected.json");
    let text =
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("golden file {}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("golden file {}: {e}", p.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_named_in_expected_json_is_present_or_documented() {
        let e = expected();
        assert!(e["mig_dlib"]["mig"].is_f64());
        let m = matrix("mig_codes.csv");
        assert_eq!((m.rows, m.cols), (2000, 6));
        let readme = std::fs::read_to_string(path("README.md")).unwrap();
        for (key, entry) in e.as_object().unwrap() {
            for input in entry["inputs"].as_array().into_iter().flatten() {
                let name = input.as_str().unwrap();
                assert!(
                    metrics_file(name).is_file() || readme.contains(&format!("`{name}`")),
                    "{key}: {name} is neither in tests/golden/metrics nor explained in its README"
                );
            }
        }
        assert!(path("data/dsprites_real_258.csv").is_file());
    }
}
