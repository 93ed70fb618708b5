//! The objective's live weights, changeable between any two steps.

use serde::{Deserialize, Serialize};

/// Largest weight a slider or flag may set; beyond it the KL terms swamp any likelihood.
pub const MAX_WEIGHT: f64 = 200.0;

/// Weights of the decomposed objective `recon + α·MI + β·TC + γ·dimKL` (β-TCVAE family);
/// β alone weights the whole KL for β-VAE. They are plain scalars multiplied into the loss,
/// so changing them never rebuilds the model or recompiles a kernel.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Weights {
    /// Weight of the index-code mutual information (β-TCVAE), or of D(q(z), p(z)) (DD).
    pub alpha: f64,
    /// Weight of the KL (β-VAE, DD) or of the total correlation (β-TCVAE).
    pub beta: f64,
    /// Weight of the dimension-wise KL (β-TCVAE) or of the TC estimate (FactorVAE).
    pub gamma: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            alpha: 1.0,
            beta: 1.0,
            gamma: 1.0,
        }
    }
}

impl Weights {
    /// Checks every weight is finite and in `[0, MAX_WEIGHT]`, naming the first that is not.
    pub fn validate(&self) -> Result<(), String> {
        for (name, v) in [
            ("alpha", self.alpha),
            ("beta", self.beta),
            ("gamma", self.gamma),
        ] {
            if !v.is_finite() || !(0.0..=MAX_WEIGHT).contains(&v) {
                return Err(format!(
                    "{name} = {v} is out of range: weights must lie in [0, {MAX_WEIGHT}]"
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validate_refuses_negative_nan_and_huge() {
        assert!(Weights::default().validate().is_ok());
        let bad = [
            Weights {
                beta: -1.0,
                ..Weights::default()
            },
            Weights {
                alpha: f64::NAN,
                ..Weights::default()
            },
            Weights {
                gamma: 1e9,
                ..Weights::default()
            },
        ];
        for w in bad {
            let err = w.validate().unwrap_err();
            assert!(err.contains("out of range"), "{err}");
        }
    }
}
