//! Turns a data set into device tensors and minibatches for the trainer.

use burn::prelude::*;

use crate::data::dsprites::{Factors, IMAGE_PIXELS};
use crate::data::subset::DspritesSubset;
use crate::data::{ivae, pinwheel};
use crate::rng::Rng;
use crate::settings::{DatasetKind, ModelKind, TrainConfig};

/// Points of each data set shown in the posterior and traversal panels (fixed per run).
pub const SHOWN_POINTS: usize = 512;

/// Ground truth kept next to the data, for colouring plots and computing metrics.
#[derive(Clone, Debug, PartialEq)]
pub enum Truth {
    /// Pinwheel arm of each point.
    Classes(Vec<u32>),
    /// iVAE: true sources (N × d, row-major) and the segment of each point.
    Sources {
        /// Sources s, row-major.
        s: Vec<f32>,
        /// Source dimension d.
        dim: usize,
        /// Segment label of each point.
        segment: Vec<u32>,
    },
}

/// A vector data set held on the device.
pub struct VectorData {
    /// All points, `[N, D]`, on the training device.
    pub x: Tensor<2>,
    /// One-hot segments `[N, S]` for iVAE's auxiliary variable u, else `None`.
    pub aux: Option<Tensor<2>>,
    /// Ground truth (host side).
    pub truth: Truth,
    /// Number of points N.
    pub len: usize,
    /// Data dimension D.
    pub dim: usize,
    /// The current epoch's order of the points; minibatches are taken from it in turn.
    order: Vec<u32>,
    /// Position of the next minibatch in `order`.
    next: usize,
}

/// dSprites images rendered on demand from a subset (nothing is stored).
pub struct ImageData {
    /// The subset batches are drawn from.
    pub subset: DspritesSubset,
    /// Host buffer for one rendered batch.
    buf: Vec<f32>,
    /// Factor classes of the last batch.
    factors: Vec<Factors>,
}

/// What the trainer trains on.
// One per trainer: the variants' size difference costs nothing.
#[allow(clippy::large_enum_variant)]
pub enum DataSource {
    /// Points in R^D (pinwheel, iVAE sources).
    Vector(VectorData),
    /// 64×64 binary images (dSprites).
    Images(ImageData),
}

/// One minibatch: the data and the encoder's input (x, or [x, u] for iVAE).
pub struct Batch {
    /// `[B, D]`.
    pub x: Tensor<2>,
    /// `[B, D + d_aux]`.
    pub x_enc: Tensor<2>,
    /// One-hot u, `[B, S]` (iVAE only).
    pub aux: Option<Tensor<2>>,
}

fn one_hot(labels: &[u32], classes: usize, device: &Device) -> Tensor<2> {
    let mut v = vec![0.0f32; labels.len() * classes];
    for (i, &l) in labels.iter().enumerate() {
        v[i * classes + l as usize] = 1.0;
    }
    Tensor::from_data(TensorData::new(v, [labels.len(), classes]), device)
}

impl DataSource {
    /// Generates (or prepares to render) the configured data set.
    pub fn load(config: &TrainConfig, device: &Device) -> Result<Self, String> {
        let (x, dim, truth, aux_labels) = match config.dataset {
            DatasetKind::Pinwheel => {
                let p = pinwheel::generate_variant(config.pinwheel, config.seed);
                (p.x, p.dim, Truth::Classes(p.labels), None)
            }
            DatasetKind::Ivae => {
                let d = ivae::generate(&config.ivae, config.seed)?;
                let x: Vec<f32> = d.x.iter().map(|&v| v as f32).collect();
                let s = d.s.iter().map(|&v| v as f32).collect();
                let segs = d.config.segments;
                let truth = Truth::Sources {
                    s,
                    dim: d.config.dim,
                    segment: d.segment.clone(),
                };
                (x, d.config.dim, truth, Some((d.segment, segs)))
            }
            DatasetKind::Dsprites => {
                let subset = config.subset.clone();
                if subset.is_empty() {
                    return Err("the dSprites subset is empty".into());
                }
                return Ok(DataSource::Images(ImageData {
                    subset,
                    buf: Vec::new(),
                    factors: Vec::new(),
                }));
            }
        };
        let len = x.len() / dim;
        if len == 0 {
            return Err(format!("data set {} is empty", config.dataset.key()));
        }
        // Only the iVAE reads u; its plain-VAE baseline sees the same x without it.
        let aux = aux_labels
            .filter(|_| config.model == ModelKind::Ivae)
            .map(|(labels, classes)| one_hot(&labels, classes, device));
        let x = Tensor::<2>::from_data(TensorData::new(x, [len, dim]), device);
        Ok(DataSource::Vector(VectorData {
            x,
            aux,
            truth,
            len,
            dim,
            order: Vec::new(),
            next: 0,
        }))
    }

    /// Number of points N.
    pub fn len(&self) -> usize {
        match self {
            DataSource::Vector(v) => v.len,
            DataSource::Images(i) => i.subset.len(),
        }
    }

    /// True for an empty set (never, after a successful `load`).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Data dimension D.
    pub fn dim(&self) -> usize {
        match self {
            DataSource::Vector(v) => v.dim,
            DataSource::Images(_) => IMAGE_PIXELS,
        }
    }

    /// Width of the auxiliary input (iVAE's one-hot u), else 0.
    pub fn aux_dim(&self) -> usize {
        match self {
            DataSource::Vector(VectorData { aux: Some(a), .. }) => a.dims()[1],
            _ => 0,
        }
    }

    /// The next minibatch of `batch` points. Vector data are taken in shuffled epochs, as
    /// PyTorch's `DataLoader(shuffle=True, drop_last=True)` gives them to the references (the
    /// iVAE's VAE baseline scores a different MCC when batches are drawn with replacement:
    /// docs/results.md (f)); the whole set when `batch >= N` (full-batch training, as DD does
    /// on the pinwheel). dSprites images are drawn uniformly with replacement from the subset.
    pub fn batch(&mut self, batch: usize, rng: &mut Rng, device: &Device) -> Batch {
        match self {
            DataSource::Vector(v) => {
                let (x, aux) = if batch >= v.len {
                    (v.x.clone(), v.aux.clone())
                } else {
                    let idx = v.next_epoch_indices(batch, rng);
                    let idx = Tensor::<1, Int>::from_data(TensorData::new(idx, [batch]), device);
                    (
                        v.x.clone().select(0, idx.clone()),
                        v.aux.clone().map(|a| a.select(0, idx)),
                    )
                };
                let x_enc = match &aux {
                    Some(u) => Tensor::cat(vec![x.clone(), u.clone()], 1),
                    None => x.clone(),
                };
                Batch { x, x_enc, aux }
            }
            DataSource::Images(img) => {
                img.buf.resize(batch * IMAGE_PIXELS, 0.0);
                img.factors.resize(batch, Factors::default());
                img.subset.sample_batch(rng, &mut img.buf, &mut img.factors);
                let x = Tensor::<2>::from_data(
                    TensorData::new(img.buf.clone(), [batch, IMAGE_PIXELS]),
                    device,
                );
                Batch {
                    x: x.clone(),
                    x_enc: x,
                    aux: None,
                }
            }
        }
    }

    /// The fixed points shown in the panels: encoder inputs `[n, D + d_aux]` and a label per
    /// point (arm, segment, or dSprites shape). Drawn once per run from `seed`.
    pub fn shown(&self, seed: u64, device: &Device) -> (Tensor<2>, Vec<u32>) {
        let mut rng = Rng::derive(seed, 7);
        let n = SHOWN_POINTS.min(self.len());
        match self {
            DataSource::Vector(v) => {
                let mut idx: Vec<usize> = (0..v.len).collect();
                rng.shuffle(&mut idx);
                idx.truncate(n);
                idx.sort_unstable();
                let labels = idx.iter().map(|&i| v.label(i)).collect();
                let t = Tensor::<1, Int>::from_data(
                    TensorData::new(idx.iter().map(|&i| i as i64).collect::<Vec<_>>(), [n]),
                    device,
                );
                let x = v.x.clone().select(0, t.clone());
                let x_enc = match &v.aux {
                    Some(a) => Tensor::cat(vec![x, a.clone().select(0, t)], 1),
                    None => x,
                };
                (x_enc, labels)
            }
            DataSource::Images(img) => {
                let mut buf = vec![0.0f32; n * IMAGE_PIXELS];
                let mut factors = vec![Factors::default(); n];
                img.subset.sample_batch(&mut rng, &mut buf, &mut factors);
                let labels = factors.iter().map(|f| f.shape as u32).collect();
                (
                    Tensor::from_data(TensorData::new(buf, [n, IMAGE_PIXELS]), device),
                    labels,
                )
            }
        }
    }
}

impl VectorData {
    /// Indices of the next `batch < N` points of the current epoch; a new shuffled epoch
    /// starts when fewer than `batch` points are left (they are dropped, as `drop_last`).
    fn next_epoch_indices(&mut self, batch: usize, rng: &mut Rng) -> Vec<i64> {
        if self.next + batch > self.order.len() {
            self.order = (0..self.len as u32).collect();
            rng.shuffle(&mut self.order);
            self.next = 0;
        }
        let idx = self.order[self.next..self.next + batch]
            .iter()
            .map(|&i| i64::from(i))
            .collect();
        self.next += batch;
        idx
    }

    /// Colouring label of point `i`: pinwheel arm or iVAE segment.
    pub fn label(&self, i: usize) -> u32 {
        match &self.truth {
            Truth::Classes(c) => c[i],
            Truth::Sources { segment, .. } => segment[i],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each epoch of ⌊N/B⌋ minibatches visits ⌊N/B⌋·B distinct points, and the next epoch is
    /// a new order: sampling without replacement, as the references' data loaders do.
    #[test]
    fn vector_minibatches_come_in_shuffled_epochs_without_repeats() {
        let device = Device::flex();
        let mut config = TrainConfig::for_dataset(DatasetKind::Ivae);
        config.ivae.segments = 3;
        config.ivae.per_segment = 7; // N = 21
        let mut data = DataSource::load(&config, &device).unwrap();
        let DataSource::Vector(v) = &mut data else {
            panic!("iVAE data are vectors")
        };
        let (n, batch) = (v.len, 4);
        let mut rng = Rng::new(3);
        assert_eq!(n, 21);
        let mut epochs = Vec::new();
        for _ in 0..2 {
            let mut seen: Vec<i64> = (0..n / batch)
                .flat_map(|_| v.next_epoch_indices(batch, &mut rng))
                .collect();
            let order = seen.clone();
            seen.sort_unstable();
            seen.dedup();
            assert_eq!(
                seen.len(),
                n / batch * batch,
                "a point repeated within an epoch"
            );
            assert!(seen.iter().all(|&i| (0..n as i64).contains(&i)));
            epochs.push(order);
        }
        assert_ne!(epochs[0], epochs[1], "each epoch is shuffled anew");
    }
}
