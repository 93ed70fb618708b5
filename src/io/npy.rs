//! NumPy `.npy` on bytes, through the `ndarray-npy` crate. Reading takes format versions 1–3,
//! C or Fortran order, either byte order, and the dtypes f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 b1, and
//! gives f64 in C order; writing gives version 1.0 files of f32, f64, i64 or u8, any shape.
//! A file this cannot read is refused with a message, never a panic.
//!
//! Format: <https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html>.

use crate::matrix::Matrix;
use ndarray::{ArrayD, ArrayViewD, IxDyn};
use ndarray_npy::npy::header::Header;
use ndarray_npy::{ReadNpyExt, ReadableElement, WritableElement, WriteNpyExt};

/// A decoded array: its shape, its dtype descriptor (e.g. "<f8") and its values as f64
/// (64-bit integers beyond 2^53 lose precision).
#[derive(Clone, Debug, PartialEq)]
pub struct NpyArray {
    /// Shape in C order; `[]` for a scalar.
    pub shape: Vec<usize>,
    /// The `descr` string of the header.
    pub descr: String,
    /// The values, row-major (C order).
    pub data: Vec<f64>,
}

/// Refuses a header length beyond the end of the bytes: the reader would allocate that much
/// (up to 4 GiB) before finding out.
fn check_header_length(bytes: &[u8]) -> Result<(), String> {
    let declared = match bytes.get(6) {
        Some(1) => bytes
            .get(8..10)
            .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]]))),
        Some(2 | 3) => bytes
            .get(8..12)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize),
        _ => None,
    };
    match declared {
        Some(n) if n > bytes.len() => Err("truncated .npy header".into()),
        _ => Ok(()),
    }
}

/// The element size in bytes of a dtype kind such as "f8".
fn element_size(kind: &str) -> Option<usize> {
    match kind {
        "f4" | "i4" | "u4" => Some(4),
        "f8" | "i8" | "u8" => Some(8),
        "i2" | "u2" => Some(2),
        "i1" | "u1" | "b1" => Some(1),
        _ => None,
    }
}

/// The array's values as f64, in C order whatever the file's layout.
fn values<T: ReadableElement + Copy>(
    bytes: &[u8],
    to_f64: impl Fn(T) -> f64,
) -> Result<Vec<f64>, String> {
    let a = ArrayD::<T>::read_npy(bytes).map_err(|e| format!("cannot read the .npy data: {e}"))?;
    Ok(a.iter().map(|&v| to_f64(v)).collect())
}

/// Decodes `.npy` bytes.
pub fn parse_npy(bytes: &[u8]) -> Result<NpyArray, String> {
    check_header_length(bytes)?;
    let mut payload = bytes;
    let header = Header::from_reader(&mut payload).map_err(|e| format!("not an .npy file: {e}"))?;
    let descr = header
        .type_descriptor
        .as_string()
        .ok_or("structured .npy dtypes are not supported")?
        .clone();
    let kind = descr.trim_start_matches(['<', '>', '|', '=']);
    let size = element_size(kind).ok_or_else(|| {
        format!("unsupported dtype '{descr}' (expected f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 or b1)")
    })?;
    // Checked here so that a forged shape cannot make the reader allocate beyond the file.
    let count = header
        .shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or("npy shape overflows")?;
    if count.checked_mul(size) != Some(payload.len()) {
        return Err(format!(
            "npy data has {} bytes but shape {:?} of '{descr}' needs {}",
            payload.len(),
            header.shape,
            count.saturating_mul(size)
        ));
    }
    let data = match kind {
        "f4" => values::<f32>(bytes, f64::from),
        "f8" => values(bytes, |v: f64| v),
        "i1" => values::<i8>(bytes, f64::from),
        "i2" => values::<i16>(bytes, f64::from),
        "i4" => values::<i32>(bytes, f64::from),
        "i8" => values(bytes, |v: i64| v as f64),
        "u1" => values::<u8>(bytes, f64::from),
        "u2" => values::<u16>(bytes, f64::from),
        "u4" => values::<u32>(bytes, f64::from),
        "u8" => values(bytes, |v: u64| v as f64),
        _ => values(bytes, |v: bool| f64::from(u8::from(v))),
    }?;
    Ok(NpyArray {
        shape: header.shape,
        descr,
        data,
    })
}

/// Decodes `.npy` bytes into a matrix: 1-D (n) → n × 1, 2-D as is, 3-D (a, b, c) → a × (b·c).
pub fn npy_to_matrix(bytes: &[u8]) -> Result<Matrix, String> {
    let a = parse_npy(bytes)?;
    let (r, c) = match a.shape[..] {
        [n] => (n, 1),
        [r, c] => (r, c),
        [a0, b, c] => (a0, b * c),
        _ => {
            return Err(format!(
                "expected a 1-D, 2-D or 3-D array, got shape {:?}",
                a.shape
            ))
        }
    };
    // Non-finite values would poison every metric computed from the matrix.
    if let Some(i) = a.data.iter().position(|v| !v.is_finite()) {
        return Err(format!(
            "value {} (row {}, column {}) is {}: expected finite numbers",
            i,
            i / c.max(1),
            i % c.max(1),
            a.data[i]
        ));
    }
    Matrix::from_vec(r, c, a.data)
}

/// Values to write, by dtype.
#[derive(Clone, Copy, Debug)]
pub enum NpyValues<'a> {
    /// `<f4`.
    F32(&'a [f32]),
    /// `<f8`.
    F64(&'a [f64]),
    /// `<i8`.
    I64(&'a [i64]),
    /// `|u1`.
    U8(&'a [u8]),
}

/// `values` laid out in `shape` (C order), as `.npy` bytes.
fn write<T: WritableElement>(shape: &[usize], values: &[T]) -> Result<Vec<u8>, String> {
    let n = values.len();
    if shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d)) != Some(n) {
        return Err(format!("shape {shape:?} does not hold {n} values"));
    }
    let view = ArrayViewD::from_shape(IxDyn(shape), values)
        .map_err(|e| format!("shape {shape:?}: {e}"))?;
    let mut out = Vec::new();
    view.write_npy(&mut out)
        .map_err(|e| format!("cannot write .npy: {e}"))?;
    Ok(out)
}

/// Encodes an array of any shape as `.npy` v1.0 bytes (header padded to 64 bytes).
pub fn to_npy_bytes(shape: &[usize], values: NpyValues) -> Result<Vec<u8>, String> {
    match values {
        NpyValues::F32(v) => write(shape, v),
        NpyValues::F64(v) => write(shape, v),
        NpyValues::I64(v) => write(shape, v),
        NpyValues::U8(v) => write(shape, v),
    }
}

/// Encodes a matrix as a 2-D `<f8` `.npy`.
pub fn matrix_to_npy(m: &Matrix) -> Vec<u8> {
    // The shape always matches the data of a well-formed Matrix.
    to_npy_bytes(&[m.rows, m.cols], NpyValues::F64(&m.data)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a v1 or v2 file by hand with the given descr, order, shape text and payload.
    fn raw_with(version: u8, descr: &str, fortran: bool, shape: &str, payload: &[u8]) -> Vec<u8> {
        let order = if fortran { "True" } else { "False" };
        let h = format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}\n");
        let mut out = b"\x93NUMPY".to_vec();
        out.extend_from_slice(&[version, 0]);
        if version == 1 {
            out.extend_from_slice(&(h.len() as u16).to_le_bytes());
        } else {
            out.extend_from_slice(&(h.len() as u32).to_le_bytes());
        }
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(payload);
        out
    }

    fn raw(version: u8, descr: &str, shape: &str, payload: &[u8]) -> Vec<u8> {
        raw_with(version, descr, false, shape, payload)
    }

    #[test]
    fn round_trips_every_written_dtype() {
        let m = Matrix::from_vec(2, 3, vec![1.5, -2.0, 3.25, 0.0, 1e-300, -7.0]).unwrap();
        assert_eq!(npy_to_matrix(&matrix_to_npy(&m)).unwrap(), m);
        let b = to_npy_bytes(&[3], NpyValues::F32(&[1.0, 2.5, -3.0])).unwrap();
        assert_eq!(b.len() % 64, 12); // 64-byte aligned header + 12 data bytes
        assert_eq!(&b[..8], b"\x93NUMPY\x01\x00");
        assert_eq!(parse_npy(&b).unwrap().data, vec![1.0, 2.5, -3.0]);
        let b = to_npy_bytes(&[2, 1, 2], NpyValues::I64(&[-1, 2, 3, i64::from(i32::MAX)])).unwrap();
        let m = npy_to_matrix(&b).unwrap();
        assert_eq!((m.rows, m.cols, m.data[3]), (2, 2, 2147483647.0));
        let b = to_npy_bytes(&[2, 2], NpyValues::U8(&[0, 255, 7, 1])).unwrap();
        let a = parse_npy(&b).unwrap();
        assert_eq!(
            (a.descr.as_str(), a.data),
            ("|u1", vec![0.0, 255.0, 7.0, 1.0])
        );
        assert!(to_npy_bytes(&[3, 2], NpyValues::U8(&[0; 5])).is_err());
    }

    #[test]
    fn reads_integer_bool_big_endian_fortran_and_v2_files() {
        let a = parse_npy(&raw(2, "<i2", "(2,)", &[0xff, 0xff, 3, 0])).unwrap();
        assert_eq!(a.data, vec![-1.0, 3.0]);
        let a = parse_npy(&raw(1, "|b1", "(3,)", &[1, 0, 1])).unwrap();
        assert_eq!(a.data, vec![1.0, 0.0, 1.0]);
        let a = parse_npy(&raw(1, "|i1", "(1, 2)", &[0x80, 5])).unwrap();
        assert_eq!((a.shape.clone(), a.data), (vec![1, 2], vec![-128.0, 5.0]));
        let a = parse_npy(&raw(1, "<u4", "(1,)", &[1, 0, 0, 1])).unwrap();
        assert_eq!(a.data, vec![16777217.0]);
        let a = parse_npy(&raw(1, ">f8", "(1,)", &2.5f64.to_be_bytes())).unwrap();
        assert_eq!(a.data, vec![2.5]);
        // Fortran order: the file holds columns; values come back in C (row) order.
        let a = parse_npy(&raw_with(1, "|u1", true, "(2, 3)", &[1, 4, 2, 5, 3, 6])).unwrap();
        assert_eq!(a.data, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    }

    #[test]
    fn bad_files_error_instead_of_panicking() {
        assert!(parse_npy(b"hello").is_err());
        assert!(parse_npy(&raw(1, "<c16", "(1,)", &[0; 16]))
            .unwrap_err()
            .contains("unsupported dtype"));
        assert!(parse_npy(&raw(1, "<f8", "(2,)", &[0; 8]))
            .unwrap_err()
            .contains("needs 16"));
        assert!(parse_npy(&raw(
            1,
            "<f8",
            "(4294967296, 4294967296, 4294967296)",
            &[0; 8]
        ))
        .unwrap_err()
        .contains("overflows"));
        assert!(parse_npy(&raw(1, "|b1", "(1,)", &[7])).is_err());
        let mut huge = raw(2, "<f8", "(1,)", &[0; 8]);
        huge[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse_npy(&huge).unwrap_err().contains("truncated"));
        let mut t = raw(1, "<f8", "(1,)", &[0; 8]);
        t.truncate(20);
        assert!(parse_npy(&t).is_err());
        assert!(npy_to_matrix(&raw(1, "<f8", "(1, 1, 1, 1)", &[0; 8])).is_err());
        let nan = raw(
            1,
            "<f8",
            "(1, 2)",
            &[[0u8; 8], f64::NAN.to_le_bytes()].concat(),
        );
        assert!(npy_to_matrix(&nan).unwrap_err().contains("row 0, column 1"));
        // Every prefix of a valid file is rejected cleanly.
        let ok = raw(1, "<f8", "(2, 1)", &[0; 16]);
        for n in 0..ok.len() {
            assert!(parse_npy(&ok[..n]).is_err());
        }
    }
    /// Hostile files: 5,000 random mutations (flipped, inserted or deleted bytes, header
    /// digits changed, cuts) of valid files. Each parses to an error or to an array whose
    /// values match its shape and fit in the file (no allocation beyond the input), never a
    /// panic.
    #[test]
    fn random_mutations_error_or_parse_within_the_files_size() {
        use crate::rng::Rng;
        let seeds = [
            raw(1, "<f8", "(2, 3)", &[7; 48]),
            raw(2, "|u1", "(4,)", &[1, 2, 3, 4]),
            raw_with(1, "<i4", true, "(2, 2)", &[1; 16]),
            raw(1, "|b1", "(3,)", &[1, 0, 1]),
        ];
        let mut rng = Rng::new(11);
        let (mut ok, mut refused) = (0, 0);
        for i in 0..5000 {
            let mut b = seeds[i % seeds.len()].clone();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(b.len() as u64 + 1) as usize;
                match rng.below(5) {
                    0 if at < b.len() => b[at] ^= 1 << rng.below(8),
                    1 => b.insert(at, rng.below(256) as u8),
                    2 if at < b.len() => {
                        b.remove(at);
                    }
                    3 if at < b.len() => b[at] = b"0123456789(),"[rng.below(13) as usize],
                    _ => b.truncate(at),
                }
            }
            match parse_npy(&b) {
                Ok(a) => {
                    ok += 1;
                    assert_eq!(a.data.len(), a.shape.iter().product::<usize>(), "case {i}");
                    assert!(a.data.len() <= b.len(), "case {i}: {} values", a.data.len());
                }
                Err(e) => {
                    refused += 1;
                    assert!(!e.is_empty(), "case {i}");
                }
            }
        }
        assert!(ok > 0 && refused > 0, "{ok} parsed, {refused} refused");
    }
}
