//! The metrics of a finished run (the CLI's `train` and `reproduce`): the same measurements,
//! keys and protocols as the page's, computed by the same [`MetricJob`]s, plus the codes they
//! were computed on.

use super::metric_job::MetricJob;
use super::metric_report::{MetricReport, MetricRequest};
use super::trainer::Trainer;
use crate::metrics::Matrix;
use crate::settings::DatasetKind;

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

    /// A row-major N × K matrix of one of the code arrays.
    pub fn matrix(&self, v: &[f32]) -> Matrix {
        Matrix::from_vec(
            self.len(),
            self.latents,
            v.iter().map(|&x| x as f64).collect(),
        )
        .expect("codes are N × K by construction")
    }
}

/// What a finished run measures: the page's periodic set, and on dSprites the FactorVAE score
/// and Chen's MIG (the page measures both on request; Chen's is β-TCVAE's paper's own MIG).
/// Each job draws from its own streams, so adding one changes no other's digits.
pub fn final_requests(dataset: DatasetKind) -> Vec<MetricRequest> {
    match dataset {
        DatasetKind::Dsprites => vec![
            MetricRequest::Periodic,
            MetricRequest::FactorVae,
            MetricRequest::ChenMig,
        ],
        _ => vec![MetricRequest::Periodic],
    }
}

/// A finished run's metric reports, with the codes of the periodic one.
#[derive(Clone, Debug)]
pub struct FinalMetrics {
    /// One report per request of [`final_requests`], in that order.
    pub reports: Vec<MetricReport>,
    /// The codes the periodic metrics were computed on (MIG, MCC, D, …), row for row with…
    pub codes: Codes,
    /// …the ground truth of the same points.
    pub truth: GroundTruth,
}

impl FinalMetrics {
    /// The value of the metric with this key, if measured.
    pub fn get(&self, key: &str) -> Option<f64> {
        self.reports.iter().find_map(|r| r.get(key))
    }
}

/// Measures the trainer's current model as the page does (same jobs, keys and protocols).
pub async fn final_metrics(trainer: &Trainer) -> Result<FinalMetrics, String> {
    let mut reports = Vec::new();
    let mut measured = None;
    for request in final_requests(trainer.config().dataset) {
        let mut job = MetricJob::new(request, trainer)?;
        reports.push(job.run_to_end(trainer).await?);
        if request == MetricRequest::Periodic {
            measured = job.codes(trainer);
        }
    }
    let (codes, truth) = measured.ok_or("the periodic metrics kept no codes")?;
    Ok(FinalMetrics {
        reports,
        codes,
        truth,
    })
}
