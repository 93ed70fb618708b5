//! MIG, disentanglement_lib protocol: histogram-discretised encoder means, plug-in discrete
//! mutual information in nats (sklearn `mutual_info_score`), gap normalised by H(v_k).
//!
//! Source: google-research/disentanglement_lib `evaluation/metrics/{mig,utils}.py`.

use super::factor_table::CodeSource;
use crate::matrix::Matrix;
use crate::rng::Rng;
use serde::Serialize;

/// Number of bins dlib's MIG config uses (`discretizer.num_bins = 20`, `mig.gin`).
pub const DLIB_NUM_BINS: usize = 20;
/// Points dlib's MIG config samples (`mig.num_train = 10000`, `mig.gin`).
pub const DLIB_MIG_NUM_TRAIN: usize = 10_000;

/// The result of a MIG computation (dlib protocol).
#[derive(Clone, Debug, Serialize)]
pub struct MigResult {
    /// Mean over factors of the normalised gap.
    pub mig: f64,
    /// (largest − second largest MI) / H(v_k), one per factor.
    pub gap_per_factor: Vec<f64>,
    /// H(v_k) in nats.
    pub factor_entropy_nats: Vec<f64>,
    /// I(z_j; v_k) in nats, `[code j][factor k]`.
    pub mutual_info_nats: Vec<Vec<f64>>,
    /// The factor columns scored (those that take more than one value), in order; the other
    /// vectors index factors in this order.
    pub factors_used: Vec<usize>,
}

/// Why a metric on factors that never change has no value.
pub const NO_FACTOR_VARIES: &str =
    "no factor takes more than one value in these points, so disentanglement cannot be scored";

/// The factors of `sizes` that take more than one value: the only ones a disentanglement
/// score can measure (a constant factor carries no information and scores 0 by definition).
pub fn varying_factors(sizes: &[usize]) -> Result<Vec<usize>, String> {
    let v: Vec<usize> = (0..sizes.len()).filter(|&k| sizes[k] > 1).collect();
    if v.is_empty() {
        return Err(NO_FACTOR_VARIES.into());
    }
    Ok(v)
}

/// Discretises one code dimension like `np.digitize(x, np.histogram(x, bins)[1][:-1])`:
/// labels 1..=bins, edge_i = min + i·(max − min)/bins; a constant column uses [v − ½, v + ½].
pub fn histogram_discretize(x: &[f64], num_bins: usize) -> Vec<usize> {
    if x.is_empty() || num_bins == 0 {
        return vec![0; x.len()];
    }
    let mut lo = x.iter().copied().fold(f64::INFINITY, f64::min);
    let mut hi = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if lo == hi {
        // np.histogram widens a degenerate range by 0.5 on each side.
        lo -= 0.5;
        hi += 0.5;
    }
    // np.linspace(lo, hi, bins + 1): edge_i = i·step + lo (the last edge is dropped by [:-1]).
    let step = (hi - lo) / num_bins as f64;
    let edges: Vec<f64> = (0..num_bins).map(|i| i as f64 * step + lo).collect();
    // np.digitize (right=False): the number of edges ≤ v.
    x.iter()
        .map(|&v| edges.partition_point(|&e| e <= v))
        .collect()
}

/// Relabels arbitrary labels to 0..k (sorted order); returns (labels, k).
fn dense_labels(a: &[usize]) -> (Vec<usize>, usize) {
    let mut uniq = a.to_vec();
    uniq.sort_unstable();
    uniq.dedup();
    let lab = a.iter().map(|v| uniq.partition_point(|u| u < v)).collect();
    (lab, uniq.len())
}

/// Plug-in mutual information in nats, Σ_ij (n_ij/n)·ln(n·n_ij / (n_i·n_j)), clipped at 0
/// as sklearn's `mutual_info_score` does. Panics only if the slices differ in length.
pub fn mutual_info_score(a: &[usize], b: &[usize]) -> f64 {
    assert_eq!(
        a.len(),
        b.len(),
        "mutual_info_score: label vectors differ in length"
    );
    let n = a.len();
    if n == 0 {
        return 0.0;
    }
    let (la, ka) = dense_labels(a);
    let (lb, kb) = dense_labels(b);
    let mut na = vec![0usize; ka];
    let mut nb = vec![0usize; kb];
    for i in 0..n {
        na[la[i]] += 1;
        nb[lb[i]] += 1;
    }
    let mut pairs: Vec<usize> = (0..n).map(|i| la[i] * kb + lb[i]).collect();
    pairs.sort_unstable();
    let nf = n as f64;
    let mut mi = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j < n && pairs[j] == pairs[i] {
            j += 1;
        }
        let nij = (j - i) as f64;
        let (x, y) = (pairs[i] / kb, pairs[i] % kb);
        mi += nij / nf * (nf * nij / (na[x] as f64 * nb[y] as f64)).ln();
        i = j;
    }
    mi.max(0.0)
}

/// Plug-in entropy in nats, H(a) = I(a; a).
pub fn discrete_entropy(a: &[usize]) -> f64 {
    mutual_info_score(a, a)
}

/// Gap of one MI column: (largest − second largest) / h; 0 when h = 0 (a constant factor)
/// or when there is a single code.
pub(crate) fn normalised_gap(mut mi: Vec<f64>, h: f64) -> f64 {
    mi.sort_by(|x, y| y.total_cmp(x));
    let top = mi.first().copied().unwrap_or(0.0);
    let second = mi.get(1).copied().unwrap_or(0.0);
    if h > 0.0 {
        (top - second) / h
    } else {
        0.0
    }
}

/// MIG (dlib protocol) of `codes` (points × codes, encoder means) against `factors`
/// (points × factors, integer classes), each code cut into `num_bins` equal-width bins.
pub fn mig_dlib(codes: &Matrix, factors: &Matrix, num_bins: usize) -> Result<MigResult, String> {
    codes.check_finite("codes")?;
    factors.check_rows(codes.rows, "factors", "codes")?;
    let ys = factors.to_labels("factors")?;
    if codes.rows == 0 || codes.cols == 0 || factors.cols == 0 {
        return Err("MIG needs at least one point, one code and one factor".into());
    }
    let disc: Vec<Vec<usize>> = (0..codes.cols)
        .map(|j| histogram_discretize(&codes.col(j), num_bins))
        .collect();
    mig_from_discrete(&disc, &ys)
}

/// MIG from already discretised codes (`disc[j][n]`) and factor labels (`ys[k][n]`), over
/// the factors that vary in these points.
pub fn mig_from_discrete(disc: &[Vec<usize>], ys: &[Vec<usize>]) -> Result<MigResult, String> {
    let sizes: Vec<usize> = ys
        .iter()
        .map(|y| {
            let mut v = y.clone();
            v.sort_unstable();
            v.dedup();
            v.len()
        })
        .collect();
    let factors_used = varying_factors(&sizes)?;
    let ys: Vec<Vec<usize>> = factors_used.iter().map(|&k| ys[k].clone()).collect();
    let mutual_info_nats: Vec<Vec<f64>> = disc
        .iter()
        .map(|d| ys.iter().map(|y| mutual_info_score(y, d)).collect())
        .collect();
    let factor_entropy_nats: Vec<f64> = ys.iter().map(|y| discrete_entropy(y)).collect();
    let gap_per_factor: Vec<f64> = (0..ys.len())
        .map(|k| {
            let col = mutual_info_nats.iter().map(|row| row[k]).collect();
            normalised_gap(col, factor_entropy_nats[k])
        })
        .collect();
    let mig = crate::matrix::mean(&gap_per_factor);
    Ok(MigResult {
        mig,
        gap_per_factor,
        factor_entropy_nats,
        mutual_info_nats,
        factors_used,
    })
}

/// "Sampled" MIG as dlib runs it: draw `num_points` factor vectors uniformly (each factor
/// independently, i.e. with replacement), encode them, then [`mig_dlib`].
pub fn mig_sampled(
    src: &mut dyn CodeSource,
    num_points: usize,
    num_bins: usize,
    rng: &mut Rng,
) -> Result<MigResult, String> {
    let sizes = src.factor_sizes().to_vec();
    let f = super::factor_table::sample_factors(&sizes, num_points, rng);
    let codes = src.codes(&f)?;
    let factors = Matrix::from_vec(
        num_points,
        sizes.len(),
        f.iter().map(|&v| v as f64).collect(),
    )?;
    mig_dlib(&codes, &factors, num_bins)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::golden;

    #[test]
    fn digitize_matches_numpy_semantics() {
        // np.digitize([0, .5, 1, .25], np.histogram([0, .5, 1, .25], 4)[1][:-1]) = [1, 3, 4, 2]
        assert_eq!(
            histogram_discretize(&[0.0, 0.5, 1.0, 0.25], 4),
            vec![1, 3, 4, 2]
        );
        // Degenerate range: every value lands in the same bin.
        let c = histogram_discretize(&[2.0; 5], 20);
        assert!(c.iter().all(|&v| v == c[0]));
    }

    #[test]
    fn mutual_info_hand_computed() {
        // Identical balanced binary labels: I = H = ln 2.
        let a = [0, 0, 1, 1];
        assert!((mutual_info_score(&a, &a) - 2f64.ln()).abs() < 1e-15);
        assert!(mutual_info_score(&a, &[5, 7, 5, 7]).abs() < 1e-15);
    }

    #[test]
    fn golden_dlib_mig() {
        let codes = golden::matrix("mig_codes.csv");
        let factors = golden::matrix("mig_factors.csv");
        let exp = golden::expected()["mig_dlib"].clone();
        let r = mig_dlib(&codes, &factors, DLIB_NUM_BINS).unwrap();
        let close = |a: f64, b: &serde_json::Value| {
            let b = b.as_f64().unwrap();
            assert!((a - b).abs() <= 1e-9 * b.abs().max(1e-3), "{a} vs {b}");
        };
        close(r.mig, &exp["mig"]);
        for k in 0..4 {
            close(r.gap_per_factor[k], &exp["gap_per_factor"][k]);
            close(r.factor_entropy_nats[k], &exp["factor_entropy_nats"][k]);
            for j in 0..6 {
                close(r.mutual_info_nats[j][k], &exp["mutual_info_nats"][j][k]);
            }
        }
        let disc: Vec<Vec<usize>> = (0..6)
            .map(|j| histogram_discretize(&codes.col(j), 20))
            .collect();
        for n in 0..5 {
            for j in 0..6 {
                let e = exp["discretized_first_5_rows"][n][j].as_u64().unwrap() as usize;
                assert_eq!(disc[j][n], e, "row {n} code {j}");
            }
        }
    }

    #[test]
    fn golden_sampled_mig_within_four_std() {
        let mut t = crate::metrics::factor_vae::tests::table();
        let e = &golden::expected()["factor_table"]["over_20_numpy_seeds"]["mig_sampled"];
        let (m, s) = (e["mean"].as_f64().unwrap(), e["std"].as_f64().unwrap());
        let (mean, std) = crate::metrics::factor_vae::tests::over_seeds(|seed| {
            let r = mig_sampled(
                &mut t,
                DLIB_MIG_NUM_TRAIN,
                DLIB_NUM_BINS,
                &mut Rng::new(seed),
            )
            .unwrap();
            assert!(
                (r.mig - m).abs() <= 4.0 * s,
                "seed {seed}: {} vs {m} ± 4·{s}",
                r.mig
            );
            r.mig
        });
        println!("sampled MIG (10,000 points) over 20 seeds: {mean:.5} ± {std:.5} (golden {m:.5} ± {s:.5})");
        // On the whole table (every cell once), dlib MIG is the golden `mig_dlib_on_whole_table`.
        let f = golden::matrix("table_factors.csv");
        let w = mig_dlib(t.all_codes(), &f, DLIB_NUM_BINS).unwrap().mig;
        let g = golden::expected()["factor_table"]["mig_dlib_on_whole_table"]
            .as_f64()
            .unwrap();
        assert!((w - g).abs() <= 1e-9 * g, "{w} vs {g}");
    }

    #[test]
    fn edge_cases_constant_duplicate_nan_and_mismatch() {
        let mut rng = Rng::new(5);
        let n = 500;
        let f: Vec<f64> = (0..n).map(|_| rng.below(4) as f64).collect();
        let factors = Matrix::from_vec(n, 1, f.clone()).unwrap();
        // Constant code and a perfect code: gap = 1 (the constant code has MI 0).
        let codes = Matrix::from_vec(n, 2, f.iter().flat_map(|&v| [3.0, v]).collect()).unwrap();
        let r = mig_dlib(&codes, &factors, 20).unwrap();
        assert!((r.mig - 1.0).abs() < 1e-12 && r.mutual_info_nats[0][0] == 0.0);
        // Duplicated latents: gap 0.
        let dup = Matrix::from_vec(n, 2, f.iter().flat_map(|&v| [v, v]).collect()).unwrap();
        assert!(mig_dlib(&dup, &factors, 20).unwrap().mig.abs() < 1e-12);
        // Single code dimension: gap = I/H, no panic.
        let one = Matrix::from_vec(n, 1, f.clone()).unwrap();
        assert!((mig_dlib(&one, &factors, 20).unwrap().mig - 1.0).abs() < 1e-12);
        let mut bad = codes.clone();
        bad.set(7, 1, f64::NAN);
        let e = mig_dlib(&bad, &factors, 20).unwrap_err();
        assert!(e.contains("row 7") && e.contains("column 1"), "{e}");
        let short = Matrix::from_vec(n - 1, 1, f[1..].to_vec()).unwrap();
        assert!(mig_dlib(&codes, &short, 20).is_err());
    }
}
