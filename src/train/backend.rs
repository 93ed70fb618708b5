//! Run-time backend choice: burn picks the backend from the `Device`, so one build carries
//! every backend its features name (Flex always; NdArray and WebGPU with the `ndarray` and
//! `wgpu` features), and the user (or the fallback logic) chooses.

#[cfg(feature = "train")]
use burn::prelude::Device;

pub use crate::settings::BackendChoice;

/// Whether this build carries `choice` (the page's two workers carry different backends).
pub fn built_in(choice: BackendChoice) -> bool {
    match choice {
        BackendChoice::Flex => cfg!(feature = "train"),
        BackendChoice::Ndarray => cfg!(feature = "ndarray"),
        BackendChoice::Wgpu => cfg!(feature = "wgpu"),
    }
}

/// The (non-autodiff) CPU device of a CPU choice.
#[cfg(feature = "train")]
#[allow(deprecated)] // Device::ndarray is deprecated upstream; kept while the page's probe can pick it.
fn cpu_device(choice: BackendChoice) -> Device {
    match choice {
        #[cfg(feature = "ndarray")]
        BackendChoice::Ndarray => Device::ndarray(),
        _ => Device::flex(),
    }
}

#[cfg(all(feature = "wgpu", not(target_arch = "wasm32")))]
static WGPU_DEVICE: std::sync::OnceLock<Result<Device, String>> = std::sync::OnceLock::new();

#[cfg(all(feature = "wgpu", target_arch = "wasm32"))]
thread_local! {
    static WGPU_DEVICE: std::cell::RefCell<Option<Device>> = const { std::cell::RefCell::new(None) };
}

#[cfg(feature = "train")]
/// The device for `choice`, initialising wgpu once (a second init fails upstream, so the
/// device is cached). Errors are messages for the user, e.g. "no adapter".
pub async fn device_for(choice: BackendChoice) -> Result<Device, String> {
    if !built_in(choice) {
        return Err(format!("this build has no {} backend", choice.label()));
    }
    if choice.is_cpu() {
        return Ok(cpu_device(choice));
    }
    #[cfg(not(feature = "wgpu"))]
    unreachable!("built_in(Wgpu) is false without the wgpu feature");
    #[cfg(all(feature = "wgpu", not(target_arch = "wasm32")))]
    {
        WGPU_DEVICE
            .get_or_init(|| {
                Device::wgpu_options()
                    .init()
                    .map_err(|e| format!("could not start wgpu: {e}"))
            })
            .clone()
    }
    #[cfg(all(feature = "wgpu", target_arch = "wasm32"))]
    {
        if let Some(d) = WGPU_DEVICE.with(|c| c.borrow().clone()) {
            return Ok(d);
        }
        let device = Device::wgpu_options()
            .init_async()
            .await
            .map_err(|e| format!("could not start WebGPU: {e}"))?;
        WGPU_DEVICE.with(|c| *c.borrow_mut() = Some(device.clone()));
        Ok(device)
    }
}

/// The backends *Auto* measures in this build, WebGPU first (only on a hardware adapter: a
/// software one was always far slower than the CPU in our measurements), then the CPU ones.
pub fn auto_candidates(hardware_adapter: bool) -> Vec<BackendChoice> {
    [
        BackendChoice::Wgpu,
        BackendChoice::Flex,
        BackendChoice::Ndarray,
    ]
    .into_iter()
    .filter(|&c| built_in(c) && (c != BackendChoice::Wgpu || hardware_adapter))
    .collect()
}

/// What decides the speed of a step, and so whether *Auto*'s last measurement still holds:
/// a new seed or new weights change nothing, a new network or data set does.
#[cfg(feature = "train")]
pub fn speed_key(c: &crate::settings::TrainConfig) -> String {
    format!(
        "{:?}",
        (
            c.dataset,
            c.model,
            c.batch,
            c.latents,
            &c.hidden,
            c.image_net,
            c.conv,
            c.estimator,
            c.divergence,
            &c.subset,
        )
    )
}

/// The order *Auto* times its candidates in: each twice, the second pass mirrored (A B B A),
/// so that a burst of other work (the other run's worker building its data set, a
/// neighbour on a shared machine) cannot slow every timing of one backend and none of the
/// other's. The lesson test saw the single pass pick NdArray for the dSprites MLP while the
/// page's *Measure speed* read Flex twice as fast.
pub fn probe_order(candidates: &[BackendChoice]) -> Vec<BackendChoice> {
    candidates
        .iter()
        .chain(candidates.iter().rev())
        .copied()
        .collect()
}

/// Each backend's best of its timings, in the order first timed (what the header shows).
pub fn best_each(measured: &[(BackendChoice, f64)]) -> Vec<(BackendChoice, f64)> {
    let mut best: Vec<(BackendChoice, f64)> = Vec::new();
    for &(c, rate) in measured {
        match best.iter_mut().find(|(b, _)| *b == c) {
            Some((_, r)) if rate > *r || r.is_nan() => *r = rate,
            Some(_) => {}
            None => best.push((c, rate)),
        }
    }
    best
}

/// The fastest of the measured (backend, steps/s) pairs; `None` if nothing was measured.
pub fn fastest(measured: &[(BackendChoice, f64)]) -> Option<BackendChoice> {
    measured
        .iter()
        .filter(|(_, rate)| rate.is_finite())
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|&(c, _)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auto_tries_webgpu_only_on_a_hardware_adapter_and_only_what_is_built_in() {
        let with_gpu = auto_candidates(true);
        let without = auto_candidates(false);
        assert!(!without.contains(&BackendChoice::Wgpu));
        assert_eq!(
            with_gpu.contains(&BackendChoice::Wgpu),
            built_in(BackendChoice::Wgpu)
        );
        if built_in(BackendChoice::Wgpu) {
            assert_eq!(with_gpu[0], BackendChoice::Wgpu, "WebGPU is tried first");
        }
        assert!(without.contains(&BackendChoice::Flex));
        assert_eq!(
            without.contains(&BackendChoice::Ndarray),
            built_in(BackendChoice::Ndarray)
        );
    }

    #[test]
    fn fastest_picks_the_highest_finite_rate() {
        use BackendChoice::*;
        assert_eq!(fastest(&[(Flex, 600.0), (Ndarray, 330.0)]), Some(Flex));
        assert_eq!(fastest(&[(Wgpu, f64::NAN), (Ndarray, 3.0)]), Some(Ndarray));
        assert_eq!(fastest(&[]), None);
    }

    #[test]
    fn auto_times_each_candidate_twice_mirrored_and_keeps_each_ones_best() {
        use BackendChoice::*;
        assert_eq!(
            probe_order(&[Flex, Ndarray]),
            vec![Flex, Ndarray, Ndarray, Flex]
        );
        assert_eq!(probe_order(&[Flex]), vec![Flex, Flex]);
        // A burst during Flex's first timing: its second one still wins.
        let measured = [(Flex, 20.0), (Ndarray, 26.0), (Ndarray, 25.0), (Flex, 50.0)];
        assert_eq!(best_each(&measured), vec![(Flex, 50.0), (Ndarray, 26.0)]);
        assert_eq!(fastest(&best_each(&measured)), Some(Flex));
        // A NaN timing never hides a finite one.
        let measured = [(Wgpu, f64::NAN), (Flex, 3.0), (Flex, 2.0), (Wgpu, 9.0)];
        assert_eq!(best_each(&measured), vec![(Wgpu, 9.0), (Flex, 3.0)]);
    }

    #[test]
    fn the_speed_key_ignores_seed_and_weights_but_not_the_network() {
        let a = crate::settings::TrainConfig::default();
        let mut b = a.clone();
        b.seed += 1;
        b.lr *= 2.0;
        assert_eq!(speed_key(&a), speed_key(&b));
        b.batch += 1;
        assert_ne!(speed_key(&a), speed_key(&b));
    }
}
