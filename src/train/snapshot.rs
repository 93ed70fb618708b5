//! What the trainer streams to the views: curves since the last snapshot and samples of q(z).

use serde::{Deserialize, Serialize};

use crate::objective::{TermName, Weights};

/// Per-step values of each objective term, for steps `first_step .. first_step + len`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TermCurves {
    /// Step number of the first value.
    pub first_step: u64,
    /// Term names, in column order of `values`.
    pub names: Vec<TermName>,
    /// `values[t][s]`: term `t` at step `first_step + s`.
    pub values: Vec<Vec<f32>>,
}

impl TermCurves {
    /// The values of one term, if present.
    pub fn get(&self, name: TermName) -> Option<&[f32]> {
        self.names
            .iter()
            .position(|&n| n == name)
            .map(|i| self.values[i].as_slice())
    }

    /// Number of steps covered.
    pub fn len(&self) -> usize {
        self.values.first().map_or(0, Vec::len)
    }

    /// True when no step is covered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends another stretch of curves (same names) after this one.
    pub fn extend(&mut self, other: &TermCurves) {
        if self.names.is_empty() {
            *self = other.clone();
            return;
        }
        for (mine, theirs) in self.values.iter_mut().zip(&other.values) {
            mine.extend_from_slice(theirs);
        }
    }
}

/// Samples of the aggregate posterior q(z): one z ~ q(z|x_n) per shown point.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Posterior {
    /// Latent dimension K.
    pub latents: usize,
    /// Row-major `[points, K]` samples.
    pub z: Vec<f32>,
    /// Class / factor / segment label of each point, for colouring.
    pub labels: Vec<u32>,
    /// KL(q(z_j|x) ‖ N(0, 1)) per latent j, averaged over the shown points (nats): which
    /// units are active.
    pub kl_per_latent: Vec<f32>,
}

/// One message from the trainer to the views.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Steps taken so far.
    pub step: u64,
    /// Term curves since the previous snapshot.
    pub curves: TermCurves,
    /// Samples of q(z), when asked for.
    pub posterior: Option<Posterior>,
    /// The weights the objective applied on the latest step.
    pub weights: Weights,
    /// The learning rate applied on the latest step.
    pub lr: f64,
}
