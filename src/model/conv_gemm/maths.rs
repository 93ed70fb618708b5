//! C and D (the convolution and the transposed convolution as gathers and matrix products,
//! see the parent module) and their gradients, on any backend with the [`ConvS2`] gathers.

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, TensorMetadata};
use burn::prelude::*;

use super::ConvS2;
use crate::model::flex_gemm::FlexGemm;
use crate::model::im2col::Image;

pub(super) fn dims<B: Backend, const N: usize>(t: &FloatTensor<B>) -> [usize; N] {
    let s = t.shape();
    std::array::from_fn(|i| s[i])
}

/// y + b over the last (channel) axis.
pub(super) fn add_bias<B: Backend>(y: FloatTensor<B>, bias: FloatTensor<B>) -> FloatTensor<B> {
    let co = bias.shape()[0];
    B::float_add(y, B::float_reshape(bias, Shape::new([1, 1, 1, co])))
}

/// C(x, W): `[B, H, W, C]`, `[Co, C, k, k]` → `[B, Ho, Wo, Co]`.
pub(super) fn conv_c<B: ConvS2>(x: FloatTensor<B>, weight: FloatTensor<B>) -> FloatTensor<B> {
    let (cols, out) = conv_gather::<B>(x, weight.shape()[2]);
    conv_of_cols::<B>(cols, weight, out)
}

/// The k × k convolution's windows of x, `[B·Ho·Wo, k·k·C]`, and its output's `[B, Ho, Wo]`.
pub(super) fn conv_gather<B: ConvS2>(x: FloatTensor<B>, k: usize) -> (FloatTensor<B>, [usize; 3]) {
    let [b, h, w, c] = dims::<B, 4>(&x);
    let pad = (k - 2) / 2;
    let (ho, wo) = Image { batch: b, h, w, c }.conv_out(k, pad);
    (B::im2col_s2(x, k, pad), [b, ho, wo])
}

/// C from the windows of [`conv_gather`]: `[B·Ho·Wo, k·k·C]`, `[Co, C, k, k]` →
/// `[B, Ho, Wo, Co]`.
pub(super) fn conv_of_cols<B: FlexGemm>(
    cols: FloatTensor<B>,
    weight: FloatTensor<B>,
    [b, ho, wo]: [usize; 3],
) -> FloatTensor<B> {
    let [co, c, k, _] = dims::<B, 4>(&weight);
    let wm = B::float_permute(weight, &[2, 3, 1, 0]); // [k, k, C, Co]
    let wm = B::float_reshape(wm, Shape::new([k * k * c, co])); // [k·k·C, Co]
    let y = B::gemm_matmul(cols, wm); // [B·Ho·Wo, Co]
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
pub(super) fn deconv_d<B: ConvS2>(x: FloatTensor<B>, weight: FloatTensor<B>) -> FloatTensor<B> {
    deconv_kept::<B>(x, weight).0
}

/// D from the gathered inputs of [`ConvS2::phase_gather_s2`] (`[4, B·H·W, 4C]`) of an input
/// `[B, H, W, C]`: → `[B, 2H, 2W, Co]`.
fn deconv_of_phases<B: FlexGemm>(
    cols: FloatTensor<B>,
    weight: FloatTensor<B>,
    [b, h, w]: [usize; 3],
) -> FloatTensor<B> {
    let y = B::gemm_matmul(cols, phase_weights::<B>(weight)); // [4, B·H·W, Co]
    from_phases::<B>(y, b, h, w)
}

/// D(x, W) and what its weight gradient needs: x when D scatters, else x's phase gather.
pub(super) fn deconv_kept<B: ConvS2>(
    x: FloatTensor<B>,
    weight: FloatTensor<B>,
) -> (FloatTensor<B>, FloatTensor<B>) {
    let [b, h, w, c] = dims::<B, 4>(&x);
    let co = weight.shape()[1];
    if scatters(c, co) {
        let rows = B::float_reshape(x.clone(), Shape::new([b * h * w, c]));
        let rows = B::gemm_matmul(rows, scatter_weights::<B>(weight)); // [B·H·W, 16Co]
        return (B::col2im_s2(rows, b, 2 * h, 2 * w, co, 4, 1), x);
    }
    let cols = B::phase_gather_s2(x);
    (deconv_of_phases::<B>(cols.clone(), weight, [b, h, w]), cols)
}

/// dW of D(x, W) for the output gradient dy: `[C, Co, 4, 4]`. `kept` is what the forward
/// kept ([`deconv_kept`]): x itself when D scatters, else x's phase gather.
pub(super) fn deconv_grad_w<B: ConvS2>(
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
        let dw = B::gemm_matmul(B::float_transpose(x), cols); // [C, (u, v, o)]
        let dw = B::float_reshape(dw, Shape::new([c, 4, 4, co]));
        return B::float_permute(dw, &[0, 3, 1, 2]);
    }
    let cols = kept; // [4, B·H·W, 4C]
    let dyp = to_phases::<B>(dy); // [4, B·H·W, Co]
    let dwp = B::gemm_matmul(B::float_swap_dims(cols, 1, 2), dyp); // [4, 4C, Co]
    from_phase_weights::<B>(dwp, c, co)
}

/// dx of C for weight `[Co, C, k, k]`: a transposed convolution of dy with the same weight.
pub(super) fn conv_grad_x<B: ConvS2>(dy: FloatTensor<B>, weight: FloatTensor<B>) -> FloatTensor<B> {
    let [co, c, k, _] = dims::<B, 4>(&weight);
    if k == 4 {
        return deconv_d::<B>(dy, weight);
    }
    // k = 2, stride 2: every input pixel is in exactly one window (depth-to-space).
    let [b, ho, wo, _] = dims::<B, 4>(&dy);
    let wm = B::float_permute(weight, &[0, 2, 3, 1]); // [Co, u, v, C]
    let wm = B::float_reshape(wm, Shape::new([co, 4 * c]));
    let dy = B::float_reshape(dy, Shape::new([b * ho * wo, co]));
    let dx = B::gemm_matmul(dy, wm); // [B·Ho·Wo, (u, v, C)]
    let dx = B::float_reshape(dx, Shape::new([b, ho, wo, 2, 2, c])); // [B, i, j, u, v, C]
    let dx = B::float_permute(dx, &[0, 1, 3, 2, 4, 5]); // [B, i, u, j, v, C]
    B::float_reshape(dx, Shape::new([b, 2 * ho, 2 * wo, c]))
}
