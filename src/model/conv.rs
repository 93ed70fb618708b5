//! Convolutional encoder/decoder for 64×64 dSprites images.
//!
//! `Dlib` is disentanglement_lib's architecture (conv 32-4s2, 32-4s2, 64-2s2, 64-2s2, FC 256
//! and the mirrored decoder: FC 256, FC 1024, deconv 64-4s2, 32-4s2, 32-4s2, 1-4s2). `Small`
//! halves the channels and the FC width, for the page's CPU backends.

use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu;

/// Side of a dSprites image.
pub const SIDE: usize = 64;

pub use super::kinds::ConvSize;

/// Image encoder: 64×64×1 → (μ, log σ²) of K latents.
#[derive(Module, Debug)]
pub struct ConvEncoder {
    c1: Conv2d,
    c2: Conv2d,
    c3: Conv2d,
    c4: Conv2d,
    fc: Linear,
    out: Linear,
}

/// Image decoder: K latents → 64×64 Bernoulli logits.
#[derive(Module, Debug)]
pub struct ConvDecoder {
    fc1: Linear,
    fc2: Linear,
    d1: ConvTranspose2d,
    d2: ConvTranspose2d,
    d3: ConvTranspose2d,
    d4: ConvTranspose2d,
}

fn conv(c_in: usize, c_out: usize, k: usize, device: &Device) -> Conv2d {
    // "same" padding of TensorFlow for stride 2: 1 pixel for k = 4, none for k = 2.
    let p = (k - 2) / 2;
    Conv2dConfig::new([c_in, c_out], [k, k])
        .with_stride([2, 2])
        .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
        .init(device)
}

fn deconv(c_in: usize, c_out: usize, device: &Device) -> ConvTranspose2d {
    // k = 4, stride 2, padding 1 doubles the side exactly.
    ConvTranspose2dConfig::new([c_in, c_out], [4, 4])
        .with_stride([2, 2])
        .with_padding([1, 1])
        .init(device)
}

/// Builds the encoder and decoder for `latents` latent dimensions.
pub fn init(size: ConvSize, latents: usize, device: &Device) -> (ConvEncoder, ConvDecoder) {
    let ([a, b, c, d], fc) = super::kinds::conv_widths(size);
    let flat = d * 4 * 4;
    let encoder = ConvEncoder {
        c1: conv(1, a, 4, device),
        c2: conv(a, b, 4, device),
        c3: conv(b, c, 2, device),
        c4: conv(c, d, 2, device),
        fc: LinearConfig::new(flat, fc).init(device),
        out: LinearConfig::new(fc, 2 * latents).init(device),
    };
    let decoder = ConvDecoder {
        fc1: LinearConfig::new(latents, fc).init(device),
        fc2: LinearConfig::new(fc, flat).init(device),
        d1: deconv(d, c, device),
        d2: deconv(c, b, device),
        d3: deconv(b, a, device),
        d4: deconv(a, 1, device),
    };
    (encoder, decoder)
}

impl ConvEncoder {
    /// # Shapes
    /// - `x`: `[batch, 4096]` (flattened 64×64 images) → `[batch, 2K]`
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let batch = x.dims()[0];
        let h = x.reshape([batch, 1, SIDE, SIDE]); // [batch, 1, 64, 64]
        let h = relu(self.c1.forward(h)); // [batch, a, 32, 32]
        let h = relu(self.c2.forward(h)); // [batch, b, 16, 16]
        let h = relu(self.c3.forward(h)); // [batch, c, 8, 8]
        let h = relu(self.c4.forward(h)); // [batch, d, 4, 4]
        let h = h.flatten::<2>(1, 3); // [batch, 16d]
        let h = relu(self.fc.forward(h)); // [batch, fc]
        self.out.forward(h) // [batch, 2K]
    }
}

impl ConvDecoder {
    /// # Shapes
    /// - `z`: `[batch, K]` → logits `[batch, 4096]`
    pub fn forward(&self, z: Tensor<2>) -> Tensor<2> {
        let batch = z.dims()[0];
        let h = relu(self.fc1.forward(z)); // [batch, fc]
        let h = relu(self.fc2.forward(h)); // [batch, 16d]
        let d = h.dims()[1] / 16;
        let h = h.reshape([batch, d, 4, 4]); // [batch, d, 4, 4]
        let h = relu(self.d1.forward(h)); // [batch, c, 8, 8]
        let h = relu(self.d2.forward(h)); // [batch, b, 16, 16]
        let h = relu(self.d3.forward(h)); // [batch, a, 32, 32]
        let h = self.d4.forward(h); // [batch, 1, 64, 64]
        h.reshape([batch, SIDE * SIDE]) // [batch, 4096]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_round_trip_for_both_sizes() {
        let device = Device::flex();
        for size in [ConvSize::Dlib, ConvSize::Small] {
            let (enc, dec) = init(size, 6, &device);
            let x = Tensor::<2>::zeros([3, SIDE * SIDE], &device);
            assert_eq!(enc.forward(x).dims(), [3, 12]);
            let z = Tensor::<2>::zeros([3, 6], &device);
            assert_eq!(dec.forward(z).dims(), [3, SIDE * SIDE]);
        }
    }
}
