//! The Bernoulli likelihood of binary images as one host kernel on Flex, with its own
//! backward pass: −log p(x|l) = Σ_d [softplus(l_d) − l_d·x_d] per image, and
//! ∂/∂l_d = sigmoid(l_d) − x_d, computed together in one vectorised pass over the logits.
//!
//! As tensor operations (relu, mul, sub, abs, neg, exp, log1p, add, sum) the same formula
//! made nine passes over the `[B, 4096]` logits forward and as many backward, with libm's
//! scalar `expf` and `log1pf` (profiled: 8 % of a dSprites MLP step in those two alone).
//! WebGPU and NdArray keep the tensor formula ([`supported`]).
//!
//! softplus(l) = max(l, 0) + log(1 + e^(−|l|)) and sigmoid(l) = 1/(1 + e^(−l)) share the one
//! exponential e = e^(−|l|) ≤ 1: sigmoid(l) = 1/(1 + e) for l ≥ 0, e/(1 + e) below.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::autodiff::Autodiff;
use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Backend, Dispatch, Flex, TensorMetadata};
use burn::prelude::*;

use super::conv_gemm::values;
use crate::math::fast::{exp_nonpositive, log1p_unit};
use crate::math::simd::avx2_fma;

/// The Bernoulli negative log-likelihood of `x` under logits, per row.
#[backend_extension(Flex, Autodiff)]
pub trait BernoulliNll: Backend {
    /// Σ_d [softplus(l) − l·x] per row: `[B, D]`, `[B, D]` → `[B]`.
    fn bernoulli_nll(logits: FloatTensor<Self>, x: FloatTensor<Self>) -> FloatTensor<Self>;

    /// The same, and ∂/∂l = sigmoid(l) − x (`[B, D]`) for the backward pass.
    fn bernoulli_nll_and_grad(
        logits: FloatTensor<Self>,
        x: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>);
}

/// One element: (softplus(l) − l·x, sigmoid(l) − x). A non-finite l gives a non-finite
/// value (l·x is NaN or ±∞), so training's NaN guard sees it.
#[inline(always)]
fn element(l: f32, x: f32) -> (f32, f32) {
    let e = exp_nonpositive(-l.abs());
    let softplus = l.max(0.0) + log1p_unit(e);
    let r = 1.0 / (1.0 + e);
    let sigmoid = if l >= 0.0 { r } else { e * r };
    (softplus - l * x, sigmoid - x)
}

/// Lanes of the hand-split sum (float sums only vectorise with one accumulator per lane).
const L: usize = 16;

/// One row's value; its gradient into `grad` when that is not empty.
#[inline(always)]
fn row(l: &[f32], x: &[f32], grad: &mut [f32]) -> f32 {
    let n = l.len() / L * L;
    let (lg, _) = l[..n].as_chunks::<L>();
    let (xg, _) = x[..n].as_chunks::<L>();
    let mut acc = [0.0f32; L];
    if grad.is_empty() {
        for (lc, xc) in lg.iter().zip(xg) {
            let (lc, xc) = (*lc, *xc);
            for i in 0..L {
                acc[i] += element(lc[i], xc[i]).0;
            }
        }
    } else {
        let (gg, _) = grad[..n].as_chunks_mut::<L>();
        for ((lc, xc), gc) in lg.iter().zip(xg).zip(gg) {
            // Whole lane groups by value: nothing can alias, so this compiles to vector code.
            let (lc, xc, mut g) = (*lc, *xc, [0.0f32; L]);
            for i in 0..L {
                let (v, d) = element(lc[i], xc[i]);
                acc[i] += v;
                g[i] = d;
            }
            *gc = g;
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for j in n..l.len() {
        let (v, d) = element(l[j], x[j]);
        sum += v;
        if !grad.is_empty() {
            grad[j] = d;
        }
    }
    sum
}

/// Rows `out.len()` of `d` values each; `grad` empty or `[rows, d]`.
#[inline(always)]
fn rows_impl(l: &[f32], x: &[f32], d: usize, out: &mut [f32], grad: &mut [f32]) {
    for (i, o) in out.iter_mut().enumerate() {
        let r = i * d..(i + 1) * d;
        let g = if grad.is_empty() {
            &mut [][..]
        } else {
            &mut grad[r.clone()]
        };
        *o = row(&l[r.clone()], &x[r], g);
    }
}

/// [`rows_impl`] compiled for AVX2 where the CPU has it (8 lanes, not SSE2's 4).
fn rows(l: &[f32], x: &[f32], d: usize, out: &mut [f32], grad: &mut [f32]) {
    avx2_fma!(rows_impl(l: &[f32], x: &[f32], d: usize, out: &mut [f32], grad: &mut [f32]))
}

/// Per-row values of `[B, D]` logits `l` against targets `x`, and the gradient
/// sigmoid(l) − x when `with_grad` (else an empty vector). Rows run on threads natively.
pub fn nll_rows(l: &[f32], x: &[f32], d: usize, with_grad: bool) -> (Vec<f32>, Vec<f32>) {
    assert!(
        d > 0 && l.len() == x.len() && l.len().is_multiple_of(d),
        "bernoulli::nll_rows: inconsistent shapes"
    );
    let b = l.len() / d;
    let mut out = vec![0.0f32; b];
    let mut grad = if with_grad {
        vec![0.0f32; l.len()]
    } else {
        Vec::new()
    };
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        // Blocks of rows of at least 2¹⁵ values: fewer are not worth a thread's start-up.
        let per = (1usize << 15).div_ceil(d).max(1);
        if with_grad {
            out.par_chunks_mut(per)
                .zip(grad.par_chunks_mut(per * d))
                .enumerate()
                .for_each(|(k, (o, g))| {
                    let r = k * per * d..(k * per + o.len()) * d;
                    rows(&l[r.clone()], &x[r], d, o, g)
                });
        } else {
            out.par_chunks_mut(per).enumerate().for_each(|(k, o)| {
                let r = k * per * d..(k * per + o.len()) * d;
                rows(&l[r.clone()], &x[r], d, o, &mut [])
            });
        }
    }
    #[cfg(target_arch = "wasm32")]
    rows(l, x, d, &mut out, &mut grad);
    (out, grad)
}

fn flex_nll(logits: &FlexTensor, x: &FlexTensor, with_grad: bool) -> (FlexTensor, FlexTensor) {
    let shape = logits.shape();
    let (b, d) = (shape[0], shape[1]);
    let (value, grad) = nll_rows(&values(logits), &values(x), d, with_grad);
    let value = FlexTensor::from_data(TensorData::new(value, [b]));
    let grad = if with_grad {
        FlexTensor::from_data(TensorData::new(grad, [b, d]))
    } else {
        value.clone()
    };
    (value, grad)
}

impl BernoulliNll for Flex {
    fn bernoulli_nll(logits: FlexTensor, x: FlexTensor) -> FlexTensor {
        flex_nll(&logits, &x, false).0
    }

    fn bernoulli_nll_and_grad(logits: FlexTensor, x: FlexTensor) -> (FlexTensor, FlexTensor) {
        flex_nll(&logits, &x, true)
    }
}

/// What the backward step keeps: ∂/∂l = sigmoid(l) − x, and l (∂/∂x = −l).
type Saved<B> = (FloatTensor<B>, FloatTensor<B>);

#[derive(Debug)]
struct NllBackward;

impl<B: Backend + BernoulliNll> Backward<B, 2> for NllBackward {
    type State = Saved<B>;

    fn backward(self, ops: Ops<Saved<B>, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_l, node_x] = ops.parents;
        let dy = grads.consume::<B>(&ops.node); // [B]
        let (dl, l) = ops.state; // [B, D] each
        let b = dy.shape()[0];
        let dy = B::float_reshape(dy, Shape::new([b, 1]));
        if let Some(node) = node_x {
            grads.register::<B>(node.id, B::float_neg(B::float_mul(l, dy.clone())));
        }
        if let Some(node) = node_l {
            grads.register::<B>(node.id, B::float_mul(dl, dy));
        }
    }
}

impl<B: Backend + BernoulliNll, C: CheckpointStrategy> BernoulliNll for Autodiff<B, C> {
    fn bernoulli_nll(logits: FloatTensor<Self>, x: FloatTensor<Self>) -> FloatTensor<Self> {
        let (l, nl) = logits.into_parts();
        let (x, nx) = x.into_parts();
        match NllBackward
            .prepare::<C>([nl, nx])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let (y, dl) = B::bernoulli_nll_and_grad(l.clone(), x);
                prep.finish((dl, l), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::bernoulli_nll(l, x)),
        }
    }

    fn bernoulli_nll_and_grad(
        _logits: FloatTensor<Self>,
        _x: FloatTensor<Self>,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        unimplemented!("bernoulli_nll_and_grad is used inside bernoulli_nll on the inner backend")
    }
}

/// True when `device` is Flex (autodiff or not), where the fused kernel runs.
pub fn supported(device: &Device) -> bool {
    *device == Device::flex()
}

/// −log p(x|l) per row, Σ_d [softplus(l) − l·x]: the fused kernel on Flex
/// ([`supported`]), the tensor formula elsewhere.
///
/// # Shapes
/// - `logits`, `x`: `[B, D]` → `[B]`
pub fn nll(logits: Tensor<2>, x: Tensor<2>) -> Tensor<1> {
    if !supported(&logits.device()) {
        return tensor_formula(logits, x);
    }
    Tensor::from_dispatch(Dispatch::bernoulli_nll(
        logits.into_dispatch(),
        x.into_dispatch(),
    ))
}

/// The same as tensor operations: Σ_d [max(l, 0) − l·x + log(1 + e^(−|l|))].
fn tensor_formula(l: Tensor<2>, x: Tensor<2>) -> Tensor<1> {
    let per_feature =
        burn::tensor::activation::relu(l.clone()) - l.clone() * x + l.abs().neg().exp().log1p(); // [B, D]
    per_feature.sum_dim(1).squeeze_dim::<1>(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::vae::tests::host;

    /// The stable binary cross-entropy in f64, and its derivative.
    fn exact(l: f64, x: f64) -> (f64, f64) {
        let softplus = l.max(0.0) + (-l.abs()).exp().ln_1p();
        (softplus - l * x, 1.0 / (1.0 + (-l).exp()) - x)
    }

    /// Logits over the whole range (saturated, tiny, around 0) against 0, 1 and a grey
    /// target, in rows of 37 (not a multiple of the 16 lanes, so the tail runs too).
    #[test]
    fn values_and_gradients_match_the_closed_form() {
        let ls = [
            -120.0, -30.0, -9.5, -1.0, -1e-4, 0.0, 3e-5, 0.7, 4.0, 17.0, 88.0, 200.0,
        ];
        let (d, b) = (37, 12);
        let mut l = vec![0.0f32; b * d];
        let mut x = vec![0.0f32; b * d];
        for i in 0..b * d {
            l[i] = ls[i % ls.len()] as f32 * (1.0 + (i / ls.len()) as f32 / 50.0);
            x[i] = [0.0, 1.0, 0.3][i % 3];
        }
        let (v, g) = nll_rows(&l, &x, d, true);
        let (v2, g2) = nll_rows(&l, &x, d, false);
        assert_eq!(v, v2);
        assert!(g2.is_empty());
        for r in 0..b {
            let want: f64 = (0..d)
                .map(|j| exact(l[r * d + j] as f64, x[r * d + j] as f64).0)
                .sum();
            let got = v[r] as f64;
            assert!(
                (got - want).abs() < 2e-6 * want.abs().max(1.0),
                "row {r}: {got} vs {want}"
            );
        }
        for i in 0..b * d {
            let want = exact(l[i] as f64, x[i] as f64).1;
            assert!(
                (g[i] as f64 - want).abs() < 1e-6,
                "∂/∂l at {}: {} vs {want}",
                l[i],
                g[i]
            );
        }
    }

    /// Rows of 4096 split into blocks of 8 rows on threads (20 rows: two full blocks and a
    /// partial one) give what one pass over all rows gives.
    #[test]
    fn blocks_on_threads_match_one_pass() {
        let mut rng = crate::rng::Rng::new(9);
        let (b, d) = (20, 4096);
        let l: Vec<f32> = (0..b * d).map(|_| (rng.normal() * 4.0) as f32).collect();
        let x: Vec<f32> = (0..b * d)
            .map(|_| (rng.uniform() > 0.8) as u8 as f32)
            .collect();
        let (v, g) = nll_rows(&l, &x, d, true);
        let (mut v1, mut g1) = (vec![0.0; b], vec![0.0; b * d]);
        rows(&l, &x, d, &mut v1, &mut g1);
        assert_eq!(v, v1);
        assert_eq!(g, g1);
    }

    #[test]
    fn a_non_finite_logit_makes_its_row_non_finite() {
        for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let l = [0.5, bad, -0.5, 1.0];
            let (v, _) = nll_rows(&l, &[0.0, 0.0, 1.0, 1.0], 2, true);
            assert!(!v[0].is_finite(), "{bad}: {v:?}");
            assert!(v[1].is_finite(), "{bad}: {v:?}");
        }
    }

    /// The extension on Flex (autodiff) against the tensor formula it replaces on the other
    /// backends, on random logits: same values, same gradients for a weighted sum of rows.
    #[test]
    fn the_flex_kernel_matches_the_tensor_formula_and_its_autodiff() {
        let device = Device::flex().autodiff();
        let mut rng = crate::rng::Rng::new(5);
        let (b, d) = (9, 70);
        let l: Vec<f32> = (0..b * d).map(|_| (rng.normal() * 6.0) as f32).collect();
        let x: Vec<f32> = (0..b * d)
            .map(|_| (rng.uniform() > 0.6) as u8 as f32)
            .collect();
        let w: Vec<f32> = (0..b).map(|i| 0.5 + i as f32).collect();
        let run = |fused: bool| {
            let lt =
                Tensor::<2>::from_data(TensorData::new(l.clone(), [b, d]), &device).require_grad();
            let xt = Tensor::<2>::from_data(TensorData::new(x.clone(), [b, d]), &device);
            let nll = if fused {
                nll(lt.clone(), xt)
            } else {
                tensor_formula(lt.clone(), xt)
            };
            let wt = Tensor::<1>::from_data(TensorData::new(w.clone(), [b]), &device);
            let grads = (nll.clone() * wt).sum().backward();
            (host(nll), host(lt.grad(&grads).unwrap()))
        };
        let ((v, g), (v_ref, g_ref)) = (run(true), run(false));
        // Without autodiff (evaluation), the kernel's forward alone.
        let plain = Device::flex();
        let untracked = host(nll(
            Tensor::<2>::from_data(TensorData::new(l.clone(), [b, d]), &plain),
            Tensor::<2>::from_data(TensorData::new(x.clone(), [b, d]), &plain),
        ));
        assert_eq!(untracked, v);
        for (a, e) in v.iter().zip(&v_ref) {
            assert!((a - e).abs() < 1e-5 * e.abs().max(1.0), "{a} vs {e}");
        }
        for (a, e) in g.iter().zip(&g_ref) {
            assert!((a - e).abs() < 1e-5 * e.abs().max(1.0), "{a} vs {e}");
        }
    }
}
