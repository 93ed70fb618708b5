//! The prior p(z) as a setting: its family and parameters, their defaults and checks. The
//! maths on it (log-densities, sampling) lives in `objective::priors`.

use serde::{Deserialize, Serialize};

use super::choice::{DatasetKind, PriorKind};
use crate::data::spectrum::{GRAM_TOP_EIGENVALUES, SPECTRUM_LEN};

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

    /// A data-free anisotropic prior: log-variances ℓ_k = −k/2 set to σ² = K·softmax(ℓ) (total
    /// variance K, as for N(0, I)), i.e. variances falling by a factor e^{−1/2} a dimension.
    /// The default on the data sets without images to take a spectrum from.
    pub fn anisotropic_default(k: usize) -> Self {
        let w: Vec<f64> = (0..k).map(|i| (-(i as f64) / 2.0).exp()).collect();
        Self::anisotropic_with_total(&w, k)
    }

    /// DD's anisotropic prior on dSprites (`--prior-variance pca`): σ² = K·softmax(log pca[:K])
    /// with `pca` the squared singular values of `svds(X, k=20)` as SciPy returns them,
    /// smallest first, so the K latents take the 20th, 19th, … largest of them
    /// ([`GRAM_TOP_EIGENVALUES`]). `None` above 20 latents, where the reference has no values.
    pub fn dsprites_pca(k: usize) -> Option<Self> {
        (k <= SPECTRUM_LEN).then(|| {
            let smallest_first: Vec<f64> =
                GRAM_TOP_EIGENVALUES.iter().rev().take(k).copied().collect();
            Self::anisotropic_with_total(&smallest_first, k)
        })
    }

    /// The K largest of the same values, largest first: what `pca[:K]` is meant to take (the
    /// principal components' variances), a stronger anisotropy than [`Prior::dsprites_pca`].
    pub fn dsprites_pca_largest(k: usize) -> Option<Self> {
        (k <= SPECTRUM_LEN).then(|| Self::anisotropic_with_total(&GRAM_TOP_EIGENVALUES[..k], k))
    }

    /// Scales whose variances are proportional to `weights` and sum to `k`.
    fn anisotropic_with_total(weights: &[f64], k: usize) -> Self {
        let total: f64 = weights.iter().sum();
        let scales = weights
            .iter()
            .map(|v| (k as f64 * v / total).sqrt())
            .collect();
        Prior::Anisotropic { scales }
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

    /// The prior's family.
    pub fn kind(&self) -> PriorKind {
        match self {
            Prior::Normal => PriorKind::Normal,
            Prior::Anisotropic { .. } => PriorKind::Anisotropic,
            Prior::StudentT { .. } => PriorKind::StudentT,
            Prior::Mixture { .. } => PriorKind::Mixture,
        }
    }

    /// The prior of family `kind` with its documented default parameters for `latents`
    /// dimensions on `dataset`: anisotropic = DD's PCA variances on dSprites
    /// ([`Prior::dsprites_pca`], up to 20 latents), else [`Prior::anisotropic_default`];
    /// Student-t ν = 9 (DD on dSprites); mixture = DD's 4-component pinwheel prior (2-D only:
    /// it fails [`Prior::validate`] for other sizes, which says so).
    pub fn default_for(kind: PriorKind, dataset: DatasetKind, latents: usize) -> Prior {
        match kind {
            PriorKind::Normal => Prior::Normal,
            PriorKind::Anisotropic => match dataset {
                DatasetKind::Dsprites => Prior::dsprites_pca(latents),
                _ => None,
            }
            .unwrap_or_else(|| Prior::anisotropic_default(latents)),
            PriorKind::StudentT => Prior::StudentT { nu: 9.0 },
            PriorKind::Mixture => Prior::pinwheel(),
        }
    }
}
