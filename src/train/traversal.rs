//! Latent traversals: decode a chosen point's code while one latent sweeps ±3, per latent.

#[cfg(feature = "train")]
use burn::{module::Module, prelude::*};
use serde::{Deserialize, Serialize};

#[cfg(feature = "train")]
use super::{
    source::DataSource,
    trainer::{read_f32, TrainError, Trainer},
};
#[cfg(feature = "train")]
use crate::data::dsprites::IMAGE_SIDE;

/// Values per latent in an image traversal (−3 … 3).
pub const IMAGE_STEPS: usize = 7;
/// Points per decoded path in a 2-D traversal.
pub const PATH_STEPS: usize = 25;
/// The sweep covers μ_j ± this many prior standard deviations.
pub const SWEEP: f32 = 3.0;

/// Decoded sweeps, one per latent, most active latent first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Traversal {
    /// Latent index of each row, in display order (by KL, descending).
    pub order: Vec<usize>,
    /// The decoded sweeps.
    pub decoded: Decoded,
}

/// What a traversal decodes to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Decoded {
    /// Images: `rows × IMAGE_STEPS` greyscale images (0–255), row-major, `side²` each.
    Images {
        /// Image side.
        side: usize,
        /// Pixels.
        pixels: Vec<u8>,
    },
    /// 2-D data: one path of `PATH_STEPS` points in data space per latent, plus the start point.
    Paths {
        /// `rows × PATH_STEPS × 2` coordinates.
        xy: Vec<f32>,
        /// The decoded mean of the chosen point itself.
        centre: [f32; 2],
    },
}

#[cfg(feature = "train")]
impl Trainer {
    /// Traverses every latent around shown point `point`'s posterior mean; `kl_per_latent`
    /// orders the rows (active latents first).
    pub async fn traversal(
        &self,
        point: usize,
        kl_per_latent: &[f32],
    ) -> Result<Traversal, TrainError> {
        let vae = self.model_ref().vae.valid();
        let (shown, _) = self.shown_ref();
        let point = point.min(shown.dims()[0].saturating_sub(1));
        let k = self.config().latents;
        let x = shown.clone().inner().narrow(0, point, 1); // [1, D + d_aux]
        let (mu, _) = vae.encode(x); // [1, K]
        let centre = read_f32(mu.clone()).await?;
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by(|&a, &b| {
            let (ka, kb) = (
                kl_per_latent.get(a).copied().unwrap_or(0.0),
                kl_per_latent.get(b).copied().unwrap_or(0.0),
            );
            kb.total_cmp(&ka)
        });
        let images = matches!(self.data_ref(), DataSource::Images(_));
        let steps = if images { IMAGE_STEPS } else { PATH_STEPS };
        let mut codes = Vec::with_capacity(k * steps * k);
        for &j in &order {
            for s in 0..steps {
                let v = -SWEEP + 2.0 * SWEEP * s as f32 / (steps - 1) as f32;
                let mut z = centre.clone();
                z[j] = centre[j] + v;
                codes.extend(z);
            }
        }
        let device = mu.device();
        let z = Tensor::<2>::from_data(TensorData::new(codes, [k * steps, k]), &device);
        let decoded = if images {
            let img = read_f32(vae.mean_image(z)).await?;
            Decoded::Images {
                side: IMAGE_SIDE,
                pixels: img
                    .iter()
                    .map(|&p| (p.clamp(0.0, 1.0) * 255.0) as u8)
                    .collect(),
            }
        } else {
            let out = read_f32(vae.mean_image(z)).await?; // [k·steps, D]
            let d = out.len() / (k * steps);
            let xy = out
                .chunks(d)
                .flat_map(|r| [r[0], r[1.min(d - 1)]])
                .collect();
            let c = read_f32(
                vae.mean_image(Tensor::from_data(TensorData::new(centre, [1, k]), &device)),
            )
            .await?;
            Decoded::Paths {
                xy,
                centre: [c[0], c[1.min(c.len() - 1)]],
            }
        };
        Ok(Traversal { order, decoded })
    }
}

#[cfg(all(test, feature = "train"))]
mod tests {
    use super::*;
    use crate::train::{DatasetKind, TrainConfig};

    #[test]
    fn traversals_have_one_row_per_latent_in_kl_order() {
        let device = Device::flex();
        let t = Trainer::new(
            TrainConfig {
                latents: 3,
                ..TrainConfig::default()
            },
            &device,
        )
        .unwrap();
        let tr = pollster::block_on(t.traversal(0, &[0.1, 2.0, 0.5])).unwrap();
        assert_eq!(tr.order, vec![1, 2, 0]);
        match tr.decoded {
            Decoded::Paths { xy, .. } => assert_eq!(xy.len(), 3 * PATH_STEPS * 2),
            other => panic!("{other:?}"),
        }
        let config = TrainConfig {
            dataset: DatasetKind::Dsprites,
            latents: 2,
            batch: 4,
            subset: "shapes:square,scales:0,orients:1,stride:16"
                .parse()
                .unwrap(),
            ..TrainConfig::default()
        };
        let t = Trainer::new(config, &device).unwrap();
        let tr = pollster::block_on(t.traversal(0, &[0.0, 0.0])).unwrap();
        match tr.decoded {
            Decoded::Images { side, pixels } => {
                assert_eq!(pixels.len(), 2 * IMAGE_STEPS * side * side)
            }
            other => panic!("{other:?}"),
        }
    }
}
