//! Tests of [`super`] (priors.rs).

use super::*;

const Z: [[f32; 2]; 3] = [[0.3, -1.2], [2.0, 0.5], [-0.7, 0.0]];

fn device_log_prob(p: &Prior) -> Vec<f64> {
    let z = Tensor::<2>::from_floats(Z, &Device::flex());
    p.log_prob(z)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap()
        .into_iter()
        .map(f64::from)
        .collect()
}

fn check(p: &Prior, want: impl Fn(f64, f64) -> f64) {
    let got = device_log_prob(p);
    for (row, g) in Z.iter().zip(got) {
        let (a, b) = (row[0] as f64, row[1] as f64);
        let w = want(a, b);
        assert!((g - w).abs() < 1e-4, "{p:?} at ({a}, {b}): {g} vs {w}");
        let h = p.log_prob_host(&[a, b]);
        assert!((h - w).abs() < 1e-9, "{p:?} host at ({a}, {b}): {h} vs {w}");
    }
}

#[test]
fn gaussian_priors_match_closed_forms() {
    check(&Prior::Normal, |a, b| {
        -(a * a + b * b) / 2.0 - (2.0 * std::f64::consts::PI).ln()
    });
    let (s1, s2) = (0.5, 2.0);
    check(
        &Prior::Anisotropic {
            scales: vec![s1, s2],
        },
        |a, b| {
            let pdf = |x: f64, s: f64| {
                (-(x * x) / (2.0 * s * s)).exp() / (s * (2.0 * std::f64::consts::PI).sqrt())
            };
            (pdf(a, s1) * pdf(b, s2)).ln()
        },
    );
}

#[test]
fn student_t_matches_closed_form() {
    // ν = 1 is the Cauchy: p(x) = 1 / (π(1 + x²)); ν = 3: 6√3 / (π(3 + x²)²).
    use std::f64::consts::PI;
    check(&Prior::StudentT { nu: 1.0 }, |a, b| {
        -(PI * (1.0 + a * a)).ln() - (PI * (1.0 + b * b)).ln()
    });
    let t3 = |x: f64| (6.0 * 3f64.sqrt() / (PI * (3.0 + x * x).powi(2))).ln();
    check(&Prior::StudentT { nu: 3.0 }, |a, b| t3(a) + t3(b));
}

#[test]
fn mixture_matches_brute_force_sum() {
    let p = Prior::pinwheel();
    let Prior::Mixture { means, std } = &p else {
        unreachable!()
    };
    check(&p, |a, b| {
        let dens: f64 = means
            .iter()
            .map(|m| {
                let d2 = (a - m[0]).powi(2) + (b - m[1]).powi(2);
                (-d2 / (2.0 * std * std)).exp() / (2.0 * std::f64::consts::PI * std * std)
            })
            .sum();
        (dens / 4.0).ln()
    });
}

#[test]
fn samples_have_the_prior_moments() {
    let mut rng = Rng::new(11);
    let n = 40_000;
    let var0 = |p: &Prior, rng: &mut Rng| {
        let v = p.sample_host(n, 2, rng);
        v.iter().step_by(2).map(|x| x * x).sum::<f64>() / n as f64
    };
    assert!(
        (var0(
            &Prior::Anisotropic {
                scales: vec![0.5, 1.0]
            },
            &mut rng
        ) - 0.25)
            .abs()
            < 0.01
    );
    // Student-t variance ν/(ν − 2) = 9/7 at ν = 9.
    assert!((var0(&Prior::StudentT { nu: 9.0 }, &mut rng) - 9.0 / 7.0).abs() < 0.05);
    // Pinwheel: half the components sit at x = ±1, so E[x²] = ½ + std² = 0.53.
    assert!((var0(&Prior::pinwheel(), &mut rng) - 0.53).abs() < 0.02);
}

#[test]
fn validate_names_the_problem() {
    assert!(Prior::pinwheel().validate(2).is_ok());
    assert!(Prior::anisotropic_default(4).validate(4).is_ok());
    let e = Prior::pinwheel().validate(3).unwrap_err();
    assert!(e.contains("dimension 2") && e.contains("3 latents"), "{e}");
    let e = Prior::StudentT { nu: 0.0 }.validate(2).unwrap_err();
    assert!(e.contains("degrees of freedom"), "{e}");
    let e = Prior::Anisotropic {
        scales: vec![1.0, -1.0],
    }
    .validate(2)
    .unwrap_err();
    assert!(e.contains("scale"), "{e}");
    let e = Prior::Mixture {
        means: vec![vec![0.0]],
        std: 0.0,
    }
    .validate(1)
    .unwrap_err();
    assert!(e.contains("std"), "{e}");
}

#[test]
fn serde_is_kebab_case_and_default_keeps_total_variance() {
    let json = serde_json::to_string(&Prior::StudentT { nu: 9.0 }).unwrap();
    assert_eq!(json, r#"{"kind":"student-t","nu":9.0}"#);
    let back: Prior = serde_json::from_str(r#"{"kind":"normal"}"#).unwrap();
    assert_eq!(back, Prior::Normal);
    let Prior::Anisotropic { scales } = Prior::anisotropic_default(5) else {
        unreachable!()
    };
    assert!((scales.iter().map(|s| s * s).sum::<f64>() - 5.0).abs() < 1e-12);
    assert!(scales.windows(2).all(|w| w[0] > w[1]));
}

#[test]
fn dsprites_pca_prior_is_the_references_rule_on_the_stored_spectrum() {
    use crate::data::spectrum::GRAM_TOP_EIGENVALUES as S;
    // K·softmax(log pca[:K]) with pca smallest first: latent k gets S[19 − k]·K / Σ.
    for k in [1, 4, 10, 20] {
        let Some(Prior::Anisotropic { scales }) = Prior::dsprites_pca(k) else {
            panic!("no PCA prior for {k} latents")
        };
        let total: f64 = S[20 - k..].iter().sum();
        for (i, s) in scales.iter().enumerate() {
            let want = k as f64 * S[19 - i] / total;
            assert!((s * s - want).abs() < 1e-12 * want, "K = {k}, latent {i}");
        }
        assert!((scales.iter().map(|s| s * s).sum::<f64>() - k as f64).abs() < 1e-9);
        assert!(scales.windows(2).all(|w| w[0] <= w[1]), "smallest first");
        // The K largest instead, largest first: latent k gets S[k]·K / Σ.
        let Some(Prior::Anisotropic { scales }) = Prior::dsprites_pca_largest(k) else {
            panic!("no largest-values prior for {k} latents")
        };
        let total: f64 = S[..k].iter().sum();
        for (i, s) in scales.iter().enumerate() {
            let want = k as f64 * S[i] / total;
            assert!((s * s - want).abs() < 1e-12 * want, "K = {k}, latent {i}");
        }
    }
    assert!(Prior::dsprites_pca(21).is_none() && Prior::dsprites_pca_largest(21).is_none());
}

#[test]
fn occupancy_counts_nearest_components_and_its_entropy_is_the_closed_form() {
    let p = Prior::pinwheel(); // means (0,−1), (0,1), (1,0), (−1,0)

    // 3 points near (0,−1), 1 near (1,0), none elsewhere: shares ¾, 0, ¼, 0.
    let z = [0.1, -0.9, -0.2, -1.3, 0.0, -0.6, 0.8, 0.1];
    let o = p.occupancy(&z, 2).unwrap();
    assert_eq!(o.shares, vec![0.75, 0.0, 0.25, 0.0]);
    // Within 2·√0.03 = 0.346 of the nearest mean: (0.1, −0.9) yes (0.14), (−0.2, −1.3) no
    // (0.36), (0, −0.6) no (0.40), (0.8, 0.1) yes (0.22).
    assert_eq!(o.near, 0.5);
    let want = -(0.75f64 * 0.75f64.ln() + 0.25 * 0.25f64.ln());
    assert!((o.entropy - want).abs() < 1e-12, "{} vs {want}", o.entropy);
    // One point per component: log 4; two components equally: log 2; one: 0.
    let four = [0.0, -1.0, 0.0, 1.0, 1.0, 0.0, -1.0, 0.0];
    assert!((p.occupancy(&four, 2).unwrap().entropy - 4f64.ln()).abs() < 1e-12);
    let two = [0.0, -1.0, 0.0, 1.0, 0.1, -1.0, 0.1, 1.0];
    assert!((p.occupancy(&two, 2).unwrap().entropy - 2f64.ln()).abs() < 1e-12);
    assert_eq!(p.occupancy(&[5.0, 5.0], 2).unwrap().entropy, 0.0);
    // Brute force on random points: the share of each component is the count of points
    // whose squared distance to it is the smallest.
    let mut rng = crate::rng::Rng::new(5);
    let pts: Vec<f64> = (0..200).map(|_| 1.5 * rng.normal()).collect();
    let o = p.occupancy(&pts, 2).unwrap();
    let Prior::Mixture { means, .. } = &p else {
        unreachable!()
    };
    for (c, m) in means.iter().enumerate() {
        let count = pts
            .chunks(2)
            .filter(|q| {
                let d = |m: &Vec<f64>| (q[0] - m[0]).powi(2) + (q[1] - m[1]).powi(2);
                means.iter().all(|other| d(m) <= d(other))
            })
            .count();
        assert_eq!(o.shares[c], count as f64 / 100.0, "component {c}");
    }
    // Samples of the prior itself: about 1 − e⁻² of them lie within 2 stds.
    let mut rng = crate::rng::Rng::new(9);
    let own = p.sample_host(20_000, 2, &mut rng);
    let o = p.occupancy(&own, 2).unwrap();
    assert!(
        (o.near - (1.0 - (-2.0f64).exp())).abs() < 0.01,
        "{}",
        o.near
    );
    assert!((o.entropy - 4f64.ln()).abs() < 0.01, "{}", o.entropy);
    assert!(Prior::Normal.occupancy(&z, 2).is_none());
    assert!(p.occupancy(&z[..3], 2).is_none());
}

#[test]
fn only_the_student_t_prior_moves_codes_to_gaussian_coordinates() {
    let codes = Matrix::from_vec(2, 3, vec![0.0, -2.5, 7.0, 1.0, f64::NAN, -0.1]).unwrap();
    let g = Prior::StudentT { nu: 9.0 }.gaussianized(&codes).unwrap();
    assert_eq!((g.rows, g.cols), (2, 3));
    for (a, b) in codes.data.iter().zip(&g.data) {
        let want = crate::math::special::student_t_to_normal(*a, 9.0);
        assert!(
            b == &want || (b.is_nan() && want.is_nan()),
            "{a} → {b}, want {want}"
        );
    }
    for p in [
        Prior::Normal,
        Prior::default_for(
            crate::settings::PriorKind::Anisotropic,
            crate::settings::DatasetKind::Dsprites,
            3,
        ),
        Prior::pinwheel(),
    ] {
        assert!(p.gaussianized(&codes).is_none(), "{p:?} changed the codes");
    }
}
