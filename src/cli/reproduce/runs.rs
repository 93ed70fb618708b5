//! Training the arms of the claims: one setting over several seeds. Every arm is trained once
//! per `reproduce`, so claims that share a setting (the β-VAE sweep of (a) is also (b)'s,
//! (c)'s and (e)'s baseline) share its runs.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Instant;

use crate::cli::train::train_steps;
use crate::objective::TermName;
use crate::settings::TrainConfig;
use crate::train::evaluate::{final_metrics, Codes, GroundTruth};
use crate::train::Trainer;

/// Steps between two readbacks of the loss terms (as `train`'s default).
const READBACK_EVERY: u64 = 50;
/// Training steps averaged for the reported loss terms (reconstruction, KL, TC estimates).
pub const TAIL: usize = 100;

/// One setting trained for every seed.
#[derive(Clone, Debug)]
pub struct Arm {
    /// Row label in the tables.
    pub name: String,
    /// The run's settings (the seed is set per run).
    pub config: TrainConfig,
    /// Optimisation steps.
    pub steps: u64,
}

/// What one run measured.
pub struct RunResult {
    /// `final_metrics`' values by key (dSprites: MIG…, iVAE: MCC…, pinwheel: D…).
    pub metrics: BTreeMap<String, f64>,
    /// Mean of each loss term over the last [`TAIL`] training steps.
    pub tails: BTreeMap<&'static str, f64>,
    /// Mean posterior std σ over points and latents.
    pub sigma: f64,
    /// Training seconds.
    pub seconds: f64,
    /// The codes of the periodic metrics with their ground truth, for plots.
    pub codes: Option<(Codes, GroundTruth)>,
}

/// An arm's runs, one per seed in seed order (`Err` for a run that failed).
pub struct ArmResults {
    /// The setting.
    pub arm: Arm,
    /// Run of seed `i` at index `i`.
    pub runs: Vec<Result<RunResult, String>>,
}

impl ArmResults {
    /// One number per seed (NaN for a failed run or a missing value).
    pub fn per_seed(&self, f: impl Fn(&RunResult) -> f64) -> Vec<f64> {
        self.runs
            .iter()
            .map(|r| r.as_ref().map_or(f64::NAN, &f))
            .collect()
    }

    /// A metric of `final_metrics` per seed.
    pub fn metric(&self, key: &str) -> Vec<f64> {
        self.per_seed(|r| r.metrics.get(key).copied().unwrap_or(f64::NAN))
    }

    /// A loss term's tail mean per seed.
    pub fn tail(&self, term: TermName) -> Vec<f64> {
        self.per_seed(|r| r.tails.get(term.key()).copied().unwrap_or(f64::NAN))
    }

    /// Why runs failed (empty when none did).
    pub fn failures(&self) -> Vec<String> {
        self.runs
            .iter()
            .enumerate()
            .filter_map(|(seed, r)| r.as_ref().err().map(|e| format!("seed {seed}: {e}")))
            .collect()
    }

    /// The codes and ground truth of seed `seed`'s run.
    pub fn codes(&self, seed: usize) -> Option<&(Codes, GroundTruth)> {
        self.runs.get(seed)?.as_ref().ok()?.codes.as_ref()
    }
}

/// Trains arms on one device, each (setting, steps, seeds) once.
pub struct Runs {
    device: burn::prelude::Device,
    done: Vec<(String, Rc<ArmResults>)>,
}

impl Runs {
    /// An empty store training on `device`.
    pub fn new(device: burn::prelude::Device) -> Self {
        Self {
            device,
            done: Vec::new(),
        }
    }

    /// The arm's runs for seeds 0..seeds, trained now unless an earlier claim trained the same
    /// setting for as long and as many seeds (its name may differ).
    pub fn get(&mut self, arm: Arm, seeds: u64) -> Rc<ArmResults> {
        let probe = TrainConfig {
            seed: 0,
            ..arm.config.clone()
        };
        let key = format!(
            "{}|{}|{seeds}",
            serde_json::to_string(&probe).unwrap_or_default(),
            arm.steps
        );
        if let Some((_, r)) = self.done.iter().find(|(k, _)| *k == key) {
            return Rc::new(ArmResults {
                arm,
                runs: r.runs.iter().map(share).collect(),
            });
        }
        let runs = (0..seeds)
            .map(|seed| {
                let r = run_one(&arm, seed, &self.device);
                match &r {
                    Ok(r) => println!(
                        "{} ({} steps) seed {seed}: {:.1} s, {:?}",
                        arm.name, arm.steps, r.seconds, r.metrics
                    ),
                    Err(e) => println!("{} seed {seed}: failed: {e}", arm.name),
                }
                r
            })
            .collect();
        let results = Rc::new(ArmResults { arm, runs });
        self.done.push((key, results.clone()));
        results
    }
}

/// A copy of a run's result (the codes included) for an arm that reuses it.
fn share(r: &Result<RunResult, String>) -> Result<RunResult, String> {
    r.as_ref()
        .map(|r| RunResult {
            metrics: r.metrics.clone(),
            tails: r.tails.clone(),
            sigma: r.sigma,
            seconds: r.seconds,
            codes: r.codes.clone(),
        })
        .map_err(Clone::clone)
}

/// One training run and its final metrics on the whole data set.
fn run_one(arm: &Arm, seed: u64, device: &burn::prelude::Device) -> Result<RunResult, String> {
    let config = TrainConfig {
        seed,
        ..arm.config.clone()
    };
    let mut trainer = Trainer::new(config, device)?;
    let start = Instant::now();
    let (curves, error) = train_steps(&mut trainer, arm.steps, READBACK_EVERY);
    let seconds = start.elapsed().as_secs_f64();
    if let Some(e) = error {
        return Err(e);
    }
    let measured = pollster::block_on(final_metrics(&trainer))?;
    let metrics = measured
        .reports
        .iter()
        .flat_map(|r| &r.values)
        .map(|v| (v.key.clone(), v.value))
        .collect();
    let tails = curves
        .names
        .iter()
        .filter_map(|&n| {
            let v = curves.get(n)?;
            let tail = &v[v.len().saturating_sub(TAIL)..];
            let mean = tail.iter().map(|&x| f64::from(x)).sum::<f64>() / tail.len().max(1) as f64;
            Some((n.key(), mean))
        })
        .collect();
    let (codes, truth) = (measured.codes, measured.truth);
    let sigma = codes
        .logvars
        .iter()
        .map(|&lv| (0.5 * f64::from(lv)).exp())
        .sum::<f64>()
        / codes.logvars.len().max(1) as f64;
    Ok(RunResult {
        metrics,
        tails,
        sigma,
        seconds,
        codes: Some((codes, truth)),
    })
}
