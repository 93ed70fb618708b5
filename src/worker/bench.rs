//! The in-page benchmark: the same figures as `disentangle-lab bench`, measured in the
//! browser's worker (dSprites rendering; training steps/s per backend × data set × model;
//! then the PyTorch peer's configurations by their names, for `docs/performance.md`).

use crate::data::dsprites::{render_batch, Factors, IMAGE_PIXELS};
use crate::model::kinds::ImageNet;
use crate::protocol::{AdapterInfo, BenchLine};
use crate::rng::Rng;
use crate::train::bench_configs::configs;
use crate::train::{backend, BackendChoice, DatasetKind, ModelKind, TrainConfig, Trainer};

/// Seconds of training timed per configuration, and the fewest steps timed: a slow
/// configuration (the dSprites nets, a few steps/s) is timed over two readback blocks at least,
/// not one.
const SECONDS: f64 = 1.0;
const MIN_STEPS: u32 = 10;

fn line(what: String, value: f64, unit: &str) -> BenchLine {
    BenchLine {
        what,
        value,
        unit: unit.into(),
    }
}

/// Runs every measurement, posting each line as soon as it is known via `emit`.
pub async fn run(now_ms: fn() -> f64, adapter: Option<AdapterInfo>, emit: impl Fn(BenchLine)) {
    // Rendering: batches of 64 drawn uniformly from the full set.
    let mut rng = Rng::new(0);
    let mut buf = vec![0.0f32; 64 * IMAGE_PIXELS];
    let batches: Vec<Vec<Factors>> = (0..200)
        .map(|_| {
            (0..64)
                .map(|_| Factors::from_index(rng.below(737_280) as usize).unwrap_or_default())
                .collect()
        })
        .collect();
    let t = now_ms();
    for b in &batches {
        render_batch(b, &mut buf);
    }
    let secs = (now_ms() - t) / 1000.0;
    emit(line(
        "dSprites render, batch 64".into(),
        (200 * 64) as f64 / secs.max(1e-9),
        "images/s",
    ));

    // This worker's backends (the CPU worker has no WebGPU, the WebGPU worker no NdArray).
    let backends = [
        BackendChoice::Ndarray,
        BackendChoice::Flex,
        BackendChoice::Wgpu,
    ]
    .into_iter()
    .filter(|&b| backend::built_in(b) && (b != BackendChoice::Wgpu || adapter.is_some()));
    let full_grid = if backend::built_in(BackendChoice::Ndarray) {
        BackendChoice::Ndarray
    } else {
        BackendChoice::Flex
    };
    for b in backends {
        let Ok(device) = backend::device_for(b).await else {
            emit(line(
                format!("{}: could not start", b.label()),
                0.0,
                "steps/s",
            ));
            continue;
        };
        for dataset in DatasetKind::ALL {
            for model in ModelKind::ALL {
                if model == ModelKind::Ivae && dataset != DatasetKind::Ivae {
                    continue;
                }
                // The full grid on one CPU backend; two representative pairs elsewhere.
                let representative = model == ModelKind::BetaVae && dataset != DatasetKind::Ivae;
                if b != full_grid && !representative {
                    continue;
                }
                let mut config = TrainConfig {
                    model,
                    ..TrainConfig::for_dataset(dataset)
                };
                if model == ModelKind::Dd && dataset == DatasetKind::Pinwheel {
                    config.prior = crate::settings::Prior::pinwheel();
                }
                let what = format!(
                    "{} {} {} (batch {})",
                    b.label(),
                    dataset.key(),
                    model.key(),
                    config.batch.min(400)
                );
                // No SIMD128-off timing beside it: gemm picks its kernel once, at its first
                // product, and keeps it, so switching SIMD128 off for a measurement left every
                // later Flex run of this worker on the scalar kernel (half the speed).
                match time_steps(config, &device, now_ms, SECONDS, MIN_STEPS).await {
                    Ok(rate) => emit(line(what, rate, "steps/s")),
                    Err(e) => emit(line(format!("{what}: failed: {e}"), 0.0, "steps/s")),
                }
            }
        }
    }

    // The peer's configurations under its names, on this worker's CPU backends and on a
    // hardware WebGPU adapter (a software one says nothing about WebGPU's speed).
    let peer_backends = [
        BackendChoice::Ndarray,
        BackendChoice::Flex,
        BackendChoice::Wgpu,
    ]
    .into_iter()
    .filter(|&b| {
        backend::built_in(b)
            && (b != BackendChoice::Wgpu || adapter.as_ref().is_some_and(|a| !a.is_fallback))
    });
    for b in peer_backends {
        let Ok(device) = backend::device_for(b).await else {
            continue;
        };
        for c in configs() {
            let what = format!("peer config {}, {}", c.name, b.key());
            // NdArray's convolutions take seconds a step (0.16–0.6 steps/s natively): timing
            // them would hold the page for minutes and tell nothing new.
            if b == BackendChoice::Ndarray && c.config.image_net == ImageNet::Conv {
                emit(line(
                    format!("{what}: skipped (NdArray convolutions)"),
                    0.0,
                    "steps/s",
                ));
                continue;
            }
            match time_steps(c.config, &device, now_ms, SECONDS, MIN_STEPS).await {
                Ok(rate) => emit(line(what, rate, "steps/s")),
                Err(e) => emit(line(format!("{what}: failed: {e}"), 0.0, "steps/s")),
            }
        }
    }
}

/// Steps per second of `config` on `device`, timed for `seconds` and at least `min_steps`
/// steps after a warm-up of five steps and a readback (as `disentangle-lab bench`; WebGPU
/// compiles its kernels then), reading back every 5 steps as training does.
pub async fn time_steps(
    config: TrainConfig,
    device: &burn::prelude::Device,
    now_ms: fn() -> f64,
    seconds: f64,
    min_steps: u32,
) -> Result<f64, String> {
    let mut t = Trainer::new(config, device)?;
    for _ in 0..5 {
        t.step();
    }
    t.snapshot(0).await.map_err(|e| e.to_string())?;
    let start = now_ms();
    let mut steps = 0u32;
    while (now_ms() - start) / 1000.0 < seconds || steps < min_steps {
        for _ in 0..5 {
            t.step();
        }
        steps += 5;
        t.snapshot(0).await.map_err(|e| e.to_string())?;
    }
    Ok(steps as f64 / ((now_ms() - start) / 1000.0))
}
