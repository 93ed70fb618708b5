//! [`im2col`]: a k × k, stride-2 convolution's input windows, one row per output pixel, on
//! channels-last (NHWC) images, row-major f32, in plain Rust (threads over images natively).
//! The 2 × 2 convolutions of [`super::conv_gemm`] multiply it (for them it is a reshuffle:
//! each pixel in one window); the copy helpers here serve [`super::blocks`] too.

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

/// `n` floats written chunk by chunk by `f`, which writes every element of its chunk, then
/// `zeros` zeros. The gathers write each cell once, zeros included: zeroing the buffer
/// first, then overwriting it, cost 6 % of a conv-small training step in memset (profiled).
pub(super) fn gathered(
    n: usize,
    chunk: usize,
    zeros: usize,
    f: impl Fn(usize, &mut [MaybeUninit<f32>]) + Sync + Send,
) -> Vec<f32> {
    let mut out = Vec::with_capacity(n + zeros);
    let (cells, tail) = out.spare_capacity_mut()[..n + zeros].split_at_mut(n);
    // Under test an unwritten cell reads NaN, which every exact comparison catches.
    #[cfg(test)]
    cells.fill(MaybeUninit::new(f32::NAN));
    if chunk > 0 {
        per_image(cells, chunk, f);
    }
    write_zeros(tail);
    // SAFETY: `f` wrote all `n` cells (each gather's tests compare every cell with its
    // definition), and the tail holds zeros.
    unsafe { out.set_len(n + zeros) };
    out
}

/// Writes one run of pixels. Runs here are C or k·C floats (1 to 256): for short ones a call
/// to memmove cost more than the copy (memmove was 17 % of a conv-small training step,
/// profiled), so the usual lengths are copied at a size known when compiling, which LLVM
/// turns into a few vector moves (an element-by-element loop over `MaybeUninit` stayed
/// scalar: one `movss` per float, a third of the gathers' time, profiled).
#[inline(always)]
pub(super) fn write_run(dst: &mut [MaybeUninit<f32>], src: &[f32]) {
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
pub(super) fn write_zeros(dst: &mut [MaybeUninit<f32>]) {
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
    gathered(g.batch * ho * wo * row, ho * wo * row, 0, |b, out| {
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::rng::Rng;

    /// `n` standard normal values.
    pub(crate) fn random(n: usize, rng: &mut Rng) -> Vec<f32> {
        (0..n).map(|_| rng.normal() as f32).collect()
    }

    /// x at (b, y, x, c) of the images `g`, 0 outside them.
    pub(crate) fn at(x: &[f32], g: Image, b: usize, y: isize, xx: isize, c: usize) -> f32 {
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
}
