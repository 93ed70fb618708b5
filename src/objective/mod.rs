//! Objectives: one decomposed ELBO, weighted per method (docs/methods.md §1).
//!
//! Every method reports named terms ([`TermName`]) so curves are comparable across methods,
//! and always reports the unweighted ELBO next to the weighted loss. Each objective takes the
//! per-point reconstruction NLL `recon_nll` (`[B]`, computed by whichever likelihood the
//! decoder uses: Gaussian MLP or Bernoulli conv) plus the encoder's [`Encoded`] batch, so one
//! objective serves every architecture.

#[cfg(feature = "train")]
pub mod dd;
#[cfg(feature = "train")]
pub mod factor_vae;
#[cfg(feature = "train")]
pub mod fused;
#[cfg(feature = "train")]
pub mod ivae;
pub mod kinds;
#[cfg(feature = "train")]
pub mod pairwise;
pub mod priors;
#[cfg(feature = "train")]
pub mod tc;

#[cfg(feature = "train")]
mod output;
pub use crate::settings::Weights;
#[cfg(feature = "train")]
pub use output::*;

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
