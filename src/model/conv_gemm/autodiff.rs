//! The convolutions on `Autodiff<B>`: the forward keeps what the backward needs, and the
//! backward pass is written out ([`super`]'s formulas) instead of traced through the gathers.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::Autodiff;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, TensorMetadata};

use super::maths::{add_bias, conv_grads, conv_kept, conv_of_kept, deconv_grads, deconv_kept};
use super::ConvS2;
use crate::model::flex_gemm::bias_grad;

/// What a backward step keeps: what the forward multiplied (the convolution's input in
/// blocks or its windows, see [`conv_kept`]; the transposed convolution's input on the grid)
/// and the weight. The weight gradient multiplies the same matrix the forward did.
type Saved<B> = (FloatTensor<B>, FloatTensor<B>);

#[derive(Debug)]
struct ConvBackward;

impl<B: Backend + ConvS2> Backward<B, 3> for ConvBackward {
    type State = Saved<B>;

    fn backward(self, ops: Ops<Saved<B>, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let dy = grads.consume::<B>(&ops.node); // [B, Ho, Wo, Co]
        let (kept, weight) = ops.state;
        if let Some(node) = node_b {
            grads.register::<B>(node.id, bias_grad::<B>(dy.clone()));
        }
        let want = [node_x.is_some(), node_w.is_some()];
        let (dx, dw) = conv_grads::<B>(kept, weight, dy, want);
        if let (Some(node), Some(dw)) = (node_w, dw) {
            grads.register::<B>(node.id, dw);
        }
        if let (Some(node), Some(dx)) = (node_x, dx) {
            grads.register::<B>(node.id, dx);
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
        let (xp, weight) = ops.state;
        if let Some(node) = node_b {
            grads.register::<B>(node.id, bias_grad::<B>(dy.clone()));
        }
        let want = [node_x.is_some(), node_w.is_some()];
        let (dx, dw) = deconv_grads::<B>(xp, weight, dy, want);
        if let (Some(node), Some(dw)) = (node_w, dw) {
            grads.register::<B>(node.id, dw);
        }
        if let (Some(node), Some(dx)) = (node_x, dx) {
            grads.register::<B>(node.id, dx);
        }
    }
}

impl<B: Backend + ConvS2, C: CheckpointStrategy> ConvS2 for Autodiff<B, C> {
    fn im2col_s2(_x: FloatTensor<Self>, _k: usize, _pad: usize) -> FloatTensor<Self> {
        inner_only("im2col_s2")
    }

    fn to_blocks_s2(_x: FloatTensor<Self>) -> FloatTensor<Self> {
        inner_only("to_blocks_s2")
    }

    fn from_blocks_s2(_s: FloatTensor<Self>, _image: [usize; 3]) -> FloatTensor<Self> {
        inner_only("from_blocks_s2")
    }

    fn pad_grid_s2(_y: FloatTensor<Self>) -> FloatTensor<Self> {
        inner_only("pad_grid_s2")
    }

    fn crop_grid_s2(_yp: FloatTensor<Self>, _grid: [usize; 3]) -> FloatTensor<Self> {
        inner_only("crop_grid_s2")
    }

    fn block_conv_s2(
        _s: FloatTensor<Self>,
        _w2: FloatTensor<Self>,
        _grid: [usize; 3],
    ) -> FloatTensor<Self> {
        inner_only("block_conv_s2")
    }

    fn block_conv_grad_w_s2(
        _s: FloatTensor<Self>,
        _dyp: FloatTensor<Self>,
        _grid: [usize; 3],
    ) -> FloatTensor<Self> {
        inner_only("block_conv_grad_w_s2")
    }

    fn block_conv_adjoint_s2(
        _dyp: FloatTensor<Self>,
        _w2: FloatTensor<Self>,
        _grid: [usize; 3],
    ) -> FloatTensor<Self> {
        inner_only("block_conv_adjoint_s2")
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
                let (kept, out) = conv_kept::<B>(x, w.shape()[2]);
                let y = add_bias::<B>(conv_of_kept::<B>(kept.clone(), w.clone(), out), b);
                prep.finish((kept, w), y)
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

/// The layout copies and products run inside the convolutions' forward and backward passes,
/// on the inner backend; the autodiff backend never calls them itself.
fn inner_only<T>(name: &str) -> T {
    unreachable!("{name} is used inside conv_s2 and deconv_s2 on the inner backend only")
}
