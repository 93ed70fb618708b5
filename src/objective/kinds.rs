//! The estimator and divergence choices, declared with the other settings in
//! [`crate::settings::choice`].

pub use crate::settings::{Divergence, Estimator};
