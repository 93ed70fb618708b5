//! GPU dispatches per training step on the wgpu backend: every kernel launch cubecl issues,
//! counted through its launch observer while steps run. The count does not depend on the
//! adapter, so a software one (lavapipe, llvmpipe) gives the figure a real GPU would see.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use cubecl_runtime::logging::{LaunchObservation, LaunchObserver};

use super::train::configs;
use crate::train::{backend, BackendChoice, Trainer};

/// Counts kernel launches.
#[derive(Default)]
struct Counter(AtomicU64);

impl LaunchObserver for Counter {
    fn launched(&self, _kernel: &'static str) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// Launches per step (and per snapshot, the readback of 5 steps' terms) of every
/// configuration whose name contains `filter`; `steps` steps are counted after a warm-up.
pub(super) fn bench_dispatches(filter: &str, steps: u64, json: bool) {
    let device = match pollster::block_on(backend::device_for(BackendChoice::Wgpu)) {
        Ok(d) => d,
        Err(e) => {
            println!("dispatches: wgpu skipped ({e})");
            return;
        }
    };
    for c in configs().into_iter().filter(|c| c.name.contains(filter)) {
        let result = (|| -> Result<(f64, u64), String> {
            let mut t = Trainer::new(c.config.clone(), &device)?;
            // Warm-up: first launches compile kernels, the snapshot settles lazy state.
            for _ in 0..2 {
                t.step();
            }
            pollster::block_on(t.snapshot(0)).map_err(|e| e.to_string())?;
            let counter = Arc::new(Counter::default());
            let watching = LaunchObservation::new(counter.clone());
            for _ in 0..steps {
                t.step();
            }
            let after_steps = counter.0.load(Ordering::Relaxed);
            pollster::block_on(t.snapshot(0)).map_err(|e| e.to_string())?;
            drop(watching);
            let snapshot = counter.0.load(Ordering::Relaxed) - after_steps;
            Ok((after_steps as f64 / steps as f64, snapshot))
        })();
        match result {
            Ok((per_step, snapshot)) if json => println!(
                "{}",
                serde_json::json!({
                    "config": c.name,
                    "dataset": c.config.dataset.key(),
                    "model": c.config.model.key(),
                    "net": c.net.key(),
                    "batch": c.config.batch,
                    "backend": "wgpu",
                    "dispatches_per_step": per_step,
                    "dispatches_per_snapshot": snapshot,
                })
            ),
            Ok((per_step, snapshot)) => println!(
                "dispatches: wgpu {:<36} {:>7.1} per step, {:>4} per snapshot",
                c.name, per_step, snapshot
            ),
            Err(e) => println!("dispatches: wgpu {}: failed: {e}", c.name),
        }
    }
}
