//! Training speed: steps/s of each configuration the PyTorch peer
//! (`shared/peers/pytorch/bench.py`) times, plus iVAE, on each requested backend. Names and
//! settings follow the peer's table so `scripts/perf-table.sh` can join the two outputs.

use std::time::Instant;

pub(super) use crate::train::bench_configs::configs;
use crate::train::{backend, BackendChoice, TrainConfig, Trainer};

/// Steps/s of every configuration whose name contains `filter` on one backend; one line
/// (or one JSON object) per configuration.
pub(super) fn bench_train(choice: BackendChoice, seconds: f64, filter: &str, json: bool) {
    let device = match pollster::block_on(backend::device_for(choice)) {
        Ok(d) => d,
        Err(e) => {
            println!("train: {}: skipped ({e})", choice.label());
            return;
        }
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    for c in configs().into_iter().filter(|c| c.name.contains(filter)) {
        let cfg = &c.config;
        match time_steps(cfg.clone(), &device, seconds) {
            Ok(rate) if json => println!(
                "{}",
                serde_json::json!({
                    "config": c.name,
                    "dataset": cfg.dataset.key(),
                    "model": cfg.model.key(),
                    "net": c.net.key(),
                    "batch": cfg.batch,
                    "latents": cfg.latents,
                    "backend": choice.key(),
                    "threads": threads,
                    "steps_per_second": (rate * 100.0).round() / 100.0,
                })
            ),
            Ok(rate) => println!(
                "train: {:<14} {:<36} batch {:>4} {:>8.1} steps/s",
                choice.label(),
                c.name,
                cfg.batch,
                rate
            ),
            Err(e) => println!("train: {} {}: failed: {e}", choice.label(), c.name),
        }
    }
}

/// Trains for about `seconds` after a 5-step warm-up and returns steps/s, reading the terms
/// back every 5 steps as the page and the peer do.
pub(super) fn time_steps(
    config: TrainConfig,
    device: &burn::prelude::Device,
    seconds: f64,
) -> Result<f64, String> {
    let mut t = Trainer::new(config, device)?;
    for _ in 0..5 {
        t.step();
    }
    pollster::block_on(t.snapshot(0)).map_err(|e| e.to_string())?;
    let start = Instant::now();
    let mut steps = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        for _ in 0..5 {
            t.step();
        }
        steps += 5;
        pollster::block_on(t.snapshot(0)).map_err(|e| e.to_string())?;
    }
    Ok(steps as f64 / start.elapsed().as_secs_f64())
}
