//! Claim (d), Disentangling Disentanglement on the pinwheel with the 4-component mixture prior
//! (Mathieu et al. 2019): raising β at fixed α pulls q(z) away from the four-Gaussian prior,
//! towards two clusters; raising α at fixed β keeps q(z) on the four Gaussians. Measured by
//! occupancy: the entropy of the shares of q(z) samples nearest each component.

use std::fmt::Write as _;
use std::rc::Rc;

use super::runs::{ArmResults, TAIL};
use super::table::{figure_and_checks, mean, pm, seeds_text, summary_row, Align, Check, Table};
use super::{failures, Claim, Ctx, Section};
use crate::cli::plot::{self, SeedSeries};
use crate::objective::priors::Prior;
use crate::objective::TermName;
use crate::train::evaluate::GroundTruth;

/// Seeds of (d) at least: its runs take seconds, and the reference counts clusters per seed.
pub const MIN_SEEDS: u64 = 10;

/// The β sweep at α = 0 (β = 1 is the lesson's run A).
fn betas(quick: bool) -> Vec<f64> {
    if quick {
        vec![0.01, 1.0]
    } else {
        vec![0.01, 0.1, 0.5, 1.0, 2.0]
    }
}

/// Writes claim (d)'s section and plot.
pub fn section(ctx: &mut Ctx) -> Result<Section, String> {
    let seeds = if ctx.quick {
        ctx.seeds
    } else {
        ctx.seeds.max(MIN_SEEDS)
    };
    let get = |ctx: &mut Ctx, name: String, alpha: f64, beta: f64| {
        let arm = ctx.arm(Claim::D, &name, |c| {
            c.weights.alpha = alpha;
            c.weights.beta = beta;
        });
        ctx.runs.get(arm, seeds)
    };
    let alpha_run = get(ctx, "β = 0, α = 1".into(), 1.0, 0.0);
    let sweep: Vec<Rc<ArmResults>> = betas(ctx.quick)
        .into_iter()
        .map(|b| get(ctx, format!("β = {b}, α = 0"), 0.0, b))
        .collect();
    let beta_run = sweep
        .iter()
        .find(|r| r.arm.config.weights.beta == 1.0)
        .cloned()
        .ok_or("the sweep holds β = 1")?;
    let config = &alpha_run.arm.config;
    let mut md = String::new();
    md.push_str("## (d) Disentangling Disentanglement on the pinwheel (mixture prior)\n\n");
    let _ = writeln!(
        md,
        "Settings (lesson `dd-pinwheel` on the pinwheel defaults, which follow the reference's \
         `clustering.sh`): Adams' `pinwheel.m` data as the reference calls it (0.1, 0.3, 4 arms \
         × 100, rate 0.25), MLPs {:?} ({}), encoder σ = softplus(·) + 10⁻⁶, a per-point \
         likelihood std from a softplus decoder head, {} latents, the 4-component mixture prior \
         (means (0, ±1), (±1, 0), variance 0.03), D = KL(p ‖ q(z)) with {} prior samples per \
         step, full batch, {} at lr {}, {} steps (the reference's 500 epochs), {seeds} seeds. \
         The β term is the correct Monte Carlo KL log q(z|x) − log p(z), not the released \
         code's log q − 2·log p (its mixture log-density broadcasts over the 2 latent \
         dimensions).\n\n\
         Measured on the whole set after training, one z ~ q(z|x) per point: the **occupancy \
         entropy** (the entropy of the shares of samples nearest each component: log 4 = 1.386 \
         all four used evenly, log 2 = 0.693 two, 0 one), the **share near a component** (of \
         samples within 2 component stds of their nearest mean; samples of the prior itself \
         score 1 − e⁻² = 0.865), D(q(z), p(z)) = KL(p ‖ q(z)) with 4,000 prior samples, the \
         reconstruction (last {TAIL} steps) and the mean posterior σ.\n",
        config.hidden,
        config.activation.label(),
        config.latents,
        config.batch,
        config.optimizer.label(),
        config.lr,
        alpha_run.arm.steps,
    );
    let mut t = Table::new(&[
        ("objective", Align::Left),
        ("occupancy entropy", Align::Right),
        ("entropy per seed", Align::Left),
        ("share near a component", Align::Right),
        ("share per seed", Align::Left),
        ("D(q(z), p(z))", Align::Right),
        ("reconstruction (nats)", Align::Right),
        ("σ of q(z|x)", Align::Right),
        ("s / run", Align::Right),
    ]);
    let prior = config.prior.clone();
    for r in std::iter::once(&alpha_run).chain(&sweep) {
        t.row(vec![
            r.arm.name.clone(),
            pm(&r.metric("occupancy_entropy")),
            seeds_text(&r.metric("occupancy_entropy")),
            pm(&r.metric("occupancy_near")),
            seeds_text(&r.metric("occupancy_near")),
            pm(&r.metric("divergence_kl_p_q")),
            pm(&r.tail(TermName::Recon)),
            pm(&r.per_seed(|x| x.sigma)),
            format!("{:.1}", mean(&r.per_seed(|x| x.seconds))),
        ]);
    }
    md.push_str(&t.markdown());
    let first_beta = &sweep[0];
    let checks = vec![
        Check::threshold(
            "(β = 0, α = 1): occupancy entropy ≥ 1.3",
            &alpha_run.metric("occupancy_entropy"),
            1.3,
            |a, b| a >= b,
        ),
        Check::threshold(
            "(β = 1, α = 0): occupancy entropy ≤ 1.0",
            &beta_run.metric("occupancy_entropy"),
            1.0,
            |a, b| a <= b,
        ),
        Check::compare(
            format!(
                "raising β from {} to 1 at α = 0 lowers the entropy",
                first_beta.arm.config.weights.beta
            ),
            &beta_run.metric("occupancy_entropy"),
            &first_beta.metric("occupancy_entropy"),
            |a, b| a < b,
        ),
    ];
    let circles: Vec<(f64, f64, f64)> = match &prior {
        Prior::Mixture { means, std } => means
            .iter()
            .flat_map(|m| [(m[0], m[1], *std), (m[0], m[1], 2.0 * std)])
            .collect(),
        _ => vec![],
    };
    // The scatters show a typical seed, not seed 0 whatever it shows.
    let shown = median_seed(&beta_run.metric("occupancy_entropy")).unwrap_or(0);
    let scatter_points = |r: &ArmResults| -> Vec<(f64, f64, u32)> {
        match r.codes(shown) {
            Some((codes, GroundTruth::Classes(c))) => codes
                .samples
                .chunks(codes.latents)
                .zip(c)
                .map(|(z, &arm)| (f64::from(z[0]), f64::from(z[1]), arm))
                .collect(),
            _ => vec![],
        }
    };
    let sweep_series = |key: &'static str| {
        vec![SeedSeries {
            label: "α = 0".into(),
            points: sweep
                .iter()
                .map(|r| (r.arm.config.weights.beta.log10(), r.metric(key)))
                .collect(),
        }]
    };
    let png = ctx.png(Claim::D);
    plot::write_png(&png, (1400, 1000), |root| {
        let p = root.split_evenly((2, 2));
        for (i, r) in [&beta_run, &alpha_run].into_iter().enumerate() {
            plot::scatter(
                &p[i],
                &format!(
                    "q(z) samples, {}, seed {shown} (rings: prior 1σ, 2σ)",
                    r.arm.name
                ),
                &scatter_points(r),
                &circles,
                2.5,
            )?;
        }
        plot::seeds_chart(
            &p[2],
            "(d) occupancy entropy vs β at α = 0",
            ("log10 β", "nats (log 4 = 1.386, log 2 = 0.693)"),
            None,
            &sweep_series("occupancy_entropy"),
            None,
        )?;
        plot::seeds_chart(
            &p[3],
            "(d) share of samples near a component vs β",
            ("log10 β", "share (prior: 0.865)"),
            None,
            &sweep_series("occupancy_near"),
            None,
        )
    })?;
    let _ = writeln!(
        md,
        "\nThe scatters show seed {shown}, whose occupancy entropy at (β = 1, α = 0) is the \
         median over the seeds (the lower one of an even count), both objectives from that seed."
    );
    figure_and_checks(
        &mut md,
        Claim::D,
        "q(z) of both objectives, and occupancy against β",
        &png,
        &checks,
    );
    md.push_str(D_NOTES);
    md.push_str(&failures(
        std::iter::once(alpha_run.as_ref()).chain(sweep.iter().map(|r| r.as_ref())),
    ));
    Ok(Section {
        markdown: md,
        summary: summary_row(Claim::D, "pinwheel, mixture prior: occupancy entropy ≥ 1.3 for (β = 0, α = 1), ≤ 1.0 for (β = 1, α = 0), falling as β rises at α = 0", &checks),
    })
}

/// What to read into (d)'s numbers, and how the setup differs from the reference.
const D_NOTES: &str = "\n\
Reading the numbers: an occupancy entropy of log 4 does not by itself mean four clusters. \
One broad blob that covers all four components also spreads its samples evenly over them; the \
share near a component tells the two apart (four tight clusters on the prior score about \
0.87, a blob or a ring much less), and so does D: KL(p ‖ q) from the mixture to the single \
Gaussian with its moments is 1.49 nats. Large β (2 here) collapses every q(z|x) onto one broad \
Gaussian (σ ≈ 0.6, reconstruction far worse), which scores log 4 for that reason; small β \
leaves narrow posteriors whose D explodes whatever the cluster structure, as the reference \
found. The claim's sweep is therefore read from β = 0.01 to β = 1, the range of the paper's \
pinwheel figures. Read per seed (entropy and share side by side), a (β = 1, α = 0) run that \
does not split into two clusters either stays one blob (a low share) or sits tightly on three \
or four of the components (a share near the prior's): there β alone fits the prior better \
than α does, the opposite of the claim, in a minority of seeds. The (β = 0, α = 1) runs use \
all four components in every seed, but spread along the data's arms rather than as tight clusters (shares far below the \
prior's, D near the 1.49 of a single moment-matched Gaussian).\n\n\
How this differs from the reference (iffsid/disentangling-disentanglement, \
`clustering.sh`): the KL term is corrected (see above); the model, optimiser, data and prior \
follow its code (PyTorch's default initialisation is burn's); its `.mat` data set is drawn \
once, ours per seed from the same distribution (the MATLAB code scales the radius by its \
second argument, so `pinwheel(0.1, 0.3, …)` has radius std 0.3 and tangential std 0.1, the \
same distribution as Adams' Python generator); it sums the loss over the batch where we \
average (Adam's steps do not depend on the scale). With the corrected KL the issue's run of \
the reference found (β = 1, α = 0) at two clusters in 4 of 5 seeds (entropy 0.73–0.75) and \
(β = 0, α = 1) at log 4 in 6 of 7 with D ≈ 1.4.\n";

/// The seed whose value is the median of `values` (the lower of the two middle ones for an
/// even count), equal values in seed order; values that are not finite (failed runs) are left out.
fn median_seed(values: &[f64]) -> Option<usize> {
    let mut seeds: Vec<usize> = (0..values.len())
        .filter(|&i| values[i].is_finite())
        .collect();
    seeds.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
    seeds.get(seeds.len().checked_sub(1)? / 2).copied()
}

#[cfg(test)]
mod tests {
    use super::median_seed;

    #[test]
    fn the_median_seed_is_the_lower_middle_one_of_the_finite_values() {
        assert_eq!(median_seed(&[]), None);
        assert_eq!(median_seed(&[f64::NAN]), None);
        assert_eq!(median_seed(&[0.5]), Some(0));
        // 1.39, 0.75, 1.07, 0.74: sorted 0.74 (3), 0.75 (1), 1.07 (2), 1.39 (0).
        assert_eq!(median_seed(&[1.39, 0.75, 1.07, 0.74]), Some(1));
        assert_eq!(median_seed(&[1.0, f64::NAN, 0.2, 0.9, 0.3]), Some(4));
        // Equal values are ordered by seed: 0.7 (1), 0.7 (2), 0.9 (0).
        assert_eq!(median_seed(&[0.9, 0.7, 0.7]), Some(2));
        assert_eq!(median_seed(&[0.7, 0.7]), Some(0));
    }
}
