//! `disentangle-lab train`: a headless training run that writes `run.json`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::json;

use super::CliResult;
use crate::data::subset::DspritesSubset;
use crate::io::npy::{to_npy_bytes, NpyValues};
use crate::model::kinds::ImageNet;
use crate::objective::kinds::Divergence;
use crate::objective::kinds::Estimator;
use crate::objective::TermName;
use crate::train::config::prior_by_name;
use crate::train::evaluate::{final_metrics, Codes, GroundTruth};
use crate::train::{
    backend, model_file, BackendChoice, DatasetKind, ModelKind, TermCurves, TrainConfig, Trainer,
};

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
    /// Hidden widths of the MLPs, e.g. `256,256`.
    #[arg(long, value_delimiter = ',')]
    pub hidden: Option<Vec<usize>>,
    /// dSprites network (conv, mlp); both use a Bernoulli likelihood.
    #[arg(long, value_parser = ImageNet::parse)]
    pub net: Option<ImageNet>,
    /// Prior of the DD objective (normal, anisotropic, student-t, mixture).
    #[arg(long, value_parser = ["normal", "anisotropic", "student-t", "mixture"])]
    pub prior: Option<String>,
    /// β-TCVAE minibatch estimator (mws, mss).
    #[arg(long, value_parser = parse_estimator)]
    pub estimator: Option<Estimator>,
    /// DD divergence D(q(z), p(z)) (kl, mmd).
    #[arg(long, value_parser = parse_divergence)]
    pub divergence: Option<Divergence>,
    /// Write encoder means, log-variances, one sample per point and the ground truth of the
    /// whole data set (or subset) as .npy files into this folder.
    #[arg(long)]
    pub export_codes: Option<PathBuf>,
    /// Number of optimisation steps (taken after the loaded model's, with --load-model).
    #[arg(long)]
    pub steps: u64,
    /// Save the trained model with its settings as a model file (.dlab), which the page and
    /// --load-model read.
    #[arg(long)]
    pub save_model: Option<PathBuf>,
    /// Start from a saved model file: its settings are used (only --alpha, --beta, --gamma
    /// and --lr may change them) and training goes on from its step.
    #[arg(long)]
    pub load_model: Option<PathBuf>,
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
    pub fn config(&self) -> Result<TrainConfig, String> {
        let d = TrainConfig::default();
        let mut weights = d.weights;
        weights.alpha = self.alpha.unwrap_or(weights.alpha);
        weights.beta = self.beta.unwrap_or(weights.beta);
        weights.gamma = self.gamma.unwrap_or(weights.gamma);
        let latents = self.latents.unwrap_or(d.latents);
        let prior = match &self.prior {
            Some(name) => prior_by_name(name, latents)?,
            None => d.prior,
        };
        Ok(TrainConfig {
            dataset: self.dataset.unwrap_or(d.dataset),
            model: self.model.unwrap_or(d.model),
            weights,
            lr: self.lr.unwrap_or(d.lr),
            batch: self.batch.unwrap_or(d.batch),
            latents,
            seed: self.seed.unwrap_or(d.seed),
            subset: self.subset.clone().unwrap_or(d.subset),
            hidden: self.hidden.clone().unwrap_or(d.hidden),
            conv: d.conv,
            image_net: self.net.unwrap_or(d.image_net),
            ivae: d.ivae,
            prior,
            estimator: self.estimator.unwrap_or(d.estimator),
            divergence: self.divergence.unwrap_or(d.divergence),
        })
    }
}

/// Builds the trainer: fresh from the flags, or from `--load-model` with the flags that may
/// change a saved model's settings (weights, learning rate) applied.
fn build_trainer(args: &TrainArgs, device: &burn::prelude::Device) -> Result<Trainer, String> {
    let Some(path) = &args.load_model else {
        let config = args.config()?;
        config.validate()?;
        return Trainer::new(config, device);
    };
    let fixed = [
        ("--dataset", args.dataset.is_some()),
        ("--subset", args.subset.is_some()),
        ("--model", args.model.is_some()),
        ("--batch", args.batch.is_some()),
        ("--latents", args.latents.is_some()),
        ("--prior", args.prior.is_some()),
        ("--estimator", args.estimator.is_some()),
        ("--divergence", args.divergence.is_some()),
        ("--seed", args.seed.is_some()),
    ];
    let given: Vec<&str> = fixed.iter().filter(|f| f.1).map(|f| f.0).collect();
    if !given.is_empty() {
        return Err(format!(
            "--load-model takes the model's settings from the file; drop {}",
            given.join(", ")
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut trainer =
        model_file::load(&bytes, device).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut weights = trainer.config().weights;
    weights.alpha = args.alpha.unwrap_or(weights.alpha);
    weights.beta = args.beta.unwrap_or(weights.beta);
    weights.gamma = args.gamma.unwrap_or(weights.gamma);
    trainer.set_weights(weights)?;
    if let Some(lr) = args.lr {
        trainer.set_lr(lr)?;
    }
    Ok(trainer)
}

/// Runs `train`.
pub fn run_train(args: TrainArgs) -> CliResult {
    if args.readback_every == 0 {
        return Err("--readback-every must be at least 1".into());
    }
    let device = pollster::block_on(backend::device_for(args.backend))?;
    let mut trainer = build_trainer(&args, &device)?;
    let config = trainer.config().clone();
    let first = trainer.step_count();
    let start = Instant::now();
    let (curves, error) = train_steps(&mut trainer, args.steps, args.readback_every);
    let seconds = start.elapsed().as_secs_f64();
    let taken = trainer.step_count() - first;
    let terms: serde_json::Map<String, serde_json::Value> = trainer
        .term_names()
        .iter()
        .map(|&n| {
            (
                n.key().to_string(),
                json!(curves.get(n).unwrap_or_default()),
            )
        })
        .collect();
    let metrics = if error.is_none() {
        let (codes, truth) = pollster::block_on(trainer.encode_all()).map_err(|e| e.to_string())?;
        if let Some(dir) = &args.export_codes {
            export_codes(dir, &codes, &truth)?;
        }
        final_metrics(&trainer, &codes, &truth)?
    } else {
        serde_json::Value::Null
    };
    let report = json!({
        "settings": config,
        "backend": args.backend.key(),
        "steps": trainer.step_count(),
        "start_step": first,
        "loss": curves.get(TermName::Loss).unwrap_or_default(),
        "terms": terms,
        "metrics": metrics,
        "seconds": seconds,
        "steps_per_second": taken as f64 / seconds.max(1e-9),
        "error": error,
    });
    let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    std::fs::write(&args.out, text)
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    if let (Some(path), None) = (&args.save_model, &error) {
        let bytes = pollster::block_on(model_file::save(&trainer))?;
        std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    match error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Trains until `steps` steps are done, reading the loss terms back every `readback_every`
/// steps (and after the last one). Returns the curves and, if training stopped early (a
/// non-finite loss, a failed readback), why.
pub fn train_steps(
    trainer: &mut Trainer,
    steps: u64,
    readback_every: u64,
) -> (TermCurves, Option<String>) {
    let mut curves = TermCurves::default();
    let first = trainer.step_count();
    let last = first + steps;
    while trainer.step_count() < last {
        trainer.step();
        let done = trainer.step_count();
        if (done - first).is_multiple_of(readback_every.max(1)) || done == last {
            match pollster::block_on(trainer.snapshot(0)) {
                Ok(s) => curves.extend(&s.curves),
                Err(e) => return (curves, Some(e.to_string())),
            }
        }
    }
    (curves, None)
}

fn parse_estimator(s: &str) -> Result<Estimator, String> {
    match s {
        "mws" => Ok(Estimator::Mws),
        "mss" => Ok(Estimator::Mss),
        _ => Err(format!("unknown estimator '{s}' (valid: mws, mss)")),
    }
}

fn parse_divergence(s: &str) -> Result<Divergence, String> {
    match s {
        "kl" => Ok(Divergence::KlPQ),
        "mmd" => Ok(Divergence::Mmd),
        _ => Err(format!("unknown divergence '{s}' (valid: kl, mmd)")),
    }
}

/// Writes `means.npy`, `logvars.npy`, `samples.npy` (N × K, f32) and the ground truth:
/// `factors.npy` (dSprites classes N × 5 or pinwheel arm N, int64; iVAE sources N × d, f32)
/// plus `segments.npy` for iVAE.
fn export_codes(dir: &Path, codes: &Codes, truth: &GroundTruth) -> CliResult {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let write = |name: &str, shape: &[usize], values: NpyValues| -> CliResult {
        let path = dir.join(name);
        let bytes = to_npy_bytes(shape, values)?;
        std::fs::write(&path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    let (n, k) = (codes.len(), codes.latents);
    write("means.npy", &[n, k], NpyValues::F32(&codes.means))?;
    write("logvars.npy", &[n, k], NpyValues::F32(&codes.logvars))?;
    write("samples.npy", &[n, k], NpyValues::F32(&codes.samples))?;
    match truth {
        GroundTruth::Classes(c) => {
            let v: Vec<i64> = c.iter().map(|&x| x as i64).collect();
            write("factors.npy", &[n], NpyValues::I64(&v))
        }
        GroundTruth::Factors(f) => {
            let v: Vec<i64> = f.iter().flat_map(|r| r.map(|x| x as i64)).collect();
            write("factors.npy", &[n, 5], NpyValues::I64(&v))
        }
        GroundTruth::Sources { s, dim, segment } => {
            write("factors.npy", &[n, *dim], NpyValues::F32(s))?;
            let v: Vec<i64> = segment.iter().map(|&x| x as i64).collect();
            write("segments.npy", &[n], NpyValues::I64(&v))
        }
    }
}
