//! Host-side special functions for the priors: log Γ (Lanczos) and a Gamma sampler.

use crate::rng::Rng;

/// log(2π).
pub const LOG_2PI: f64 = 1.837_877_066_409_345_3;

/// Lanczos coefficients for g = 7, n = 9 (Numerical Recipes / Godfrey), good to ~1e-15.
const LANCZOS: [f64; 9] = [
    0.999_999_999_999_809_9,
    676.520_368_121_885_1,
    -1_259.139_216_722_402_8,
    771.323_428_777_653_1,
    -176.615_029_162_140_6,
    12.507_343_278_686_905,
    -0.138_571_095_265_720_12,
    9.984_369_578_019_572e-6,
    1.505_632_735_149_311_6e-7,
];

/// log |Γ(x)| by the Lanczos approximation (g = 7), with the reflection formula below ½.
pub fn lgamma(x: f64) -> f64 {
    use std::f64::consts::PI;
    if x < 0.5 {
        // Γ(x)Γ(1−x) = π / sin(πx).
        return (PI / (PI * x).sin()).abs().ln() - lgamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let series = LANCZOS[1..]
        .iter()
        .enumerate()
        .fold(LANCZOS[0], |acc, (i, c)| acc + c / (x + i as f64 + 1.0));
    0.5 * (2.0 * PI).ln() + (x + 0.5) * t.ln() - t + series.ln()
}

/// One draw from Gamma(shape, 1) by Marsaglia & Tsang (2000); shape < 1 via the boost
/// Gamma(a) = Gamma(a + 1)·U^{1/a}.
pub fn sample_gamma(shape: f64, rng: &mut Rng) -> f64 {
    assert!(shape > 0.0, "Gamma shape must be positive (got {shape})");
    if shape < 1.0 {
        let u = 1.0 - rng.uniform(); // (0, 1]
        return sample_gamma(shape + 1.0, rng) * u.powf(1.0 / shape);
    }
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = rng.normal();
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u = 1.0 - rng.uniform(); // (0, 1]
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lgamma_matches_known_values() {
        let cases = [
            (1.0, 0.0),
            (2.0, 0.0),
            (0.5, 0.572_364_942_924_700_1), // log √π
            (4.5, 2.453_736_570_842_442),   // log(11.631728…)
            (10.0, 12.801_827_480_081_469), // log 9!
            (0.1, 2.252_712_651_734_206),
            (-0.5, 1.265_512_123_484_645_4), // log |−2√π|
            (100.0, 359.134_205_369_575_4),
        ];
        for (x, want) in cases {
            let got = lgamma(x);
            assert!(
                (got - want).abs() < 1e-10 * want.abs().max(1.0),
                "lgamma({x}) = {got}, want {want}"
            );
        }
    }

    #[test]
    fn gamma_sampler_has_the_right_moments() {
        let mut rng = Rng::new(5);
        for shape in [0.5, 2.0, 4.5] {
            let n = 100_000;
            let xs: Vec<f64> = (0..n).map(|_| sample_gamma(shape, &mut rng)).collect();
            let mean = xs.iter().sum::<f64>() / n as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            // Mean = variance = shape; standard error of the mean √(shape/n) ≤ 0.007.
            assert!((mean - shape).abs() < 0.03, "shape {shape}: mean {mean}");
            assert!((var / shape - 1.0).abs() < 0.05, "shape {shape}: var {var}");
        }
    }
}
