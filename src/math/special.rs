//! Host-side special functions for the priors: log(2π), log Γ and the Student-t's quantile
//! map onto N(0, 1).

/// log(2π), correctly rounded.
pub const LOG_2PI: f64 = 1.837_877_066_409_345_5;

/// log |Γ(x)| (the `libm` crate's port of musl's `lgamma`, accurate to about 1 ulp; the
/// standard library's `ln_gamma` is not stable yet).
pub fn lgamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// The monotone (optimal-transport) map of one Student-t_ν coordinate onto N(0, 1),
/// Φ⁻¹(F_ν(t)): what DD's code applies to a Student-t model's codes before it scores their
/// disentanglement (`analyse.py`: `scipy.stats.t.cdf`, then `Normal(0, 1).icdf`). NaN stays
/// NaN; ν must be positive (the prior's validation ensures it).
pub fn student_t_to_normal(t: f64, nu: f64) -> f64 {
    if t.is_nan() || nu.is_nan() || nu <= 0.0 {
        return f64::NAN;
    }
    if t == 0.0 {
        return t; // the median maps to the median exactly
    }
    // With x = ν/(ν+t²) and y = t²/(ν+t²) = 1 − x (each computed directly), the two-sided tail
    // is 2Q(|t|) = I_x(ν/2, ½) and the central mass P(|T| < |t|) = I_y(½, ν/2). Each is taken
    // where its continued fraction converges fast (Numerical Recipes' switch, x < (a+1)/(a+b+2)),
    // so neither a far code nor one near 0 loses its precision: z = √2·erfc⁻¹(2Q) in the tail
    // and √2·erf⁻¹(P(|T| < |t|)) near the centre. (`puruspe::betai` alone switches at
    // (a+1)/(a+2b), which for b = ½ never switches: near x = 1 its fraction stops short and
    // returned z ≈ 2.7 for t = 10⁻⁶.) t = ±∞ gives x = 0 and erfc⁻¹'s cap, about ±141.
    let (a, b) = (0.5 * nu, 0.5);
    let t2 = t * t;
    let x = nu / (nu + t2);
    let z = if x < (a + 1.0) / (a + b + 2.0) {
        std::f64::consts::SQRT_2 * puruspe::inverfc(puruspe::betai(a, b, x.clamp(0.0, 1.0)))
    } else {
        let y = t2 / (nu + t2);
        std::f64::consts::SQRT_2 * puruspe::inverf(puruspe::betai(b, a, y.clamp(0.0, 1.0)))
    };
    z.abs().copysign(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Φ(z) = ½ erfc(−z/√2), from `libm`, independent of the map's own erfc⁻¹.
    fn normal_cdf(z: f64) -> f64 {
        0.5 * libm::erfc(-z / std::f64::consts::SQRT_2)
    }

    /// F_ν(t) by Simpson's rule on the density from 0 to t (brute force, any ν).
    fn t_cdf_by_quadrature(t: f64, nu: f64) -> f64 {
        let log_c =
            lgamma((nu + 1.0) / 2.0) - lgamma(nu / 2.0) - 0.5 * (nu * std::f64::consts::PI).ln();
        let pdf = |u: f64| (log_c - (nu + 1.0) / 2.0 * (u * u / nu).ln_1p()).exp();
        let n = 20_000;
        let h = t / n as f64;
        let inner: f64 = (1..n)
            .map(|i| pdf(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 })
            .sum();
        0.5 + h / 3.0 * (pdf(0.0) + inner + pdf(t))
    }

    #[test]
    fn the_student_t_map_matches_closed_form_cdfs() {
        use std::f64::consts::PI;
        // ν = 1 (Cauchy), 2 and 3 have closed-form CDFs; Φ of the mapped value must equal them.
        type Cdf = fn(f64) -> f64;
        let cdfs: [(f64, Cdf); 3] = [
            (1.0, |t| 0.5 + t.atan() / PI),
            (2.0, |t| 0.5 + t / (2.0 * (2.0 + t * t).sqrt())),
            (3.0, |t| {
                let s = t / 3f64.sqrt();
                0.5 + (s / (1.0 + s * s) + s.atan()) / PI
            }),
        ];
        for (nu, cdf) in cdfs {
            for t in [
                -40.0, -5.0, -1.3, -0.2, 0.0, 1e-9, 1e-5, 0.01, 0.7, 2.0, 9.0, 40.0,
            ] {
                let z = student_t_to_normal(t, nu);
                let (got, want) = (normal_cdf(z), cdf(t));
                assert!(
                    (got - want).abs() < 1e-10,
                    "ν = {nu}, t = {t}: Φ(map) = {got}, F_ν(t) = {want}"
                );
            }
        }
    }

    /// Near 0 the map is linear with slope f_ν(0)/φ(0), the ratio of the two densities at the
    /// median (the codes of collapsed latents live there).
    #[test]
    fn the_student_t_map_near_zero_has_the_ratio_of_the_densities_as_its_slope() {
        for nu in [1.0, 3.0, 9.0, 100.0] {
            let f0 = (lgamma((nu + 1.0) / 2.0)
                - lgamma(nu / 2.0)
                - 0.5 * (nu * std::f64::consts::PI).ln())
            .exp();
            let slope = f0 * (2.0 * std::f64::consts::PI).sqrt();
            for t in [1e-12, 1e-9, 1e-6, 1e-4, 1e-3] {
                let z = student_t_to_normal(t, nu);
                assert!(
                    (z / t - slope).abs() < 1e-3 * slope,
                    "ν = {nu}, t = {t}: z = {z}, slope {slope}"
                );
            }
        }
    }

    #[test]
    fn the_student_t_map_matches_quadrature_at_the_papers_nu() {
        for t in [0.3, 1.0, 2.5, 6.0] {
            let (got, want) = (
                normal_cdf(student_t_to_normal(t, 9.0)),
                t_cdf_by_quadrature(t, 9.0),
            );
            assert!((got - want).abs() < 1e-9, "t = {t}: {got} vs {want}");
        }
    }

    #[test]
    fn the_student_t_map_is_odd_monotone_and_shrinks_the_tails() {
        let ts: Vec<f64> = (-200..=200).map(|i| i as f64 * 0.05).collect();
        let zs: Vec<f64> = ts.iter().map(|&t| student_t_to_normal(t, 9.0)).collect();
        assert!(zs.windows(2).all(|w| w[0] < w[1]), "not increasing");
        for (&t, &z) in ts.iter().zip(&zs) {
            assert_eq!(z, -student_t_to_normal(-t, 9.0), "not odd at {t}");
            // A heavier tail than the Gaussian's: beyond the shoulder the map pulls inwards.
            if t.abs() > 2.0 {
                assert!(z.abs() < t.abs(), "t = {t} mapped outwards to {z}");
            }
        }
        assert_eq!(student_t_to_normal(0.0, 9.0), 0.0);
        assert!(student_t_to_normal(f64::NAN, 9.0).is_nan());
        assert!(student_t_to_normal(f64::INFINITY, 9.0) > 8.0);
    }

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
}
