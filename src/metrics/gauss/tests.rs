use super::kernel::exp2_f32;
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
