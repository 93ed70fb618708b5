//! Tests of [`super`] (tc.rs).

use super::*;
use crate::golden;
use crate::matrix::Matrix;
use crate::objective::host;

fn upload(m: &Matrix, device: &Device) -> Tensor<2> {
    let v: Vec<f32> = m.data.iter().map(|&x| x as f32).collect();
    Tensor::<2>::from_data(TensorData::new(v, [m.rows, m.cols]), device) // [B, K]
}

fn mean(t: Tensor<1>) -> f64 {
    host(t.mean())[0]
}

#[test]
fn mss_weights_rows_sum_to_one_and_shift_the_stratum() {
    let (b, n) = (5, 50);
    let w = mss_log_weights(b, n);
    for i in 0..b {
        let s: f64 = w[i * b..(i + 1) * b].iter().map(|v| v.exp()).sum();
        assert!((s - 1.0).abs() < 1e-12, "row {i}: {s}");
        assert!((w[i * b + i] - (1.0 / 50.0_f64).ln()).abs() < 1e-12);
        assert!((w[i * b + (i + 1) % b] - (46.0 / 200.0_f64).ln()).abs() < 1e-12);
    }
}

#[test]
fn log_q_matrix_matches_brute_force() {
    let device = Device::flex();
    let z = Tensor::<2>::from_floats([[0.1, -0.4], [1.2, 0.3]], &device);
    let mu = Tensor::<2>::from_floats([[0.0, 0.5], [1.0, -1.0]], &device);
    let lv = Tensor::<2>::from_floats([[0.0, -0.5], [0.7, 0.2]], &device);
    let l = log_q_matrix(z.clone(), mu.clone(), lv.clone())
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let [z, mu, lv] = [z, mu, lv].map(|t| t.into_data().try_to_vec::<f32>().unwrap());
    for i in 0..2 {
        for j in 0..2 {
            for k in 0..2 {
                let (zz, m, v) = (
                    z[i * 2 + k] as f64,
                    mu[j * 2 + k] as f64,
                    lv[j * 2 + k] as f64,
                );
                let want = -0.5 * (LOG_2PI + v + (zz - m).powi(2) / v.exp());
                let got = l[(i * 2 + j) * 2 + k] as f64;
                assert!(
                    (got - want).abs() < 1e-5,
                    "L[{i},{j},{k}] = {got} vs {want}"
                );
            }
        }
    }
}

/// The golden minibatch (z, μ, log σ² from tests/golden) and its expected decomposition.
fn golden_tc_batch(device: &Device) -> (Encoded, serde_json::Value) {
    let r = |f: &str| upload(&golden::matrix(f), device);
    let enc = Encoded {
        z: r("tc_z.csv"),
        mu: r("tc_means.csv"),
        logvar: r("tc_logvars.csv"),
    };
    (enc, golden::expected()["minibatch_tc"].clone())
}

#[test]
fn golden_minibatch_tc_mws_and_mss() {
    let device = Device::flex();
    let (enc, exp) = golden_tc_batch(&device);
    let n = exp["dataset_size"].as_u64().unwrap() as usize;
    for (est, key) in [(Estimator::Mws, "mws"), (Estimator::Mss, "mss")] {
        let e = &exp[key];
        let t = TcDecomposer::new(est, 32, n, &device).decompose(&enc);
        let worst = std::cell::Cell::new(0.0_f64);
        let close = |got: f64, want: &serde_json::Value, what: &str| {
            let want = want.as_f64().unwrap();
            worst.set(worst.get().max((got - want).abs()));
            assert!((got - want).abs() < 1e-4, "{key} {what}: {got} vs {want}");
        };
        let (mi, tc, dkl, kl) = (
            mean(t.mi()),
            mean(t.tc()),
            mean(t.dim_kl()),
            mean(t.kl_mc()),
        );
        close(mi, &e["index_code_mi"], "MI");
        close(tc, &e["total_correlation"], "TC");
        close(dkl, &e["dimwise_kl"], "dimKL");
        close(kl, &e["kl_mc"], "kl_mc");
        let (lqz, lpq) = (host(t.log_qz), host(t.log_prod_qzj));
        for i in 0..4 {
            close(lqz[i], &e["log_qz_first_4"][i], "log_qz");
            close(lpq[i], &e["log_prod_qzj_first_4"][i], "log_prod_qzj");
        }
        eprintln!(
            "{key}: MI {mi:.6} TC {tc:.6} dimKL {dkl:.6}; worst error {:.2e}",
            worst.get()
        );
    }
}

/// log N(z; μ, e^lv) for one coordinate, in f64.
fn log_n(z: f64, mu: f64, lv: f64) -> f64 {
    -0.5 * (LOG_2PI + lv + (z - mu).powi(2) / lv.exp())
}

/// log Σ_j exp(x_j), in f64.
fn lse(x: &[f64]) -> f64 {
    let m = x.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    m + x.iter().map(|v| (v - m).exp()).sum::<f64>().ln()
}

#[test]
fn objective_weights_the_three_terms() {
    let z = [[0.1, -0.4], [1.2, 0.3], [-0.5, 0.9]];
    let mu = [[0.0, 0.5], [1.0, -1.0], [-0.3, 0.6]];
    let lv = [[0.0, -0.5], [0.7, 0.2], [-1.0, -0.2]];
    let device = Device::flex();
    let t = |a: [[f64; 2]; 3]| Tensor::<2>::from_floats(a, &device);
    let enc = Encoded {
        z: t(z),
        mu: t(mu),
        logvar: t(lv),
    };
    let recon = Tensor::<1>::from_floats([1.0, 2.0, 3.0], &device);
    let tc = TcDecomposer::new(Estimator::Mss, 3, 10, &device);
    let w = Weights {
        alpha: 2.0,
        beta: 5.0,
        gamma: 0.5,
    };
    let out = beta_tcvae(recon, &enc, &tc, &w);
    let row = out.terms.into_data().try_to_vec::<f32>().unwrap();
    assert_eq!(row.len(), out.names.len());
    let [loss, recon, kl, elbo, mi, tcv, dkl] = std::array::from_fn(|i| row[i] as f64);
    // Brute force in f64, written out from the definitions. MSS with B = 3, N = 10, M = 2:
    // W_ii = 1/N, W_i,i+1 = (N − M)/(N·M) = 0.4, the remaining entry 1/M = 0.5.
    let weight = |i: usize, j: usize| -> f64 {
        match (j + 3 - i) % 3 {
            0 => 0.1,
            1 => 0.4,
            _ => 0.5,
        }
    };
    let (mut want_mi, mut want_tc, mut want_dkl, mut want_kl) = (0.0, 0.0, 0.0, 0.0);
    for i in 0..3 {
        let log_qz_x: f64 = (0..2).map(|k| log_n(z[i][k], mu[i][k], lv[i][k])).sum();
        let joint: Vec<f64> = (0..3)
            .map(|j| {
                weight(i, j).ln()
                    + (0..2)
                        .map(|k| log_n(z[i][k], mu[j][k], lv[j][k]))
                        .sum::<f64>()
            })
            .collect();
        let log_qz = lse(&joint);
        let log_prod: f64 = (0..2)
            .map(|k| {
                let m: Vec<f64> = (0..3)
                    .map(|j| weight(i, j).ln() + log_n(z[i][k], mu[j][k], lv[j][k]))
                    .collect();
                lse(&m)
            })
            .sum();
        let log_pz: f64 = (0..2).map(|k| log_n(z[i][k], 0.0, 0.0)).sum();
        want_mi += (log_qz_x - log_qz) / 3.0;
        want_tc += (log_qz - log_prod) / 3.0;
        want_dkl += (log_prod - log_pz) / 3.0;
        want_kl += (log_qz_x - log_pz) / 3.0;
    }
    for (got, want, what) in [
        (mi, want_mi, "MI"),
        (tcv, want_tc, "TC"),
        (dkl, want_dkl, "dimKL"),
        (kl, want_kl, "KL"),
        (recon, 2.0, "recon"),
        (
            loss,
            2.0 + 2.0 * want_mi + 5.0 * want_tc + 0.5 * want_dkl,
            "loss",
        ),
        (elbo, -(2.0 + want_kl), "ELBO"),
    ] {
        assert!((got - want).abs() < 1e-4, "{what}: {got} vs {want}");
    }
}

/// A tracked batch: z, μ, log σ² as leaves on an autodiff Flex device.
fn tracked_batch(b: usize, k: usize, seed: u64) -> Encoded {
    let device = Device::flex().autodiff();
    let mut rng = crate::rng::Rng::new(seed);
    let mut m = |s: f64, o: f64| {
        let v: Vec<f32> = (0..b * k).map(|_| (o + s * rng.normal()) as f32).collect();
        Tensor::<2>::from_data(TensorData::new(v, [b, k]), &device).require_grad()
    };
    Encoded {
        z: m(1.0, 0.0),
        mu: m(1.0, 0.0),
        logvar: m(0.5, -1.0),
    }
}

fn grads_of(loss: Tensor<1>, enc: &Encoded) -> Vec<Vec<f32>> {
    let g = loss.backward();
    [&enc.z, &enc.mu, &enc.logvar]
        .iter()
        .map(|t| {
            t.grad(&g)
                .expect("gradient")
                .into_data()
                .try_to_vec::<f32>()
                .unwrap()
        })
        .collect()
}

#[test]
fn host_kernel_matches_the_tensor_path_in_values_and_gradients() {
    let (b, k) = (24, 3);
    let enc = tracked_batch(b, k, 7);
    for est in [Estimator::Mss, Estimator::Mws] {
        let fast = TcDecomposer::new(est, b, 100, &enc.z.device());
        assert!(fast.uses_host_kernel(), "Flex runs the host kernel");
        let slow = fast.clone().tensor_path();
        // A loss weighting the two estimated terms differently, as β-TCVAE does.
        let loss = |m: TcMeans| {
            (m.log_qz.mul_scalar(3.0) - m.log_prod_qzj.mul_scalar(2.0) + m.log_qz_cond_x) - m.log_pz
        };
        let (mf, ms) = (fast.means(&enc), slow.means(&enc));
        for (name, a, b) in [
            ("log_qz", mf.log_qz.clone(), ms.log_qz.clone()),
            ("log_prod", mf.log_prod_qzj.clone(), ms.log_prod_qzj.clone()),
            ("log_pz", mf.log_pz.clone(), ms.log_pz.clone()),
        ] {
            let (a, b) = (host(a)[0], host(b)[0]);
            assert!((a - b).abs() < 1e-4, "{est:?} {name}: {a} vs {b}");
        }
        let (gf, gs) = (grads_of(loss(mf), &enc), grads_of(loss(ms), &enc));
        for (which, (f, s)) in ["z", "mu", "logvar"].iter().zip(gf.iter().zip(&gs)) {
            for (e, (a, b)) in f.iter().zip(s).enumerate() {
                assert!(
                    (a - b).abs() < 1e-4 * (1.0 + b.abs()),
                    "{est:?} d/d{which}[{e}]: {a} vs {b}"
                );
            }
        }
    }
}

#[test]
fn golden_minibatch_tc_by_the_host_kernel() {
    let device = Device::flex();
    let (enc, exp) = golden_tc_batch(&device);
    let n = exp["dataset_size"].as_u64().unwrap() as usize;
    for (est, key) in [(Estimator::Mws, "mws"), (Estimator::Mss, "mss")] {
        let e = &exp[key];
        let d = TcDecomposer::new(est, 32, n, &device);
        assert!(d.uses_host_kernel());
        let m = d.means(&enc);
        let v = |t: &Tensor<1>| host(t.clone())[0];
        let (qz, prod, qzx, pz) = (
            v(&m.log_qz),
            v(&m.log_prod_qzj),
            v(&m.log_qz_cond_x),
            v(&m.log_pz),
        );
        for (got, want, what) in [
            (qzx - qz, &e["index_code_mi"], "MI"),
            (qz - prod, &e["total_correlation"], "TC"),
            (prod - pz, &e["dimwise_kl"], "dimKL"),
        ] {
            let want = want.as_f64().unwrap();
            assert!((got - want).abs() < 1e-4, "{key} {what}: {got} vs {want}");
        }
    }
}
