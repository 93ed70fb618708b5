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

/// Runs `f` on every (image index, output chunk) pair, on threads natively.
fn per_image(out: &mut [f32], chunk: usize, f: impl Fn(usize, &mut [f32]) + Sync + Send) {
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

/// The k × k, stride-2 windows of `x` (padding `pad`, zeros outside): row (b, i, j) holds
/// pixels (2i − pad + u, 2j − pad + v), column (u·k + v)·C + c.
///
/// # Shapes
/// - `x`: `[B, H, W, C]` → `[B·Ho·Wo, k·k·C]`
pub fn im2col(x: &[f32], g: Image, k: usize, pad: usize) -> Vec<f32> {
    let (ho, wo) = g.conv_out(k, pad);
    let row = k * k * g.c;
    let mut cols = vec![0.0f32; g.batch * ho * wo * row];
    if cols.is_empty() {
        return cols;
    }
    per_image(&mut cols, ho * wo * row, |b, out| {
        let img = &x[b * g.len()..(b + 1) * g.len()];
        for i in 0..ho {
            for j in 0..wo {
                let dst = &mut out[(i * wo + j) * row..(i * wo + j + 1) * row];
                for u in 0..k {
                    let y = (2 * i + u) as isize - pad as isize;
                    if y < 0 || y >= g.h as isize {
                        continue; // stays 0
                    }
                    for v in 0..k {
                        let xx = (2 * j + v) as isize - pad as isize;
                        if xx < 0 || xx >= g.w as isize {
                            continue;
                        }
                        let src = (y as usize * g.w + xx as usize) * g.c;
                        let d = (u * k + v) * g.c;
                        dst[d..d + g.c].copy_from_slice(&img[src..src + g.c]);
                    }
                }
            }
        }
    });
    cols
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
                for u in 0..k {
                    let y = (2 * i + u) as isize - pad as isize;
                    if y < 0 || y >= g.h as isize {
                        continue;
                    }
                    for v in 0..k {
                        let xx = (2 * j + v) as isize - pad as isize;
                        if xx < 0 || xx >= g.w as isize {
                            continue;
                        }
                        let dst = (y as usize * g.w + xx as usize) * g.c;
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
    let per_phase = g.batch * h * w * 4 * c;
    let mut cols = vec![0.0f32; 4 * per_phase];
    if cols.is_empty() {
        return cols;
    }
    // One chunk per (phase, image): [H·W, 4C].
    per_image(&mut cols, h * w * 4 * c, |pb, out| {
        let (p, b) = (pb / g.batch, pb % g.batch);
        let (a, bb) = (p / 2, p % 2);
        let img = &x[b * g.len()..(b + 1) * g.len()];
        for m in 0..h {
            for n in 0..w {
                let dst = &mut out[(m * w + n) * 4 * c..(m * w + n + 1) * 4 * c];
                for r in 0..2 {
                    let y = (m + a + r) as isize - 1;
                    if y < 0 || y >= h as isize {
                        continue;
                    }
                    for q in 0..2 {
                        let xx = (n + bb + q) as isize - 1;
                        if xx < 0 || xx >= w as isize {
                            continue;
                        }
                        let src = (y as usize * w + xx as usize) * c;
                        let d = (2 * r + q) * c;
                        dst[d..d + c].copy_from_slice(&img[src..src + c]);
                    }
                }
            }
        }
    });
    cols
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
    /// case and an unpadded one.
    const CASES: [(Image, usize, usize); 2] = [
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
