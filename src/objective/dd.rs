//! Disentangling Disentanglement (Mathieu et al. 2019; docs/methods.md §1.5):
//! loss = recon + β·KL(q(z|x) ‖ p(z)) + α·D(q(z), p(z)), batch means.
//!
//! Follows iffsid/disentangling-disentanglement `src/regularisers.py`: D is either their
//! `kld_inc` (KL(p ‖ q) with B prior samples and log q(z') ≈ logmeanexp_b log q(z'|x_b)) or
//! their `imq_dim_kernel` (dimension-wise MMD with IMQ kernels C/(C + d²), C = 2·scale, scales
//! {.1, .2, .5, 1, 2, 5}; their comment shows the alternative C = 2·dim·scale, which they do not
//! use and neither do we: the kernel is per dimension, so dim = 1).

use burn::prelude::*;

use super::fused;
pub use super::kinds::Divergence;
use super::pairwise::{pairwise_lse, RowWeights, Want};
use super::priors::Prior;
use super::{terms_row, Encoded, ObjectiveOutput, TermName, Weights};
use crate::math::gaussian::{kl_to_standard_normal, log_normal, logsumexp_dim};
use crate::rng::Rng;

/// The IMQ kernel scales of DD's `imq_dim_kernel`.
pub const MMD_SCALES: [f64; 6] = [0.1, 0.2, 0.5, 1.0, 2.0, 5.0];

/// Terms a DD row holds, in order.
pub const TERMS: &[TermName] = &[
    TermName::Loss,
    TermName::Recon,
    TermName::Kl,
    TermName::Elbo,
    TermName::Divergence,
];

/// KL(q(z|x) ‖ p(z)) per point: analytic for the Gaussian priors, else the one-sample Monte
/// Carlo estimate log q(z|x) − log p(z) at the encoder's z.
///
/// # Shapes
/// - `enc` fields: `[B, K]` → `[B]`
pub fn kl_to_prior(prior: &Prior, enc: &Encoded) -> Tensor<1> {
    match prior {
        Prior::Normal => kl_to_standard_normal(enc.mu.clone(), enc.logvar.clone()), // [B]
        Prior::Anisotropic { scales } => {
            // ½ Σ_k [(σ² + μ²)/s² − 1 − log σ² + log s²].
            let k = scales.len();
            let inv: Vec<f32> = scales.iter().map(|s| (1.0 / (s * s)) as f32).collect();
            let inv = Tensor::<2>::from_data(TensorData::new(inv, [1, k]), &enc.mu.device()); // [1, K]
            let log_s2: f64 = scales.iter().map(|s| 2.0 * s.ln()).sum();
            let quad = (enc.logvar.clone().exp() + enc.mu.clone().powf_scalar(2.0)) * inv; // [B, K]
            let per_dim = (quad - enc.logvar.clone()).add_scalar(-1.0); // [B, K]
            per_dim
                .sum_dim(1)
                .squeeze_dim::<1>(1)
                .add_scalar(log_s2)
                .mul_scalar(0.5) // [B]
        }
        _ => enc.log_q_z_given_x() - prior.log_prob(enc.z.clone()), // [B]
    }
}

/// Per-sample terms of DD's `kld_inc`: log p(z'_i) − log q(z'_i) with
/// log q(z'_i) = logmeanexp_b Σ_k log N(z'_ik; μ_bk, σ²_bk). Their mean is the KL(p ‖ q)
/// estimate. Gradients reach μ and log σ² (the samples are constants).
///
/// # Shapes
/// - `samples`: `[S, K]` draws of p(z); `mu`, `logvar`: `[B, K]` → `[S]`
pub fn kl_p_q_terms(
    prior: &Prior,
    samples: Tensor<2>,
    mu: Tensor<2>,
    logvar: Tensor<2>,
) -> Tensor<1> {
    let [s, _k] = samples.dims();
    let b = mu.dims()[0];
    let log_pz = prior.log_prob(samples.clone()); // [S]
    let z = samples.unsqueeze_dim::<3>(1); // [S, 1, K]
    let l = log_normal(z, mu.unsqueeze_dim::<3>(0), logvar.unsqueeze_dim::<3>(0)); // [S, B, K]
    let l = l.sum_dim(2).squeeze_dim::<2>(2); // [S, B]
    let log_qz = logsumexp_dim(l, 1)
        .reshape([s])
        .add_scalar(-(b as f64).ln()); // [S]
    log_pz - log_qz // [S]
}

/// The mean of [`kl_p_q_terms`] by the fused host kernel of [`super::pairwise`] (value and
/// exact gradients with respect to μ and log σ² in one pass, no [S, B, K] graph): the CPU
/// backends' path. `samples` are the S draws of p(z), row-major `[S, K]`.
///
/// # Shapes
/// - `samples`: `S·K` values; `mu`, `logvar`: `[B, K]` → `[1]`
pub fn kl_p_q_fused(
    prior: &Prior,
    samples: &[f64],
    mu: &Tensor<2>,
    logvar: &Tensor<2>,
) -> Tensor<1> {
    let [b, k] = mu.dims();
    let s = samples.len() / k;
    let log_pz = samples
        .chunks_exact(k)
        .map(|z| prior.log_prob_host(z))
        .sum::<f64>()
        / s as f64;
    let x: Vec<f32> = samples.iter().map(|&v| v as f32).collect();
    let want = Want {
        marginals: false,
        x_grad: false,
    };
    let weights = RowWeights::Constant(-(b as f64).ln() as f32);
    let r = pairwise_lse(
        &x,
        &fused::to_host(mu),
        &fused::to_host(logvar),
        k,
        weights,
        want,
    );
    let log_qz = fused::with_gradients(
        fused::mean(&r.joint),
        &[(mu, &r.d_joint.mu), (logvar, &r.d_joint.logvar)],
    ); // [1]
    log_qz.neg().add_scalar(log_pz) // [1]
}

/// Sum over `MMD_SCALES` of the IMQ kernel C/(C + d²), C = 2·scale, elementwise.
///
/// # Shapes
/// - `d2`: any → same
fn imq(d2: Tensor<3>) -> Tensor<3> {
    let mut acc = d2.zeros_like(); // same
    for s in MMD_SCALES {
        let c = 2.0 * s;
        acc = acc + d2.clone().add_scalar(c).recip().mul_scalar(c); // same
    }
    acc
}

/// Squared differences per dimension between every pair of rows.
///
/// # Shapes
/// - `a`, `b`: `[B, K]` → `[B, B, K]`, entry (i, j, k) = (a_ik − b_jk)²
fn pair_sq(a: Tensor<2>, b: Tensor<2>) -> Tensor<3> {
    (a.unsqueeze_dim::<3>(1) - b.unsqueeze_dim::<3>(0)).powf_scalar(2.0) // [B, B, K]
}

/// Dimension-wise MMD of DD's `imq_dim_kernel`, summed over dimensions:
/// (1/B) Σ_k [ Σ_{i≠j} (k(x_ik, x_jk) + k(y_ik, y_jk)) / (B−1) − (2/B) Σ_{i,j} k(x_ik, y_jk) ].
///
/// # Shapes
/// - `x` (prior samples), `y` (the batch z): `[B, K]` → `[1]`
pub fn mmd_dim(x: Tensor<2>, y: Tensor<2>) -> Tensor<1> {
    let [b, k] = x.dims();
    assert_eq!(
        y.dims(),
        [b, k],
        "mmd_dim needs two sample sets of the same shape"
    );
    let device = x.device();
    let off_diag = Tensor::<2>::eye(b, &device)
        .neg()
        .add_scalar(1.0)
        .unsqueeze_dim::<3>(2); // [B, B, 1]
    let within =
        (imq(pair_sq(x.clone(), x.clone())) + imq(pair_sq(y.clone(), y.clone()))) * off_diag; // [B, B, K]
    let cross = imq(pair_sq(x, y)); // [B, B, K]
    let bf = b as f64;
    let within = within.sum().div_scalar(bf - 1.0); // [1]
    let cross = cross.sum().mul_scalar(2.0 / bf); // [1]
    (within - cross).div_scalar(bf) // [1]
}

/// D(q(z), p(z)) for one batch, with B fresh prior samples drawn from `rng`.
///
/// # Shapes
/// - `enc` fields: `[B, K]` → `[1]`
pub fn divergence(prior: &Prior, div: Divergence, enc: &Encoded, rng: &mut Rng) -> Tensor<1> {
    let [b, k] = enc.z.dims();
    let device = enc.z.device();
    if div == Divergence::KlPQ && fused::host_kernels(&device) {
        let samples = prior.sample_host(b, k, rng); // B·K, as `Prior::sample` draws them
        return kl_p_q_fused(prior, &samples, &enc.mu, &enc.logvar); // [1]
    }
    let samples = prior.sample(b, k, rng, &device); // [B, K]
    match div {
        Divergence::KlPQ => kl_p_q_terms(prior, samples, enc.mu.clone(), enc.logvar.clone()).mean(), // [1]
        Divergence::Mmd => mmd_dim(samples, enc.z.clone()), // [1]
    }
}

/// The DD objective `recon + β·KL + α·D`; reports [`TERMS`] (`Elbo` = −recon − KL).
///
/// # Shapes
/// - `recon_nll`: `[B]`; `enc` fields: `[B, K]`
pub fn dd(
    recon_nll: Tensor<1>,
    enc: &Encoded,
    prior: &Prior,
    div: Divergence,
    weights: &Weights,
    rng: &mut Rng,
) -> ObjectiveOutput {
    let recon = recon_nll.mean(); // [1]
    let kl = kl_to_prior(prior, enc).mean(); // [1]
    let d = divergence(prior, div, enc, rng); // [1]
    let loss =
        recon.clone() + kl.clone().mul_scalar(weights.beta) + d.clone().mul_scalar(weights.alpha); // [1]
    let elbo = (recon.clone() + kl.clone()).neg(); // [1]
    let terms = terms_row(vec![loss.clone(), recon, kl, elbo, d]); // [1, 5]
    ObjectiveOutput {
        loss,
        terms,
        names: TERMS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::gaussian::LOG_2PI;
    use crate::objective::host;

    #[test]
    fn kl_p_q_matches_explicit_loops() {
        let device = Device::flex();
        let prior = Prior::StudentT { nu: 5.0 };
        let zs = [[0.4, -0.9], [1.5, 0.2], [-0.3, 0.7]];
        let mu = [[0.1, -0.5], [1.0, 0.4], [-0.8, 0.0]];
        let lv = [[-0.2, 0.3], [0.0, -1.0], [0.5, 0.1]];
        let t = |a: [[f64; 2]; 3]| Tensor::<2>::from_floats(a, &device);
        let got = host(kl_p_q_terms(&prior, t(zs), t(mu), t(lv)));
        for i in 0..3 {
            let mut q = 0.0;
            for b in 0..3 {
                let mut l = 0.0;
                for k in 0..2 {
                    l += -0.5
                        * (LOG_2PI + lv[b][k] + (zs[i][k] - mu[b][k]).powi(2) / lv[b][k].exp());
                }
                q += l.exp() / 3.0;
            }
            let want = prior.log_prob_host(&zs[i]) - q.ln();
            assert!(
                (got[i] - want).abs() < 1e-4,
                "sample {i}: {} vs {want}",
                got[i]
            );
        }
    }

    #[test]
    fn host_kernel_kl_p_q_matches_the_tensor_path_in_value_and_gradients() {
        let device = Device::flex().autodiff();
        let prior = Prior::pinwheel();
        let mut rng = Rng::new(5);
        let (s, b, k) = (30, 20, 2);
        let samples = prior.sample_host(s, k, &mut rng);
        let leaf = |o: f64, sc: f64, rng: &mut Rng| {
            let v: Vec<f32> = (0..b * k).map(|_| (o + sc * rng.normal()) as f32).collect();
            Tensor::<2>::from_data(TensorData::new(v, [b, k]), &device).require_grad()
        };
        let (mu, lv) = (leaf(0.0, 0.8, &mut rng), leaf(-2.0, 0.5, &mut rng));
        let fast = kl_p_q_fused(&prior, &samples, &mu, &lv);
        let st: Vec<f32> = samples.iter().map(|&v| v as f32).collect();
        let st = Tensor::<2>::from_data(TensorData::new(st, [s, k]), &device);
        let slow = kl_p_q_terms(&prior, st, mu.clone(), lv.clone()).mean();
        let (a, c) = (host(fast.clone())[0], host(slow.clone())[0]);
        assert!((a - c).abs() < 1e-4 * (1.0 + c.abs()), "{a} vs {c}");
        let grads = |t: Tensor<1>| {
            let g = t.backward();
            [&mu, &lv].map(|p| p.grad(&g).unwrap().into_data().try_to_vec::<f32>().unwrap())
        };
        let (gf, gs) = (grads(fast), grads(slow));
        for (f, s) in gf.iter().zip(&gs) {
            for (x, y) in f.iter().zip(s) {
                assert!((x - y).abs() < 1e-4 * (1.0 + y.abs()), "{x} vs {y}");
            }
        }
    }

    #[test]
    fn mmd_is_zero_for_identical_sets_and_grows_with_a_shift() {
        let device = Device::flex();
        let mut rng = Rng::new(3);
        let x = Prior::Normal.sample(64, 2, &mut rng, &device);
        let same = host(mmd_dim(x.clone(), x.clone()))[0];
        // Identical sets: the cross term also counts the B pairs (i, i), k(0) = 6 per dim, so
        // the estimate is 2·Σ_k(mean_{i≠j} k − 6)/B: slightly negative, |·| < 12·K/B = 0.375.
        let shifts: Vec<f64> = [0.5, 1.0, 2.0]
            .iter()
            .map(|s| host(mmd_dim(x.clone(), x.clone().add_scalar(*s)))[0])
            .collect();
        assert!(
            same <= 0.0 && same > -0.375,
            "MMD of a set with itself {same}"
        );
        assert!(
            shifts[0] > same + 0.5 && shifts[1] > shifts[0] && shifts[2] > shifts[1],
            "{same} {shifts:?}"
        );
    }

    #[test]
    fn anisotropic_kl_matches_closed_form_and_mc_otherwise() {
        let device = Device::flex();
        let enc = Encoded {
            mu: Tensor::<2>::from_floats([[0.5, -1.0]], &device),
            logvar: Tensor::<2>::from_floats([[0.2, -0.4]], &device),
            z: Tensor::<2>::from_floats([[0.9, -0.6]], &device),
        };
        let (s1, s2): (f64, f64) = (0.5, 2.0);
        let got = host(kl_to_prior(
            &Prior::Anisotropic {
                scales: vec![s1, s2],
            },
            &enc,
        ))[0];
        let kl1 = |m: f64, lv: f64, s: f64| {
            (s.ln() - lv / 2.0) + (lv.exp() + m * m) / (2.0 * s * s) - 0.5
        };
        let want = kl1(0.5, 0.2, s1) + kl1(-1.0, -0.4, s2);
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
        let prior = Prior::pinwheel();
        let got = host(kl_to_prior(&prior, &enc))[0];
        let lq = |z: f64, m: f64, lv: f64| -0.5 * (LOG_2PI + lv + (z - m).powi(2) / lv.exp());
        let want = lq(0.9, 0.5, 0.2) + lq(-0.6, -1.0, -0.4) - prior.log_prob_host(&[0.9, -0.6]);
        assert!((got - want).abs() < 1e-4, "{got} vs {want}");
    }
}
