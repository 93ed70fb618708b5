//! The configurations that the PyTorch peer (`shared/peers/pytorch/bench.py`) times, plus
//! iVAE, with the peer's names and settings: one table for `disentangle-lab bench`, the page's
//! *Measure speed* and `scripts/perf-table.sh`, which joins their figures by name.

use crate::model::kinds::{ConvSize, ImageNet};
use crate::objective::kinds::Divergence;
use crate::objective::priors::Prior;
use crate::objective::Weights;
use crate::settings::{
    Activation, DecoderStd, EncoderHeads, EncoderStd, Estimator, LrSchedule, OptimizerKind,
};
use crate::train::{DatasetKind, ModelKind, TrainConfig};

/// The networks of a configuration, named as the peer names them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Net {
    /// MLP, Gaussian likelihood (2-D data).
    Mlp,
    /// MLP, Bernoulli likelihood (dSprites).
    MlpBern,
    /// Convolutions, Bernoulli likelihood (dSprites).
    Conv(ConvSize),
}

impl Net {
    /// The peer's key: `mlp`, `mlp-bern`, `conv-small`, `conv-dlib`.
    pub fn key(self) -> &'static str {
        match self {
            Net::Mlp => "mlp",
            Net::MlpBern => "mlp-bern",
            Net::Conv(ConvSize::Small) => "conv-small",
            Net::Conv(ConvSize::Dlib) => "conv-dlib",
        }
    }
}

/// One timed configuration.
#[derive(Clone, Debug)]
pub struct BenchConfig {
    /// The peer's name for it (`pinwheel-vae`, `dsprites-conv-small-b64`, …).
    pub name: &'static str,
    /// Networks.
    pub net: Net,
    /// The run's settings.
    pub config: TrainConfig,
}

/// A data set's defaults with the peer's model where the lessons' defaults differ from it: the
/// peer trains with Adam, an encoder that outputs log σ², one shared encoder network, a fixed
/// likelihood variance and β-TCVAE's MSS estimator, so the pinwheel's DD-reference defaults
/// (AMSGrad, softplus σ, a learned likelihood std) or dSprites' MWS would time another model
/// than the peer's.
fn peer_base(dataset: DatasetKind) -> TrainConfig {
    TrainConfig {
        estimator: Estimator::Mss,
        encoder_std: EncoderStd::Exp,
        encoder_heads: EncoderHeads::Shared,
        decoder_std: DecoderStd::Fixed,
        optimizer: OptimizerKind::Adam,
        lr_schedule: LrSchedule::Constant,
        activation: Activation::Relu,
        ..TrainConfig::for_dataset(dataset)
    }
}

/// The configurations, in the peer's order (then iVAE, which the peer lacks).
pub fn configs() -> Vec<BenchConfig> {
    let pinwheel = |name, model| {
        let mut config = TrainConfig {
            dataset: DatasetKind::Pinwheel,
            model,
            batch: 400,
            latents: 2,
            hidden: vec![100],
            ..peer_base(DatasetKind::Pinwheel)
        };
        match model {
            // The peer's β-TCVAE uses β = 6 (MSS), its FactorVAE γ = 6.
            ModelKind::BetaTcvae | ModelKind::FactorVae => {
                config.weights = Weights {
                    alpha: 1.0,
                    beta: 6.0,
                    gamma: 6.0,
                }
            }
            ModelKind::Dd => {
                config.prior = Prior::pinwheel();
                config.divergence = Divergence::KlPQ;
            }
            _ => {}
        }
        BenchConfig {
            name,
            net: Net::Mlp,
            config,
        }
    };
    let dsprites = |name, model, net: Net| {
        let mut config = TrainConfig {
            dataset: DatasetKind::Dsprites,
            model,
            batch: 64,
            latents: if net == Net::Conv(ConvSize::Dlib) {
                10
            } else {
                6
            },
            ..peer_base(DatasetKind::Dsprites)
        };
        match net {
            Net::Conv(size) => {
                config.image_net = ImageNet::Conv;
                config.conv = size;
            }
            _ => {
                config.image_net = ImageNet::Mlp;
                config.hidden = vec![256, 256];
            }
        }
        if model == ModelKind::BetaTcvae {
            config.weights.beta = 6.0;
        }
        BenchConfig { name, net, config }
    };
    let small = Net::Conv(ConvSize::Small);
    vec![
        pinwheel("pinwheel-vae", ModelKind::Vae),
        pinwheel("pinwheel-beta-tcvae", ModelKind::BetaTcvae),
        pinwheel("pinwheel-factor-vae", ModelKind::FactorVae),
        pinwheel("pinwheel-dd", ModelKind::Dd),
        dsprites("dsprites-mlp-bern-b64", ModelKind::Vae, Net::MlpBern),
        dsprites("dsprites-conv-small-b64", ModelKind::Vae, small),
        dsprites(
            "dsprites-conv-dlib-b64",
            ModelKind::Vae,
            Net::Conv(ConvSize::Dlib),
        ),
        dsprites(
            "dsprites-conv-small-beta-tcvae-b64",
            ModelKind::BetaTcvae,
            small,
        ),
        dsprites(
            "dsprites-mlp-bern-beta-tcvae-b64",
            ModelKind::BetaTcvae,
            Net::MlpBern,
        ),
        BenchConfig {
            name: "ivae-ivae",
            net: Net::Mlp,
            // The lesson's iVAE as it trains (the reference's main.py model, batch 64).
            config: TrainConfig {
                model: ModelKind::Ivae,
                ..TrainConfig::for_dataset(DatasetKind::Ivae)
            },
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_beta_tcvae_configuration_uses_the_peers_mss_estimator() {
        let tc: Vec<_> = configs()
            .into_iter()
            .filter(|c| c.config.model == ModelKind::BetaTcvae)
            .collect();
        assert_eq!(tc.len(), 3, "pinwheel, conv-small and MLP β-TCVAE");
        for c in tc {
            assert_eq!(c.config.estimator, Estimator::Mss, "{}", c.name);
        }
    }
}
