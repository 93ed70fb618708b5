//! `disentangle-lab train`: a headless training run that writes `run.json`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::json;

use super::CliResult;
use crate::io::npy::{to_npy_bytes, NpyValues};
use crate::objective::TermName;
use crate::settings::cli::SettingsArgs;
use crate::settings::schema::{self, Effect};
use crate::train::evaluate::{final_metrics, Codes, GroundTruth};
use crate::train::{backend, model_file, BackendChoice, TermCurves, Trainer};

/// Flags of `train`: every run setting of the schema (`--dataset`, `--model`, `--beta`, …;
/// unset ones take the data set's defaults) and what to do with the run.
#[derive(clap::Args, Debug)]
pub struct TrainArgs {
    /// The run's settings.
    #[command(flatten)]
    pub settings: SettingsArgs,
    /// Write the encoder means, log-variances, one sample per point and the ground truth of
    /// exactly the points the final metrics were computed on, as .npy files into this folder.
    #[arg(long)]
    pub export_codes: Option<PathBuf>,
    /// Number of optimisation steps (taken after the loaded model's, with --load-model).
    #[arg(long)]
    pub steps: u64,
    /// Save the trained model with its settings as a model file (.dlab), which the page and
    /// --load-model read.
    #[arg(long)]
    pub save_model: Option<PathBuf>,
    /// Start from a saved model file: its settings are used (only the settings that act on
    /// the next step, such as --alpha, --beta, --gamma, --lr, and --backend may change them)
    /// and training goes on from its step.
    #[arg(long)]
    pub load_model: Option<PathBuf>,
    /// Steps between two readbacks of the loss terms.
    #[arg(long, default_value_t = 50)]
    pub readback_every: u64,
    /// Where to write the run's JSON (settings, curves, metrics, timing).
    #[arg(long)]
    pub out: PathBuf,
}

/// The backend a run uses natively: the one asked for, Flex for "auto".
pub fn native_backend(config: &crate::settings::TrainConfig) -> BackendChoice {
    config.backend.fixed().unwrap_or(BackendChoice::Flex)
}

/// Builds the trainer: fresh from the flags, or from `--load-model` with the flags that may
/// change a saved model's settings (those that act on the next step, and the backend).
fn build_trainer(args: &TrainArgs) -> Result<Trainer, String> {
    let Some(path) = &args.load_model else {
        let config = args.settings.config()?;
        let device = pollster::block_on(backend::device_for(native_backend(&config)))?;
        return Trainer::new(config, &device);
    };
    let fixed: Vec<String> = args
        .settings
        .given
        .iter()
        .filter(|(k, _)| {
            schema::field(k)
                .is_some_and(|f| !matches!(f.effect, Effect::NextStep | Effect::Backend))
        })
        .map(|(k, _)| format!("--{k}"))
        .collect();
    if !fixed.is_empty() {
        return Err(format!(
            "--load-model takes the model's settings from the file; drop {}",
            fixed.join(", ")
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let parts = model_file::decode(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut config = parts.header.config;
    args.settings.apply_to(&mut config)?;
    let device = pollster::block_on(backend::device_for(native_backend(&config)))?;
    let mut trainer =
        model_file::load(&bytes, &device).map_err(|e| format!("{}: {e}", path.display()))?;
    trainer.set_live(&config)?;
    Ok(trainer)
}

/// Runs `train`.
pub fn run_train(args: TrainArgs) -> CliResult {
    if args.readback_every == 0 {
        return Err("--readback-every must be at least 1".into());
    }
    let mut trainer = build_trainer(&args)?;
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
        let m = pollster::block_on(final_metrics(&trainer))?;
        if let Some(dir) = &args.export_codes {
            export_codes(dir, &m.codes, &m.truth)?;
        }
        json!(m.reports)
    } else {
        serde_json::Value::Null
    };
    let report = json!({
        "settings": config,
        "backend_used": native_backend(&config).key(),
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
        // The plateau schedule reads each epoch's losses before the next step.
        let due = (done - first).is_multiple_of(readback_every.max(1)) || done == last;
        if due || trainer.schedule_wants_snapshot() {
            match pollster::block_on(trainer.snapshot(0)) {
                Ok(s) => curves.extend(&s.curves),
                Err(e) => return (curves, Some(e.to_string())),
            }
        }
    }
    (curves, None)
}

/// Writes `means.npy`, `logvars.npy`, `samples.npy` (N × K, f32) and the ground truth of the
/// same points: `factors.npy` (dSprites classes N × 5 or pinwheel arm N, int64; iVAE sources
/// N × d, f32) plus `segments.npy` for iVAE. These are the periodic metrics' points (dSprites:
/// the 10,000 drawn for MIG), so `metrics mig` on them gives `run.json`'s MIG.
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
