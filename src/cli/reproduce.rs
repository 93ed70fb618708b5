//! `disentangle-lab reproduce`: the claims of lessons (b), (d) and (f), trained natively over
//! several seeds with the same trainer and metrics as `train`, written up as a Markdown page
//! (mean ± std over seeds) with PNG plots.
//!
//! - (b) β-TCVAE vs β-VAE at the same β on a dSprites subset: MIG (dlib protocol) and
//!   reconstruction. Claim: β-TCVAE's MIG is above β-VAE's at every β ≥ 4 tried.
//! - (d) Disentangling Disentanglement on the pinwheel with the 4-component mixture prior:
//!   (β = 1, α = 0) vs (β = 0, α = 1). Claim: the α run's D(q(z), p(z)) is the lower.
//! - (f) iVAE vs VAE on the 2-D iVAE sources. Claim: iVAE MCC ≥ 0.9 and ≥ the VAE's + 0.2.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::Value;

use super::plot::{self, mean_std, RefLine, SeedSeries};
use super::train::train_steps;
use super::CliResult;
use crate::data::ivae;
use crate::data::subset::DspritesSubset;
use crate::metrics::{self, CorrMethod, Matrix};
use crate::model::kinds::ImageNet;
use crate::objective::kinds::Estimator;
use crate::objective::priors::Prior;
use crate::objective::{TermName, Weights};
use crate::train::evaluate::{final_metrics, Codes, GroundTruth};
use crate::train::{backend, BackendChoice, DatasetKind, ModelKind, TrainConfig, Trainer};

/// Steps between two readbacks of the loss terms (as `train`'s default).
const READBACK_EVERY: u64 = 50;
/// Training steps averaged for the reported reconstruction term.
const RECON_TAIL: usize = 100;

/// Flags of `reproduce`.
#[derive(clap::Args, Debug)]
pub struct ReproduceArgs {
    /// Fewer steps and smaller data: a smoke run of a minute or two, not evidence.
    #[arg(long)]
    pub quick: bool,
    /// Folder for `results.md`; the plots go into its `results/` subfolder.
    #[arg(long, default_value = "docs")]
    pub out: PathBuf,
    /// Seeds per setting (seeds 0, 1, …, N − 1).
    #[arg(long, default_value_t = 3)]
    pub seeds: u64,
    /// Which claims to run (comma-separated: b, d, f).
    #[arg(long, value_delimiter = ',', default_value = "b,d,f", value_parser = Claim::parse)]
    pub only: Vec<Claim>,
    /// Compute backend (flex, ndarray, wgpu).
    #[arg(long, value_parser = BackendChoice::parse, default_value = "flex")]
    pub backend: BackendChoice,
}

/// A claim of the lessons that `reproduce` checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Claim {
    /// (b) β-TCVAE vs β-VAE: MIG.
    B,
    /// (d) Disentangling Disentanglement: D(q(z), p(z)).
    D,
    /// (f) iVAE vs VAE: MCC.
    F,
}

impl Claim {
    /// Short name on the command line and of the plot file.
    pub fn key(self) -> &'static str {
        match self {
            Claim::B => "b",
            Claim::D => "d",
            Claim::F => "f",
        }
    }

    /// Parses [`Self::key`]; the error names the valid choices.
    pub fn parse(s: &str) -> Result<Self, String> {
        [Claim::B, Claim::D, Claim::F]
            .into_iter()
            .find(|c| c.key() == s)
            .ok_or_else(|| format!("unknown claim '{s}' (valid: b, d, f)"))
    }
}

/// One setting trained for every seed.
#[derive(Clone, Debug)]
struct Arm {
    /// Row label in the tables.
    name: String,
    /// The run's settings (the seed is set per run).
    config: TrainConfig,
    /// Optimisation steps.
    steps: u64,
}

/// What one run of one arm measured.
struct RunResult {
    /// `final_metrics`' JSON (dSprites: MIG…, iVAE: MCC…, pinwheel: D…).
    metrics: Value,
    /// Mean reconstruction term −log p(x|z) (nats per point) over the last training steps.
    recon: f64,
    /// Mean posterior std σ over points and latents.
    sigma: f64,
    /// Training seconds.
    seconds: f64,
    /// Codes of the whole set, kept for seed 0's plots.
    codes: Option<(Codes, GroundTruth)>,
}

/// An arm's runs, one per seed (`Err` for a run that failed).
struct ArmResults {
    arm: Arm,
    runs: Vec<Result<RunResult, String>>,
}

impl ArmResults {
    /// One number of every successful run (NaN where the metric is missing).
    fn values(&self, f: impl Fn(&RunResult) -> f64) -> Vec<f64> {
        self.runs.iter().flatten().map(f).collect()
    }

    /// A metric of `final_metrics` over the successful runs.
    fn metric(&self, key: &str) -> Vec<f64> {
        self.values(|r| r.metrics[key].as_f64().unwrap_or(f64::NAN))
    }

    fn failures(&self) -> Vec<String> {
        self.runs
            .iter()
            .filter_map(|r| r.as_ref().err().cloned())
            .collect()
    }

    fn seed0_codes(&self) -> Option<&(Codes, GroundTruth)> {
        self.runs.first()?.as_ref().ok()?.codes.as_ref()
    }
}

/// A claim's Markdown section and its one-line summary row.
struct Section {
    markdown: String,
    summary: String,
}

/// Runs `reproduce`.
pub fn run_reproduce(args: ReproduceArgs) -> CliResult {
    if args.seeds == 0 {
        return Err("--seeds must be at least 1".into());
    }
    if cfg!(debug_assertions) {
        println!("warning: debug build; `cargo run --release -- reproduce` is far faster");
    }
    let plots = args.out.join("results");
    std::fs::create_dir_all(&plots)
        .map_err(|e| format!("cannot create {}: {e}", plots.display()))?;
    let device = pollster::block_on(backend::device_for(args.backend))?;
    let start = Instant::now();
    let mut sections: Vec<(Claim, Section)> = Vec::new();
    let mut claims = args.only.clone();
    claims.sort_by_key(|c| c.key());
    claims.dedup();
    // The quick claims first; the page is rewritten after each one, so an interrupted run
    // still leaves the finished claims on it.
    claims.sort_by_key(|c| match c {
        Claim::D => 0,
        Claim::F => 1,
        Claim::B => 2,
    });
    let total = claims.len();
    let md = args.out.join("results.md");
    for claim in claims {
        let arms = match claim {
            Claim::B => arms_b(args.quick),
            Claim::D => arms_d(args.quick),
            Claim::F => arms_f(args.quick),
        };
        let results: Vec<ArmResults> = arms
            .into_iter()
            .map(|arm| run_arm(arm, args.seeds, &device))
            .collect();
        let png = plots.join(format!("{}.png", claim.key()));
        let section = match claim {
            Claim::B => section_b(&results, &png)?,
            Claim::D => section_d(&results, &png)?,
            Claim::F => section_f(&results, &png, args.seeds)?,
        };
        sections.push((claim, section));
        sections.sort_by_key(|(c, _)| c.key());
        let done: Vec<&Section> = sections.iter().map(|(_, s)| s).collect();
        let complete = done.len() == total;
        let text = page(&args, &done, start.elapsed().as_secs_f64(), complete);
        std::fs::write(&md, text).map_err(|e| format!("cannot write {}: {e}", md.display()))?;
    }
    println!(
        "wrote {} and its plots in {}",
        md.display(),
        plots.display()
    );
    Ok(())
}

/// (b): β-VAE and β-TCVAE (MSS) at each β on a dSprites subset, MLP 256-256, 6 latents.
fn arms_b(quick: bool) -> Vec<Arm> {
    let (spec, steps, betas) = if quick {
        ("scales:0-5,orients:10,stride:8", 300, vec![4.0])
    } else {
        ("scales:0-5,orients:10,stride:4", 1000, vec![4.0, 8.0])
    };
    let subset: DspritesSubset = spec.parse().unwrap_or_else(|_| DspritesSubset::default());
    let base = TrainConfig {
        dataset: DatasetKind::Dsprites,
        subset,
        image_net: ImageNet::Mlp,
        hidden: vec![256, 256],
        latents: 6,
        batch: 64,
        lr: 1e-3,
        estimator: Estimator::Mss,
        ..TrainConfig::default()
    };
    let mut arms = Vec::new();
    for beta in betas {
        for model in [ModelKind::BetaVae, ModelKind::BetaTcvae] {
            arms.push(Arm {
                name: format!("{} β = {beta}", model.label()),
                config: TrainConfig {
                    model,
                    weights: Weights {
                        alpha: 1.0,
                        beta,
                        gamma: 1.0,
                    },
                    ..base.clone()
                },
                steps,
            });
        }
    }
    arms
}

/// (d): DD with the mixture prior, (β = 1, α = 0) vs (β = 0, α = 1), full batch.
fn arms_d(quick: bool) -> Vec<Arm> {
    let lengths: &[u64] = if quick { &[300] } else { &[500, 1500] };
    let base = TrainConfig {
        dataset: DatasetKind::Pinwheel,
        model: ModelKind::Dd,
        prior: Prior::pinwheel(),
        latents: 2,
        batch: 400,
        lr: 1e-3,
        hidden: vec![100],
        ..TrainConfig::default()
    };
    let mut arms = Vec::new();
    for &steps in lengths {
        for (beta, alpha) in [(1.0, 0.0), (0.0, 1.0)] {
            arms.push(Arm {
                name: format!("β = {beta}, α = {alpha}"),
                config: TrainConfig {
                    weights: Weights {
                        alpha,
                        beta,
                        gamma: 1.0,
                    },
                    ..base.clone()
                },
                steps,
            });
        }
    }
    arms
}

/// (f): iVAE and a plain VAE on the 2-D iVAE sources (40 segments × 250 points).
fn arms_f(quick: bool) -> Vec<Arm> {
    let steps = if quick { 1000 } else { 6000 };
    [ModelKind::Ivae, ModelKind::Vae]
        .into_iter()
        .map(|model| Arm {
            name: model.label().to_string(),
            config: TrainConfig {
                dataset: DatasetKind::Ivae,
                model,
                latents: 2,
                batch: 256,
                lr: 1e-3,
                ..TrainConfig::default()
            },
            steps,
        })
        .collect()
}

/// Trains `arm` for seeds 0..seeds, printing one line per run.
fn run_arm(arm: Arm, seeds: u64, device: &burn::prelude::Device) -> ArmResults {
    let runs = (0..seeds)
        .map(|seed| {
            let r = run_one(&arm, seed, device);
            match &r {
                Ok(r) => println!(
                    "{} ({} steps) seed {seed}: {:.1} s, {}",
                    arm.name, arm.steps, r.seconds, r.metrics
                ),
                Err(e) => println!("{} seed {seed}: failed: {e}", arm.name),
            }
            r
        })
        .collect();
    ArmResults { arm, runs }
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
    let metrics: serde_json::Map<String, Value> = measured
        .reports
        .iter()
        .flat_map(|r| &r.values)
        .map(|v| (v.key.clone(), Value::from(v.value)))
        .collect();
    let metrics = Value::Object(metrics);
    let (codes, truth) = (measured.codes, measured.truth);
    let recon = curves.get(TermName::Recon).unwrap_or_default();
    let tail = &recon[recon.len().saturating_sub(RECON_TAIL)..];
    let recon = tail.iter().map(|&v| v as f64).sum::<f64>() / tail.len().max(1) as f64;
    let sigma = codes
        .logvars
        .iter()
        .map(|&lv| (0.5 * lv as f64).exp())
        .sum::<f64>()
        / codes.logvars.len().max(1) as f64;
    Ok(RunResult {
        metrics,
        recon,
        sigma,
        seconds,
        codes: (seed == 0).then_some((codes, truth)),
    })
}

/// `mean ± std` with three decimals (`–` when no run succeeded).
fn pm(v: &[f64]) -> String {
    let (m, s) = mean_std(v);
    if m.is_finite() {
        format!("{m:.3} ± {s:.3}")
    } else {
        "–".into()
    }
}

fn mean(v: &[f64]) -> f64 {
    mean_std(v).0
}

fn verdict(holds: bool) -> &'static str {
    if holds {
        "**holds**"
    } else {
        "**does not hold**"
    }
}

/// Failed runs, listed under a section (empty when none failed).
fn failures(results: &[ArmResults]) -> String {
    let mut s = String::new();
    for r in results {
        for e in r.failures() {
            let _ = writeln!(s, "- {} ({} steps) failed: {e}", r.arm.name, r.arm.steps);
        }
    }
    if !s.is_empty() {
        s.insert_str(0, "\nFailed runs (left out of the means):\n\n");
    }
    s
}

fn section_b(results: &[ArmResults], png: &Path) -> Result<Section, String> {
    let first = &results[0].arm;
    let mut md = String::new();
    let _ = writeln!(md, "## (b) β-TCVAE vs β-VAE at the same β (dSprites)\n");
    let _ = writeln!(
        md,
        "Settings: dSprites subset `{}` ({} images), MLP encoder/decoder {:?} with a Bernoulli \
         likelihood, {} latents, batch {}, Adam lr {}, {} steps; β-TCVAE with α = γ = 1 and the \
         MSS estimator. MIG by the disentanglement_lib protocol (encoder means, 10,000 points, \
         20 bins, all 5 factors); FactorVAE score by the dlib protocol; reconstruction is \
         −log p(x|z) in nats per image, averaged over the last {RECON_TAIL} training steps.\n",
        first.config.subset,
        first.config.subset.len(),
        first.config.hidden,
        first.config.latents,
        first.config.batch,
        first.config.lr,
        first.steps
    );
    md.push_str("| β | model | MIG (dlib) | FactorVAE score | reconstruction (nats) | active units | s / run |\n");
    md.push_str("|---:|---|---:|---:|---:|---:|---:|\n");
    for r in results {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {:.0} |",
            r.arm.config.weights.beta,
            r.arm.config.model.label(),
            pm(&r.metric("mig_dlib")),
            pm(&r.metric("factor_vae_score")),
            pm(&r.values(|x| x.recon)),
            pm(&r.metric("active_units")),
            mean(&r.values(|x| x.seconds)),
        );
    }
    let mut holds = true;
    let mut parts = Vec::new();
    let mut series = vec![
        SeedSeries {
            label: "β-VAE".into(),
            points: vec![],
        },
        SeedSeries {
            label: "β-TCVAE".into(),
            points: vec![],
        },
    ];
    let mut recon_series = vec![
        SeedSeries {
            label: "β-VAE".into(),
            points: vec![],
        },
        SeedSeries {
            label: "β-TCVAE".into(),
            points: vec![],
        },
    ];
    for pair in results.chunks(2) {
        let [vae, tc] = pair else { continue };
        let beta = vae.arm.config.weights.beta;
        let (mv, sv) = mean_std(&vae.metric("mig_dlib"));
        let (mt, st) = mean_std(&tc.metric("mig_dlib"));
        let above = mt > mv;
        holds &= above;
        parts.push(format!(
            "β = {beta}: β-TCVAE {mt:.3} vs β-VAE {mv:.3} ({}{})",
            if above { "above" } else { "not above" },
            if above && mt - mv > sv.max(st) {
                ", by more than either std"
            } else if above {
                ", but within one std"
            } else {
                ""
            }
        ));
        series[0].points.push((beta, vae.metric("mig_dlib")));
        series[1].points.push((beta, tc.metric("mig_dlib")));
        recon_series[0].points.push((beta, vae.values(|x| x.recon)));
        recon_series[1].points.push((beta, tc.values(|x| x.recon)));
    }
    plot::write_png(png, (1200, 480), |root| {
        let panels = root.split_evenly((1, 2));
        plot::seeds_chart(
            &panels[0],
            "(b) MIG (dlib protocol) vs β",
            ("β", "MIG"),
            None,
            &series,
            None,
        )?;
        plot::seeds_chart(
            &panels[1],
            "(b) reconstruction −log p(x|z) vs β",
            ("β", "nats per image"),
            None,
            &recon_series,
            None,
        )
    })?;
    let _ = writeln!(
        md,
        "\n![MIG and reconstruction vs β](results/{})\n",
        file_name(png)
    );
    let _ = writeln!(
        md,
        "Claim: β-TCVAE's MIG above β-VAE's at each β ≥ 4 (means over seeds): {}. {}.\n",
        verdict(holds),
        parts.join("; ")
    );
    md.push_str(
        "Differences from Chen et al. (2018): their dSprites runs use the full 737,280 images, \
         10 latents, 1200-unit MLPs (or convolutions) and large batches for many epochs; here a \
         small subset, a smaller MLP and a few epochs, so absolute MIGs are far below the \
         paper's and only the ordering at equal β is compared. MIG varies widely between seeds \
         (Locatello et al. 2019): read the std next to every mean.\n",
    );
    md.push_str(&failures(results));
    Ok(Section {
        markdown: md,
        summary: format!(
            "| (b) | β-TCVAE MIG > β-VAE MIG at each β ≥ 4 | {} | {} |",
            parts.join("; "),
            verdict(holds)
        ),
    })
}

fn section_d(results: &[ArmResults], png: &Path) -> Result<Section, String> {
    let mut md = String::new();
    let first = &results[0].arm.config;
    let _ = writeln!(
        md,
        "## (d) Disentangling Disentanglement on the pinwheel (mixture prior)\n"
    );
    let _ = writeln!(
        md,
        "Settings: the pinwheel (400 points), MLP encoder/decoder {:?}, {} latents, Gaussian \
         likelihood with fixed variance {}, the 4-component mixture prior (means (0, ±1), (±1, 0), \
         std √0.03), D = KL(p ‖ q(z)) with {} prior samples per step, full batch, Adam lr {}. \
         D(q(z), p(z)) below is measured after training over the whole set with 4,000 prior \
         samples; σ is the mean posterior standard deviation.\n",
        first.hidden,
        first.latents,
        DatasetKind::Pinwheel.obs_var().unwrap_or(f64::NAN),
        first.batch,
        first.lr
    );
    md.push_str(
        "| steps | objective | D(q(z), p(z)) | reconstruction (nats) | σ of q(z\\|x) | s / run |\n",
    );
    md.push_str("|---:|---|---:|---:|---:|---:|\n");
    for r in results {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {:.1} |",
            r.arm.steps,
            r.arm.name,
            pm(&r.metric("divergence_kl_p_q")),
            pm(&r.values(|x| x.recon)),
            pm(&r.values(|x| x.sigma)),
            mean(&r.values(|x| x.seconds)),
        );
    }
    let mut parts = Vec::new();
    let mut holds_first = None;
    let mut series = Vec::new();
    let mut names = Vec::new();
    for pair in results.chunks(2) {
        let [a, b] = pair else { continue };
        let (da, db) = (
            mean(&a.metric("divergence_kl_p_q")),
            mean(&b.metric("divergence_kl_p_q")),
        );
        let below = db < da;
        holds_first.get_or_insert(below);
        parts.push(format!(
            "{} steps: α run {db:.3} vs β run {da:.3} ({})",
            a.arm.steps,
            if below { "below" } else { "not below" }
        ));
        let x = names.len() as f64;
        names.push(format!("{} steps", a.arm.steps));
        for (i, r) in [a, b].into_iter().enumerate() {
            if series.len() <= i {
                series.push(SeedSeries {
                    label: r.arm.name.clone(),
                    points: vec![],
                });
            }
            series[i].points.push((x, r.metric("divergence_kl_p_q")));
        }
    }
    let holds = holds_first.unwrap_or(false);
    let circles: Vec<(f64, f64, f64)> = match &first.prior {
        Prior::Mixture { means, std } => means
            .iter()
            .flat_map(|m| [(m[0], m[1], *std), (m[0], m[1], 2.0 * std)])
            .collect(),
        _ => vec![],
    };
    plot::write_png(png, (1500, 500), |root| {
        let panels = root.split_evenly((1, 3));
        for (i, r) in results.iter().take(2).enumerate() {
            let points = match r.seed0_codes() {
                Some((codes, GroundTruth::Classes(c))) => codes
                    .samples
                    .chunks(codes.latents)
                    .zip(c)
                    .map(|(z, &arm)| (z[0] as f64, z[1] as f64, arm))
                    .collect(),
                _ => vec![],
            };
            plot::scatter(
                &panels[i],
                &format!(
                    "q(z), {}, {} steps, seed 0 (rings: prior 1σ, 2σ)",
                    r.arm.name, r.arm.steps
                ),
                &points,
                &circles,
                2.5,
            )?;
        }
        plot::seeds_chart(
            &panels[2],
            "(d) D(q(z), p(z)) = KL(p ‖ q(z))",
            ("training length", "nats"),
            Some(&names),
            &series,
            None,
        )
    })?;
    let _ = writeln!(
        md,
        "\n![q(z) of both objectives and D](results/{})\n",
        file_name(png)
    );
    let _ = writeln!(
        md,
        "Claim: the (β = 0, α = 1) run's D(q(z), p(z)) below the (β = 1, α = 0) run's, at the \
         paper's 500 full-batch epochs (means over seeds): {}. {}.\n",
        verdict(holds),
        parts.join("; ")
    );
    md.push_str(
        "Why the α run can score worse here, and how this setup differs from the paper: \
         D = KL(p ‖ q(z)) is mass-covering: it charges for prior mass where q(z) is thin, not \
         for q(z) mass away from the prior. With β = 0 nothing pulls each q(z|x) towards a \
         component, so the reconstruction is free to spread the codes along the arms and past \
         the components (seed 0's plots), and the posteriors narrow (σ), leaving holes; the \
         minibatch estimate of D (logmeanexp over 400 posteriors) gives weak gradients there. \
         With β = 1 the per-point KL to the mixture pulls every q(z|x) into a component, which \
         covers the prior as a side effect. The reference implementation \
         (iffsid/disentangling-disentanglement, `experimental_settings/clustering.sh`: 500 \
         epochs, batch 400, lr 1e-3, prior variance 0.03) differs in ways that matter for this: \
         its decoder outputs a per-point likelihood std (softplus) where ours is fixed at 0.1, \
         its encoder std is softplus(·) + 10⁻⁶ where ours is a clamped log-variance, it \
         optimises with AMSGrad where we use Adam, and its pinwheel is the MATLAB `pinwheel.m` \
         'small' variant where ours is Adams' Python generator (docs/methods.md §2.2). The objectives \
         themselves match: its β term is the Monte Carlo log q(z|x) − log p(z) and its α term \
         the same `kld_inc` estimator of KL(p ‖ q(z)).\n",
    );
    md.push_str(&failures(results));
    Ok(Section {
        markdown: md,
        summary: format!(
            "| (d) | D(q(z), p(z)) of (β = 0, α = 1) < that of (β = 1, α = 0) | {} | {} |",
            parts.join("; "),
            verdict(holds)
        ),
    })
}

fn section_f(results: &[ArmResults], png: &Path, seeds: u64) -> Result<Section, String> {
    let mut md = String::new();
    let first = &results[0].arm;
    let data = first.config.ivae;
    let _ = writeln!(md, "## (f) iVAE vs VAE on 2-D iVAE sources\n");
    let _ = writeln!(
        md,
        "Settings: {} segments × {} points, {}-D Gaussian sources with per-segment std \
         U(0.5, 3), mixed by {} layers (x = act(act(s·A)·A)·A, act(y) = tanh(y) + 0.1·y); MLP \
         encoder/decoder {:?}, {} latents, Gaussian likelihood with fixed variance 0.1, batch \
         {}, Adam lr {}, {} steps. MCC: |Pearson| correlation with Hungarian matching, on one \
         sample z ~ q(z|x(,u)) per point as the reference evaluates, and on the posterior \
         means. The last row is the MCC of the observations x themselves against the sources: \
         what a model that learned nothing would score.\n",
        data.segments,
        data.per_segment,
        data.dim,
        data.layers,
        first.config.hidden,
        first.config.latents,
        first.config.batch,
        first.config.lr,
        first.steps
    );
    md.push_str("| model | MCC (samples) | MCC (means) | MCC Spearman (samples) | s / run |\n");
    md.push_str("|---|---:|---:|---:|---:|\n");
    for r in results {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {:.1} |",
            r.arm.name,
            pm(&r.metric("mcc")),
            pm(&r.metric("mcc_means")),
            pm(&r.metric("mcc_spearman")),
            mean(&r.values(|x| x.seconds)),
        );
    }
    let raw: Vec<f64> = (0..seeds)
        .filter_map(|seed| {
            let d = ivae::generate(&data, seed).ok()?;
            let n = d.s.len() / data.dim;
            let s = Matrix::from_vec(n, data.dim, d.s).ok()?;
            let x = Matrix::from_vec(n, data.dim, d.x).ok()?;
            Some(metrics::mcc(&s, &x, CorrMethod::Pearson).ok()?.mcc)
        })
        .collect();
    let _ = writeln!(
        md,
        "| observations x (no model) | {} | – | – | – |",
        pm(&raw)
    );
    let find = |m: ModelKind| results.iter().find(|r| r.arm.config.model == m);
    let (ivae_mcc, vae_mcc) = match (find(ModelKind::Ivae), find(ModelKind::Vae)) {
        (Some(i), Some(v)) => (i.metric("mcc"), v.metric("mcc")),
        _ => return Err("claim (f) needs an iVAE and a VAE arm".into()),
    };
    let (mi, mv) = (mean(&ivae_mcc), mean(&vae_mcc));
    let holds = mi >= 0.9 && mi - mv >= 0.2;
    let names: Vec<String> = vec!["iVAE".into(), "VAE".into(), "x itself".into()];
    let series = vec![
        SeedSeries {
            label: "iVAE".into(),
            points: vec![(0.0, ivae_mcc.clone())],
        },
        SeedSeries {
            label: "VAE".into(),
            points: vec![(1.0, vae_mcc.clone())],
        },
        SeedSeries {
            label: "observations x".into(),
            points: vec![(2.0, raw.clone())],
        },
    ];
    plot::write_png(png, (800, 500), |root| {
        plot::seeds_chart(
            root,
            "(f) MCC with the true sources (samples of q(z|x))",
            ("", "MCC"),
            Some(&names),
            &series,
            Some(&RefLine {
                y: 0.9,
                label: "0.9 (reference, 5-D)".into(),
            }),
        )
    })?;
    let _ = writeln!(
        md,
        "\n![MCC of iVAE, VAE and x](results/{})\n",
        file_name(png)
    );
    let measured = format!("iVAE {mi:.3} vs VAE {mv:.3} (gap {:.3})", mi - mv);
    let _ = writeln!(
        md,
        "Claim: iVAE MCC ≥ 0.9 and at least 0.2 above the VAE's (means over seeds): {}. {}.\n",
        verdict(holds),
        measured
    );
    md.push_str(
        "How this setup differs from the reference (Khemakhem et al. 2020, ilkhem/iVAE): it \
         reports MCC ≈ 0.9 on 5-D sources with 40 segments × 1000 points, trained far longer; \
         here the sources are 2-D with 250 points per segment. In 2-D with this mixing the \
         observations x already correlate strongly with the sources (last row), so the VAE \
         starts from a high MCC and a 0.2 gap leaves little room; on posterior means both \
         models score higher than on samples, because the sampling noise of q(z|x) lowers the \
         correlations.\n",
    );
    md.push_str(&failures(results));
    Ok(Section {
        markdown: md,
        summary: format!(
            "| (f) | iVAE MCC ≥ 0.9 and ≥ VAE MCC + 0.2 | {measured} | {} |",
            verdict(holds)
        ),
    })
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The whole Markdown page.
fn page(args: &ReproduceArgs, sections: &[&Section], seconds: f64, complete: bool) -> String {
    let mut md = String::new();
    md.push_str("# Reproducing the lessons' claims\n\n");
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let only: Vec<&str> = args.only.iter().map(|c| c.key()).collect();
    let _ = writeln!(
        md,
        "Generated by `disentangle-lab reproduce{} --seeds {} --only {} --backend {}` ({} run, \
         {:.1} min on {} cores). Every number is the mean ± standard deviation (ddof 1) over \
         seeds 0–{} of the same settings; each seed changes the data draw (pinwheel, iVAE), \
         the initialisation and the sampling. The runs use the library's own trainer and \
         metrics, as `disentangle-lab train` does.\n",
        if args.quick { " --quick" } else { "" },
        args.seeds,
        only.join(","),
        args.backend.key(),
        if args.quick {
            "**quick smoke run: too short to be evidence**"
        } else {
            "full"
        },
        seconds / 60.0,
        cores,
        args.seeds - 1
    );
    if !complete {
        md.push_str(
            "**Partial page: written while the run was still going; only the finished claims \
             are below.**\n\n",
        );
    }
    md.push_str(
        "Regenerate it (release build; the full run takes about a quarter of an hour on two \
         cores):\n\n```sh\ncargo run --release -- reproduce --out docs            # all claims, 3 seeds\ncargo run --release -- reproduce --quick --out /tmp/r  # smoke run, ~2 min\n```\n\n",
    );
    md.push_str("## Summary\n\n| claim | test | measured (means) | result |\n|---|---|---|---|\n");
    for s in sections {
        md.push_str(&s.summary);
        md.push('\n');
    }
    md.push('\n');
    for s in sections {
        md.push_str(&s.markdown);
        md.push('\n');
    }
    md
}
