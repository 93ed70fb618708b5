//! Claim (e), priors on dSprites at α = 0 (Mathieu et al. 2019): an anisotropic Gaussian and a
//! Student-t prior give a higher disentanglement score than the isotropic prior at the same β;
//! raising β lowers the score.

use std::fmt::Write as _;
use std::rc::Rc;

use super::runs::{ArmResults, TAIL};
use super::table::{
    all_hold, checks_list, figure_and_checks, pm, seeds_text, summary_row, Align, Check, Table,
};
use super::{a, failures, Claim, Ctx, Section};
use crate::cli::plot::{self, SeedSeries};
use crate::objective::priors::Prior;
use crate::objective::TermName;
use crate::settings::text::thousands;
use crate::settings::PriorKind;

/// The β values (a quick run: one).
fn betas(quick: bool) -> Vec<f64> {
    if quick {
        vec![1.0]
    } else {
        vec![1.0, 4.0]
    }
}

/// The anisotropic priors trained beside the claim's three, outside its verdict: how the
/// score moves with the strength of the anisotropy. (label, prior for K latents).
fn variants(latents: usize) -> Vec<(&'static str, Prior)> {
    let mut v = Vec::new();
    if let Some(p) = Prior::dsprites_pca_largest(latents) {
        v.push(("anisotropic, the 10 largest PCA values", p));
    }
    v.push(("anisotropic, e^(−k/2)", Prior::anisotropic_default(latents)));
    v
}

/// Writes claim (e)'s section and plot.
pub fn section(ctx: &mut Ctx) -> Result<Section, String> {
    let priors = [
        PriorKind::Normal,
        PriorKind::Anisotropic,
        PriorKind::StudentT,
    ];
    // rows[p][b]: prior p at β b. The isotropic prior at α = 0 is the β-VAE objective
    // exactly (the analytic KL to N(0, I)), so (a)'s runs serve.
    let mut rows: Vec<Vec<Rc<ArmResults>>> = Vec::new();
    for kind in priors {
        let mut row = Vec::new();
        for beta in betas(ctx.quick) {
            let r = if kind == PriorKind::Normal {
                a::beta_vae(ctx, beta)
            } else {
                let arm = ctx.arm(
                    Claim::E,
                    &format!("{} prior, β = {beta}", kind.label()),
                    |c| {
                        c.weights.beta = beta;
                        c.prior = Prior::default_for(kind, c.dataset, c.latents);
                    },
                );
                let seeds = ctx.seeds;
                ctx.runs.get(arm, seeds)
            };
            row.push(r);
        }
        rows.push(row);
    }
    let latents = rows[1][0].arm.config.latents;
    let mut labels: Vec<String> = priors.iter().map(|k| k.label().to_string()).collect();
    for (label, prior) in variants(latents) {
        let mut row = Vec::new();
        for beta in betas(ctx.quick) {
            let arm = ctx.arm(Claim::E, &format!("{label}, β = {beta}"), |c| {
                c.weights.beta = beta;
                c.prior = prior.clone();
            });
            let seeds = ctx.seeds;
            row.push(ctx.runs.get(arm, seeds));
        }
        rows.push(row);
        labels.push(label.into());
    }
    let sample = &rows[1][0].arm.config;
    let mut md = String::new();
    md.push_str("## (e) Priors on dSprites: isotropic, anisotropic, Student-t (α = 0)\n\n");
    let scales_of = |p: &Prior| match p {
        Prior::Anisotropic { scales } => scales
            .iter()
            .map(|s| format!("{s:.2}"))
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    };
    let scales = scales_of(&sample.prior); // the verdict's anisotropic arm, as trained
    let _ = writeln!(
        md,
        "Settings (lesson `dd-priors`): the dSprites defaults of (a) ({} steps); DD with α = 0, \
         i.e. reconstruction + β·KL(q(z|x) ‖ p(z)), with the anisotropic prior N(0, diag s²), \
         s = ({scales}), or the factorised Student-t with ν = 9 (its KL by one Monte Carlo \
         sample). The anisotropic prior is the reference's `--prior-variance pca`: σ² = \
         K·softmax(log λ) (total variance K = {}) over `pca[:K]`, the squared singular values \
         of `svds(X, k=20)` on the uncentred matrix X of all 737,280 images, which SciPy \
         returns smallest first, so the K latents take the 20th to 11th largest values (ours \
         from our renderer: `disentangle-lab dsprites spectrum`). The isotropic rows are (a)'s \
         β-VAE runs: at α = 0 with N(0, I) DD's objective is the β-VAE's exactly. Scores as in \
         (a), except that under the Student-t prior the FactorVAE score is taken on the means \
         mapped onto N(0, 1) by z ↦ Φ⁻¹(F_ν(z)), as the reference's `analyse.py` scores its \
         Student-t model; the score on the raw means, from the same votes, is given beside it.\n",
        rows[1][0].arm.steps, sample.latents
    );
    let list: Vec<String> = variants(sample.latents)
        .iter()
        .map(|(label, p)| format!("\"{label}\": s = ({})", scales_of(p)))
        .collect();
    let _ = writeln!(
        md,
        "The last rows train stronger anisotropies, outside the verdict: {}. The first is what \
         `pca[:K]` means to take, the principal components' variances (the 10 largest); the \
         second is the data-free default of the data sets without images (variances ∝ \
         e^(−k/2)).\n",
        list.join("; ")
    );
    let mut t = Table::new(&[
        ("prior", Align::Left),
        ("β", Align::Right),
        ("FactorVAE score", Align::Right),
        ("score per seed", Align::Left),
        ("score on the raw means", Align::Right),
        ("score, DD's protocol", Align::Right),
        ("MIG", Align::Right),
        ("reconstruction (nats)", Align::Right),
        ("KL (nats)", Align::Right),
        ("active units", Align::Right),
    ]);
    for (label, row) in labels.iter().zip(&rows) {
        for r in row {
            t.row(vec![
                label.clone(),
                r.arm.config.weights.beta.to_string(),
                pm(&r.metric("factor_vae_score")),
                seeds_text(&r.metric("factor_vae_score")),
                pm(&r.metric("factor_vae_score_raw")),
                pm(&r.metric("factor_vae_score_dd")),
                pm(&r.metric("mig_dlib")),
                pm(&r.tail(TermName::Recon)),
                pm(&r.tail(TermName::Kl)),
                pm(&r.metric("active_units")),
            ]);
        }
    }
    md.push_str(&t.markdown());
    // The same checks on a score: the verdict's (dlib's protocol, as every claim and the page
    // use) and, beside it, DD's own protocol.
    let checks_on = |key: &str| {
        let score = |r: &ArmResults| r.metric(key);
        let mut checks = Vec::new();
        for (b, beta) in betas(ctx.quick).into_iter().enumerate() {
            for p in 1..priors.len() {
                checks.push(Check::compare(
                    format!(
                        "β = {beta}: {} prior's score above the isotropic prior's",
                        priors[p].label()
                    ),
                    &score(&rows[p][b]),
                    &score(&rows[0][b]),
                    |a, b| a > b,
                ));
            }
        }
        for (kind, row) in priors.iter().zip(&rows[..priors.len()]) {
            if let [lo, .., hi] = row.as_slice() {
                checks.push(Check::compare(
                    format!(
                        "{} prior: score at β = {} below β = {}",
                        kind.label(),
                        hi.arm.config.weights.beta,
                        lo.arm.config.weights.beta
                    ),
                    &score(hi),
                    &score(lo),
                    |a, b| a < b,
                ));
            }
        }
        checks
    };
    let checks = checks_on("factor_vae_score");
    let dd_checks = checks_on("factor_vae_score_dd");
    let series = |key: &str| -> Vec<SeedSeries> {
        labels
            .iter()
            .zip(&rows)
            .map(|(label, row)| SeedSeries {
                label: label.clone(),
                points: row
                    .iter()
                    .map(|r| (r.arm.config.weights.beta, r.metric(key)))
                    .collect(),
            })
            .collect()
    };
    let png = ctx.png(Claim::E);
    plot::write_png(&png, (1200, 480), |root| {
        let p = root.split_evenly((1, 2));
        plot::seeds_chart(
            &p[0],
            "(e) FactorVAE score vs β per prior",
            ("β", "score"),
            None,
            &series("factor_vae_score"),
            None,
        )?;
        plot::seeds_chart(
            &p[1],
            "(e) MIG vs β per prior",
            ("β", "MIG"),
            None,
            &series("mig_dlib"),
            None,
        )
    })?;
    figure_and_checks(
        &mut md,
        Claim::E,
        "Scores against β per prior",
        &png,
        &checks,
    );
    let dd_verdict = match (all_hold(&dd_checks), all_hold(&checks)) {
        (true, true) => "holds as well",
        (true, false) => "holds",
        (false, true) => "does not hold",
        (false, false) => "does not hold either",
    };
    let _ = writeln!(
        md,
        "\nThe same checks on the score as Disentangling Disentanglement's own code computes it \
         (its `analyse.py`: 1,000 points a vote, 20,000 votes, the accuracy on the votes the \
         classifier was built from, no latent pruned), which is how the paper's figures were \
         made; the verdict above stays on the protocol every claim and the page use. Under \
         DD's protocol the claim {dd_verdict}.\n"
    );
    md.push_str(&checks_list(&dd_checks));
    let _ = writeln!(
        md,
        "\nHow this differs from the reference (`independance.sh`: dSprites, 10 latents, \
         convolutional networks, 20 epochs of batch 64 at lr 5·10⁻⁴ with AMSGrad): the 256-256 \
         MLP for {} Adam steps at lr 10⁻³ (Adam, so that the isotropic rows are (a)'s \
         β-VAE), on the `default` subset's 46,080 images, not all 737,280 \
         (`docs/reference-checks/e-conv.md` trains β = 1 on \
         convolutions with AMSGrad at lr 5·10⁻⁴ instead); the anisotropic prior's spectrum is taken from our renderer's images, not \
         the released file's; reconstruction and KL are the last {TAIL} steps' means. The verdict's score is the dlib protocol (64 points a vote, 10,000 votes \
         to build the classifier, 5,000 new ones to score it, latents of global std below \
         0.05 left out); the reference's is in the column \"score, DD's protocol\" and the \
         checks above (its KL-pruned variant is defined but not called; it draws a vote's \
         points among distinct images of its test split, ours with replacement from the \
         subset's grid), both in the same Gaussian coordinates for the Student-t prior. Its script trains β = 1 only; the β = 4 runs follow the paper's \
         β sweep. The isotropic prior's \"score falls with β\" runs on (a)'s β-VAE runs and \
         is the reverse of (a)'s \"FactorVAE score at β = 4 above β = 1\": on the same \
         runs at most one of the two holds in the means, so (a) and (e) cannot both hold in \
         full.",
        thousands(rows[1][0].arm.steps)
    );
    md.push_str(&failures(rows.iter().flatten().map(|r| r.as_ref())));
    Ok(Section {
        markdown: md,
        summary: summary_row(Claim::E, "anisotropic and Student-t priors score above the isotropic one at the same β; the score falls with β", &checks),
    })
}
