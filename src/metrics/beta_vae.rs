//! β-VAE score, disentanglement_lib protocol (Higgins et al. 2017; docs/methods.md §3.4): a
//! feature is mean |z(x1) − z(x2)| over two 64-point batches sharing one factor; a linear
//! (softmax) classifier predicts that factor. Source: google-research/disentanglement_lib
//! `evaluation/metrics/beta_vae.py` and `beta_vae_sklearn_metric.gin` (64, 10,000 / 5,000).

use super::factor_table::{sample_factors, CodeSource};
use super::logreg::SoftmaxRegression;
use crate::matrix::Matrix;
use crate::rng::Rng;
use serde::Serialize;

/// The protocol's sizes.
#[derive(Clone, Debug)]
pub struct BetaVaeConfig {
    /// Points per batch (two batches per feature).
    pub batch_size: usize,
    /// Training features.
    pub num_train: usize,
    /// Held-out features.
    pub num_eval: usize,
}

impl Default for BetaVaeConfig {
    fn default() -> Self {
        Self {
            batch_size: 64,
            num_train: 10_000,
            num_eval: 5_000,
        }
    }
}

/// The β-VAE score.
#[derive(Clone, Debug, Serialize)]
pub struct BetaVaeScore {
    /// Classifier accuracy on its training features.
    pub train_accuracy: f64,
    /// Accuracy on held-out features (the score).
    pub eval_accuracy: f64,
}

/// `n` features (n × D) with their fixed-factor labels.
fn features(
    src: &mut dyn CodeSource,
    bs: usize,
    n: usize,
    rng: &mut Rng,
) -> Result<(Matrix, Vec<usize>), String> {
    let sizes = src.factor_sizes().to_vec();
    let nf = sizes.len();
    // Only a factor that varies can be told apart by fixing it (with every factor varying,
    // the draws are dlib's).
    let varying = super::discrete::varying_factors(&sizes)?;
    let mut data = Vec::new();
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let k = varying[rng.below(varying.len() as u64) as usize];
        let f1 = sample_factors(&sizes, bs, rng);
        let mut f2 = sample_factors(&sizes, bs, rng);
        for (r2, r1) in f2.chunks_mut(nf).zip(f1.chunks(nf)) {
            r2[k] = r1[k];
        }
        let (c1, c2) = (src.codes(&f1)?, src.codes(&f2)?);
        c1.check_finite("codes")?;
        c2.check_finite("codes")?;
        // feature_d = mean_b |z1_bd − z2_bd|
        let mut feat = vec![0.0; c1.cols];
        for (i, (a, b)) in c1.data.iter().zip(&c2.data).enumerate() {
            feat[i % c1.cols] += (a - b).abs() / bs as f64;
        }
        data.extend(feat);
        labels.push(k);
    }
    let cols = data.len() / n.max(1);
    Ok((Matrix::from_vec(n, cols, data)?, labels))
}

/// β-VAE score of the codes `src` returns, all randomness from `rng`.
pub fn beta_vae_score(
    src: &mut dyn CodeSource,
    cfg: &BetaVaeConfig,
    rng: &mut Rng,
) -> Result<BetaVaeScore, String> {
    if src.factor_sizes().is_empty()
        || cfg.batch_size == 0
        || cfg.num_train == 0
        || cfg.num_eval == 0
    {
        return Err("β-VAE score needs factors, a batch size and train/eval sizes > 0".into());
    }
    let (xt, yt) = features(src, cfg.batch_size, cfg.num_train, rng)?;
    let model = SoftmaxRegression::fit(&xt, &yt, 1.0)?;
    let (xe, ye) = features(src, cfg.batch_size, cfg.num_eval, rng)?;
    Ok(BetaVaeScore {
        train_accuracy: model.accuracy(&xt, &yt),
        eval_accuracy: model.accuracy(&xe, &ye),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::golden;
    use crate::metrics::factor_vae::tests::{over_seeds, table};

    #[test]
    fn golden_table_within_four_std() {
        let mut t = table();
        let e = &golden::expected()["factor_table"]["over_20_numpy_seeds"]["betavae_eval_accuracy"];
        let (m, s) = (e["mean"].as_f64().unwrap(), e["std"].as_f64().unwrap());
        let cfg = BetaVaeConfig::default();
        let (mean, std) = over_seeds(|seed| {
            let r = beta_vae_score(&mut t, &cfg, &mut Rng::new(seed)).unwrap();
            assert!(
                (m - r.eval_accuracy).abs() <= 4.0 * s,
                "seed {seed}: {} vs {m} ± 4·{s}",
                r.eval_accuracy
            );
            r.eval_accuracy
        });
        println!("β-VAE score over 20 seeds: {mean:.5} ± {std:.5} (golden {m:.5} ± {s:.5})");
    }
}
