//! Reading and writing arrays: `.npy` and headerless `.csv` into [`Matrix`] (f64).
//!
//! The byte-level parsers/serialisers (`npy`, `csv`) have no file-system access and compile
//! for wasm32; the path-based helpers here are for the native CLI and tests.

pub mod b64;
pub mod csv;
pub mod npy;

use crate::metrics::Matrix;
use std::path::{Path, PathBuf};

/// The shared data directory: `$DISENTANGLE_SHARED` if set, else `<crate>/../shared`.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("DISENTANGLE_SHARED") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared")),
    }
}

/// Path of a golden metrics file, `shared/golden/metrics/<name>`.
pub fn golden(name: &str) -> PathBuf {
    shared_dir().join("golden").join("metrics").join(name)
}

/// `shared/golden/metrics/expected.json`, parsed; panics (failing the test) when missing.
#[cfg(test)]
pub(crate) fn golden_json() -> serde_json::Value {
    let p = golden("expected.json");
    let text =
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("golden file {}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("golden file {}: {e}", p.display()))
}

/// Decodes bytes by file name: `.npy` as NumPy, anything else as CSV.
pub fn parse_matrix_bytes(bytes: &[u8], name: &str) -> Result<Matrix, String> {
    if name.to_ascii_lowercase().ends_with(".npy") {
        npy::npy_to_matrix(bytes).map_err(|e| format!("{name}: {e}"))
    } else {
        csv::parse_csv_bytes(bytes, name)
    }
}

/// Reads a `.npy` or `.csv` file (chosen by extension) into a matrix.
pub fn read_matrix(path: &Path) -> Result<Matrix, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_matrix_bytes(&bytes, &path.display().to_string())
}

/// Writes a matrix as `.npy` (f64) or CSV, chosen by the extension of `path`.
pub fn write_matrix(path: &Path, m: &Matrix) -> Result<(), String> {
    let is_npy = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"));
    let bytes = if is_npy {
        npy::matrix_to_npy(m)
    } else {
        csv::to_csv(m).into_bytes()
    };
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_files_are_present_and_parse() {
        let m = read_matrix(&golden("mig_codes.csv")).unwrap();
        assert_eq!((m.rows, m.cols), (2000, 6));
        assert!(golden_json()["mig_dlib"]["mig"].is_f64());
    }

    #[test]
    fn file_round_trip_by_extension() {
        let dir = std::env::temp_dir().join(format!("dlab-io-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let m = Matrix::from_vec(2, 2, vec![1.0, 2.0, 3.5, -4.0]).unwrap();
        for name in ["a.npy", "a.csv"] {
            let p = dir.join(name);
            write_matrix(&p, &m).unwrap();
            assert_eq!(read_matrix(&p).unwrap(), m);
        }
        let e = read_matrix(&dir.join("missing.csv")).unwrap_err();
        assert!(e.contains("missing.csv"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
