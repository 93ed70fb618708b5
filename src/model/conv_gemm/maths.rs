//! C and D (the convolution and the transposed convolution as layout copies and matrix
//! products, see the parent module) and their gradients, on any backend with the [`ConvS2`]
//! operations.

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, TensorMetadata};
use burn::prelude::*;

use super::ConvS2;
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
    let (kept, out) = conv_kept::<B>(x, weight.shape()[2]);
    conv_of_kept::<B>(kept, weight, out)
}

/// What the k × k convolution of x multiplies, and its output's `[B, Ho, Wo]`: x in blocks
/// (k = 4) or its windows `[B·Ho·Wo, 4C]` (k = 2). Its weight gradient reuses it.
pub(super) fn conv_kept<B: ConvS2>(x: FloatTensor<B>, k: usize) -> (FloatTensor<B>, [usize; 3]) {
    let [b, h, w, c] = dims::<B, 4>(&x);
    let pad = (k - 2) / 2;
    let (ho, wo) = Image { batch: b, h, w, c }.conv_out(k, pad);
    let kept = match k {
        4 => B::to_blocks_s2(x),
        _ => B::im2col_s2(x, k, pad),
    };
    (kept, [b, ho, wo])
}

/// C from what [`conv_kept`] keeps: → `[B, Ho, Wo, Co]`.
pub(super) fn conv_of_kept<B: ConvS2>(
    kept: FloatTensor<B>,
    weight: FloatTensor<B>,
    grid @ [b, ho, wo]: [usize; 3],
) -> FloatTensor<B> {
    let [co, c, k, _] = dims::<B, 4>(&weight);
    if k == 4 {
        let yp = B::block_conv_s2(kept, block_weights::<B>(weight), grid);
        return B::crop_grid_s2(yp, grid);
    }
    let wm = B::float_permute(weight, &[2, 3, 1, 0]); // [k, k, C, Co]
    let wm = B::float_reshape(wm, Shape::new([k * k * c, co])); // [k·k·C, Co]
    let y = B::gemm_matmul(kept, wm); // [B·Ho·Wo, Co]
    B::float_reshape(y, Shape::new([b, ho, wo, co]))
}

/// C's gradients for its output gradient dy `[B, Ho, Wo, Co]`: (dx, dW), from what
/// [`conv_kept`] kept and the weight `[Co, C, k, k]`; either only when asked for. For k = 4
/// dy goes onto the grid once, for both.
pub(super) fn conv_grads<B: ConvS2>(
    kept: FloatTensor<B>,
    weight: FloatTensor<B>,
    dy: FloatTensor<B>,
    [want_x, want_w]: [bool; 2],
) -> (Option<FloatTensor<B>>, Option<FloatTensor<B>>) {
    let [co, c, k, _] = dims::<B, 4>(&weight);
    let [b, ho, wo, _] = dims::<B, 4>(&dy);
    let grid = [b, ho, wo];
    if k == 4 {
        let dyp = B::pad_grid_s2(dy);
        let dw = want_w.then(|| {
            let dw2 = B::block_conv_grad_w_s2(kept, dyp.clone(), grid);
            from_block_weights::<B>(dw2, co, c)
        });
        let dx = want_x.then(|| scatter_from_grid::<B>(dyp, weight, grid));
        return (dx, dw);
    }
    // k = 2, stride 2: every input pixel is in exactly one window.
    let dy = B::float_reshape(dy, Shape::new([b * ho * wo, co]));
    let dw = want_w.then(|| {
        let dwm = B::gemm_matmul(B::float_transpose(kept), dy.clone()); // [k·k·C, Co]
        let dw = B::float_reshape(dwm, Shape::new([k, k, c, co]));
        B::float_permute(dw, &[3, 2, 0, 1])
    });
    let dx = want_x.then(|| {
        // Depth-to-space of dy·W′ᵀ.
        let wm = B::float_permute(weight, &[0, 2, 3, 1]); // [Co, u, v, C]
        let wm = B::float_reshape(wm, Shape::new([co, 4 * c]));
        let dx = B::gemm_matmul(dy, wm); // [B·Ho·Wo, (u, v, C)]
        let dx = B::float_reshape(dx, Shape::new([b, ho, wo, 2, 2, c])); // [B, i, j, u, v, C]
        let dx = B::float_permute(dx, &[0, 1, 3, 2, 4, 5]); // [B, i, u, j, v, C]
        B::float_reshape(dx, Shape::new([b, 2 * ho, 2 * wo, c]))
    });
    (dx, dw)
}

/// The input gradient of the 4 × 4 convolution with weight `[O, I, 4, 4]` for an output
/// gradient already on the grid `[B, Ho, Wo]` (`[rows, O]`): → `[B, 2Ho, 2Wo, I]`. Also the
/// transposed convolution with that weight (see [`deconv_d`]).
fn scatter_from_grid<B: ConvS2>(
    yp: FloatTensor<B>,
    weight: FloatTensor<B>,
    grid @ [b, ho, wo]: [usize; 3],
) -> FloatTensor<B> {
    let s = B::block_conv_adjoint_s2(yp, block_weights::<B>(weight), grid);
    B::from_blocks_s2(s, [b, 2 * ho, 2 * wo])
}

/// D(x, W), the transposed convolution (weight `[C, Co, 4, 4]`): `[B, H, W, C]` →
/// `[B, 2H, 2W, Co]`. It is the input gradient of the convolution with the same weight (as
/// `[C, Co, 4, 4]`, C its outputs), applied to x; what its gradients need is x on the grid.
pub(super) fn deconv_d<B: ConvS2>(x: FloatTensor<B>, weight: FloatTensor<B>) -> FloatTensor<B> {
    deconv_kept::<B>(x, weight).0
}

/// D(x, W) and x on the grid (with its margin), which D's weight gradient reads.
pub(super) fn deconv_kept<B: ConvS2>(
    x: FloatTensor<B>,
    weight: FloatTensor<B>,
) -> (FloatTensor<B>, FloatTensor<B>) {
    let [b, h, w, _] = dims::<B, 4>(&x);
    let xp = B::pad_grid_s2(x);
    (scatter_from_grid::<B>(xp.clone(), weight, [b, h, w]), xp)
}

/// D's gradients for its output gradient dy `[B, 2H, 2W, Co]`: (dx, dW), from x on the grid
/// (`xp`, kept by [`deconv_kept`]) and the weight; either only when asked for.
pub(super) fn deconv_grads<B: ConvS2>(
    xp: FloatTensor<B>,
    weight: FloatTensor<B>,
    dy: FloatTensor<B>,
    [want_x, want_w]: [bool; 2],
) -> (Option<FloatTensor<B>>, Option<FloatTensor<B>>) {
    let [c, co, _, _] = dims::<B, 4>(&weight);
    let [b, h2, w2, _] = dims::<B, 4>(&dy);
    let grid = [b, h2 / 2, w2 / 2];
    let s = B::to_blocks_s2(dy);
    let dw = want_w.then(|| {
        let dw2 = B::block_conv_grad_w_s2(s.clone(), xp, grid);
        from_block_weights::<B>(dw2, c, co)
    });
    let dx = want_x.then(|| {
        let yp = B::block_conv_s2(s, block_weights::<B>(weight), grid);
        B::crop_grid_s2(yp, grid)
    });
    (dx, dw)
}

/// A 4 × 4 weight `[O, I, 4, 4]` (taps (u, v) = (2u′ + a, 2v′ + b)) in the layout of
/// [`super::blocks::conv`]: `[u′, (v′, a, b, I), O]`, i.e. `[2, 8I, O]`.
fn block_weights<B: Backend>(weight: FloatTensor<B>) -> FloatTensor<B> {
    let [o, i, _, _] = dims::<B, 4>(&weight);
    let w = B::float_reshape(weight, Shape::new([o, i, 2, 2, 2, 2])); // [o, i, u′, a, v′, b]
    let w = B::float_permute(w, &[2, 4, 3, 5, 1, 0]); // [u′, v′, a, b, i, o]
    B::float_reshape(w, Shape::new([2, 8 * i, o]))
}

/// The inverse of [`block_weights`]: `[2, 8I, O]` → `[O, I, 4, 4]`.
fn from_block_weights<B: Backend>(w2: FloatTensor<B>, o: usize, i: usize) -> FloatTensor<B> {
    let w = B::float_reshape(w2, Shape::new([2, 2, 2, 2, i, o])); // [u′, v′, a, b, i, o]
    let w = B::float_permute(w, &[5, 4, 0, 2, 1, 3]); // [o, i, u′, a, v′, b]
    B::float_reshape(w, Shape::new([o, i, 4, 4]))
}
