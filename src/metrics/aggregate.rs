//! D(q(z), p(z)) over a whole data set: how far the aggregate posterior is from the prior.

use super::gauss::{log_normal, logsumexp};
use super::Matrix;
use crate::objective::priors::Prior;
use crate::rng::Rng;

/// KL(p(z) ‖ q(z)) with q(z) = (1/N) Σ_n N(z; μ_n, diag σ²_n), estimated with `samples`
/// draws z' ~ p: mean over z' of log p(z') − logsumexp_n log q(z'|x_n) + log N.
/// This is DD's `kld_inc` with the whole set instead of a minibatch.
pub fn kl_prior_to_aggregate(
    prior: &Prior,
    means: &Matrix,
    logvars: &Matrix,
    samples: usize,
    rng: &mut Rng,
) -> Result<f64, String> {
    means.check_finite("means")?;
    logvars.check_finite("logvars")?;
    logvars.check_rows(means.rows, "logvars", "means")?;
    let (n, k) = (means.rows, means.cols);
    if n == 0 || samples == 0 {
        return Err("D(q(z), p(z)) needs at least one point and one prior sample".into());
    }
    let zs = prior.sample_host(samples, k, rng);
    let mut terms = vec![0.0; n];
    let mut total = 0.0;
    for z in zs.chunks(k) {
        for (i, t) in terms.iter_mut().enumerate() {
            let (mu, lv) = (means.row(i), logvars.row(i));
            *t = (0..k).map(|j| log_normal(z[j], mu[j], lv[j])).sum();
        }
        total += prior.log_prob_host(z) - (logsumexp(&terms) - (n as f64).ln());
    }
    Ok(total / samples as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_closed_form_when_q_is_a_single_gaussian() {
        // q = N(m, s²) in 1-D (every point has the same posterior), p = N(0, 1):
        // KL(p ‖ q) = log s + (1 + m²) / (2 s²) − ½.
        let (m, s) = (0.5f64, 2.0f64);
        let means = Matrix::from_vec(3, 1, vec![m; 3]).unwrap();
        let logvars = Matrix::from_vec(3, 1, vec![(s * s).ln(); 3]).unwrap();
        let got =
            kl_prior_to_aggregate(&Prior::Normal, &means, &logvars, 200_000, &mut Rng::new(1))
                .unwrap();
        let want = s.ln() + (1.0 + m * m) / (2.0 * s * s) - 0.5;
        // Monte Carlo standard error here is ≈ 0.002.
        assert!((got - want).abs() < 0.01, "{got} vs {want}");
    }

    #[test]
    fn is_near_zero_when_q_is_the_prior_and_refuses_nan() {
        let means = Matrix::from_vec(1, 2, vec![0.0; 2]).unwrap();
        let logvars = Matrix::from_vec(1, 2, vec![0.0; 2]).unwrap();
        let got = kl_prior_to_aggregate(&Prior::Normal, &means, &logvars, 1000, &mut Rng::new(2))
            .unwrap();
        assert!(got.abs() < 1e-9, "{got}");
        let bad = Matrix::from_vec(1, 2, vec![f64::NAN, 0.0]).unwrap();
        assert!(
            kl_prior_to_aggregate(&Prior::Normal, &bad, &logvars, 10, &mut Rng::new(2)).is_err()
        );
    }
}
