//! The two gathers the stride-2 convolutions of [`super::conv_gemm`] are built on, on
//! channels-last (NHWC) images, row-major f32, in plain Rust (threads over images natively).
//!
//! - [`im2col`]: a k × k, stride-2 convolution's input windows, one row per output pixel;
//!   [`col2im`] is its adjoint (adds each row back onto its window).
//! - [`phase_gather`]: a 4 × 4, stride-2, padding-1 *transposed* convolution's inputs, one row
//!   per output pixel, grouped by the output pixel's phase (row and column parity): output
//!   (2m + a, 2n + b) sees exactly the inputs (m + a + r' − 1, n + b + c' − 1), r', c' ∈ {0, 1},
//!   through the taps (3 − a − 2r', 3 − b − 2c').

/// The geometry of one layer's input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Image {
    /// Images in the batch.
    pub batch: usize,
    /// Height.
    pub h: usize,
    /// Width.
    pub w: usize,
    /// Channels.
    pub c: usize,
}

impl Image {
    /// Output height and width of a k × k, stride-2 convolution with padding `pad`.
    pub fn conv_out(&self, k: usize, pad: usize) -> (usize, usize) {
        (
            (self.h + 2 * pad - k) / 2 + 1,
            (self.w + 2 * pad - k) / 2 + 1,
        )
    }

    fn len(&self) -> usize {
        self.h * self.w * self.c
    }
}

use std::mem::MaybeUninit;

/// Runs `f` on every (image index, output chunk) pair, on threads natively.
fn per_image<T: Send>(out: &mut [T], chunk: usize, f: impl Fn(usize, &mut [T]) + Sync + Send) {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        out.par_chunks_mut(chunk)
            .enumerate()
            .for_each(|(b, o)| f(b, o));
    }
    #[cfg(target_arch = "wasm32")]
    for (b, o) in out.chunks_mut(chunk).enumerate() {
        f(b, o);
    }
}

/// `n` floats written chunk by chunk by `f`, which writes every element of its chunk. The
/// gathers below write each cell once, zeros included: zeroing the buffer first, then
/// overwriting it, cost 6 % of a conv-small training step in memset (profiled).
fn gathered(
    n: usize,
    chunk: usize,
    f: impl Fn(usize, &mut [MaybeUninit<f32>]) + Sync + Send,
) -> Vec<f32> {
    let mut out = Vec::with_capacity(n);
    let cells = &mut out.spare_capacity_mut()[..n];
    // Under test an unwritten cell reads NaN, which every exact comparison catches.
    #[cfg(test)]
    cells.fill(MaybeUninit::new(f32::NAN));
    if chunk > 0 {
        per_image(cells, chunk, f);
    }
    // SAFETY: `f` wrote all `n` cells (each gather's tests compare every cell with its
    // definition).
    unsafe { out.set_len(n) };
    out
}

/// Writes one run of pixels. Runs here are C or k·C floats (1 to 256): for short ones a call
/// to memmove cost more than the copy (memmove was 17 % of a conv-small training step,
/// profiled), so the usual lengths are copied at a size known when compiling, which LLVM
/// turns into a few vector moves (an element-by-element loop over `MaybeUninit` stayed
/// scalar: one `movss` per float, a third of the gathers' time, profiled).
#[inline(always)]
fn write_run(dst: &mut [MaybeUninit<f32>], src: &[f32]) {
    #[inline(always)]
    fn fixed<const N: usize>(dst: &mut [MaybeUninit<f32>], src: &[f32]) {
        dst[..N].write_copy_of_slice(&src[..N]);
    }
    match dst.len() {
        1 => fixed::<1>(dst, src),
        2 => fixed::<2>(dst, src),
        4 => fixed::<4>(dst, src),
        8 => fixed::<8>(dst, src),
        16 => fixed::<16>(dst, src),
        32 => fixed::<32>(dst, src),
        64 => fixed::<64>(dst, src),
        n => {
            dst.write_copy_of_slice(&src[..n]);
        }
    }
}

/// Writes zeros (the padding around an image).
fn write_zeros(dst: &mut [MaybeUninit<f32>]) {
    dst.fill(MaybeUninit::new(0.0));
}

/// The k × k, stride-2 windows of `x` (padding `pad`, zeros outside): row (b, i, j) holds
/// pixels (2i − pad + u, 2j − pad + v), column (u·k + v)·C + c.
///
/// # Shapes
/// - `x`: `[B, H, W, C]` → `[B·Ho·Wo, k·k·C]`
pub fn im2col(x: &[f32], g: Image, k: usize, pad: usize) -> Vec<f32> {
    let (ho, wo) = g.conv_out(k, pad);
    let row = k * k * g.c;
    gathered(g.batch * ho * wo * row, ho * wo * row, |b, out| {
        let img = &x[b * g.len()..(b + 1) * g.len()];
        for i in 0..ho {
            for j in 0..wo {
                let dst = &mut out[(i * wo + j) * row..(i * wo + j + 1) * row];
                let x0 = (2 * j) as isize - pad as isize;
                // The window's row lies inside the image: one run of k·C floats.
                let inside = x0 >= 0 && x0 as usize + k <= g.w;
                for u in 0..k {
                    let y = (2 * i + u) as isize - pad as isize;
                    let d = u * k * g.c;
                    if y < 0 || y >= g.h as isize {
                        write_zeros(&mut dst[d..d + k * g.c]);
                        continue;
                    }
                    let line = y as usize * g.w;
                    if inside {
                        let src = (line + x0 as usize) * g.c;
                        write_run(&mut dst[d..d + k * g.c], &img[src..src + k * g.c]);
                        continue;
                    }
                    for v in 0..k {
                        let xx = x0 + v as isize;
                        let d = (u * k + v) * g.c;
                        if xx < 0 || xx >= g.w as isize {
                            write_zeros(&mut dst[d..d + g.c]);
                            continue;
                        }
                        let src = (line + xx as usize) * g.c;
                        write_run(&mut dst[d..d + g.c], &img[src..src + g.c]);
                    }
                }
            }
        }
    })
}

/// The adjoint of [`im2col`]: adds row (b, i, j) onto the pixels of its window.
///
/// # Shapes
/// - `cols`: `[B·Ho·Wo, k·k·C]` → `[B, H, W, C]` (the geometry `g` of the image)
pub fn col2im(cols: &[f32], g: Image, k: usize, pad: usize) -> Vec<f32> {
    let (ho, wo) = g.conv_out(k, pad);
    let row = k * k * g.c;
    let mut x = vec![0.0f32; g.batch * g.len()];
    if x.is_empty() {
        return x;
    }
    per_image(&mut x, g.len(), |b, img| {
        let src_img = &cols[b * ho * wo * row..(b + 1) * ho * wo * row];
        for i in 0..ho {
            for j in 0..wo {
                let src = &src_img[(i * wo + j) * row..(i * wo + j + 1) * row];
                let x0 = (2 * j) as isize - pad as isize;
                let inside = x0 >= 0 && x0 as usize + k <= g.w;
                for u in 0..k {
                    let y = (2 * i + u) as isize - pad as isize;
                    if y < 0 || y >= g.h as isize {
                        continue;
                    }
                    let line = y as usize * g.w;
                    if inside {
                        // The window's row inside the image: one run of k·C sums.
                        let (dst, s) = ((line + x0 as usize) * g.c, u * k * g.c);
                        let run = k * g.c;
                        for (o, i) in img[dst..dst + run].iter_mut().zip(&src[s..s + run]) {
                            *o += *i;
                        }
                        continue;
                    }
                    for v in 0..k {
                        let xx = x0 + v as isize;
                        if xx < 0 || xx >= g.w as isize {
                            continue;
                        }
                        let dst = (line + xx as usize) * g.c;
                        let s = (u * k + v) * g.c;
                        for (o, i) in img[dst..dst + g.c].iter_mut().zip(&src[s..s + g.c]) {
                            *o += *i;
                        }
                    }
                }
            }
        }
    });
    x
}

/// The inputs of every output pixel of a 4 × 4, stride-2, padding-1 transposed convolution of
/// `x`, by phase p = 2a + b: row (p, (bi, m, n)) holds x(m + a + r' − 1, n + b + c' − 1) at
/// column (2r' + c')·C + c (zeros outside).
///
/// # Shapes
/// - `x`: `[B, H, W, C]` → `[4, B·H·W, 4C]`
pub fn phase_gather(x: &[f32], g: Image) -> Vec<f32> {
    let (h, w, c) = (g.h, g.w, g.c);
    // One chunk per (phase, image): [H·W, 4C].
    gathered(4 * g.batch * h * w * 4 * c, h * w * 4 * c, |pb, out| {
        let (p, b) = (pb / g.batch, pb % g.batch);
        let (a, bb) = (p / 2, p % 2);
        let img = &x[b * g.len()..(b + 1) * g.len()];
        for m in 0..h {
            for n in 0..w {
                let dst = &mut out[(m * w + n) * 4 * c..(m * w + n + 1) * 4 * c];
                let x0 = (n + bb) as isize - 1;
                let inside = x0 >= 0 && x0 as usize + 2 <= w;
                for r in 0..2 {
                    let y = (m + a + r) as isize - 1;
                    if y < 0 || y >= h as isize {
                        write_zeros(&mut dst[2 * r * c..(2 * r + 2) * c]);
                        continue;
                    }
                    let line = y as usize * w;
                    if inside {
                        let src = (line + x0 as usize) * c;
                        write_run(&mut dst[2 * r * c..(2 * r + 2) * c], &img[src..src + 2 * c]);
                        continue;
                    }
                    for q in 0..2 {
                        let xx = x0 + q as isize;
                        let d = (2 * r + q) * c;
                        if xx < 0 || xx >= w as isize {
                            write_zeros(&mut dst[d..d + c]);
                            continue;
                        }
                        let src = (line + xx as usize) * c;
                        write_run(&mut dst[d..d + c], &img[src..src + c]);
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn random(n: usize, rng: &mut Rng) -> Vec<f32> {
        (0..n).map(|_| rng.normal() as f32).collect()
    }

    /// x at (b, y, x, c), 0 outside the image.
    fn at(x: &[f32], g: Image, b: usize, y: isize, xx: isize, c: usize) -> f32 {
        if y < 0 || xx < 0 || y >= g.h as isize || xx >= g.w as isize {
            return 0.0;
        }
        x[((b * g.h + y as usize) * g.w + xx as usize) * g.c + c]
    }

    /// (image, kernel, padding) of the stride-2 convolutions the tests check: a padded
    /// case and an unpadded one, and padded ones wide enough for windows wholly inside the
    /// image (copied as one run), with one channel and with 16 (runs of 4 and 64 floats).
    const CASES: [(Image, usize, usize); 4] = [
        (
            Image {
                batch: 2,
                h: 8,
                w: 10,
                c: 1,
            },
            4,
            1,
        ),
        (
            Image {
                batch: 1,
                h: 6,
                w: 8,
                c: 16,
            },
            4,
            1,
        ),
        (
            Image {
                batch: 2,
                h: 6,
                w: 4,
                c: 3,
            },
            4,
            1,
        ),
        (
            Image {
                batch: 1,
                h: 4,
                w: 6,
                c: 2,
            },
            2,
            0,
        ),
    ];

    #[test]
    fn im2col_reads_every_window_pixel() {
        let mut rng = Rng::new(1);
        for (g, k, pad) in CASES {
            let x = random(g.batch * g.len(), &mut rng);
            let cols = im2col(&x, g, k, pad);
            let (ho, wo) = g.conv_out(k, pad);
            let row = k * k * g.c;
            assert_eq!(cols.len(), g.batch * ho * wo * row);
            for b in 0..g.batch {
                for i in 0..ho {
                    for j in 0..wo {
                        for u in 0..k {
                            for v in 0..k {
                                for c in 0..g.c {
                                    let y = (2 * i + u) as isize - pad as isize;
                                    let xx = (2 * j + v) as isize - pad as isize;
                                    let got =
                                        cols[((b * ho + i) * wo + j) * row + (u * k + v) * g.c + c];
                                    assert_eq!(got, at(&x, g, b, y, xx, c));
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        let mut rng = Rng::new(3);
        for (g, k, pad) in CASES {
            // ⟨im2col(x), y⟩ = ⟨x, col2im(y)⟩ for any x, y.
            let x = random(g.batch * g.len(), &mut rng);
            let cols = im2col(&x, g, k, pad);
            let y = random(cols.len(), &mut rng);
            let back = col2im(&y, g, k, pad);
            let lhs: f64 = cols.iter().zip(&y).map(|(a, b)| (a * b) as f64).sum();
            let rhs: f64 = x.iter().zip(&back).map(|(a, b)| (a * b) as f64).sum();
            assert!(
                (lhs - rhs).abs() < 1e-4 * (1.0 + lhs.abs()),
                "{lhs} vs {rhs}"
            );
        }
    }

    #[test]
    fn phase_gather_reads_each_output_pixels_inputs() {
        let mut rng = Rng::new(2);
        let g = Image {
            batch: 2,
            h: 3,
            w: 4,
            c: 2,
        };
        let x = random(g.batch * g.len(), &mut rng);
        let cols = phase_gather(&x, g);
        let rows = g.batch * g.h * g.w;
        for p in 0..4 {
            let (a, bb) = (p / 2, p % 2);
            for b in 0..g.batch {
                for m in 0..g.h {
                    for n in 0..g.w {
                        for r in 0..2 {
                            for q in 0..2 {
                                for c in 0..g.c {
                                    let y = (m + a + r) as isize - 1;
                                    let xx = (n + bb + q) as isize - 1;
                                    let row = (b * g.h + m) * g.w + n;
                                    let got =
                                        cols[(p * rows + row) * 4 * g.c + (2 * r + q) * g.c + c];
                                    assert_eq!(got, at(&x, g, b, y, xx, c));
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
