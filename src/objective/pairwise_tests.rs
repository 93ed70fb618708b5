//! Tests of [`super`] (pairwise.rs) against plain f64 loops and finite differences.

use super::*;
use crate::rng::Rng;

/// Random rows, means and log-variances (all `[n, k]`), spread like a training batch.
fn inputs(r: usize, b: usize, k: usize, seed: u64) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let mut rng = Rng::new(seed);
    let mut v = |n: usize, s: f64, o: f64| -> Vec<f32> {
        (0..n).map(|_| (o + s * rng.normal()) as f32).collect()
    };
    (v(r * k, 1.0, 0.0), v(b * k, 1.0, 0.0), v(b * k, 0.5, -1.0))
}

fn weight(w: RowWeights, i: usize, j: usize, b: usize) -> f64 {
    match w {
        RowWeights::Constant(c) => c as f64,
        RowWeights::Stratified { diag, next, other } => {
            if j == i {
                diag as f64
            } else if j == (i + 1) % b {
                next as f64
            } else {
                other as f64
            }
        }
    }
}

fn lse(v: &[f64]) -> f64 {
    let m = v.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

/// (J_i, P_i) by explicit loops in f64.
fn reference(x: &[f64], mu: &[f64], lv: &[f64], k: usize, w: RowWeights) -> (Vec<f64>, Vec<f64>) {
    let (r, b) = (x.len() / k, mu.len() / k);
    let l = |i: usize, j: usize, kk: usize| {
        let t = x[i * k + kk] - mu[j * k + kk];
        -0.5 * (LOG_2PI + lv[j * k + kk] + t * t / lv[j * k + kk].exp())
    };
    let mut joint = Vec::new();
    let mut marg = Vec::new();
    for i in 0..r {
        let row: Vec<f64> = (0..b)
            .map(|j| weight(w, i, j, b) + (0..k).map(|kk| l(i, j, kk)).sum::<f64>())
            .collect();
        joint.push(lse(&row));
        marg.push(
            (0..k)
                .map(|kk| {
                    let row: Vec<f64> = (0..b).map(|j| weight(w, i, j, b) + l(i, j, kk)).collect();
                    lse(&row)
                })
                .sum(),
        );
    }
    (joint, marg)
}

fn f64s(v: &[f32]) -> Vec<f64> {
    v.iter().map(|&e| e as f64).collect()
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn mss(b: usize, n: usize) -> RowWeights {
    let (nf, m) = (n as f64, (b - 1) as f64);
    RowWeights::Stratified {
        diag: (1.0 / nf).ln() as f32,
        next: ((nf - m) / (nf * m)).ln() as f32,
        other: (1.0 / m).ln() as f32,
    }
}

const BOTH: Want = Want {
    marginals: true,
    x_grad: true,
};

#[test]
fn values_match_explicit_loops_for_both_weightings() {
    let (k, b) = (3, 7);
    let (x, mu, lv) = inputs(b, b, k, 1);
    for w in [mss(b, 50), RowWeights::Constant(-(b as f32 * 50.0).ln())] {
        let got = pairwise_lse(&x, &mu, &lv, k, w, BOTH);
        let (joint, marg) = reference(&f64s(&x), &f64s(&mu), &f64s(&lv), k, w);
        for i in 0..b {
            assert!((got.joint[i] as f64 - joint[i]).abs() < 2e-5, "{w:?} J_{i}");
            assert!(
                (got.marginals[i] as f64 - marg[i]).abs() < 2e-5,
                "{w:?} P_{i}"
            );
        }
    }
}

#[test]
fn gradients_match_finite_differences() {
    let (k, b, r) = (2, 5, 6);
    let (x, mu, lv) = inputs(r, b, k, 2);
    let w = RowWeights::Constant(-(b as f32).ln());
    let got = pairwise_lse(&x, &mu, &lv, k, w, BOTH);
    let (x, mu, lv) = (f64s(&x), f64s(&mu), f64s(&lv));
    let h = 1e-5;
    // ∂ mean J / ∂ each input, by central differences of the f64 reference.
    let check = |which: usize, g_joint: &[f32], g_marg: &[f32]| {
        let base = [&x, &mu, &lv][which];
        for e in 0..base.len() {
            let at = |d: f64| {
                let mut ins = [x.clone(), mu.clone(), lv.clone()];
                ins[which][e] += d;
                let (j, m) = reference(&ins[0], &ins[1], &ins[2], k, w);
                (mean(&j), mean(&m))
            };
            let ((jp, mp), (jm, mm)) = (at(h), at(-h));
            let (dj, dm) = ((jp - jm) / (2.0 * h), (mp - mm) / (2.0 * h));
            assert!(
                (g_joint[e] as f64 - dj).abs() < 1e-4 * (1.0 + dj.abs()),
                "input {which}[{e}]: joint {} vs {dj}",
                g_joint[e]
            );
            assert!(
                (g_marg[e] as f64 - dm).abs() < 1e-4 * (1.0 + dm.abs()),
                "input {which}[{e}]: marginals {} vs {dm}",
                g_marg[e]
            );
        }
    };
    check(0, &got.d_joint.x, &got.d_marginals.x);
    check(1, &got.d_joint.mu, &got.d_marginals.mu);
    check(2, &got.d_joint.logvar, &got.d_marginals.logvar);
}

#[test]
fn many_rows_split_across_threads_give_the_same_result() {
    // 300 rows are split into parts natively; the reference is one f64 pass.
    let (k, b, r) = (2, 40, 300);
    let (x, mu, lv) = inputs(r, b, k, 3);
    let w = RowWeights::Constant(-(b as f32).ln());
    let want = Want {
        marginals: false,
        x_grad: false,
    };
    let got = pairwise_lse(&x, &mu, &lv, k, w, want);
    assert!(got.marginals.is_empty() && got.d_joint.x.is_empty());
    let (joint, _) = reference(&f64s(&x), &f64s(&mu), &f64s(&lv), k, w);
    for (i, (g, want)) in got.joint.iter().zip(&joint).enumerate() {
        assert!((*g as f64 - want).abs() < 2e-5, "J_{i}");
    }
    // The mean's gradient over μ sums to −(the gradient over x summed): L depends on x − μ.
    let all = pairwise_lse(&x, &mu, &lv, k, w, BOTH);
    for kk in 0..k {
        let gx: f32 = (0..r).map(|i| all.d_joint.x[i * k + kk]).sum();
        let gmu: f32 = (0..b).map(|j| all.d_joint.mu[j * k + kk]).sum();
        assert!((gx + gmu).abs() < 1e-4, "dim {kk}: {gx} vs {gmu}");
    }
}

#[test]
fn non_finite_inputs_give_nan_values() {
    let (k, b) = (2, 4);
    let (mut x, mu, lv) = inputs(b, b, k, 4);
    x[3] = f32::NAN;
    let got = pairwise_lse(&x, &mu, &lv, k, mss(b, 10), BOTH);
    assert!(got.joint.iter().all(|v| v.is_nan()) && got.marginals.iter().all(|v| v.is_nan()));
    assert!(got.d_joint.mu.iter().all(|&v| v == 0.0));
}
