//! The optimisers of the model's parameters: Adam or AMSGrad with PyTorch's defaults
//! (β₁ = 0.9, β₂ = 0.999, ε = 10⁻⁸), which every reference implementation uses.
//!
//! On Flex the update runs as one loop over each parameter's values ([`FusedAdam`]):
//! burn's Adam makes a dozen passes over the parameters per step (one per tensor operation),
//! which for dSprites' 2.2 M-parameter MLP cost more than its forward and backward passes
//! together. The loop computes the same formula as burn's Adam, which NdArray and WebGPU keep.
//! It updates the tensors' own buffers ([`HostAdam`]; copying them out and back in took 8 % of
//! a dSprites MLP step, profiled), in blocks on threads natively.

use burn::backend::flex::FlexTensor;
use burn::backend::tensor::FloatTensor;
use burn::backend::{backend_extension, Backend, Dispatch, Flex};
use burn::optim::{Adam, AdamConfig, AdamState, AdaptiveMomentumState, ModuleOptimizer, Optimizer};
use burn::prelude::*;

use crate::math::simd::avx2_fma;
use crate::model::conv_gemm::values;

pub use crate::settings::OptimizerKind;

/// PyTorch's default ε for Adam (burn's own default is 10⁻⁵).
pub const EPSILON: f32 = 1e-8;
const BETA_1: f32 = 0.9;
const BETA_2: f32 = 0.999;

/// The optimiser of `kind`. AMSGrad keeps the running maximum v̂ of the second moment and
/// steps by m̂ / (√(v̂ / (1 − β₂ᵗ)) + ε), as PyTorch's `Adam(amsgrad=True)`.
pub fn optimizer(kind: OptimizerKind) -> ModuleOptimizer {
    let amsgrad = kind == OptimizerKind::Amsgrad;
    let config = AdamConfig::new()
        .with_beta_1(BETA_1)
        .with_beta_2(BETA_2)
        .with_epsilon(EPSILON)
        .with_amsgrad(amsgrad);
    ModuleOptimizer::from(FusedAdam {
        amsgrad,
        tensor_ops: config.build(),
    })
}

/// Adam (or AMSGrad) whose update is one loop on the host on Flex; burn's own
/// tensor-operation Adam elsewhere. Both keep burn's [`AdamState`], so either can continue
/// the other's moments.
#[derive(Clone)]
pub struct FusedAdam {
    amsgrad: bool,
    tensor_ops: Adam,
}

impl Optimizer for FusedAdam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: f64,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<Self::State<D>>,
    ) -> (Tensor<D>, Option<Self::State<D>>) {
        let device = tensor.device();
        // Flex's buffers are updated where they lie ([`HostAdam`]); NdArray would copy element
        // by element (its step was twice as slow this way), and WebGPU would wait for a readback.
        if device != Device::flex() {
            return self.tensor_ops.step(lr, tensor, grad, state);
        }
        let (time, m, v, vmax) = match state {
            Some(s) => {
                let s = s.momentum;
                (s.time + 1, s.moment_1, s.moment_2, s.max_moment_2)
            }
            None => {
                let zeros = || Tensor::<D>::zeros(tensor.shape(), &device);
                (1, zeros(), zeros(), None)
            }
        };
        let step = AdamStep::new(time, lr);
        let d = |t: Tensor<D>| t.into_dispatch();
        let back = |t| Tensor::<D>::from_dispatch(t);
        let (p, m, v, vmax) = if self.amsgrad {
            let vmax = vmax.unwrap_or_else(|| Tensor::zeros(tensor.shape(), &device));
            let (p, m, v, x) =
                Dispatch::amsgrad_host(d(tensor), d(grad), d(m), d(v), d(vmax), step);
            (p, m, v, Some(back(x)))
        } else {
            let (p, m, v) = Dispatch::adam_host(d(tensor), d(grad), d(m), d(v), step);
            (p, m, v, None)
        };
        let mut momentum = AdaptiveMomentumState::new(time, back(m), back(v));
        momentum.max_moment_2 = vmax;
        (back(p), Some(AdamState::new(momentum)))
    }

    fn to_device<const D: usize>(state: Self::State<D>, device: &Device) -> Self::State<D> {
        <Adam as Optimizer>::to_device(state, device)
    }
}

/// Adam's update on Flex's own buffers: the parameters and moments are updated in place
/// (copied first only when another tensor shares them), the gradient is read where it lies.
#[backend_extension(Flex)]
pub trait HostAdam: Backend {
    /// One Adam step: (p, m, v) after the update.
    fn adam_host(
        p: FloatTensor<Self>,
        g: FloatTensor<Self>,
        m: FloatTensor<Self>,
        v: FloatTensor<Self>,
        step: AdamStep,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);

    /// One AMSGrad step: (p, m, v, v̂) after the update.
    #[allow(clippy::type_complexity)]
    fn amsgrad_host(
        p: FloatTensor<Self>,
        g: FloatTensor<Self>,
        m: FloatTensor<Self>,
        v: FloatTensor<Self>,
        vmax: FloatTensor<Self>,
        step: AdamStep,
    ) -> (
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
        FloatTensor<Self>,
    );
}

/// One Adam or AMSGrad step on Flex tensors, updated in place by `storage_mut` (which
/// copies only a buffer another tensor shares).
fn flex_step(
    [p, g, m, v]: [FlexTensor; 4],
    vmax: Option<FlexTensor>,
    step: AdamStep,
) -> ([FlexTensor; 3], Option<FlexTensor>) {
    let (mut p, mut m, mut v) = (contiguous(p), contiguous(m), contiguous(v));
    let mut vmax = vmax.map(contiguous);
    let g = values(&g);
    let (ps, ms, vs) = (p.storage_mut(), m.storage_mut(), v.storage_mut());
    adam_chunks(step, ps, &g, ms, vs, vmax.as_mut().map(|x| x.storage_mut()));
    ([p, m, v], vmax)
}

/// `t` with a buffer that holds exactly its values: `t` itself when it already does.
///
/// `to_contiguous` borrows, so it hands back a second handle on the same buffer; dropping
/// the first keeps the buffer unshared, or `storage_mut` would copy every parameter and
/// moment on every step (it did: 12 % of a dSprites MLP step, profiled).
fn contiguous(t: FlexTensor) -> FlexTensor {
    let c = t.to_contiguous();
    drop(t);
    c
}

impl HostAdam for Flex {
    fn adam_host(
        p: FlexTensor,
        g: FlexTensor,
        m: FlexTensor,
        v: FlexTensor,
        step: AdamStep,
    ) -> (FlexTensor, FlexTensor, FlexTensor) {
        let ([p, m, v], _) = flex_step([p, g, m, v], None, step);
        (p, m, v)
    }

    fn amsgrad_host(
        p: FlexTensor,
        g: FlexTensor,
        m: FlexTensor,
        v: FlexTensor,
        vmax: FlexTensor,
        step: AdamStep,
    ) -> (FlexTensor, FlexTensor, FlexTensor, FlexTensor) {
        let ([p, m, v], x) = flex_step([p, g, m, v], Some(vmax), step);
        (p, m, v, x.expect("AMSGrad keeps its maximum"))
    }
}

/// [`adam_update`] over blocks of the values, on threads natively (the update is one pass
/// over five arrays, so two threads move twice the memory).
fn adam_chunks(
    s: AdamStep,
    p: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    vmax: Option<&mut [f32]>,
) {
    let n = p.len();
    assert!(
        g.len() == n && m.len() == n && v.len() == n && vmax.as_ref().is_none_or(|x| x.len() == n),
        "Adam: parameter, gradient and moments differ in size"
    );
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        const BLOCK: usize = 1 << 15;
        if p.len() > BLOCK {
            let blocks = p
                .par_chunks_mut(BLOCK)
                .zip(g.par_chunks(BLOCK))
                .zip(m.par_chunks_mut(BLOCK))
                .zip(v.par_chunks_mut(BLOCK));
            match vmax {
                Some(x) => blocks
                    .zip(x.par_chunks_mut(BLOCK))
                    .for_each(|((((p, g), m), v), x)| adam_update(s, p, g, m, v, Some(x))),
                None => blocks.for_each(|(((p, g), m), v)| adam_update(s, p, g, m, v, None)),
            }
            return;
        }
    }
    adam_update(s, p, g, m, v, vmax)
}

/// The scalars of step `time` (from 1), in burn's Adam's arrangement: the update is
/// m·c / (√v + ε·√(1 − β₂ᵗ)) with c = √(1 − β₂ᵗ) / (1 − β₁ᵗ).
#[derive(Clone, Copy, Debug)]
pub struct AdamStep {
    lr: f32,
    combined: f32,
    eps: f32,
}

impl AdamStep {
    fn new(time: usize, lr: f64) -> Self {
        let t = time.min(i32::MAX as usize) as i32;
        let bias2_sqrt = (1.0 - BETA_2.powi(t)).sqrt();
        Self {
            lr: lr as f32,
            combined: bias2_sqrt / (1.0 - BETA_1.powi(t)),
            eps: EPSILON * bias2_sqrt,
        }
    }
}

/// [`adam_update_impl`] compiled for AVX2 where the CPU has it (8 lanes, not SSE2's 4).
fn adam_update(
    s: AdamStep,
    p: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    vmax: Option<&mut [f32]>,
) {
    avx2_fma!(adam_update_impl(
        s: AdamStep,
        p: &mut [f32],
        g: &[f32],
        m: &mut [f32],
        v: &mut [f32],
        vmax: Option<&mut [f32]>,
    ))
}

/// One Adam (AMSGrad when `vmax` is given) update of `p` in place, with its moments.
#[inline(always)]
fn adam_update_impl(
    s: AdamStep,
    p: &mut [f32],
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    vmax: Option<&mut [f32]>,
) {
    let one = |p: &mut f32, g: f32, m: &mut f32, v: &mut f32, vmax: Option<&mut f32>| {
        *m = *m * BETA_1 + g * (1.0 - BETA_1);
        *v = *v * BETA_2 + g * g * (1.0 - BETA_2);
        let v_used = match vmax {
            Some(x) => {
                *x = x.max(*v);
                *x
            }
            None => *v,
        };
        *p -= s.lr * (*m * s.combined / (v_used.sqrt() + s.eps));
    };
    let (p, m, v) = (p.iter_mut(), m.iter_mut(), v.iter_mut());
    match vmax {
        Some(vmax) => {
            for ((((p, &g), m), v), x) in p.zip(g).zip(m).zip(v).zip(vmax.iter_mut()) {
                one(p, g, m, v, Some(x));
            }
        }
        None => {
            for (((p, &g), m), v) in p.zip(g).zip(m).zip(v) {
                one(p, g, m, v, None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::{Module, Param};
    use burn::optim::GradientsParams;

    #[derive(Module, Debug)]
    struct One {
        w: Param<Tensor<1>>,
    }

    /// Steps by hand: m_t = β₁m + (1−β₁)g, v_t = β₂v + (1−β₂)g², v̂_t = max(v̂, v_t) (AMSGrad),
    /// w −= lr · (m_t / (1 − β₁ᵗ)) / (√(v̂_t / (1 − β₂ᵗ)) + ε).
    fn by_hand(grads: &[f64], lr: f64, amsgrad: bool) -> f64 {
        let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-8);
        let (mut w, mut m, mut v, mut vmax) = (1.0f64, 0.0, 0.0, 0.0f64);
        for (t, g) in grads.iter().enumerate() {
            let t = t as i32 + 1;
            m = b1 * m + (1.0 - b1) * g;
            v = b2 * v + (1.0 - b2) * g * g;
            vmax = vmax.max(v);
            let vu = if amsgrad { vmax } else { v };
            w -= lr * (m / (1.0 - b1.powi(t))) / ((vu / (1.0 - b2.powi(t))).sqrt() + eps);
        }
        w
    }

    /// Loss c·w per step, so the gradient is c: a large one, then small ones, which is
    /// where AMSGrad's maximum differs from Adam's decaying second moment (w ends at −0.1906
    /// against −0.1948 after these 51 steps at lr 0.1).
    #[test]
    fn adam_and_amsgrad_steps_match_the_hand_computation() {
        let device = Device::flex().autodiff();
        let grads: Vec<f64> = std::iter::once(4.0).chain([0.1; 50]).collect();
        for (kind, amsgrad) in [(OptimizerKind::Adam, false), (OptimizerKind::Amsgrad, true)] {
            let mut model = One {
                w: Param::from_tensor(Tensor::from_floats([1.0], &device)),
            };
            let mut optim = optimizer(kind);
            for &c in &grads {
                let loss = model.w.val().mul_scalar(c).sum();
                let g = GradientsParams::from_grads(loss.backward(), &model);
                model = optim.step(0.1, model, g);
            }
            let got = model.w.val().into_data().try_to_vec::<f32>().unwrap()[0] as f64;
            let want = by_hand(&grads, 0.1, amsgrad);
            assert!((got - want).abs() < 1e-5, "{kind:?}: {got} vs {want}");
        }
        // The two differ on this sequence, so the test tells them apart.
        assert!((by_hand(&grads, 0.1, true) - by_hand(&grads, 0.1, false)).abs() > 1e-3);
    }

    /// The host loop and burn's tensor-operation Adam, from the same start with the same
    /// gradients, end at the same parameters and moments; and burn's continues the loop's state.
    #[test]
    fn the_fused_loop_matches_burns_adam_and_shares_its_state() {
        let device = Device::flex();
        let mut rng = crate::rng::Rng::new(3);
        let mut random = |scale: f32| {
            let v: Vec<f32> = (0..6 * 7)
                .map(|_| (rng.uniform() as f32 - 0.5) * scale)
                .collect();
            Tensor::<2>::from_data(TensorData::new(v, [6, 7]), &device)
        };
        let start = random(2.0);
        let grads: Vec<Tensor<2>> = (0..40)
            .map(|i| random(if i == 0 { 50.0 } else { 1.0 }))
            .collect();
        let values = |t: &Tensor<2>| t.clone().into_data().try_into_vec::<f32>().unwrap();
        for amsgrad in [false, true] {
            let fused = FusedAdam {
                amsgrad,
                tensor_ops: AdamConfig::new()
                    .with_epsilon(EPSILON)
                    .with_amsgrad(amsgrad)
                    .build(),
            };
            let ops = fused.tensor_ops.clone();
            let (mut a, mut b) = (start.clone(), start.clone());
            let (mut sa, mut sb) = (None, None);
            for (i, g) in grads.iter().enumerate() {
                // Halfway, the tensor-op run takes over the fused run's parameters and state.
                if i == 20 {
                    (b, sb) = (a.clone(), sa.clone());
                }
                (a, sa) = fused.step(0.01, a, g.clone(), sa);
                (b, sb) = ops.step(0.01, b, g.clone(), sb);
            }
            for (x, y) in values(&a).iter().zip(values(&b)) {
                assert!(
                    (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
                    "amsgrad {amsgrad}: {x} vs {y}"
                );
            }
            let (ma, mb) = (sa.unwrap().momentum, sb.unwrap().momentum);
            assert_eq!(ma.time, 40);
            assert_eq!(ma.max_moment_2.is_some(), amsgrad);
            for (x, y) in values(&ma.moment_2).iter().zip(values(&mb.moment_2)) {
                assert!((x - y).abs() <= 1e-5 * (1.0 + y.abs()), "{x} vs {y}");
            }
        }
    }

    /// Unshared parameters and moments are updated in their own buffers; a shared one is
    /// copied first, and the tensor that shares it keeps its values.
    #[test]
    fn the_host_step_updates_unshared_buffers_in_place() {
        let flex = |v: &[f32]| FlexTensor::from_data(TensorData::new(v.to_vec(), [v.len()]));
        let at = |t: &FlexTensor| t.storage::<f32>().as_ptr();
        let [p, g, m, v] = [[1.0f32, 2.0], [0.5, -0.5], [0.0, 0.0], [0.0, 0.0]].map(|x| flex(&x));
        let before = [at(&p), at(&m), at(&v)];
        let ([p, m, v], _) = flex_step([p, g.clone(), m, v], None, AdamStep::new(1, 0.1));
        assert_eq!(
            [at(&p), at(&m), at(&v)],
            before,
            "copied an unshared buffer"
        );
        assert!((p.storage::<f32>()[0] - 0.9).abs() < 1e-5);

        let kept = p.clone();
        let ([q, _, _], _) = flex_step([p, g, m, v], None, AdamStep::new(2, 0.1));
        assert_ne!(at(&q), at(&kept), "updated a shared buffer in place");
        assert!((kept.storage::<f32>()[0] - 0.9).abs() < 1e-5);
        assert!(q.storage::<f32>()[0] < 0.85);
    }

    #[test]
    fn the_moments_are_finite_and_the_first_step_moves_by_lr() {
        // Adam's first step is lr·sign(g) (up to ε), whatever the gradient's size.
        let device = Device::flex();
        let fused = FusedAdam {
            amsgrad: false,
            tensor_ops: AdamConfig::new().with_epsilon(EPSILON).build(),
        };
        let p = Tensor::<1>::from_floats([1.0, 1.0, 1.0], &device);
        let g = Tensor::<1>::from_floats([1e-3, -40.0, 7.0], &device);
        let (p, state) = fused.step(0.1, p, g, None);
        let got = p.into_data().try_into_vec::<f32>().unwrap();
        for (x, want) in got.iter().zip([0.9, 1.1, 0.9]) {
            assert!((x - want).abs() < 1e-5, "{x} vs {want}");
        }
        assert_eq!(state.unwrap().momentum.time, 1);
    }
}
