//! Gaussian log-densities and fast, exact-enough `logsumexp_n log q(z | x_n)` kernels for the
//! Chen entropy estimator.
//!
//! q(z_j | x_n) = N(μ_nj, σ²_nj) with σ² = exp(logvar) (natural-log variances), so
//! log q = c_n − h_n·(z − μ_n)², c_n = −½(log 2π + logvar_n), h_n = ½·exp(−logvar_n).
//!
//! Speed: per dimension the components are sorted by mean and summed outwards from z in
//! growing blocks; a direction stops once the remaining components provably add less than
//! `EPS` relative to the running sum (bound: count · exp(max c − min h · d²), d the distance
//! to the nearest remaining mean). Inner loops are branch-free f64 with a polynomial exp and
//! lane accumulators so they vectorise (AVX2 is used when the CPU has it, natively only).

/// log(2π).
pub const LOG_2PI: f64 = 1.837_877_066_409_345_5;
/// Relative mass a pruned direction may drop: |Δ log Σ| ≤ 2·EPS.
const EPS: f64 = 1e-13;
/// Relative mass a pruned direction may drop on the f32 path (its terms carry ~1e-7 error).
const EPS_F32: f64 = 1e-10;
/// Largest block of components evaluated at once.
const MAX_BLOCK: usize = 2048;

/// log N(z; μ, exp(logvar)) = −½(log 2π + logvar + (z − μ)²·exp(−logvar)).
pub fn log_normal(z: f64, mu: f64, logvar: f64) -> f64 {
    -0.5 * (LOG_2PI + logvar + (z - mu) * (z - mu) * (-logvar).exp())
}

/// log Σ exp(x_i), stable (max-shifted); −∞ for an empty slice.
pub fn logsumexp(x: &[f64]) -> f64 {
    let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !m.is_finite() {
        return m;
    }
    m + x.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}

/// exp(x) for x ≤ 0: Cody–Waite reduction x = k·ln2 + r, |r| ≤ ½ln2, degree-10 Taylor
/// polynomial (relative error < 3e-13), 2^k built from the exponent bits. Branch-free.
#[inline(always)]
fn exp_nonpos(x: f64) -> f64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0; // 1.5·2^52: adding it rounds to an integer
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let x = if x > -708.0 { x } else { -708.0 }; // exp(−708) ≈ 3e−308 is negligible here
    let kr = x * std::f64::consts::LOG2_E + MAGIC;
    let kf = kr - MAGIC;
    let r = x - kf * LN2_HI - kf * LN2_LO;
    // Σ_{i≤10} r^i / i! in Estrin's scheme (short dependency chains; the loop is latency-bound).
    const A: [f64; 11] = [
        1.0,
        1.0,
        0.5,
        0.166_666_666_666_666_66,
        4.166_666_666_666_666_4e-2,
        8.333_333_333_333_333e-3,
        1.388_888_888_888_889e-3,
        1.984_126_984_126_984e-4,
        2.480_158_730_158_73e-5,
        2.755_731_922_398_589e-6,
        2.755_731_922_398_589e-7,
    ];
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let s0 = (A[0] + A[1] * r) + (A[2] + A[3] * r) * r2;
    let s1 = (A[4] + A[5] * r) + (A[6] + A[7] * r) * r2;
    let s2 = (A[8] + A[9] * r) + A[10] * r2;
    let p = (s0 + s1 * r4) + s2 * r8;
    let k = kr.to_bits().wrapping_sub(MAGIC.to_bits());
    p * f64::from_bits(k.wrapping_add(1023) << 52)
}

/// exp(x) for x ≤ 0 in f32 (same scheme, degree-7 polynomial; relative error < 2e-7).
#[inline(always)]
fn exp_nonpos_f32(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0; // 1.5·2^23
    let x = if x > -87.0 { x } else { -87.0 };
    let kr = x * std::f32::consts::LOG2_E + MAGIC;
    let kf = kr - MAGIC;
    let r = x - kf * 0.693_145_75 - kf * 1.428_606_8e-6;
    let r2 = r * r;
    let s0 = (1.0 + r) + (0.5 + r * (1.0 / 6.0)) * r2;
    let s1 = ((1.0 / 24.0) + r * (1.0 / 120.0)) + ((1.0 / 720.0) + r * (1.0 / 5040.0)) * r2;
    let p = s0 + s1 * (r2 * r2);
    let k = kr.to_bits().wrapping_sub(MAGIC.to_bits());
    p * f32::from_bits(k.wrapping_add(127) << 23)
}

/// A running logsumexp: value = m + ln s.
struct Lse {
    m: f64,
    s: f64,
}

impl Lse {
    fn new() -> Self {
        Self {
            m: f64::NEG_INFINITY,
            s: 0.0,
        }
    }

    fn value(&self) -> f64 {
        if self.s > 0.0 {
            self.m + self.s.ln()
        } else {
            f64::NEG_INFINITY
        }
    }

    /// Adds exp(t) for every t in `buf` (8 lanes for the max and for the sum); clobbers `buf`.
    #[inline(always)]
    fn add(&mut self, buf: &mut [f64]) {
        let mut mx = [f64::NEG_INFINITY; 8];
        let chunks = buf.chunks_exact(8);
        let tail = chunks.remainder();
        for ch in chunks {
            for (a, &x) in mx.iter_mut().zip(ch) {
                *a = if x > *a { x } else { *a };
            }
        }
        let bm = mx
            .iter()
            .chain(tail)
            .fold(f64::NEG_INFINITY, |a, &b| if b > a { b } else { a });
        if bm == f64::NEG_INFINITY {
            return;
        }
        if bm > self.m {
            self.s *= exp_nonpos(self.m - bm);
            self.m = bm;
        }
        let m = self.m;
        // In place: t ← exp(t − m) (a plain map, which the loop vectoriser handles), then sum.
        for t in buf.iter_mut() {
            *t = exp_nonpos(*t - m);
        }
        let mut acc = [0.0; 8];
        let chunks = buf.chunks_exact(8);
        let tail: f64 = chunks.remainder().iter().sum();
        for ch in chunks {
            for (a, &x) in acc.iter_mut().zip(ch) {
                *a += x;
            }
        }
        self.s += acc.iter().sum::<f64>() + tail;
    }

    /// [`Lse::add`] for f32 terms (sums accumulate in f64); clobbers `buf`.
    #[inline(always)]
    fn add32(&mut self, buf: &mut [f32]) {
        let mut mx = [f32::NEG_INFINITY; 8];
        let chunks = buf.chunks_exact(8);
        let tail = chunks.remainder();
        for ch in chunks {
            for (a, &x) in mx.iter_mut().zip(ch) {
                *a = if x > *a { x } else { *a };
            }
        }
        let bm = mx
            .iter()
            .chain(tail)
            .fold(f32::NEG_INFINITY, |a, &b| if b > a { b } else { a });
        if bm == f32::NEG_INFINITY {
            return;
        }
        if f64::from(bm) > self.m {
            self.s *= exp_nonpos(self.m - f64::from(bm));
            self.m = f64::from(bm);
        }
        let m = self.m as f32; // exact: m is an f32 value
        for t in buf.iter_mut() {
            *t = exp_nonpos_f32(*t - m);
        }
        let mut acc = [0.0f64; 8];
        let chunks = buf.chunks_exact(8);
        let tail: f64 = chunks.remainder().iter().map(|&v| f64::from(v)).sum();
        for ch in chunks {
            for (a, &x) in acc.iter_mut().zip(ch) {
                *a += f64::from(x);
            }
        }
        self.s += acc.iter().sum::<f64>() + tail;
    }
}

/// One latent dimension of a Gaussian mixture (1/N Σ_n q(z | x_n)), sorted by mean.
pub struct SortedMixture {
    mu: Vec<f64>,
    h: Vec<f64>,
    c: Vec<f64>,
    /// h and c rounded to f32 for the fast path.
    h32: Vec<f32>,
    c32: Vec<f32>,
    /// max c over [0, i] and min h over [0, i].
    pre_c: Vec<f64>,
    pre_h: Vec<f64>,
    /// max c over [i, n) and min h over [i, n).
    suf_c: Vec<f64>,
    suf_h: Vec<f64>,
}

impl SortedMixture {
    /// Builds the mixture from (mean, log-variance) pairs.
    pub fn new(params: impl Iterator<Item = (f64, f64)>) -> Self {
        let mut p: Vec<(f64, f64)> = params.collect();
        p.sort_by(|a, b| a.0.total_cmp(&b.0));
        let mu: Vec<f64> = p.iter().map(|q| q.0).collect();
        let h: Vec<f64> = p.iter().map(|q| 0.5 * (-q.1).exp()).collect();
        let c: Vec<f64> = p.iter().map(|q| -0.5 * (LOG_2PI + q.1)).collect();
        let scan = |v: &[f64], rev: bool, f: fn(f64, f64) -> f64| {
            let mut out = v.to_vec();
            let n = out.len();
            for i in 1..n {
                let (a, b) = if rev { (n - i - 1, n - i) } else { (i, i - 1) };
                out[a] = f(out[a], out[b]);
            }
            out
        };
        Self {
            pre_c: scan(&c, false, f64::max),
            pre_h: scan(&h, false, f64::min),
            suf_c: scan(&c, true, f64::max),
            suf_h: scan(&h, true, f64::min),
            h32: h.iter().map(|&v| v as f32).collect(),
            c32: c.iter().map(|&v| v as f32).collect(),
            mu,
            h,
            c,
        }
    }

    /// Number of components.
    pub fn len(&self) -> usize {
        self.mu.len()
    }

    /// Whether the mixture has no components.
    pub fn is_empty(&self) -> bool {
        self.mu.is_empty()
    }

    #[inline(always)]
    fn block(&self, z: f64, a: usize, b: usize, buf: &mut [f64], lse: &mut Lse) {
        let (mu, h, c) = (&self.mu[a..b], &self.h[a..b], &self.c[a..b]);
        let buf = &mut buf[..b - a];
        for (((t, &m), &h), &c) in buf.iter_mut().zip(mu).zip(h).zip(c) {
            let d = z - m;
            *t = c - h * d * d;
        }
        lse.add(buf);
    }

    /// [`Self::block`] in f32 after the f64 difference d = z − μ (|d| keeps full relative
    /// precision, so sharp posteriors lose nothing to cancellation).
    #[inline(always)]
    fn block32(&self, z: f64, a: usize, b: usize, buf: &mut [f32], lse: &mut Lse) {
        let (mu, h, c) = (&self.mu[a..b], &self.h32[a..b], &self.c32[a..b]);
        let buf = &mut buf[..b - a];
        for (((t, &m), &h), &c) in buf.iter_mut().zip(mu).zip(h).zip(c) {
            let d = (z - m) as f32;
            *t = c - h * d * d;
        }
        lse.add32(buf);
    }

    /// logsumexp_n log q(z | x_n) over all components (pruned within 2·EPS relative).
    #[inline(always)]
    fn log_sum<const F32: bool>(&self, z: f64, buf: &mut [f64], buf32: &mut [f32]) -> f64 {
        let n = self.mu.len();
        let p = self.mu.partition_point(|&m| m < z);
        let (mut lo, mut hi, mut blk) = (p, p, 32usize);
        let mut lse = Lse::new();
        // The f32 path is only ~1e-7 accurate per term, so it may prune at a coarser bound.
        let ln_eps = if F32 { EPS_F32.ln() } else { EPS.ln() };
        loop {
            let cur = lse.value() + ln_eps;
            let right = hi < n && {
                let d = self.mu[hi] - z;
                !(d > 0.0 && ((n - hi) as f64).ln() + self.suf_c[hi] - self.suf_h[hi] * d * d < cur)
            };
            let left = lo > 0 && {
                let d = z - self.mu[lo - 1];
                !(d > 0.0
                    && (lo as f64).ln() + self.pre_c[lo - 1] - self.pre_h[lo - 1] * d * d < cur)
            };
            if !right && !left {
                return lse.value();
            }
            if right {
                let e = (hi + blk).min(n);
                if F32 {
                    self.block32(z, hi, e, buf32, &mut lse);
                } else {
                    self.block(z, hi, e, buf, &mut lse);
                }
                hi = e;
            }
            if left {
                let s = lo.saturating_sub(blk);
                if F32 {
                    self.block32(z, s, lo, buf32, &mut lse);
                } else {
                    self.block(z, s, lo, buf, &mut lse);
                }
                lo = s;
            }
            blk = (blk * 2).min(MAX_BLOCK);
        }
    }

    #[inline(always)]
    fn sum_log_sums_generic(&self, zs: &[f64], fast: bool) -> f64 {
        let mut buf = vec![0.0; MAX_BLOCK];
        let mut buf32 = vec![0.0f32; MAX_BLOCK];
        if fast {
            zs.iter()
                .map(|&z| self.log_sum::<true>(z, &mut buf, &mut buf32))
                .sum()
        } else {
            zs.iter()
                .map(|&z| self.log_sum::<false>(z, &mut buf, &mut buf32))
                .sum()
        }
    }

    /// Σ_s logsumexp_n log q(z_s | x_n) over the samples `zs`; `fast` evaluates the terms
    /// in f32 (about twice as fast; ~1e-7 relative error per term instead of ~1e-13).
    pub fn sum_log_sums(&self, zs: &[f64], fast: bool) -> f64 {
        #[cfg(all(target_arch = "x86_64", not(target_arch = "wasm32")))]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { self.sum_log_sums_avx2(zs, fast) };
        }
        self.sum_log_sums_generic(zs, fast)
    }

    #[cfg(all(target_arch = "x86_64", not(target_arch = "wasm32")))]
    #[target_feature(enable = "avx2")]
    unsafe fn sum_log_sums_avx2(&self, zs: &[f64], fast: bool) -> f64 {
        self.sum_log_sums_generic(zs, fast)
    }
}

/// All K dimensions of a Gaussian mixture, for the joint log q(z) = logsumexp_n Σ_j log q.
pub struct JointMixture {
    k: usize,
    /// Dimension-major: mu[j·n + i].
    mu: Vec<f64>,
    h: Vec<f64>,
    /// Σ_j c_ij per component.
    c_sum: Vec<f64>,
}

impl JointMixture {
    /// Builds the joint mixture from row-major N × K means and log-variances.
    pub fn new(means: &[f64], logvars: &[f64], k: usize) -> Self {
        let n = means.len() / k.max(1);
        let mut mu = vec![0.0; n * k];
        let mut h = vec![0.0; n * k];
        let mut c_sum = vec![0.0; n];
        for i in 0..n {
            for j in 0..k {
                mu[j * n + i] = means[i * k + j];
                h[j * n + i] = 0.5 * (-logvars[i * k + j]).exp();
                c_sum[i] -= 0.5 * (LOG_2PI + logvars[i * k + j]);
            }
        }
        Self { k, mu, h, c_sum }
    }

    #[inline(always)]
    fn sum_log_sums_generic(&self, zs: &[f64]) -> f64 {
        let n = self.c_sum.len();
        let mut buf = vec![0.0; MAX_BLOCK];
        let mut total = 0.0;
        for z in zs.chunks_exact(self.k) {
            let mut lse = Lse::new();
            for a in (0..n).step_by(MAX_BLOCK) {
                let b = (a + MAX_BLOCK).min(n);
                let t = &mut buf[..b - a];
                t.copy_from_slice(&self.c_sum[a..b]);
                for (j, &zj) in z.iter().enumerate() {
                    let (mu, h) = (
                        &self.mu[j * n + a..j * n + b],
                        &self.h[j * n + a..j * n + b],
                    );
                    for ((t, &m), &h) in t.iter_mut().zip(mu).zip(h) {
                        let d = zj - m;
                        *t -= h * d * d;
                    }
                }
                lse.add(t);
            }
            total += lse.value();
        }
        total
    }

    /// Σ_s logsumexp_n Σ_j log q(z_sj | x_n) over samples `zs` (row-major S × K).
    pub fn sum_log_sums(&self, zs: &[f64]) -> f64 {
        #[cfg(all(target_arch = "x86_64", not(target_arch = "wasm32")))]
        if std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2 (checked just above).
            return unsafe { self.sum_log_sums_avx2(zs) };
        }
        self.sum_log_sums_generic(zs)
    }

    #[cfg(all(target_arch = "x86_64", not(target_arch = "wasm32")))]
    #[target_feature(enable = "avx2")]
    unsafe fn sum_log_sums_avx2(&self, zs: &[f64]) -> f64 {
        self.sum_log_sums_generic(zs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn fast_exp_is_accurate() {
        for i in 0..20_000 {
            let x = -(i as f32) * 0.0043;
            let (a, b) = (f64::from(exp_nonpos_f32(x)), f64::from(x).exp());
            assert!((a - b).abs() <= 2e-7 * b, "{x}: {a} vs {b}");
        }
        for i in 0..20_000 {
            let x = -(i as f64) * 0.0371;
            let (a, b) = (exp_nonpos(x), x.exp());
            if x > -700.0 {
                assert!((a - b).abs() <= 1e-12 * b, "{x}: {a} vs {b}");
            }
        }
        assert_eq!(exp_nonpos(0.0), 1.0);
        assert!(exp_nonpos(f64::NEG_INFINITY) < 1e-300);
    }

    /// Brute-force Σ_s logsumexp_n for comparison.
    fn brute(mu: &[f64], lv: &[f64], zs: &[f64]) -> f64 {
        zs.iter()
            .map(|&z| {
                let t: Vec<f64> = mu
                    .iter()
                    .zip(lv)
                    .map(|(&m, &l)| log_normal(z, m, l))
                    .collect();
                logsumexp(&t)
            })
            .sum()
    }

    #[test]
    fn pruned_mixture_matches_brute_force() {
        let mut r = Rng::new(11);
        for &(n, spread, lv0) in &[
            (3000, 3.0, -6.0),
            (2500, 1.0, 0.0),
            (700, 10.0, -9.0),
            (1, 1.0, 0.0),
        ] {
            let mu: Vec<f64> = (0..n).map(|_| spread * r.normal()).collect();
            let lv: Vec<f64> = (0..n).map(|_| lv0 + r.uniform() * 2.0).collect();
            let zs: Vec<f64> = (0..n.min(300))
                .map(|i| mu[i] + (0.5 * lv[i]).exp() * r.normal())
                .chain([50.0, -40.0])
                .collect();
            let m = SortedMixture::new(mu.iter().copied().zip(lv.iter().copied()));
            let (a, b) = (m.sum_log_sums(&zs, false), brute(&mu, &lv, &zs));
            assert!((a - b).abs() <= 1e-10 * b.abs(), "n={n}: {a} vs {b}");
            // The f32 path: ~1e-7 relative (far samples have log-sums of order −1e5 here).
            let f = m.sum_log_sums(&zs, true);
            assert!((f - b).abs() <= 1e-6 * b.abs(), "n={n}: f32 {f} vs {b}");
            // Joint with K = 1 is the same quantity.
            let j = JointMixture::new(&mu, &lv, 1);
            assert!((j.sum_log_sums(&zs) - b).abs() <= 1e-10 * b.abs());
        }
    }
}
