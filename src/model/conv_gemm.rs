//! The dSprites networks' stride-2 convolutions as one matrix product each, on channels-last
//! (NHWC) activations, built from burn ops that autodiff differentiates (reshape, permute,
//! slice, concatenation, matmul). Same function and parameters as burn's `Conv2d` /
//! `ConvTranspose2d`; used on the CPU backends, where burn-flex's direct convolutions and
//! their backward passes (a strided or huge-kernel convolution per gradient) were the bulk of
//! a dSprites step (profiled: ~60 % of it in `conv_plane_accumulate` and im2col).
//!
//! - k = 2, stride 2, no padding: space-to-depth, then a 1×1 convolution = one product.
//! - k = 4, stride 2, padding 1: pad, space-to-depth, then a 2×2 stride-1 convolution:
//!   four shifted views side by side (im2col with 16·C columns), then one product.
//! - transposed, k = 4, stride 2, padding 1: output pixel (2m + a, 2n + b) only sees the
//!   2×2 inputs around (m, n) through the taps u = 3 − a − 2r', v = 3 − b − 2c' (r', c' ∈
//!   {0, 1}); the four phases (a, b) are one batched product over shifted views of the padded
//!   input, interleaved back into the 2× larger output (depth-to-space).

use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::prelude::*;
use burn::tensor::ops::PadMode;

/// Views of the same shape side by side, one row per pixel: the im2col matrix. Stacked
/// along a new leading dimension and then transposed, because burn-flex concatenates
/// strided views along the last dimension element by element (30× slower, measured).
///
/// # Shapes
/// - each of `views`: `[B, H, W, C]` → `[B·H·W, V·C]`
fn side_by_side(views: Vec<Tensor<4>>) -> Tensor<2> {
    let [b, h, w, c] = views[0].dims();
    let v = views.len();
    let rows: Vec<Tensor<3>> = views
        .into_iter()
        .map(|t| t.reshape([1, b * h * w, c]))
        .collect(); // each [1, B·H·W, C]
    Tensor::cat(rows, 0) // [V, B·H·W, C]
        .swap_dims(0, 1) // [B·H·W, V, C]
        .reshape([b * h * w, v * c]) // [B·H·W, V·C]
}

/// `Conv2d` (k × k, stride 2, padding (k − 2)/2, k ∈ {2, 4}) on a channels-last input.
///
/// # Shapes
/// - `x`: `[B, H, W, C]` (H, W even) → `[B, H/2, W/2, C_out]`
pub fn conv_s2(layer: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let [b, h, w, c] = x.dims();
    let [c_out, _, k, _] = layer.weight.dims();
    let (ho, wo) = (h / 2, w / 2);
    let (cols, weight) = match k {
        2 => {
            let s = x
                .reshape([b, ho, 2, wo, 2, c])
                .permute([0, 1, 3, 2, 4, 5]) // [B, Ho, Wo, 2(a), 2(b'), C]
                .reshape([b * ho * wo, 4 * c]); // [B·Ho·Wo, 4C]
                                                // W[o, c, a, b'] → [(a, b', c), o].
            let w = layer
                .weight
                .val()
                .permute([2, 3, 1, 0])
                .reshape([4 * c, c_out]); // [4C, Co]
            (s, w)
        }
        4 => {
            let xp = x.pad([(1, 1), (1, 1), (0, 0)], PadMode::Constant(0.0)); // [B, H+2, W+2, C]
            let (hs, ws) = (ho + 1, wo + 1);
            let s = xp
                .reshape([b, hs, 2, ws, 2, c])
                .permute([0, 1, 3, 2, 4, 5]) // [B, Hs, Ws, 2(a), 2(b'), C]
                .reshape([b, hs, ws, 4 * c]); // space-to-depth
                                              // Tap (u, v) = (2dr + a, 2dc + b') reads s[i + dr, j + dc, (a, b', c)].
            let views: Vec<Tensor<4>> = [(0, 0), (0, 1), (1, 0), (1, 1)]
                .iter()
                .map(|&(dr, dc)| s.clone().slice([0..b, dr..dr + ho, dc..dc + wo, 0..4 * c]))
                .collect(); // each [B, Ho, Wo, 4C]
            let cols = side_by_side(views); // [B·Ho·Wo, 16C]
                                            // W[o, c, 2dr + a, 2dc + b'] → [(dr, dc, a, b', c), o].
            let w = layer
                .weight
                .val()
                .reshape([c_out, c, 2, 2, 2, 2]) // [o, c, dr, a, dc, b']
                .permute([2, 4, 3, 5, 1, 0]) // [dr, dc, a, b', c, o]
                .reshape([16 * c, c_out]); // [16C, Co]
            (cols, w)
        }
        _ => panic!("conv_s2 handles k = 2 or 4, not {k}"),
    };
    let y = cols.matmul(weight); // [B·Ho·Wo, Co]
    let y = match &layer.bias {
        Some(bias) => y + bias.val().unsqueeze_dim::<2>(0), // [B·Ho·Wo, Co]
        None => y,
    };
    y.reshape([b, ho, wo, c_out]) // [B, Ho, Wo, Co]
}

/// `ConvTranspose2d` (4 × 4, stride 2, padding 1) on a channels-last input.
///
/// # Shapes
/// - `x`: `[B, H, W, C]` → `[B, 2H, 2W, C_out]`
pub fn deconv_s2(layer: &ConvTranspose2d, x: Tensor<4>) -> Tensor<4> {
    let [b, h, w, c] = x.dims();
    let [_, c_out, k, _] = layer.weight.dims();
    assert_eq!(k, 4, "deconv_s2 handles 4 × 4 kernels");
    let xp = x.pad([(1, 1), (1, 1), (0, 0)], PadMode::Constant(0.0)); // [B, H+2, W+2, C]
    let view = |r: usize, q: usize| xp.clone().slice([0..b, r..r + h, q..q + w, 0..c]); // [B, H, W, C]
                                                                                        // Phase (a, b') reads the padded input at offsets (a + r', b' + c'), r', c' ∈ {0, 1}.
    let phases: Vec<Tensor<3>> = [(0, 0), (0, 1), (1, 0), (1, 1)]
        .iter()
        .map(|&(a, bp)| {
            let v = vec![
                view(a, bp),
                view(a, bp + 1),
                view(a + 1, bp),
                view(a + 1, bp + 1),
            ];
            side_by_side(v).unsqueeze_dim::<3>(0) // [1, B·H·W, 4C]
        })
        .collect();
    let cols = Tensor::cat(phases, 0); // [4, B·H·W, 4C]
                                       // Tap u = 3 − a − 2r' ⇔ flipped tap 2r' + a: W[c, o, u, v] → [(a, b'), (r', c', c), o].
    let weight = layer
        .weight
        .val()
        .flip([2, 3])
        .reshape([c, c_out, 2, 2, 2, 2]) // [c, o, r', a, c', b']
        .permute([3, 5, 2, 4, 0, 1]) // [a, b', r', c', c, o]
        .reshape([4, 4 * c, c_out]); // [4, 4C, Co]
    let y = cols.matmul(weight); // [4, B·H·W, Co]
    let y = match &layer.bias {
        Some(bias) => y + bias.val().reshape([1, 1, c_out]), // [4, B·H·W, Co]
        None => y,
    };
    y.reshape([2, 2, b, h, w, c_out])
        .permute([2, 3, 0, 4, 1, 5]) // [B, H, a, W, b', Co]
        .reshape([b, 2 * h, 2 * w, c_out]) // [B, 2H, 2W, Co]
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::conv::{Conv2dConfig, ConvTranspose2dConfig};
    use burn::nn::PaddingConfig2d;
    use burn::tensor::Distribution;

    fn close(a: Tensor<4>, b: Tensor<4>, what: &str) {
        let (a, b) = (
            a.into_data().try_to_vec::<f32>().unwrap(),
            b.into_data().try_to_vec::<f32>().unwrap(),
        );
        assert_eq!(a.len(), b.len(), "{what}: sizes");
        for (i, (x, y)) in a.iter().zip(&b).enumerate() {
            assert!(
                (x - y).abs() < 1e-4 * (1.0 + y.abs()),
                "{what}[{i}]: {x} vs {y}"
            );
        }
    }

    fn nhwc(x: Tensor<4>) -> Tensor<4> {
        x.permute([0, 2, 3, 1])
    }

    #[test]
    fn stride_two_convolutions_match_burns_in_values_and_gradients() {
        let device = Device::flex().autodiff();
        device.seed(1);
        for (k, c_in, c_out, side) in [(4, 1, 3, 8), (4, 3, 5, 6), (2, 4, 3, 8)] {
            let p = (k - 2) / 2;
            let layer = Conv2dConfig::new([c_in, c_out], [k, k])
                .with_stride([2, 2])
                .with_padding(PaddingConfig2d::Explicit(p, p, p, p))
                .init(&device);
            let x = Tensor::<4>::random(
                [2, c_in, side, side],
                Distribution::Normal(0.0, 1.0),
                &device,
            )
            .require_grad();
            let want = layer.forward(x.clone()); // [B, Co, Ho, Wo]
            let got = conv_s2(&layer, nhwc(x.clone())); // [B, Ho, Wo, Co]
            close(got.clone(), nhwc(want.clone()), "forward");
            // Gradients of a weighted sum reach x, the weight and the bias alike.
            let r = Tensor::<4>::random(want.dims(), Distribution::Normal(0.0, 1.0), &device);
            let g1 = (want * r.clone()).sum().backward();
            let g2 = (got * nhwc(r)).sum().backward();
            close(x.grad(&g2).unwrap(), x.grad(&g1).unwrap(), "dx");
            let wg = |g| layer.weight.val().grad(g).unwrap();
            close(wg(&g2), wg(&g1), "dW");
            let bg = |g| {
                layer
                    .bias
                    .as_ref()
                    .unwrap()
                    .val()
                    .grad(g)
                    .unwrap()
                    .reshape([1, 1, 1, c_out])
            };
            close(bg(&g2), bg(&g1), "db");
        }
    }

    #[test]
    fn stride_two_transposed_convolution_matches_burns_in_values_and_gradients() {
        let device = Device::flex().autodiff();
        device.seed(2);
        for (c_in, c_out, side) in [(3, 2, 4), (2, 1, 5)] {
            let layer = ConvTranspose2dConfig::new([c_in, c_out], [4, 4])
                .with_stride([2, 2])
                .with_padding([1, 1])
                .init(&device);
            let x = Tensor::<4>::random(
                [2, c_in, side, side],
                Distribution::Normal(0.0, 1.0),
                &device,
            )
            .require_grad();
            let want = layer.forward(x.clone()); // [B, Co, 2H, 2W]
            let got = deconv_s2(&layer, nhwc(x.clone()));
            close(got.clone(), nhwc(want.clone()), "forward");
            let r = Tensor::<4>::random(want.dims(), Distribution::Normal(0.0, 1.0), &device);
            let g1 = (want * r.clone()).sum().backward();
            let g2 = (got * nhwc(r)).sum().backward();
            close(x.grad(&g2).unwrap(), x.grad(&g1).unwrap(), "dx");
            let wg = |g| layer.weight.val().grad(g).unwrap();
            close(wg(&g2), wg(&g1), "dW");
        }
    }
}
