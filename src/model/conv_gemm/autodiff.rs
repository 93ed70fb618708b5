//! The convolutions on `Autodiff<B>`: the forward keeps what the backward needs, and the
//! backward pass is written out ([`super`]'s formulas) instead of traced through the gathers.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::Autodiff;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, TensorMetadata};
use burn::prelude::*;

use super::maths::{
    add_bias, conv_c, conv_gather, conv_grad_x, conv_of_cols, deconv_grad_w, deconv_kept, dims,
};
use super::ConvS2;
use crate::model::flex_gemm::bias_grad;

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
            let dwm = B::gemm_matmul(B::float_transpose(cols), dy2); // [k·k·C, Co]
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
