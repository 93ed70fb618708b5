//! Active units (Burda et al. 2016, "Importance Weighted Autoencoders" §5.2) and the whole
//! metric set of a dSprites run.

use super::beta_vae::{beta_vae_score, BetaVaeConfig, BetaVaeScore};
use super::chen::{elbo_decomposition, mig_chen, sample_posterior, ChenMig, ElboDecomposition};
use super::discrete::{mig_sampled, MigResult, DLIB_MIG_NUM_TRAIN, DLIB_NUM_BINS};
use super::entropy::ChenOptions;
use super::factor_table::FactorTable;
use super::factor_vae::{factor_vae_score, FactorVaeConfig, FactorVaeScore};
use crate::matrix::{column_variances, Matrix};
use crate::rng::Rng;
use serde::Serialize;

/// A unit is active when Var_x[μ_j(x)] exceeds this (Burda et al. 2016 use 10⁻²).
pub const ACTIVE_UNIT_THRESHOLD: f64 = 0.01;

/// Whether each latent is active: Var_x[μ_j(x)] (ddof 0) > `threshold`.
pub fn active_units(means: &Matrix, threshold: f64) -> Result<Vec<bool>, String> {
    means.check_finite("means")?;
    Ok(column_variances(means, 0)
        .into_iter()
        .map(|v| v > threshold)
        .collect())
}

/// Every metric a dSprites (sub)set run reports, each under its protocol.
#[derive(Clone, Debug, Serialize)]
pub struct DspritesMetricSet {
    /// Number of active units.
    pub active_units: usize,
    /// Which latents are active.
    pub active: Vec<bool>,
    /// MIG, dlib protocol (10,000 points sampled with replacement, 20 bins, means).
    pub mig_dlib: MigResult,
    /// MIG, Chen protocol (one sample per point; shape and single-valued factors excluded).
    pub mig_chen: ChenMig,
    /// FactorVAE score, dlib protocol.
    pub factor_vae: FactorVaeScore,
    /// β-VAE score, dlib protocol.
    pub beta_vae: BetaVaeScore,
    /// Full-set ELBO decomposition (Chen estimator).
    pub decomposition: ElboDecomposition,
}

/// Computes [`DspritesMetricSet`] from encoder means/log-variances (N × K) over a complete
/// factor grid `factors` (N × F; with 5 columns the first, shape, is left out of Chen MIG as
/// beta-tcvae does). `progress` gets the fraction done.
pub fn dsprites_metric_set(
    means: &Matrix,
    logvars: &Matrix,
    factors: &Matrix,
    seed: u64,
    progress: &mut dyn FnMut(f32),
) -> Result<DspritesMetricSet, String> {
    let active = active_units(means, ACTIVE_UNIT_THRESHOLD)?;
    let mut table = FactorTable::new(means.clone(), factors)?;
    let mut rng = Rng::derive(seed, 0x6d65_7472);
    let samples = sample_posterior(means, logvars, &mut rng);
    let skip_shape = factors.cols == 5;
    let subset: Vec<usize> = (0..factors.cols)
        .filter(|&k| !(skip_shape && k == 0) && table.factor_values(k).len() > 1)
        .collect();
    let opts = ChenOptions {
        seed,
        ..ChenOptions::default()
    };
    let mig_chen = if subset.is_empty() {
        return Err("no factor with more than one value for Chen MIG".into());
    } else {
        mig_chen(
            means,
            logvars,
            &samples,
            factors,
            Some(&subset),
            &opts,
            &mut |f| progress(0.5 * f),
        )?
    };
    let decomposition = elbo_decomposition(means, logvars, &samples, &opts, &mut |f| {
        progress(0.5 + 0.4 * f)
    })?;
    let mig_dlib = mig_sampled(&mut table, DLIB_MIG_NUM_TRAIN, DLIB_NUM_BINS, &mut rng)?;
    let factor_vae = factor_vae_score(&mut table, &FactorVaeConfig::default(), &mut rng)?;
    progress(0.95);
    let beta_vae = beta_vae_score(&mut table, &BetaVaeConfig::default(), &mut rng)?;
    progress(1.0);
    Ok(DspritesMetricSet {
        active_units: active.iter().filter(|&&a| a).count(),
        active,
        mig_dlib,
        mig_chen,
        factor_vae,
        beta_vae,
        decomposition,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_units_threshold() {
        let m = Matrix::from_vec(
            4,
            3,
            vec![0.0, 1.0, 5.0, 0.1, -1.0, 5.0, 0.0, 1.0, 5.0, 0.1, -1.0, 5.0],
        )
        .unwrap();
        // Variances: 0.0025, 1, 0.
        assert_eq!(
            active_units(&m, ACTIVE_UNIT_THRESHOLD).unwrap(),
            vec![false, true, false]
        );
    }

    #[test]
    fn metric_set_on_a_small_grid_with_one_active_dimension() {
        // 5 factors (shape fixed to 2 values), latent 0 encodes factor 1; latent 1 collapsed.
        let sizes = [2usize, 3, 4, 2, 2];
        let (mut f, mut mu) = (Vec::new(), Vec::new());
        for i in 0..sizes.iter().product::<usize>() {
            let mut rem = i;
            let mut row = [0usize; 5];
            for k in (0..5).rev() {
                row[k] = rem % sizes[k];
                rem /= sizes[k];
            }
            f.extend(row.iter().map(|&v| v as f64));
            mu.extend([row[1] as f64, 0.0]);
        }
        let n = f.len() / 5;
        let factors = Matrix::from_vec(n, 5, f).unwrap();
        let means = Matrix::from_vec(n, 2, mu).unwrap();
        let logvars = Matrix::from_vec(n, 2, [-6.0, 0.0].repeat(n)).unwrap();
        let mut last = 0.0;
        let r = dsprites_metric_set(&means, &logvars, &factors, 3, &mut |p| last = p).unwrap();
        assert_eq!((r.active_units, last), (1, 1.0));
        assert_eq!(r.mig_chen.factors, vec![1, 2, 3, 4]);
        assert!(
            r.mig_chen.gap_per_factor[0] > 0.9 && r.mig_chen.gap_per_factor[1] < 1e-9,
            "{:?}",
            r.mig_chen
        );
        assert!(r.mig_dlib.gap_per_factor[1] > 0.95);
        assert!(r.decomposition.total_correlation.is_finite());
        assert!(r.beta_vae.eval_accuracy.is_finite() && r.factor_vae.eval_accuracy > 0.0);
    }
}
