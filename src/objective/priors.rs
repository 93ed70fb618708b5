//! Priors p(z) for the Disentangling-Disentanglement objective (docs/methods.md §1.5, Mathieu
//! et al. 2019): isotropic and anisotropic Gaussians, a factorised Student-t and a Gaussian mixture.

#[cfg(feature = "train")]
use burn::prelude::*;

#[cfg(feature = "train")]
use crate::math::gaussian::logsumexp_dim;
use crate::math::special::{lgamma, student_t_to_normal, LOG_2PI};
use crate::matrix::Matrix;
use crate::rng::Rng;
pub use crate::settings::Prior;
use rand_distr::Distribution;

impl Prior {
    /// The ν-dependent constant of one Student-t dimension:
    /// log Γ((ν+1)/2) − log Γ(ν/2) − ½ log(νπ).
    pub(crate) fn student_const(nu: f64) -> f64 {
        lgamma((nu + 1.0) / 2.0) - lgamma(nu / 2.0) - 0.5 * (nu * std::f64::consts::PI).ln()
    }

    #[cfg(feature = "train")]
    /// log p(z) per row, differentiable with respect to `z`.
    ///
    /// # Shapes
    /// - `z`: `[B, K]` → `[B]`
    pub fn log_prob(&self, z: Tensor<2>) -> Tensor<1> {
        let [b, k] = z.dims();
        let device = z.device();
        let per_dim = match self {
            Prior::Normal => z.powf_scalar(2.0).add_scalar(LOG_2PI).mul_scalar(-0.5), // [B, K]
            Prior::Anisotropic { scales } => {
                let inv_var: Vec<f32> = scales.iter().map(|s| (1.0 / (s * s)) as f32).collect();
                let inv_var = Tensor::<2>::from_data(TensorData::new(inv_var, [1, k]), &device); // [1, K]
                let log_det: f64 = scales.iter().map(|s| 2.0 * s.ln()).sum();
                let quad = (z.powf_scalar(2.0) * inv_var).sum_dim(1); // [B, 1]
                let lp = quad
                    .add_scalar(log_det + k as f64 * LOG_2PI)
                    .mul_scalar(-0.5); // [B, 1]
                return lp.reshape([b]); // [B]
            }
            Prior::StudentT { nu } => {
                let c = Self::student_const(*nu);
                let l = z.powf_scalar(2.0).div_scalar(*nu).log1p(); // [B, K]
                l.mul_scalar(-(nu + 1.0) / 2.0).add_scalar(c) // [B, K]
            }
            Prior::Mixture { means, std } => {
                let c = means.len();
                let flat: Vec<f32> = means.iter().flatten().map(|&v| v as f32).collect();
                let m = Tensor::<3>::from_data(TensorData::new(flat, [1, c, k]), &device); // [1, C, K]
                let d2 = (z.unsqueeze_dim::<3>(1) - m).powf_scalar(2.0).sum_dim(2); // [B, C, 1]
                let norm = -0.5 * k as f64 * (LOG_2PI + 2.0 * std.ln()) - (c as f64).ln();
                let lp = d2.mul_scalar(-0.5 / (std * std)).add_scalar(norm); // [B, C, 1]
                return logsumexp_dim(lp, 1).reshape([b]); // [B]
            }
        };
        per_dim.sum_dim(1).squeeze_dim::<1>(1) // [B]
    }

    /// Codes (N × K) in the coordinates DD's code scores disentanglement in: under the
    /// Student-t prior each coordinate mapped onto N(0, 1) by Φ⁻¹ ∘ F_ν
    /// ([`student_t_to_normal`]; `analyse.py` of iffsid/disentangling-disentanglement);
    /// `None` for the other priors, whose codes it scores as they are.
    pub fn gaussianized(&self, codes: &Matrix) -> Option<Matrix> {
        match self {
            Prior::StudentT { nu } => Some(Matrix {
                data: codes
                    .data
                    .iter()
                    .map(|&t| student_t_to_normal(t, *nu))
                    .collect(),
                ..*codes
            }),
            Prior::Normal | Prior::Anisotropic { .. } | Prior::Mixture { .. } => None,
        }
    }

    /// log p(z) of one point on the host (plots, tests).
    pub fn log_prob_host(&self, z: &[f64]) -> f64 {
        let k = z.len() as f64;
        match self {
            Prior::Normal => z.iter().map(|v| -0.5 * (v * v + LOG_2PI)).sum(),
            Prior::Anisotropic { scales } => z
                .iter()
                .zip(scales)
                .map(|(v, s)| -0.5 * ((v / s).powi(2) + 2.0 * s.ln() + LOG_2PI))
                .sum(),
            Prior::StudentT { nu } => {
                let c = Self::student_const(*nu);
                z.iter()
                    .map(|v| c - (nu + 1.0) / 2.0 * (v * v / nu).ln_1p())
                    .sum()
            }
            Prior::Mixture { means, std } => {
                let norm = -0.5 * k * (LOG_2PI + 2.0 * std.ln()) - (means.len() as f64).ln();
                let lps: Vec<f64> = means
                    .iter()
                    .map(|m| {
                        let d2: f64 = z.iter().zip(m).map(|(a, b)| (a - b).powi(2)).sum();
                        norm - 0.5 * d2 / (std * std)
                    })
                    .collect();
                let mx = lps.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                mx + lps.iter().map(|l| (l - mx).exp()).sum::<f64>().ln()
            }
        }
    }

    /// `n` draws of a `k`-dimensional z on the host, row-major.
    pub fn sample_host(&self, n: usize, k: usize, rng: &mut Rng) -> Vec<f64> {
        let mut out = Vec::with_capacity(n * k);
        for _ in 0..n {
            match self {
                Prior::Normal => out.extend((0..k).map(|_| rng.normal())),
                Prior::Anisotropic { scales } => {
                    out.extend(scales.iter().map(|s| s * rng.normal()))
                }
                Prior::StudentT { nu } => match rand_distr::StudentT::new(*nu) {
                    Ok(t) => out.extend((0..k).map(|_| t.sample(rng))),
                    // Only for ν ≤ 0 or NaN, which `validate` refuses first.
                    Err(_) => out.extend((0..k).map(|_| f64::NAN)),
                },
                Prior::Mixture { means, std } => {
                    let m = &means[rng.below(means.len() as u64) as usize];
                    out.extend(m.iter().map(|mu| mu + std * rng.normal()));
                }
            }
        }
        out
    }

    /// For a mixture prior, how `z` (row-major, `k` columns) occupies its components: the
    /// share of the points nearest each component mean (equal weights and stds, so nearest =
    /// most responsible), the entropy of those shares, −Σ_c p_c log p_c in nats (log C when
    /// the points spread evenly over all C components, ≈ log 2 for two, 0 for one), and the
    /// share of points within 2 component stds of their nearest mean (which tells tight
    /// clusters on the components from one broad blob over them). `None` for the other
    /// priors, or when `z` is empty or not `k` wide.
    pub fn occupancy(&self, z: &[f64], k: usize) -> Option<Occupancy> {
        let Prior::Mixture { means, std } = self else {
            return None;
        };
        if z.is_empty()
            || k == 0
            || !z.len().is_multiple_of(k)
            || means.iter().any(|m| m.len() != k)
        {
            return None;
        }
        let mut counts = vec![0usize; means.len()];
        let mut near = 0usize;
        for point in z.chunks_exact(k) {
            let d2 =
                |m: &Vec<f64>| -> f64 { point.iter().zip(m).map(|(a, b)| (a - b).powi(2)).sum() };
            let nearest = (0..means.len())
                .min_by(|&a, &b| d2(&means[a]).total_cmp(&d2(&means[b])))
                .unwrap_or(0);
            counts[nearest] += 1;
            near += usize::from(d2(&means[nearest]) <= 4.0 * std * std);
        }
        let n = (z.len() / k) as f64;
        let shares: Vec<f64> = counts.iter().map(|&c| c as f64 / n).collect();
        let entropy = -shares
            .iter()
            .filter(|&&p| p > 0.0)
            .map(|&p| p * p.ln())
            .sum::<f64>();
        Some(Occupancy {
            shares,
            entropy,
            near: near as f64 / n,
        })
    }

    #[cfg(feature = "train")]
    /// `n` draws of z, sampled on the host with `rng` and uploaded (a constant: no gradient).
    ///
    /// # Shapes
    /// → `[n, k]`
    pub fn sample(&self, n: usize, k: usize, rng: &mut Rng, device: &Device) -> Tensor<2> {
        let v: Vec<f32> = self
            .sample_host(n, k, rng)
            .into_iter()
            .map(|x| x as f32)
            .collect();
        Tensor::<2>::from_data(TensorData::new(v, [n, k]), device) // [n, k]
    }
}

/// How points occupy the components of a mixture prior ([`Prior::occupancy`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Occupancy {
    /// Share of the points nearest each component, in component order (sums to 1).
    pub shares: Vec<f64>,
    /// Entropy of the shares in nats.
    pub entropy: f64,
    /// Share of the points within 2 component stds of their nearest component mean (for
    /// samples of the 2-D prior itself: 1 − e⁻² ≈ 0.865).
    pub near: f64,
}

#[cfg(test)]
#[path = "priors_tests.rs"]
mod tests;
