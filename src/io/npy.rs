//! NumPy `.npy` reading (v1/v2/v3 headers, little-endian, C order; f4 f8 i1 i2 i4 i8 u1 u2
//! u4 u8 b1) and writing (f32, f64, i64, u8, any shape). Byte-level only: no file system, so
//! the page (wasm32) can use it on uploaded bytes.
//!
//! Format: <https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html>.

use crate::metrics::Matrix;

const MAGIC: &[u8] = b"\x93NUMPY";

/// A decoded array: its shape, its dtype descriptor (e.g. "<f8") and its values as f64
/// (64-bit integers beyond 2^53 lose precision).
#[derive(Clone, Debug, PartialEq)]
pub struct NpyArray {
    /// Shape in C order; `[]` for a scalar.
    pub shape: Vec<usize>,
    /// The `descr` string of the header.
    pub descr: String,
    /// The values, row-major.
    pub data: Vec<f64>,
}

/// Finds `'key':` in the header dict and returns the text after it.
fn after_key<'a>(header: &'a str, key: &str) -> Result<&'a str, String> {
    for q in ['\'', '"'] {
        let pat = format!("{q}{key}{q}");
        if let Some(i) = header.find(&pat) {
            let rest = header[i + pat.len()..].trim_start();
            return rest
                .strip_prefix(':')
                .map(str::trim_start)
                .ok_or_else(|| format!("npy header: no ':' after '{key}'"));
        }
    }
    Err(format!("npy header has no '{key}' entry: {header}"))
}

/// Parses the header dict `{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }`.
fn parse_header(h: &str) -> Result<(String, bool, Vec<usize>), String> {
    let d = after_key(h, "descr")?;
    let q = d
        .chars()
        .next()
        .filter(|c| *c == '\'' || *c == '"')
        .ok_or("npy header: 'descr' is not a string (structured dtypes are not supported)")?;
    let end = d[1..]
        .find(q)
        .ok_or("npy header: unterminated 'descr' string")?;
    let descr = d[1..1 + end].to_string();
    let f = after_key(h, "fortran_order")?;
    let fortran = if f.starts_with("True") {
        true
    } else if f.starts_with("False") {
        false
    } else {
        return Err("npy header: 'fortran_order' is neither True nor False".into());
    };
    let s = after_key(h, "shape")?;
    let s = s
        .strip_prefix('(')
        .ok_or("npy header: 'shape' is not a tuple")?;
    let close = s
        .find(')')
        .ok_or("npy header: unterminated 'shape' tuple")?;
    let shape = s[..close]
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.trim_end_matches('L')
                .parse::<usize>()
                .map_err(|_| format!("npy header: bad dimension '{t}' in shape"))
        })
        .collect::<Result<Vec<usize>, String>>()?;
    Ok((descr, fortran, shape))
}

/// Decodes `.npy` bytes.
pub fn parse_npy(bytes: &[u8]) -> Result<NpyArray, String> {
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err("not an .npy file (missing the \\x93NUMPY magic)".into());
    }
    let (hlen, start): (usize, usize) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(format!("unsupported .npy format version {v}.{}", bytes[7])),
    };
    let body = start
        .checked_add(hlen)
        .filter(|&e| e <= bytes.len())
        .ok_or("truncated .npy header")?;
    let header = std::str::from_utf8(&bytes[start..body]).map_err(|_| "npy header is not text")?;
    let (descr, fortran, shape) = parse_header(header)?;
    if fortran && shape.len() > 1 {
        return Err(
            "Fortran-order .npy arrays are not supported (save with np.ascontiguousarray)".into(),
        );
    }
    let (endian, kind) = match (descr.get(..1), descr.get(1..)) {
        (Some(e), Some(k)) => (e, k),
        _ => return Err(format!("unsupported dtype '{descr}'")),
    };
    if endian == ">" && !matches!(kind, "i1" | "u1" | "b1") {
        return Err(format!(
            "big-endian dtype '{descr}' is not supported (use '<' byte order)"
        ));
    }
    if !matches!(endian, "<" | "|" | "=" | ">") {
        return Err(format!("unsupported dtype '{descr}'"));
    }
    let size = match kind {
        "f4" | "i4" | "u4" => 4,
        "f8" | "i8" | "u8" => 8,
        "i2" | "u2" => 2,
        "i1" | "u1" | "b1" => 1,
        _ => {
            return Err(format!(
                "unsupported dtype '{descr}' (expected f4 f8 i1 i2 i4 i8 u1 u2 u4 u8 or b1)"
            ))
        }
    };
    let count = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or("npy shape overflows")?;
    let payload = &bytes[body..];
    if count.checked_mul(size) != Some(payload.len()) {
        return Err(format!(
            "npy data has {} bytes but shape {shape:?} of '{descr}' needs {}",
            payload.len(),
            count.saturating_mul(size)
        ));
    }
    let data = payload
        .chunks_exact(size)
        .map(|c| {
            let mut b8 = [0u8; 8];
            b8[..size].copy_from_slice(c);
            match kind {
                "f4" => f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64,
                "f8" => f64::from_le_bytes(b8),
                "i1" => c[0] as i8 as f64,
                "i2" => i16::from_le_bytes([c[0], c[1]]) as f64,
                "i4" => i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64,
                "i8" => i64::from_le_bytes(b8) as f64,
                "b1" => (c[0] != 0) as u8 as f64,
                _ => u64::from_le_bytes(b8) as f64,
            }
        })
        .collect();
    Ok(NpyArray { shape, descr, data })
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

/// Encodes an array of any shape as `.npy` v1.0 bytes (header padded to 64 bytes).
pub fn to_npy_bytes(shape: &[usize], values: NpyValues) -> Result<Vec<u8>, String> {
    let (descr, n, mut payload) = match values {
        NpyValues::F32(v) => (
            "<f4",
            v.len(),
            v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>(),
        ),
        NpyValues::F64(v) => (
            "<f8",
            v.len(),
            v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        ),
        NpyValues::I64(v) => (
            "<i8",
            v.len(),
            v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        ),
        NpyValues::U8(v) => ("|u1", v.len(), v.to_vec()),
    };
    if shape.iter().product::<usize>() != n {
        return Err(format!("shape {shape:?} does not hold {n} values"));
    }
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let shape_s = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_s}, }}");
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let hlen = u16::try_from(header.len()).map_err(|_| "npy header too long")?;
    let mut out = Vec::with_capacity(10 + header.len() + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&hlen.to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.append(&mut payload);
    Ok(out)
}

/// Encodes a matrix as a 2-D `<f8` `.npy`.
pub fn matrix_to_npy(m: &Matrix) -> Vec<u8> {
    // The shape always matches the data of a well-formed Matrix.
    to_npy_bytes(&[m.rows, m.cols], NpyValues::F64(&m.data)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a v1 or v2 file by hand with the given descr, shape text and payload.
    fn raw(version: u8, descr: &str, shape: &str, payload: &[u8]) -> Vec<u8> {
        let h = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}\n");
        let mut out = MAGIC.to_vec();
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

    #[test]
    fn round_trips_every_written_dtype() {
        let m = Matrix::from_vec(2, 3, vec![1.5, -2.0, 3.25, 0.0, 1e-300, -7.0]).unwrap();
        assert_eq!(npy_to_matrix(&matrix_to_npy(&m)).unwrap(), m);
        let b = to_npy_bytes(&[3], NpyValues::F32(&[1.0, 2.5, -3.0])).unwrap();
        assert_eq!(b.len() % 64, 12); // 64-byte aligned header + 12 data bytes
        assert_eq!(parse_npy(&b).unwrap().data, vec![1.0, 2.5, -3.0]);
        let b = to_npy_bytes(&[2, 1, 2], NpyValues::I64(&[-1, 2, 3, i64::from(i32::MAX)])).unwrap();
        let m = npy_to_matrix(&b).unwrap();
        assert_eq!((m.rows, m.cols, m.data[3]), (2, 2, 2147483647.0));
        let b = to_npy_bytes(&[2, 2], NpyValues::U8(&[0, 255, 7, 1])).unwrap();
        assert_eq!(parse_npy(&b).unwrap().descr, "|u1");
        assert!(to_npy_bytes(&[3, 2], NpyValues::U8(&[0; 5])).is_err());
    }

    #[test]
    fn reads_integer_bool_and_v2_files() {
        let a = parse_npy(&raw(2, "<i2", "(2,)", &[0xff, 0xff, 3, 0])).unwrap();
        assert_eq!(a.data, vec![-1.0, 3.0]);
        let a = parse_npy(&raw(1, "|b1", "(3,)", &[1, 0, 1])).unwrap();
        assert_eq!(a.data, vec![1.0, 0.0, 1.0]);
        let a = parse_npy(&raw(1, "|i1", "(1, 2)", &[0x80, 5])).unwrap();
        assert_eq!((a.shape.clone(), a.data), (vec![1, 2], vec![-128.0, 5.0]));
        let a = parse_npy(&raw(1, "<u4", "(1,)", &[1, 0, 0, 1])).unwrap();
        assert_eq!(a.data, vec![16777217.0]);
    }

    #[test]
    fn bad_files_error_instead_of_panicking() {
        assert!(parse_npy(b"hello").unwrap_err().contains("magic"));
        assert!(parse_npy(&raw(1, ">f8", "(1,)", &[0; 8]))
            .unwrap_err()
            .contains("big-endian"));
        assert!(parse_npy(&raw(1, "<c16", "(1,)", &[0; 16]))
            .unwrap_err()
            .contains("unsupported"));
        assert!(parse_npy(&raw(1, "<f8", "(2,)", &[0; 8]))
            .unwrap_err()
            .contains("needs 16"));
        let mut t = raw(1, "<f8", "(1,)", &[0; 8]);
        t.truncate(20);
        assert!(parse_npy(&t).is_err());
        assert!(npy_to_matrix(&raw(1, "<f8", "(1, 1, 1, 1)", &[0; 8])).is_err());
        // Every prefix of a valid file is rejected cleanly.
        let ok = raw(1, "<f8", "(2, 1)", &[0; 16]);
        for n in 0..ok.len() {
            assert!(parse_npy(&ok[..n]).is_err());
        }
    }
}
