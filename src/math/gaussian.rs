//! Closed-form Gaussian log-densities and KL divergences on tensors.

use burn::prelude::*;

pub use super::special::LOG_2PI;

/// Negative log-likelihood of `x` under N(mean, diag exp(logvar)), summed over features:
/// ½ Σ_d [(x_d − m_d)² / s²_d + log s²_d + log 2π].
///
/// # Shapes
/// - `x`, `mean`: `[batch, D]`; `logvar`: `[D]` → `[batch]`
pub fn neg_log_likelihood(x: Tensor<2>, mean: Tensor<2>, logvar: Tensor<1>) -> Tensor<1> {
    let logvar = logvar.unsqueeze_dim::<2>(0); // [1, D]
    let sq = (x - mean).powf_scalar(2.0) * logvar.clone().neg().exp(); // [batch, D]
    let per_feature = (sq + logvar).add_scalar(LOG_2PI).mul_scalar(0.5); // [batch, D]
    per_feature.sum_dim(1).squeeze_dim::<1>(1) // [batch]
}

/// KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_k (μ² + σ² − 1 − log σ²), per row.
///
/// # Shapes
/// - `mu`, `logvar`: `[batch, K]` → `[batch]`
pub fn kl_to_standard_normal(mu: Tensor<2>, logvar: Tensor<2>) -> Tensor<1> {
    let per_dim = (mu.powf_scalar(2.0) + logvar.clone().exp() - logvar).add_scalar(-1.0); // [batch, K]
    per_dim.sum_dim(1).squeeze_dim::<1>(1).mul_scalar(0.5) // [batch]
}

/// Elementwise log N(z; μ, e^{logvar}) = −½(log 2π + logvar + (z − μ)² e^{−logvar}); the
/// building block of L[i,j,k] = log q(z_ik | x_j) (docs/methods.md §1.3). Shapes broadcast.
///
/// # Shapes
/// - `z`, `mu`, `logvar`: any common broadcastable shape → the broadcast shape
pub fn log_normal<const D: usize>(z: Tensor<D>, mu: Tensor<D>, logvar: Tensor<D>) -> Tensor<D> {
    let sq = (z - mu).powf_scalar(2.0) * logvar.clone().neg().exp(); // broadcast shape
    (sq + logvar).add_scalar(LOG_2PI).mul_scalar(-0.5) // broadcast shape
}

/// Numerically stable log Σ exp along `dim`, keeping `dim` (size 1): m + log Σ exp(x − m)
/// with m the (detached) maximum; the gradient is the softmax along `dim`, as without the shift.
///
/// # Shapes
/// - `x`: `[.., n, ..]` → `[.., 1, ..]`
pub fn logsumexp_dim<const D: usize>(x: Tensor<D>, dim: usize) -> Tensor<D> {
    let m = x.clone().max_dim(dim).detach(); // [.., 1, ..]
    let s = (x - m.clone()).exp().sum_dim(dim); // [.., 1, ..]
    s.log() + m // [.., 1, ..]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn to_vec(t: Tensor<1>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().expect("f32 data")
    }

    #[test]
    fn nll_matches_closed_form() {
        let device = Device::flex();
        let x = Tensor::<2>::from_floats([[1.0, -2.0]], &device);
        let m = Tensor::<2>::from_floats([[0.5, 0.0]], &device);
        let lv = Tensor::<1>::from_floats([0.0, 2.0_f32.ln()], &device);
        // ½[(0.5)²/1 + 0 + log2π] + ½[4/2 + ln 2 + log2π]
        let want = 0.5 * (0.25 + LOG_2PI) + 0.5 * (2.0 + 2.0_f64.ln() + LOG_2PI);
        let got = to_vec(neg_log_likelihood(x, m, lv))[0] as f64;
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    }

    #[test]
    fn kl_is_zero_at_prior_and_matches_closed_form() {
        let device = Device::flex();
        let mu = Tensor::<2>::from_floats([[0.0, 0.0], [1.0, -0.5]], &device);
        let lv = Tensor::<2>::from_floats([[0.0, 0.0], [0.3, -1.0]], &device);
        let got = to_vec(kl_to_standard_normal(mu, lv));
        let want1 =
            0.5 * ((1.0 + 0.3_f64.exp() - 1.0 - 0.3) + (0.25 + (-1.0_f64).exp() - 1.0 + 1.0));
        assert!(got[0].abs() < 1e-7);
        assert!(
            (got[1] as f64 - want1).abs() < 1e-5,
            "{} vs {want1}",
            got[1]
        );
    }

    #[test]
    fn log_normal_and_logsumexp_match_host() {
        let device = Device::flex();
        let z = Tensor::<1>::from_floats([0.3, -1.0], &device);
        let m = Tensor::<1>::from_floats([0.0, 0.5], &device);
        let lv = Tensor::<1>::from_floats([0.0, -0.7], &device);
        let got = to_vec(log_normal(z, m, lv));
        let want = [
            -0.5 * (LOG_2PI + 0.09),
            -0.5 * (LOG_2PI - 0.7 + 2.25 * 0.7_f64.exp()),
        ];
        for (g, w) in got.iter().zip(want) {
            assert!((*g as f64 - w).abs() < 1e-5, "{g} vs {w}");
        }
        // Large values would overflow a naive exp: log(e^1000 + e^999) = 1000 + log(1 + e^-1).
        let x = Tensor::<1>::from_floats([1000.0, 999.0], &device);
        let got = to_vec(logsumexp_dim(x, 0))[0] as f64;
        let want = 1000.0 + (1.0 + (-1.0_f64).exp()).ln();
        assert!((got - want).abs() < 1e-3, "{got} vs {want}");
    }
}
