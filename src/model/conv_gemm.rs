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
//! burn-flex's matrix product took 16 ms for a 16384 × 16 by 16 × 256 one, measured).

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::Autodiff;
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Backend, Dispatch, Flex, TensorMetadata};
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::prelude::*;

use super::im2col::{self, Image};

/// A stride-2 convolution (k ∈ {2, 4}, padding (k − 2)/2) and a 4 × 4, stride-2, padding-1
/// transposed convolution on channels-last tensors, with the gathers they are built on.
#[backend_extension(Flex, Autodiff)]
pub trait ConvS2: Backend {
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

fn dims<B: Backend, const N: usize>(t: &FloatTensor<B>) -> [usize; N] {
    let s = t.shape();
    std::array::from_fn(|i| s[i])
}

/// y + b over the last (channel) axis.
fn add_bias<B: Backend>(y: FloatTensor<B>, bias: FloatTensor<B>) -> FloatTensor<B> {
    let co = bias.shape()[0];
    B::float_add(y, B::float_reshape(bias, Shape::new([1, 1, 1, co])))
}

/// C(x, W): `[B, H, W, C]`, `[Co, C, k, k]` → `[B, Ho, Wo, Co]`.
fn conv_c<B: ConvS2>(x: FloatTensor<B>, weight: FloatTensor<B>) -> FloatTensor<B> {
    let (cols, out) = conv_gather::<B>(x, weight.shape()[2]);
    conv_of_cols::<B>(cols, weight, out)
}

/// The k × k convolution's windows of x, `[B·Ho·Wo, k·k·C]`, and its output's `[B, Ho, Wo]`.
fn conv_gather<B: ConvS2>(x: FloatTensor<B>, k: usize) -> (FloatTensor<B>, [usize; 3]) {
    let [b, h, w, c] = dims::<B, 4>(&x);
    let pad = (k - 2) / 2;
    let (ho, wo) = Image { batch: b, h, w, c }.conv_out(k, pad);
    (B::im2col_s2(x, k, pad), [b, ho, wo])
}

/// C from the windows of [`conv_gather`]: `[B·Ho·Wo, k·k·C]`, `[Co, C, k, k]` →
/// `[B, Ho, Wo, Co]`.
fn conv_of_cols<B: Backend>(
    cols: FloatTensor<B>,
    weight: FloatTensor<B>,
    [b, ho, wo]: [usize; 3],
) -> FloatTensor<B> {
    let [co, c, k, _] = dims::<B, 4>(&weight);
    let wm = B::float_permute(weight, &[2, 3, 1, 0]); // [k, k, C, Co]
    let wm = B::float_reshape(wm, Shape::new([k * k * c, co])); // [k·k·C, Co]
    let y = B::float_matmul(cols, wm); // [B·Ho·Wo, Co]
    B::float_reshape(y, Shape::new([b, ho, wo, co]))
}

/// The transposed convolution's per-phase weights: W[c, o, u, v] with u = 3 − a − 2r',
/// v = 3 − b − 2c' at [(a, b), (r', c', c), o], i.e. `[4, 4C, Co]`.
fn phase_weights<B: Backend>(weight: FloatTensor<B>) -> FloatTensor<B> {
    let [c, co, _, _] = dims::<B, 4>(&weight);
    let w = B::float_flip(weight, &[2, 3]); // [c, o, 2r' + a, 2c' + b]
    let w = B::float_reshape(w, Shape::new([c, co, 2, 2, 2, 2])); // [c, o, r', a, c', b]
    let w = B::float_permute(w, &[3, 5, 2, 4, 0, 1]); // [a, b, r', c', c, o]
    B::float_reshape(w, Shape::new([4, 4 * c, co]))
}

/// The inverse of [`phase_weights`]: `[4, 4C, Co]` → `[C, Co, 4, 4]`.
fn from_phase_weights<B: Backend>(wp: FloatTensor<B>, c: usize, co: usize) -> FloatTensor<B> {
    let w = B::float_reshape(wp, Shape::new([2, 2, 2, 2, c, co])); // [a, b, r', c', c, o]
    let w = B::float_permute(w, &[4, 5, 2, 0, 3, 1]); // [c, o, r', a, c', b]
    let w = B::float_reshape(w, Shape::new([c, co, 4, 4]));
    B::float_flip(w, &[2, 3])
}

/// `[B, 2H, 2W, Co]` ↔ `[4, B·H·W, Co]` (phase-major), both ways.
fn to_phases<B: Backend>(y: FloatTensor<B>) -> FloatTensor<B> {
    let [b, h2, w2, co] = dims::<B, 4>(&y);
    let (h, w) = (h2 / 2, w2 / 2);
    let y = B::float_reshape(y, Shape::new([b, h, 2, w, 2, co])); // [B, m, a, n, b', Co]
    let y = B::float_permute(y, &[2, 4, 0, 1, 3, 5]); // [a, b', B, m, n, Co]
    B::float_reshape(y, Shape::new([4, b * h * w, co]))
}

fn from_phases<B: Backend>(yp: FloatTensor<B>, b: usize, h: usize, w: usize) -> FloatTensor<B> {
    let co = yp.shape()[2];
    let y = B::float_reshape(yp, Shape::new([2, 2, b, h, w, co])); // [a, b', B, m, n, Co]
    let y = B::float_permute(y, &[2, 3, 0, 4, 1, 5]); // [B, m, a, n, b', Co]
    B::float_reshape(y, Shape::new([b, 2 * h, 2 * w, co]))
}

/// Whether D(x, W) for weight `[C, Co, 4, 4]` scatters (x·W' then col2im: an intermediate
/// of 16·Co per input pixel) rather than gathers (phase_gather: 16·C per input pixel).
fn scatters(c: usize, co: usize) -> bool {
    co < c
}

/// W[c, o, u, v] → `[C, (u, v, o)]`: row c of x·W' is an input pixel's 4 × 4 × Co window.
fn scatter_weights<B: Backend>(weight: FloatTensor<B>) -> FloatTensor<B> {
    let [c, co, _, _] = dims::<B, 4>(&weight);
    let w = B::float_permute(weight, &[0, 2, 3, 1]); // [c, u, v, o]
    B::float_reshape(w, Shape::new([c, 16 * co]))
}

/// D(x, W): `[B, H, W, C]`, `[C, Co, 4, 4]` → `[B, 2H, 2W, Co]`.
fn deconv_d<B: ConvS2>(x: FloatTensor<B>, weight: FloatTensor<B>) -> FloatTensor<B> {
    deconv_kept::<B>(x, weight).0
}

/// D from the gathered inputs of [`ConvS2::phase_gather_s2`] (`[4, B·H·W, 4C]`) of an input
/// `[B, H, W, C]`: → `[B, 2H, 2W, Co]`.
fn deconv_of_phases<B: Backend>(
    cols: FloatTensor<B>,
    weight: FloatTensor<B>,
    [b, h, w]: [usize; 3],
) -> FloatTensor<B> {
    let y = B::float_matmul(cols, phase_weights::<B>(weight)); // [4, B·H·W, Co]
    from_phases::<B>(y, b, h, w)
}

/// D(x, W) and what its weight gradient needs: x when D scatters, else x's phase gather.
fn deconv_kept<B: ConvS2>(
    x: FloatTensor<B>,
    weight: FloatTensor<B>,
) -> (FloatTensor<B>, FloatTensor<B>) {
    let [b, h, w, c] = dims::<B, 4>(&x);
    let co = weight.shape()[1];
    if scatters(c, co) {
        let rows = B::float_reshape(x.clone(), Shape::new([b * h * w, c]));
        let rows = B::float_matmul(rows, scatter_weights::<B>(weight)); // [B·H·W, 16Co]
        return (B::col2im_s2(rows, b, 2 * h, 2 * w, co, 4, 1), x);
    }
    let cols = B::phase_gather_s2(x);
    (deconv_of_phases::<B>(cols.clone(), weight, [b, h, w]), cols)
}

/// dW of D(x, W) for the output gradient dy: `[C, Co, 4, 4]`. `kept` is what the forward
/// kept ([`deconv_kept`]): x itself when D scatters, else x's phase gather.
fn deconv_grad_w<B: ConvS2>(
    kept: FloatTensor<B>,
    dy: FloatTensor<B>,
    c: usize,
    co: usize,
) -> FloatTensor<B> {
    if scatters(c, co) {
        // y = col2im(x·W'): dW' = xᵀ·im2col(dy).
        let x = kept;
        let [b, h, w, _] = dims::<B, 4>(&x);
        let x = B::float_reshape(x, Shape::new([b * h * w, c]));
        let cols = B::im2col_s2(dy, 4, 1); // [B·H·W, 16Co]
        let dw = B::float_matmul(B::float_transpose(x), cols); // [C, (u, v, o)]
        let dw = B::float_reshape(dw, Shape::new([c, 4, 4, co]));
        return B::float_permute(dw, &[0, 3, 1, 2]);
    }
    let cols = kept; // [4, B·H·W, 4C]
    let dyp = to_phases::<B>(dy); // [4, B·H·W, Co]
    let dwp = B::float_matmul(B::float_swap_dims(cols, 1, 2), dyp); // [4, 4C, Co]
    from_phase_weights::<B>(dwp, c, co)
}

/// dx of C for weight `[Co, C, k, k]`: a transposed convolution of dy with the same weight.
fn conv_grad_x<B: ConvS2>(dy: FloatTensor<B>, weight: FloatTensor<B>) -> FloatTensor<B> {
    let [co, c, k, _] = dims::<B, 4>(&weight);
    if k == 4 {
        return deconv_d::<B>(dy, weight);
    }
    // k = 2, stride 2: every input pixel is in exactly one window (depth-to-space).
    let [b, ho, wo, _] = dims::<B, 4>(&dy);
    let wm = B::float_permute(weight, &[0, 2, 3, 1]); // [Co, u, v, C]
    let wm = B::float_reshape(wm, Shape::new([co, 4 * c]));
    let dy = B::float_reshape(dy, Shape::new([b * ho * wo, co]));
    let dx = B::float_matmul(dy, wm); // [B·Ho·Wo, (u, v, C)]
    let dx = B::float_reshape(dx, Shape::new([b, ho, wo, 2, 2, c])); // [B, i, j, u, v, C]
    let dx = B::float_permute(dx, &[0, 1, 3, 2, 4, 5]); // [B, i, u, j, v, C]
    B::float_reshape(dx, Shape::new([b, 2 * ho, 2 * wo, c]))
}

/// db = Σ dy over every pixel: `[.., Co]` → `[Co]`.
fn bias_grad<B: Backend>(dy: FloatTensor<B>) -> FloatTensor<B> {
    let s = dy.shape();
    let co = s[s.num_dims() - 1];
    let rows = s.num_elements() / co;
    let dy = B::float_reshape(dy, Shape::new([rows, co]));
    B::float_reshape(B::float_sum_dim(dy, 0), Shape::new([co]))
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

/// What a backward step keeps: the forward's gathered input (or the input itself, see
/// [`deconv_kept`]) and the weight. The weight gradient multiplies the same gathered matrix
/// the forward did, so keeping it saves a second gather of the largest tensors of a step (up
/// to 33 MB for a batch of 64 in disentanglement_lib's network) for the memory of holding it
/// until the backward pass.
type Saved<B> = (FloatTensor<B>, FloatTensor<B>);

#[derive(Debug)]
struct ConvBackward;

impl<B: Backend + ConvS2> Backward<B, 3> for ConvBackward {
    type State = Saved<B>;

    fn backward(self, ops: Ops<Saved<B>, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let dy = grads.consume::<B>(&ops.node); // [B, Ho, Wo, Co]
        let (cols, weight) = ops.state; // [M, k·k·C], [Co, C, k, k]
        if let Some(node) = node_b {
            grads.register::<B>(node.id, bias_grad::<B>(dy.clone()));
        }
        if let Some(node) = node_w {
            let [co, c, k, _] = dims::<B, 4>(&weight);
            let rows = dy.shape().num_elements() / co;
            let dy2 = B::float_reshape(dy.clone(), Shape::new([rows, co]));
            let dwm = B::float_matmul(B::float_transpose(cols), dy2); // [k·k·C, Co]
            let dw = B::float_reshape(dwm, Shape::new([k, k, c, co]));
            grads.register::<B>(node.id, B::float_permute(dw, &[3, 2, 0, 1]));
        }
        if let Some(node) = node_x {
            grads.register::<B>(node.id, conv_grad_x::<B>(dy, weight));
        }
    }
}

#[derive(Debug)]
struct DeconvBackward;

impl<B: Backend + ConvS2> Backward<B, 3> for DeconvBackward {
    type State = Saved<B>;

    fn backward(self, ops: Ops<Saved<B>, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let dy = grads.consume::<B>(&ops.node); // [B, 2H, 2W, Co]
        let (kept, weight) = ops.state;
        if let Some(node) = node_b {
            grads.register::<B>(node.id, bias_grad::<B>(dy.clone()));
        }
        if let Some(node) = node_w {
            let [c, co, _, _] = dims::<B, 4>(&weight);
            grads.register::<B>(node.id, deconv_grad_w::<B>(kept, dy.clone(), c, co));
        }
        if let Some(node) = node_x {
            grads.register::<B>(node.id, conv_c::<B>(dy, weight));
        }
    }
}

impl<B: Backend + ConvS2, C: CheckpointStrategy> ConvS2 for Autodiff<B, C> {
    fn im2col_s2(_x: FloatTensor<Self>, _k: usize, _pad: usize) -> FloatTensor<Self> {
        unimplemented!("im2col_s2 is used inside conv_s2 on the inner backend only")
    }

    fn col2im_s2(
        _cols: FloatTensor<Self>,
        _batch: usize,
        _h: usize,
        _w: usize,
        _c: usize,
        _k: usize,
        _pad: usize,
    ) -> FloatTensor<Self> {
        unimplemented!("col2im_s2 is used inside deconv_s2 on the inner backend only")
    }

    fn phase_gather_s2(_x: FloatTensor<Self>) -> FloatTensor<Self> {
        unimplemented!("phase_gather_s2 is used inside deconv_s2 on the inner backend only")
    }

    fn conv_s2(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let (x, nx) = x.into_parts();
        let (w, nw) = weight.into_parts();
        let (b, nb) = bias.into_parts();
        match ConvBackward
            .prepare::<C>([nx, nw, nb])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (cols, out) = conv_gather::<B>(x, w.shape()[2]);
                let y = add_bias::<B>(conv_of_cols::<B>(cols.clone(), w.clone(), out), b);
                prep.finish((cols, w), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::conv_s2(x, w, b)),
        }
    }

    fn deconv_s2(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let (x, nx) = x.into_parts();
        let (w, nw) = weight.into_parts();
        let (b, nb) = bias.into_parts();
        match DeconvBackward
            .prepare::<C>([nx, nw, nb])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (y, kept) = deconv_kept::<B>(x, w.clone());
                prep.finish((kept, w), add_bias::<B>(y, b))
            }
            OpsKind::UnTracked(prep) => prep.finish(B::deconv_s2(x, w, b)),
        }
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
