//! Where the sampled metric protocols get codes from: a [`CodeSource`] maps factor vectors to
//! codes. [`FactorTable`] is the precomputed one (a complete factor grid with an O(1) lookup);
//! a live caller (render + encode) implements the trait itself.

use crate::matrix::Matrix;

/// Anything that returns the code (encoder mean) of an observation with given factor classes.
pub trait CodeSource {
    /// Number of classes of each factor (factor k takes values 0..sizes[k]).
    fn factor_sizes(&self) -> &[usize];
    /// Codes for a batch of factor vectors, `factors` row-major B × F → a B × D matrix.
    fn codes(&mut self, factors: &[usize]) -> Result<Matrix, String>;
}

/// A complete factor grid: one code row per combination of factor classes.
#[derive(Clone, Debug)]
pub struct FactorTable {
    codes: Matrix,
    sizes: Vec<usize>,
    /// Row-major grid strides: cell = Σ_k f_k · strides[k].
    strides: Vec<usize>,
    /// Grid cell → row of `codes`.
    row_of_cell: Vec<usize>,
    /// The original class value of each grid index, per factor.
    values: Vec<Vec<usize>>,
}

/// Largest grid a table may hold (keeps the lookup vector small; dSprites has 737,280 cells).
const MAX_CELLS: usize = 1 << 26;

impl FactorTable {
    /// Builds the table from codes (N × D) and factor classes (N × F, non-negative integers;
    /// a factor's distinct classes, sorted, become its grid indices 0..size — so a subset
    /// such as every 4th orientation is a grid too); errors when a row is non-finite, a cell is duplicated or the grid is incomplete.
    pub fn new(codes: Matrix, factors: &Matrix) -> Result<Self, String> {
        codes.check_finite("codes")?;
        factors.check_rows(codes.rows, "factors", "codes")?;
        if factors.cols == 0 || codes.rows == 0 {
            return Err("factor table needs at least one factor and one row".into());
        }
        // Each factor's distinct classes, in increasing order, become grid indices 0..size.
        let raw = factors.to_labels("factors")?;
        let mut values = Vec::with_capacity(raw.len());
        let mut labels = Vec::with_capacity(raw.len());
        for col in &raw {
            let mut u = col.clone();
            u.sort_unstable();
            u.dedup();
            labels.push(
                col.iter()
                    .map(|v| u.partition_point(|x| x < v))
                    .collect::<Vec<usize>>(),
            );
            values.push(u);
        }
        let sizes: Vec<usize> = values.iter().map(Vec::len).collect();
        let mut cells: usize = 1;
        for &s in &sizes {
            cells = cells
                .checked_mul(s)
                .filter(|&c| c <= MAX_CELLS)
                .ok_or_else(|| format!("factor grid {sizes:?} is too large"))?;
        }
        let mut strides = vec![1usize; sizes.len()];
        for k in (0..sizes.len().saturating_sub(1)).rev() {
            strides[k] = strides[k + 1] * sizes[k + 1];
        }
        let mut row_of_cell = vec![usize::MAX; cells];
        for r in 0..codes.rows {
            let cell: usize = labels.iter().zip(&strides).map(|(c, s)| c[r] * s).sum();
            if row_of_cell[cell] != usize::MAX {
                return Err(format!(
                    "factor table: rows {} and {r} have the same factor classes",
                    row_of_cell[cell]
                ));
            }
            row_of_cell[cell] = r;
        }
        if codes.rows != cells {
            let missing = row_of_cell
                .iter()
                .position(|&r| r == usize::MAX)
                .unwrap_or(0);
            let f: Vec<usize> = sizes
                .iter()
                .zip(&strides)
                .map(|(s, st)| missing / st % s)
                .collect();
            return Err(format!(
                "factor table is incomplete: {} rows for a {sizes:?} grid of {cells} cells \
                 (first missing grid index: {f:?})",
                codes.rows
            ));
        }
        Ok(Self {
            codes,
            sizes,
            strides,
            row_of_cell,
            values,
        })
    }

    /// The original class values of factor `k`, indexed by grid index.
    pub fn factor_values(&self, k: usize) -> &[usize] {
        &self.values[k]
    }

    /// The row holding grid-index vector `f`, or `None` if a class is out of range.
    pub fn row_of(&self, f: &[usize]) -> Option<usize> {
        if f.len() != self.sizes.len() || f.iter().zip(&self.sizes).any(|(v, s)| v >= s) {
            return None;
        }
        Some(
            self.row_of_cell[f
                .iter()
                .zip(&self.strides)
                .map(|(v, s)| v * s)
                .sum::<usize>()],
        )
    }

    /// All codes, one row per grid cell (in the order given at construction).
    pub fn all_codes(&self) -> &Matrix {
        &self.codes
    }

    /// Number of factors.
    pub fn num_factors(&self) -> usize {
        self.sizes.len()
    }
}

impl CodeSource for FactorTable {
    fn factor_sizes(&self) -> &[usize] {
        &self.sizes
    }

    fn codes(&mut self, factors: &[usize]) -> Result<Matrix, String> {
        let nf = self.sizes.len();
        if !factors.len().is_multiple_of(nf) {
            return Err(format!(
                "{} factor entries is not a multiple of {nf}",
                factors.len()
            ));
        }
        let rows: Result<Vec<usize>, String> = factors
            .chunks(nf)
            .map(|f| {
                self.row_of(f)
                    .ok_or_else(|| format!("factor vector {f:?} is out of range"))
            })
            .collect();
        Ok(self.codes.select_rows(&rows?))
    }
}

/// Draws `n` factor vectors uniformly (each factor independently), row-major n × F.
pub(crate) fn sample_factors(sizes: &[usize], n: usize, rng: &mut crate::rng::Rng) -> Vec<usize> {
    let mut f = Vec::with_capacity(n * sizes.len());
    for _ in 0..n {
        f.extend(sizes.iter().map(|&s| rng.below(s as u64) as usize));
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> (Matrix, Matrix) {
        // 2 × 3 grid, rows in a shuffled order; code = (10·f0 + f1).
        let order = [(1, 2), (0, 0), (0, 1), (1, 0), (0, 2), (1, 1)];
        let f: Vec<f64> = order
            .iter()
            .flat_map(|&(a, b)| [a as f64, b as f64])
            .collect();
        let c: Vec<f64> = order.iter().map(|&(a, b)| (10 * a + b) as f64).collect();
        (
            Matrix::from_vec(6, 1, c).unwrap(),
            Matrix::from_vec(6, 2, f).unwrap(),
        )
    }

    #[test]
    fn lookup_is_consistent() {
        let (c, f) = grid();
        let mut t = FactorTable::new(c, &f).unwrap();
        assert_eq!(t.factor_sizes(), &[2, 3]);
        let m = t.codes(&[1, 1, 0, 2]).unwrap();
        assert_eq!(m.data, vec![11.0, 2.0]);
        assert!(t.codes(&[2, 0]).is_err());
    }

    #[test]
    fn incomplete_or_duplicated_grid_errors() {
        let (c, f) = grid();
        let e = FactorTable::new(
            c.select_rows(&[0, 1, 2, 3, 4]),
            &f.select_rows(&[0, 1, 2, 3, 4]),
        );
        assert!(e.unwrap_err().contains("incomplete"));
        let e = FactorTable::new(c.select_rows(&[0, 0]), &f.select_rows(&[0, 0]));
        assert!(e.unwrap_err().contains("same factor classes"));
    }
}
