//! GPU dispatches per training step on the wgpu backend: every kernel launch cubecl issues,
//! counted through its launch observer while steps run. The count does not depend on the
//! adapter, so a software one (lavapipe, llvmpipe) gives the figure a real GPU would see.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use cubecl_runtime::logging::{LaunchObservation, LaunchObserver};

use super::train::configs;
use crate::train::{backend, BackendChoice, Trainer};

/// Counts kernel launches, in all and by kernel name.
#[derive(Default)]
struct Counter(AtomicU64, Mutex<HashMap<&'static str, u64>>);

impl LaunchObserver for Counter {
    fn launched(&self, kernel: &'static str) {
        self.0.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut m) = self.1.lock() {
            *m.entry(kernel).or_default() += 1;
        }
    }
}

/// A kernel's type name without module paths: `KernelBinop<f32, AddOp>`.
fn short_name(name: &str) -> String {
    let mut out = String::new();
    let mut token = String::new();
    for ch in name.chars().chain(std::iter::once(' ')) {
        if matches!(ch, '<' | '>' | ',' | ' ' | '(' | ')' | '[' | ']' | ';') {
            out.push_str(token.rsplit("::").next().unwrap_or(&token));
            token.clear();
            if ch != ' ' || out.ends_with(',') {
                out.push(ch);
            }
        } else {
            token.push(ch);
        }
    }
    out.trim().to_string()
}

/// The `n` most launched kernels as (short name, launches per step).
fn top(counter: &Counter, steps: u64, n: usize) -> Vec<(String, f64)> {
    let map = counter.1.lock().map(|m| m.clone()).unwrap_or_default();
    let mut v: Vec<(&str, u64)> = map.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.into_iter()
        .take(n)
        .map(|(k, c)| (short_name(k), c as f64 / steps as f64))
        .collect()
}

/// Launches per step, per snapshot, and the most launched kernels per step.
type Counts = (f64, u64, Vec<(String, f64)>);

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
        let result = (|| -> Result<Counts, String> {
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
            let kinds = top(&counter, steps, 8);
            pollster::block_on(t.snapshot(0)).map_err(|e| e.to_string())?;
            drop(watching);
            let snapshot = counter.0.load(Ordering::Relaxed) - after_steps;
            Ok((after_steps as f64 / steps as f64, snapshot, kinds))
        })();
        match result {
            Ok((per_step, snapshot, kinds)) if json => println!(
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
                    "top_kernels_per_step": kinds,
                })
            ),
            Ok((per_step, snapshot, kinds)) => {
                let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n:.0}")).collect();
                println!(
                    "dispatches: wgpu {:<36} {:>7.1} per step, {:>4} per snapshot; most: {}",
                    c.name,
                    per_step,
                    snapshot,
                    kinds.join(", ")
                )
            }
            Err(e) => println!("dispatches: wgpu {}: failed: {e}", c.name),
        }
    }
}
