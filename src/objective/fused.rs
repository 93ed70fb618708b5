//! Puts the fused host kernels of [`super::pairwise`] into burn's autodiff graph on the CPU
//! backends: the kernel's value and gradients come back as
//! `value + Σ⟨t, g⟩ − detach(Σ⟨t, g⟩)`, which has the kernel's value and, for each input
//! tensor t, the kernel's gradient g. This needs a synchronous readback of the (small)
//! inputs, so it is only used on Flex and NdArray (sync readback of WebGPU panics in the
//! page); wgpu keeps the tensor path.

use burn::prelude::*;

/// True when `device` (autodiff or not) is a CPU backend, where the host kernels run.
#[allow(deprecated)] // Device::ndarray: see train::backend.
pub fn host_kernels(device: &Device) -> bool {
    // Device equality compares the hardware and ignores autodiff.
    #[cfg(feature = "ndarray")]
    if *device == Device::ndarray() {
        return true;
    }
    *device == Device::flex()
}

/// The values of a `[R, K]` tensor, row-major.
pub fn to_host(t: &Tensor<2>) -> Vec<f32> {
    t.clone().into_data().try_to_vec::<f32>().expect("f32 data")
}

/// A `[1]` tensor whose value is `value` and whose gradient with respect to each `t` is the
/// matching `g` (row-major, the shape of `t`); empty `g`s are skipped.
pub fn with_gradients(value: f32, parts: &[(&Tensor<2>, &[f32])]) -> Tensor<1> {
    let mut device = None;
    let mut surrogate: Option<Tensor<1>> = None;
    for (t, g) in parts {
        if g.is_empty() {
            continue;
        }
        let dims = t.dims();
        let d = t.device();
        let g = Tensor::<2>::from_data(TensorData::new(g.to_vec(), dims), &d); // [R, K]
        let term = ((*t).clone() * g).sum(); // [1]
        surrogate = Some(match surrogate {
            Some(s) => s + term,
            None => term,
        });
        device = Some(d);
    }
    let (Some(s), Some(d)) = (surrogate, device) else {
        panic!("with_gradients needs at least one input");
    };
    let value = Tensor::<1>::from_data(TensorData::new(vec![value], [1]), &d); // [1]
    value + s.clone() - s.detach() // [1]
}

/// The mean of a host vector as f32, accumulated in f64.
pub fn mean(v: &[f32]) -> f32 {
    (v.iter().map(|&x| x as f64).sum::<f64>() / v.len().max(1) as f64) as f32
}
