//! One latent dimension of the mixture, sorted by mean, and its pruned log-sums (see the
//! parent module).

use std::f64::consts::LN_2;

use super::kernel::{Tiles32, LANES};
use super::{Lse, LOG_2PI, MAX_BLOCK};

/// Relative mass a pruned direction may drop: |Δ log Σ| ≤ 2·EPS.
const EPS: f64 = 1e-13;
/// Relative mass a pruned direction may drop on the f32 path (its terms carry ~1e-7 error).
const EPS_F32: f64 = 1e-10;

/// One latent dimension of a Gaussian mixture (1/N Σ_n q(z | x_n)), sorted by mean.
pub struct SortedMixture {
    mu: Vec<f64>,
    h: Vec<f64>,
    c: Vec<f64>,
    /// The fast path's copies, padded to a multiple of [`LANES`] with inert components.
    fast: Tiles32,
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
            fast: Tiles32::new(&mu, &h, &c),
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

    /// Whether components [hi, n) may still add more than e^`cur` (bound: count ·
    /// exp(max c − min h · d²), d the distance from z to μ_hi).
    #[inline(always)]
    fn right_open(&self, z: f64, hi: usize, cur: f64) -> bool {
        let n = self.mu.len();
        hi < n && {
            let d = self.mu[hi] - z;
            !(d > 0.0 && ((n - hi) as f64).ln() + self.suf_c[hi] - self.suf_h[hi] * d * d < cur)
        }
    }

    /// Whether components [0, lo) may still add more than e^`cur`.
    #[inline(always)]
    fn left_open(&self, z: f64, lo: usize, cur: f64) -> bool {
        lo > 0 && {
            let d = z - self.mu[lo - 1];
            !(d > 0.0 && (lo as f64).ln() + self.pre_c[lo - 1] - self.pre_h[lo - 1] * d * d < cur)
        }
    }

    /// logsumexp_n log q(z | x_n) over all components in f64 (pruned within 2·EPS relative):
    /// the exact reference path.
    #[inline(always)]
    fn log_sum(&self, z: f64, buf: &mut [f64]) -> f64 {
        let n = self.mu.len();
        let p = self.mu.partition_point(|&m| m < z);
        let (mut lo, mut hi, mut blk) = (p, p, 32usize);
        let mut lse = Lse::new();
        let ln_eps = EPS.ln();
        loop {
            let cur = lse.value() + ln_eps;
            let (right, left) = (self.right_open(z, hi, cur), self.left_open(z, lo, cur));
            if !right && !left {
                return lse.value();
            }
            if right {
                let e = (hi + blk).min(n);
                self.block(z, hi, e, buf, &mut lse);
                hi = e;
            }
            if left {
                let s = lo.saturating_sub(blk);
                self.block(z, s, lo, buf, &mut lse);
                lo = s;
            }
            blk = (blk * 2).min(MAX_BLOCK);
        }
    }

    /// Adds components [a, b) to the running (m, s) of the fast path (log₂ units: the sum is
    /// 2^m·s, m an f32 value): one fused pass with shift m, redone around the block's own
    /// maximum in the rare case that a term exceeded the shift by more than the clamp allows.
    #[inline(always)]
    fn add_fast<const FMA: bool>(
        &self,
        zh: f32,
        zl: f32,
        a: usize,
        b: usize,
        m: &mut f64,
        s: &mut f64,
    ) {
        let shift = *m as f32; // exact: m is always an f32 value
        let (sum, bm) = self.fast.sum_exp::<FMA>(zh, zl, a, b, shift);
        let bm64 = f64::from(bm);
        if bm64 > *m + 100.0 {
            let (sum, _) = self.fast.sum_exp::<FMA>(zh, zl, a, b, bm);
            *s = *s * (*m - bm64).exp2() + sum;
            *m = bm64;
            return;
        }
        *s += sum;
        if bm64 > *m {
            *s *= (*m - bm64).exp2();
            *m = bm64;
        }
    }

    /// logsumexp_n log q(z | x_n) by the fused f32 kernel, pruned within 2·EPS_F32 relative.
    /// Blocks are whole tiles of [`LANES`] components, growing outwards from the tile of the
    /// component nearest to z, whose term starts the running shift.
    #[inline(always)]
    fn log_sum_fast<const FMA: bool>(&self, z: f64) -> f64 {
        let n = self.mu.len();
        if n == 0 {
            return f64::NEG_INFINITY;
        }
        if !self.fast.ok || z.is_nan() || z.abs() >= 1e30 {
            return self.log_sum(z, &mut vec![0.0; MAX_BLOCK]);
        }
        let np = self.fast.c.len();
        let p = self.mu.partition_point(|&m| m < z);
        let near = if p == n || (p > 0 && z - self.mu[p - 1] < self.mu[p] - z) {
            p - 1
        } else {
            p
        };
        let zh = z as f32;
        let zl = (z - f64::from(zh)) as f32;
        let f = &self.fast;
        let d = (zh - f.mu_hi[near]) + (zl - f.mu_lo[near]);
        // Running sum 2^m·s in log₂ units; its natural log is m·ln 2 + ln s.
        let mut m = f64::from(f.c[near] - f.h[near] * d * d);
        let mut s = 0.0f64;
        let ln_sum = |m: f64, s: f64| {
            if s > 0.0 {
                m * LN_2 + s.ln()
            } else {
                f64::NEG_INFINITY
            }
        };
        let start = near / LANES * LANES;
        let (mut lo, mut hi, mut blk) = (start, start, 2 * LANES);
        let ln_eps = EPS_F32.ln();
        loop {
            let cur = ln_sum(m, s) + ln_eps;
            let (right, left) = (self.right_open(z, hi, cur), self.left_open(z, lo, cur));
            if !right && !left {
                return ln_sum(m, s);
            }
            if right {
                let e = (hi + blk).min(np);
                self.add_fast::<FMA>(zh, zl, hi, e, &mut m, &mut s);
                hi = e;
            }
            if left {
                let a = lo.saturating_sub(blk);
                self.add_fast::<FMA>(zh, zl, a, lo, &mut m, &mut s);
                lo = a;
            }
            blk = (blk * 2).min(MAX_BLOCK);
        }
    }

    /// Plain loops, not iterator adaptors: a closure passed to `fold` would be compiled
    /// outside the caller's `target_feature` context (and `mul_add` there is a libm call).
    #[inline(always)]
    fn sum_log_sums_generic<const FMA: bool>(&self, zs: &[f64], fast: bool) -> f64 {
        let mut total = 0.0;
        if fast {
            for &z in zs {
                total += self.log_sum_fast::<FMA>(z);
            }
        } else {
            let mut buf = vec![0.0; MAX_BLOCK];
            for &z in zs {
                total += self.log_sum(z, &mut buf);
            }
        }
        total
    }

    /// Σ_s logsumexp_n log q(z_s | x_n) over the samples `zs`. `fast` evaluates the terms by
    /// the fused f32 kernel: absolute error per sample ≤ 1e-6·(1 + |log-sum|) (observed
    /// ≤ 2e-7·(1 + |log-sum|); f32 rounding of c, h, d² and of 2^x), against ~1e-13 relative
    /// for the f64 path; several times faster.
    pub fn sum_log_sums(&self, zs: &[f64], fast: bool) -> f64 {
        #[cfg(all(target_arch = "x86_64", not(target_arch = "wasm32")))]
        {
            if std::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU supports AVX-512F (checked just above).
                return unsafe { self.sum_log_sums_avx512(zs, fast) };
            }
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                // SAFETY: the CPU supports AVX2 and FMA (checked just above).
                return unsafe { self.sum_log_sums_avx2(zs, fast) };
            }
        }
        self.sum_log_sums_generic::<false>(zs, fast)
    }

    #[cfg(all(target_arch = "x86_64", not(target_arch = "wasm32")))]
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn sum_log_sums_avx512(&self, zs: &[f64], fast: bool) -> f64 {
        self.sum_log_sums_generic::<true>(zs, fast)
    }

    #[cfg(all(target_arch = "x86_64", not(target_arch = "wasm32")))]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn sum_log_sums_avx2(&self, zs: &[f64], fast: bool) -> f64 {
        self.sum_log_sums_generic::<true>(zs, fast)
    }
}
