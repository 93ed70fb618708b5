//! Claim (c), FactorVAE (Kim & Mnih 2018): at matched reconstruction FactorVAE reaches a
//! higher disentanglement score than β-VAE; the discriminator's TC estimate stays below the
//! true TC; a higher γ gives a lower TC.

use std::fmt::Write as _;
use std::rc::Rc;

use super::runs::{ArmResults, TAIL};
use super::table::{
    figure_and_checks, interpolate, mean, pm, seeds_text, summary_row, Align, Check, Table,
};
use super::{a, failures, Claim, Ctx, Section};
use crate::cli::plot::{self, SeedSeries, XySeries};
use crate::objective::TermName;
use crate::settings::text::thousands;

/// The γ sweep (a quick run: the lesson's).
fn gammas(quick: bool) -> Vec<f64> {
    if quick {
        vec![40.0]
    } else {
        vec![10.0, 40.0, 100.0]
    }
}

/// Writes claim (c)'s section and plot.
pub fn section(ctx: &mut Ctx) -> Result<Section, String> {
    let vaes = a::sweep(ctx);
    let mut fvaes: Vec<Rc<ArmResults>> = Vec::new();
    for gamma in gammas(ctx.quick) {
        let arm = ctx.arm(Claim::C, &format!("FactorVAE γ = {gamma}"), |c| {
            c.weights.gamma = gamma
        });
        let seeds = ctx.seeds;
        fvaes.push(ctx.runs.get(arm, seeds));
    }
    let first = &fvaes[0].arm;
    let mut md = String::new();
    md.push_str(
        "## (c) FactorVAE: score at matched reconstruction, and its TC estimate (dSprites)\n\n",
    );
    let _ = writeln!(
        md,
        "Settings (lesson `factor-vae`): the dSprites defaults of (a) ({} steps); FactorVAE \
         (ELBO + γ·TC, the discriminator a 3 × 256 LeakyReLU MLP trained by Adam at the VAE's learning rate (both 10⁻⁴ in the paper, both 10⁻³ here), \
         β = (0.5, 0.9), as the paper's) for γ in {:?}; the β-VAE rows are (a)'s β sweep. \
         Reconstruction is averaged over the last {TAIL} steps; the discriminator's TC estimate \
         (mean logit difference) likewise. The \"true\" TC is the whole-set estimate of the \
         metrics (Chen et al.'s decomposition of the trained encoder's q(z) on 2,000 random \
         points of the 10,000 measured).\n",
        first.steps,
        gammas(ctx.quick)
    );
    let mut t = Table::new(&[
        ("model", Align::Left),
        ("reconstruction (nats)", Align::Right),
        ("FactorVAE score", Align::Right),
        ("score per seed", Align::Left),
        ("MIG", Align::Right),
        ("TC, whole-set estimate", Align::Right),
        ("TC, discriminator", Align::Right),
        ("s / run", Align::Right),
    ]);
    for r in vaes.iter().chain(&fvaes) {
        let disc = r.tail(TermName::TcEstimate);
        t.row(vec![
            r.arm.name.clone(),
            pm(&r.tail(TermName::Recon)),
            pm(&r.metric("factor_vae_score")),
            seeds_text(&r.metric("factor_vae_score")),
            pm(&r.metric("mig_dlib")),
            pm(&r.metric("total_correlation")),
            if disc.iter().any(|v| v.is_finite()) {
                pm(&disc)
            } else {
                "–".into()
            },
            format!("{:.0}", mean(&r.per_seed(|x| x.seconds))),
        ]);
    }
    md.push_str(&t.markdown());
    // Matched reconstruction: the β-VAE's score interpolated (linearly in reconstruction,
    // along its β sweep) at the reconstruction of FactorVAE's best γ, for the means and for
    // each seed's own runs.
    let best = fvaes
        .iter()
        .max_by(|x, y| {
            mean(&x.metric("factor_vae_score")).total_cmp(&mean(&y.metric("factor_vae_score")))
        })
        .cloned()
        .ok_or("claim (c) needs a FactorVAE arm")?;
    let seeds = ctx.seeds as usize;
    let vae_at = |seed: Option<usize>, recon: f64| {
        let pts: Vec<(f64, f64)> = vaes
            .iter()
            .map(|r| {
                let (x, y) = (r.tail(TermName::Recon), r.metric("factor_vae_score"));
                match seed {
                    Some(i) => (x[i], y[i]),
                    None => (mean(&x), mean(&y)),
                }
            })
            .collect();
        interpolate(&pts, recon)
    };
    let best_recon = best.tail(TermName::Recon);
    let matched: Vec<f64> = (0..seeds).map(|i| vae_at(Some(i), best_recon[i])).collect();
    let mut matched_check = Check::compare(
        format!(
            "{}'s FactorVAE score above β-VAE's at the same reconstruction",
            best.arm.name
        ),
        &best.metric("factor_vae_score"),
        &matched,
        |a, b| a > b,
    );
    let mean_matched = vae_at(None, mean(&best_recon));
    matched_check.mean_holds = mean(&best.metric("factor_vae_score")) > mean_matched;
    matched_check.detail = format!(
        "{:.3} vs {mean_matched:.3} (β-VAE interpolated at {:.1} nats)",
        mean(&best.metric("factor_vae_score")),
        mean(&best_recon)
    );
    let mut checks = vec![matched_check];
    for r in &fvaes {
        checks.push(Check::compare(
            format!("{}: discriminator's TC below the whole-set TC", r.arm.name),
            &r.tail(TermName::TcEstimate),
            &r.metric("total_correlation"),
            |a, b| a < b,
        ));
    }
    if let [lo, .., hi] = fvaes.as_slice() {
        checks.push(Check::compare(
            format!(
                "whole-set TC at γ = {} below γ = {}",
                hi.arm.config.weights.gamma, lo.arm.config.weights.gamma
            ),
            &hi.metric("total_correlation"),
            &lo.metric("total_correlation"),
            |a, b| a < b,
        ));
    }
    let xy =
        |arms: &[Rc<ArmResults>], label: &str, weight: &dyn Fn(&ArmResults) -> String| XySeries {
            label: label.into(),
            seeds: arms
                .iter()
                .flat_map(|r| {
                    r.tail(TermName::Recon)
                        .into_iter()
                        .zip(r.metric("factor_vae_score"))
                })
                .collect(),
            means: arms
                .iter()
                .map(|r| {
                    (
                        mean(&r.tail(TermName::Recon)),
                        mean(&r.metric("factor_vae_score")),
                        weight(r),
                    )
                })
                .collect(),
        };
    let score_series = [
        xy(&vaes, "β-VAE (β sweep)", &|r| {
            format!(" β={}", r.arm.config.weights.beta)
        }),
        xy(&fvaes, "FactorVAE (γ sweep)", &|r| {
            format!(" γ={}", r.arm.config.weights.gamma)
        }),
    ];
    let tc_series: Vec<SeedSeries> = [
        ("whole-set estimate", "total_correlation"),
        ("discriminator", ""),
    ]
    .iter()
    .map(|(label, key)| SeedSeries {
        label: (*label).into(),
        points: fvaes
            .iter()
            .map(|r| {
                let v = if key.is_empty() {
                    r.tail(TermName::TcEstimate)
                } else {
                    r.metric(key)
                };
                (r.arm.config.weights.gamma.log10(), v)
            })
            .collect(),
    })
    .collect();
    let png = ctx.png(Claim::C);
    plot::write_png(&png, (1300, 520), |root| {
        let p = root.split_evenly((1, 2));
        plot::xy_chart(
            &p[0],
            "(c) FactorVAE score vs reconstruction",
            (
                "reconstruction −log p(x|z) (nats per image)",
                "FactorVAE score",
            ),
            &score_series,
        )?;
        plot::seeds_chart(
            &p[1],
            "(c) FactorVAE's total correlation vs γ",
            ("log10 γ", "TC (nats)"),
            None,
            &tc_series,
            None,
        )
    })?;
    figure_and_checks(
        &mut md,
        Claim::C,
        "Score against reconstruction, and TC against γ",
        &png,
        &checks,
    );
    let _ = write!(
        md,
        "\nHow this differs from Kim & Mnih (2018): they train convolutional networks on all \
         737,280 images for 3·10⁵ steps at lr 10⁻⁴ with a 6 × 1000 discriminator and report a \
         best mean score ≈ 0.82 at γ = 40 against ≈ 0.73 for β-VAE at β = 4; here the 256-256 \
         MLP for {} steps at lr 10⁻³ for both networks (10⁻⁴ would barely move in that time) \
         with a 3 × 256 discriminator. Their \"true\" TC is a minibatch estimate; ours is the same estimator \
         applied to 2,000 points of the measured set, which is biased low for narrow \
         posteriors (the aggregate posterior is estimated from those points only).\n",
        thousands(first.steps)
    );
    md.push_str(&failures(vaes.iter().chain(&fvaes).map(|r| r.as_ref())));
    Ok(Section {
        markdown: md,
        summary: summary_row(Claim::C, "FactorVAE's score above β-VAE's at matched reconstruction; discriminator TC < whole-set TC; TC falls with γ", &checks),
    })
}
