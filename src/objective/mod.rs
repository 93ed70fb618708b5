//! Objectives: one decomposed ELBO, weighted per method (METHODS.md §1).
//!
//! Every method reports named terms ([`TermName`]) so curves are comparable across methods,
//! and always reports the unweighted ELBO next to the weighted loss. Each objective takes the
//! per-point reconstruction NLL `recon_nll` (`[B]`, computed by whichever likelihood the
//! decoder uses: Gaussian MLP or Bernoulli conv) plus the encoder's [`Encoded`] batch, so one
//! objective serves every architecture.

pub mod dd;
pub mod factor_vae;
pub mod gaussian;
pub mod ivae;
pub mod priors;
pub mod special;
pub mod tc;
pub mod weights;

use burn::prelude::*;

use crate::model::vae::VaeOutput;
pub use weights::Weights;

/// The per-step quantities the objectives report; a terms row holds the subset listed in
/// [`ObjectiveOutput::names`], in that order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TermName {
    /// The weighted objective that is minimised.
    Loss,
    /// Reconstruction negative log-likelihood −E_q[log p(x|z)] per point (nats).
    Recon,
    /// KL(q(z|x) ‖ p(z)) per point (nats), unweighted (analytic or Monte Carlo, per method).
    Kl,
    /// The unweighted ELBO per point: −recon − KL (nats).
    Elbo,
    /// Index-code mutual information I_q(z; n) (β-TCVAE decomposition, nats).
    Mi,
    /// Total correlation KL(q(z) ‖ Π_j q(z_j)) by the minibatch estimator (nats).
    Tc,
    /// Dimension-wise KL Σ_j KL(q(z_j) ‖ p(z_j)) by the minibatch estimator (nats).
    DimKl,
    /// FactorVAE's discriminator estimate of the TC, mean(logit_real − logit_fake) (nats).
    TcEstimate,
    /// FactorVAE discriminator cross-entropy (nats).
    DiscLoss,
    /// FactorVAE discriminator accuracy at telling q(z) from the permuted batch, in [0, 1].
    DiscAccuracy,
    /// DD's divergence D(q(z), p(z)): KL(p ‖ q) estimate or dimension-wise MMD.
    Divergence,
}

impl TermName {
    /// The β-VAE row (kept as `ALL` because the trainer still reads it; prefer
    /// [`ObjectiveOutput::names`]).
    pub const ALL: [TermName; 4] = [
        TermName::Loss,
        TermName::Recon,
        TermName::Kl,
        TermName::Elbo,
    ];

    /// Every term, in a stable order (for legends and JSON schemas).
    pub const EVERY: [TermName; 11] = [
        TermName::Loss,
        TermName::Recon,
        TermName::Kl,
        TermName::Elbo,
        TermName::Mi,
        TermName::Tc,
        TermName::DimKl,
        TermName::TcEstimate,
        TermName::DiscLoss,
        TermName::DiscAccuracy,
        TermName::Divergence,
    ];

    /// Short name used in JSON and plots.
    pub fn key(self) -> &'static str {
        match self {
            TermName::Loss => "loss",
            TermName::Recon => "recon",
            TermName::Kl => "kl",
            TermName::Elbo => "elbo",
            TermName::Mi => "mi",
            TermName::Tc => "tc",
            TermName::DimKl => "dim_kl",
            TermName::TcEstimate => "tc_estimate",
            TermName::DiscLoss => "disc_loss",
            TermName::DiscAccuracy => "disc_accuracy",
            TermName::Divergence => "divergence",
        }
    }
}

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
    let recon = recon_nll.mean(); // [1]
    let kl = kl.mean(); // [1]
    let loss = recon.clone() + kl.clone().mul_scalar(weights.beta); // [1]
    let elbo = (recon.clone() + kl.clone()).neg(); // [1]
    let terms = terms_row(vec![loss.clone(), recon, kl, elbo]); // [1, 4]
    ObjectiveOutput {
        loss,
        terms,
        names: BETA_VAE_TERMS,
    }
}
