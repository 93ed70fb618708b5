//! Choices of estimator and divergence: plain data, shared by the page and the trainer.

use serde::{Deserialize, Serialize};

/// Minibatch estimator of log q(z) and log q(z_k).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Estimator {
    /// Minibatch-weighted sampling: log q(z_i) ≈ logsumexp_j Σ_k L[i,j,k] − log(B·N).
    /// Biased: its TC reads ≈ (K−1)·log B … (K−1)·log N nats high on independent latents.
    Mws,
    /// Minibatch-stratified sampling with the intended weights W_ii = 1/N,
    /// W_i,(i+1 mod B) = (N−M)/(N·M), else 1/M, M = B − 1 (rows sum to 1).
    Mss,
}

/// Which divergence D(q(z), p(z)) regularises the aggregate posterior.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Divergence {
    /// KL(p(z) ‖ q(z)) estimated with B samples of p (DD's `kld_inc`).
    KlPQ,
    /// Dimension-wise MMD with inverse multiquadric kernels (DD's `mmd_dim`).
    Mmd,
}
