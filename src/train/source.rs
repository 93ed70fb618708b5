//! Turns a data set into device tensors and minibatches for the trainer.

use burn::prelude::*;

use super::config::{DatasetKind, TrainConfig};
use crate::data::pinwheel;

/// A vector data set held on the device, with a label per point for colouring plots.
pub struct VectorData {
    /// All points, `[N, D]`, on the (autodiff) training device.
    pub x: Tensor<2>,
    /// Class / segment label of each point.
    pub labels: Vec<u32>,
    /// Number of points N.
    pub len: usize,
    /// Data dimension D.
    pub dim: usize,
}

impl VectorData {
    /// Generates the configured data set and uploads it once.
    pub fn load(config: &TrainConfig, device: &Device) -> Result<Self, String> {
        let (x, labels, dim) = match config.dataset {
            DatasetKind::Pinwheel => {
                let p = pinwheel::generate(config.seed);
                (p.x, p.labels, p.dim)
            }
        };
        let len = labels.len();
        if len == 0 || x.len() != len * dim {
            return Err(format!("data set {} is empty or malformed", config.dataset.key()));
        }
        let x = Tensor::<2>::from_data(TensorData::new(x, [len, dim]), device);
        Ok(Self { x, labels, len, dim })
    }

    /// A minibatch of `batch` rows starting at a random offset (with wrap-around), or the whole
    /// set when `batch >= N` (full-batch training, as DD does on the pinwheel).
    pub fn batch(&self, batch: usize, offset: usize) -> Tensor<2> {
        if batch >= self.len {
            return self.x.clone();
        }
        let start = offset % self.len;
        if start + batch <= self.len {
            self.x.clone().narrow(0, start, batch)
        } else {
            let head = self.x.clone().narrow(0, start, self.len - start);
            let tail = self.x.clone().narrow(0, 0, batch - (self.len - start));
            Tensor::cat(vec![head, tail], 0)
        }
    }
}
