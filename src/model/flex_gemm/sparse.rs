//! dSprites' images are binary with about one pixel in twenty set: a left operand found
//! mostly zero adds one scaled row of the right operand per non-zero instead of gemm's dense
//! pass.

use super::product::View;
use crate::math::simd::avx2_fma;

/// A left operand with at most one value in `SPARSE_SHARE` non-zero takes the sparse path
/// (each non-zero adds a scaled row of the right operand): gemm's blocked kernel does several
/// times more multiply-adds per cycle than that row loop, so the share must be well below it.
pub(super) const SPARSE_SHARE: usize = 8;

/// ...and the product at least this many columns, so that each row added is long. Below it
/// the scan does not pay: conv-small's first layers (16 channels) ran at 12.0 steps/s against
/// 13.6 with gemm alone, which also uses both cores natively.
pub(super) const SPARSE_MIN_COLUMNS: usize = 64;

/// The non-zero entries of a matrix view as (row, column, value), in memory order; `None` as
/// soon as there are more than `limit` (so a dense matrix costs a short scan only).
pub(super) fn nonzeros(view: &View, limit: usize) -> Option<Vec<(u32, u32, f32)>> {
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
pub(super) fn add_rows(entries: &[(u32, u32, f32)], b: &View, n: usize, out: &mut [f32]) {
    avx2_fma!(add_rows_impl(entries: &[(u32, u32, f32)], b: &View, n: usize, out: &mut [f32]))
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
