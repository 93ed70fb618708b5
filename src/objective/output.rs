//! What every objective returns, the encoder batch they read, and the β-VAE objective.

use burn::prelude::*;

use super::{TermName, Weights};
use crate::math::gaussian;
use crate::model::vae::VaeOutput;

/// Terms of [`beta_vae`] (and of the iVAE ELBO), in row order.
pub const BETA_VAE_TERMS: &[TermName] = &TermName::ALL;

/// What one evaluation of an objective returns.
pub struct ObjectiveOutput {
    /// Scalar to differentiate, `[1]`.
    pub loss: Tensor<1>,
    /// Detached values of [`Self::names`], `[1, names.len()]`; read back in batches, never
    /// per step.
    pub terms: Tensor<2>,
    /// What each column of `terms` holds.
    pub names: &'static [TermName],
}

/// The encoder's side of a minibatch: q(z|x) = N(μ, diag e^{logvar}) and one sample z.
#[derive(Clone, Debug)]
pub struct Encoded {
    /// Posterior means μ, `[B, K]`.
    pub mu: Tensor<2>,
    /// Posterior log-variances log σ², `[B, K]`.
    pub logvar: Tensor<2>,
    /// One reparameterised sample per point, `[B, K]`.
    pub z: Tensor<2>,
}

impl Encoded {
    /// The encoder fields of a [`VaeOutput`].
    pub fn from_output(out: &VaeOutput) -> Self {
        Self {
            mu: out.mu.clone(),
            logvar: out.logvar.clone(),
            z: out.z.clone(),
        }
    }

    /// log q(z_i | x_i) = Σ_k log N(z_ik; μ_ik, σ²_ik), per point.
    ///
    /// # Shapes
    /// → `[B]`
    pub fn log_q_z_given_x(&self) -> Tensor<1> {
        let l = gaussian::log_normal(self.z.clone(), self.mu.clone(), self.logvar.clone()); // [B, K]
        l.sum_dim(1).squeeze_dim::<1>(1) // [B]
    }
}

/// Stacks scalar terms into one detached row.
///
/// # Shapes
/// - each of `values`: `[1]` → `[1, values.len()]`
pub fn terms_row(values: Vec<Tensor<1>>) -> Tensor<2> {
    Tensor::cat(values, 0).detach().unsqueeze_dim::<2>(0) // [1, n]
}

/// β-VAE objective for any likelihood: `recon_nll` is −log p(x_i|z_i) per point.
///
/// # Shapes
/// - `recon_nll`: `[B]`; `enc`: `[B, K]` fields
pub fn beta_vae(recon_nll: Tensor<1>, enc: &Encoded, weights: &Weights) -> ObjectiveOutput {
    let kl = gaussian::kl_to_standard_normal(enc.mu.clone(), enc.logvar.clone()); // [B]
    recon_plus_weighted_kl(recon_nll, kl, weights.beta)
}

/// `recon + β·KL` averaged over the batch, reporting [`BETA_VAE_TERMS`] (loss, recon, KL and
/// the unweighted ELBO): the shared end of the β-VAE and iVAE objectives.
///
/// # Shapes
/// - `recon_nll`, `kl`: `[B]`, per point
pub fn recon_plus_weighted_kl(recon_nll: Tensor<1>, kl: Tensor<1>, beta: f64) -> ObjectiveOutput {
    let recon = recon_nll.mean(); // [1]
    let kl = kl.mean(); // [1]
    let loss = recon.clone() + kl.clone().mul_scalar(beta); // [1]
    let elbo = (recon.clone() + kl.clone()).neg(); // [1]
    let terms = terms_row(vec![loss.clone(), recon, kl, elbo]); // [1, 4]
    ObjectiveOutput {
        loss,
        terms,
        names: BETA_VAE_TERMS,
    }
}

/// A tensor's values as f64 (test helper shared by the objective tests).
#[cfg(test)]
pub(crate) fn host<const D: usize>(t: Tensor<D>) -> Vec<f64> {
    t.into_data()
        .try_to_vec::<f32>()
        .expect("f32 tensor")
        .into_iter()
        .map(f64::from)
        .collect()
}
