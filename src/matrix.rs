//! A small dense row-major `f64` matrix: the one data type every metric and reader shares.

/// A dense row-major matrix of `f64` (`rows × cols`, element (r, c) at `data[r·cols + c]`).
#[derive(Clone, Debug, PartialEq)]
pub struct Matrix {
    /// Number of rows (data points).
    pub rows: usize,
    /// Number of columns (dimensions).
    pub cols: usize,
    /// Row-major values, `rows · cols` of them.
    pub data: Vec<f64>,
}

impl Matrix {
    /// A `rows × cols` matrix of zeros.
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    /// Wraps row-major data; errors when `data.len() != rows · cols`.
    pub fn from_vec(rows: usize, cols: usize, data: Vec<f64>) -> Result<Self, String> {
        if rows.checked_mul(cols) != Some(data.len()) {
            return Err(format!(
                "matrix of {rows} × {cols} needs {} values, got {}",
                rows.saturating_mul(cols),
                data.len()
            ));
        }
        Ok(Self { rows, cols, data })
    }

    /// Builds a matrix from equally long rows; errors on ragged input.
    pub fn from_rows(rows: &[Vec<f64>]) -> Result<Self, String> {
        let cols = rows.first().map_or(0, Vec::len);
        let mut data = Vec::with_capacity(rows.len() * cols);
        for (r, row) in rows.iter().enumerate() {
            if row.len() != cols {
                return Err(format!("row {r} has {} values, expected {cols}", row.len()));
            }
            data.extend_from_slice(row);
        }
        Ok(Self {
            rows: rows.len(),
            cols,
            data,
        })
    }

    /// Element (r, c).
    #[inline]
    pub fn get(&self, r: usize, c: usize) -> f64 {
        self.data[r * self.cols + c]
    }

    /// Sets element (r, c).
    #[inline]
    pub fn set(&mut self, r: usize, c: usize, v: f64) {
        self.data[r * self.cols + c] = v;
    }

    /// Row `r` as a slice.
    #[inline]
    pub fn row(&self, r: usize) -> &[f64] {
        &self.data[r * self.cols..(r + 1) * self.cols]
    }

    /// Column `c` copied into a vector.
    pub fn col(&self, c: usize) -> Vec<f64> {
        (0..self.rows).map(|r| self.get(r, c)).collect()
    }

    /// The rows listed in `idx`, in that order.
    pub fn select_rows(&self, idx: &[usize]) -> Matrix {
        let mut data = Vec::with_capacity(idx.len() * self.cols);
        for &i in idx {
            data.extend_from_slice(self.row(i));
        }
        Matrix {
            rows: idx.len(),
            cols: self.cols,
            data,
        }
    }

    /// The columns listed in `idx`, in that order.
    pub fn select_cols(&self, idx: &[usize]) -> Matrix {
        let mut data = Vec::with_capacity(idx.len() * self.rows);
        for r in 0..self.rows {
            data.extend(idx.iter().map(|&c| self.get(r, c)));
        }
        Matrix {
            rows: self.rows,
            cols: idx.len(),
            data,
        }
    }

    /// Errors naming the first non-finite entry (`what` names the matrix, e.g. "codes").
    pub fn check_finite(&self, what: &str) -> Result<(), String> {
        match self.data.iter().position(|v| !v.is_finite()) {
            None => Ok(()),
            Some(i) => Err(format!(
                "{what}: non-finite value {} at row {}, column {}",
                self.data[i],
                i / self.cols.max(1),
                i % self.cols.max(1)
            )),
        }
    }

    /// Errors unless `self` has `rows` rows (`what`/`other` name the two inputs).
    pub fn check_rows(&self, rows: usize, what: &str, other: &str) -> Result<(), String> {
        if self.rows != rows {
            return Err(format!(
                "{what} has {} rows but {other} has {rows}",
                self.rows
            ));
        }
        Ok(())
    }

    /// Interprets every entry as a non-negative integer class label (column-major result:
    /// `out[c][r]`); errors naming the first entry that is not one.
    pub fn to_labels(&self, what: &str) -> Result<Vec<Vec<usize>>, String> {
        let mut out = vec![Vec::with_capacity(self.rows); self.cols];
        for r in 0..self.rows {
            for (c, col) in out.iter_mut().enumerate() {
                let v = self.get(r, c);
                if !(v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1e15) {
                    return Err(format!(
                        "{what}: row {r}, column {c}: expected a non-negative integer class, got {v}"
                    ));
                }
                col.push(v as usize);
            }
        }
        Ok(out)
    }
}

/// Mean of a slice (0 for an empty one).
pub fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    x.iter().sum::<f64>() / x.len() as f64
}

/// Variance with `ddof` delta degrees of freedom: Σ(x − x̄)² / (n − ddof); 0 when n ≤ ddof.
pub fn variance(x: &[f64], ddof: usize) -> f64 {
    if x.len() <= ddof {
        return 0.0;
    }
    let m = mean(x);
    x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - ddof) as f64
}

/// Every column's [`variance`] (ddof as there) in two passes over the row-major data: the same
/// sums in the same order as `variance(&m.col(c), ddof)`, so the same digits, without copying
/// a column out (the copies were most of a FactorVAE-score vote of 1,000 points).
pub fn column_variances(m: &Matrix, ddof: usize) -> Vec<f64> {
    let (n, k) = (m.rows, m.cols);
    if n <= ddof || k == 0 {
        return vec![0.0; k];
    }
    let mut mean = vec![0.0; k];
    for row in m.data.chunks_exact(k) {
        for (s, v) in mean.iter_mut().zip(row) {
            *s += v;
        }
    }
    for s in &mut mean {
        *s /= n as f64;
    }
    let mut ss = vec![0.0; k];
    for row in m.data.chunks_exact(k) {
        for ((s, v), mu) in ss.iter_mut().zip(row).zip(&mean) {
            *s += (v - mu) * (v - mu);
        }
    }
    ss.iter().map(|s| s / (n - ddof) as f64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_variances_are_the_columns_variances_to_the_bit() {
        let mut rng = crate::rng::Rng::new(7);
        let data: Vec<f64> = (0..37 * 5)
            .map(|i| rng.normal() * (1 + i % 5) as f64 + 3.0)
            .collect();
        let m = Matrix::from_vec(37, 5, data).unwrap();
        for ddof in [0, 1] {
            let by_column: Vec<u64> = (0..5)
                .map(|c| variance(&m.col(c), ddof).to_bits())
                .collect();
            let v: Vec<u64> = column_variances(&m, ddof)
                .iter()
                .map(|v| v.to_bits())
                .collect();
            assert_eq!(v, by_column, "ddof {ddof}");
        }
        assert_eq!(column_variances(&Matrix::zeros(1, 3), 1), vec![0.0; 3]);
    }

    #[test]
    fn construct_select_and_stats() {
        let m = Matrix::from_rows(&[vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0, 6.0]]).unwrap();
        assert_eq!(m.get(2, 1), 6.0);
        assert_eq!(m.col(0), vec![1.0, 3.0, 5.0]);
        assert_eq!(m.select_rows(&[2, 0]).data, vec![5.0, 6.0, 1.0, 2.0]);
        assert_eq!(m.select_cols(&[1]).data, vec![2.0, 4.0, 6.0]);
        assert_eq!(variance(&[1.0, 3.0, 5.0], 1), 4.0);
        assert!(Matrix::from_rows(&[vec![1.0], vec![1.0, 2.0]]).is_err());
        assert!(Matrix::from_vec(2, 2, vec![0.0; 3]).is_err());
    }

    #[test]
    fn non_finite_and_labels_are_reported_with_position() {
        let m = Matrix::from_rows(&[vec![1.0, 2.0], vec![f64::NAN, 4.0]]).unwrap();
        let e = m.check_finite("codes").unwrap_err();
        assert!(e.contains("row 1") && e.contains("column 0"), "{e}");
        let l = Matrix::from_rows(&[vec![1.0, 2.5]])
            .unwrap()
            .to_labels("factors");
        assert!(l.unwrap_err().contains("column 1"));
    }
}
