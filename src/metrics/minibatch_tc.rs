//! Minibatch estimators of the decomposed KL (docs/methods.md §1.3): MWS and MSS on one batch,
//! plain f64 — the reference the tensor implementation is tested against.
//!
//! With L[i,j,k] = log q(z_ik | x_j) (B × B × K), prior N(0, I):
//! MI_i = log q(z_i|x_i) − log q(z_i), TC_i = log q(z_i) − Σ_k log q(z_ik),
//! dimKL_i = Σ_k log q(z_ik) − log p(z_i); the three sum to the Monte Carlo KL.

use super::gauss::{log_normal, logsumexp, LOG_2PI};
use crate::matrix::Matrix;
use serde::Serialize;

/// Which minibatch estimator of log q(z) to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcEstimator {
    /// Minibatch-weighted sampling: log q(z_i) ≈ logsumexp_j Σ_k L[i,j,k] − log(B·N).
    Mws,
    /// Minibatch-stratified sampling with the intended weights (W_ii = 1/N,
    /// W_i,(i+1 mod B) = (N − M)/(N·M), else 1/M, M = B − 1).
    Mss,
    /// MSS with the weight matrix exactly as upstream beta-tcvae builds it (column 0 = 1/N,
    /// column 1 = (N − M)/(N·M), W[M−1, 0] = (N − M)/(N·M)): for reference only.
    MssOriginal,
}

impl TcEstimator {
    /// Short name ("mws", "mss", "mss_original").
    pub fn name(self) -> &'static str {
        match self {
            Self::Mws => "mws",
            Self::Mss => "mss",
            Self::MssOriginal => "mss_original",
        }
    }
}

/// Batch means (and per-sample log-densities) of the decomposed KL, in nats.
#[derive(Clone, Debug, Serialize)]
pub struct MinibatchTc {
    /// mean_i [log q(z_i|x_i) − log q(z_i)].
    pub index_code_mi: f64,
    /// mean_i [log q(z_i) − Σ_k log q(z_ik)].
    pub total_correlation: f64,
    /// mean_i [Σ_k log q(z_ik) − log p(z_i)].
    pub dimwise_kl: f64,
    /// mean_i [log q(z_i|x_i) − log p(z_i)] = MI + TC + dimKL.
    pub kl_mc: f64,
    /// mean_i Σ_k ½(μ² + σ² − 1 − log σ²).
    pub kl_analytic: f64,
    /// Estimated log q(z_i), per sample.
    pub log_qz: Vec<f64>,
    /// Estimated Σ_k log q(z_ik), per sample.
    pub log_prod_qzj: Vec<f64>,
}

/// The B × B matrix log W_ij of the estimator (row-major); MWS is the constant −log(B·N).
pub fn log_weights(b: usize, n: usize, est: TcEstimator) -> Vec<f64> {
    let nf = n as f64;
    if est == TcEstimator::Mws {
        return vec![-((b as f64) * nf).ln(); b * b];
    }
    let m = (b - 1) as f64;
    let strat = (nf - m) / (nf * m);
    let mut w = vec![1.0 / m; b * b];
    match est {
        TcEstimator::Mss => {
            for i in 0..b {
                w[i * b + i] = 1.0 / nf;
                w[i * b + (i + 1) % b] = strat;
            }
        }
        _ => {
            // Upstream: W.view(-1)[::M+1] = 1/N and [1::M+1] = strat hit columns 0 and 1
            // of every row (the stride M + 1 equals the row length B), then W[M−1, 0] = strat.
            for i in 0..b {
                w[i * b] = 1.0 / nf;
                w[i * b + 1] = strat;
            }
            w[(b - 2) * b] = strat;
        }
    }
    w.iter().map(|v| v.ln()).collect()
}

/// The decomposed KL of one minibatch: samples `z`, posteriors `means`/`logvars` (B × K),
/// `dataset_size` N (the size of the set the batch was drawn from).
pub fn minibatch_tc(
    z: &Matrix,
    means: &Matrix,
    logvars: &Matrix,
    dataset_size: usize,
    est: TcEstimator,
) -> Result<MinibatchTc, String> {
    let (b, k) = (z.rows, z.cols);
    for (m, name) in [(means, "means"), (logvars, "logvars")] {
        if m.rows != b || m.cols != k {
            return Err(format!(
                "{name} is {} × {} but samples is {b} × {k}",
                m.rows, m.cols
            ));
        }
    }
    z.check_finite("samples")?;
    means.check_finite("means")?;
    logvars.check_finite("logvars")?;
    if b < 2 || k == 0 {
        return Err(format!(
            "a minibatch needs B ≥ 2 points and K ≥ 1 latents (got {b} × {k})"
        ));
    }
    if dataset_size < b {
        return Err(format!(
            "dataset size {dataset_size} is smaller than the batch ({b})"
        ));
    }
    let lw = log_weights(b, dataset_size, est);
    let mut out = MinibatchTc {
        index_code_mi: 0.0,
        total_correlation: 0.0,
        dimwise_kl: 0.0,
        kl_mc: 0.0,
        kl_analytic: 0.0,
        log_qz: Vec::with_capacity(b),
        log_prod_qzj: Vec::with_capacity(b),
    };
    let mut joint = vec![0.0; b];
    let mut marg = vec![vec![0.0; b]; k];
    for i in 0..b {
        // L[i,j,k] with the row's log-weights added.
        for j in 0..b {
            joint[j] = lw[i * b + j];
            for (kk, mk) in marg.iter_mut().enumerate() {
                let l = log_normal(z.get(i, kk), means.get(j, kk), logvars.get(j, kk));
                joint[j] += l;
                mk[j] = lw[i * b + j] + l;
            }
        }
        let log_qz = logsumexp(&joint);
        let log_prod: f64 = marg.iter().map(|m| logsumexp(m)).sum();
        let log_qz_x: f64 = (0..k)
            .map(|kk| log_normal(z.get(i, kk), means.get(i, kk), logvars.get(i, kk)))
            .sum();
        let log_pz: f64 = z.row(i).iter().map(|v| -0.5 * (LOG_2PI + v * v)).sum();
        out.index_code_mi += log_qz_x - log_qz;
        out.total_correlation += log_qz - log_prod;
        out.dimwise_kl += log_prod - log_pz;
        out.kl_mc += log_qz_x - log_pz;
        out.kl_analytic += (0..k)
            .map(|kk| {
                let (m, l) = (means.get(i, kk), logvars.get(i, kk));
                0.5 * (m * m + l.exp() - 1.0 - l)
            })
            .sum::<f64>();
        out.log_qz.push(log_qz);
        out.log_prod_qzj.push(log_prod);
    }
    let bf = b as f64;
    for v in [
        &mut out.index_code_mi,
        &mut out.total_correlation,
        &mut out.dimwise_kl,
        &mut out.kl_mc,
        &mut out.kl_analytic,
    ] {
        *v /= bf;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::golden;

    #[test]
    fn weights_rows_sum_to_one() {
        for est in [TcEstimator::Mws, TcEstimator::Mss, TcEstimator::MssOriginal] {
            let (b, n) = (8, 100);
            let w = log_weights(b, n, est);
            for i in 0..b {
                let s: f64 = w[i * b..(i + 1) * b].iter().map(|v| v.exp()).sum();
                // MWS rows sum to 1/N (its estimate carries the offset); MSS rows to 1.
                let target = if est == TcEstimator::Mws {
                    1.0 / n as f64
                } else {
                    1.0
                };
                if est != TcEstimator::MssOriginal || i != b - 2 {
                    assert!((s - target).abs() < 1e-12, "{est:?} row {i}: {s}");
                }
            }
        }
    }

    #[test]
    fn golden_minibatch_estimators() {
        let r = golden::matrix;
        let (z, m, l) = (r("tc_z.csv"), r("tc_means.csv"), r("tc_logvars.csv"));
        let exp = &golden::expected()["minibatch_tc"];
        let n = exp["dataset_size"].as_u64().unwrap() as usize;
        for est in [TcEstimator::Mws, TcEstimator::Mss, TcEstimator::MssOriginal] {
            let e = &exp[est.name()];
            let o = minibatch_tc(&z, &m, &l, n, est).unwrap();
            let close = |a: f64, b: &serde_json::Value| {
                let b = b.as_f64().unwrap();
                assert!(
                    (a - b).abs() <= 1e-6 * b.abs().max(1e-6),
                    "{est:?}: {a} vs {b}"
                );
            };
            close(o.index_code_mi, &e["index_code_mi"]);
            close(o.total_correlation, &e["total_correlation"]);
            close(o.dimwise_kl, &e["dimwise_kl"]);
            close(o.kl_mc, &e["kl_mc"]);
            close(o.kl_analytic, &e["kl_analytic"]);
            for i in 0..4 {
                close(o.log_qz[i], &e["log_qz_first_4"][i]);
                close(o.log_prod_qzj[i], &e["log_prod_qzj_first_4"][i]);
            }
        }
        assert!(minibatch_tc(&z, &m.select_rows(&[0, 1]), &l, n, TcEstimator::Mss).is_err());
        assert!(minibatch_tc(&z, &m, &l, 10, TcEstimator::Mss).is_err());
    }
}
