//! After (or during) training: encode a whole data set and compute the metrics it supports.

use burn::module::Module;
use burn::prelude::*;
use serde_json::{json, Value};

use super::source::{DataSource, Truth};
use super::trainer::{read_f32, TrainError, Trainer};
use crate::data::dsprites::IMAGE_PIXELS;
use crate::metrics::{self, aggregate, CorrMethod, FactorTable, FactorVaeConfig, Matrix};
use crate::rng::Rng;

/// Points encoded per device call.
const CHUNK: usize = 1024;

/// Encoder outputs for every point of a data set (row-major, N × K).
#[derive(Clone, Debug, PartialEq)]
pub struct Codes {
    /// Latent dimension K.
    pub latents: usize,
    /// Posterior means μ(x_n).
    pub means: Vec<f32>,
    /// Posterior log-variances log σ²(x_n).
    pub logvars: Vec<f32>,
    /// One sample z_n ~ q(z|x_n) per point.
    pub samples: Vec<f32>,
}

/// What the points really are, aligned with [`Codes`] rows.
#[derive(Clone, Debug, PartialEq)]
pub enum GroundTruth {
    /// Pinwheel arm.
    Classes(Vec<u32>),
    /// dSprites factor classes (shape, scale, orientation, posX, posY) per point.
    Factors(Vec<[u32; 5]>),
    /// iVAE true sources (N × d) and segment labels.
    Sources {
        /// Row-major sources.
        s: Vec<f32>,
        /// Source dimension.
        dim: usize,
        /// Segment of each point.
        segment: Vec<u32>,
    },
}

impl Codes {
    /// Number of points N.
    pub fn len(&self) -> usize {
        self.means.len() / self.latents.max(1)
    }

    /// True when no point was encoded.
    pub fn is_empty(&self) -> bool {
        self.means.is_empty()
    }

    fn matrix(&self, v: &[f32]) -> Matrix {
        Matrix::from_vec(
            self.len(),
            self.latents,
            v.iter().map(|&x| x as f64).collect(),
        )
        .expect("codes are N × K by construction")
    }
}

impl Trainer {
    /// Encodes every point of the data set (the whole dSprites subset, rendered in chunks),
    /// drawing one sample per point with the trainer's seed.
    pub async fn encode_all(&self) -> Result<(Codes, GroundTruth), TrainError> {
        let vae = self.model_ref().vae.valid();
        let device = self.device().clone().inner();
        let data = self.data_ref();
        let k = self.config().latents;
        let mut codes = Codes {
            latents: k,
            means: Vec::new(),
            logvars: Vec::new(),
            samples: Vec::new(),
        };
        let mut rng = Rng::derive(self.config().seed, 11);
        let (truth, n) = match data {
            DataSource::Vector(v) => {
                let truth = match &v.truth {
                    Truth::Classes(c) => GroundTruth::Classes(c.clone()),
                    Truth::Sources { s, dim, segment } => GroundTruth::Sources {
                        s: s.clone(),
                        dim: *dim,
                        segment: segment.clone(),
                    },
                };
                (truth, v.len)
            }
            DataSource::Images(img) => {
                let f = (0..img.subset.len())
                    .map(|i| img.subset.factors(i).classes().map(|c| c as u32))
                    .collect();
                (GroundTruth::Factors(f), img.subset.len())
            }
        };
        let mut buf = Vec::new();
        for start in (0..n).step_by(CHUNK) {
            let len = CHUNK.min(n - start);
            let x = match data {
                DataSource::Vector(v) => {
                    let x = v.x.clone().inner().narrow(0, start, len);
                    match &v.aux {
                        Some(a) => Tensor::cat(vec![x, a.clone().inner().narrow(0, start, len)], 1),
                        None => x,
                    }
                }
                DataSource::Images(img) => {
                    buf.resize(len * IMAGE_PIXELS, 0.0);
                    let mut factors = vec![Default::default(); len];
                    img.subset
                        .render_range(start..start + len, &mut buf, &mut factors);
                    Tensor::from_data(TensorData::new(buf.clone(), [len, IMAGE_PIXELS]), &device)
                }
            };
            let (mu, logvar) = vae.encode(x);
            let mu = read_f32(mu).await?;
            let logvar = read_f32(logvar).await?;
            for (m, lv) in mu.iter().zip(&logvar) {
                codes
                    .samples
                    .push(m + (0.5 * lv).exp() * rng.normal() as f32);
            }
            codes.means.extend(mu);
            codes.logvars.extend(logvar);
        }
        Ok((codes, truth))
    }
}

/// The metrics a run's data set supports, each named with its protocol, as JSON.
/// dSprites: dlib MIG, FactorVAE score, active units (Chen MIG on request, being slow);
/// iVAE: MCC (Pearson, Spearman) on samples as the reference does, and on means;
/// pinwheel: D(q(z), p(z)) = KL(p ‖ q) against the run's prior.
pub fn final_metrics(
    trainer: &Trainer,
    codes: &Codes,
    truth: &GroundTruth,
) -> Result<Value, String> {
    let means = codes.matrix(&codes.means);
    let logvars = codes.matrix(&codes.logvars);
    let samples = codes.matrix(&codes.samples);
    let seed = trainer.config().seed;
    let active = metrics::active_units(&means, metrics::ACTIVE_UNIT_THRESHOLD)?;
    let active_count = active.iter().filter(|&&a| a).count();
    match truth {
        GroundTruth::Factors(f) => {
            let factors = Matrix::from_vec(
                f.len(),
                5,
                f.iter().flat_map(|r| r.map(|c| c as f64)).collect(),
            )?;
            let mut rng = Rng::derive(seed, 21);
            let mut table = FactorTable::new(means.clone(), &factors)?;
            let mig = metrics::mig_sampled(
                &mut table,
                metrics::DLIB_MIG_NUM_TRAIN,
                metrics::DLIB_NUM_BINS,
                &mut rng,
            )?;
            let fv = metrics::factor_vae_score(&mut table, &FactorVaeConfig::default(), &mut rng)?;
            Ok(json!({
                "mig": mig.mig, "mig_protocol": "dlib (means, 20 bins, 10,000 points)",
                "gap_per_factor": mig.gap_per_factor,
                "factor_vae_score": fv.eval_accuracy, "factor_vae_protocol": "dlib (batch 64, 10,000 train / 5,000 eval votes)",
                "active_units": active_count,
            }))
        }
        GroundTruth::Sources { s, dim, .. } => {
            let sources =
                Matrix::from_vec(s.len() / dim, *dim, s.iter().map(|&v| v as f64).collect())?;
            let on_samples = metrics::mcc(&sources, &samples, CorrMethod::Pearson)?;
            let spearman = metrics::mcc(&sources, &samples, CorrMethod::Spearman)?;
            let on_means = metrics::mcc(&sources, &means, CorrMethod::Pearson)?;
            Ok(json!({
                "mcc": on_samples.mcc, "mcc_protocol": "Pearson, z sampled from q(z|x,u), Hungarian matching",
                "mcc_spearman": spearman.mcc,
                "mcc_means": on_means.mcc,
                "matching_source_to_latent": on_samples.matching_source_to_latent,
                "active_units": active_count,
            }))
        }
        GroundTruth::Classes(_) => {
            let prior = &trainer.config().prior;
            let d = aggregate::kl_prior_to_aggregate(
                prior,
                &means,
                &logvars,
                4000,
                &mut Rng::derive(seed, 31),
            )?;
            Ok(json!({
                "divergence_kl_p_q": d,
                "divergence_protocol": format!("KL(p ‖ q(z)) over the whole set, 4,000 samples of the {} prior", crate::train::config::prior_name(prior)),
                "active_units": active_count,
            }))
        }
    }
}
