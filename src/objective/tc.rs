//! The β-TCVAE decomposition of the KL on one minibatch (docs/methods.md §1.2–1.3, Chen et al.
//! 2018): `KL = MI + TC + dimKL` per sample, with log q(z) and log q(z_k) estimated by minibatch-
//! weighted (MWS) or minibatch-stratified (MSS) sampling over L[i,j,k] = log q(z_ik | x_j).
//!
//! The estimators' log-weights are constants of (B, N), never of the values: MWS adds the
//! scalar −log(B·N); MSS adds a B × B matrix built on the host once per (B, N) and uploaded
//! ([`TcDecomposer::new`]).
//!
//! The objective needs only batch means; on the CPU backends they come from the fused host
//! kernel of [`super::pairwise`] (value and exact gradients in one pass, no [B, B, K] graph),
//! on wgpu from the tensors ([`TcDecomposer::decompose`]).

use burn::prelude::*;

use super::fused;
pub use super::kinds::Estimator;
use super::pairwise::{pairwise_lse, RowWeights, Want};
use super::{terms_row, Encoded, ObjectiveOutput, TermName, Weights};
use crate::math::gaussian::{log_normal, logsumexp_dim, LOG_2PI};

/// Terms a β-TCVAE row holds, in order.
pub const TERMS: &[TermName] = &[
    TermName::Loss,
    TermName::Recon,
    TermName::Kl,
    TermName::Elbo,
    TermName::Mi,
    TermName::Tc,
    TermName::DimKl,
];

/// L[i,j,k] = log N(z_ik; μ_jk, σ²_jk): every sample's density under every posterior.
///
/// # Shapes
/// - `z`, `mu`, `logvar`: `[B, K]` → `[B, B, K]` (sample i, posterior j, dim k)
pub fn log_q_matrix(z: Tensor<2>, mu: Tensor<2>, logvar: Tensor<2>) -> Tensor<3> {
    let z = z.unsqueeze_dim::<3>(1); // [B, 1, K]
    let mu = mu.unsqueeze_dim::<3>(0); // [1, B, K]
    let logvar = logvar.unsqueeze_dim::<3>(0); // [1, B, K]
    log_normal(z, mu, logvar) // [B, B, K]
}

/// The MSS log-weight matrix log W_ij (row-major, B × B) of docs/methods.md §1.3, built on the
/// host.
pub fn mss_log_weights(b: usize, n: usize) -> Vec<f64> {
    let (nf, m) = (n as f64, (b - 1) as f64);
    let mut w = vec![(1.0 / m).ln(); b * b];
    for i in 0..b {
        w[i * b + i] = (1.0 / nf).ln();
        w[i * b + (i + 1) % b] = ((nf - m) / (nf * m)).ln();
    }
    w
}

/// Per-sample log-densities of the decomposition; MI, TC and dimKL are differences of them.
#[derive(Clone, Debug)]
pub struct TcTerms {
    /// Estimated log q(z_i), `[B]`.
    pub log_qz: Tensor<1>,
    /// Estimated Σ_k log q(z_ik), `[B]`.
    pub log_prod_qzj: Tensor<1>,
    /// log q(z_i | x_i), `[B]`.
    pub log_qz_cond_x: Tensor<1>,
    /// log p(z_i) under N(0, I), `[B]`.
    pub log_pz: Tensor<1>,
}

impl TcTerms {
    /// MI_i = log q(z_i|x_i) − log q(z_i), `[B]`.
    pub fn mi(&self) -> Tensor<1> {
        self.log_qz_cond_x.clone() - self.log_qz.clone() // [B]
    }

    /// TC_i = log q(z_i) − Σ_k log q(z_ik), `[B]`.
    pub fn tc(&self) -> Tensor<1> {
        self.log_qz.clone() - self.log_prod_qzj.clone() // [B]
    }

    /// dimKL_i = Σ_k log q(z_ik) − log p(z_i), `[B]`.
    pub fn dim_kl(&self) -> Tensor<1> {
        self.log_prod_qzj.clone() - self.log_pz.clone() // [B]
    }

    /// Monte Carlo KL_i = log q(z_i|x_i) − log p(z_i) = MI_i + TC_i + dimKL_i, `[B]`.
    pub fn kl_mc(&self) -> Tensor<1> {
        self.log_qz_cond_x.clone() - self.log_pz.clone() // [B]
    }
}

/// Batch means of the [`TcTerms`], `[1]` each: all the objective needs.
#[derive(Clone, Debug)]
pub struct TcMeans {
    /// mean_i log q(z_i).
    pub log_qz: Tensor<1>,
    /// mean_i Σ_k log q(z_ik).
    pub log_prod_qzj: Tensor<1>,
    /// mean_i log q(z_i | x_i).
    pub log_qz_cond_x: Tensor<1>,
    /// mean_i log p(z_i).
    pub log_pz: Tensor<1>,
}

/// Computes [`TcTerms`] for batches of size B from a data set of size N, holding the
/// estimator's constant log-weights on the device.
#[derive(Clone, Debug)]
pub struct TcDecomposer {
    estimator: Estimator,
    batch: usize,
    dataset_size: usize,
    /// MSS: log W, `[B, B]`; MWS: `None` (a scalar offset).
    log_w: Option<Tensor<2>>,
    /// The same weights for the host kernel, when the device is a CPU backend.
    host: Option<RowWeights>,
}

impl TcDecomposer {
    /// Builds (for MSS, uploads) the log-weights for batch size `batch` and data set size
    /// `dataset_size` (the size of the set or subset actually sampled).
    pub fn new(estimator: Estimator, batch: usize, dataset_size: usize, device: &Device) -> Self {
        assert!(
            batch >= 2,
            "the minibatch estimators need B ≥ 2 (got {batch})"
        );
        assert!(
            dataset_size >= batch,
            "N = {dataset_size} is smaller than B = {batch}"
        );
        let log_w = (estimator == Estimator::Mss).then(|| {
            let w: Vec<f32> = mss_log_weights(batch, dataset_size)
                .iter()
                .map(|&v| v as f32)
                .collect();
            Tensor::<2>::from_data(TensorData::new(w, [batch, batch]), device) // [B, B]
        });
        let host = fused::host_kernels(device).then(|| match estimator {
            Estimator::Mws => {
                RowWeights::Constant(-((batch as f64) * (dataset_size as f64)).ln() as f32)
            }
            Estimator::Mss => {
                let (nf, m) = (dataset_size as f64, (batch - 1) as f64);
                RowWeights::Stratified {
                    diag: (1.0 / nf).ln() as f32,
                    next: ((nf - m) / (nf * m)).ln() as f32,
                    other: (1.0 / m).ln() as f32,
                }
            }
        });
        Self {
            estimator,
            batch,
            dataset_size,
            log_w,
            host,
        }
    }

    /// The same decomposer computing everything with tensors (the wgpu path), for
    /// comparisons.
    pub fn tensor_path(mut self) -> Self {
        self.host = None;
        self
    }

    /// True when [`Self::means`] runs the fused host kernel.
    pub fn uses_host_kernel(&self) -> bool {
        self.host.is_some()
    }

    /// Batch means of the per-sample log-densities, differentiable with respect to z, μ and
    /// log σ²: by the fused host kernel on the CPU backends, else from [`Self::decompose`].
    ///
    /// # Shapes
    /// - `enc` fields: `[B, K]` → `[1]` each
    pub fn means(&self, enc: &Encoded) -> TcMeans {
        let Some(weights) = self.host else {
            let t = self.decompose(enc);
            return TcMeans {
                log_qz: t.log_qz.mean(),
                log_prod_qzj: t.log_prod_qzj.mean(),
                log_qz_cond_x: t.log_qz_cond_x.mean(),
                log_pz: t.log_pz.mean(),
            };
        };
        let [b, k] = enc.z.dims();
        assert_eq!(
            b, self.batch,
            "TcDecomposer built for B = {}, got {b}",
            self.batch
        );
        let (z, mu, lv) = (
            fused::to_host(&enc.z),
            fused::to_host(&enc.mu),
            fused::to_host(&enc.logvar),
        );
        let want = Want {
            marginals: true,
            x_grad: true,
        };
        let r = pairwise_lse(&z, &mu, &lv, k, weights, want);
        let with = |value: &[f32], g: &super::pairwise::Grads| {
            fused::with_gradients(
                fused::mean(value),
                &[(&enc.z, &g.x), (&enc.mu, &g.mu), (&enc.logvar, &g.logvar)],
            )
        };
        let log_pz = enc
            .z
            .clone()
            .powf_scalar(2.0)
            .add_scalar(LOG_2PI)
            .mul_scalar(-0.5)
            .sum()
            .div_scalar(b as f64); // [1]
        TcMeans {
            log_qz: with(&r.joint, &r.d_joint),
            log_prod_qzj: with(&r.marginals, &r.d_marginals),
            log_qz_cond_x: enc.log_q_z_given_x().mean(),
            log_pz,
        }
    }

    /// The estimator in use.
    pub fn estimator(&self) -> Estimator {
        self.estimator
    }

    /// Per-sample log-densities for one batch; the prior is N(0, I).
    ///
    /// # Shapes
    /// - `enc` fields: `[B, K]` with B the batch size given to [`Self::new`]
    pub fn decompose(&self, enc: &Encoded) -> TcTerms {
        let [b, _k] = enc.z.dims();
        assert_eq!(
            b, self.batch,
            "TcDecomposer built for B = {}, got {b}",
            self.batch
        );
        let l = log_q_matrix(enc.z.clone(), enc.mu.clone(), enc.logvar.clone()); // [B, B, K]
        let joint = l.clone().sum_dim(2).squeeze_dim::<2>(2); // [B, B]
        let (joint, marg) = match &self.log_w {
            Some(log_w) => {
                let marg = l + log_w.clone().unsqueeze_dim::<3>(2); // [B, B, K]
                (joint + log_w.clone(), marg) // [B, B], [B, B, K]
            }
            None => {
                let offset = -((b as f64) * (self.dataset_size as f64)).ln();
                (joint.add_scalar(offset), l.add_scalar(offset)) // [B, B], [B, B, K]
            }
        };
        let log_qz = logsumexp_dim(joint, 1).squeeze_dim::<1>(1); // [B]
        let log_qzk = logsumexp_dim(marg, 1); // [B, 1, K]
        let log_prod_qzj = log_qzk.sum_dim(2).reshape([b]); // [B]
        let log_qz_cond_x = enc.log_q_z_given_x(); // [B]
        let log_pz = enc
            .z
            .clone()
            .powf_scalar(2.0)
            .add_scalar(LOG_2PI)
            .mul_scalar(-0.5); // [B, K]
        let log_pz = log_pz.sum_dim(1).squeeze_dim::<1>(1); // [B]
        TcTerms {
            log_qz,
            log_prod_qzj,
            log_qz_cond_x,
            log_pz,
        }
    }
}

/// The β-TCVAE family objective `recon + α·MI + β·TC + γ·dimKL` (batch means; β-TCVAE is
/// α = γ = 1). Reports [`TERMS`]; `Kl` is the Monte Carlo KL = MI + TC + dimKL.
///
/// # Shapes
/// - `recon_nll`: `[B]`; `enc` fields: `[B, K]`
pub fn beta_tcvae(
    recon_nll: Tensor<1>,
    enc: &Encoded,
    tc: &TcDecomposer,
    weights: &Weights,
) -> ObjectiveOutput {
    let t = tc.means(enc);
    let recon = recon_nll.mean(); // [1]
    let mi = t.log_qz_cond_x - t.log_qz.clone(); // [1]
    let tcv = t.log_qz - t.log_prod_qzj.clone(); // [1]
    let dkl = t.log_prod_qzj - t.log_pz; // [1]
    let kl = mi.clone() + tcv.clone() + dkl.clone(); // [1]
    let loss = recon.clone()
        + mi.clone().mul_scalar(weights.alpha)
        + tcv.clone().mul_scalar(weights.beta)
        + dkl.clone().mul_scalar(weights.gamma); // [1]
    let elbo = (recon.clone() + kl.clone()).neg(); // [1]
    let terms = terms_row(vec![loss.clone(), recon, kl, elbo, mi, tcv, dkl]); // [1, 7]
    ObjectiveOutput {
        loss,
        terms,
        names: TERMS,
    }
}

#[cfg(test)]
#[path = "tc_tests.rs"]
mod tests;
