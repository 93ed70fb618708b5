//! Maths below the model, the objectives and the metrics: special functions on the host and
//! Gaussian log-densities on tensors. Depends on nothing else in the crate but [`crate::rng`].

pub mod eigen;
pub mod fast;
#[cfg(feature = "train")]
pub mod gaussian;
#[cfg(feature = "train")]
pub(crate) mod simd;
pub mod special;
