//! The dSprites networks' stride-2 convolutions on channels-last (NHWC) activations, as a
//! burn backend extension on Flex with a hand-written backward pass: each way (forward, and
//! both gradients) a layout copy and one or a few matrix products, never a window copied
//! out. Same function and parameters as burn's `Conv2d` / `ConvTranspose2d`; used on Flex,
//! where burn-flex's direct convolutions and their backward passes (a transposed or
//! huge-kernel convolution per gradient) took most of a dSprites step (profiled:
//! `conv_plane_accumulate` and its im2col ≈ 60 %, up to 25 ms of CPU per gradient of one
//! layer).
//!
//! - 4 × 4, stride 2, padding 1 (every layer but the encoder's last two): on the block layout
//!   of [`super::blocks`], with S = the input in blocks, V_u′ its two window views and
//!   W_u′ the weight's taps for them: y = crop(Σ_u′ V_u′·W_u′) + b; dW_u′ = V_u′ᵀ·pad(dy);
//!   dx = from_blocks(Σ_u′v′ pad(dy)·W_u′v′ᵀ added at its blocks). The transposed
//!   convolution with the same weight is that dx map applied to its input, so its gradients
//!   are the convolution's forward (dx) and weight gradient (dW) with dy in blocks.
//! - 2 × 2, stride 2, no padding (every input pixel in exactly one window): im2col is a
//!   reshuffle of the input, y = im2col(x)·W′ + b, dW′ = im2col(x)ᵀ·dy, dx its inverse
//!   reshuffle of dy·W′ᵀ (depth-to-space).
//!
//! The products run through [`FlexGemm`]'s kernel, which writes each output once.

use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Backend, Dispatch, Flex};
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::prelude::*;

use super::blocks::{self, Blocks};
use super::flex_gemm::FlexGemm;
use super::im2col::{self, Image};

mod autodiff;
mod maths;

use maths::{add_bias, conv_c, deconv_d, dims};

/// A stride-2 convolution (k ∈ {2, 4}, padding (k − 2)/2) and a 4 × 4, stride-2, padding-1
/// transposed convolution on channels-last tensors, with the layout copies and products
/// they are built on ([`super::blocks`], [`super::im2col`]).
#[backend_extension(Flex, Autodiff)]
pub trait ConvS2: Backend + FlexGemm {
    /// [`im2col::im2col`]: `[B, H, W, C]` → `[B·Ho·Wo, k·k·C]`.
    fn im2col_s2(x: FloatTensor<Self>, k: usize, pad: usize) -> FloatTensor<Self>;

    /// [`blocks::to_blocks`]: `[B, H, W, C]` → `[blocks, 4C]` (H, W even).
    fn to_blocks_s2(x: FloatTensor<Self>) -> FloatTensor<Self>;

    /// [`blocks::from_blocks`]: `[blocks, 4C]` → `[B, H, W, C]`.
    fn from_blocks_s2(s: FloatTensor<Self>, image: [usize; 3]) -> FloatTensor<Self>;

    /// [`blocks::pad_grid`]: `[B, Ho, Wo, C]` → `[B·(Ho + 1)·(Wo + 1), C]`.
    fn pad_grid_s2(y: FloatTensor<Self>) -> FloatTensor<Self>;

    /// [`blocks::crop_grid`]: `[B·(Ho + 1)·(Wo + 1), C]` → `[B, Ho, Wo, C]`.
    fn crop_grid_s2(yp: FloatTensor<Self>, grid: [usize; 3]) -> FloatTensor<Self>;

    /// [`blocks::conv`] on the grid `[B, Ho, Wo]`: blocks, `[2, 8C, Co]` → `[rows, Co]`.
    fn block_conv_s2(
        s: FloatTensor<Self>,
        w2: FloatTensor<Self>,
        grid: [usize; 3],
    ) -> FloatTensor<Self>;

    /// [`blocks::conv_grad_w`] on the grid `[B, Ho, Wo]`: blocks, `[rows, Co]` →
    /// `[2, 8C, Co]`.
    fn block_conv_grad_w_s2(
        s: FloatTensor<Self>,
        dyp: FloatTensor<Self>,
        grid: [usize; 3],
    ) -> FloatTensor<Self>;

    /// [`blocks::conv_adjoint`] on the grid `[B, Ho, Wo]`: `[rows, Co]`, `[2, 8C, Co]` →
    /// blocks `[.., 4C]`.
    fn block_conv_adjoint_s2(
        dyp: FloatTensor<Self>,
        w2: FloatTensor<Self>,
        grid: [usize; 3],
    ) -> FloatTensor<Self>;

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

/// A Flex tensor of `shape` holding `values`.
fn flex(values: Vec<f32>, shape: impl Into<Shape>) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(values, shape.into()))
}

/// The blocks of the grid `[B, Ho, Wo]` whose blocks are `width` floats wide.
fn grid_blocks([b, ho, wo]: [usize; 3], width: usize) -> Blocks {
    Blocks::of_output(b, ho, wo, width / 4)
}

impl ConvS2 for Flex {
    fn im2col_s2(x: FlexTensor, k: usize, pad: usize) -> FlexTensor {
        let [b, h, w, c] = dims::<Flex, 4>(&x);
        let g = Image { batch: b, h, w, c };
        let (ho, wo) = g.conv_out(k, pad);
        let cols = im2col::im2col(&values(&x), g, k, pad);
        flex(cols, [b * ho * wo, k * k * c])
    }

    fn to_blocks_s2(x: FlexTensor) -> FlexTensor {
        let [b, h, w, c] = dims::<Flex, 4>(&x);
        let g = Image { batch: b, h, w, c };
        let s = blocks::to_blocks(&values(&x), g);
        let rows = s.len() / (4 * c);
        flex(s, [rows, 4 * c])
    }

    fn from_blocks_s2(s: FlexTensor, [b, h, w]: [usize; 3]) -> FlexTensor {
        let c = dims::<Flex, 2>(&s)[1] / 4;
        let x = blocks::from_blocks(&values(&s), Image { batch: b, h, w, c });
        flex(x, [b, h, w, c])
    }

    fn pad_grid_s2(y: FlexTensor) -> FlexTensor {
        let d @ [b, ho, wo, c] = dims::<Flex, 4>(&y);
        flex(
            blocks::pad_grid(&values(&y), d),
            [b * (ho + 1) * (wo + 1), c],
        )
    }

    fn crop_grid_s2(yp: FlexTensor, [b, ho, wo]: [usize; 3]) -> FlexTensor {
        let c = dims::<Flex, 2>(&yp)[1];
        flex(
            blocks::crop_grid(&values(&yp), [b, ho, wo, c]),
            [b, ho, wo, c],
        )
    }

    fn block_conv_s2(s: FlexTensor, w2: FlexTensor, grid: [usize; 3]) -> FlexTensor {
        let geo = grid_blocks(grid, dims::<Flex, 2>(&s)[1]);
        let co = dims::<Flex, 3>(&w2)[2];
        let y = blocks::conv(&values(&s), geo, &values(&w2), co);
        flex(y, [geo.rows(), co])
    }

    fn block_conv_grad_w_s2(s: FlexTensor, dyp: FlexTensor, grid: [usize; 3]) -> FlexTensor {
        let geo = grid_blocks(grid, dims::<Flex, 2>(&s)[1]);
        let co = dims::<Flex, 2>(&dyp)[1];
        let dw = blocks::conv_grad_w(&values(&s), geo, &values(&dyp), co);
        flex(dw, [2, 8 * geo.c, co])
    }

    fn block_conv_adjoint_s2(dyp: FlexTensor, w2: FlexTensor, grid: [usize; 3]) -> FlexTensor {
        let [_, k, co] = dims::<Flex, 3>(&w2);
        let geo = grid_blocks(grid, k / 2);
        let s = blocks::conv_adjoint(&values(&dyp), geo, &values(&w2), co);
        flex(s, [geo.len() / geo.width(), geo.width()])
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
