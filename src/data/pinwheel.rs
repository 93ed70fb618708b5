//! Adams' pinwheel, as used by "Disentangling Disentanglement" (Mathieu et al. 2019), in two
//! generators:
//!
//! - [`matlab_pinwheel`]: Adams' MATLAB `pinwheel.m`, which DD's reference runs
//!   (`scripts/gen_pinwheel_small.sh`: `pinwheel(0.1, 0.3, 4, 100, 0.25)`). Its code scales the
//!   radial feature by its *second* argument (`diag([tangential_std radial_std])`), so that
//!   call draws radius std 0.3 and tangential std 0.1;
//! - [`pinwheel`]: Adams' Python generator (autograd's example) with radial std 0.3 and
//!   tangential std 0.1, docs/methods.md §2.2.
//!
//! Both therefore draw the same distribution; they differ in the order of the random draws.
//! Unlike Adams' Python code the points are neither scaled by 10 nor shuffled: they come class
//! by class with their labels (full-batch training ignores order).

use super::PointSet;
use crate::rng::Rng;
pub use crate::settings::PinwheelVariant;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// Parameters of the pinwheel generator (defaults: DD's 4-arm setting, docs/methods.md §2.2).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PinwheelConfig {
    /// Std of the radial feature r ~ 1 + radial_std·N(0, 1).
    pub radial_std: f64,
    /// Std of the tangential feature t ~ tangential_std·N(0, 1).
    pub tangential_std: f64,
    /// Number of arms (classes).
    pub num_classes: usize,
    /// Points per arm.
    pub num_per_class: usize,
    /// How fast an arm turns with the radius: angle += rate·exp(r).
    pub rate: f64,
}

impl Default for PinwheelConfig {
    fn default() -> Self {
        Self {
            radial_std: 0.3,
            tangential_std: 0.1,
            num_classes: 4,
            num_per_class: 100,
            rate: 0.25,
        }
    }
}

/// Random stream label for the pinwheel, so it never shares a stream with other consumers of
/// the same seed.
const PINWHEEL_STREAM: u64 = 0x5049_4e57; // "PINW"
/// Mixed into the stream of the MATLAB generator, so its draws differ from the Python one's.
const MATLAB_STREAM: u64 = 0x4d41_544c; // "MATL"

/// The default pinwheel (400 points, 4 arms) for `seed`.
pub fn generate(seed: u64) -> PointSet {
    pinwheel(&PinwheelConfig::default(), seed)
}

/// The pinwheel of `variant` for `seed`: DD's reference data (`matlab`, 400 points) or the
/// Python generator's default (`adams`).
pub fn generate_variant(variant: PinwheelVariant, seed: u64) -> PointSet {
    match variant {
        PinwheelVariant::Matlab => matlab_pinwheel(&MATLAB_CALL, seed),
        PinwheelVariant::Adams => generate(seed),
    }
}

/// The arguments of DD's call `pinwheel(0.1, 0.3, 4, 100, 0.25)`, named as `pinwheel.m`
/// names them (`radial_std` = 0.1, `tangential_std` = 0.3).
pub const MATLAB_CALL: PinwheelConfig = PinwheelConfig {
    radial_std: 0.1,
    tangential_std: 0.3,
    num_classes: 4,
    num_per_class: 100,
    rate: 0.25,
};

/// Adams' MATLAB `pinwheel.m` line by line: `features = randn(N, 2) *
/// diag([tangential_std radial_std]) + [1 0]` (MATLAB fills the N × 2 draws column by
/// column), labels class by class, `angles = rads(labels) + rate·exp(features(:, 1))`, and each
/// row times `[cos −sin; sin cos]`. Note the diagonal: the first feature, which becomes the
/// radius, has std `tangential_std`.
pub fn matlab_pinwheel(config: &PinwheelConfig, seed: u64) -> PointSet {
    let mut rng = Rng::derive(seed, PINWHEEL_STREAM ^ MATLAB_STREAM);
    let n = config.num_classes * config.num_per_class;
    // randn([N 2]) in MATLAB's column-major order: column 1, then column 2.
    let col1: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let col2: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
    let (mut x, mut labels) = (Vec::with_capacity(2 * n), Vec::with_capacity(n));
    for i in 0..n {
        let class = i / config.num_per_class;
        let f1 = col1[i] * config.tangential_std + 1.0;
        let f2 = col2[i] * config.radial_std;
        let rad = 2.0 * PI * class as f64 / config.num_classes as f64;
        let (sin, cos) = (rad + config.rate * f1.exp()).sin_cos();
        // [f1 f2] · [cos −sin; sin cos].
        x.push((f1 * cos + f2 * sin) as f32);
        x.push((-f1 * sin + f2 * cos) as f32);
        labels.push(class as u32);
    }
    PointSet { dim: 2, x, labels }
}

/// Points of a pinwheel: for each arm k and point, f = (r, t) with r = 1 + σ_r·N(0,1),
/// t = σ_t·N(0,1), a = 2π·k/K + rate·exp(r), point = (r cos a + t sin a, −r sin a + t cos a).
pub fn pinwheel(config: &PinwheelConfig, seed: u64) -> PointSet {
    let mut rng = Rng::derive(seed, PINWHEEL_STREAM);
    let n = config.num_classes * config.num_per_class;
    let (mut x, mut labels) = (Vec::with_capacity(2 * n), Vec::with_capacity(n));
    for class in 0..config.num_classes {
        let base = 2.0 * PI * class as f64 / config.num_classes as f64;
        for _ in 0..config.num_per_class {
            // Adams draws randn(N, 2) row by row: radial then tangential.
            let r = 1.0 + config.radial_std * rng.normal();
            let t = config.tangential_std * rng.normal();
            let (sin, cos) = (base + config.rate * r.exp()).sin_cos();
            // (r, t) · [[cos, −sin], [sin, cos]] (einsum 'ti,tij->tj' in Adams' code).
            x.push((r * cos + t * sin) as f32);
            x.push((-r * sin + t * cos) as f32);
            labels.push(class as u32);
        }
    }
    PointSet { dim: 2, x, labels }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn radius_stats(p: &PointSet) -> (f64, f64) {
        let r: Vec<f64> = (0..p.len())
            .map(|i| f64::from(p.point(i)[0]).hypot(p.point(i)[1].into()))
            .collect();
        let mean = r.iter().sum::<f64>() / r.len() as f64;
        let var = r.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / r.len() as f64;
        (mean, var.sqrt())
    }

    #[test]
    fn radius_matches_the_golden_statistics() {
        // golden expected.json `pinwheel_dd_seed0_stats`: mean 0.985, std 0.295 (n = 400).
        for seed in 0..6 {
            let (mean, std) = radius_stats(&generate(seed));
            println!("seed {seed}: radius mean {mean:.4} std {std:.4}");
            assert!((mean - 1.0).abs() < 0.05, "seed {seed}: mean {mean}");
            assert!((std - 0.3).abs() < 0.04, "seed {seed}: std {std}");
        }
    }

    #[test]
    fn exactly_100_per_class_and_deterministic() {
        let p = generate(3);
        assert_eq!((p.len(), p.dim, p.x.len()), (400, 2, 800));
        for k in 0..4 {
            assert_eq!(p.labels.iter().filter(|&&l| l == k).count(), 100);
        }
        assert_eq!(p, generate(3));
        assert_ne!(p, generate(4));
    }

    #[test]
    fn arms_point_where_the_formula_says() {
        // With both stds 0 every point of arm k sits at radius 1, angle −(2πk/4 + 0.25·e).
        let cfg = PinwheelConfig {
            radial_std: 0.0,
            tangential_std: 0.0,
            ..Default::default()
        };
        let p = pinwheel(&cfg, 0);
        for k in 0..4 {
            let a = 2.0 * PI * k as f64 / 4.0 + 0.25 * 1f64.exp();
            let q = p.point(k * 100);
            assert!((f64::from(q[0]) - a.cos()).abs() < 1e-6);
            assert!((f64::from(q[1]) + a.sin()).abs() < 1e-6);
        }
    }

    #[test]
    fn matlab_generator_scales_the_radius_by_its_second_argument() {
        // DD's call (0.1, 0.3): radius std 0.3 like the Python default, 100 per arm, in order.
        for seed in 0..6 {
            let p = generate_variant(PinwheelVariant::Matlab, seed);
            assert_eq!((p.len(), p.labels[99], p.labels[100]), (400, 0, 1));
            let (mean, std) = radius_stats(&p);
            assert!((mean - 1.0).abs() < 0.05, "seed {seed}: mean {mean}");
            assert!((std - 0.3).abs() < 0.04, "seed {seed}: std {std}");
        }
        // With the second argument 0 every radius feature is exactly 1: the first argument
        // only moves points along the tangent, so |x|² = 1 + t², t ~ N(0, 0.1²).
        let tangent_only = PinwheelConfig {
            radial_std: 0.1,
            tangential_std: 0.0,
            ..MATLAB_CALL
        };
        let p = matlab_pinwheel(&tangent_only, 1);
        let t2: Vec<f64> = (0..p.len())
            .map(|i| {
                let q = p.point(i);
                f64::from(q[0]).powi(2) + f64::from(q[1]).powi(2) - 1.0
            })
            .collect();
        assert!(t2.iter().all(|&v| v >= -1e-6));
        let t_std = (t2.iter().sum::<f64>() / t2.len() as f64).sqrt();
        assert!((t_std - 0.1).abs() < 0.015, "tangential std {t_std}");
        // The Python generator with the same arguments moves the radius instead.
        let (_, r_std) = radius_stats(&pinwheel(&tangent_only, 1));
        assert!((r_std - 0.1).abs() < 0.015, "radius std {r_std}");
    }

    #[test]
    fn matlab_arms_point_where_pinwheel_m_says() {
        // Both stds 0: arm k sits at radius 1, angle rads(k) + 0.25·e, rotated as row · R.
        let cfg = PinwheelConfig {
            radial_std: 0.0,
            tangential_std: 0.0,
            ..MATLAB_CALL
        };
        let p = matlab_pinwheel(&cfg, 0);
        for k in 0..4 {
            let a = 2.0 * PI * k as f64 / 4.0 + 0.25 * 1f64.exp();
            let q = p.point(k * 100 + 7);
            assert!((f64::from(q[0]) - a.cos()).abs() < 1e-6);
            assert!((f64::from(q[1]) + a.sin()).abs() < 1e-6);
        }
    }
}
