//! The metrics themselves, computed from a finished job's codes: each request's numbers and
//! the protocol strings that say how they were taken.

use super::*;

impl MetricJob {
    /// Computes the metric from the encoded points.
    pub(super) fn finish(
        &mut self,
        trainer: &Trainer,
        progress: &mut dyn FnMut(MetricProgress),
    ) -> Result<MetricReport, String> {
        let means = self.matrix(&self.means)?;
        let logvars = self.matrix(&self.logvars)?;
        if !means
            .data
            .iter()
            .chain(&logvars.data)
            .all(|v| v.is_finite())
        {
            return Err(format!(
                "cannot measure the {}: the encoder gives non-finite codes",
                self.request.title()
            ));
        }
        let mut report = MetricReport {
            request: self.request,
            step: self.step,
            values: Vec::new(),
            mi: None,
            scatter: None,
        };
        let mut rng = Rng::derive(self.seed ^ self.step.rotate_left(29), 43);
        // The samples come from a stream of their own, so every metric's draws stay the same
        // whether or not it uses them.
        let samples = metrics::sample_posterior(
            &means,
            &logvars,
            &mut Rng::derive(self.seed ^ self.step.rotate_left(29), 44),
        );
        self.samples = samples.data.iter().map(|&v| v as f32).collect();
        match (&self.points, trainer.data_ref()) {
            (Points::Images(ids), DataSource::Images(img)) => {
                let factors = factor_matrix(&img.subset, ids)?;
                let varying = metrics::varying_factors(&img.subset.factor_sizes())?;
                match self.request {
                    MetricRequest::Periodic => {
                        dsprites_periodic(&mut report, &means, &factors)?;
                        // The whole-set TC that FactorVAE's discriminator estimates (lesson c).
                        decomposition(&mut report, &means, &logvars, &samples, &mut rng)?;
                    }
                    MetricRequest::FactorVae => {
                        let cfg = metrics::FactorVaeConfig::default();
                        let protocol = |s: &metrics::FactorVaeScore, codes: &str| {
                            format!(
                                "dlib: batch 64, 10,000 training / 5,000 evaluation votes, whole subset; {}; {codes}",
                                factors_text(&s.factors_used)
                            )
                        };
                        // Under a Student-t prior DD's code scores the means mapped onto N(0, 1)
                        // (heavy tails would inflate the global spread the votes divide by);
                        // the raw means' score is kept beside it, from the same votes.
                        let mut raw_rng = rng.clone();
                        let (headline, raw) = match self.prior.gaussianized(&means) {
                            Some(g) => (g, Some(means.clone())),
                            None => (means.clone(), None),
                        };
                        let mut table = FactorTable::new(headline, &factors)?;
                        let s = metrics::factor_vae_score(&mut table, &cfg, &mut rng)?;
                        report.values.push(value(
                            "factor_vae_score",
                            "FactorVAE score",
                            &protocol(
                                &s,
                                if raw.is_some() {
                                    "posterior means mapped onto N(0, 1) through the Student-t prior's quantiles, as DD's code"
                                } else {
                                    "posterior means"
                                },
                            ),
                            s.eval_accuracy,
                        ));
                        // DD's own protocol (its analyse.py) on the same coordinates, from a
                        // stream of its own so the dlib scores keep their draws: the claim of
                        // lesson (e) was published with it.
                        let dd = metrics::factor_vae_score(
                            &mut table,
                            &metrics::FactorVaeConfig::dd_reference(),
                            &mut Rng::derive(self.seed ^ self.step.rotate_left(29), 45),
                        )?;
                        report.values.push(value(
                            "factor_vae_score_dd",
                            "FactorVAE score (DD's protocol)",
                            &format!(
                                "DD's code: batch 1,000, 20,000 votes, scored on the votes it learnt from, no latent pruned, whole subset; {}; {}",
                                factors_text(&dd.factors_used),
                                if raw.is_some() { "the Gaussian coordinates above" } else { "posterior means" }
                            ),
                            dd.train_accuracy,
                        ));
                        if let Some(raw) = raw {
                            let mut table = FactorTable::new(raw, &factors)?;
                            let r = metrics::factor_vae_score(&mut table, &cfg, &mut raw_rng)?;
                            report.values.push(value(
                                "factor_vae_score_raw",
                                "FactorVAE score (raw means)",
                                &protocol(&r, "posterior means as the encoder gives them (Student-t coordinates)"),
                                r.eval_accuracy,
                            ));
                        }
                    }
                    MetricRequest::ChenMig => {
                        let chosen: Vec<usize> =
                            varying.iter().copied().filter(|&k| k != 0).collect();
                        let opts = ChenOptions {
                            seed: self.seed,
                            ..ChenOptions::default()
                        };
                        let mut on = |f: f32| {
                            progress(MetricProgress {
                                request: MetricRequest::ChenMig,
                                fraction: f,
                                stage: "estimating entropies".into(),
                            })
                        };
                        let m = metrics::mig_chen(
                            &means,
                            &logvars,
                            &samples,
                            &factors,
                            Some(&chosen),
                            &opts,
                            &mut on,
                        )?;
                        report.values.push(value(
                            "mig_chen",
                            "MIG (Chen)",
                            &format!(
                                "Chen: samples, Monte Carlo entropies, whole subset; {} (shape excluded, as Chen et al.)",
                                factors_text(&chosen)
                            ),
                            m.mig,
                        ));
                    }
                }
            }
            (Points::Rows(_), DataSource::Vector(v)) => {
                match &v.truth {
                    Truth::Classes(_) => {
                        let d = aggregate::kl_prior_to_aggregate(
                            &self.prior,
                            &means,
                            &logvars,
                            DIVERGENCE_SAMPLES,
                            &mut rng,
                        )?;
                        report.values.push(value(
                            "divergence_kl_p_q",
                            "D(q(z), p(z))",
                            &format!(
                                "KL(p ‖ q(z)), whole set, {DIVERGENCE_SAMPLES} samples of the {} prior",
                                self.prior.kind().key()
                            ),
                            d,
                        ));
                        if let Some(o) = self.prior.occupancy(&samples.data, self.latents) {
                            report.values.push(value(
                                "occupancy_entropy",
                                "occupancy entropy",
                                &format!(
                                    "entropy (nats) of the shares of one q(z) sample per point, whole set, nearest each of the prior's {} components: log 4 = 1.386 all four used evenly, log 2 = 0.693 two, 0 one",
                                    o.shares.len()
                                ),
                                o.entropy,
                            ));
                            report.values.push(value(
                                "occupancy_near",
                                "share near a component",
                                "share of the same samples within 2 component stds of their nearest component mean (samples of the prior: 0.865)",
                                o.near,
                            ));
                        }
                    }
                    Truth::Sources { s, dim, segment } => {
                        let sources = Matrix::from_vec(
                            s.len() / dim,
                            *dim,
                            s.iter().map(|&x| x as f64).collect(),
                        )?;
                        let m = metrics::mcc(&sources, &samples, CorrMethod::Pearson)?;
                        let on_means = metrics::mcc(&sources, &means, CorrMethod::Pearson)?;
                        let spearman = metrics::mcc(&sources, &samples, CorrMethod::Spearman)?;
                        report.values.extend([
                            value(
                                "mcc",
                                "MCC",
                                "|Pearson|, one z sampled from q(z|x,u) per point (as the reference), Hungarian matching, whole set",
                                m.mcc,
                            ),
                            value(
                                "mcc_means",
                                "MCC (means)",
                                "|Pearson|, posterior means, Hungarian matching, whole set",
                                on_means.mcc,
                            ),
                            value(
                                "mcc_spearman",
                                "MCC (Spearman)",
                                "|Spearman|, one z sampled per point, Hungarian matching, whole set",
                                spearman.mcc,
                            ),
                        ]);
                        report.scatter = Some(scatter(&sources, &samples, &m, segment, &mut rng));
                    }
                }
                decomposition(&mut report, &means, &logvars, &samples, &mut rng)?;
            }
            _ => return Err("the data set changed while a metric was being measured".into()),
        }
        if self.request == MetricRequest::Periodic {
            let active = metrics::active_units(&means, metrics::ACTIVE_UNIT_THRESHOLD)?;
            report.values.push(value(
                "active_units",
                "active units",
                "latents whose mean varies over the data (variance > 0.01)",
                active.iter().filter(|&&a| a).count() as f64,
            ));
        }
        Ok(report)
    }
}

fn value(key: &str, label: &str, protocol: &str, value: f64) -> MetricValue {
    MetricValue {
        key: key.into(),
        label: label.into(),
        protocol: protocol.into(),
        value,
    }
}

/// Factor classes of the points (N × 5).
fn factor_matrix(subset: &DspritesSubset, ids: &[usize]) -> Result<Matrix, String> {
    let data = ids
        .iter()
        .flat_map(|&i| subset.factors(i).classes().map(|c| c as f64))
        .collect();
    Matrix::from_vec(ids.len(), 5, data)
}

/// Names the factors a score used: "all 5 factors", or the list.
fn factors_text(used: &[usize]) -> String {
    if used.len() == FACTOR_NAMES.len() {
        "all 5 factors".into()
    } else {
        let names: Vec<&str> = used.iter().map(|&k| FACTOR_NAMES[k]).collect();
        format!("factors that vary: {}", names.join(", "))
    }
}

/// dlib MIG on the encoded means (the factors that vary in these points), with its MI
/// matrix.
fn dsprites_periodic(
    report: &mut MetricReport,
    means: &Matrix,
    factors: &Matrix,
) -> Result<(), String> {
    let m = metrics::mig_dlib(means, factors, metrics::DLIB_NUM_BINS)?;
    let protocol = format!(
        "dlib: means, 20 bins, 10,000 points; {}",
        factors_text(&m.factors_used)
    );
    report
        .values
        .push(value("mig_dlib", "MIG", &protocol, m.mig));
    report.mi = Some(MiMatrix {
        factors: m
            .factors_used
            .iter()
            .map(|&k| FACTOR_NAMES[k].to_string())
            .collect(),
        normalised: m
            .mutual_info_nats
            .iter()
            .map(|row| {
                row.iter()
                    .zip(&m.factor_entropy_nats)
                    .map(|(mi, h)| {
                        if *h > 0.0 {
                            (mi / h).clamp(0.0, 1.0)
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect(),
    });
    Ok(())
}

/// The KL term split into index-code MI, TC and dimension-wise KL (N(0, I) prior), on at most
/// [`DECOMPOSITION_POINTS`] random points.
fn decomposition(
    report: &mut MetricReport,
    means: &Matrix,
    logvars: &Matrix,
    samples: &Matrix,
    rng: &mut Rng,
) -> Result<(), String> {
    let n = means.rows;
    let (m, l, s, what) = if n > DECOMPOSITION_POINTS {
        let mut idx: Vec<usize> = (0..n).collect();
        rng.shuffle(&mut idx);
        idx.truncate(DECOMPOSITION_POINTS);
        (
            means.select_rows(&idx),
            logvars.select_rows(&idx),
            samples.select_rows(&idx),
            format!("{DECOMPOSITION_POINTS} random points"),
        )
    } else {
        (
            means.clone(),
            logvars.clone(),
            samples.clone(),
            "whole set".to_string(),
        )
    };
    let d = metrics::elbo_decomposition(&m, &l, &s, &ChenOptions::default(), &mut |_| {})?;
    let protocol = format!("Chen decomposition against N(0, I), {what}");
    report.values.extend([
        value("index_code_mi", "index-code MI", &protocol, d.index_code_mi),
        value(
            "total_correlation",
            "total correlation",
            &protocol,
            d.total_correlation,
        ),
        value("dimwise_kl", "dimension-wise KL", &protocol, d.dimwise_kl),
    ]);
    Ok(())
}

/// A few hundred (true source, matched latent) points per source.
fn scatter(
    sources: &Matrix,
    latents: &Matrix,
    m: &metrics::MccResult,
    segment: &[u32],
    rng: &mut Rng,
) -> SourceScatter {
    let mut idx: Vec<usize> = (0..sources.rows).collect();
    rng.shuffle(&mut idx);
    idx.truncate(SCATTER_POINTS);
    let pairs: Vec<(usize, usize, f64)> = m
        .matching_source_to_latent
        .iter()
        .map(|&[s, z]| (s, z, m.abs_correlation[s][z]))
        .collect();
    let points = pairs
        .iter()
        .map(|&(s, z, _)| {
            idx.iter()
                .map(|&i| (sources.get(i, s) as f32, latents.get(i, z) as f32))
                .collect()
        })
        .collect();
    SourceScatter {
        pairs,
        points,
        labels: idx.iter().map(|&i| segment[i]).collect(),
    }
}
