//! The products and the linear layer against burn's own, values and gradients.

use super::product::{split_sum, View};
use super::sparse::{nonzeros, SPARSE_MIN_COLUMNS, SPARSE_SHARE};
use super::*;
use burn::backend::flex::FlexTensor;
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

/// A product cut along k into parts (one per thread, as the weight gradients' long sums are)
/// adds up to the hand sum, on a transposed left operand, with a destination to add to (a
/// bias) and without one.
#[test]
fn products_cut_along_k_add_up_to_the_hand_sum() {
    use std::mem::MaybeUninit;
    let (m, n, k) = (5, 3, 37);
    let at: Vec<f32> = (0..k * m).map(|i| ((i * 7919) % 13) as f32 - 6.0).collect();
    let bv: Vec<f32> = (0..k * n)
        .map(|i| ((i * 31) % 11) as f32 * 0.5 - 2.0)
        .collect();
    let a = transpose::<Flex>(FlexTensor::from_data(TensorData::new(at.clone(), [k, m])));
    let b = FlexTensor::from_data(TensorData::new(bv.clone(), [k, n]));
    assert_eq!(a.layout().strides(), &[1, m as isize]);
    let (va, vb) = (View::of(&a), View::of(&b));
    for parts in [1, 2, 3, 5] {
        for bias in [None, Some(1.5f32)] {
            // An unwritten cell would stay NaN.
            let mut out = vec![MaybeUninit::new(bias.unwrap_or(f32::NAN)); m * n];
            split_sum(&va, &vb, 0, [m, n, k], parts, bias.is_some(), &mut out);
            for i in 0..m {
                for j in 0..n {
                    let sum: f32 = (0..k).map(|l| at[l * m + i] * bv[l * n + j]).sum();
                    let want = sum + bias.unwrap_or(0.0);
                    // SAFETY: split_sum wrote every cell.
                    let got = unsafe { out[i * n + j].assume_init() };
                    assert!(
                        (got - want).abs() < 1e-3,
                        "{parts} parts, bias {bias:?}, [{i}, {j}]: {got} vs {want}"
                    );
                }
            }
        }
    }
}
