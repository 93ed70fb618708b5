//! A measurement that runs beside training without stalling it: the points are encoded a
//! chunk at a time (the caller interleaves chunks with training steps), with a copy of the
//! model taken when the job starts, so every code comes from the same step. The metric itself
//! is computed once the last chunk is in.

use burn::module::Module;
use burn::prelude::*;

use super::evaluate::{Codes, GroundTruth};
use super::metric_report::{
    MetricProgress, MetricReport, MetricRequest, MetricValue, MiMatrix, SourceScatter,
};
use super::source::{DataSource, Truth};
use super::trainer::{read_f32, Trainer};
use crate::data::dsprites::IMAGE_PIXELS;
use crate::data::subset::DspritesSubset;
use crate::metrics::{self, aggregate, ChenOptions, CorrMethod, FactorTable, Matrix};
use crate::model::vae::Vae;
use crate::objective::priors::Prior;
use crate::rng::Rng;

mod compute;

/// dSprites factor names, in class-vector order.
pub const FACTOR_NAMES: [&str; 5] = ["shape", "scale", "orientation", "pos x", "pos y"];
/// Points the 2-D KL decomposition uses at most (its cost grows with the square).
const DECOMPOSITION_POINTS: usize = 2_000;
/// Points of each source-scatter panel.
const SCATTER_POINTS: usize = 400;
/// Prior samples of the D(q(z), p(z)) estimate.
const DIVERGENCE_SAMPLES: usize = 4_000;

/// What is known about each encoded point.
enum Points {
    /// Rows of a vector data set (pinwheel, iVAE).
    Rows(Vec<usize>),
    /// Indices into the dSprites subset.
    Images(Vec<usize>),
}

impl Points {
    fn len(&self) -> usize {
        match self {
            Points::Rows(v) | Points::Images(v) => v.len(),
        }
    }
}

/// One measurement in progress.
pub struct MetricJob {
    request: MetricRequest,
    step: u64,
    seed: u64,
    prior: Prior,
    /// The model as it was when the job started (no autodiff).
    vae: Vae,
    points: Points,
    done: usize,
    latents: usize,
    means: Vec<f32>,
    logvars: Vec<f32>,
    /// One sample z ~ q(z|x) per point, drawn when the metric is computed.
    samples: Vec<f32>,
}

impl MetricJob {
    /// Starts a measurement of `trainer`'s current model. Fails when the data set does not
    /// support the request (the FactorVAE score and Chen MIG need dSprites' factors).
    pub fn new(request: MetricRequest, trainer: &Trainer) -> Result<Self, String> {
        let config = trainer.config();
        let step = trainer.step_count();
        let mut rng = Rng::derive(config.seed ^ step.rotate_left(17), 41);
        let points = match (trainer.data_ref(), request) {
            (DataSource::Images(img), MetricRequest::Periodic) => {
                // dlib: 10,000 factor vectors drawn uniformly (with replacement); the subset
                // is a complete grid, so a uniform index is a uniform factor vector.
                let n = img.subset.len() as u64;
                Points::Images(
                    (0..metrics::DLIB_MIG_NUM_TRAIN)
                        .map(|_| rng.below(n) as usize)
                        .collect(),
                )
            }
            (DataSource::Images(img), _) => Points::Images((0..img.subset.len()).collect()),
            (DataSource::Vector(v), MetricRequest::Periodic) => Points::Rows((0..v.len).collect()),
            (DataSource::Vector(_), r) => {
                return Err(format!(
                    "the {} needs the ground-truth factors of dSprites",
                    r.title()
                ))
            }
        };
        Ok(Self {
            request,
            step,
            seed: config.seed,
            prior: config.model_prior(),
            vae: trainer.model_ref().vae.valid(),
            points,
            done: 0,
            latents: config.latents,
            means: Vec::new(),
            logvars: Vec::new(),
            samples: Vec::new(),
        })
    }

    /// What this job measures.
    pub fn request(&self) -> MetricRequest {
        self.request
    }

    /// True once every point is encoded (the next [`Self::advance`] computes the metric).
    pub fn encoded(&self) -> bool {
        self.done >= self.points.len()
    }

    /// How far the encoding is, for a progress bar.
    pub fn progress(&self) -> MetricProgress {
        let total = self.points.len();
        let what = match self.points {
            Points::Rows(_) => "points",
            Points::Images(_) => "images",
        };
        MetricProgress {
            request: self.request,
            fraction: self.done as f32 / total.max(1) as f32,
            stage: format!("encoding {} / {} {what}", self.done, total),
        }
    }

    /// Encodes the next `chunk` points; once all are encoded, computes the metric and returns
    /// it (`progress` hears about the computation, which may take a while for Chen's MIG).
    pub async fn advance(
        &mut self,
        trainer: &Trainer,
        chunk: usize,
        progress: &mut dyn FnMut(MetricProgress),
    ) -> Result<Option<MetricReport>, String> {
        if !self.encoded() {
            let end = (self.done + chunk.max(1)).min(self.points.len());
            let x = self.inputs(trainer, self.done..end)?;
            let (mu, logvar) = self.vae.encode(x);
            self.means
                .extend(read_f32(mu).await.map_err(|e| e.to_string())?);
            self.logvars
                .extend(read_f32(logvar).await.map_err(|e| e.to_string())?);
            self.done = end;
            if !self.encoded() {
                return Ok(None);
            }
        }
        self.finish(trainer, progress).map(Some)
    }

    /// The encoder inputs of points `range` (rows of x, with u for the iVAE; or rendered images).
    fn inputs(
        &self,
        trainer: &Trainer,
        range: std::ops::Range<usize>,
    ) -> Result<Tensor<2>, String> {
        let device = trainer.device().clone().inner();
        let len = range.len();
        match (&self.points, trainer.data_ref()) {
            (Points::Rows(rows), DataSource::Vector(v)) => {
                let idx: Vec<i64> = rows[range].iter().map(|&r| r as i64).collect();
                let idx = Tensor::<1, Int>::from_data(TensorData::new(idx, [len]), &device);
                let x = v.x.clone().inner().select(0, idx.clone());
                Ok(match &v.aux {
                    Some(a) => Tensor::cat(vec![x, a.clone().inner().select(0, idx)], 1),
                    None => x,
                })
            }
            (Points::Images(ids), DataSource::Images(img)) => {
                let mut buf = vec![0.0f32; len * IMAGE_PIXELS];
                for (out, &i) in buf.chunks_mut(IMAGE_PIXELS).zip(&ids[range]) {
                    img.subset.render(i, out);
                }
                Ok(Tensor::from_data(
                    TensorData::new(buf, [len, IMAGE_PIXELS]),
                    &device,
                ))
            }
            _ => Err("the data set changed while a metric was being measured".into()),
        }
    }

    fn matrix(&self, v: &[f32]) -> Result<Matrix, String> {
        let n = v.len() / self.latents.max(1);
        Matrix::from_vec(n, self.latents, v.iter().map(|&x| x as f64).collect())
    }

    /// Encodes every remaining point and computes the metric: the whole job at once, for a
    /// run that has finished (the CLI) rather than one that trains on (the page).
    pub async fn run_to_end(&mut self, trainer: &Trainer) -> Result<MetricReport, String> {
        loop {
            if let Some(report) = self.advance(trainer, 4096, &mut |_| {}).await? {
                return Ok(report);
            }
        }
    }

    /// The codes the metric was computed on (once it has been), with the ground truth of
    /// the same points, row for row: what `--export-codes` writes.
    pub fn codes(&self, trainer: &Trainer) -> Option<(Codes, GroundTruth)> {
        if self.samples.is_empty() {
            return None;
        }
        let codes = Codes {
            latents: self.latents,
            means: self.means.clone(),
            logvars: self.logvars.clone(),
            samples: self.samples.clone(),
        };
        let truth = match (&self.points, trainer.data_ref()) {
            (Points::Images(ids), DataSource::Images(img)) => GroundTruth::Factors(
                ids.iter()
                    .map(|&i| img.subset.factors(i).classes().map(|c| c as u32))
                    .collect(),
            ),
            (Points::Rows(rows), DataSource::Vector(v)) => match &v.truth {
                Truth::Classes(c) => GroundTruth::Classes(rows.iter().map(|&r| c[r]).collect()),
                Truth::Sources { s, dim, segment } => GroundTruth::Sources {
                    s: rows
                        .iter()
                        .flat_map(|&r| s[r * dim..(r + 1) * dim].iter().copied())
                        .collect(),
                    dim: *dim,
                    segment: rows.iter().map(|&r| segment[r]).collect(),
                },
            },
            _ => return None,
        };
        Some((codes, truth))
    }
}
