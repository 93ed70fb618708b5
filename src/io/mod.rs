//! Reading and writing arrays: `.npy` and headerless `.csv` into [`Matrix`] (f64), and base64
//! for bytes inside JSON messages.
//!
//! `b64` and `csv` work on bytes and compile for wasm32 (the page and worker use `b64`). `.npy`
//! and the file helpers here serve the native CLI and tests only, so the `.npy` crate stays out
//! of the wasm builds.

pub mod b64;
pub mod csv;
#[cfg(not(target_arch = "wasm32"))]
pub mod npy;

#[cfg(not(target_arch = "wasm32"))]
use crate::matrix::Matrix;
#[cfg(not(target_arch = "wasm32"))]
use std::path::Path;

/// Decodes bytes by file name: `.npy` as NumPy, anything else as CSV.
#[cfg(not(target_arch = "wasm32"))]
pub fn parse_matrix_bytes(bytes: &[u8], name: &str) -> Result<Matrix, String> {
    if name.to_ascii_lowercase().ends_with(".npy") {
        npy::npy_to_matrix(bytes).map_err(|e| format!("{name}: {e}"))
    } else {
        csv::parse_csv_bytes(bytes, name)
    }
}

/// Reads a `.npy` or `.csv` file (chosen by extension) into a matrix.
#[cfg(not(target_arch = "wasm32"))]
pub fn read_matrix(path: &Path) -> Result<Matrix, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_matrix_bytes(&bytes, &path.display().to_string())
}

/// Writes a matrix as `.npy` (f64) or CSV, chosen by the extension of `path`.
#[cfg(not(target_arch = "wasm32"))]
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
