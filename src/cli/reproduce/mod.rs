//! `disentangle-lab reproduce`: the six lessons' claims, trained natively over several seeds
//! with the same trainer and metrics as `train` and the page, written up as a Markdown page
//! (mean ± std over seeds, per-seed checks) with PNG plots. Every claim starts from its
//! lesson's definition ([`crate::settings::lessons`]) and varies only the swept variable.
//!
//! - (a) β-VAE: reconstruction and KL against β; MIG and FactorVAE score at β = 4 vs 1.
//! - (b) β-TCVAE vs β-VAE at the same β: MIG and reconstruction.
//! - (c) FactorVAE vs β-VAE at matched reconstruction; the discriminator's TC against the
//!   whole-set estimate; TC against γ.
//! - (d) Disentangling Disentanglement on the pinwheel: occupancy of the mixture's components.
//! - (e) Priors on dSprites: anisotropic and Student-t against isotropic; the score against β.
//! - (f) iVAE vs VAE on 2-D sources: MCC.

mod a;
mod b;
mod c;
mod d;
mod e;
mod f;
mod page;
mod runs;
mod table;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::CliResult;
use crate::settings::lessons::{lesson, Lesson};
use crate::settings::{DatasetKind, TrainConfig};
use crate::train::{backend, BackendChoice};
use runs::{Arm, Runs};

/// Flags of `reproduce`.
#[derive(clap::Args, Debug)]
pub struct ReproduceArgs {
    /// Fewer steps, sweep values and seeds: a smoke run of a few minutes, not evidence.
    #[arg(long)]
    pub quick: bool,
    /// Folder for `results.md`; the plots go into its `results/` subfolder.
    #[arg(long, default_value = "docs")]
    pub out: PathBuf,
    /// Seeds per setting (seeds 0, 1, …, N − 1); claim (d), whose runs take seconds, trains
    /// at least 10.
    #[arg(long, default_value_t = 3)]
    pub seeds: u64,
    /// Which claims to run (comma-separated: a, b, c, d, e, f).
    #[arg(long, value_delimiter = ',', default_value = "a,b,c,d,e,f", value_parser = Claim::parse)]
    pub only: Vec<Claim>,
    /// Compute backend (flex, ndarray, wgpu).
    #[arg(long, value_parser = BackendChoice::parse, default_value = "flex")]
    pub backend: BackendChoice,
    /// Train the dSprites claims (a, b, c, e) for this many times their lessons' steps (above
    /// 0, at most 20), to see whether a claim depends on the training length; the pinwheel and
    /// iVAE claims already train as long as their references. Not the lessons' settings
    /// unless 1.
    #[arg(long, default_value_t = 1.0, value_parser = parse_steps_scale)]
    pub steps_scale: f64,
}

/// A claim of the lessons that `reproduce` checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Claim {
    /// (a) β-VAE.
    A,
    /// (b) β-TCVAE vs β-VAE.
    B,
    /// (c) FactorVAE.
    C,
    /// (d) Disentangling Disentanglement on the pinwheel.
    D,
    /// (e) Priors on dSprites.
    E,
    /// (f) iVAE vs VAE.
    F,
}

impl Claim {
    /// Every claim, in order.
    pub const ALL: [Claim; 6] = [Claim::A, Claim::B, Claim::C, Claim::D, Claim::E, Claim::F];

    /// Short name on the command line and of the plot file.
    pub fn key(self) -> &'static str {
        match self {
            Claim::A => "a",
            Claim::B => "b",
            Claim::C => "c",
            Claim::D => "d",
            Claim::E => "e",
            Claim::F => "f",
        }
    }

    /// Parses [`Self::key`]; the error names the valid choices.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|c| c.key() == s)
            .ok_or_else(|| format!("unknown claim '{s}' (valid: a, b, c, d, e, f)"))
    }

    /// The lesson whose claim this is.
    pub fn lesson(self) -> &'static Lesson {
        let id = match self {
            Claim::A => "beta-vae",
            Claim::B => "beta-tcvae",
            Claim::C => "factor-vae",
            Claim::D => "dd-pinwheel",
            Claim::E => "dd-priors",
            Claim::F => "ivae",
        };
        lesson(id)
    }
}

/// What the claims share while they run.
pub struct Ctx {
    /// The trained arms.
    pub runs: Runs,
    /// Seeds per arm.
    pub seeds: u64,
    /// Smoke run.
    pub quick: bool,
    /// Factor on the dSprites lessons' steps ([`ReproduceArgs::steps_scale`]).
    pub steps_scale: f64,
    /// Folder of the plots.
    pub plots: PathBuf,
}

impl Ctx {
    /// The arm of `claim`'s lesson with `change` applied to its settings, trained for the
    /// lesson's steps (times the steps scale on dSprites; a fifth in a quick run).
    pub fn arm(&self, claim: Claim, name: &str, change: impl FnOnce(&mut TrainConfig)) -> Arm {
        let l = claim.lesson();
        let mut config = l.config();
        let steps = if config.dataset == DatasetKind::Dsprites {
            scaled_steps(l.steps, self.steps_scale)
        } else {
            l.steps
        };
        change(&mut config);
        Arm {
            name: name.into(),
            config,
            steps: if self.quick { steps / 5 } else { steps },
        }
    }

    /// The plot file of `claim`.
    pub fn png(&self, claim: Claim) -> PathBuf {
        self.plots.join(format!("{}.png", claim.key()))
    }
}

/// A claim's Markdown section and its one-line summary row.
pub struct Section {
    /// The section, from its `##` heading.
    pub markdown: String,
    /// `| (x) | claim | measured | verdict |`.
    pub summary: String,
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
    let mut ctx = Ctx {
        runs: Runs::new(device),
        seeds: args.seeds,
        quick: args.quick,
        steps_scale: args.steps_scale,
        plots,
    };
    let mut claims = args.only.clone();
    claims.sort();
    claims.dedup();
    let mut sections: Vec<(Claim, Section)> = Vec::new();
    let md = args.out.join("results.md");
    // The quick claims first; the page is rewritten after each one, so an interrupted run
    // still leaves the finished claims on it.
    let mut order = claims.clone();
    order.sort_by_key(|c| match c {
        Claim::D => 0,
        Claim::F => 1,
        _ => 2,
    });
    for claim in order {
        let t = Instant::now();
        let section = match claim {
            Claim::A => a::section(&mut ctx)?,
            Claim::B => b::section(&mut ctx)?,
            Claim::C => c::section(&mut ctx)?,
            Claim::D => d::section(&mut ctx)?,
            Claim::E => e::section(&mut ctx)?,
            Claim::F => f::section(&mut ctx)?,
        };
        println!(
            "claim ({}) done in {:.1} min",
            claim.key(),
            t.elapsed().as_secs_f64() / 60.0
        );
        sections.push((claim, section));
        sections.sort_by_key(|(c, _)| *c);
        let complete = sections.len() == claims.len();
        let text = page::page(&args, &sections, start.elapsed().as_secs_f64(), complete);
        std::fs::write(&md, text).map_err(|e| format!("cannot write {}: {e}", md.display()))?;
    }
    println!(
        "wrote {} and its plots in {} ({:.1} min)",
        md.display(),
        ctx.plots.display(),
        start.elapsed().as_secs_f64() / 60.0
    );
    Ok(())
}

/// The file name of a plot, for a Markdown link.
pub fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Failed runs of some arms, listed under a section (empty when none failed).
pub fn failures<'a>(arms: impl IntoIterator<Item = &'a runs::ArmResults>) -> String {
    let mut s = String::new();
    for r in arms {
        for e in r.failures() {
            let _ = writeln!(s, "- {} ({} steps) {e}", r.arm.name, r.arm.steps);
        }
    }
    if !s.is_empty() {
        s.insert_str(0, "\nFailed runs (left out of the means):\n\n");
    }
    s
}

/// The dSprites claims' steps at `scale` times their lesson's.
fn scaled_steps(steps: u64, scale: f64) -> u64 {
    (steps as f64 * scale).round().max(1.0) as u64
}

/// Parses `--steps-scale`: a finite factor above 0, at most 20.
fn parse_steps_scale(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("--steps-scale takes a number, not {s:?}"))?;
    if v.is_finite() && v > 0.0 && v <= 20.0 {
        Ok(v)
    } else {
        Err(format!(
            "--steps-scale must be above 0 and at most 20, not {s}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(steps_scale: f64, quick: bool) -> Ctx {
        Ctx {
            runs: Runs::new(burn::prelude::Device::flex()),
            seeds: 1,
            quick,
            steps_scale,
            plots: PathBuf::new(),
        }
    }

    #[test]
    fn the_steps_scale_lengthens_the_dsprites_claims_only() {
        for claim in Claim::ALL {
            let l = claim.lesson();
            let dsprites = l.config().dataset == DatasetKind::Dsprites;
            let scaled = ctx(5.0, false).arm(claim, "x", |_| {}).steps;
            let shorter = ctx(0.2, false).arm(claim, "x", |_| {}).steps;
            assert_eq!(
                shorter,
                if dsprites { l.steps / 5 } else { l.steps },
                "{claim:?}"
            );
            assert_eq!(
                ctx(1.0, false).arm(claim, "x", |_| {}).steps,
                l.steps,
                "{claim:?}"
            );
            assert_eq!(
                scaled,
                if dsprites { 5 * l.steps } else { l.steps },
                "{claim:?}"
            );
            assert_eq!(
                ctx(5.0, true).arm(claim, "x", |_| {}).steps,
                scaled / 5,
                "{claim:?}"
            );
        }
        // Four of the six lessons train on dSprites.
        let n = Claim::ALL
            .iter()
            .filter(|c| c.lesson().config().dataset == DatasetKind::Dsprites)
            .count();
        assert_eq!(n, 4);
    }

    #[test]
    fn the_steps_scale_is_a_positive_factor_up_to_20() {
        assert_eq!(parse_steps_scale("0.2"), Ok(0.2));
        assert_eq!(parse_steps_scale("20"), Ok(20.0));
        for bad in ["0", "-1", "20.5", "NaN", "inf", "five", ""] {
            let e = parse_steps_scale(bad).unwrap_err();
            assert!(e.contains("--steps-scale"), "{bad}: {e}");
        }
        assert_eq!(scaled_steps(5000, 0.2), 1000);
        assert_eq!(scaled_steps(3120, 1.0), 3120);
        assert_eq!(scaled_steps(10, 0.01), 1, "at least one step");
    }
}
