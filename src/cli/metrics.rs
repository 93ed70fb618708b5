//! `disentangle-lab metrics …`: every metric on files (`.npy` or header-less `.csv`, chosen by
//! extension), printed as ONE JSON object on stdout with the field names of
//! `tests/golden/metrics/expected.json` plus `"protocol"`.

use super::CliResult;
use crate::io::read_matrix;
use crate::metrics::{self, ChenOptions, CorrMethod, FactorTable, Matrix, TcEstimator};
use crate::rng::Rng;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Correlation used by MCC.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum MethodArg {
    /// |Pearson| correlation.
    Pearson,
    /// |Spearman| rank correlation.
    Spearman,
}

/// Minibatch estimator of log q(z).
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum EstimatorArg {
    /// Minibatch-weighted sampling.
    Mws,
    /// Minibatch-stratified sampling (intended weights).
    Mss,
    /// MSS with upstream beta-tcvae's weight matrix (reference only).
    MssOriginal,
}

/// The `metrics` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum MetricsCmd {
    /// MIG, disentanglement_lib protocol (20 equal-width bins of the codes, nats).
    Mig {
        /// Codes (encoder means), points × codes.
        #[arg(long)]
        codes: PathBuf,
        /// Factor classes, points × factors.
        #[arg(long)]
        factors: PathBuf,
    },
    /// MIG, Chen et al. protocol (one posterior sample per point).
    MigChen {
        /// Posterior means, points × latents.
        #[arg(long)]
        means: PathBuf,
        /// Posterior natural-log variances, points × latents.
        #[arg(long)]
        logvars: PathBuf,
        /// One sample z ~ q(z|x) per point, points × latents.
        #[arg(long)]
        samples: PathBuf,
        /// Factor classes, points × factors.
        #[arg(long)]
        factors: PathBuf,
        /// Factor columns to use, e.g. 1,2,3,4 (dSprites without shape); default all.
        #[arg(long, value_delimiter = ',')]
        factor_subset: Option<Vec<usize>>,
    },
    /// FactorVAE score, disentanglement_lib protocol (rows must form a complete factor grid).
    FactorVae {
        /// Codes (encoder means), one row per grid cell.
        #[arg(long)]
        codes: PathBuf,
        /// Factor classes of each row.
        #[arg(long)]
        factors: PathBuf,
        /// Seed of the protocol's random draws.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// β-VAE score, disentanglement_lib protocol (rows must form a complete factor grid).
    BetaVae {
        /// Codes (encoder means), one row per grid cell.
        #[arg(long)]
        codes: PathBuf,
        /// Factor classes of each row.
        #[arg(long)]
        factors: PathBuf,
        /// Seed of the protocol's random draws.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Mean correlation coefficient with Hungarian matching.
    Mcc {
        /// True sources, points × sources.
        #[arg(long)]
        sources: PathBuf,
        /// Latents, points × latents.
        #[arg(long)]
        latents: PathBuf,
        /// Correlation to match on.
        #[arg(long, value_enum, default_value_t = MethodArg::Pearson)]
        method: MethodArg,
    },
    /// Full-set ELBO decomposition (index-code MI, TC, dimension-wise KL) for a N(0, I) prior.
    Decomposition {
        /// Posterior means, points × latents.
        #[arg(long)]
        means: PathBuf,
        /// Posterior natural-log variances.
        #[arg(long)]
        logvars: PathBuf,
        /// One sample per point; drawn with `--seed` when absent.
        #[arg(long)]
        samples: Option<PathBuf>,
        /// Seed for drawing samples and subsampling.
        #[arg(long, default_value_t = 0)]
        seed: u64,
    },
    /// Minibatch TC estimators on one batch.
    Tc {
        /// Samples z_i, batch × latents.
        #[arg(long)]
        samples: PathBuf,
        /// Posterior means of the batch.
        #[arg(long)]
        means: PathBuf,
        /// Posterior natural-log variances of the batch.
        #[arg(long)]
        logvars: PathBuf,
        /// Size N of the data set the batch came from.
        #[arg(long)]
        dataset_size: usize,
        /// Estimator of log q(z).
        #[arg(long, value_enum)]
        estimator: EstimatorArg,
    },
}

fn load(p: &Path) -> Result<Matrix, String> {
    read_matrix(p)
}

fn first4(v: &[f64]) -> Vec<f64> {
    v.iter().take(4).copied().collect()
}

/// Merges `protocol` into a serialised result object.
fn with_protocol<T: serde::Serialize>(r: &T, protocol: &str) -> Result<Value, String> {
    let mut v = serde_json::to_value(r).map_err(|e| e.to_string())?;
    if let Value::Object(m) = &mut v {
        m.insert("protocol".into(), Value::String(protocol.into()));
    }
    Ok(v)
}

/// Runs one subcommand and returns the JSON object it prints.
pub fn metrics_json(cmd: &MetricsCmd) -> Result<Value, String> {
    match cmd {
        MetricsCmd::Mig { codes, factors } => {
            let r = metrics::mig_dlib(&load(codes)?, &load(factors)?, metrics::DLIB_NUM_BINS)?;
            with_protocol(&r, "MIG, disentanglement_lib: codes = given rows, 20 equal-width bins per code, plug-in MI in nats, gap / H(v_k)")
        }
        MetricsCmd::MigChen {
            means,
            logvars,
            samples,
            factors,
            factor_subset,
        } => {
            let (m, l, z, f) = (load(means)?, load(logvars)?, load(samples)?, load(factors)?);
            let r = metrics::mig_chen(
                &m,
                &l,
                &z,
                &f,
                factor_subset.as_deref(),
                &ChenOptions::default(),
                &mut |_| {},
            )?;
            with_protocol(&r, "MIG, Chen et al. (beta-tcvae): one sample per point, <= 10,000 samples per entropy, H(z_j|v_k) frequency-weighted, MI clamped at 0, gap / log(#values)")
        }
        MetricsCmd::FactorVae {
            codes,
            factors,
            seed,
        } => {
            let mut t = FactorTable::new(load(codes)?, &load(factors)?)?;
            let r = metrics::factor_vae_score(
                &mut t,
                &metrics::FactorVaeConfig::default(),
                &mut Rng::new(*seed),
            )?;
            let mut v = with_protocol(&r, "FactorVAE score, disentanglement_lib: batch 64, 10,000 train / 5,000 eval votes, 10,000 variance points, prune std < 0.05")?;
            v["factorvae_eval_accuracy"] = json!(r.eval_accuracy);
            Ok(v)
        }
        MetricsCmd::BetaVae {
            codes,
            factors,
            seed,
        } => {
            let mut t = FactorTable::new(load(codes)?, &load(factors)?)?;
            let r = metrics::beta_vae_score(
                &mut t,
                &metrics::BetaVaeConfig::default(),
                &mut Rng::new(*seed),
            )?;
            let mut v = with_protocol(&r, "beta-VAE score, disentanglement_lib: batch 64, 10,000 train / 5,000 eval, multinomial logistic regression (L2, C = 1)")?;
            v["betavae_eval_accuracy"] = json!(r.eval_accuracy);
            Ok(v)
        }
        MetricsCmd::Mcc {
            sources,
            latents,
            method,
        } => {
            let m = match method {
                MethodArg::Pearson => CorrMethod::Pearson,
                MethodArg::Spearman => CorrMethod::Spearman,
            };
            let r = metrics::mcc(&load(sources)?, &load(latents)?, m)?;
            let name = if m == CorrMethod::Pearson {
                "Pearson"
            } else {
                "Spearman"
            };
            with_protocol(&r, &format!("MCC (iVAE): |{name}| correlation, Hungarian matching maximising the total, mean of matched"))
        }
        MetricsCmd::Decomposition {
            means,
            logvars,
            samples,
            seed,
        } => {
            let (m, l) = (load(means)?, load(logvars)?);
            let z = match samples {
                Some(p) => load(p)?,
                None => metrics::sample_posterior(&m, &l, &mut Rng::new(*seed)),
            };
            let opts = ChenOptions {
                seed: *seed,
                ..ChenOptions::default()
            };
            let r = metrics::elbo_decomposition(&m, &l, &z, &opts, &mut |_| {})?;
            with_protocol(&r, "ELBO decomposition over the whole set (Chen et al.), prior N(0, I), entropies by the Chen estimator (<= 10,000 samples)")
        }
        MetricsCmd::Tc {
            samples,
            means,
            logvars,
            dataset_size,
            estimator,
        } => {
            let est = match estimator {
                EstimatorArg::Mws => TcEstimator::Mws,
                EstimatorArg::Mss => TcEstimator::Mss,
                EstimatorArg::MssOriginal => TcEstimator::MssOriginal,
            };
            let r = metrics::minibatch_tc(
                &load(samples)?,
                &load(means)?,
                &load(logvars)?,
                *dataset_size,
                est,
            )?;
            let mut v = with_protocol(&r, &format!("minibatch {} estimator, one batch, prior N(0, I); MWS and MSS values are not comparable", est.name()))?;
            v["log_qz_first_4"] = json!(first4(&r.log_qz));
            v["log_prod_qzj_first_4"] = json!(first4(&r.log_prod_qzj));
            v["estimator"] = json!(est.name());
            Ok(v)
        }
    }
}

/// Runs a `metrics` subcommand, printing its JSON object on stdout.
pub fn run_metrics(cmd: MetricsCmd) -> CliResult {
    let v = metrics_json(&cmd)?;
    println!("{v}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::golden;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: MetricsCmd,
    }

    /// Parses a command line (file names resolved in the golden directory) and runs it.
    fn run(args: &str) -> Result<Value, String> {
        let mut argv = vec!["metrics".to_string()];
        for a in args.split_whitespace() {
            argv.push(if a.ends_with(".csv") {
                golden::metrics_file(a).display().to_string()
            } else {
                a.to_string()
            });
        }
        let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
        metrics_json(&cli.cmd)
    }

    fn close(a: &Value, b: &Value) {
        let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
        assert!((a - b).abs() <= 1e-6 * b.abs().max(1e-6), "{a} vs {b}");
    }

    #[test]
    fn golden_through_the_cli() {
        let e = golden::expected();
        let v = run("mig --codes mig_codes.csv --factors mig_factors.csv").unwrap();
        close(&v["mig"], &e["mig_dlib"]["mig"]);
        close(
            &v["mutual_info_nats"][2][0],
            &e["mig_dlib"]["mutual_info_nats"][2][0],
        );
        assert!(v["protocol"]
            .as_str()
            .unwrap()
            .contains("disentanglement_lib"));
        let chen = "--means chen_means.csv --logvars chen_logvars.csv --samples chen_z.csv";
        let v = run(&format!("mig-chen {chen} --factors chen_factors.csv")).unwrap();
        close(&v["mig"], &e["mig_chen"]["mig"]);
        close(
            &v["cond_entropies"][2][3],
            &e["mig_chen"]["cond_entropies"][2][3],
        );
        let v = run(&format!(
            "mig-chen {chen} --factors chen_factors.csv --factor-subset 1,2"
        ))
        .unwrap();
        close(&v["mig"], &e["mig_chen_factor_subset_1_2"]["mig"]);
        let v = run(&format!("decomposition {chen}")).unwrap();
        close(
            &v["total_correlation"],
            &e["elbo_decomposition"]["total_correlation"],
        );
        let v = run("mcc --sources mcc_sources.csv --latents mcc_latents.csv --method spearman")
            .unwrap();
        close(&v["mcc"], &e["mcc"]["spearman"]["mcc"]);
        assert_eq!(
            v["matching_source_to_latent"],
            e["mcc"]["spearman"]["matching_source_to_latent"]
        );
        for est in ["mws", "mss"] {
            let v = run(&format!("tc --samples tc_z.csv --means tc_means.csv --logvars tc_logvars.csv --dataset-size 5000 --estimator {est}")).unwrap();
            close(
                &v["total_correlation"],
                &e["minibatch_tc"][est]["total_correlation"],
            );
            close(
                &v["log_qz_first_4"][3],
                &e["minibatch_tc"][est]["log_qz_first_4"][3],
            );
        }
        let v =
            run("factor-vae --codes table_codes.csv --factors table_factors.csv --seed 1").unwrap();
        assert!(v["factorvae_eval_accuracy"].as_f64().unwrap() > 0.45);
    }

    #[test]
    fn bad_inputs_are_errors_not_panics() {
        let e = run("mig --codes mig_codes.csv --factors chen_factors.csv").unwrap_err();
        assert!(e.contains("rows"), "{e}");
        let e = run("mig --codes nope.csv --factors mig_factors.csv").unwrap_err();
        assert!(e.contains("nope.csv"), "{e}");
        let e = run("factor-vae --codes mig_codes.csv --factors mig_factors.csv").unwrap_err();
        assert!(
            e.contains("grid") || e.contains("same factor classes"),
            "{e}"
        );
        assert!(run("decomposition --means chen_means.csv --logvars tc_logvars.csv").is_err());
        // Without samples the decomposition draws its own, from the seed: the analytic KL does
        // not depend on them (the golden value), the Monte Carlo entropies do.
        let own = "decomposition --means chen_means.csv --logvars chen_logvars.csv --seed";
        let (a, b, c) = (
            run(&format!("{own} 3")).unwrap(),
            run(&format!("{own} 3")).unwrap(),
            run(&format!("{own} 4")).unwrap(),
        );
        close(
            &a["kl_analytic"],
            &golden::expected()["elbo_decomposition"]["kl_analytic"],
        );
        assert_eq!(a, b);
        assert_ne!(a["joint_entropy"], c["joint_entropy"]);
    }
}
