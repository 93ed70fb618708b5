//! Timed entry points for the crate's benchmark binary and the release-mode timing tests
//! (native only: `std::time` is unavailable in wasm32).

use super::chen::{mig_chen, ChenMig};
use super::discrete::{mig_dlib, MigResult, DLIB_NUM_BINS};
use super::entropy::{ChenOptions, Precision};
use super::factor_table::FactorTable;
use super::factor_vae::{factor_vae_score, FactorVaeConfig, FactorVaeScore};
use crate::matrix::Matrix;
use crate::rng::Rng;
use std::time::Instant;

/// Synthetic posteriors over the full factor grid `grid` with `k` latents: latent j < F
/// follows factor j (mean ∝ class, σ = 0.1), the rest are collapsed (μ ≈ 0, σ ≈ 1).
/// Returns (means, logvars, samples, factors).
pub fn synthetic_posteriors(
    grid: &[usize],
    k: usize,
    seed: u64,
) -> (Matrix, Matrix, Matrix, Matrix) {
    let n: usize = grid.iter().product();
    let mut rng = Rng::new(seed);
    let (mut mu, mut lv, mut z, mut f) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let mut rem = i;
        let mut row = vec![0usize; grid.len()];
        for d in (0..grid.len()).rev() {
            row[d] = rem % grid[d];
            rem /= grid[d];
        }
        for j in 0..k {
            let (m, l) = match row.get(j).zip(grid.get(j)) {
                Some((&c, &size)) => (
                    2.0 * c as f64 / size as f64 - 1.0 + 0.05 * rng.normal(),
                    (0.01f64).ln() + 0.2 * rng.normal(),
                ),
                None => (0.02 * rng.normal(), 0.05 * rng.normal()),
            };
            mu.push(m);
            lv.push(l);
            z.push(m + (0.5 * l).exp() * rng.normal());
        }
        f.extend(row.iter().map(|&c| c as f64));
    }
    let m = |d| Matrix::from_vec(n, k, d).unwrap_or_else(|_| Matrix::zeros(0, 0));
    (
        m(mu),
        m(lv),
        m(z),
        Matrix::from_vec(n, grid.len(), f).unwrap_or_else(|_| Matrix::zeros(0, 0)),
    )
}

/// Seconds and result of Chen MIG on a synthetic dSprites-subset grid 3 × 6 × 40 × 8 × 8
/// (= 46,080 points when `n` is that; otherwise a 1-D grid of `n`) with `k` latents, factors
/// 1..5 (shape excluded), in the arithmetic `precision` (the default is `Auto`).
pub fn bench_mig_chen(n: usize, k: usize, seed: u64, precision: Precision) -> (f64, ChenMig) {
    let grid: Vec<usize> = if n == 46_080 {
        vec![3, 6, 40, 8, 8]
    } else {
        vec![1, n]
    };
    let (m, l, z, f) = synthetic_posteriors(&grid, k, seed);
    let subset: Vec<usize> = (1..grid.len()).collect();
    let opts = ChenOptions {
        precision,
        ..ChenOptions::default()
    };
    let t = Instant::now();
    let r = mig_chen(&m, &l, &z, &f, Some(&subset), &opts, &mut |_| {});
    let secs = t.elapsed().as_secs_f64();
    (secs, r.unwrap_or_else(|e| panic!("bench_mig_chen: {e}")))
}

/// Largest |Δ| over every entropy (marginal and conditional) of two Chen MIG results, nats.
pub fn max_entropy_diff(a: &ChenMig, b: &ChenMig) -> f64 {
    let marg = a.marginal_entropies.iter().zip(&b.marginal_entropies);
    let cond = a
        .cond_entropies
        .iter()
        .flatten()
        .zip(b.cond_entropies.iter().flatten());
    marg.chain(cond)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// CPU seconds used so far by this process, all threads (Linux: utime + stime from
/// `/proc/self/stat`, in ticks of 1/100 s); `None` elsewhere. Next to a wall time it shows how
/// much a busy machine stretched it.
pub fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name start at field 3 (state); utime is 14.
    let rest = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// The processor's model name (Linux: `model name` in `/proc/cpuinfo`); `None` elsewhere.
/// Reports name it because native digits depend on the CPU's matrix-product kernels.
pub fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("model name"))?;
    let name = line.split_once(':')?.1.trim();
    (!name.is_empty()).then(|| name.to_string())
}

/// Seconds and result of dlib MIG (20 bins) on `n` random points × `k` codes, 5 factors.
pub fn bench_mig_dlib(n: usize, k: usize, seed: u64) -> (f64, MigResult) {
    let mut rng = Rng::new(seed);
    let f: Vec<f64> = (0..n * 5).map(|_| rng.below(10) as f64).collect();
    let c: Vec<f64> = (0..n * k)
        .map(|i| f[(i / k) * 5 + (i % k) % 5] + rng.normal())
        .collect();
    let (codes, factors) = (Matrix::from_vec(n, k, c), Matrix::from_vec(n, 5, f));
    let (codes, factors) = (
        codes.unwrap_or_else(|e| panic!("{e}")),
        factors.unwrap_or_else(|e| panic!("{e}")),
    );
    let t = Instant::now();
    let r =
        mig_dlib(&codes, &factors, DLIB_NUM_BINS).unwrap_or_else(|e| panic!("bench_mig_dlib: {e}"));
    (t.elapsed().as_secs_f64(), r)
}

/// Seconds and result of the FactorVAE score under protocol `cfg` on a table.
pub fn bench_factor_vae(
    table: &mut FactorTable,
    cfg: &FactorVaeConfig,
    seed: u64,
) -> (f64, FactorVaeScore) {
    let t = Instant::now();
    let r = factor_vae_score(table, cfg, &mut Rng::new(seed));
    (
        t.elapsed().as_secs_f64(),
        r.unwrap_or_else(|e| panic!("bench_factor_vae: {e}")),
    )
}

#[cfg(test)]
mod tests {
    /// The CPU-time reading follows work done: spinning one thread raises it by at least
    /// 0.1 s, and by no more than the wall time the spin took on every core (a wrong field of
    /// `/proc/self/stat`, such as a start time or a page count, fails one bound or the other).
    #[test]
    fn cpu_seconds_follow_the_work_done() {
        let Some(a) = super::process_cpu_seconds() else {
            return; // not Linux: the figure is left out of the bench's output
        };
        let start = std::time::Instant::now();
        let mut x = 0.0f64;
        let mut b = a;
        while b - a < 0.1 && start.elapsed().as_secs_f64() < 60.0 {
            for i in 0..1_000_000u64 {
                x += (i as f64).sqrt();
            }
            b = super::process_cpu_seconds().unwrap();
        }
        let wall = start.elapsed().as_secs_f64();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        std::hint::black_box(x);
        assert!(
            b - a >= 0.1,
            "{:.3} s of CPU after {wall:.1} s of spinning",
            b - a
        );
        // Other test threads run meanwhile; 0.02 s covers the 10 ms clock tick.
        assert!(
            b - a <= wall * cores + 0.02,
            "{:.3} s of CPU in {wall:.3} s",
            b - a
        );
    }
}
