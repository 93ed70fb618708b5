//! Disentanglement metrics and KL decompositions, plain f64 and backend-free (compiles for
//! wasm32; natively the Chen estimator uses all cores). Every number is named with its
//! protocol; see `docs/methods.md` §1.3 and §3.

pub mod active_units;
pub mod aggregate;
#[cfg(not(target_arch = "wasm32"))]
pub mod bench;
pub mod beta_vae;
pub mod chen;
pub mod discrete;
pub mod entropy;
pub mod factor_table;
pub mod factor_vae;
pub mod gauss;
pub mod logreg;
pub mod mcc;
pub mod minibatch_tc;

pub use crate::matrix::Matrix;
pub use active_units::{
    active_units, dsprites_metric_set, DspritesMetricSet, ACTIVE_UNIT_THRESHOLD,
};
pub use beta_vae::{beta_vae_score, BetaVaeConfig, BetaVaeScore};
pub use chen::{elbo_decomposition, mig_chen, sample_posterior, ChenMig, ElboDecomposition};
pub use discrete::{
    mig_dlib, mig_sampled, varying_factors, MigResult, DLIB_MIG_NUM_TRAIN, DLIB_NUM_BINS,
    NO_FACTOR_VARIES,
};
pub use entropy::{ChenOptions, Precision, AUTO_F32_TERMS, CHEN_MAX_SAMPLES};
pub use factor_table::{CodeSource, FactorTable};
pub use factor_vae::{factor_vae_score, FactorVaeConfig, FactorVaeScore};
pub use mcc::{mcc, CorrMethod, MccResult};
pub use minibatch_tc::{minibatch_tc, MinibatchTc, TcEstimator};
