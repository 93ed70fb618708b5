//! The Chen et al. entropy estimator over one or more point sets, with progress reporting
//! and (natively) both cores.
//!
//! For a set S of points with posteriors q(z | x_n) = N(μ_n, diag σ²_n) and one sample z_s ~
//! q(z | x_s) per point: Ĥ(z_j) = −mean_s [logsumexp_{n∈S} log q(z_sj | x_n) − log |S|], the
//! mean over at most `max_samples` samples (a random subset, as beta-tcvae's
//! `estimate_entropies` takes `randperm(S)[:10000]`); the joint Ĥ(z) likewise with
//! Σ_j log q(z_sj | x_n).

use super::gauss::{JointMixture, SortedMixture};
use crate::matrix::Matrix;
use crate::rng::Rng;

/// Samples beta-tcvae's estimator uses at most (`estimate_entropies(n_samples=10000)`).
pub const CHEN_MAX_SAMPLES: usize = 10_000;
/// Samples per work item (the unit of parallelism and of progress).
const CHUNK: usize = 512;

/// Options of the Chen estimator.
#[derive(Clone, Debug)]
pub struct ChenOptions {
    /// At most this many samples per set enter the mean (all of them when the set is smaller).
    pub max_samples: usize,
    /// Seed of the subsampling (only used when a set has more than `max_samples` points).
    pub seed: u64,
    /// Arithmetic of the inner loops.
    pub precision: Precision,
}

/// Arithmetic of the estimator's inner loops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// f64 for sets with fewer than [`AUTO_F32_TERMS`] (samples × components), f32 above.
    Auto,
    /// f64 throughout (~1e-13 relative per term).
    F64,
    /// The fused f32 kernel (`gauss::SortedMixture::sum_log_sums`): several times faster,
    /// ≤ 1e-6·(1 + |log-sum|) absolute error per sample (observed ≤ 2e-7·(1 + |log-sum|)).
    /// Joint entropies stay f64.
    F32,
}

/// Work size (samples × components of one set) from which [`Precision::Auto`] uses f32:
/// there the f32 rounding (~1e-7) is far below the estimator's sampling noise.
pub const AUTO_F32_TERMS: usize = 10_000_000;

impl Default for ChenOptions {
    fn default() -> Self {
        Self {
            max_samples: CHEN_MAX_SAMPLES,
            seed: 0,
            precision: Precision::Auto,
        }
    }
}

/// Inputs shared by every work item.
pub(crate) struct Posteriors<'a> {
    /// N × K means.
    pub means: &'a Matrix,
    /// N × K natural-log variances.
    pub logvars: &'a Matrix,
    /// N × K samples, one per point.
    pub samples: &'a Matrix,
}

impl Posteriors<'_> {
    /// Checks that the three matrices agree in shape and are finite.
    pub fn validate(&self) -> Result<(), String> {
        let (n, k) = (self.means.rows, self.means.cols);
        for (m, name) in [(self.logvars, "logvars"), (self.samples, "samples")] {
            if m.rows != n || m.cols != k {
                return Err(format!(
                    "{name} is {} × {} but means is {n} × {k}",
                    m.rows, m.cols
                ));
            }
        }
        if n == 0 || k == 0 {
            return Err("the estimator needs at least one point and one latent".into());
        }
        self.means.check_finite("means")?;
        self.logvars.check_finite("logvars")?;
        self.samples.check_finite("samples")
    }
}

/// One work item: samples [a, b) of set `set`, for dimension `dim` (K means the joint).
struct Task {
    set: usize,
    dim: usize,
    a: usize,
    b: usize,
}

enum Mix {
    Dim(SortedMixture),
    Joint(JointMixture),
}

/// Runs one task: Σ over its samples of logsumexp_n log q(z_s | x_n).
fn run_task(
    p: &Posteriors,
    sets: &[Vec<usize>],
    picks: &[Vec<usize>],
    t: &Task,
    fast: bool,
    cache: &mut Option<((usize, usize), Mix)>,
) -> f64 {
    let k = p.means.cols;
    let key = (t.set, t.dim);
    if cache.as_ref().map(|c| c.0) != Some(key) {
        let set = &sets[t.set];
        let mix = if t.dim < k {
            Mix::Dim(SortedMixture::new(
                set.iter()
                    .map(|&i| (p.means.get(i, t.dim), p.logvars.get(i, t.dim))),
            ))
        } else {
            let m = p.means.select_rows(set);
            let l = p.logvars.select_rows(set);
            Mix::Joint(JointMixture::new(&m.data, &l.data, k))
        };
        *cache = Some((key, mix));
    }
    let idx = &picks[t.set][t.a..t.b];
    match cache.as_ref().map(|c| &c.1) {
        Some(Mix::Dim(m)) => {
            let zs: Vec<f64> = idx.iter().map(|&i| p.samples.get(i, t.dim)).collect();
            m.sum_log_sums(&zs, fast)
        }
        Some(Mix::Joint(m)) => m.sum_log_sums(&p.samples.select_rows(idx).data),
        None => f64::NAN,
    }
}

/// Entropies of every set: `out[s]` = (Ĥ(z_j) for each j, Ĥ(z) if `joint` else NaN), in nats.
/// `progress` receives the fraction of work done (0..=1) from the calling thread.
pub(crate) fn set_entropies(
    p: &Posteriors,
    sets: &[Vec<usize>],
    joint: bool,
    opts: &ChenOptions,
    progress: &mut dyn FnMut(f32),
) -> Vec<(Vec<f64>, f64)> {
    let k = p.means.cols;
    let mut rng = Rng::new(opts.seed);
    let picks: Vec<Vec<usize>> = sets
        .iter()
        .map(|s| {
            let mut v = s.clone();
            if v.len() > opts.max_samples.max(1) {
                // Partial Fisher–Yates: a uniform random subset of max_samples points.
                for i in 0..opts.max_samples.max(1) {
                    let j = i + rng.below((v.len() - i) as u64) as usize;
                    v.swap(i, j);
                }
                v.truncate(opts.max_samples.max(1));
            }
            v
        })
        .collect();
    let fast: Vec<bool> = (0..sets.len())
        .map(|s| match opts.precision {
            Precision::F64 => false,
            Precision::F32 => true,
            Precision::Auto => sets[s].len().saturating_mul(picks[s].len()) >= AUTO_F32_TERMS,
        })
        .collect();
    let dims = if joint { k + 1 } else { k };
    let mut tasks = Vec::new();
    let mut cost = Vec::new();
    for (s, pk) in picks.iter().enumerate() {
        for dim in 0..dims {
            for a in (0..pk.len()).step_by(CHUNK) {
                let b = (a + CHUNK).min(pk.len());
                tasks.push(Task { set: s, dim, a, b });
                let w = if dim < k { 1.0 } else { 0.5 * k as f64 };
                cost.push((b - a) as f64 * sets[s].len() as f64 * w);
            }
        }
    }
    let total: f64 = cost.iter().sum::<f64>().max(1.0);
    let mut sums = vec![0.0; tasks.len()];
    let mut done = 0.0;
    let mut on_result = |i: usize, v: f64| {
        sums[i] = v;
        done += cost[i];
        progress((done / total) as f32);
    };
    #[cfg(not(target_arch = "wasm32"))]
    {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(tasks.len().max(1));
        let next = AtomicUsize::new(0);
        let (tx, rx) = std::sync::mpsc::channel::<(usize, f64)>();
        std::thread::scope(|scope| {
            for _ in 0..workers {
                let tx = tx.clone();
                let (next, tasks, picks, fast) = (&next, &tasks, &picks, &fast);
                scope.spawn(move || {
                    let mut cache = None;
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(t) = tasks.get(i) else { break };
                        if tx
                            .send((i, run_task(p, sets, picks, t, fast[t.set], &mut cache)))
                            .is_err()
                        {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            for (i, v) in rx {
                on_result(i, v);
            }
        });
    }
    #[cfg(target_arch = "wasm32")]
    {
        let mut cache = None;
        for (i, t) in tasks.iter().enumerate() {
            on_result(i, run_task(p, sets, &picks, t, fast[t.set], &mut cache));
        }
    }
    // Ĥ = log |S| − (Σ_s logsumexp) / #samples.
    let mut acc = vec![vec![0.0; dims]; sets.len()];
    for (t, v) in tasks.iter().zip(&sums) {
        acc[t.set][t.dim] += v;
    }
    acc.into_iter()
        .enumerate()
        .map(|(s, a)| {
            let (ln_n, m) = ((sets[s].len() as f64).ln(), picks[s].len().max(1) as f64);
            let h: Vec<f64> = a.iter().map(|v| ln_n - v / m).collect();
            let j = if joint { h[k] } else { f64::NAN };
            (h[..k].to_vec(), j)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::bench::synthetic_posteriors;

    /// The f32 path against the exact f64 path on a whole Chen MIG computation (720 points,
    /// 6 latents, 5 factors): every entropy within 1e-6 nats.
    #[test]
    fn f32_entropies_match_f64() {
        let (m, l, z, f) = synthetic_posteriors(&[2, 3, 4, 5, 6], 6, 3);
        let run = |precision| {
            let o = ChenOptions {
                precision,
                max_samples: 500,
                ..ChenOptions::default()
            };
            crate::metrics::mig_chen(&m, &l, &z, &f, None, &o, &mut |_| {}).unwrap()
        };
        let (a, b) = (run(Precision::F32), run(Precision::F64));
        let mut worst = 0.0f64;
        for (x, y) in a.marginal_entropies.iter().zip(&b.marginal_entropies) {
            worst = worst.max((x - y).abs());
        }
        for (x, y) in a
            .cond_entropies
            .iter()
            .flatten()
            .zip(b.cond_entropies.iter().flatten())
        {
            worst = worst.max((x - y).abs());
        }
        println!("f32 vs f64 entropies: max |Δ| = {worst:.2e} nats");
        assert!(worst <= 1e-6, "{worst}");
        assert!((a.mig - b.mig).abs() <= 1e-6, "{} vs {}", a.mig, b.mig);
    }
}
