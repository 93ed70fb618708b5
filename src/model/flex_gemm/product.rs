//! The product itself: gemm on strided views, its output written once, or the sparse path
//! for a mostly-zero left operand (see [`super::sparse`]).

use std::mem::MaybeUninit;

use burn::backend::flex::FlexTensor;
use burn::prelude::*;

use super::sparse::{add_rows, nonzeros, SPARSE_MIN_COLUMNS, SPARSE_SHARE};

/// A rank-2 or rank-3 f32 tensor as gemm reads it: the whole buffer, where the view starts,
/// and `[S, R, C]` with each axis' stride (S = 1 for a matrix).
pub(crate) struct View<'a> {
    pub(super) data: &'a [f32],
    pub(super) start: usize,
    pub(super) dims: [usize; 3],
    pub(super) strides: [isize; 3],
}

impl<'a> View<'a> {
    pub(super) fn of(t: &'a FlexTensor) -> Self {
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
        Self::checked(t.storage::<f32>(), layout.start_offset(), dims, strides)
    }

    /// The matrix `[rows, cols]` of `data` whose element (r, c) is at
    /// `start + r·strides[0] + c·strides[1]` (rows may overlap: a sliding window).
    ///
    /// # Panics
    /// When an element lies outside `data`.
    pub(crate) fn matrix(
        data: &'a [f32],
        start: usize,
        [rows, cols]: [usize; 2],
        [row_stride, col_stride]: [isize; 2],
    ) -> Self {
        Self::checked(data, start, [1, rows, cols], [0, row_stride, col_stride])
    }

    fn checked(data: &'a [f32], start: usize, dims: [usize; 3], strides: [isize; 3]) -> Self {
        let view = Self {
            data,
            start,
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
pub(super) fn product(a: &FlexTensor, b: &FlexTensor, bias: Option<&[f32]>) -> FlexTensor {
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
    if k > 0 {
        // SAFETY: `out` has capacity for len values (initialised ones where read_dst).
        let cells = unsafe {
            std::slice::from_raw_parts_mut(out.as_mut_ptr().cast::<MaybeUninit<f32>>(), len)
        };
        for s in 0..sa {
            multiply_into(
                &va,
                &vb,
                s,
                &mut cells[s * m * n..(s + 1) * m * n],
                read_dst,
            );
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

/// dst (m × n, row-major; read when `read_dst`, else overwritten) += a[s]·b[s], on threads
/// natively where the product is large (its output's blocks shared out, or its sum over k cut
/// into parts, see [`k_split`]).
pub(crate) fn multiply_into(
    va: &View,
    vb: &View,
    s: usize,
    dst: &mut [MaybeUninit<f32>],
    read_dst: bool,
) {
    let ([_, m, k], [_, kb, n]) = (va.dims, vb.dims);
    assert!(
        k == kb && dst.len() == m * n && s < va.dims[0].min(vb.dims[0]),
        "gemm: shapes {:?}, {:?} into {} values",
        va.dims,
        vb.dims,
        dst.len()
    );
    if k == 0 {
        if !read_dst {
            dst.fill(MaybeUninit::new(0.0));
        }
        return;
    }
    let split = k_split(m, n, k);
    if split > 1 {
        split_sum(va, vb, s, [m, n, k], split, read_dst, dst);
    } else {
        // SAFETY: the inputs' views were bounds-checked when made (`View::of`,
        // `View::matrix`); `dst` has room for m·n values, row-major.
        unsafe {
            gemm_into(
                va,
                vb,
                s,
                [m, n, k],
                0..k,
                read_dst,
                dst,
                parallelism(m, n, k),
            )
        };
    }
}

/// dst (m × n, row-major; read when `read_dst`, else overwritten) += a[s][:, ks]·b[s][ks, :].
///
/// # Safety
/// The views were bounds-checked by [`View::of`], `ks` lies in 0..k, and `dst` holds m·n
/// values (initialised where `read_dst`).
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_into(
    va: &View,
    vb: &View,
    s: usize,
    [m, n, _]: [usize; 3],
    ks: std::ops::Range<usize>,
    read_dst: bool,
    dst: &mut [MaybeUninit<f32>],
    par: gemm::Parallelism,
) {
    debug_assert!(dst.len() == m * n);
    let (a, b) = (
        va.at(s).offset(ks.start as isize * va.strides[2]),
        vb.at(s).offset(ks.start as isize * vb.strides[1]),
    );
    gemm::gemm(
        m,
        n,
        ks.len(),
        dst.as_mut_ptr().cast::<f32>(),
        1,
        n as isize,
        read_dst,
        a,
        va.strides[2],
        va.strides[1],
        b,
        vb.strides[2],
        vb.strides[1],
        1.0,
        1.0,
        false,
        false,
        false,
        par,
    );
}

/// Whether an m × n × k product is worth threads: burn-flex's rule (from 192³ multiply-adds).
#[cfg(not(target_arch = "wasm32"))]
fn threaded(m: usize, n: usize, k: usize) -> bool {
    m.saturating_mul(n).saturating_mul(k) >= 192 * 192 * 192
}

/// Threads for an m × n × k product: all of them when [`threaded`].
fn parallelism(m: usize, n: usize, k: usize) -> gemm::Parallelism {
    #[cfg(not(target_arch = "wasm32"))]
    if threaded(m, n, k) {
        return gemm::Parallelism::Rayon(0);
    }
    let _ = (m, n, k);
    gemm::Parallelism::None
}

/// How many parts to cut the sum over k into, one per thread, or 1. gemm's threads share out
/// the output's blocks, and a weight gradient's output is small (256 × 16 for conv-small's
/// second layer) against k = 16384 rows of the batch's pixels: one block, so one thread
/// (the two slowest products of a conv-small step, profiled). Cutting k keeps every thread
/// busy and costs one sum of m·n values per part.
fn k_split(m: usize, n: usize, k: usize) -> usize {
    #[cfg(not(target_arch = "wasm32"))]
    {
        let threads = rayon::current_num_threads();
        if threads > 1 && threaded(m, n, k) && k >= 16 * m.max(n) {
            return threads;
        }
    }
    let _ = (m, n, k);
    1
}

/// dst (as [`gemm_into`]) from `parts` products over consecutive ranges of k, one per thread,
/// added together.
pub(super) fn split_sum(
    va: &View,
    vb: &View,
    s: usize,
    [m, n, k]: [usize; 3],
    parts: usize,
    read_dst: bool,
    dst: &mut [MaybeUninit<f32>],
) {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        let mut partial = vec![0.0f32; (parts - 1) * m * n];
        let span = k.div_ceil(parts);
        // Part 0 writes dst itself; part i ≥ 1 its own m·n slice of `partial`.
        let mut outs: Vec<&mut [MaybeUninit<f32>]> = vec![dst];
        // SAFETY of the cast: f32 → MaybeUninit<f32> (same layout, initialised values).
        let partial_cells = unsafe {
            std::slice::from_raw_parts_mut(
                partial.as_mut_ptr().cast::<MaybeUninit<f32>>(),
                partial.len(),
            )
        };
        outs.extend(partial_cells.chunks_mut(m * n));
        outs.into_par_iter().enumerate().for_each(|(i, out)| {
            let ks = (i * span).min(k)..((i + 1) * span).min(k);
            // SAFETY: as `gemm_into` asks: views checked, ks within 0..k, out of m·n values;
            // only part 0 reads its destination (dst, initialised when read_dst).
            unsafe {
                gemm_into(
                    va,
                    vb,
                    s,
                    [m, n, k],
                    ks,
                    read_dst && i == 0,
                    out,
                    gemm::Parallelism::None,
                )
            };
        });
        // SAFETY: part 0 wrote (or added to) all m·n values of dst.
        let dst = unsafe { std::slice::from_raw_parts_mut(dst.as_mut_ptr().cast::<f32>(), m * n) };
        for part in partial.chunks(m * n) {
            for (d, p) in dst.iter_mut().zip(part) {
                *d += p;
            }
        }
    }
    #[cfg(target_arch = "wasm32")]
    {
        let _ = (va, vb, s, m, n, k, parts, read_dst, dst);
        unreachable!("k_split is 1 on wasm32");
    }
}
