//! Matrix products on Flex through the `gemm` crate directly, as a burn backend extension,
//! and the linear layer built on them (forward and a hand-written backward pass).
//!
//! burn-flex calls the same `gemm`, but allocates each product's output with
//! `FlexTensor::empty`: a zeroed byte vector that cubecl's `Bytes::from_bytes_vec` then
//! re-allocates and copies to 16-byte alignment, so every output was written three times
//! (memset and memcpy took ~7 % of a dSprites MLP step, profiled). Here the product writes a
//! `Vec<f32>` once and hands it to burn as it is. A linear layer's bias is the output's
//! starting value, onto which gemm adds x·W: burn's separate broadcast add (one more output
//! written three times) goes too.
//!
//! With y = x·W + b: dx = dy·Wᵀ, dW = xᵀ·dy, db = Σ_rows dy. The transposes are strided views
//! gemm reads in place.
//!
//! dSprites' images are binary with about one pixel in twenty set, so the first layer's x·W
//! and its xᵀ·dy skip the zeros: a left operand found mostly zero adds one scaled row of the
//! right operand per non-zero (~20× fewer multiply-adds; the dSprites MLP's step 1.6× faster
//! in the page, where gemm has one thread and no fused multiply-add).

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::Autodiff;
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Backend, Dispatch, Flex, TensorMetadata};
use burn::nn::Linear;
use burn::prelude::*;

mod product;
mod sparse;

use product::product;
pub(crate) use product::{multiply_into, View};

/// Matrix products that write their output once.
#[backend_extension(Flex, Autodiff)]
pub trait FlexGemm: Backend {
    /// a·b: `[M, K]`·`[K, N]` → `[M, N]`, or batched `[S, M, K]`·`[S, K, N]` → `[S, M, N]`.
    /// Strided inputs (transposed, permuted) are read in place.
    fn gemm_matmul(a: FloatTensor<Self>, b: FloatTensor<Self>) -> FloatTensor<Self>;

    /// x·W + b: `[N, I]`, `[I, O]`, `[O]` → `[N, O]` (burn's `Linear`, weight `[d_in, d_out]`).
    fn gemm_affine(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}
impl FlexGemm for Flex {
    fn gemm_matmul(a: FlexTensor, b: FlexTensor) -> FlexTensor {
        product(&a, &b, None)
    }

    fn gemm_affine(x: FlexTensor, weight: FlexTensor, bias: FlexTensor) -> FlexTensor {
        let bias = super::conv_gemm::values(&bias);
        product(&x, &weight, Some(&bias))
    }
}

/// db = Σ dy over every row (every pixel of an image): `[.., O]` → `[O]`.
pub(crate) fn bias_grad<B: Backend>(dy: FloatTensor<B>) -> FloatTensor<B> {
    let s = dy.shape();
    let o = s[s.num_dims() - 1];
    let rows = s.num_elements() / o;
    let dy = B::float_reshape(dy, Shape::new([rows, o]));
    B::float_reshape(B::float_sum_dim(dy, 0), Shape::new([o]))
}

/// What the backward pass keeps: x and W.
type Saved<B> = (FloatTensor<B>, FloatTensor<B>);

#[derive(Debug)]
struct AffineBackward;

impl<B: Backend + FlexGemm> Backward<B, 3> for AffineBackward {
    type State = Saved<B>;

    fn backward(self, ops: Ops<Saved<B>, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_w, node_b] = ops.parents;
        let dy = grads.consume::<B>(&ops.node); // [N, O]
        let (x, weight) = ops.state; // [N, I], [I, O]
        if let Some(node) = node_b {
            grads.register::<B>(node.id, bias_grad::<B>(dy.clone()));
        }
        if let Some(node) = node_w {
            let dw = B::gemm_matmul(B::float_transpose(x), dy.clone()); // [I, O]
            grads.register::<B>(node.id, dw);
        }
        if let Some(node) = node_x {
            let dx = B::gemm_matmul(dy, B::float_transpose(weight)); // [N, I]
            grads.register::<B>(node.id, dx);
        }
    }
}

impl<B: Backend + FlexGemm, C: CheckpointStrategy> FlexGemm for Autodiff<B, C> {
    fn gemm_matmul(_a: FloatTensor<Self>, _b: FloatTensor<Self>) -> FloatTensor<Self> {
        unimplemented!("gemm_matmul is used on the inner backend only")
    }

    fn gemm_affine(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let (x, nx) = x.into_parts();
        let (w, nw) = weight.into_parts();
        let (b, nb) = bias.into_parts();
        match AffineBackward
            .prepare::<C>([nx, nw, nb])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let y = B::gemm_affine(x.clone(), w.clone(), b);
                prep.finish((x, w), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::gemm_affine(x, w, b)),
        }
    }
}

/// x·W + b (burn's `linear` for a weight `[d_in, d_out]`), through [`FlexGemm`] on Flex.
///
/// # Shapes
/// - `x`: `[N, d_in]`, `weight`: `[d_in, d_out]`, `bias`: `[d_out]` → `[N, d_out]`
pub fn affine(x: Tensor<2>, weight: Tensor<2>, bias: Option<Tensor<1>>) -> Tensor<2> {
    let device = x.device();
    if device != Device::flex() {
        return burn::tensor::module::linear(x, weight, bias);
    }
    let bias = bias.unwrap_or_else(|| Tensor::zeros([weight.dims()[1]], &device));
    Tensor::from_dispatch(Dispatch::gemm_affine(
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
    ))
}

/// `layer.forward(x)`, through [`affine`].
///
/// # Shapes
/// - `x`: `[N, d_in]` → `[N, d_out]`
pub fn linear(layer: &Linear, x: Tensor<2>) -> Tensor<2> {
    affine(x, layer.weight.val(), layer.bias.as_ref().map(|b| b.val()))
}

#[cfg(test)]
mod tests;
