//! Training speed: steps/s of each configuration the PyTorch peer
//! (`shared/peers/pytorch/bench.py`) times, plus iVAE, on each requested backend. Names and
//! settings follow the peer's table so `scripts/perf-table.sh` can join the two outputs.

use std::time::Instant;

use crate::model::kinds::{ConvSize, ImageNet};
use crate::objective::kinds::Divergence;
use crate::objective::priors::Prior;
use crate::objective::Weights;
use crate::settings::{
    Activation, DecoderStd, EncoderHeads, EncoderStd, LrSchedule, OptimizerKind,
};
use crate::train::{backend, BackendChoice, DatasetKind, ModelKind, TrainConfig, Trainer};

/// The networks of a configuration, named as the peer names them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Net {
    /// MLP, Gaussian likelihood (2-D data).
    Mlp,
    /// MLP, Bernoulli likelihood (dSprites).
    MlpBern,
    /// Convolutions, Bernoulli likelihood (dSprites).
    Conv(ConvSize),
}

impl Net {
    /// The peer's key: `mlp`, `mlp-bern`, `conv-small`, `conv-dlib`.
    pub(super) fn key(self) -> &'static str {
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
pub(super) struct BenchConfig {
    /// The peer's name for it (`pinwheel-vae`, `dsprites-conv-small-b64`, …).
    pub name: &'static str,
    /// Networks.
    pub net: Net,
    /// The run's settings.
    pub config: TrainConfig,
}

/// A data set's defaults with the peer's model where the lessons' defaults differ from it: the
/// peer trains with Adam, an encoder that outputs log σ², one shared encoder network and a
/// fixed likelihood variance, so the pinwheel's DD-reference defaults (AMSGrad, softplus σ, a
/// learned likelihood std) would time another model than the peer's.
fn peer_base(dataset: DatasetKind) -> TrainConfig {
    TrainConfig {
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
pub(super) fn configs() -> Vec<BenchConfig> {
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

/// Steps/s of every configuration whose name contains `filter` on one backend; one line
/// (or one JSON object) per configuration.
pub(super) fn bench_train(choice: BackendChoice, seconds: f64, filter: &str, json: bool) {
    let device = match pollster::block_on(backend::device_for(choice)) {
        Ok(d) => d,
        Err(e) => {
            println!("train: {}: skipped ({e})", choice.label());
            return;
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    for c in configs().into_iter().filter(|c| c.name.contains(filter)) {
        let cfg = &c.config;
        match time_steps(cfg.clone(), &device, seconds) {
            Ok(rate) if json => println!(
                "{}",
                serde_json::json!({
                    "config": c.name,
                    "dataset": cfg.dataset.key(),
                    "model": cfg.model.key(),
                    "net": c.net.key(),
                    "batch": cfg.batch,
                    "latents": cfg.latents,
                    "backend": choice.key(),
                    "threads": threads,
                    "steps_per_second": (rate * 100.0).round() / 100.0,
                })
            ),
            Ok(rate) => println!(
                "train: {:<14} {:<36} batch {:>4} {:>8.1} steps/s",
                choice.label(),
                c.name,
                cfg.batch,
                rate
            ),
            Err(e) => println!("train: {} {}: failed: {e}", choice.label(), c.name),
        }
    }
}

/// Trains for about `seconds` after a 5-step warm-up and returns steps/s, reading the terms
/// back every 5 steps as the page and the peer do.
pub(super) fn time_steps(
    config: TrainConfig,
    device: &burn::prelude::Device,
    seconds: f64,
) -> Result<f64, String> {
    let mut t = Trainer::new(config, device)?;
    for _ in 0..5 {
        t.step();
    }
    pollster::block_on(t.snapshot(0)).map_err(|e| e.to_string())?;
    let start = Instant::now();
    let mut steps = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        for _ in 0..5 {
            t.step();
        }
        steps += 5;
        pollster::block_on(t.snapshot(0)).map_err(|e| e.to_string())?;
    }
    Ok(steps as f64 / start.elapsed().as_secs_f64())
}
