//! f32 elementary functions for the host kernels' inner loops (the pairwise log-densities,
//! the Bernoulli likelihood): branch-free arithmetic that the compiler turns into vector
//! code (AVX2 natively, SIMD128 in the page), where libm's scalar `expf` / `log1pf` calls
//! cannot be vectorised. Each is within a few f32 ulps of the exact value (tests below).

/// exp(x) for x ≤ 0 (log-sum-exp shifts, e^(−|l|)), relative error ≈ 2e-7 (Cephes' expf
/// polynomial; 2ⁿ built from the bits). Below −87 it returns e^(−87) ≈ 1.6e-38.
#[inline(always)]
pub fn exp_nonpositive(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // 1.5·2²³: adding it rounds to an integer held in the low mantissa bits.
    const SHIFTER: f32 = 12_582_912.0;
    let x = x.max(-87.0);
    let f = x * LOG2E + SHIFTER;
    let n = f - SHIFTER;
    let r = x - n * 0.693_359_4 - n * -2.121_944_4e-4;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    p = p * r + 0.5;
    let e = p * r * r + r + 1.0;
    let bits = (f.to_bits() as i32).wrapping_sub(0x4B40_0000); // n as an integer
    e * f32::from_bits(((bits + 127) << 23) as u32)
}

/// log(1 + e) for e ∈ [0, 1], relative error ≈ 1e-7, through
/// log(1 + e) = 2·atanh(s), s = e / (2 + e) ∈ [0, 1/3]: the odd series
/// 2s(1 + s²/3 + s⁴/5 + … + s¹²/13) has no cancellation for small e (where 1 + e would
/// round away e's low bits) and its first omitted term is below 2e-8 of the sum.
#[inline(always)]
pub fn log1p_unit(e: f32) -> f32 {
    let s = e / (2.0 + e);
    let w = s * s;
    let mut p = 1.0 / 13.0;
    p = p * w + 1.0 / 11.0;
    p = p * w + 1.0 / 9.0;
    p = p * w + 1.0 / 7.0;
    p = p * w + 1.0 / 5.0;
    p = p * w + 1.0 / 3.0;
    p = p * w + 1.0;
    2.0 * s * p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_f64_on_the_log_sum_exp_range() {
        let mut worst = 0.0f64;
        for i in 0..=200_000 {
            let x = -87.0 * i as f64 / 200_000.0;
            let got = exp_nonpositive(x as f32) as f64;
            let want = (x as f32 as f64).exp();
            worst = worst.max(((got - want) / want).abs());
        }
        assert!(worst < 5e-7, "relative error {worst:e}");
        assert_eq!(exp_nonpositive(0.0), 1.0);
        // Far below the range: a negligible positive number, never NaN or a wrap-around.
        let tiny = exp_nonpositive(-1e30);
        assert!((0.0..1e-37).contains(&tiny), "{tiny}");
    }

    #[test]
    fn log1p_matches_f64_on_the_unit_interval() {
        let mut worst = 0.0f64;
        // Uniform on [0, 1] and log-spaced down to 1e-30 (e^(−|l|) for large |l|).
        let grid = (0..=100_000)
            .map(|i| i as f64 / 100_000.0)
            .chain((0..=3000).map(|i| 10f64.powf(-30.0 * i as f64 / 3000.0)));
        for e in grid {
            let e = e as f32 as f64;
            let got = log1p_unit(e as f32) as f64;
            let want = e.ln_1p();
            if want > 0.0 {
                worst = worst.max(((got - want) / want).abs());
            } else {
                assert_eq!(got, 0.0);
            }
        }
        assert!(worst < 3e-7, "relative error {worst:e}");
    }
}
