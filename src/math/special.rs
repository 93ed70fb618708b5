//! Host-side special functions for the priors: log(2π) and log Γ.

/// log(2π), correctly rounded.
pub const LOG_2PI: f64 = 1.837_877_066_409_345_5;

/// log |Γ(x)| (the `libm` crate's port of musl's `lgamma`, accurate to about 1 ulp; the
/// standard library's `ln_gamma` is not stable yet).
pub fn lgamma(x: f64) -> f64 {
    libm::lgamma(x)
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
}
