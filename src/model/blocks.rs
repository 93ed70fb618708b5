//! The 4 × 4, stride-2, padding-1 convolutions of [`super::conv_gemm`] as matrix products
//! over *overlapping* views of the input, on channels-last (NHWC) images, row-major f32: no
//! window is ever copied out (an im2col matrix has 4× the input's values; writing and reading
//! it back took more time in a conv-small step than the multiply-adds it fed, profiled).
//!
//! **The block layout.** An image `[H, W, C]` (H, W even) padded by one pixel of zeros on each
//! side is cut into 2 × 2 blocks: block (i, j), i < Hb = H/2 + 1, j < Wb = W/2 + 1, holds the
//! padded pixels (2i + a, 2j + b), a, b ∈ {0, 1}, as 4C floats ordered (a, b, c). Blocks are
//! stored row-major, image after image, and followed by Wb + 1 blocks of zeros.
//!
//! **The convolution.** Output pixel (i, j) (i < H/2, j < W/2) reads the padded rows and
//! columns 2i..2i + 4 × 2j..2j + 4, which are blocks (i + u′, j + v′), u′, v′ ∈ {0, 1},
//! through the taps (2u′ + a, 2v′ + b). For one u′ its two blocks are neighbours in memory:
//! 8C floats from block r + u′·Wb, where r = (b·Hb + i)·Wb + j. Row r + 1's window starts one
//! block (4C floats) later, so the windows of every output pixel form one matrix view with
//! row stride 4C over the blocks themselves, and y = Σ_u′ view_u′ · W_u′ is two products with
//! K = 8C. The rows run over the whole grid of Hb × Wb blocks per image: row i = H/2 and
//! column j = W/2 are computed and ignored (the grid's *margin*, 1/Hb + 1/Wb of the work),
//! and the zeros after the last block keep the last rows' windows inside the buffer.
//!
//! **The others.** The weight gradient is view_u′ᵀ · dy over the same views (dy zero on the
//! margin); the input gradient, the adjoint, adds dy · W_u′v′ᵀ (4C columns) at block
//! r + u′·Wb + v′ for each of the four (u′, v′): a product whose output rows are consecutive
//! blocks, accumulated in place. The transposed convolution is that adjoint of its input, and
//! its gradients are the forward and the weight gradient with the roles swapped.

use std::mem::MaybeUninit;

use super::flex_gemm::{multiply_into, View};
use super::im2col::{gathered, write_run, write_zeros, Image};

/// The block layout of the padded images of a batch (see the module's documentation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blocks {
    /// Images.
    pub batch: usize,
    /// Blocks down an image: H/2 + 1.
    pub hb: usize,
    /// Blocks across an image: W/2 + 1.
    pub wb: usize,
    /// Channels of the image (a block's 4 pixels take 4C floats).
    pub c: usize,
}

impl Blocks {
    /// The blocks of the padded images `g` (even height and width).
    ///
    /// # Panics
    /// On an odd side.
    pub fn of_image(g: Image) -> Self {
        assert!(
            g.h.is_multiple_of(2) && g.w.is_multiple_of(2),
            "blocks: an image of {} × {} (sides must be even)",
            g.h,
            g.w
        );
        Self {
            batch: g.batch,
            hb: g.h / 2 + 1,
            wb: g.w / 2 + 1,
            c: g.c,
        }
    }

    /// The blocks of the images a convolution with output `[batch, ho, wo]` reads (or a
    /// transposed convolution with input `[batch, ho, wo]` writes), with `c` channels.
    pub fn of_output(batch: usize, ho: usize, wo: usize, c: usize) -> Self {
        Self {
            batch,
            hb: ho + 1,
            wb: wo + 1,
            c,
        }
    }

    /// The images themselves.
    pub fn image(&self) -> Image {
        Image {
            batch: self.batch,
            h: 2 * (self.hb - 1),
            w: 2 * (self.wb - 1),
            c: self.c,
        }
    }

    /// Rows of the grid with its margin, B·Hb·Wb: one per block, and per output pixel of the
    /// convolution (the margin's included).
    pub fn rows(&self) -> usize {
        self.batch * self.hb * self.wb
    }

    /// Floats per block.
    pub fn width(&self) -> usize {
        4 * self.c
    }

    /// Floats in the buffer: the blocks and the zeros after them.
    pub fn len(&self) -> usize {
        (self.rows() + self.wb + 1) * self.width()
    }

    /// Whether the buffer holds no block.
    pub fn is_empty(&self) -> bool {
        self.rows() == 0
    }
}

/// The padded images `x` in blocks.
///
/// # Shapes
/// - `x`: `[B, H, W, C]` → `[len / 4C, 4C]` ([`Blocks::of_image`])
pub fn to_blocks(x: &[f32], g: Image) -> Vec<f32> {
    let geo = Blocks::of_image(g);
    let (c, wb) = (g.c, geo.wb);
    let image = g.h * g.w * c;
    gathered(
        geo.rows() * geo.width(),
        geo.hb * wb * geo.width(),
        geo.len() - geo.rows() * geo.width(),
        |b, out| {
            let img = &x[b * image..(b + 1) * image];
            for (i, line) in out.chunks_mut(wb * 4 * c).enumerate() {
                for a in 0..2 {
                    let y = (2 * i + a) as isize - 1;
                    let row = (y >= 0 && y < g.h as isize).then(|| {
                        let y = y as usize;
                        &img[y * g.w * c..(y + 1) * g.w * c]
                    });
                    for (j, block) in line.chunks_mut(4 * c).enumerate() {
                        let half = &mut block[2 * a * c..(2 * a + 2) * c];
                        match row {
                            None => write_zeros(half),
                            // Padded columns 2j, 2j + 1 are the image's 2j − 1, 2j.
                            Some(row) if j > 0 && j < wb - 1 => {
                                write_run(half, &row[(2 * j - 1) * c..(2 * j + 1) * c])
                            }
                            Some(row) if j == 0 => {
                                write_zeros(&mut half[..c]);
                                write_run(&mut half[c..], &row[..c]);
                            }
                            Some(row) => {
                                write_run(&mut half[..c], &row[(g.w - 1) * c..]);
                                write_zeros(&mut half[c..]);
                            }
                        }
                    }
                }
            }
        },
    )
}

/// The images inside the blocks `s`, the padding dropped: the inverse of [`to_blocks`] and
/// its adjoint (each pixel sits in exactly one block).
///
/// # Shapes
/// - `s`: `[len / 4C, 4C]` → `[B, H, W, C]` (the images `g`)
pub fn from_blocks(s: &[f32], g: Image) -> Vec<f32> {
    let geo = Blocks::of_image(g);
    assert!(
        s.len() >= geo.rows() * geo.width(),
        "from_blocks: a short buffer"
    );
    let (c, wb) = (g.c, geo.wb);
    let per_image = geo.hb * wb * geo.width();
    gathered(g.batch * g.h * g.w * c, g.h * g.w * c, 0, |b, out| {
        let blocks = &s[b * per_image..(b + 1) * per_image];
        for (y, line) in out.chunks_mut(g.w * c).enumerate() {
            // Padded row y + 1: block row (y + 1)/2, half (y + 1) % 2.
            let padded = y + 1;
            let (i, a) = (padded / 2, padded % 2);
            let src = &blocks[i * wb * 4 * c..(i + 1) * wb * 4 * c];
            let half = |j: usize| &src[j * 4 * c + 2 * a * c..j * 4 * c + (2 * a + 2) * c];
            // Image column 0 is block 0's second pixel; 2j − 1, 2j are block j's pair.
            write_run(&mut line[..c], &half(0)[c..]);
            for j in 1..wb - 1 {
                write_run(&mut line[(2 * j - 1) * c..(2 * j + 1) * c], half(j));
            }
            write_run(&mut line[(g.w - 1) * c..], &half(wb - 1)[..c]);
        }
    })
}

/// `y` on the grid with its margin: zeros at row i = Ho and column j = Wo of each image.
///
/// # Shapes
/// - `y`: `[B, Ho, Wo, C]` → `[B·(Ho + 1)·(Wo + 1), C]`
pub fn pad_grid(y: &[f32], [batch, ho, wo, c]: [usize; 4]) -> Vec<f32> {
    let (hb, wb) = (ho + 1, wo + 1);
    gathered(batch * hb * wb * c, hb * wb * c, 0, |b, out| {
        let img = &y[b * ho * wo * c..(b + 1) * ho * wo * c];
        for (i, line) in out.chunks_mut(wb * c).enumerate() {
            if i == ho {
                write_zeros(line);
                continue;
            }
            line[..wo * c].write_copy_of_slice(&img[i * wo * c..(i + 1) * wo * c]);
            write_zeros(&mut line[wo * c..]);
        }
    })
}

/// The grid's pixels without its margin: the inverse of [`pad_grid`].
///
/// # Shapes
/// - `yp`: `[B·(Ho + 1)·(Wo + 1), C]` → `[B, Ho, Wo, C]`
pub fn crop_grid(yp: &[f32], [batch, ho, wo, c]: [usize; 4]) -> Vec<f32> {
    let (hb, wb) = (ho + 1, wo + 1);
    gathered(batch * ho * wo * c, ho * wo * c, 0, |b, out| {
        let img = &yp[b * hb * wb * c..(b + 1) * hb * wb * c];
        for (i, line) in out.chunks_mut(wo * c).enumerate() {
            line.write_copy_of_slice(&img[i * wb * c..i * wb * c + wo * c]);
        }
    })
}

/// Block row u′'s windows: `[rows, 8C]`, row stride 4C (see the module's documentation).
fn windows<'a>(s: &'a [f32], geo: Blocks, u: usize) -> View<'a> {
    let width = geo.width() as isize;
    View::matrix(
        s,
        u * geo.wb * geo.width(),
        [geo.rows(), 8 * geo.c],
        [width, 1],
    )
}

/// The convolution on the grid: Σ_u′ windows_u′(s)·w[u′].
///
/// # Shapes
/// - `s`: blocks (`geo`), `w`: `[2, 8C, Co]` → `[rows, Co]`
pub fn conv(s: &[f32], geo: Blocks, w: &[f32], co: usize) -> Vec<f32> {
    let (rows, k) = (geo.rows(), 8 * geo.c);
    assert_eq!(w.len(), 2 * k * co, "blocks::conv: weights");
    let mut out = Vec::with_capacity(rows * co);
    let cells = &mut out.spare_capacity_mut()[..rows * co];
    for u in 0..2 {
        let wu = View::matrix(w, u * k * co, [k, co], [co as isize, 1]);
        multiply_into(&windows(s, geo, u), &wu, 0, cells, u > 0);
    }
    // SAFETY: the first product wrote all rows·Co values (the second added to them).
    unsafe { out.set_len(rows * co) };
    out
}

/// The weight gradient of [`conv`]: windows_u′(s)ᵀ·dyp for each u′.
///
/// # Shapes
/// - `s`: blocks (`geo`), `dyp`: `[rows, Co]` (zero on the margin) → `[2, 8C, Co]`
pub fn conv_grad_w(s: &[f32], geo: Blocks, dyp: &[f32], co: usize) -> Vec<f32> {
    let (rows, k) = (geo.rows(), 8 * geo.c);
    let dy = View::matrix(dyp, 0, [rows, co], [co as isize, 1]);
    let mut out = Vec::with_capacity(2 * k * co);
    let cells = &mut out.spare_capacity_mut()[..2 * k * co];
    for (u, part) in cells.chunks_mut(k * co).enumerate() {
        let width = geo.width() as isize;
        let xt = View::matrix(s, u * geo.wb * geo.width(), [k, rows], [1, width]);
        multiply_into(&xt, &dy, 0, part, false);
    }
    // SAFETY: each product wrote its 8C·Co values.
    unsafe { out.set_len(2 * k * co) };
    out
}

/// The adjoint of [`conv`] in its blocks: dyp·w[u′][v′]ᵀ added at block r + u′·Wb + v′ for
/// row r, for each (u′, v′).
///
/// # Shapes
/// - `dyp`: `[rows, Co]`, `w`: `[2, 8C, Co]` → blocks (`geo`, C = `geo.c`)
pub fn conv_adjoint(dyp: &[f32], geo: Blocks, w: &[f32], co: usize) -> Vec<f32> {
    let (rows, width) = (geo.rows(), geo.width());
    assert_eq!(w.len(), 2 * 2 * width * co, "blocks::conv_adjoint: weights");
    if width < NARROW {
        return conv_adjoint_narrow(dyp, geo, w, co);
    }
    let dy = View::matrix(dyp, 0, [rows, co], [co as isize, 1]);
    let mut out = Vec::with_capacity(geo.len());
    let cells = &mut out.spare_capacity_mut()[..geo.len()];
    // (0, 0) writes the first `rows` blocks; the zeros after them start the rest's sums.
    cells[rows * width..].fill(MaybeUninit::new(0.0));
    for (u, v) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
        // w[u][v]ᵀ: rows (v·4C..) of w[u], read transposed.
        let start = (2 * u + v) * width * co;
        let wt = View::matrix(w, start, [co, width], [1, co as isize]);
        let at = (u * geo.wb + v) * width;
        let dst = &mut cells[at..at + rows * width];
        multiply_into(&dy, &wt, 0, dst, (u, v) != (0, 0));
    }
    // SAFETY: (0, 0) wrote the first rows·4C values and the rest were zeroed above.
    unsafe { out.set_len(geo.len()) };
    out
}

/// Blocks narrower than this many floats (one or two channels: the decoder's last layer)
/// take [`conv_adjoint_narrow`]: four products of 4C columns each ran at a fraction of
/// gemm's speed (2.1 ms for conv-small's last layer, measured, against 0.5 ms this way).
const NARROW: usize = 16;

/// [`conv_adjoint`] as one product dyp·[w[0][0] … w[1][1]]ᵀ (16C columns per row), then each
/// row's four parts added onto its blocks.
fn conv_adjoint_narrow(dyp: &[f32], geo: Blocks, w: &[f32], co: usize) -> Vec<f32> {
    let (rows, width) = (geo.rows(), geo.width());
    let dy = View::matrix(dyp, 0, [rows, co], [co as isize, 1]);
    let wt = View::matrix(w, 0, [co, 4 * width], [1, co as isize]);
    let mut parts = Vec::with_capacity(rows * 4 * width);
    multiply_into(
        &dy,
        &wt,
        0,
        &mut parts.spare_capacity_mut()[..rows * 4 * width],
        false,
    );
    // SAFETY: the product wrote all rows·16C values.
    unsafe { parts.set_len(rows * 4 * width) };
    let mut out = vec![0.0f32; geo.len()];
    for (r, row) in parts.chunks(4 * width).enumerate() {
        for (p, part) in row.chunks(width).enumerate() {
            let at = (r + (p / 2) * geo.wb + p % 2) * width;
            for (o, v) in out[at..at + width].iter_mut().zip(part) {
                *o += v;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
