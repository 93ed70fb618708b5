//! `disentangle-lab train`: a headless training run that writes `run.json`.

use std::path::PathBuf;
use std::time::Instant;

use serde_json::json;

use super::CliResult;
use crate::data::subset::DspritesSubset;
use crate::objective::TermName;
use crate::train::{backend, BackendChoice, DatasetKind, ModelKind, TermCurves, TrainConfig, Trainer};

/// Flags of `train`; unset ones take [`TrainConfig::default`]'s values.
#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// Data set (pinwheel, ivae, dsprites).
    #[arg(long, value_parser = DatasetKind::parse)]
    pub dataset: Option<DatasetKind>,
    /// dSprites subset, e.g. `default`, `full` or `shapes:heart,scales:0-5,orients:10,stride:2`.
    #[arg(long)]
    pub subset: Option<DspritesSubset>,
    /// Model / objective (vae, beta-vae).
    #[arg(long, value_parser = ModelKind::parse)]
    pub model: Option<ModelKind>,
    /// Weight α of the decomposed objective.
    #[arg(long)]
    pub alpha: Option<f64>,
    /// Weight β (the KL weight of the β-VAE).
    #[arg(long)]
    pub beta: Option<f64>,
    /// Weight γ of the decomposed objective.
    #[arg(long)]
    pub gamma: Option<f64>,
    /// Adam learning rate.
    #[arg(long)]
    pub lr: Option<f64>,
    /// Minibatch size (the pinwheel's 400 points train full-batch by default).
    #[arg(long)]
    pub batch: Option<usize>,
    /// Latent dimension.
    #[arg(long)]
    pub latents: Option<usize>,
    /// Number of optimisation steps.
    #[arg(long)]
    pub steps: u64,
    /// Seed of data, initialisation and sampling.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Compute backend (flex, ndarray, wgpu).
    #[arg(long, value_parser = BackendChoice::parse, default_value = "flex")]
    pub backend: BackendChoice,
    /// Steps between two readbacks of the loss terms.
    #[arg(long, default_value_t = 50)]
    pub readback_every: u64,
    /// Where to write the run's JSON (settings, curves, timing).
    #[arg(long)]
    pub out: PathBuf,
}

impl TrainArgs {
    /// The run configuration: defaults from [`TrainConfig::default`], overridden by flags.
    pub fn config(&self) -> TrainConfig {
        let d = TrainConfig::default();
        let mut weights = d.weights;
        weights.alpha = self.alpha.unwrap_or(weights.alpha);
        weights.beta = self.beta.unwrap_or(weights.beta);
        weights.gamma = self.gamma.unwrap_or(weights.gamma);
        TrainConfig {
            dataset: self.dataset.unwrap_or(d.dataset),
            model: self.model.unwrap_or(d.model),
            weights,
            lr: self.lr.unwrap_or(d.lr),
            batch: self.batch.unwrap_or(d.batch),
            latents: self.latents.unwrap_or(d.latents),
            seed: self.seed.unwrap_or(d.seed),
            subset: self.subset.clone().unwrap_or(d.subset),
            hidden: d.hidden,
            conv: d.conv,
            ivae: d.ivae,
        }
    }
}

/// Runs `train`.
pub fn run_train(args: TrainArgs) -> CliResult {
    let config = args.config();
    config.validate()?;
    if args.readback_every == 0 {
        return Err("--readback-every must be at least 1".into());
    }
    let device = pollster::block_on(backend::device_for(args.backend))?;
    let mut trainer = Trainer::new(config.clone(), &device)?;
    let mut curves = TermCurves::default();
    let start = Instant::now();
    let mut error = None;
    while trainer.step_count() < args.steps {
        trainer.step();
        let done = trainer.step_count();
        if done % args.readback_every == 0 || done == args.steps {
            match pollster::block_on(trainer.snapshot(0)) {
                Ok(s) => curves.extend(&s.curves),
                Err(e) => {
                    error = Some(e.to_string());
                    break;
                }
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let column = |n: TermName| curves.get(n).map(<[f32]>::to_vec).unwrap_or_default();
    let report = json!({
        "settings": config,
        "backend": args.backend.key(),
        "steps": trainer.step_count(),
        "loss": column(TermName::Loss),
        "terms": {
            "recon": column(TermName::Recon),
            "kl": column(TermName::Kl),
            "elbo": column(TermName::Elbo),
        },
        "seconds": seconds,
        "steps_per_second": trainer.step_count() as f64 / seconds.max(1e-9),
        "error": error,
    });
    let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    std::fs::write(&args.out, text).map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    match error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}
