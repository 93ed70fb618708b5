//! The fused f32 kernel of the fast path: f32 tiles of a sorted mixture and the
//! polynomial 2^x they are summed with (see the parent module).

use std::f64::consts::LOG2_E;

/// Lanes of the fused f32 kernel (one AVX-512 register of f32, or two AVX2 registers).
pub(super) const LANES: usize = 16;

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
pub(super) fn exp2_f32<const FMA: bool>(x: f32) -> f32 {
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

/// f32 copies of a [`SortedMixture`](super::SortedMixture) for the fused kernel. μ is split into μ_hi = f32(μ) and
/// μ_lo = f32(μ − μ_hi), so d = (z_hi − μ_hi) + (z_lo − μ_lo) keeps the relative precision of
/// f32 (≤ 2·2⁻²⁴ when z and μ are close, where z_hi − μ_hi is exact by Sterbenz' lemma;
/// when they are far apart, rounding relative to |d| itself) however sharp the posterior.
/// h and c are stored times log₂e, so the kernel works in log₂ units and needs only 2^x.
/// Padding components have h = 0, c = −1e30: their terms vanish (2^x clamps to 2⁻¹²⁵).
pub(super) struct Tiles32 {
    /// Whether every μ, h and c is comfortably inside f32's range (|μ|, h < 1e30); if not,
    /// the fast path falls back to the f64 one.
    pub(super) ok: bool,
    pub(super) mu_hi: Vec<f32>,
    pub(super) mu_lo: Vec<f32>,
    pub(super) h: Vec<f32>,
    pub(super) c: Vec<f32>,
}

impl Tiles32 {
    pub(super) fn new(mu: &[f64], h: &[f64], c: &[f64]) -> Self {
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
    pub(super) fn sum_exp<const FMA: bool>(
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
