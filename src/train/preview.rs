//! A look at the data before training: a sprite sheet or a labelled scatter.

use serde::{Deserialize, Serialize};

use crate::data::dsprites::{Factors, IMAGE_PIXELS, IMAGE_SIDE};
use crate::data::{ivae, pinwheel};
use crate::rng::Rng;
use crate::settings::{DatasetKind, TrainConfig};

/// Images in a dSprites preview.
pub const PREVIEW_IMAGES: usize = 32;
/// Most points in a scatter preview.
pub const PREVIEW_POINTS: usize = 2_000;

/// What the data-set panel shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Preview {
    /// Binary images, row-major, `side × side` each, with their shape class.
    Images {
        /// Image side in pixels.
        side: usize,
        /// `count · side²` pixels, 0 or 1.
        pixels: Vec<u8>,
        /// Shape class of each image.
        labels: Vec<u32>,
        /// Images in the subset.
        subset_size: usize,
        /// Values per factor in the subset (shape, scale, orientation, posX, posY).
        factor_sizes: [usize; 5],
    },
    /// 2-D points with a label each (pinwheel arm, iVAE segment): the observed x.
    Points {
        /// Row-major `[n, 2]` coordinates (the first two dimensions).
        xy: Vec<f32>,
        /// Label per point.
        labels: Vec<u32>,
    },
}

/// Draws the preview of `config`'s data set (deterministic in the seed).
pub fn preview(config: &TrainConfig) -> Result<Preview, String> {
    let points = |x: Vec<f32>, dim: usize, labels: Vec<u32>| {
        let n = (x.len() / dim).min(PREVIEW_POINTS);
        let step = (x.len() / dim).div_ceil(n.max(1)).max(1);
        let mut xy = Vec::with_capacity(2 * n);
        let mut l = Vec::with_capacity(n);
        for i in (0..x.len() / dim).step_by(step) {
            xy.extend_from_slice(&[x[i * dim], x[i * dim + 1.min(dim - 1)]]);
            l.push(labels[i]);
        }
        Preview::Points { xy, labels: l }
    };
    match config.dataset {
        DatasetKind::Pinwheel => {
            let p = pinwheel::generate(config.seed);
            Ok(points(p.x, p.dim, p.labels))
        }
        DatasetKind::Ivae => {
            let d = ivae::generate(&config.ivae, config.seed)?;
            Ok(points(
                d.x.iter().map(|&v| v as f32).collect(),
                d.config.dim,
                d.segment,
            ))
        }
        DatasetKind::Dsprites => {
            let subset = &config.subset;
            let n = PREVIEW_IMAGES.min(subset.len());
            let mut buf = vec![0.0f32; n * IMAGE_PIXELS];
            let mut factors = vec![Factors::default(); n];
            subset.sample_batch(&mut Rng::derive(config.seed, 5), &mut buf, &mut factors);
            Ok(Preview::Images {
                side: IMAGE_SIDE,
                pixels: buf.iter().map(|&v| (v > 0.5) as u8).collect(),
                labels: factors.iter().map(|f| f.shape as u32).collect(),
                subset_size: subset.len(),
                factor_sizes: subset.factor_sizes(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_have_the_promised_sizes() {
        let c = TrainConfig::default();
        match preview(&c).unwrap() {
            Preview::Points { xy, labels } => {
                assert_eq!(labels.len(), 400);
                assert_eq!(xy.len(), 800);
            }
            other => panic!("{other:?}"),
        }
        let c = TrainConfig {
            dataset: DatasetKind::Dsprites,
            ..TrainConfig::default()
        };
        match preview(&c).unwrap() {
            Preview::Images {
                pixels,
                labels,
                subset_size,
                ..
            } => {
                assert_eq!(labels.len(), PREVIEW_IMAGES);
                assert_eq!(pixels.len(), PREVIEW_IMAGES * IMAGE_PIXELS);
                assert!(pixels.contains(&1));
                assert_eq!(subset_size, c.subset.len());
            }
            other => panic!("{other:?}"),
        }
        let c = TrainConfig {
            dataset: DatasetKind::Ivae,
            ..TrainConfig::default()
        };
        match preview(&c).unwrap() {
            Preview::Points { labels, .. } => assert_eq!(labels.len(), PREVIEW_POINTS),
            other => panic!("{other:?}"),
        }
    }
}
