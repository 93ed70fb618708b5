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

/// A rank-2 or rank-3 f32 tensor as gemm reads it: the whole buffer, where the view starts,
/// and `[S, R, C]` with each axis' stride (S = 1 for a matrix).
struct View<'a> {
    data: &'a [f32],
    start: usize,
    dims: [usize; 3],
    strides: [isize; 3],
}

impl<'a> View<'a> {
    fn of(t: &'a FlexTensor) -> Self {
        let layout = t.layout();
        let (shape, strides) = (layout.shape(), layout.strides());
        let (dims, strides) = match shape.num_dims() {
            2 => ([1, shape[0], shape[1]], [0, strides[0], strides[1]]),
            3 => (
                [shape[0], shape[1], shape[2]],
                [strides[0], strides[1], strides[2]],
            ),
            n => panic!("gemm: rank-2 or rank-3 tensors, not rank {n}"),
        };
        let view = Self {
            data: t.storage::<f32>(),
            start: layout.start_offset(),
            dims,
            strides,
        };
        // Every element gemm may read lies in the buffer (the pointer arithmetic below relies
        // on it).
        let (mut lo, mut hi) = (view.start as isize, view.start as isize);
        for (&d, &s) in view.dims.iter().zip(&view.strides) {
            let reach = (d.max(1) as isize - 1) * s;
            if reach < 0 {
                lo += reach;
            } else {
                hi += reach;
            }
        }
        let empty = view.dims.contains(&0);
        assert!(
            empty || (lo >= 0 && (hi as usize) < view.data.len()),
            "gemm: a view outside its buffer"
        );
        view
    }

    /// Where matrix `s` starts.
    fn at(&self, s: usize) -> *const f32 {
        let offset = self.start as isize + s as isize * self.strides[0];
        // In bounds: checked in `of` for every s < dims[0].
        unsafe { self.data.as_ptr().offset(offset) }
    }
}

/// a·b (+ bias on every row), the output written once: see [`FlexGemm::gemm_matmul`].
fn product(a: &FlexTensor, b: &FlexTensor, bias: Option<&[f32]>) -> FlexTensor {
    let rank = a.layout().shape().num_dims();
    let (va, vb) = (View::of(a), View::of(b));
    let ([sa, m, k], [sb, kb, n]) = (va.dims, vb.dims);
    assert!(
        kb == k && sa == sb && rank == b.layout().shape().num_dims(),
        "gemm: shapes {:?} and {:?} do not multiply",
        a.layout().shape(),
        b.layout().shape()
    );
    let len = sa * m * n;
    let mut out: Vec<f32> = match bias {
        Some(row) => {
            assert_eq!(
                row.len(),
                n,
                "gemm: a bias of {} for {n} columns",
                row.len()
            );
            // Row by row (a copy each): `cycle().take()` was 6 % of a FactorVAE step.
            let mut out = Vec::with_capacity(len);
            for _ in 0..sa * m {
                out.extend_from_slice(row);
            }
            out
        }
        None if k == 0 => vec![0.0; len],
        None => Vec::with_capacity(len),
    };
    // gemm overwrites the output when it does not read it (no bias): every element is written.
    let read_dst = bias.is_some() || k == 0;
    // A mostly-zero left operand (binary images, and their transposes in the weight gradients)
    // is added row by row instead: ~20× fewer multiply-adds in dSprites' first layer.
    if rank == 2 && k > 0 && n >= SPARSE_MIN_COLUMNS && vb.strides[2] == 1 {
        if let Some(entries) = nonzeros(&va, m * k / SPARSE_SHARE) {
            if !read_dst {
                out.resize(len, 0.0);
            }
            add_rows(&entries, &vb, n, &mut out);
            return FlexTensor::from_data(TensorData::new(out, vec![m, n]));
        }
    }
    let dst = out.as_mut_ptr();
    if k > 0 {
        for s in 0..sa {
            // SAFETY: the inputs' views were bounds-checked by `View::of`; the output has room
            // for sa·m·n values, row-major.
            unsafe {
                gemm::gemm(
                    m,
                    n,
                    k,
                    dst.add(s * m * n),
                    1,
                    n as isize,
                    read_dst,
                    va.at(s),
                    va.strides[2],
                    va.strides[1],
                    vb.at(s),
                    vb.strides[2],
                    vb.strides[1],
                    1.0,
                    1.0,
                    false,
                    false,
                    false,
                    parallelism(m, n, k),
                );
            }
        }
    }
    // SAFETY: every one of the len values was written above (by gemm, or at allocation).
    unsafe { out.set_len(len) };
    let shape = if rank == 2 {
        vec![m, n]
    } else {
        vec![sa, m, n]
    };
    FlexTensor::from_data(TensorData::new(out, shape))
}

/// A left operand with at most one value in `SPARSE_SHARE` non-zero takes the sparse path
/// (each non-zero adds a scaled row of the right operand): gemm's blocked kernel does several
/// times more multiply-adds per cycle than that row loop, so the share must be well below it.
const SPARSE_SHARE: usize = 8;

/// ...and the product at least this many columns, so that each row added is long. Below it
/// the scan does not pay: conv-small's first layers (16 channels) ran at 12.0 steps/s against
/// 13.6 with gemm alone, which also uses both cores natively.
const SPARSE_MIN_COLUMNS: usize = 64;

/// The non-zero entries of a matrix view as (row, column, value), in memory order; `None` as
/// soon as there are more than `limit` (so a dense matrix costs a short scan only).
fn nonzeros(view: &View, limit: usize) -> Option<Vec<(u32, u32, f32)>> {
    let [_, rows, cols] = view.dims;
    let [_, row_stride, col_stride] = view.strides;
    if rows.max(cols) > u32::MAX as usize || row_stride < 0 || col_stride < 0 {
        return None;
    }
    // Walk the axis with the shorter stride innermost: memory order for a matrix and for its
    // transpose alike.
    let rows_inner = row_stride < col_stride;
    let (outer, inner, outer_stride, inner_stride) = if rows_inner {
        (cols, rows, col_stride, row_stride)
    } else {
        (rows, cols, row_stride, col_stride)
    };
    // A count first, in blocks the compiler vectorises, that stops once past the limit: a
    // dense operand costs a fraction of one read.
    let (line, step) = (
        |o: usize| view.start + o * outer_stride as usize,
        inner_stride as usize,
    );
    let mut count = 0;
    if inner_stride == 1 && outer_stride as usize == inner {
        let all = &view.data[view.start..view.start + outer * inner];
        for block in all.chunks(4096) {
            count += block.iter().filter(|v| **v != 0.0).count();
            if count > limit {
                return None;
            }
        }
    } else {
        for o in 0..outer {
            let base = line(o);
            let values = (0..inner).map(|i| view.data[base + i * step]);
            count += values.filter(|v| *v != 0.0).count();
            if count > limit {
                return None;
            }
        }
    }
    let mut found = Vec::with_capacity(count);
    for o in 0..outer {
        let base = line(o);
        for i in 0..inner {
            let v = view.data[base + i * step];
            if v != 0.0 {
                let (r, c) = if rows_inner { (i, o) } else { (o, i) };
                found.push((r as u32, c as u32, v));
            }
        }
    }
    Some(found)
}

/// out[r, :] += v·b[c, :] for every non-zero (r, c, v) of the left operand, `out` row-major
/// with `n` columns and b's rows contiguous; compiled for AVX2 where the CPU has it (8 lanes,
/// not SSE2's 4), and for SIMD128 in the page.
fn add_rows(entries: &[(u32, u32, f32)], b: &View, n: usize, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
        #[target_feature(enable = "avx2,fma")]
        unsafe fn avx2(entries: &[(u32, u32, f32)], b: &View, n: usize, out: &mut [f32]) {
            add_rows_impl(entries, b, n, out)
        }
        // SAFETY: the CPU supports the features the function was compiled for.
        return unsafe { avx2(entries, b, n, out) };
    }
    add_rows_impl(entries, b, n, out)
}

#[inline(always)]
fn add_rows_impl(entries: &[(u32, u32, f32)], b: &View, n: usize, out: &mut [f32]) {
    for &(r, c, v) in entries {
        let at = (b.start as isize + c as isize * b.strides[1]) as usize;
        let (r, b_row) = (r as usize, &b.data[at..at + n]);
        for (o, w) in out[r * n..(r + 1) * n].iter_mut().zip(b_row) {
            *o += v * w;
        }
    }
}

/// Threads for an m × n × k product: burn-flex's rule (all threads from 192³ multiply-adds).
fn parallelism(m: usize, n: usize, k: usize) -> gemm::Parallelism {
    #[cfg(not(target_arch = "wasm32"))]
    if m.saturating_mul(n).saturating_mul(k) >= 192 * 192 * 192 {
        return gemm::Parallelism::Rayon(0);
    }
    let _ = (m, n, k);
    gemm::Parallelism::None
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
mod tests {
    use super::*;
    use burn::nn::LinearConfig;
    use burn::tensor::Distribution;

    fn close<const D: usize>(a: Tensor<D>, b: Tensor<D>, what: &str) {
        assert_eq!(a.dims(), b.dims(), "{what}: shapes");
        let (a, b) = (
            a.into_data().try_to_vec::<f32>().unwrap(),
            b.into_data().try_to_vec::<f32>().unwrap(),
        );
        for (x, y) in a.iter().zip(&b) {
            assert!(
                (x - y).abs() <= 1e-4 * (1.0 + y.abs()),
                "{what}: {x} vs {y}"
            );
        }
    }

    /// The layer equals burn's `Linear` in value and in all three gradients, with and without
    /// a bias, and on a transposed (strided) input.
    #[test]
    fn affine_matches_burns_linear_in_values_and_gradients() {
        let device = Device::flex().autodiff();
        // `affine` takes the extension's path on this device (else this compares burn to burn).
        assert!(device == Device::flex());
        for (bias, transposed) in [(true, false), (false, false), (true, true)] {
            let layer = LinearConfig::new(7, 5).with_bias(bias).init(&device);
            let x = Tensor::<2>::random([6, 7], Distribution::Normal(0.0, 1.0), &device);
            let x = if transposed {
                Tensor::<2>::random([7, 6], Distribution::Normal(0.0, 1.0), &device).transpose()
            } else {
                x
            };
            let ours_x = x.clone().detach().require_grad();
            let theirs_x = x.detach().require_grad();
            let ours = linear(&layer, ours_x.clone());
            let theirs = layer.forward(theirs_x.clone());
            close(ours.clone(), theirs.clone(), "value");
            // A loss that weighs every output differently.
            let weights = Tensor::<2>::random([6, 5], Distribution::Normal(0.0, 1.0), &device);
            let g_ours = (ours * weights.clone()).sum().backward();
            let g_theirs = (theirs * weights).sum().backward();
            close(
                ours_x.grad(&g_ours).unwrap(),
                theirs_x.grad(&g_theirs).unwrap(),
                "dx",
            );
            close(
                layer.weight.grad(&g_ours).unwrap(),
                layer.weight.grad(&g_theirs).unwrap(),
                "dW",
            );
            if let Some(b) = &layer.bias {
                close(b.grad(&g_ours).unwrap(), b.grad(&g_theirs).unwrap(), "db");
            }
        }
    }

    /// An input with about one pixel in twenty set, like dSprites': wide enough for the
    /// sparse path (checked), and the layer still equals burn's `Linear` in value and in the
    /// gradients of W and b, whether or not the input itself takes a gradient.
    #[test]
    fn a_sparse_input_gives_burns_values_and_gradients() {
        let device = Device::flex().autodiff();
        // One value in twenty set, spread by a multiplicative hash; not all ones, so that a
        // value left unscaled shows.
        let pixels: Vec<f32> = (0..16 * 300u32)
            .map(|i| match i.wrapping_mul(2_654_435_761) % 20 {
                0 => 1.0 + (i % 5) as f32 / 4.0,
                _ => 0.0,
            })
            .collect();
        let data = TensorData::new(pixels, [16, 300]);
        let flex = FlexTensor::from_data(data.clone());
        let entries = nonzeros(&View::of(&flex), 16 * 300 / SPARSE_SHARE).expect("sparse");
        assert!(entries.len() > 100 && 80 >= SPARSE_MIN_COLUMNS);
        let x = Tensor::<2>::from_data(data, &device);
        for tracked in [false, true] {
            let layer = LinearConfig::new(300, 80).init(&device);
            let x = if tracked {
                x.clone().detach().require_grad()
            } else {
                x.clone().detach()
            };
            let (ours, theirs) = (linear(&layer, x.clone()), layer.forward(x.clone()));
            close(ours.clone(), theirs.clone(), "value");
            let weights = Tensor::<2>::random([16, 80], Distribution::Normal(0.0, 1.0), &device);
            let g_ours = (ours * weights.clone()).sum().backward();
            let g_theirs = (theirs * weights).sum().backward();
            close(
                layer.weight.grad(&g_ours).unwrap(),
                layer.weight.grad(&g_theirs).unwrap(),
                "dW",
            );
            let bias = layer.bias.as_ref().unwrap();
            close(
                bias.grad(&g_ours).unwrap(),
                bias.grad(&g_theirs).unwrap(),
                "db",
            );
            if tracked {
                close(x.grad(&g_ours).unwrap(), x.grad(&g_theirs).unwrap(), "dx");
            }
        }
    }

    fn transpose<B: Backend>(t: FloatTensor<B>) -> FloatTensor<B> {
        B::float_transpose(t)
    }

    /// The non-zeros of a matrix and of its transpose (a strided view), against a scan by
    /// index; none once there are more than the limit.
    #[test]
    fn nonzeros_are_found_in_both_layouts_and_capped() {
        let a = FlexTensor::from_data(TensorData::new(
            vec![0.0f32, 2.0, 0.0, -1.0, 0.0, 0.5],
            [2, 3],
        ));
        let at = transpose::<Flex>(a.clone());
        assert_eq!(at.layout().strides(), &[1, 3]);
        for (flex, want) in [
            (a, vec![(0, 1, 2.0), (1, 0, -1.0), (1, 2, 0.5)]),
            (at, vec![(1, 0, 2.0), (0, 1, -1.0), (2, 1, 0.5)]),
        ] {
            assert_eq!(nonzeros(&View::of(&flex), 3), Some(want));
            assert_eq!(nonzeros(&View::of(&flex), 2), None);
        }
    }

    /// Batched and strided products against burn-flex's own, and against a hand-written sum.
    #[test]
    fn products_match_burns_and_a_hand_sum() {
        let device = Device::flex();
        let a = Tensor::<3>::random([3, 4, 6], Distribution::Normal(0.0, 1.0), &device);
        let b = Tensor::<3>::random([3, 5, 6], Distribution::Normal(0.0, 1.0), &device);
        let bt = b.clone().swap_dims(1, 2); // [3, 6, 5], strided
        let ours = Tensor::<3>::from_dispatch(Dispatch::gemm_matmul(
            a.clone().into_dispatch(),
            bt.clone().into_dispatch(),
        ));
        close(ours.clone(), a.clone().matmul(bt), "batched");
        let (av, bv, got) = (
            a.into_data().try_to_vec::<f32>().unwrap(),
            b.into_data().try_to_vec::<f32>().unwrap(),
            ours.into_data().try_to_vec::<f32>().unwrap(),
        );
        // out[s, i, j] = Σ_k a[s, i, k]·b[s, j, k]
        for s in 0..3 {
            for i in 0..4 {
                for j in 0..5 {
                    let want: f32 = (0..6)
                        .map(|k| av[(s * 4 + i) * 6 + k] * bv[(s * 5 + j) * 6 + k])
                        .sum();
                    let g = got[(s * 4 + i) * 5 + j];
                    assert!((g - want).abs() < 1e-4, "[{s}, {i}, {j}]: {g} vs {want}");
                }
            }
        }
    }
}
