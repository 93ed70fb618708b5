//! Claim (a), β-VAE (Higgins et al. 2017): as β grows, reconstruction gets worse and the KL
//! falls; MIG and the FactorVAE score at β = 4 are above those at β = 1.

use std::fmt::Write as _;
use std::rc::Rc;

use super::runs::{ArmResults, TAIL};
use super::table::{figure_and_checks, pm, seeds_text, summary_row, Align, Check, Table};
use super::{failures, Claim, Ctx, Section};
use crate::cli::plot::{self, SeedSeries};
use crate::objective::TermName;
use crate::settings::text::thousands;

/// The β sweep (a quick run: its ends).
pub fn betas(quick: bool) -> Vec<f64> {
    if quick {
        vec![1.0, 4.0]
    } else {
        vec![1.0, 2.0, 4.0, 8.0]
    }
}

/// The β-VAE of lesson (a) at `beta`: the baseline that (b), (c) and (e) share.
pub fn beta_vae(ctx: &mut Ctx, beta: f64) -> Rc<ArmResults> {
    let arm = ctx.arm(Claim::A, &format!("β-VAE β = {beta}"), |c| {
        c.weights.beta = beta
    });
    let seeds = ctx.seeds;
    ctx.runs.get(arm, seeds)
}

/// The sweep's arms, in β order.
pub fn sweep(ctx: &mut Ctx) -> Vec<Rc<ArmResults>> {
    betas(ctx.quick)
        .into_iter()
        .map(|b| beta_vae(ctx, b))
        .collect()
}

/// Writes claim (a)'s section and plot.
pub fn section(ctx: &mut Ctx) -> Result<Section, String> {
    let arms = sweep(ctx);
    let first = &arms[0].arm;
    let mut md = String::new();
    md.push_str("## (a) β-VAE: reconstruction, KL and disentanglement against β (dSprites)\n\n");
    let _ = writeln!(
        md,
        "Settings (lesson `beta-vae` on the dSprites defaults): subset `{}` ({} images), MLP \
         encoder/decoder {:?} with a Bernoulli likelihood, {} latents, batch {}, Adam lr {}, \
         {} steps; only β changes. Reconstruction −log p(x|z) and KL(q(z|x) ‖ p(z)) are in nats \
         per image, averaged over the last {TAIL} training steps; MIG by the \
         disentanglement_lib protocol (encoder means, 10,000 points, 20 bins); FactorVAE score \
         by the dlib protocol (whole subset); factors constant in the subset are left out of \
         both (the protocol strings in `run.json` name the factors used).\n",
        first.config.subset,
        first.config.subset.len(),
        first.config.hidden,
        first.config.latents,
        first.config.batch,
        first.config.lr,
        first.steps
    );
    let mut t = Table::new(&[
        ("β", Align::Right),
        ("reconstruction (nats)", Align::Right),
        ("KL (nats)", Align::Right),
        ("MIG", Align::Right),
        ("MIG per seed", Align::Left),
        ("FactorVAE score", Align::Right),
        ("active units", Align::Right),
        ("s / run", Align::Right),
    ]);
    for r in &arms {
        t.row(vec![
            r.arm.config.weights.beta.to_string(),
            pm(&r.tail(TermName::Recon)),
            pm(&r.tail(TermName::Kl)),
            pm(&r.metric("mig_dlib")),
            seeds_text(&r.metric("mig_dlib")),
            pm(&r.metric("factor_vae_score")),
            pm(&r.metric("active_units")),
            format!("{:.0}", super::table::mean(&r.per_seed(|x| x.seconds))),
        ]);
    }
    md.push_str(&t.markdown());
    let recon: Vec<Vec<f64>> = arms.iter().map(|r| r.tail(TermName::Recon)).collect();
    let kl: Vec<Vec<f64>> = arms.iter().map(|r| r.tail(TermName::Kl)).collect();
    let at = |beta: f64| arms.iter().find(|r| r.arm.config.weights.beta == beta);
    let mut checks = vec![
        Check::monotone("reconstruction rises with β", &recon, true),
        Check::monotone("KL falls with β", &kl, false),
    ];
    if let (Some(one), Some(four)) = (at(1.0), at(4.0)) {
        checks.push(Check::compare(
            "MIG at β = 4 above β = 1",
            &four.metric("mig_dlib"),
            &one.metric("mig_dlib"),
            |a, b| a > b,
        ));
        checks.push(Check::compare(
            "FactorVAE score at β = 4 above β = 1",
            &four.metric("factor_vae_score"),
            &one.metric("factor_vae_score"),
            |a, b| a > b,
        ));
    }
    let series = |label: &str, f: &dyn Fn(&ArmResults) -> Vec<f64>| {
        vec![SeedSeries {
            label: label.into(),
            points: arms
                .iter()
                .map(|r| (r.arm.config.weights.beta.log2(), f(r)))
                .collect(),
        }]
    };
    let names: Vec<String> = betas(false).iter().map(|b| format!("β = {b}")).collect();
    let png = ctx.png(Claim::A);
    plot::write_png(&png, (1200, 900), |root| {
        let p = root.split_evenly((2, 2));
        let panels: [(&str, &str, Vec<SeedSeries>); 4] = [
            (
                "(a) reconstruction −log p(x|z)",
                "nats per image",
                series("β-VAE", &|r| r.tail(TermName::Recon)),
            ),
            (
                "(a) KL(q(z|x) ‖ p(z))",
                "nats per image",
                series("β-VAE", &|r| r.tail(TermName::Kl)),
            ),
            (
                "(a) MIG (dlib protocol)",
                "MIG",
                series("β-VAE", &|r| r.metric("mig_dlib")),
            ),
            (
                "(a) FactorVAE score (dlib protocol)",
                "score",
                series("β-VAE", &|r| r.metric("factor_vae_score")),
            ),
        ];
        for (area, (title, y, s)) in p.iter().zip(panels) {
            plot::seeds_chart(area, title, ("β", y), Some(&names), &s, None)?;
        }
        Ok(())
    })?;
    figure_and_checks(
        &mut md,
        Claim::A,
        "Reconstruction, KL, MIG and FactorVAE score against β",
        &png,
        &checks,
    );
    let _ = writeln!(
        md,
        "\nHow this differs from Higgins et al. (2017): they train on all 737,280 images with a \
         1200-1200 MLP encoder and a 1200-1200-1200 decoder (Adagrad, lr 10⁻²) far longer and \
         choose β = 4 by their own metric; here a 256-256 MLP for {} Adam steps on the \
         `default` subset. MIG (Chen et al. 2018) and the FactorVAE score (Kim & Mnih 2018) \
         stand in for Higgins' metric, and both vary widely between seeds (Locatello et al. \
         2019): read the per-seed values.",
        thousands(arms[0].arm.steps)
    );
    md.push_str(&failures(arms.iter().map(|r| r.as_ref())));
    Ok(Section {
        markdown: md,
        summary: summary_row(
            Claim::A,
            "β-VAE: reconstruction ↑ and KL ↓ with β; MIG and FactorVAE score at β = 4 > β = 1",
            &checks,
        ),
    })
}
