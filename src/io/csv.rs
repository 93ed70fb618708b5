//! Headerless numeric CSV: one row per data point, fields separated by commas (or, in a
//! line without commas, by whitespace as `np.savetxt` writes). Byte-level only (no file
//! system), so the page (wasm32) can use it.

use crate::matrix::Matrix;

/// Parses CSV text into a matrix; `what` names the source in errors (e.g. the file name).
/// Blank lines and `#` comment lines are skipped; errors give the 1-based line and column.
pub fn parse_csv(text: &str, what: &str) -> Result<Matrix, String> {
    let mut data = Vec::new();
    let mut cols = None;
    let mut rows = 0;
    for (ln, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = if line.contains(',') {
            line.split(',').map(str::trim).collect()
        } else {
            line.split_whitespace().collect()
        };
        for (c, f) in fields.iter().enumerate() {
            // Non-finite values are refused too: they would poison every metric downstream.
            let v: f64 = f.parse().ok().filter(|v: &f64| v.is_finite()).ok_or_else(|| {
                format!(
                    "{what}: line {}, column {}: expected a finite number, got '{}' (files have no header)",
                    ln + 1,
                    c + 1,
                    crate::settings::text::clip(f, 40)
                )
            })?;
            data.push(v);
        }
        match cols {
            None => cols = Some(fields.len()),
            Some(n) if n != fields.len() => {
                return Err(format!(
                    "{what}: line {} has {} fields, expected {n} like the first row",
                    ln + 1,
                    fields.len()
                ))
            }
            _ => {}
        }
        rows += 1;
    }
    let cols = cols.ok_or_else(|| format!("{what}: no data rows"))?;
    Matrix::from_vec(rows, cols, data)
}

/// Parses CSV bytes (must be UTF-8) into a matrix.
pub fn parse_csv_bytes(bytes: &[u8], what: &str) -> Result<Matrix, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("{what}: not UTF-8 text ({e})"))?;
    parse_csv(text, what)
}

/// Formats a matrix as CSV (shortest round-trip decimal for each value, `\n` line ends).
pub fn to_csv(m: &Matrix) -> String {
    let mut s = String::new();
    for r in 0..m.rows {
        let row: Vec<String> = m.row(r).iter().map(f64::to_string).collect();
        s.push_str(&row.join(","));
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_separators() {
        let m = Matrix::from_vec(2, 2, vec![0.1, -2e-9, 3.0, 1e300]).unwrap();
        assert_eq!(parse_csv(&to_csv(&m), "t").unwrap(), m);
        let w = parse_csv("1 2\r\n\r\n3\t4\n", "t").unwrap();
        assert_eq!((w.rows, w.cols, w.data), (2, 2, vec![1.0, 2.0, 3.0, 4.0]));
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse_csv("mu0,mu1\n1,2\n", "codes.csv").unwrap_err();
        assert!(e.contains("codes.csv: line 1, column 1"), "{e}");
        let e = parse_csv("1,2\n3,x\n", "f").unwrap_err();
        assert!(e.contains("line 2, column 2"), "{e}");
        let e = parse_csv("1,2\n3\n", "f").unwrap_err();
        assert!(e.contains("line 2 has 1 fields"), "{e}");
        assert!(parse_csv("\n", "f").is_err());
        assert!(parse_csv_bytes(&[0xff, 0xfe], "f").is_err());
        let e = parse_csv("1,NaN\n", "f").unwrap_err();
        assert!(
            e.contains("line 1, column 2: expected a finite number"),
            "{e}"
        );
        assert!(parse_csv("inf 1\n", "f").is_err());
    }
    /// Hostile text: 5,000 random mutations of a valid CSV (characters replaced, inserted or
    /// deleted, lines cut). Each gives an error naming its place or a rectangular matrix no
    /// larger than the text, never a panic.
    #[test]
    fn random_mutations_error_or_parse_a_rectangle() {
        use crate::rng::Rng;
        let valid = "0.5,-1,2e3\n4,5.25,6\n-7,8,9\n";
        let alphabet = b"0123456789.,-+e \t\r\nxNaInf";
        let mut rng = Rng::new(5);
        let (mut ok, mut refused) = (0, 0);
        for i in 0..5000 {
            let mut b = valid.as_bytes().to_vec();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(b.len() as u64 + 1) as usize;
                let c = alphabet[rng.below(alphabet.len() as u64) as usize];
                match rng.below(4) {
                    0 if at < b.len() => b[at] = c,
                    1 => b.insert(at, c),
                    2 if at < b.len() => {
                        b.remove(at);
                    }
                    _ => b.truncate(at),
                }
            }
            match parse_csv_bytes(&b, "fuzz.csv") {
                Ok(m) => {
                    ok += 1;
                    assert_eq!(m.data.len(), m.rows * m.cols, "case {i}");
                    assert!(m.data.len() <= b.len(), "case {i}");
                }
                Err(e) => {
                    refused += 1;
                    assert!(e.starts_with("fuzz.csv"), "case {i}: {e}");
                }
            }
        }
        assert!(ok > 0 && refused > 0, "{ok} parsed, {refused} refused");
    }
}
