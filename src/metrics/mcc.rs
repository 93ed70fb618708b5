//! Mean correlation coefficient (iVAE, Khemakhem et al. 2020): |Pearson| or |Spearman|
//! correlations between true sources and latents, Hungarian matching maximising the total,
//! mean of the matched entries. Source: ilkhem/iVAE `metrics.mean_corr_coef`. The matching is
//! the `lsap` crate's port of SciPy's `linear_sum_assignment`, the solver the reference uses.

use crate::matrix::Matrix;
use serde::Serialize;

/// Which correlation MCC uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CorrMethod {
    /// Pearson's linear correlation.
    Pearson,
    /// Spearman's rank correlation (average ranks for ties).
    Spearman,
}

/// The MCC with its matching.
#[derive(Clone, Debug, Serialize)]
pub struct MccResult {
    /// Mean |correlation| over the matched (source, latent) pairs.
    pub mcc: f64,
    /// Matched pairs [source, latent], sorted by source.
    pub matching_source_to_latent: Vec<[usize; 2]>,
    /// |correlation|, `[source][latent]`.
    pub abs_correlation: Vec<Vec<f64>>,
}

/// Ranks 1..n with ties given their average rank (scipy `rankdata(method="average")`).
pub fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        // Positions i..=j (0-based) share rank (i + j)/2 + 1.
        for &k in &idx[i..=j] {
            r[k] = (i + j) as f64 / 2.0 + 1.0;
        }
        i = j + 1;
    }
    r
}

/// Pearson correlation Σ(x−x̄)(y−ȳ)/√(Σ(x−x̄)²·Σ(y−ȳ)²); 0 when either side is constant.
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (crate::matrix::mean(x), crate::matrix::mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx) * (a - mx);
        syy += (b - my) * (b - my);
    }
    if sxx > 0.0 && syy > 0.0 {
        sxy / (sxx * syy).sqrt()
    } else {
        0.0
    }
}

/// MCC between `sources` (N × S) and `latents` (N × L); min(S, L) pairs are matched.
pub fn mcc(sources: &Matrix, latents: &Matrix, method: CorrMethod) -> Result<MccResult, String> {
    latents.check_rows(sources.rows, "latents", "sources")?;
    sources.check_finite("sources")?;
    latents.check_finite("latents")?;
    if sources.rows < 2 || sources.cols == 0 || latents.cols == 0 {
        return Err("MCC needs at least 2 points, one source and one latent".into());
    }
    let prep = |m: &Matrix| -> Vec<Vec<f64>> {
        (0..m.cols)
            .map(|c| match method {
                CorrMethod::Pearson => m.col(c),
                CorrMethod::Spearman => average_ranks(&m.col(c)),
            })
            .collect()
    };
    let (s, l) = (prep(sources), prep(latents));
    let abs_correlation: Vec<Vec<f64>> = s
        .iter()
        .map(|a| l.iter().map(|b| pearson(a, b).abs()).collect())
        .collect();
    let flat: Vec<f64> = abs_correlation.concat();
    let pairs = assign_max(flat, s.len(), l.len())?;
    let mcc = pairs
        .iter()
        .map(|&(i, j)| abs_correlation[i][j])
        .sum::<f64>()
        / pairs.len() as f64;
    Ok(MccResult {
        mcc,
        matching_source_to_latent: pairs.iter().map(|&(i, j)| [i, j]).collect(),
        abs_correlation,
    })
}

/// The min(rows, cols) (row, col) pairs maximising the total weight (`weight` row-major,
/// finite), sorted by row.
fn assign_max(weight: Vec<f64>, rows: usize, cols: usize) -> Result<Vec<(usize, usize)>, String> {
    let (r, c) = lsap::solve(rows, cols, &weight, true)
        .map_err(|e| format!("MCC matching failed: {e:?} (the correlations must be finite)"))?;
    Ok(r.into_iter().zip(c).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::golden;

    #[test]
    fn ranks_average_ties() {
        assert_eq!(
            average_ranks(&[3.0, 1.0, 3.0, 2.0]),
            vec![3.5, 1.0, 3.5, 2.0]
        );
    }

    #[test]
    fn golden_mcc_pearson_and_spearman() {
        let s = golden::matrix("mcc_sources.csv");
        let l = golden::matrix("mcc_latents.csv");
        let exp = &golden::expected()["mcc"];
        for (m, key) in [
            (CorrMethod::Pearson, "pearson"),
            (CorrMethod::Spearman, "spearman"),
        ] {
            let r = mcc(&s, &l, m).unwrap();
            let e = exp[key]["mcc"].as_f64().unwrap();
            assert!((r.mcc - e).abs() <= 1e-6 * e, "{key}: {} vs {e}", r.mcc);
            let want: Vec<[usize; 2]> =
                serde_json::from_value(exp[key]["matching_source_to_latent"].clone()).unwrap();
            assert_eq!(r.matching_source_to_latent, want);
        }
    }

    #[test]
    fn identity_constant_and_bad_inputs() {
        let s = golden::matrix("mcc_sources.csv");
        let r = mcc(&s, &s.select_cols(&[2, 0, 1]), CorrMethod::Pearson).unwrap();
        assert!((r.mcc - 1.0).abs() < 1e-12);
        assert_eq!(r.matching_source_to_latent, vec![[0, 1], [1, 2], [2, 0]]);
        let c = Matrix::zeros(s.rows, 2);
        assert_eq!(mcc(&s, &c, CorrMethod::Spearman).unwrap().mcc, 0.0);
        assert!(mcc(&s, &c.select_rows(&[0, 1]), CorrMethod::Pearson).is_err());
        let mut bad = s.clone();
        bad.set(4, 1, f64::NAN);
        assert!(mcc(&bad, &s, CorrMethod::Pearson)
            .unwrap_err()
            .contains("row 4"));
    }

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
    fn matching_is_optimal_by_brute_force_wide_and_tall() {
        let mut rng = crate::rng::Rng::new(42);
        for &(r, c) in &[(5, 5), (3, 5), (5, 3), (1, 4), (4, 1), (6, 6), (2, 2)] {
            for _ in 0..30 {
                // Rounded weights: ties are common, and any optimal matching will do.
                let w: Vec<f64> = (0..r * c)
                    .map(|_| (rng.uniform() * 10.0).round() / 10.0)
                    .collect();
                let pairs = assign_max(w.clone(), r, c).unwrap();
                assert_eq!(pairs.len(), r.min(c));
                assert!(pairs.windows(2).all(|p| p[0].0 < p[1].0), "sorted by row");
                let mut cols: Vec<usize> = pairs.iter().map(|p| p.1).collect();
                cols.sort_unstable();
                cols.dedup();
                assert_eq!(cols.len(), r.min(c), "each column used once");
                let total: f64 = pairs.iter().map(|&(i, j)| w[i * c + j]).sum();
                assert!((total - brute_max(&w, r, c)).abs() < 1e-9, "{r}×{c}");
            }
        }
        assert!(assign_max(vec![], 0, 3).unwrap().is_empty());
        assert!(assign_max(vec![f64::NAN, 1.0], 1, 2)
            .unwrap_err()
            .contains("finite"));
    }
}
