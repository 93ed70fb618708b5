//! iVAE (Khemakhem et al. 2020; docs/methods.md §1.6): a conditional prior
//! p(z|u) = Π_k N(z_k; 0, λ_k(u)) on the segment label u and the ELBO
//! E_q[log p(x|z) + log p(z|u) − log q(z|x,u)], one sample of z per point.
//!
//! The reference (ilkhem/iVAE) computes log λ(u) with an MLP on u; with a one-hot u a bias-free
//! `Linear(segments → K)` is exactly a per-segment lookup table of log-variances, which is what
//! we use. Its decoder is Gaussian with a fixed variance: 0.1 in the `cleanIVAE` model
//! docs/methods.md §1.6 follows (the older `iVAE` class in `lib/models.py` uses 0.01),
//! [`DECODER_VAR`].

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;

use super::{recon_plus_weighted_kl, Encoded, ObjectiveOutput};
use crate::math::gaussian::{neg_log_likelihood, LOG_2PI};

/// Fixed variance of the Gaussian decoder p(x|z) = N(f(z), DECODER_VAR·I).
pub const DECODER_VAR: f64 = 0.1;

/// Shape of a [`ConditionalPrior`].
#[derive(Config, Debug)]
pub struct ConditionalPriorConfig {
    /// Number of segments (the length of the one-hot u).
    pub segments: usize,
    /// Latent dimension K.
    pub latents: usize,
}

/// p(z|u) = Π_k N(z_k; 0, λ_k(u)) with log λ(u) = u·W, W a `[segments, K]` table.
#[derive(Module, Debug)]
pub struct ConditionalPrior {
    /// Bias-free linear map from one-hot u to log λ(u).
    pub log_lambda: Linear,
}

impl ConditionalPriorConfig {
    /// Builds the prior with zero log-variances (λ = 1 for every segment: N(0, I) at start).
    pub fn init(&self, device: &Device) -> ConditionalPrior {
        let log_lambda = LinearConfig::new(self.segments, self.latents)
            .with_bias(false)
            .with_initializer(burn::nn::Initializer::Zeros)
            .init(device);
        ConditionalPrior { log_lambda }
    }
}

impl ConditionalPrior {
    /// log λ(u).
    ///
    /// # Shapes
    /// - `u_onehot`: `[B, segments]` → `[B, K]`
    pub fn log_lambda(&self, u_onehot: Tensor<2>) -> Tensor<2> {
        self.log_lambda.forward(u_onehot) // [B, K]
    }

    /// log p(z|u) = −½ Σ_k [log 2π + log λ_k(u) + z_k² / λ_k(u)].
    ///
    /// # Shapes
    /// - `z`: `[B, K]`, `u_onehot`: `[B, segments]` → `[B]`
    pub fn log_prob(&self, z: Tensor<2>, u_onehot: Tensor<2>) -> Tensor<1> {
        let log_l = self.log_lambda(u_onehot); // [B, K]
        let quad = z.powf_scalar(2.0) * log_l.clone().neg().exp(); // [B, K]
        let per_dim = (quad + log_l).add_scalar(LOG_2PI).mul_scalar(-0.5); // [B, K]
        per_dim.sum_dim(1).squeeze_dim::<1>(1) // [B]
    }
}

/// −log N(x; x_mean, var·I) per point, the iVAE decoder's reconstruction NLL.
///
/// # Shapes
/// - `x`, `x_mean`: `[B, D]` → `[B]`
pub fn fixed_var_nll(x: Tensor<2>, x_mean: Tensor<2>, var: f64) -> Tensor<1> {
    let d = x.dims()[1];
    let logvar = Tensor::<1>::full([d], var.ln(), &x.device()); // [D]
    neg_log_likelihood(x, x_mean, logvar) // [B]
}

/// The negative iVAE ELBO as a loss: mean_i[recon_nll_i + log q(z_i|x_i,u_i) − log p(z_i|u_i)].
/// Reports the β-VAE row ([`BETA_VAE_TERMS`]) with `Kl` the one-sample Monte Carlo KL
/// log q(z|x,u) − log p(z|u).
///
/// # Shapes
/// - `recon_nll`: `[B]`; `enc` fields: `[B, K]` (encoder on concat(x, u));
///   `u_onehot`: `[B, segments]`
pub fn ivae(
    recon_nll: Tensor<1>,
    enc: &Encoded,
    prior: &ConditionalPrior,
    u_onehot: Tensor<2>,
) -> ObjectiveOutput {
    let log_pz_u = prior.log_prob(enc.z.clone(), u_onehot); // [B]
                                                            // Monte Carlo KL(q(z|x,u) ‖ p(z|u)) at the encoder's sample, per point.
    let kl = enc.log_q_z_given_x() - log_pz_u; // [B]
    recon_plus_weighted_kl(recon_nll, kl, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::objective::host;
    use burn::module::Param;

    #[test]
    fn conditional_prior_matches_closed_form() {
        let device = Device::flex();
        let mut prior = ConditionalPriorConfig::new(3, 2).init(&device);
        // log λ per segment (rows), hand-set.
        let table = [[0.0, 0.0], [1.0, -1.0], [-2.0, 0.5]];
        prior.log_lambda.weight = Param::from_tensor(Tensor::<2>::from_floats(table, &device));
        let z = [[0.5, -1.0], [2.0, 0.3], [-0.4, 1.5]];
        let seg = [0usize, 1, 2];
        let u: Vec<f32> = seg
            .iter()
            .flat_map(|&s| (0..3).map(move |c| (c == s) as u8 as f32))
            .collect();
        let u = Tensor::<2>::from_data(TensorData::new(u, [3, 3]), &device);
        let got = host(prior.log_prob(Tensor::<2>::from_floats(z, &device), u));
        for i in 0..3 {
            let want: f64 = (0..2)
                .map(|k| {
                    let var = f64::exp(table[seg[i]][k]);
                    (-z[i][k] * z[i][k] / (2.0 * var)).exp().ln()
                        - 0.5 * (2.0 * std::f64::consts::PI * var).ln()
                })
                .sum();
            assert!(
                (got[i] - want).abs() < 1e-5,
                "row {i}: {} vs {want}",
                got[i]
            );
        }
    }

    #[test]
    fn elbo_terms_add_up_and_decoder_nll_is_gaussian() {
        let device = Device::flex();
        let x = Tensor::<2>::from_floats([[1.0, 0.0]], &device);
        let m = Tensor::<2>::from_floats([[0.5, 0.5]], &device);
        let nll = host(fixed_var_nll(x, m, DECODER_VAR))[0];
        let want = 2.0
            * (0.25 / (2.0 * DECODER_VAR) + 0.5 * (2.0 * std::f64::consts::PI * DECODER_VAR).ln());
        assert!((nll - want).abs() < 1e-5, "{nll} vs {want}");
        let prior = ConditionalPriorConfig::new(2, 2).init(&device); // λ = 1: p(z|u) = N(0, I)
        let enc = Encoded {
            mu: Tensor::<2>::from_floats([[0.3, -0.2]], &device),
            logvar: Tensor::<2>::from_floats([[-0.5, 0.1]], &device),
            z: Tensor::<2>::from_floats([[0.6, -0.4]], &device),
        };
        let u = Tensor::<2>::from_floats([[0.0, 1.0]], &device);
        let out = ivae(
            Tensor::<1>::from_floats([nll as f32], &device),
            &enc,
            &prior,
            u,
        );
        let row: Vec<f64> = out
            .terms
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()
            .into_iter()
            .map(f64::from)
            .collect();
        let lq = |z: f64, mu: f64, lv: f64| -0.5 * (LOG_2PI + lv + (z - mu).powi(2) / lv.exp());
        let kl = lq(0.6, 0.3, -0.5) + lq(-0.4, -0.2, 0.1) + 0.5 * (2.0 * LOG_2PI + 0.36 + 0.16);
        assert!(
            (row[2] - kl).abs() < 1e-5 && (row[0] - (nll + kl)).abs() < 1e-4,
            "{row:?}"
        );
        // The ELBO against the same closed forms: −(NLL + KL).
        assert!((row[3] + nll + kl).abs() < 1e-4, "{row:?}");
    }
}
