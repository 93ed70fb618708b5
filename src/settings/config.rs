//! The run configuration: every setting of a run in one struct. Its defaults, ranges, names
//! and help live in the schema ([`super::schema::FIELDS`]) and in [`TrainConfig::for_dataset`];
//! everything else (CLI flags, share links, the page's controls, `run.json`, model files)
//! derives from those two.

use crate::data::ivae::IvaeConfig;
use crate::data::subset::DspritesSubset;

use super::choice::{
    Activation, BackendPref, ConvSize, DatasetKind, DecoderStd, Divergence, EncoderHeads,
    EncoderStd, Estimator, ImageNet, IvaePrior, LrSchedule, ModelKind, OptimizerKind,
    PinwheelVariant, Speed,
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
    /// Activation between the MLPs' hidden layers.
    pub activation: Activation,
    /// How the encoder parameterises the posterior's spread.
    pub encoder_std: EncoderStd,
    /// One encoder MLP for μ and the spread, or one each (MLP networks).
    pub encoder_heads: EncoderHeads,
    /// Fixed or learned std of the Gaussian likelihood (vector data).
    pub decoder_std: DecoderStd,
    /// The optimiser of the model's parameters.
    pub optimizer: OptimizerKind,
    /// How the learning rate changes during training.
    pub lr_schedule: LrSchedule,
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
    /// Which pinwheel generator (pinwheel data only).
    pub pinwheel: PinwheelVariant,
    /// How the iVAE computes its prior's log-variances log λ(u).
    pub ivae_prior: IvaePrior,
    /// The iVAE reference's ELBO weights (a, b, c, d): a on log p(x|z), b on the index-code
    /// MI, c on the TC, d on the dimension-wise KL to p(z|u) (all 1: the plain ELBO).
    pub ivae_weights: [f64; 4],
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
    /// set is changed. They are the settings of that data set's lessons (and of their evidence
    /// in `reproduce`), which follow each paper's reference code where it can run here:
    ///
    /// - pinwheel: DD's `clustering.sh` model (one hidden layer of 100 ReLU units, encoder
    ///   σ = softplus + 10⁻⁶, a per-point learned likelihood std, AMSGrad at lr 10⁻³, full
    ///   batch, `pinwheel.m` data; lesson (d) chooses the 4-component mixture prior);
    /// - iVAE sources: the iVAE reference's `main.py` (3-layer xtanh networks of 100 units with
    ///   separate μ and log σ² networks, an MLP prior on u, ELBO weights a = 100, b = 1, c = 0,
    ///   d = 10 with the MWS estimator, Adam at lr 0.01 with ReduceLROnPlateau, batch 64);
    /// - dSprites: an MLP 256-256 with a Bernoulli likelihood, 10 latents, batch 64, Adam at
    ///   lr 10⁻³ (the papers' convolutions are too slow for the lessons on a laptop CPU);
    ///   β-TCVAE with the MWS estimator, the one Chen et al. propose and their `vae_quant.py`
    ///   trains with unless told `--mss`.
    pub fn for_dataset(dataset: DatasetKind) -> Self {
        let base = Self {
            dataset,
            model: ModelKind::BetaVae,
            weights: Weights::default(),
            lr: 1e-3,
            batch: 64,
            latents: 2,
            hidden: vec![100],
            activation: Activation::Relu,
            encoder_std: EncoderStd::Exp,
            encoder_heads: EncoderHeads::Shared,
            decoder_std: DecoderStd::Fixed,
            optimizer: OptimizerKind::Adam,
            lr_schedule: LrSchedule::Constant,
            seed: 0,
            subset: DspritesSubset::default(),
            conv: ConvSize::Small,
            image_net: ImageNet::Mlp,
            ivae: IvaeConfig::default(),
            pinwheel: PinwheelVariant::Matlab,
            ivae_prior: IvaePrior::Mlp,
            ivae_weights: IVAE_REFERENCE_WEIGHTS,
            prior: Prior::Normal,
            estimator: Estimator::Mss,
            divergence: Divergence::KlPQ,
            backend: BackendPref::Auto,
            speed: Speed::Full,
        };
        match dataset {
            DatasetKind::Pinwheel => Self {
                batch: 400,
                encoder_std: EncoderStd::Softplus,
                decoder_std: DecoderStd::Learned,
                optimizer: OptimizerKind::Amsgrad,
                ..base
            },
            DatasetKind::Ivae => Self {
                lr: 0.01,
                hidden: vec![100, 100],
                activation: Activation::Xtanh,
                encoder_heads: EncoderHeads::Separate,
                lr_schedule: LrSchedule::Plateau,
                estimator: Estimator::Mws,
                ..base
            },
            DatasetKind::Dsprites => Self {
                latents: 10,
                hidden: vec![256, 256],
                estimator: Estimator::Mws,
                ..base
            },
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

    /// The prior p(z) the objective uses: DD's setting; N(0, I) for the other models (the
    /// iVAE's own prior is conditional on u and learned).
    pub fn model_prior(&self) -> Prior {
        match self.model {
            ModelKind::Dd => self.prior.clone(),
            _ => Prior::Normal,
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
        if matches!(self.model, ModelKind::BetaTcvae | ModelKind::Ivae) && self.batch < 2 {
            return Err(format!(
                "{}'s minibatch estimators need a batch of at least 2",
                self.model.label()
            ));
        }
        self.prior
            .validate(self.latents)
            .map_err(|e| format!("prior: {e}"))?;
        let points = self.ivae.segments.saturating_mul(self.ivae.per_segment);
        if self.model == ModelKind::Ivae && points < 2 {
            return Err("the iVAE's minibatch estimators need at least 2 points".into());
        }
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

/// The iVAE reference's ELBO weights (a, b, c, d) = (100, 1, 0, 10) (ilkhem/iVAE
/// `configs/ivae.yaml`).
pub const IVAE_REFERENCE_WEIGHTS: [f64; 4] = [100.0, 1.0, 0.0, 10.0];

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
