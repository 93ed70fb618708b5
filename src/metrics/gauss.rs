//! Gaussian log-densities and fast, exact-enough `logsumexp_n log q(z | x_n)` kernels for the
//! Chen entropy estimator.
//!
//! q(z_j | x_n) = N(μ_nj, σ²_nj) with σ² = exp(logvar) (natural-log variances), so
//! log q = c_n − h_n·(z − μ_n)², c_n = −½(log 2π + logvar_n), h_n = ½·exp(−logvar_n).
//!
//! Speed: per dimension the components are sorted by mean and summed outwards from z in
//! growing blocks; a direction stops once the remaining components provably add less than
//! `EPS` relative to the running sum (bound: count · exp(max c − min h · d²), d the distance
//! to the nearest remaining mean). Two kernels evaluate the blocks:
//! - the exact path: f64 terms, then a max pass and an exp pass (polynomial exp, relative
//!   error < 3e-13), ~1e-13 relative per log-sum;
//! - the fast path: one fused f32 pass per block in log₂ units (d from a hi/lo split of μ,
//!   t = (c − h·d²)·log₂e, a polynomial 2^x with relative error ≤ 2.5e-7, lanes summed 4
//!   tiles at a time in f32 and then in f64) against a running shift, redone in the rare case
//!   a term overshoots it; absolute error per log-sum ≤ 1e-6·(1 + |value|), observed
//!   ≤ 2e-7·(1 + |value|) against brute force (`fast_path_matches_brute_force_per_sample`).
//!
//! Both are branch-free with lane accumulators so they vectorise; natively the AVX-512 or
//! AVX2+FMA version is picked at run time (the loops must stay plain `for` loops: a closure
//! handed to an iterator adaptor is compiled outside the `target_feature` context).

use std::f64::consts::{LN_2, LOG2_E};

pub use crate::math::special::LOG_2PI;
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
    let kr = x * LOG2_E + MAGIC;
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

/// Lanes of the fused f32 kernel (one AVX-512 register of f32, or two AVX2 registers).
const LANES: usize = 16;

/// Tiles summed in f32 before the partial sums go into f64 (4 in f32 is as fast as all).
const GROUP: usize = 4;

/// `a·b + c`: one fused multiply-add where the CPU has FMA (`FMA`), else a multiply and an add
/// (a software `mul_add` would be slow and would not vectorise).
#[inline(always)]
fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// 2^x in f32 for any x, clamped to x ∈ [−125, 115] (so 2^k stays a normal number and the
/// result finite): x = k + r with k = round(x) and |r| ≤ ½ (r exact), then a degree-6
/// Chebyshev fit of 2^r on [−½, ½] (mpmath `chebyfit`, max relative error 2.5e-9), times 2^k
/// built from the exponent bits. Branch-free, so a loop over it vectorises. Max relative error
/// ≤ 2.5e-7 over the whole range, f32 rounding included (see `fast_exp_is_accurate`), with
/// or without FMA.
#[inline(always)]
fn exp2_f32<const FMA: bool>(x: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0; // 1.5·2^23: adding it rounds to an integer
    const P: [f32; 7] = [
        1.546_144_5e-4,
        1.340_042_8e-3,
        9.618_057e-3,
        5.550_327e-2,
        2.402_265e-1,
        6.931_472e-1,
        1.0,
    ];
    let x = if x > -125.0 { x } else { -125.0 };
    let x = if x < 115.0 { x } else { 115.0 };
    let kr = x + MAGIC;
    let r = x - (kr - MAGIC);
    let mut p = P[0];
    for &c in &P[1..] {
        p = madd::<FMA>(p, r, c);
    }
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
}

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

/// f32 copies of a [`SortedMixture`] for the fused kernel. μ is split into μ_hi = f32(μ) and
/// μ_lo = f32(μ − μ_hi), so d = (z_hi − μ_hi) + (z_lo − μ_lo) keeps the relative precision of
/// f32 (≤ 2·2⁻²⁴ when z and μ are close, where z_hi − μ_hi is exact by Sterbenz' lemma;
/// when they are far apart, rounding relative to |d| itself) however sharp the posterior.
/// h and c are stored times log₂e, so the kernel works in log₂ units and needs only 2^x.
/// Padding components have h = 0, c = −1e30: their terms vanish (2^x clamps to 2⁻¹²⁵).
struct Tiles32 {
    /// Whether every μ, h and c is comfortably inside f32's range (|μ|, h < 1e30); if not,
    /// the fast path falls back to the f64 one.
    ok: bool,
    mu_hi: Vec<f32>,
    mu_lo: Vec<f32>,
    h: Vec<f32>,
    c: Vec<f32>,
}

impl Tiles32 {
    fn new(mu: &[f64], h: &[f64], c: &[f64]) -> Self {
        let np = mu.len().div_ceil(LANES) * LANES;
        let pad = |v: Vec<f32>, x: f32| {
            let mut v = v;
            v.resize(np, x);
            v
        };
        let hi: Vec<f32> = mu.iter().map(|&m| m as f32).collect();
        let lo: Vec<f32> = mu
            .iter()
            .zip(&hi)
            .map(|(&m, &h)| (m - f64::from(h)) as f32)
            .collect();
        let ok = mu.iter().all(|m| m.abs() < 1e30)
            && h.iter().all(|&h| h > 0.0 && h < 1e29)
            && c.iter().all(|c| c.abs() < 1e30);
        Self {
            ok,
            mu_hi: pad(hi, 0.0),
            mu_lo: pad(lo, 0.0),
            h: pad(h.iter().map(|&v| (v * LOG2_E) as f32).collect(), 0.0),
            c: pad(c.iter().map(|&v| (v * LOG2_E) as f32).collect(), -1e30),
        }
    }

    /// (Σ_{n∈[a,b)} 2^(t_n − shift), max_n t_n) with t_n = (c_n − h_n·d_n²)·log₂e (log₂
    /// units), in one branch-free pass over [a, b) (a, b multiples of [`LANES`]). Each 2^x
    /// argument is clamped to [−125, 115], so a caller must redo the block when
    /// max t > shift + 115. Lanes sum [`GROUP`] tiles in f32 (≤ 4 additions: ≤ 2.4e-7
    /// relative), then go into f64.
    #[inline(always)]
    fn sum_exp<const FMA: bool>(
        &self,
        zh: f32,
        zl: f32,
        a: usize,
        b: usize,
        shift: f32,
    ) -> (f64, f32) {
        let mut acc = [0.0f64; LANES];
        let mut mx = [f32::NEG_INFINITY; LANES];
        let (mh, ml, h, c) = (
            &self.mu_hi[a..b],
            &self.mu_lo[a..b],
            &self.h[a..b],
            &self.c[a..b],
        );
        let mut i = 0;
        while i < b - a {
            let e = (i + GROUP * LANES).min(b - a);
            let mut part = [0.0f32; LANES];
            let tiles = mh[i..e]
                .chunks_exact(LANES)
                .zip(ml[i..e].chunks_exact(LANES))
                .zip(h[i..e].chunks_exact(LANES))
                .zip(c[i..e].chunks_exact(LANES));
            for (((mh, ml), h), c) in tiles {
                for l in 0..LANES {
                    let d = (zh - mh[l]) + (zl - ml[l]);
                    let t = madd::<FMA>(-(h[l] * d), d, c[l]);
                    mx[l] = if t > mx[l] { t } else { mx[l] };
                    part[l] += exp2_f32::<FMA>(t - shift);
                }
            }
            for l in 0..LANES {
                acc[l] += f64::from(part[l]);
            }
            i = e;
        }
        let m = mx
            .iter()
            .fold(f32::NEG_INFINITY, |a, &b| if b > a { b } else { a });
        (acc.iter().sum(), m)
    }
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

    /// Max relative error of [`exp2_f32`] against f64 `exp2` on a grid of step 1e-4 over its
    /// whole range [−125, 115].
    fn exp2_f32_max_rel_err<const FMA: bool>() -> f64 {
        let mut worst = 0.0f64;
        for i in 0..=2_400_000 {
            let x = -125.0 + i as f32 * 1e-4;
            let (a, b) = (f64::from(exp2_f32::<FMA>(x)), f64::from(x).exp2());
            worst = worst.max((a - b).abs() / b);
        }
        worst
    }

    #[test]
    fn fast_exp_is_accurate() {
        for (fma, e) in [
            (false, exp2_f32_max_rel_err::<false>()),
            (true, exp2_f32_max_rel_err::<true>()),
        ] {
            println!("exp2_f32 (fma {fma}): max relative error {e:.2e}");
            assert!(e <= 2.5e-7, "fma {fma}: {e}");
        }
        // Out of range: clamped, finite and positive.
        assert_eq!(exp2_f32::<false>(-1e6), exp2_f32::<false>(-125.0));
        assert!(exp2_f32::<false>(-1e6) > 0.0 && exp2_f32::<true>(1e6).is_finite());
        assert_eq!(exp2_f32::<false>(0.0), 1.0);
        assert_eq!(exp2_f32::<true>(-3.0), 0.125);
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

    /// The fused f32 kernel against brute-force f64, sample by sample, on mixtures chosen to
    /// stress it: sizes that are not multiples of the tile, mixed sharp and wide components
    /// (logvar from −14 to 3, so the nearest mean is not the largest term and the shift must
    /// be redone), duplicated means, samples far outside and between clusters. Bound per
    /// sample: |fast − exact| ≤ 1e-6·(1 + |exact|) (observed ≲ 2e-7).
    #[test]
    fn fast_path_matches_brute_force_per_sample() {
        let mut r = Rng::new(5);
        let mut worst = 0.0f64;
        for &(n, spread, lv_lo, lv_hi) in &[
            (1, 1.0, 0.0, 0.0),
            (15, 1.0, -2.0, 0.0),
            (17, 0.3, -14.0, 3.0),
            (333, 2.0, -14.0, 3.0),
            (1000, 1.0, -9.0, -7.0),
            (2100, 0.02, -0.1, 0.1),
            (5000, 1.0, -5.0, 1.0),
        ] {
            let mut mu: Vec<f64> = (0..n).map(|_| spread * r.normal()).collect();
            if n > 10 {
                mu[1] = mu[0];
                // A tight cluster far away: a sharp component next to wide ones.
                mu[2] = 7.0;
                mu[3] = 7.0 + 1e-9;
            }
            let lv: Vec<f64> = (0..n).map(|_| r.uniform_range(lv_lo, lv_hi)).collect();
            let zs: Vec<f64> = (0..n.min(400))
                .map(|i| mu[i] + (0.5 * lv[i]).exp() * r.normal())
                .chain([50.0, -40.0, 7.0 + 3e-10, 3.5, 0.0, 1e-12, 1e3])
                .collect();
            let m = SortedMixture::new(mu.iter().copied().zip(lv.iter().copied()));
            for &z in &zs {
                let exact = brute(&mu, &lv, &[z]);
                let fast = m.sum_log_sums(&[z], true);
                let err = (fast - exact).abs() / (1.0 + exact.abs());
                assert!(err <= 1e-6, "n={n} z={z}: fast {fast} vs exact {exact}");
                worst = worst.max(err);
            }
        }
        println!("fast path: worst |Δ|/(1 + |exact|) = {worst:.2e}");
    }

    /// Out-of-range inputs fall back to the f64 path instead of overflowing f32.
    #[test]
    fn fast_path_falls_back_outside_f32_range() {
        let (mu, lv) = ([0.0, 1.0, 2e30], [0.0, -100.0, 1.0]);
        let m = SortedMixture::new(mu.iter().copied().zip(lv.iter().copied()));
        for z in [0.3, 1.0, -5.0, 1e31] {
            let (a, b) = (m.sum_log_sums(&[z], true), brute(&mu, &lv, &[z]));
            assert!((a - b).abs() <= 1e-10 * (1.0 + b.abs()), "{z}: {a} vs {b}");
        }
    }
}
