//! The Hungarian (Kuhn–Munkres) algorithm, O(n²·m) with row/column potentials, for
//! rectangular matrices.

/// Assignment minimising Σ cost over min(rows, cols) pairs; `cost` is rows × cols
/// (row-major, finite). Returns (row, col) pairs sorted by row.
pub fn assign_min(cost: &[f64], rows: usize, cols: usize) -> Vec<(usize, usize)> {
    if rows == 0 || cols == 0 {
        return Vec::new();
    }
    if rows > cols {
        let t: Vec<f64> = (0..cols * rows)
            .map(|i| cost[(i % rows) * cols + i / rows])
            .collect();
        let mut p: Vec<(usize, usize)> = assign_min(&t, cols, rows)
            .into_iter()
            .map(|(c, r)| (r, c))
            .collect();
        p.sort_unstable();
        return p;
    }
    // n ≤ m; 1-based potentials u (rows), v (cols); p[j] = row matched to column j (0: none).
    let (n, m) = (rows, cols);
    let mut u = vec![0.0; n + 1];
    let mut v = vec![0.0; m + 1];
    let mut p = vec![0usize; m + 1];
    let mut way = vec![0usize; m + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0;
        let mut minv = vec![f64::INFINITY; m + 1];
        let mut used = vec![false; m + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let (mut delta, mut j1) = (f64::INFINITY, 0);
            for j in 1..=m {
                if !used[j] {
                    let cur = cost[(i0 - 1) * m + j - 1] - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            if j1 == 0 {
                break; // only reachable with non-finite costs
            }
            for j in 0..=m {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        while j0 != 0 {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        }
    }
    let mut out: Vec<(usize, usize)> = (1..=m)
        .filter(|&j| p[j] != 0)
        .map(|j| (p[j] - 1, j - 1))
        .collect();
    out.sort_unstable();
    out
}

/// Assignment maximising Σ weight (rows × cols, row-major); pairs sorted by row.
pub fn assign_max(weight: &[f64], rows: usize, cols: usize) -> Vec<(usize, usize)> {
    let neg: Vec<f64> = weight.iter().map(|w| -w).collect();
    assign_min(&neg, rows, cols)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// Best total over all injective maps of the smaller side, by brute force.
    fn brute_max(w: &[f64], r: usize, c: usize) -> f64 {
        fn rec(w: &[f64], r: usize, c: usize, i: usize, used: &mut Vec<bool>) -> f64 {
            if i == r.min(c) {
                return 0.0;
            }
            let mut best = f64::NEG_INFINITY;
            for j in 0..r.max(c) {
                if !used[j] {
                    used[j] = true;
                    let x = if r <= c { w[i * c + j] } else { w[j * c + i] };
                    best = best.max(x + rec(w, r, c, i + 1, used));
                    used[j] = false;
                }
            }
            best
        }
        rec(w, r, c, 0, &mut vec![false; r.max(c)])
    }

    #[test]
    fn matches_brute_force_on_random_matrices() {
        let mut rng = Rng::new(42);
        for &(r, c) in &[(5, 5), (3, 5), (5, 3), (1, 4), (4, 1), (6, 6), (2, 2)] {
            for _ in 0..30 {
                let w: Vec<f64> = (0..r * c)
                    .map(|_| (rng.uniform() * 10.0).round() / 10.0)
                    .collect();
                let pairs = assign_max(&w, r, c);
                assert_eq!(pairs.len(), r.min(c));
                let mut rows: Vec<usize> = pairs.iter().map(|p| p.0).collect();
                let mut cols: Vec<usize> = pairs.iter().map(|p| p.1).collect();
                rows.dedup();
                cols.sort_unstable();
                cols.dedup();
                assert_eq!((rows.len(), cols.len()), (r.min(c), r.min(c)));
                let total: f64 = pairs.iter().map(|&(i, j)| w[i * c + j]).sum();
                assert!((total - brute_max(&w, r, c)).abs() < 1e-9, "{r}×{c}");
            }
        }
        assert!(assign_max(&[], 0, 3).is_empty());
    }
}
