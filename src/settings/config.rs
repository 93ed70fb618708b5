//! The run configuration: every setting of a run in one struct. Its defaults, ranges, names
//! and help live in the schema ([`super::schema::FIELDS`]) and in [`TrainConfig::for_dataset`];
//! everything else (CLI flags, share links, the page's controls, `run.json`, model files)
//! derives from those two.

use crate::data::ivae::IvaeConfig;
use crate::data::subset::DspritesSubset;

use super::choice::{
    BackendPref, ConvSize, DatasetKind, Divergence, Estimator, ImageNet, ModelKind, Speed,
};
use super::prior::Prior;
use super::weights::Weights;

/// Every setting of a run. Serialised (JSON, links, CLI) through the schema, one key per
/// setting, so all faces spell them the same way.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// The data set.
    pub dataset: DatasetKind,
    /// The model/objective.
    pub model: ModelKind,
    /// Objective weights (β for the β-VAE KL).
    pub weights: Weights,
    /// Adam learning rate.
    pub lr: f64,
    /// Minibatch size.
    pub batch: usize,
    /// Latent dimension K.
    pub latents: usize,
    /// Hidden layer widths of the MLPs.
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
    /// The backend asked for (automatic by default).
    pub backend: BackendPref,
    /// How fast the page trains (the CLI always trains flat out).
    pub speed: Speed,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self::for_dataset(DatasetKind::Pinwheel)
    }
}

impl TrainConfig {
    /// The defaults for a run on `dataset`: what `train --dataset D` does with no other flag,
    /// what a link naming only the data set opens, and what the page resets to when the data
    /// set is changed. Sizes follow each data set's reference setup: the pinwheel trains
    /// full-batch with DD's 1 × 100 MLP, dSprites with batch 64 and 6 latents.
    pub fn for_dataset(dataset: DatasetKind) -> Self {
        let (batch, latents) = match dataset {
            DatasetKind::Pinwheel => (400, 2),
            DatasetKind::Ivae => (256, 2),
            DatasetKind::Dsprites => (64, 6),
        };
        Self {
            dataset,
            model: ModelKind::BetaVae,
            weights: Weights::default(),
            lr: 1e-3,
            batch,
            latents,
            hidden: vec![100],
            seed: 0,
            subset: DspritesSubset::default(),
            conv: ConvSize::Small,
            image_net: ImageNet::Conv,
            ivae: IvaeConfig::default(),
            prior: Prior::Normal,
            estimator: Estimator::Mss,
            divergence: Divergence::KlPQ,
            backend: BackendPref::Auto,
            speed: Speed::Full,
        }
    }

    /// This configuration moved to another data set: that data set's defaults, keeping the
    /// seed, the weights, the backend and speed, and the model where it can run there.
    pub fn with_dataset(&self, dataset: DatasetKind) -> Self {
        let fresh = Self::for_dataset(dataset);
        let model = if model_runs_on(self.model, dataset) {
            self.model
        } else {
            fresh.model
        };
        Self {
            model,
            seed: self.seed,
            weights: self.weights,
            backend: self.backend,
            speed: self.speed,
            ..fresh
        }
    }

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

    /// Checks every setting (each against its range in the schema) and how they fit
    /// together, naming the first that does not. Nothing is allocated before this passes.
    pub fn validate(&self) -> Result<(), String> {
        super::schema::check_ranges(self)?;
        if !model_runs_on(self.model, self.dataset) {
            return Err(format!(
                "the iVAE needs the auxiliary segment label u, which only the ivae data set has (not {})",
                self.dataset.key()
            ));
        }
        if self.model == ModelKind::BetaTcvae && self.batch < 2 {
            return Err("β-TCVAE's minibatch estimators need a batch of at least 2".into());
        }
        self.prior
            .validate(self.latents)
            .map_err(|e| format!("prior: {e}"))?;
        let points = self.ivae.segments.saturating_mul(self.ivae.per_segment);
        if self.dataset == DatasetKind::Ivae && points > MAX_IVAE_POINTS {
            return Err(format!(
                "the iVAE data would have {points} points (segments × per-segment); at most {MAX_IVAE_POINTS}"
            ));
        }
        Ok(())
    }
}

impl DatasetKind {
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

impl ModelKind {
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

/// Most points of an iVAE data set (segments × points per segment): the data are held in
/// memory, four copies of N × d floats.
pub const MAX_IVAE_POINTS: usize = 1_000_000;

/// Whether `model` can train on `dataset` (the iVAE needs the segment labels).
pub fn model_runs_on(model: ModelKind, dataset: DatasetKind) -> bool {
    model != ModelKind::Ivae || dataset == DatasetKind::Ivae
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_data_set_has_its_own_defaults_and_they_are_valid() {
        for d in DatasetKind::ALL {
            let c = TrainConfig::for_dataset(d);
            assert_eq!(c.dataset, d);
            c.validate().unwrap();
        }
        assert_eq!(TrainConfig::for_dataset(DatasetKind::Dsprites).batch, 64);
        assert_eq!(TrainConfig::default().batch, 400);
    }

    #[test]
    fn moving_to_another_data_set_keeps_seed_and_a_model_that_runs_there() {
        let ivae = TrainConfig {
            model: ModelKind::Ivae,
            seed: 7,
            ..TrainConfig::for_dataset(DatasetKind::Ivae)
        };
        let moved = ivae.with_dataset(DatasetKind::Dsprites);
        assert_eq!((moved.seed, moved.batch), (7, 64));
        assert_ne!(moved.model, ModelKind::Ivae);
        moved.validate().unwrap();
        let back = moved.with_dataset(DatasetKind::Ivae);
        assert_eq!(back.model, moved.model);
    }

    #[test]
    fn validate_names_bad_settings_and_misfits() {
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
        let bad = TrainConfig {
            model: ModelKind::Ivae,
            ..TrainConfig::default()
        };
        assert!(bad.validate().unwrap_err().contains("segment label"));
        let mut huge = TrainConfig::for_dataset(DatasetKind::Ivae);
        huge.ivae.segments = 1000;
        huge.ivae.per_segment = 100_000;
        assert!(huge.validate().unwrap_err().contains("at most"));
    }
}
