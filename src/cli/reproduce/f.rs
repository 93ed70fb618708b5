//! Claim (f), iVAE on 2-D sources (Khemakhem et al. 2020): the iVAE recovers the sources,
//! clearly better than the VAE. Target: the reference's figures on the same shape of data,
//! mean MCC on posterior means ≥ 0.88 and at least 0.1 above the VAE's.

use std::fmt::Write as _;

use super::table::{figure_and_checks, mean, pm, seeds_text, summary_row, Align, Check, Table};
use super::{failures, Claim, Ctx, Section};
use crate::cli::plot::{self, RefLine, SeedSeries};
use crate::data::ivae;
use crate::metrics::{self, CorrMethod, Matrix};
use crate::settings::ModelKind;

/// Writes claim (f)'s section and plot.
pub fn section(ctx: &mut Ctx) -> Result<Section, String> {
    let l = Claim::F.lesson();
    let b = l.compare().ok_or("lesson (f) compares with a VAE")?;
    let seeds = ctx.seeds;
    let ivae_arm = ctx.arm(Claim::F, "iVAE", |_| {});
    let vae_arm = ctx.arm(
        Claim::F,
        "VAE (the reference's weights: β = 1/1000)",
        |c| {
            c.model = b.model;
            c.weights = b.weights(c.weights);
        },
    );
    let plain_arm = ctx.arm(Claim::F, "VAE (plain ELBO, β = 1)", |c| {
        c.model = ModelKind::Vae
    });
    let iv = ctx.runs.get(ivae_arm, seeds);
    let vae = ctx.runs.get(vae_arm, seeds);
    let plain = ctx.runs.get(plain_arm, seeds);
    let c = &iv.arm.config;
    let data = c.ivae;
    let mut md = String::new();
    md.push_str("## (f) iVAE vs VAE on 2-D iVAE sources\n\n");
    let w = c.ivae_weights;
    let _ = writeln!(
        md,
        "Settings (lesson `ivae` on the iVAE-data defaults, which follow the reference's \
         `main.py` with `configs/ivae.yaml`): {} segments × {} points, {}-D Gaussian sources \
         with per-segment std U(0.5, 3), mixed by {} layers x = xtanh(xtanh(s·A)·A)·A with one \
         matrix A, xtanh(y) = tanh(y) + 0.1·y; encoder, decoder and prior networks of {:?} \
         {} units with separate μ and log σ² networks, the prior's log-variance an MLP on the \
         one-hot u, decoder variance fixed at 0.1; the ELBO weighted (a, b, c, d) = ({}, {}, {}, \
         {}) with the {} estimator; batch {}, Adam lr {} divided by 10 after each epoch whose \
         mean loss did not improve, {} steps (20 epochs of ⌊N/B⌋ steps). The VAE is the \
         reference's `configs/vae.yaml` (a = 1000, b = c = d = 1: the ELBO with the KL \
         weighted 1/1000, i.e. a β-VAE with β = 0.001) with the same networks and schedule; \
         the plain VAE (β = 1) is shown for comparison. MCC: |Pearson| correlation with \
         Hungarian matching over the whole set, on the posterior means and on one sample \
         z ~ q(z|x(,u)) per point (the reference's own evaluation); the last row is the MCC of \
         the observations x themselves.\n",
        data.segments,
        data.per_segment,
        data.dim,
        data.layers,
        c.hidden,
        c.activation.label(),
        w[0],
        w[1],
        w[2],
        w[3],
        c.estimator.label(),
        c.batch,
        c.lr,
        iv.arm.steps,
    );
    let mut t = Table::new(&[
        ("model", Align::Left),
        ("MCC (means)", Align::Right),
        ("means per seed", Align::Left),
        ("MCC (samples)", Align::Right),
        ("MCC Spearman (samples)", Align::Right),
        ("s / run", Align::Right),
    ]);
    for r in [&iv, &vae, &plain] {
        t.row(vec![
            r.arm.name.clone(),
            pm(&r.metric("mcc_means")),
            seeds_text(&r.metric("mcc_means")),
            pm(&r.metric("mcc")),
            pm(&r.metric("mcc_spearman")),
            format!("{:.1}", mean(&r.per_seed(|x| x.seconds))),
        ]);
    }
    let raw: Vec<f64> = (0..seeds)
        .map(|seed| {
            let mcc = || -> Result<f64, String> {
                let d = ivae::generate(&data, seed)?;
                let n = d.s.len() / data.dim;
                let s = Matrix::from_vec(n, data.dim, d.s)?;
                let x = Matrix::from_vec(n, data.dim, d.x)?;
                Ok(metrics::mcc(&s, &x, CorrMethod::Pearson)?.mcc)
            };
            mcc().unwrap_or(f64::NAN)
        })
        .collect();
    t.row(vec![
        "observations x (no model)".into(),
        pm(&raw),
        seeds_text(&raw),
        "–".into(),
        "–".into(),
        "–".into(),
    ]);
    md.push_str(&t.markdown());
    let gap: Vec<f64> = iv
        .metric("mcc_means")
        .iter()
        .zip(vae.metric("mcc_means"))
        .map(|(a, b)| a - b)
        .collect();
    let checks = vec![
        Check::threshold(
            "iVAE's MCC (means) ≥ 0.88",
            &iv.metric("mcc_means"),
            0.88,
            |a, b| a >= b,
        ),
        Check::threshold(
            "iVAE's MCC (means) at least 0.1 above the VAE's",
            &gap,
            0.1,
            |a, b| a >= b,
        ),
    ];
    let names: Vec<String> = ["iVAE", "VAE β = 0.001", "VAE β = 1", "x itself"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let series = vec![
        SeedSeries {
            label: "MCC (means)".into(),
            points: vec![
                (0.0, iv.metric("mcc_means")),
                (1.0, vae.metric("mcc_means")),
                (2.0, plain.metric("mcc_means")),
                (3.0, raw.clone()),
            ],
        },
        SeedSeries {
            label: "MCC (samples)".into(),
            points: vec![
                (0.0, iv.metric("mcc")),
                (1.0, vae.metric("mcc")),
                (2.0, plain.metric("mcc")),
            ],
        },
    ];
    let png = ctx.png(Claim::F);
    plot::write_png(&png, (900, 520), |root| {
        plot::seeds_chart(
            root,
            "(f) MCC with the true sources",
            ("", "MCC"),
            Some(&names),
            &series,
            Some(&RefLine {
                y: 0.88,
                label: "0.88 (target)".into(),
            }),
        )
    })?;
    figure_and_checks(&mut md, Claim::F, "MCC of iVAE, VAEs and x", &png, &checks);
    md.push_str(
        "\nHow this differs from the reference (ilkhem/iVAE `main.py`): its data set is drawn \
         once (`s = 1` in the config) and its seeds vary the model only, ours per seed; its \
         VAE's KL is the one-sample Monte Carlo estimate, ours the analytic KL (with the Monte \
         Carlo estimate, i.e. `train --dataset ivae --model beta-tcvae --alpha 0.001 --beta \
         0.001 --gamma 0.001 --estimator mws --steps 3120 --seed K`, our VAE scored within 0.01 \
         of the analytic one on seeds 0–4); our encoder clamps log σ² to [−12, 8] (the \
         reference's VAE with that clamp scores the same to four digits: it never binds). Both \
         train in shuffled epochs of ⌊N/B⌋ minibatches. The issue's run of the reference on \
         this shape of data (one data draw whose x alone scores 0.63) measured MCC on \
         posterior means of 0.85–0.93 (mean ≈ 0.89) for the iVAE after 20 epochs and \
         0.63–0.85 (mean ≈ 0.75) for its VAE; the paper's 2-D example reaches > 0.95.\n\n\
         The reference's own models on our data (`docs/reference-checks/ivae_reference.py`: its \
         cleanIVAE and cleanVAE, trained by its runner's loop with its two configs, on the CSVs \
         of `disentangle-lab data ivae --seed K` for K = 0…4, model seeds 0, 1, 2 each; MCC on \
         posterior means, mean ± std over the 15 runs):\n\n\
         | minibatches | iVAE | VAE | gap |\n\
         |---|---:|---:|---:|\n\
         | shuffled epochs (its `DataLoader`) | 0.846 ± 0.096 | 0.777 ± 0.083 | 0.07 |\n\
         | drawn with replacement (argument `replacement`) | 0.864 ± 0.079 | 0.841 ± 0.069 | \
         0.02 |\n\n\
         The order in which the same points are visited moves the VAE's MCC by 0.06, as much as \
         the gap the claim asks for, and the reference's code itself shows a gap of 0.1 in \
         neither case; on draws 3 and 4 its own iVAE falls to 0.62–0.84. The VAE's MCC is not \
         identified (any rotation of its latents fits as well), so which rotation a run lands \
         on depends on the optimiser's path: read the per-seed values.\n",
    );
    md.push_str(&failures([iv.as_ref(), vae.as_ref(), plain.as_ref()]));
    Ok(Section {
        markdown: md,
        summary: summary_row(
            Claim::F,
            "iVAE's MCC (means) ≥ 0.88 and ≥ the VAE's + 0.1",
            &checks,
        ),
    })
}
