//! iVAE (Khemakhem et al. 2020; docs/methods.md §1.6): a conditional prior
//! p(z|u) = Π_k N(z_k; 0, λ_k(u)) on the segment label u and the ELBO
//! E_q[log p(x|z) + log p(z|u) − log q(z|x,u)], one sample of z per point.
//!
//! The reference (ilkhem/iVAE, `cleanIVAE`, docs/methods.md §1.6) computes log λ(u) with an MLP on u
//! ([`IvaePrior::Mlp`]); with a one-hot u a bias-free `Linear(segments → K)` is a per-segment
//! lookup table of log-variances ([`IvaePrior::Table`]). Its decoder is Gaussian with a fixed
//! variance: 0.1 in `cleanIVAE` (the older `iVAE` class in `lib/models.py` uses 0.01),
//! [`DECODER_VAR`]. Its `main.py` weights the ELBO's parts, (a, b, c, d) = (100, 1, 0, 10):
//! `a·(−log p(x|z)) + b·MI + c·TC + d·Σ_j KL(q(z_j) ‖ p(z_j|u))`, with log q(z) and log q(z_j)
//! estimated on the minibatch ([`ivae_weighted`]).

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;

use super::tc::{TcDecomposer, TERMS as TC_TERMS};
use super::{recon_plus_weighted_kl, terms_row, Encoded, ObjectiveOutput};
use crate::math::gaussian::{neg_log_likelihood, LOG_2PI};
use crate::model::mlp::{Activation, Mlp, MlpConfig};
pub use crate::settings::IvaePrior;

/// Fixed variance of the Gaussian decoder p(x|z) = N(f(z), DECODER_VAR·I).
pub const DECODER_VAR: f64 = 0.1;

/// Shape of a [`ConditionalPrior`].
#[derive(Config, Debug)]
pub struct ConditionalPriorConfig {
    /// Number of segments (the length of the one-hot u).
    pub segments: usize,
    /// Latent dimension K.
    pub latents: usize,
    /// A per-segment table, or an MLP on u.
    #[config(default = "IvaePrior::Table")]
    pub kind: IvaePrior,
    /// Hidden widths of the MLP (its `hidden_dim` and `n_layers − 1`).
    #[config(default = "vec![100, 100]")]
    pub hidden: Vec<usize>,
    /// Activation of the MLP.
    #[config(default = "Activation::Xtanh")]
    pub activation: Activation,
}

/// The network giving log λ(u).
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum LogLambdaNet {
    /// Bias-free linear map from one-hot u: a table of log-variances, one row per segment.
    Table(Linear),
    /// An MLP on the one-hot u (the reference's `logl`).
    Mlp(Mlp),
}

/// p(z|u) = Π_k N(z_k; 0, λ_k(u)).
#[derive(Module, Debug)]
pub struct ConditionalPrior {
    /// The network from one-hot u to log λ(u).
    pub log_lambda: LogLambdaNet,
}

impl ConditionalPriorConfig {
    /// Builds the prior: a table starts at log λ = 0 (N(0, I) for every segment); an MLP
    /// starts from burn's default initialisation, as the reference's from PyTorch's.
    pub fn init(&self, device: &Device) -> ConditionalPrior {
        let log_lambda = match self.kind {
            IvaePrior::Table => LogLambdaNet::Table(
                LinearConfig::new(self.segments, self.latents)
                    .with_bias(false)
                    .with_initializer(burn::nn::Initializer::Zeros)
                    .init(device),
            ),
            IvaePrior::Mlp => LogLambdaNet::Mlp(
                MlpConfig::new(self.segments, self.hidden.clone(), self.latents)
                    .with_activation(self.activation)
                    .init(device),
            ),
        };
        ConditionalPrior { log_lambda }
    }
}

impl ConditionalPrior {
    /// log λ(u).
    ///
    /// # Shapes
    /// - `u_onehot`: `[B, segments]` → `[B, K]`
    pub fn log_lambda(&self, u_onehot: Tensor<2>) -> Tensor<2> {
        match &self.log_lambda {
            LogLambdaNet::Table(t) => t.forward(u_onehot), // [B, K]
            LogLambdaNet::Mlp(m) => m.forward(u_onehot),   // [B, K]
        }
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

/// The iVAE reference's weighted ELBO as a loss (`cleanIVAE.elbo`), batch means of
/// `a·recon_nll + b·MI + c·TC + d·dimKL` with MI = log q(z|x,u) − log q(z),
/// TC = log q(z) − Σ_j log q(z_j) and dimKL = Σ_j log q(z_j) − log p(z|u), log q(z) and
/// log q(z_j) estimated on the minibatch by `tc`. `weights` = [a, b, c, d]; with all four 1 it
/// is the plain negative ELBO (the estimates cancel). Reports the β-TCVAE row (`Kl` the
/// Monte Carlo KL = MI + TC + dimKL, `Elbo` the unweighted ELBO).
///
/// # Shapes
/// - `recon_nll`: `[B]`; `enc` fields: `[B, K]`; `u_onehot`: `[B, segments]`
pub fn ivae_weighted(
    recon_nll: Tensor<1>,
    enc: &Encoded,
    prior: &ConditionalPrior,
    u_onehot: Tensor<2>,
    tc: &TcDecomposer,
    weights: [f64; 4],
) -> ObjectiveOutput {
    let [a, b, c, d] = weights;
    let mut t = tc.decompose(enc);
    // The decomposition's prior term is the conditional prior here.
    t.log_pz = prior.log_prob(enc.z.clone(), u_onehot); // [B]
    let recon = recon_nll.mean(); // [1]
    let mi = t.mi().mean(); // [1]
    let tcv = t.tc().mean(); // [1]
    let dkl = t.dim_kl().mean(); // [1]
    let kl = mi.clone() + tcv.clone() + dkl.clone(); // [1]
    let loss = recon.clone().mul_scalar(a)
        + mi.clone().mul_scalar(b)
        + tcv.clone().mul_scalar(c)
        + dkl.clone().mul_scalar(d); // [1]
    let elbo = (recon.clone() + kl.clone()).neg(); // [1]
    let terms = terms_row(vec![loss.clone(), recon, kl, elbo, mi, tcv, dkl]); // [1, 7]
    ObjectiveOutput {
        loss,
        terms,
        names: TC_TERMS,
    }
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
        let LogLambdaNet::Table(t) = &mut prior.log_lambda else {
            panic!("the default prior is a table")
        };
        t.weight = Param::from_tensor(Tensor::<2>::from_floats(table, &device));
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

    #[test]
    fn weighted_elbo_matches_explicit_loops_and_all_ones_is_the_plain_elbo() {
        let device = Device::flex();
        let mu = [[0.1, -0.4], [0.7, 0.2], [-0.5, 0.9]];
        let lv = [[-0.3, 0.2], [0.1, -0.6], [0.4, 0.0]];
        let z = [[0.3, -0.1], [0.5, 0.6], [-0.9, 1.2]];
        let table = [[0.5, -0.5], [-1.0, 0.3]];
        let seg = [0usize, 1, 1];
        let nll = [1.5, 0.7, 2.0];
        let n = 10.0f64;
        let t = |a: [[f64; 2]; 3]| Tensor::<2>::from_floats(a, &device);
        let mut prior = ConditionalPriorConfig::new(2, 2).init(&device);
        let LogLambdaNet::Table(lin) = &mut prior.log_lambda else {
            panic!("the default prior is a table")
        };
        lin.weight = Param::from_tensor(Tensor::<2>::from_floats(table, &device));
        let u: Vec<f32> = seg
            .iter()
            .flat_map(|&s| (0..2).map(move |c| (c == s) as u8 as f32))
            .collect();
        let u = Tensor::<2>::from_data(TensorData::new(u, [3, 2]), &device);
        let enc = Encoded {
            mu: t(mu),
            logvar: t(lv),
            z: t(z),
        };
        let tc = TcDecomposer::new(
            crate::objective::kinds::Estimator::Mws,
            3,
            n as usize,
            &device,
        );
        let ln = |x: f64, m: f64, lv: f64| -0.5 * (LOG_2PI + lv + (x - m).powi(2) / lv.exp());
        let lse = |v: &[f64]| {
            let m = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
        };
        for w in [[100.0, 1.0, 0.0, 10.0], [1.0; 4], [2.0, 0.5, 3.0, 0.25]] {
            let out = ivae_weighted(
                Tensor::<1>::from_floats(nll, &device),
                &enc,
                &prior,
                u.clone(),
                &tc,
                w,
            );
            let mut want = 0.0;
            let mut plain = 0.0;
            for i in 0..3 {
                let lqcx: f64 = (0..2).map(|k| ln(z[i][k], mu[i][k], lv[i][k])).sum();
                let joint: Vec<f64> = (0..3)
                    .map(|j| (0..2).map(|k| ln(z[i][k], mu[j][k], lv[j][k])).sum())
                    .collect();
                let lqz = lse(&joint) - (3.0 * n).ln();
                let lqzj: f64 = (0..2)
                    .map(|k| {
                        let v: Vec<f64> = (0..3).map(|j| ln(z[i][k], mu[j][k], lv[j][k])).collect();
                        lse(&v) - (3.0 * n).ln()
                    })
                    .sum();
                let lp: f64 = (0..2).map(|k| ln(z[i][k], 0.0, table[seg[i]][k])).sum();
                want += (w[0] * nll[i]
                    + w[1] * (lqcx - lqz)
                    + w[2] * (lqz - lqzj)
                    + w[3] * (lqzj - lp))
                    / 3.0;
                plain += (nll[i] + lqcx - lp) / 3.0;
            }
            let got = host(out.loss)[0];
            assert!(
                (got - want).abs() < 1e-3 * want.abs().max(1.0),
                "{w:?}: {got} vs {want}"
            );
            let row = host(out.terms);
            assert!(
                (row[3] + plain).abs() < 1e-4,
                "ELBO {} vs {}",
                row[3],
                -plain
            );
            if w == [1.0; 4] {
                assert!((got - plain).abs() < 1e-4, "{got} vs {plain}");
            }
        }
    }
}
