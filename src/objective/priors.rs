//! Priors p(z) for the Disentangling-Disentanglement objective (docs/methods.md §1.5, Mathieu
//! et al. 2019): isotropic and anisotropic Gaussians, a factorised Student-t and a Gaussian mixture.

#[cfg(feature = "train")]
use burn::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "train")]
use crate::math::gaussian::logsumexp_dim;
use crate::math::special::{lgamma, LOG_2PI};
use crate::rng::Rng;
use rand_distr::Distribution;

/// A prior p(z) over K latents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Prior {
    /// Isotropic N(0, I).
    Normal,
    /// N(0, diag s²) with per-dimension standard deviations `scales` (one per latent).
    /// Default: [`Prior::anisotropic_default`].
    Anisotropic {
        /// Standard deviations s_k > 0.
        scales: Vec<f64>,
    },
    /// Factorised Student-t: each dimension t_ν with location 0 and unit scale (DD: ν = 9).
    StudentT {
        /// Degrees of freedom ν > 0.
        nu: f64,
    },
    /// Equal-weight mixture of N(m_c, std²·I) components.
    Mixture {
        /// Component means, each of length K.
        means: Vec<Vec<f64>>,
        /// Shared component standard deviation.
        std: f64,
    },
}

impl Prior {
    /// DD's pinwheel prior: 4 components at (0,−1), (0,1), (1,0), (−1,0) with std √0.03
    /// (their `--prior-variance-scale 0.03`).
    pub fn pinwheel() -> Self {
        let means = vec![
            vec![0.0, -1.0],
            vec![0.0, 1.0],
            vec![1.0, 0.0],
            vec![-1.0, 0.0],
        ];
        Prior::Mixture {
            means,
            std: 0.03_f64.sqrt(),
        }
    }

    /// A data-free anisotropic default. DD takes log-variances ℓ from the data's PCA and sets
    /// σ² = K·softmax(ℓ) (total variance K, as for N(0, I)); without data we use ℓ_k = −k/2,
    /// i.e. variances falling by a factor e^{−1/2} per dimension, normalised the same way.
    pub fn anisotropic_default(k: usize) -> Self {
        let w: Vec<f64> = (0..k).map(|i| (-(i as f64) / 2.0).exp()).collect();
        let total: f64 = w.iter().sum();
        let scales = w.iter().map(|v| (k as f64 * v / total).sqrt()).collect();
        Prior::Anisotropic { scales }
    }

    /// The ν-dependent constant of one Student-t dimension:
    /// log Γ((ν+1)/2) − log Γ(ν/2) − ½ log(νπ).
    fn student_const(nu: f64) -> f64 {
        lgamma((nu + 1.0) / 2.0) - lgamma(nu / 2.0) - 0.5 * (nu * std::f64::consts::PI).ln()
    }

    /// The prior's marginal over latent dimensions `(a, b)`, for drawing it in a 2-D panel.
    /// Exact for the factorised priors; the mixture is only defined in 2-D, where it is itself.
    pub fn marginal_2d(&self, a: usize, b: usize) -> Prior {
        match self {
            Prior::Anisotropic { scales } => Prior::Anisotropic {
                scales: vec![
                    scales.get(a).copied().unwrap_or(1.0),
                    scales.get(b).copied().unwrap_or(1.0),
                ],
            },
            other => other.clone(),
        }
    }

    /// Checks the parameters and that they fit `latents` dimensions.
    pub fn validate(&self, latents: usize) -> Result<(), String> {
        let positive = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(format!("{name} must be a positive finite number (got {v})"))
            }
        };
        match self {
            Prior::Normal => Ok(()),
            Prior::Anisotropic { scales } => {
                if scales.len() != latents {
                    return Err(format!(
                        "the anisotropic prior has {} scales but the model has {latents} latents",
                        scales.len()
                    ));
                }
                scales
                    .iter()
                    .try_for_each(|&s| positive("every anisotropic scale", s))
            }
            Prior::StudentT { nu } => positive("the Student-t degrees of freedom ν", *nu),
            Prior::Mixture { means, std } => {
                positive("the mixture's component std", *std)?;
                if means.is_empty() {
                    return Err("the mixture prior needs at least one component".into());
                }
                if let Some((c, m)) = means.iter().enumerate().find(|(_, m)| m.len() != latents) {
                    return Err(format!(
                        "mixture component {c} has dimension {} but the model has {latents} latents",
                        m.len()
                    ));
                }
                match means.iter().flatten().find(|v| !v.is_finite()) {
                    Some(v) => Err(format!("mixture means must be finite (got {v})")),
                    None => Ok(()),
                }
            }
        }
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

#[cfg(test)]
#[path = "priors_tests.rs"]
mod tests;
