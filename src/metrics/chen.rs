//! MIG by the Chen et al. protocol and the full-set ELBO decomposition (docs/methods.md §3.2,
//! §3.6).
//!
//! Source: rtqichen/beta-tcvae `disentanglement_metrics.py` (`mutual_info_metric_shapes`),
//! `metric_helpers/mi_metric.py` and `elbo_decomposition.py`.

use super::entropy::{set_entropies, ChenOptions, Posteriors};
use super::gauss::LOG_2PI;
use crate::matrix::Matrix;
use crate::rng::Rng;
use serde::Serialize;

/// MIG by the Chen protocol.
#[derive(Clone, Debug, Serialize)]
pub struct ChenMig {
    /// Mean of `gap_per_factor`.
    pub mig: f64,
    /// Per factor (in `factors` order): (top − second MI, each clamped at 0) / log(#values).
    pub gap_per_factor: Vec<f64>,
    /// Ĥ(z_j) in nats.
    pub marginal_entropies: Vec<f64>,
    /// Ĥ(z_j | v_k) in nats, `[factor][code]`.
    pub cond_entropies: Vec<Vec<f64>>,
    /// Which factor columns were used.
    pub factors: Vec<usize>,
}

/// Groups point indices by the value of one factor column (sorted by value).
fn group_by_value(labels: &[usize]) -> Vec<Vec<usize>> {
    let mut vals = labels.to_vec();
    vals.sort_unstable();
    vals.dedup();
    let mut groups = vec![Vec::new(); vals.len()];
    for (i, v) in labels.iter().enumerate() {
        groups[vals.partition_point(|u| u < v)].push(i);
    }
    groups
}

/// Chen MIG of posteriors (`means`, `logvars`: N × K) with one sample per point (`samples`)
/// against factor classes (N × F). `subset` picks factor columns (None: all), e.g. dSprites
/// without shape is `[1, 2, 3, 4]`. Ĥ(z_j | v_k) = Σ_v (n_v / N)·Ĥ_v(z_j), which is the
/// reference's uniform 1/#values average on a complete grid.
pub fn mig_chen(
    means: &Matrix,
    logvars: &Matrix,
    samples: &Matrix,
    factors: &Matrix,
    subset: Option<&[usize]>,
    opts: &ChenOptions,
    progress: &mut dyn FnMut(f32),
) -> Result<ChenMig, String> {
    let p = Posteriors {
        means,
        logvars,
        samples,
    };
    p.validate()?;
    factors.check_rows(means.rows, "factors", "means")?;
    let labels = factors.to_labels("factors")?;
    let chosen: Vec<usize> = match subset {
        Some(s) => s.to_vec(),
        None => (0..factors.cols).collect(),
    };
    if chosen.is_empty() {
        return Err("no factors selected".into());
    }
    if let Some(&bad) = chosen.iter().find(|&&f| f >= factors.cols) {
        return Err(format!(
            "factor {bad} does not exist (factors has {} columns)",
            factors.cols
        ));
    }
    let n = means.rows;
    let mut sets = vec![(0..n).collect::<Vec<usize>>()];
    let mut spans = Vec::new();
    for &f in &chosen {
        let g = group_by_value(&labels[f]);
        spans.push((sets.len(), g.len()));
        sets.extend(g);
    }
    let h = set_entropies(&p, &sets, false, opts, progress);
    let marginal_entropies = h[0].0.clone();
    let k = means.cols;
    let mut cond_entropies = Vec::new();
    let mut gap_per_factor = Vec::new();
    for &(start, count) in &spans {
        let mut cond = vec![0.0; k];
        for (set, (hv, _)) in sets[start..start + count]
            .iter()
            .zip(&h[start..start + count])
        {
            let w = set.len() as f64 / n as f64;
            for j in 0..k {
                cond[j] += w * hv[j];
            }
        }
        // MI_j = max(Ĥ(z_j) − Ĥ(z_j | v_k), 0), normalised by log(#values).
        let mi: Vec<f64> = (0..k)
            .map(|j| (marginal_entropies[j] - cond[j]).max(0.0))
            .collect();
        gap_per_factor.push(super::discrete::normalised_gap(mi, (count as f64).ln()));
        cond_entropies.push(cond);
    }
    Ok(ChenMig {
        mig: crate::matrix::mean(&gap_per_factor),
        gap_per_factor,
        marginal_entropies,
        cond_entropies,
        factors: chosen,
    })
}

/// One reparameterised sample per point: z = μ + exp(½ logvar)·ε, ε ~ N(0, 1).
pub fn sample_posterior(means: &Matrix, logvars: &Matrix, rng: &mut Rng) -> Matrix {
    let data = means
        .data
        .iter()
        .zip(&logvars.data)
        .map(|(m, l)| m + (0.5 * l).exp() * rng.normal())
        .collect();
    Matrix {
        rows: means.rows,
        cols: means.cols,
        data,
    }
}

/// The ELBO's KL term split over a whole (sub)set (Chen et al.), prior N(0, I), in nats.
#[derive(Clone, Debug, Serialize)]
pub struct ElboDecomposition {
    /// TC = Σ_j Ĥ(z_j) − Ĥ(z).
    pub total_correlation: f64,
    /// Index-code MI = Ĥ(z) − E[−log q(z|x)].
    pub index_code_mi: f64,
    /// Σ_j (E[−log p(z_j)] − Ĥ(z_j)).
    pub dimwise_kl: f64,
    /// E_n KL(q(z|x_n) ‖ N(0, I)), analytic; equals the sum of the three terms above.
    pub kl_analytic: f64,
    /// Ĥ(z).
    pub joint_entropy: f64,
    /// Ĥ(z_j).
    pub marginal_entropies: Vec<f64>,
    /// E[−log q(z|x)] = Σ_j mean_n ½(1 + logvar_nj + log 2π).
    pub neg_log_qz_cond_x: f64,
    /// E[−log p(z)] = Σ_j mean_n ½(log 2π + μ² + σ²).
    pub neg_log_pz: f64,
}

/// ELBO decomposition (docs/methods.md §3.6) of posteriors `means`/`logvars` with one sample
/// per point.
pub fn elbo_decomposition(
    means: &Matrix,
    logvars: &Matrix,
    samples: &Matrix,
    opts: &ChenOptions,
    progress: &mut dyn FnMut(f32),
) -> Result<ElboDecomposition, String> {
    let p = Posteriors {
        means,
        logvars,
        samples,
    };
    p.validate()?;
    let n = means.rows as f64;
    let all = vec![(0..means.rows).collect::<Vec<usize>>()];
    let h = set_entropies(&p, &all, true, opts, progress);
    let (marginal_entropies, joint_entropy) = (h[0].0.clone(), h[0].1);
    let neg_log_qz_cond_x: f64 = logvars
        .data
        .iter()
        .map(|l| 0.5 * (1.0 + l + LOG_2PI))
        .sum::<f64>()
        / n;
    // Per dimension j: E[−log p(z_j)] = mean_n ½(log 2π + μ² + σ²).
    let k = means.cols;
    let mut nlogpz_j = vec![0.0; k];
    for (i, (m, l)) in means.data.iter().zip(&logvars.data).enumerate() {
        nlogpz_j[i % k] += 0.5 * (LOG_2PI + m * m + l.exp()) / n;
    }
    let neg_log_pz: f64 = nlogpz_j.iter().sum();
    let sum_marg: f64 = marginal_entropies.iter().sum();
    Ok(ElboDecomposition {
        total_correlation: sum_marg - joint_entropy,
        index_code_mi: joint_entropy - neg_log_qz_cond_x,
        dimwise_kl: neg_log_pz - sum_marg,
        kl_analytic: neg_log_pz - neg_log_qz_cond_x,
        joint_entropy,
        marginal_entropies,
        neg_log_qz_cond_x,
        neg_log_pz,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::golden;

    fn close(a: f64, b: &serde_json::Value) {
        let b = b.as_f64().expect("number");
        assert!((a - b).abs() <= 1e-6 * b.abs().max(1e-6), "{a} vs {b}");
    }

    fn inputs() -> (Matrix, Matrix, Matrix, Matrix) {
        let r = golden::matrix;
        (
            r("chen_means.csv"),
            r("chen_logvars.csv"),
            r("chen_z.csv"),
            r("chen_factors.csv"),
        )
    }

    #[test]
    fn golden_mig_chen_and_subset() {
        let (m, l, z, f) = inputs();
        let exp = golden::expected();
        let o = ChenOptions::default();
        let r = mig_chen(&m, &l, &z, &f, None, &o, &mut |_| {}).unwrap();
        let e = &exp["mig_chen"];
        close(r.mig, &e["mig"]);
        for j in 0..4 {
            close(r.marginal_entropies[j], &e["marginal_entropies"][j]);
            for k in 0..3 {
                close(r.cond_entropies[k][j], &e["cond_entropies"][k][j]);
            }
        }
        for k in 0..3 {
            close(r.gap_per_factor[k], &e["gap_per_factor"][k]);
        }
        let r = mig_chen(&m, &l, &z, &f, Some(&[1, 2]), &o, &mut |_| {}).unwrap();
        let e = &exp["mig_chen_factor_subset_1_2"];
        close(r.mig, &e["mig"]);
        close(r.gap_per_factor[0], &e["gap_per_factor"][0]);
        close(r.gap_per_factor[1], &e["gap_per_factor"][1]);
        assert!(mig_chen(&m, &l, &z, &f, Some(&[3]), &o, &mut |_| {}).is_err());
    }

    #[test]
    fn golden_elbo_decomposition() {
        let (m, l, z, _) = inputs();
        let e = &golden::expected()["elbo_decomposition"];
        let mut last = 0.0;
        let r = elbo_decomposition(&m, &l, &z, &ChenOptions::default(), &mut |f| last = f).unwrap();
        assert!((last - 1.0).abs() < 1e-6);
        for (a, key) in [
            (r.total_correlation, "total_correlation"),
            (r.index_code_mi, "index_code_mi"),
            (r.dimwise_kl, "dimwise_kl"),
            (r.kl_analytic, "kl_analytic"),
            (r.joint_entropy, "joint_entropy"),
        ] {
            close(a, &e[key]);
        }
        for j in 0..4 {
            close(r.marginal_entropies[j], &e["marginal_entropies"][j]);
        }
    }

    #[test]
    fn edge_cases() {
        let (m, l, z, f) = inputs();
        let o = ChenOptions::default();
        // Duplicated latent: the two copies tie, so every factor's gap is 0.
        let dup = |x: &Matrix| x.select_cols(&[0, 0]);
        let r = mig_chen(&dup(&m), &dup(&l), &dup(&z), &f, None, &o, &mut |_| {}).unwrap();
        assert!(r.mig.abs() < 1e-12, "{r:?}");
        // A constant (collapsed) code is uninformative: MI 0, no NaN.
        let c = Matrix::zeros(m.rows, 1);
        let r = mig_chen(&c, &c, &c, &f, None, &o, &mut |_| {}).unwrap();
        assert!(r.mig == 0.0 && r.marginal_entropies[0].is_finite());
        let mut bad = z.clone();
        bad.set(3, 2, f64::INFINITY);
        let e = mig_chen(&m, &l, &bad, &f, None, &o, &mut |_| {}).unwrap_err();
        assert!(e.contains("samples") && e.contains("row 3"), "{e}");
        assert!(mig_chen(&m, &l, &z, &f.select_rows(&[0, 1]), None, &o, &mut |_| {}).is_err());
    }
}
