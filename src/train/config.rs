//! The run configuration: every setting of a run, with its defaults in one place.

use serde::{Deserialize, Serialize};

use crate::data::ivae::IvaeConfig;
use crate::data::subset::DspritesSubset;
use crate::model::kinds::{ConvSize, ImageNet};
use crate::objective::kinds::{Divergence, Estimator};
use crate::objective::priors::Prior;
use crate::objective::Weights;

/// Which data set a run trains on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetKind {
    /// Adams' 4-arm pinwheel, 400 points (the Disentangling Disentanglement toy).
    Pinwheel,
    /// Non-stationary sources mixed by an invertible MLP (Khemakhem et al. 2020), 2-D by default.
    Ivae,
    /// Procedurally rendered dSprites (Matthey et al. 2017), a subset of the 737,280 images.
    Dsprites,
}

impl DatasetKind {
    /// Every data set, in menu order.
    pub const ALL: [DatasetKind; 3] = [
        DatasetKind::Pinwheel,
        DatasetKind::Ivae,
        DatasetKind::Dsprites,
    ];

    /// Short name used on the command line and in share links.
    pub fn key(self) -> &'static str {
        match self {
            DatasetKind::Pinwheel => "pinwheel",
            DatasetKind::Ivae => "ivae",
            DatasetKind::Dsprites => "dsprites",
        }
    }

    /// Parses [`Self::key`]; the error names the valid choices.
    pub fn parse(s: &str) -> Result<Self, String> {
        parse_key(s, &Self::ALL, Self::key, "dataset")
    }

    /// Fixed variance of the Gaussian likelihood. A learned variance lets the 2-D VAE settle
    /// in the collapsed optimum (decoder = data mean, variance = data variance, KL = 0), which
    /// teaches nothing; a fixed std of 0.1 (a tenth of the arms' radius) keeps z informative.
    /// iVAE's reference fixes the decoder variance at 0.1 (ilkhem/iVAE); dSprites is Bernoulli.
    pub fn obs_var(self) -> Option<f64> {
        match self {
            DatasetKind::Pinwheel => Some(0.01),
            DatasetKind::Ivae => Some(0.1),
            DatasetKind::Dsprites => None,
        }
    }
}

/// Which model/objective a run uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// Kingma & Welling's VAE: the ELBO with β = 1.
    Vae,
    /// Higgins et al.'s β-VAE: the KL weighted by β.
    BetaVae,
    /// Chen et al.'s β-TCVAE family: recon + α·MI + β·TC + γ·dimKL (minibatch estimators).
    BetaTcvae,
    /// Kim & Mnih's FactorVAE: ELBO + γ·TC, the TC estimated by a discriminator.
    FactorVae,
    /// Mathieu et al.'s "Disentangling Disentanglement": recon + β·KL + α·D(q(z), p(z)).
    Dd,
    /// Khemakhem et al.'s iVAE: conditional prior p(z|u) on the segment label u.
    Ivae,
}

impl ModelKind {
    /// Every model, in menu order.
    pub const ALL: [ModelKind; 6] = [
        ModelKind::Vae,
        ModelKind::BetaVae,
        ModelKind::BetaTcvae,
        ModelKind::FactorVae,
        ModelKind::Dd,
        ModelKind::Ivae,
    ];

    /// Short name used on the command line and in share links.
    pub fn key(self) -> &'static str {
        match self {
            ModelKind::Vae => "vae",
            ModelKind::BetaVae => "beta-vae",
            ModelKind::BetaTcvae => "beta-tcvae",
            ModelKind::FactorVae => "factor-vae",
            ModelKind::Dd => "dd",
            ModelKind::Ivae => "ivae",
        }
    }

    /// Parses [`Self::key`]; the error names the valid choices.
    pub fn parse(s: &str) -> Result<Self, String> {
        parse_key(s, &Self::ALL, Self::key, "model")
    }

    /// Display name.
    pub fn label(self) -> &'static str {
        match self {
            ModelKind::Vae => "VAE",
            ModelKind::BetaVae => "β-VAE",
            ModelKind::BetaTcvae => "β-TCVAE",
            ModelKind::FactorVae => "FactorVAE",
            ModelKind::Dd => "Disentangling Disentanglement",
            ModelKind::Ivae => "iVAE",
        }
    }

    /// One line on what the objective is, with its paper.
    pub fn help(self) -> &'static str {
        match self {
            ModelKind::Vae => "The ELBO: reconstruction + KL(q(z|x) ‖ p(z)) (Kingma & Welling 2014).",
            ModelKind::BetaVae => "Reconstruction + β·KL: larger β pushes q(z|x) towards the prior (Higgins et al. 2017).",
            ModelKind::BetaTcvae => "Splits the KL into index-code MI, total correlation and dimension-wise KL, weighted α, β, γ (Chen et al. 2018).",
            ModelKind::FactorVae => "ELBO + γ·TC, the total correlation estimated by a discriminator on permuted latents (Kim & Mnih 2018).",
            ModelKind::Dd => "Reconstruction + β·KL + α·D(q(z), p(z)): match the aggregate posterior to a chosen prior (Mathieu et al. 2019).",
            ModelKind::Ivae => "A prior p(z|u) conditioned on the segment label u makes the latents identifiable (Khemakhem et al. 2020).",
        }
    }

    /// What α, β and γ weight in this objective (`None`: the weight is not used).
    pub fn weight_roles(self) -> [Option<&'static str>; 3] {
        match self {
            ModelKind::Vae | ModelKind::Ivae => [None, None, None],
            ModelKind::BetaVae => [None, Some("KL(q(z|x) ‖ p(z))"), None],
            ModelKind::BetaTcvae => [
                Some("index-code mutual information I(x; z)"),
                Some("total correlation: dependence between latents"),
                Some("dimension-wise KL to the prior"),
            ],
            ModelKind::FactorVae => [
                None,
                None,
                Some("the discriminator's total-correlation estimate (paper: 10–100)"),
            ],
            ModelKind::Dd => [
                Some("D(q(z), p(z)): aggregate posterior vs prior"),
                Some("KL(q(z|x) ‖ p(z)) per point"),
                None,
            ],
        }
    }
}

fn parse_key<T: Copy>(
    s: &str,
    all: &[T],
    key: fn(T) -> &'static str,
    what: &str,
) -> Result<T, String> {
    all.iter().copied().find(|&v| key(v) == s).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|&v| key(v)).collect();
        format!("unknown {what} '{s}' (valid: {})", names.join(", "))
    })
}

/// Largest batch a run may use; larger ones only cost memory on the page's small models.
pub const MAX_BATCH: usize = 4096;
/// Largest latent size a run may use.
pub const MAX_LATENTS: usize = 32;

/// Every setting of a run. Defaults live here only: the CLI and the page read them from
/// [`TrainConfig::default`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainConfig {
    /// The data set.
    pub dataset: DatasetKind,
    /// The model/objective.
    pub model: ModelKind,
    /// Objective weights (β for the β-VAE KL).
    pub weights: Weights,
    /// Adam learning rate (DD's pinwheel: 1e-3).
    pub lr: f64,
    /// Minibatch size; the pinwheel trains full-batch (400) as in DD.
    pub batch: usize,
    /// Latent dimension K.
    pub latents: usize,
    /// Hidden layer widths of the MLPs (DD's pinwheel: one layer of 100).
    pub hidden: Vec<usize>,
    /// Seed of data, initialisation and sampling.
    pub seed: u64,
    /// Which dSprites images (dSprites only).
    pub subset: DspritesSubset,
    /// Convolutional network size (dSprites only).
    pub conv: ConvSize,
    /// dSprites network: convolutions of size `conv`, or MLPs of widths `hidden`.
    pub image_net: ImageNet,
    /// Source generator settings (iVAE data only).
    pub ivae: IvaeConfig,
    /// The prior p(z) of the DD objective.
    pub prior: Prior,
    /// Minibatch estimator of β-TCVAE's decomposition.
    pub estimator: Estimator,
    /// DD's divergence D(q(z), p(z)).
    pub divergence: Divergence,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            dataset: DatasetKind::Pinwheel,
            model: ModelKind::BetaVae,
            weights: Weights::default(),
            lr: 1e-3,
            batch: 400,
            latents: 2,
            hidden: vec![100],
            seed: 0,
            subset: DspritesSubset::default(),
            conv: ConvSize::Small,
            image_net: ImageNet::Conv,
            ivae: IvaeConfig::default(),
            prior: Prior::Normal,
            estimator: Estimator::Mss,
            divergence: Divergence::KlPQ,
        }
    }
}

impl TrainConfig {
    /// The weights the objective actually applies: the plain VAE and iVAE fix them at 1.
    pub fn effective_weights(&self) -> Weights {
        match self.model {
            ModelKind::Vae | ModelKind::Ivae => Weights {
                alpha: 1.0,
                beta: 1.0,
                gamma: 1.0,
            },
            _ => self.weights,
        }
    }

    /// Checks every setting before training starts, naming the first bad one.
    pub fn validate(&self) -> Result<(), String> {
        self.weights.validate()?;
        if !self.lr.is_finite() || self.lr <= 0.0 || self.lr > 1.0 {
            return Err(format!(
                "lr = {} is out of range: it must lie in (0, 1]",
                self.lr
            ));
        }
        if self.batch == 0 || self.batch > MAX_BATCH {
            return Err(format!(
                "batch = {} is out of range: 1..={MAX_BATCH}",
                self.batch
            ));
        }
        if self.latents == 0 || self.latents > MAX_LATENTS {
            return Err(format!(
                "latents = {} is out of range: 1..={MAX_LATENTS}",
                self.latents
            ));
        }
        if self.hidden.is_empty() || self.hidden.iter().any(|&h| h == 0 || h > 4096) {
            return Err(format!(
                "hidden = {:?}: give 1 or more widths in 1..=4096",
                self.hidden
            ));
        }
        if self.model == ModelKind::Ivae && self.dataset != DatasetKind::Ivae {
            return Err(format!(
                "the iVAE needs the auxiliary segment label u, which only the ivae data set has (not {})",
                self.dataset.key()
            ));
        }
        if self.model == ModelKind::BetaTcvae && self.batch < 2 {
            return Err("β-TCVAE's minibatch estimators need a batch of at least 2".into());
        }
        if self.model == ModelKind::Dd {
            self.prior
                .validate(self.latents)
                .map_err(|e| format!("prior: {e}"))?;
        }
        if self.dataset == DatasetKind::Ivae
            && !(1..=crate::data::ivae::MAX_DIM).contains(&self.ivae.dim)
        {
            return Err(format!(
                "iVAE dimension {} is out of range 1..={}",
                self.ivae.dim,
                crate::data::ivae::MAX_DIM
            ));
        }
        Ok(())
    }
}

/// Names of the priors on the command line and in the page, in menu order.
pub const PRIOR_NAMES: [&str; 4] = ["normal", "anisotropic", "student-t", "mixture"];

/// The prior named `name` with its documented default parameters for `latents` dimensions:
/// anisotropic = [`Prior::anisotropic_default`], Student-t ν = 9 (DD on dSprites),
/// mixture = DD's 4-component pinwheel prior (2-D only).
pub fn prior_by_name(name: &str, latents: usize) -> Result<Prior, String> {
    let prior = match name {
        "normal" => Prior::Normal,
        "anisotropic" => Prior::anisotropic_default(latents),
        "student-t" => Prior::StudentT { nu: 9.0 },
        "mixture" => Prior::pinwheel(),
        _ => {
            return Err(format!(
                "unknown prior '{name}' (valid: {})",
                PRIOR_NAMES.join(", ")
            ))
        }
    };
    prior
        .validate(latents)
        .map_err(|e| format!("prior {name}: {e}"))?;
    Ok(prior)
}

/// The short name of a prior's kind.
pub fn prior_name(prior: &Prior) -> &'static str {
    match prior {
        Prior::Normal => "normal",
        Prior::Anisotropic { .. } => "anisotropic",
        Prior::StudentT { .. } => "student-t",
        Prior::Mixture { .. } => "mixture",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_unknown_names_list_choices() {
        for m in ModelKind::ALL {
            assert_eq!(ModelKind::parse(m.key()), Ok(m));
        }
        let err = ModelKind::parse("gan").unwrap_err();
        assert!(err.contains("vae") && err.contains("beta-vae"), "{err}");
    }

    #[test]
    fn config_json_round_trips_and_missing_fields_take_defaults() {
        let c = TrainConfig {
            seed: 9,
            ..TrainConfig::default()
        };
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<TrainConfig>(&json).unwrap(), c);
        let partial: TrainConfig = serde_json::from_str(r#"{"seed": 3}"#).unwrap();
        assert_eq!(
            partial,
            TrainConfig {
                seed: 3,
                ..TrainConfig::default()
            }
        );
    }

    #[test]
    fn validate_names_bad_settings() {
        let bad = TrainConfig {
            lr: -1.0,
            ..TrainConfig::default()
        };
        assert!(bad.validate().unwrap_err().contains("lr"));
        let bad = TrainConfig {
            latents: 0,
            ..TrainConfig::default()
        };
        assert!(bad.validate().unwrap_err().contains("latents"));
    }
}
