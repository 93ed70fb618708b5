use super::*;
use crate::model::im2col::tests::{at, random};
use crate::rng::Rng;

/// Images the tests use: one channel, several, a batch, a non-square one, the smallest.
const IMAGES: [Image; 4] = [
    Image {
        batch: 2,
        h: 8,
        w: 6,
        c: 1,
    },
    Image {
        batch: 1,
        h: 6,
        w: 6,
        c: 5,
    },
    Image {
        batch: 3,
        h: 4,
        w: 8,
        c: 2,
    },
    Image {
        batch: 1,
        h: 2,
        w: 2,
        c: 3,
    },
];

/// A conv weight `[Co, C, 4, 4]` in the layout of [`conv`]: w2[u′, v′, a, b, c, o] =
/// W[o, c, 2u′ + a, 2v′ + b].
fn block_weights(w: &[f32], co: usize, c: usize) -> Vec<f32> {
    let mut w2 = vec![0.0; 16 * c * co];
    for u in 0..4 {
        for v in 0..4 {
            let (u2, a, v2, b) = (u / 2, u % 2, v / 2, v % 2);
            for ci in 0..c {
                for o in 0..co {
                    let row = (((u2 * 2 + v2) * 2 + a) * 2 + b) * c + ci;
                    w2[row * co + o] = w[((o * c + ci) * 4 + u) * 4 + v];
                }
            }
        }
    }
    w2
}

/// The 4 × 4, stride-2, padding-1 convolution by its definition: `[B, H/2, W/2, Co]`.
fn conv_by_definition(x: &[f32], g: Image, w: &[f32], co: usize) -> Vec<f32> {
    let (ho, wo) = (g.h / 2, g.w / 2);
    let mut y = vec![0.0f64; g.batch * ho * wo * co];
    for b in 0..g.batch {
        for i in 0..ho {
            for j in 0..wo {
                for o in 0..co {
                    let mut sum = 0.0f64;
                    for c in 0..g.c {
                        for u in 0..4 {
                            for v in 0..4 {
                                let (yy, xx) = ((2 * i + u) as isize - 1, (2 * j + v) as isize - 1);
                                let wv = w[((o * g.c + c) * 4 + u) * 4 + v];
                                sum += (at(x, g, b, yy, xx, c) * wv) as f64;
                            }
                        }
                    }
                    y[((b * ho + i) * wo + j) * co + o] = sum;
                }
            }
        }
    }
    y.into_iter().map(|v| v as f32).collect()
}

fn close(got: &[f32], want: &[f32], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: sizes");
    for (i, (a, b)) in got.iter().zip(want).enumerate() {
        assert!(
            (a - b).abs() <= 1e-4 * (1.0 + b.abs()),
            "{what}[{i}]: {a} vs {b}"
        );
    }
}

#[test]
fn blocks_hold_each_padded_pixel_and_zeros_after_them() {
    let mut rng = Rng::new(1);
    for g in IMAGES {
        let x = random(g.batch * g.h * g.w * g.c, &mut rng);
        let s = to_blocks(&x, g);
        let geo = Blocks::of_image(g);
        assert_eq!(s.len(), geo.len());
        for b in 0..g.batch {
            for i in 0..geo.hb {
                for j in 0..geo.wb {
                    for (a, q, c) in (0..4 * g.c).map(|k| (k / (2 * g.c), k / g.c % 2, k % g.c)) {
                        let got = s
                            [((b * geo.hb + i) * geo.wb + j) * geo.width() + (2 * a + q) * g.c + c];
                        let (y, xx) = ((2 * i + a) as isize - 1, (2 * j + q) as isize - 1);
                        assert_eq!(got, at(&x, g, b, y, xx, c));
                    }
                }
            }
        }
        assert!(s[geo.rows() * geo.width()..].iter().all(|v| *v == 0.0));
        assert_eq!(from_blocks(&s, g), x, "from_blocks inverts to_blocks");
    }
}

#[test]
fn the_grid_margin_is_added_as_zeros_and_cropped_off() {
    let mut rng = Rng::new(2);
    let dims = [2, 3, 4, 5];
    let y = random(dims.iter().product(), &mut rng);
    let yp = pad_grid(&y, dims);
    assert_eq!(yp.len(), 2 * 4 * 5 * 5);
    for (r, px) in yp.chunks(5).enumerate() {
        let (i, j) = (r / 5 % 4, r % 5);
        if i == 3 || j == 4 {
            assert!(px.iter().all(|v| *v == 0.0), "margin row {r}");
        }
    }
    assert_eq!(crop_grid(&yp, dims), y);
}

#[test]
fn conv_on_blocks_matches_the_definition_with_its_weight_gradient() {
    let mut rng = Rng::new(3);
    for (g, co) in IMAGES.into_iter().zip([3, 4, 2, 1]) {
        let x = random(g.batch * g.h * g.w * g.c, &mut rng);
        let w = random(co * g.c * 16, &mut rng);
        let (geo, w2) = (Blocks::of_image(g), block_weights(&w, co, g.c));
        let (ho, wo) = (g.h / 2, g.w / 2);
        let s = to_blocks(&x, g);
        let y = crop_grid(&conv(&s, geo, &w2, co), [g.batch, ho, wo, co]);
        close(&y, &conv_by_definition(&x, g, &w, co), "conv");
        // dW = ∂⟨conv(x, W), dy⟩/∂W: by the definition, ⟨conv(x, e_k), dy⟩ per weight k.
        let dy = random(y.len(), &mut rng);
        let dw2 = conv_grad_w(&s, geo, &pad_grid(&dy, [g.batch, ho, wo, co]), co);
        let mut want = vec![0.0; w.len()];
        for (k, slot) in want.iter_mut().enumerate() {
            let mut e = vec![0.0; w.len()];
            e[k] = 1.0;
            let yk = conv_by_definition(&x, g, &e, co);
            *slot = yk.iter().zip(&dy).map(|(a, b)| a * b).sum();
        }
        close(&dw2, &block_weights(&want, co, g.c), "dW");
    }
}

#[test]
fn conv_adjoint_is_the_adjoint_of_conv_on_the_whole_buffer() {
    let mut rng = Rng::new(4);
    // Narrow blocks (one or two channels: 4 or 8 floats) take their own path.
    assert!(IMAGES.iter().any(|g| 4 * g.c < NARROW) && IMAGES.iter().any(|g| 4 * g.c >= NARROW));
    for (g, co) in IMAGES.into_iter().zip([2, 3, 1, 4]) {
        // ⟨conv(s), d⟩ = ⟨s, conv_adjoint(d)⟩ for any buffer s (margin and tail included)
        // and any d on the grid.
        let geo = Blocks::of_image(g);
        let s = random(geo.len(), &mut rng);
        let w2 = random(16 * g.c * co, &mut rng);
        let d = random(geo.rows() * co, &mut rng);
        let lhs: f64 = conv(&s, geo, &w2, co)
            .iter()
            .zip(&d)
            .map(|(a, b)| (a * b) as f64)
            .sum();
        let back = conv_adjoint(&d, geo, &w2, co);
        assert_eq!(back.len(), geo.len());
        let rhs: f64 = s.iter().zip(&back).map(|(a, b)| (a * b) as f64).sum();
        assert!(
            (lhs - rhs).abs() < 1e-4 * (1.0 + lhs.abs()),
            "{g:?}: {lhs} vs {rhs}"
        );
    }
}
