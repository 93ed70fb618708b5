//! A/B comparison: run B is run A's configuration with another model and/or β, on the same
//! data and seed, so any difference between the two comes from the objective alone.

use serde::{Deserialize, Serialize};

use super::choice::{DatasetKind, ModelKind};
use super::config::{model_runs_on, TrainConfig};
use super::text;
use super::weights::Weights;

/// How run B differs from run A.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompareOverrides {
    /// B's model.
    pub model: ModelKind,
    /// B's α (`None`: the same as A's, also when A's changes live).
    pub alpha: Option<f64>,
    /// B's β (`None`: the same as A's).
    pub beta: Option<f64>,
}

impl CompareOverrides {
    /// B's configuration for A's `a` (same data, subset, seed, sizes and learning rate).
    /// Fails with a message when B's model cannot run on A's data.
    pub fn apply(&self, a: &TrainConfig) -> Result<TrainConfig, String> {
        let b = TrainConfig {
            model: self.model,
            weights: self.weights(a.weights),
            ..a.clone()
        };
        b.validate().map_err(|e| format!("run B: {e}"))?;
        Ok(b)
    }

    /// B's weights when A's are `a`: A's γ, and B's own α and β where it has them.
    pub fn weights(&self, a: Weights) -> Weights {
        Weights {
            alpha: self.alpha.unwrap_or(a.alpha),
            beta: self.beta.unwrap_or(a.beta),
            ..a
        }
    }

    /// The link form: `MODEL`, then `:aX` and/or `:bY` for B's own α and β (e.g. `dd:a1:b0`).
    pub fn to_link(&self) -> String {
        let mut s = self.model.key().to_string();
        if let Some(a) = self.alpha {
            s.push_str(&format!(":a{}", text::number(a)));
        }
        if let Some(b) = self.beta {
            s.push_str(&format!(":b{}", text::number(b)));
        }
        s
    }

    /// Parses [`Self::to_link`]'s form; the error says what is wrong.
    pub fn from_link(text: &str) -> Result<Self, String> {
        let mut parts = text.split(':');
        let model = ModelKind::parse(parts.next().unwrap_or(""))?;
        let mut o = Self {
            model,
            alpha: None,
            beta: None,
        };
        for p in parts {
            let num = |v: &str| {
                v.parse::<f64>()
                    .map_err(|_| format!("'{}' is not a number", text::clip(v, 40)))
            };
            match p.split_at_checked(1) {
                Some(("a", v)) => o.alpha = Some(num(v)?),
                Some(("b", v)) => o.beta = Some(num(v)?),
                _ => {
                    return Err(format!(
                        "'{}' is not aX or bY (B's own α or β)",
                        text::clip(p, 40)
                    ))
                }
            }
        }
        Ok(o)
    }

    /// The models B may use on `dataset`.
    pub fn models(dataset: DatasetKind) -> impl Iterator<Item = ModelKind> {
        ModelKind::ALL
            .into_iter()
            .filter(move |&m| model_runs_on(m, dataset))
    }

    /// The usual partner of A's model: β-TCVAE for β-VAE (lesson b), a plain VAE for the
    /// iVAE (lesson f), β-VAE otherwise.
    pub fn default_for(a: &TrainConfig) -> Self {
        let model = match a.model {
            ModelKind::BetaVae | ModelKind::Vae => ModelKind::BetaTcvae,
            ModelKind::Ivae => ModelKind::Vae,
            _ => ModelKind::BetaVae,
        };
        Self {
            model,
            alpha: None,
            beta: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b_keeps_data_seed_and_sizes_and_changes_only_model_and_beta() {
        let mut a = TrainConfig {
            dataset: DatasetKind::Dsprites,
            seed: 9,
            latents: 6,
            ..TrainConfig::default()
        };
        a.weights.beta = 4.0;
        let o = CompareOverrides::default_for(&a);
        let b = o.apply(&a).unwrap();
        assert_eq!(b.model, ModelKind::BetaTcvae);
        assert_eq!(
            (b.dataset, b.seed, b.latents, b.batch, &b.subset),
            (a.dataset, a.seed, a.latents, a.batch, &a.subset)
        );
        assert_eq!(b.weights, a.weights);
        let own = CompareOverrides {
            beta: Some(1.0),
            ..o
        };
        let b = own.apply(&a).unwrap();
        assert_eq!((b.weights.beta, b.weights.alpha), (1.0, a.weights.alpha));
        let dd = CompareOverrides::from_link("dd:a1:b0").unwrap();
        assert_eq!(
            (dd.model, dd.alpha, dd.beta),
            (ModelKind::Dd, Some(1.0), Some(0.0))
        );
        assert_eq!(CompareOverrides::from_link(&dd.to_link()).unwrap(), dd);
        assert!(CompareOverrides::from_link("dd:x1").is_err());
        assert!(CompareOverrides::from_link("gan").is_err());
    }

    #[test]
    fn b_refuses_a_model_that_cannot_run_on_the_data() {
        let a = TrainConfig::default();
        let o = CompareOverrides {
            model: ModelKind::Ivae,
            alpha: None,
            beta: None,
        };
        let err = o.apply(&a).unwrap_err();
        assert!(err.starts_with("run B:") && err.contains("ivae"), "{err}");
        assert!(!CompareOverrides::models(DatasetKind::Pinwheel).any(|m| m == ModelKind::Ivae));
        let bad = CompareOverrides {
            model: ModelKind::BetaVae,
            alpha: None,
            beta: Some(-1.0),
        };
        assert!(bad.apply(&a).is_err());
    }
}
