//! The dSprites networks' stride-2 convolutions on channels-last (NHWC) activations, each
//! way (forward, and both gradients) one gather of [`super::im2col`] and one matrix product
//! (the weight gradient reuses the forward's gather), as a burn backend extension on Flex
//! with a hand-written backward pass. Same function and parameters as burn's `Conv2d` /
//! `ConvTranspose2d`; used on Flex, where burn-flex's direct convolutions and their backward
//! passes (a transposed or huge-kernel convolution per gradient) took most of a dSprites step
//! (profiled: `conv_plane_accumulate` and its im2col ≈ 60 %, up to 25 ms of CPU per gradient
//! of one layer).
//!
//! With C(x, W) = im2col(x)·W' (a k × k, stride-2 convolution, W' = W reordered to rows
//! (u, v, c)) and D(x, W) = the phases of phase_gather(x)·W_p interleaved (a 4 × 4, stride-2
//! transposed convolution, W_p = the flipped taps of each phase):
//! - convolution: y = C(x, W) + b; dx = D(dy, W); dW' = im2col(x)ᵀ·dy; db = Σ dy;
//! - transposed convolution: y = D(x, W) + b; dx = C(dy, W); dW_p = phase_gather(x)ᵀ·dy_p.
//!
//! When the transposed convolution narrows the channels (Co < C, e.g. the decoder's last
//! layer to one channel), D scatters instead: D(x, W) = col2im(x·W'), dW' = xᵀ·im2col(dy),
//! whose intermediate has 16·Co rather than 16·C values per input pixel.
//!
//! The products keep their outputs small (never the k²-times larger im2col-shaped matrix:
//! burn-flex's matrix product took 16 ms for a 16384 × 16 by 16 × 256 one, measured), and run
//! through [`FlexGemm`], which writes each output once.

use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Backend, Dispatch, Flex};
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::prelude::*;

use super::flex_gemm::FlexGemm;
use super::im2col::{self, Image};

mod autodiff;
mod maths;

use maths::{add_bias, conv_c, deconv_d, dims};

/// A stride-2 convolution (k ∈ {2, 4}, padding (k − 2)/2) and a 4 × 4, stride-2, padding-1
/// transposed convolution on channels-last tensors, with the gathers they are built on.
#[backend_extension(Flex, Autodiff)]
pub trait ConvS2: Backend + FlexGemm {
    /// [`im2col::im2col`]: `[B, H, W, C]` → `[B·Ho·Wo, k·k·C]`.
    fn im2col_s2(x: FloatTensor<Self>, k: usize, pad: usize) -> FloatTensor<Self>;

    /// [`im2col::col2im`] into `[B, H, W, C]`: `[B·Ho·Wo, k·k·C]` → `[B, H, W, C]`.
    #[allow(clippy::too_many_arguments)]
    fn col2im_s2(
        cols: FloatTensor<Self>,
        batch: usize,
        h: usize,
        w: usize,
        c: usize,
        k: usize,
        pad: usize,
    ) -> FloatTensor<Self>;

    /// [`im2col::phase_gather`]: `[B, H, W, C]` → `[4, B·H·W, 4C]`.
    fn phase_gather_s2(x: FloatTensor<Self>) -> FloatTensor<Self>;

    /// `Conv2d` (weight `[Co, C, k, k]`, bias `[Co]`): `[B, H, W, C]` → `[B, Ho, Wo, Co]`.
    fn conv_s2(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let y = conv_c::<Self>(x, weight);
        add_bias::<Self>(y, bias)
    }

    /// `ConvTranspose2d` (weight `[C, Co, 4, 4]`, bias `[Co]`): `[B, H, W, C]` →
    /// `[B, 2H, 2W, Co]`.
    fn deconv_s2(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let y = deconv_d::<Self>(x, weight);
        add_bias::<Self>(y, bias)
    }
}

impl ConvS2 for Flex {
    fn im2col_s2(x: FlexTensor, k: usize, pad: usize) -> FlexTensor {
        let [b, h, w, c] = dims::<Flex, 4>(&x);
        let g = Image { batch: b, h, w, c };
        let (ho, wo) = g.conv_out(k, pad);
        let cols = im2col::im2col(&values(&x), g, k, pad);
        FlexTensor::from_data(TensorData::new(cols, [b * ho * wo, k * k * c]))
    }

    fn col2im_s2(
        cols: FlexTensor,
        batch: usize,
        h: usize,
        w: usize,
        c: usize,
        k: usize,
        pad: usize,
    ) -> FlexTensor {
        let x = im2col::col2im(&values(&cols), Image { batch, h, w, c }, k, pad);
        FlexTensor::from_data(TensorData::new(x, [batch, h, w, c]))
    }

    fn phase_gather_s2(x: FlexTensor) -> FlexTensor {
        let [b, h, w, c] = dims::<Flex, 4>(&x);
        let cols = im2col::phase_gather(&values(&x), Image { batch: b, h, w, c });
        FlexTensor::from_data(TensorData::new(cols, [4, b * h * w, 4 * c]))
    }
}

/// A Flex tensor's f32 values, row-major (copied only when not contiguous).
pub(crate) fn values(t: &FlexTensor) -> std::borrow::Cow<'_, [f32]> {
    match t.as_slice::<f32>() {
        Some(s) => std::borrow::Cow::Borrowed(s),
        None => std::borrow::Cow::Owned(
            t.to_contiguous()
                .as_slice::<f32>()
                .expect("conv_s2: f32 tensors")
                .to_vec(),
        ),
    }
}

/// True when `device` is Flex (autodiff or not), where these convolutions run.
pub fn supported(device: &Device) -> bool {
    *device == Device::flex()
}

/// The layer's bias, or zeros.
fn bias_of(bias: Option<&burn::module::Param<Tensor<1>>>, co: usize, device: &Device) -> Tensor<1> {
    match bias {
        Some(b) => b.val(),
        None => Tensor::zeros([co], device),
    }
}

/// `Conv2d` (k × k, k ∈ {2, 4}, stride 2, padding (k − 2)/2) on a channels-last input, on
/// Flex ([`supported`]).
///
/// # Shapes
/// - `x`: `[B, H, W, C]` → `[B, Ho, Wo, C_out]`
pub fn conv_s2(layer: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let co = layer.weight.dims()[0];
    let b = bias_of(layer.bias.as_ref(), co, &x.device());
    Tensor::from_dispatch(Dispatch::conv_s2(
        x.into_dispatch(),
        layer.weight.val().into_dispatch(),
        b.into_dispatch(),
    ))
}

/// `ConvTranspose2d` (4 × 4, stride 2, padding 1) on a channels-last input, on Flex
/// ([`supported`]).
///
/// # Shapes
/// - `x`: `[B, H, W, C]` → `[B, 2H, 2W, C_out]`
pub fn deconv_s2(layer: &ConvTranspose2d, x: Tensor<4>) -> Tensor<4> {
    let co = layer.weight.dims()[1];
    let b = bias_of(layer.bias.as_ref(), co, &x.device());
    Tensor::from_dispatch(Dispatch::deconv_s2(
        x.into_dispatch(),
        layer.weight.val().into_dispatch(),
        b.into_dispatch(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::conv::{Conv2dConfig, ConvTranspose2dConfig};
    use burn::nn::PaddingConfig2d;
    use burn::tensor::Distribution;

    fn close(a: Tensor<4>, b: Tensor<4>, what: &str) {
        let (a, b) = (
            a.into_data().try_to_vec::<f32>().unwrap(),
            b.into_data().try_to_vec::<f32>().unwrap(),
        );
        assert_eq!(a.len(), b.len(), "{what}: sizes");
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert!(
                (x - y).abs() < 1e-4 * (1.0 + y.abs()),
                "{what}[{i}]: {x} vs {y}"
            );
        }
    }

    fn nhwc(x: Tensor<4>) -> Tensor<4> {
        x.permute([0, 2, 3, 1])
    }

    #[test]
    fn stride_two_convolutions_match_burns_in_values_and_gradients() {
        let device = Device::flex().autodiff();
        device.seed(1);
        for (k, c_in, c_out, side) in [(4, 1, 3, 8), (4, 3, 5, 6), (4, 4, 2, 6), (2, 4, 3, 8)] {
            let p = (k - 2) / 2;
            let layer = Conv2dConfig::new([c_in, c_out], [k, k])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
                .init(&device);
            let x = Tensor::<4>::random(
                [2, c_in, side, side],
                Distribution::Normal(0.0, 1.0),
                &device,
            )
            .require_grad();
            let want = layer.forward(x.clone()); // [B, Co, Ho, Wo]
            let got = conv_s2(&layer, nhwc(x.clone())); // [B, Ho, Wo, Co]
            close(got.clone(), nhwc(want.clone()), "forward");
            // Gradients of a weighted sum reach x, the weight and the bias alike.
            let r = Tensor::<4>::random(want.dims(), Distribution::Normal(0.0, 1.0), &device);
            let g1 = (want * r.clone()).sum().backward();
            let g2 = (got * nhwc(r)).sum().backward();
            close(x.grad(&g2).unwrap(), x.grad(&g1).unwrap(), "dx");
            let wg = |g| layer.weight.val().grad(g).unwrap();
            close(wg(&g2), wg(&g1), "dW");
            let bg = |g| {
                layer
                    .bias
                    .as_ref()
                    .unwrap()
                    .val()
                    .grad(g)
                    .unwrap()
                    .reshape([1, 1, 1, c_out])
            };
            close(bg(&g2), bg(&g1), "db");
        }
    }

    #[test]
    fn stride_two_transposed_convolution_matches_burns_in_values_and_gradients() {
        let device = Device::flex().autodiff();
        device.seed(2);
        for (c_in, c_out, side) in [(3, 2, 4), (2, 1, 5), (2, 3, 4), (3, 3, 3)] {
            let layer = ConvTranspose2dConfig::new([c_in, c_out], [4, 4])
                .with_stride([2, 2])
                .with_padding([1, 1])
                .init(&device);
            let x = Tensor::<4>::random(
                [2, c_in, side, side],
                Distribution::Normal(0.0, 1.0),
                &device,
            )
            .require_grad();
            let want = layer.forward(x.clone()); // [B, Co, 2H, 2W]
            let got = deconv_s2(&layer, nhwc(x.clone()));
            close(got.clone(), nhwc(want.clone()), "forward");
            let r = Tensor::<4>::random(want.dims(), Distribution::Normal(0.0, 1.0), &device);
            let g1 = (want * r.clone()).sum().backward();
            let g2 = (got * nhwc(r)).sum().backward();
            close(x.grad(&g2).unwrap(), x.grad(&g1).unwrap(), "dx");
            let wg = |g| layer.weight.val().grad(g).unwrap();
            close(wg(&g2), wg(&g1), "dW");
            let bg = |g| {
                let b = layer.bias.as_ref().unwrap().val().grad(g).unwrap();
                b.reshape([1, 1, 1, c_out])
            };
            close(bg(&g2), bg(&g1), "db");
        }
    }
}
