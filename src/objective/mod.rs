//! Objectives: one decomposed ELBO, weighted per method (METHODS.md §1).
//!
//! Every method reports the same named terms ([`TermName`]) so curves are comparable
//! across methods, and always reports the unweighted ELBO next to the weighted loss.

pub mod gaussian;
pub mod weights;

use burn::prelude::*;

use crate::model::vae::VaeOutput;
pub use weights::Weights;

/// The per-step quantities the objective reports, in the order of a terms row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TermName {
    /// The weighted objective that is minimised.
    Loss,
    /// Reconstruction negative log-likelihood −E_q[log p(x|z)] per point (nats).
    Recon,
    /// KL(q(z|x) ‖ p(z)) per point (nats), unweighted.
    Kl,
    /// The unweighted ELBO per point: −recon − KL (nats).
    Elbo,
}

impl TermName {
    /// All terms, in row order.
    pub const ALL: [TermName; 4] = [TermName::Loss, TermName::Recon, TermName::Kl, TermName::Elbo];

    /// Short name used in JSON and plots.
    pub fn key(self) -> &'static str {
        match self {
            TermName::Loss => "loss",
            TermName::Recon => "recon",
            TermName::Kl => "kl",
            TermName::Elbo => "elbo",
        }
    }
}

/// What one evaluation of the objective returns.
pub struct ObjectiveOutput {
    /// Scalar to differentiate, `[1]`.
    pub loss: Tensor<1>,
    /// Detached values of [`TermName::ALL`], `[1, terms]`; read back in batches, never per step.
    pub terms: Tensor<2>,
}

/// β-VAE objective with a Gaussian likelihood and an N(0, I) prior:
/// loss = recon − … = E_q[−log p(x|z)] + β·KL(q(z|x) ‖ N(0, I)), averaged over the batch.
///
/// # Shapes
/// - `recon_nll`: `[batch]`, −log p(x|z) per point
pub fn beta_vae(recon_nll: Tensor<1>, out: &VaeOutput, weights: &Weights) -> ObjectiveOutput {
    let recon = recon_nll; // [batch]
    let kl = gaussian::kl_to_standard_normal(out.mu.clone(), out.logvar.clone()); // [batch]
    let recon = recon.mean(); // [1]
    let kl = kl.mean(); // [1]
    let loss = recon.clone() + kl.clone().mul_scalar(weights.beta); // [1]
    let elbo = (recon.clone() + kl.clone()).neg(); // [1]
    let terms = Tensor::cat(vec![loss.clone(), recon, kl, elbo], 0) // [4]
        .detach()
        .unsqueeze_dim::<2>(0); // [1, 4]
    ObjectiveOutput { loss, terms }
}
