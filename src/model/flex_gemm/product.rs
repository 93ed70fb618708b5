//! The product itself: gemm on strided views, its output written once, or the sparse path
//! for a mostly-zero left operand (see [`super::sparse`]).

use burn::backend::flex::FlexTensor;
use burn::prelude::*;

use super::sparse::{add_rows, nonzeros, SPARSE_MIN_COLUMNS, SPARSE_SHARE};

/// A rank-2 or rank-3 f32 tensor as gemm reads it: the whole buffer, where the view starts,
/// and `[S, R, C]` with each axis' stride (S = 1 for a matrix).
pub(super) struct View<'a> {
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

/// Threads for an m × n × k product: burn-flex's rule (all threads from 192³ multiply-adds).
fn parallelism(m: usize, n: usize, k: usize) -> gemm::Parallelism {
    #[cfg(not(target_arch = "wasm32"))]
    if m.saturating_mul(n).saturating_mul(k) >= 192 * 192 * 192 {
        return gemm::Parallelism::Rayon(0);
    }
    let _ = (m, n, k);
    gemm::Parallelism::None
}
