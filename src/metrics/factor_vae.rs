//! FactorVAE score, disentanglement_lib protocol (Kim & Mnih 2018; docs/methods.md §3.3).
//!
//! Source: google-research/disentanglement_lib `evaluation/metrics/factor_vae.py` with the
//! constants of its `factor_vae_metric.gin` (batch 64, 10,000 train / 5,000 eval votes,
//! 10,000 variance points, `prune_dims.threshold = 0.05`).
//! Disentangling Disentanglement's code scores with other sizes:
//! [`FactorVaeConfig::dd_reference`].

use super::factor_table::{sample_factors, CodeSource};
use crate::matrix::column_variances;
use crate::rng::Rng;
use serde::Serialize;

/// The protocol's sizes.
#[derive(Clone, Debug)]
pub struct FactorVaeConfig {
    /// Points per vote (all sharing one factor value).
    pub batch_size: usize,
    /// Votes the majority-vote classifier is built from.
    pub num_train: usize,
    /// Fresh votes it is scored on.
    pub num_eval: usize,
    /// Random points for the global per-dimension variance.
    pub num_variance_estimate: usize,
    /// Dimensions whose global std is below this are dropped.
    pub prune_threshold: f64,
}

impl Default for FactorVaeConfig {
    fn default() -> Self {
        Self {
            batch_size: 64,
            num_train: 10_000,
            num_eval: 5_000,
            num_variance_estimate: 10_000,
            prune_threshold: 0.05,
        }
    }
}

impl FactorVaeConfig {
    /// The protocol of Disentangling Disentanglement's code (`metrics.compute_disentanglement`,
    /// called by its `analyse.py`): 1,000 points a vote, 20,000 votes, no latent pruned; it
    /// reports the majority-vote classifier's accuracy on the votes it was built from
    /// ([`FactorVaeScore::train_accuracy`]), so there are no evaluation votes. Its global
    /// spread is the whole set's; here 50,000 random points of the grid stand for it, and a
    /// vote draws its points with replacement where the reference draws distinct ones.
    pub fn dd_reference() -> Self {
        Self {
            batch_size: 1_000,
            num_train: 20_000,
            num_eval: 0,
            num_variance_estimate: 50_000,
            prune_threshold: 0.0,
        }
    }
}

/// The FactorVAE score.
#[derive(Clone, Debug, Serialize)]
pub struct FactorVaeScore {
    /// Majority-vote accuracy on the training votes.
    pub train_accuracy: f64,
    /// Accuracy on the evaluation votes (the score; 0 when the protocol has none).
    pub eval_accuracy: f64,
    /// Code dimensions kept (global std ≥ threshold).
    pub active_dims: Vec<usize>,
    /// The factors that vary, the only ones a vote can fix.
    pub factors_used: Vec<usize>,
}

/// votes[k][d]: how often fixing factor k made active dim d the least (normalised) varying.
fn votes(
    src: &mut dyn CodeSource,
    cfg: &FactorVaeConfig,
    n: usize,
    gvar: &[f64],
    active: &[usize],
    rng: &mut Rng,
) -> Result<Vec<Vec<u64>>, String> {
    let sizes = src.factor_sizes().to_vec();
    let nf = sizes.len();
    // Only a factor that varies can be told apart by fixing it (with every factor varying,
    // the draws are dlib's).
    let varying = super::discrete::varying_factors(&sizes)?;
    let mut v = vec![vec![0u64; active.len()]; nf];
    for _ in 0..n {
        // Fix one random factor at the value of the first point of a random batch.
        let k = varying[rng.below(varying.len() as u64) as usize];
        let mut f = sample_factors(&sizes, cfg.batch_size, rng);
        let fixed = f[k];
        for row in f.chunks_mut(nf) {
            row[k] = fixed;
        }
        let codes = src.codes(&f)?;
        codes.check_finite("codes")?;
        // argmin over kept dims of Var_batch(z_d) (ddof 1) / Var_global(z_d); first on ties.
        let var = column_variances(&codes, 1);
        let mut best = (f64::INFINITY, 0);
        for (a, &d) in active.iter().enumerate() {
            let r = var[d] / gvar[d];
            if r < best.0 {
                best = (r, a);
            }
        }
        v[k][best.1] += 1;
    }
    Ok(v)
}

/// Σ_d votes[classifier(d)][d] / Σ votes, classifier(d) = argmax_k training votes[k][d].
fn accuracy(v: &[Vec<u64>], classifier: &[usize]) -> f64 {
    let total: u64 = v.iter().flatten().sum();
    let hit: u64 = classifier.iter().enumerate().map(|(d, &k)| v[k][d]).sum();
    hit as f64 / total.max(1) as f64
}

/// FactorVAE score of the codes `src` returns, all randomness from `rng`.
pub fn factor_vae_score(
    src: &mut dyn CodeSource,
    cfg: &FactorVaeConfig,
    rng: &mut Rng,
) -> Result<FactorVaeScore, String> {
    let sizes = src.factor_sizes().to_vec();
    if sizes.is_empty() || sizes.contains(&0) || cfg.batch_size < 2 {
        return Err(
            "FactorVAE score needs factors with at least one value and batches of ≥ 2".into(),
        );
    }
    let factors_used = super::discrete::varying_factors(&sizes)?;
    let f = sample_factors(&sizes, cfg.num_variance_estimate, rng);
    let codes = src.codes(&f)?;
    codes.check_finite("codes")?;
    let gvar = column_variances(&codes, 1);
    let active: Vec<usize> = (0..codes.cols)
        .filter(|&d| gvar[d].sqrt() >= cfg.prune_threshold && gvar[d] > 0.0)
        .collect();
    if active.is_empty() {
        return Ok(FactorVaeScore {
            train_accuracy: 0.0,
            eval_accuracy: 0.0,
            active_dims: active,
            factors_used,
        });
    }
    let train = votes(src, cfg, cfg.num_train, &gvar, &active, rng)?;
    // np.argmax over factors: the first factor with the most votes.
    let classifier: Vec<usize> = (0..active.len())
        .map(|d| (0..train.len()).fold(0, |b, k| if train[k][d] > train[b][d] { k } else { b }))
        .collect();
    let eval = votes(src, cfg, cfg.num_eval, &gvar, &active, rng)?;
    Ok(FactorVaeScore {
        train_accuracy: accuracy(&train, &classifier),
        eval_accuracy: accuracy(&eval, &classifier),
        active_dims: active,
        factors_used,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::golden;
    use crate::matrix::variance;
    use crate::metrics::{FactorTable, Matrix};

    pub(crate) fn table() -> FactorTable {
        let c = golden::matrix("table_codes.csv");
        let f = golden::matrix("table_factors.csv");
        FactorTable::new(c, &f).unwrap()
    }

    /// Mean and std (ddof 0) of `f(seed)` over seeds 0..20.
    pub(crate) fn over_seeds(mut f: impl FnMut(u64) -> f64) -> (f64, f64) {
        let v: Vec<f64> = (0..20).map(&mut f).collect();
        (crate::matrix::mean(&v), variance(&v, 0).sqrt())
    }

    #[test]
    fn golden_table_within_four_std() {
        let mut t = table();
        let e =
            &golden::expected()["factor_table"]["over_20_numpy_seeds"]["factorvae_eval_accuracy"];
        let (m, s) = (e["mean"].as_f64().unwrap(), e["std"].as_f64().unwrap());
        let cfg = FactorVaeConfig::default();
        let (mean, std) = over_seeds(|seed| {
            let r = factor_vae_score(&mut t, &cfg, &mut Rng::new(seed)).unwrap();
            assert!(
                (m - r.eval_accuracy).abs() <= 4.0 * s,
                "seed {seed}: {} vs {m} ± 4·{s}",
                r.eval_accuracy
            );
            r.eval_accuracy
        });
        println!("FactorVAE score over 20 seeds: {mean:.5} ± {std:.5} (golden {m:.5} ± {s:.5})");
    }

    #[test]
    fn perfect_and_collapsed_codes() {
        // Codes = factors (plus a constant dim): every vote is right, the constant is pruned.
        let sizes = [3usize, 4];
        let mut f = Vec::new();
        let mut c = Vec::new();
        for a in 0..3 {
            for b in 0..4 {
                f.extend([a as f64, b as f64]);
                c.extend([a as f64, 7.0, b as f64]);
            }
        }
        let fm = Matrix::from_vec(12, 2, f).unwrap();
        let mut t = FactorTable::new(Matrix::from_vec(12, 3, c.clone()).unwrap(), &fm).unwrap();
        assert_eq!(t.factor_sizes(), &sizes);
        let cfg = FactorVaeConfig {
            num_train: 500,
            num_eval: 300,
            ..Default::default()
        };
        let r = factor_vae_score(&mut t, &cfg, &mut Rng::new(1)).unwrap();
        assert_eq!((r.eval_accuracy, r.active_dims.clone()), (1.0, vec![0, 2]));
        let mut z = FactorTable::new(Matrix::zeros(12, 2), &fm).unwrap();
        assert_eq!(
            factor_vae_score(&mut z, &cfg, &mut Rng::new(1))
                .unwrap()
                .eval_accuracy,
            0.0
        );
    }

    /// DD's protocol keeps a latent that dlib prunes (global std below 0.05) and reports the
    /// training votes' accuracy: on codes that copy the factors, plus a nearly constant latent,
    /// every vote still picks the fixed factor's latent.
    #[test]
    fn dd_reference_keeps_every_latent_and_scores_its_training_votes() {
        let mut rng = Rng::new(3);
        let (mut f, mut c) = (Vec::new(), Vec::new());
        for a in 0..3 {
            for b in 0..4 {
                f.extend([a as f64, b as f64]);
                c.extend([a as f64, 0.01 * rng.normal(), b as f64]);
            }
        }
        let fm = Matrix::from_vec(12, 2, f).unwrap();
        let mut t = FactorTable::new(Matrix::from_vec(12, 3, c).unwrap(), &fm).unwrap();
        let cfg = FactorVaeConfig::dd_reference();
        let r = factor_vae_score(&mut t, &cfg, &mut Rng::new(1)).unwrap();
        assert_eq!(r.active_dims, vec![0, 1, 2]);
        assert_eq!((r.train_accuracy, r.eval_accuracy), (1.0, 0.0));
        let dlib = factor_vae_score(&mut t, &FactorVaeConfig::default(), &mut Rng::new(1));
        assert_eq!(dlib.unwrap().active_dims, vec![0, 2]);
    }

    /// The reference's loop written out directly (pick a factor and a value, draw the vote's
    /// points among the rows with that value, normalise by the global std, count the argmin;
    /// score Σ_d max_k V[d, k] / M) agrees with `dd_reference` on noisy codes of a small grid,
    /// up to the votes' sampling noise.
    #[test]
    fn dd_reference_matches_the_reference_loop_written_out() {
        let sizes = [3usize, 4, 5];
        let mut rng = Rng::new(11);
        let (mut f, mut c) = (Vec::new(), Vec::new());
        for a in 0..3 {
            for b in 0..4 {
                for e in 0..5 {
                    let row = [a as f64, b as f64, e as f64];
                    f.extend(row);
                    c.extend([
                        row[0] + 0.8 * rng.normal(),
                        row[1] + 0.8 * rng.normal(),
                        0.5 * row[2] + rng.normal(),
                        0.3 * rng.normal(),
                    ]);
                }
            }
        }
        let (n, d) = (60, 4);
        let fm = Matrix::from_vec(n, 3, f.clone()).unwrap();
        let codes = Matrix::from_vec(n, d, c.clone()).unwrap();
        let mut t = FactorTable::new(codes, &fm).unwrap();
        let cfg = FactorVaeConfig::dd_reference();
        let ours = factor_vae_score(&mut t, &cfg, &mut Rng::new(5))
            .unwrap()
            .train_accuracy;

        let col =
            |j: usize, rows: &[usize]| -> Vec<f64> { rows.iter().map(|&r| c[r * d + j]).collect() };
        let all: Vec<usize> = (0..n).collect();
        let gvar: Vec<f64> = (0..d).map(|j| variance(&col(j, &all), 1)).collect();
        let mut v = vec![[0u64; 3]; d];
        let mut rng = Rng::new(99);
        for _ in 0..cfg.num_train {
            let k = rng.below(3) as usize;
            let value = rng.below(sizes[k] as u64) as f64;
            let with: Vec<usize> = (0..n).filter(|&r| f[r * 3 + k] == value).collect();
            let pick: Vec<usize> = (0..cfg.batch_size)
                .map(|_| with[rng.below(with.len() as u64) as usize])
                .collect();
            let ratio = |j: usize| variance(&col(j, &pick), 1) / gvar[j];
            let best = (1..d).fold(0, |b, j| if ratio(j) < ratio(b) { j } else { b });
            v[best][k] += 1;
        }
        let brute =
            v.iter().map(|r| *r.iter().max().unwrap()).sum::<u64>() as f64 / cfg.num_train as f64;
        println!("DD's protocol: {ours:.4}, the reference's loop: {brute:.4}");
        assert!((0.4..0.95).contains(&brute), "a mid-range score: {brute}");
        assert!((ours - brute).abs() < 0.02, "{ours} vs {brute}");
    }
}
