//! Fused host kernels for the pairwise Gaussian log-density terms (METHODS.md §1): the
//! β-TCVAE minibatch estimators of log q(z) and log q(z_k), and DD's log q(z') at prior
//! samples. Each computes the values and the exact gradients of their batch means with
//! respect to the points and the posteriors (μ, log σ²) in one pass over the B × B pairs,
//! never building the [B, B, K] tensor (nor its autodiff graph).
//!
//! With L[i,j,k] = log N(x_ik; μ_jk, σ²_jk) = c_jk − ½ t² v_jk, t = x_ik − μ_jk,
//! v = e^{−log σ²}, c = −½(log 2π + log σ²), and a row's log-weights w_ij:
//! - joint: J_i = logsumexp_j (w_ij + Σ_k L[i,j,k]), softmax p_ij;
//! - marginals: M_ik = logsumexp_j (w_ij + L[i,j,k]), softmax r_ijk; P_i = Σ_k M_ik.
//!
//! ∂L/∂x_ik = −t v, ∂L/∂μ_jk = t v, ∂L/∂log σ²_jk = ½(t² v − 1), so e.g.
//! ∂ mean_i J_i / ∂μ_jk = (1/R) Σ_i p_ij t_ijk v_jk.
//!
//! f32 throughout (as the tensors), with a max-shifted log-sum-exp and a polynomial exp that
//! vectorises; rows are split across threads natively.

use crate::math::fast::exp_nonpositive;
use crate::math::simd::avx2_fma;
use crate::math::special::LOG_2PI;

/// Gradients of a batch mean with respect to the rows `x` (`[R, K]`), and to the posteriors'
/// means and log-variances (`[B, K]`), row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Grads {
    /// ∂/∂x, `[R, K]` (empty when not asked for).
    pub x: Vec<f32>,
    /// ∂/∂μ, `[B, K]`.
    pub mu: Vec<f32>,
    /// ∂/∂log σ², `[B, K]`.
    pub logvar: Vec<f32>,
}

/// The log-weights w_ij added to row i's terms before the log-sum-exp.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RowWeights {
    /// The same w for every pair (MWS: −log(B·N); DD: −log B).
    Constant(f32),
    /// MSS (R = B): w_ii = `diag`, w_i,(i+1 mod B) = `next`, every other pair `other`.
    Stratified {
        /// log(1/N).
        diag: f32,
        /// log((N − M)/(N·M)), M = B − 1.
        next: f32,
        /// log(1/M).
        other: f32,
    },
}

/// What [`pairwise_lse`] returns.
#[derive(Clone, Debug, PartialEq)]
pub struct PairwiseLse {
    /// J_i, `[R]`.
    pub joint: Vec<f32>,
    /// Gradients of mean_i J_i.
    pub d_joint: Grads,
    /// P_i = Σ_k M_ik, `[R]` (empty unless marginals were asked for).
    pub marginals: Vec<f32>,
    /// Gradients of mean_i P_i (empty unless marginals were asked for).
    pub d_marginals: Grads,
}

/// Which outputs to compute.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Want {
    /// Also the marginal terms M_ik (β-TCVAE's Σ_k log q(z_k)).
    pub marginals: bool,
    /// Also the gradients with respect to the rows `x` (false for constant prior samples).
    pub x_grad: bool,
}

/// The posteriors column-major (one contiguous run of B per latent), with the per-pair
/// constants precomputed, so the inner loops over j vectorise.
struct Posteriors {
    b: usize,
    mu: Vec<f32>,
    /// e^{−log σ²}.
    inv_var: Vec<f32>,
    /// −½(log 2π + log σ²).
    c: Vec<f32>,
}

impl Posteriors {
    fn new(mu: &[f32], logvar: &[f32], b: usize, k: usize) -> Self {
        let mut p = Posteriors {
            b,
            mu: vec![0.0; b * k],
            inv_var: vec![0.0; b * k],
            c: vec![0.0; b * k],
        };
        for j in 0..b {
            for kk in 0..k {
                let lv = logvar[j * k + kk];
                p.mu[kk * b + j] = mu[j * k + kk];
                p.inv_var[kk * b + j] = (-lv).exp();
                p.c[kk * b + j] = -0.5 * (LOG_2PI as f32 + lv);
            }
        }
        p
    }

    fn col(&self, kk: usize) -> (&[f32], &[f32], &[f32]) {
        let r = kk * self.b..(kk + 1) * self.b;
        (&self.mu[r.clone()], &self.inv_var[r.clone()], &self.c[r])
    }
}

/// Lanes of the hand-split reductions: float sums and maxima only vectorise when each lane
/// keeps its own accumulator (the compiler may not reorder float additions itself).
const L: usize = 16;

/// In place: v ← softmax(v); returns logsumexp(v).
#[inline(always)]
fn softmax_in_place(v: &mut [f32]) -> f32 {
    let (g, rest) = v.as_chunks::<L>();
    let mut acc = [f32::NEG_INFINITY; L];
    for c in g {
        for l in 0..L {
            acc[l] = if c[l] > acc[l] { c[l] } else { acc[l] };
        }
    }
    let m = acc
        .iter()
        .chain(rest)
        .copied()
        .fold(f32::NEG_INFINITY, f32::max);
    let (g, rest) = v.as_chunks_mut::<L>();
    let mut sum = [0.0f32; L];
    for c in g {
        for l in 0..L {
            let e = exp_nonpositive(c[l] - m);
            c[l] = e;
            sum[l] += e;
        }
    }
    let mut s: f32 = sum.iter().sum();
    for e in rest.iter_mut() {
        *e = exp_nonpositive(*e - m);
        s += *e;
    }
    let inv = 1.0 / s;
    for e in v.iter_mut() {
        *e *= inv;
    }
    m + s.ln()
}

/// One row's gradient terms for latent k against every posterior j, with softmax weights
/// `p` (already scaled): adds p_j·u_j to `dmu`, p_j·½(u_j t_j − 1) to `dlv`, and returns
/// −Σ_j p_j u_j (the row's ∂/∂x), where t_j = x − μ_j, u_j = t_j / σ²_j.
#[inline(always)]
fn grad_row(x: f32, mu: &[f32], iv: &[f32], p: &[f32], dmu: &mut [f32], dlv: &mut [f32]) -> f32 {
    let b = mu.len();
    let n = b / L * L;
    let (mu_g, _) = mu[..n].as_chunks::<L>();
    let (iv_g, _) = iv[..n].as_chunks::<L>();
    let (p_g, _) = p[..n].as_chunks::<L>();
    let (dmu_g, _) = dmu[..n].as_chunks_mut::<L>();
    let (dlv_g, _) = dlv[..n].as_chunks_mut::<L>();
    let mut acc = [0.0f32; L];
    for ((((m, v), q), dm), dl) in mu_g.iter().zip(iv_g).zip(p_g).zip(dmu_g).zip(dlv_g) {
        // Whole lane groups by value: nothing can alias, so this compiles to vector code.
        let (m, v, q, mut a, mut b) = (*m, *v, *q, *dm, *dl);
        for l in 0..L {
            let t = x - m[l];
            let u = t * v[l];
            let pu = q[l] * u;
            acc[l] += pu;
            a[l] += pu;
            b[l] += q[l] * 0.5 * (u * t - 1.0);
        }
        (*dm, *dl) = (a, b);
    }
    let mut g: f32 = acc.iter().sum();
    for j in n..b {
        let t = x - mu[j];
        let u = t * iv[j];
        let pu = p[j] * u;
        g += pu;
        dmu[j] += pu;
        dlv[j] += p[j] * 0.5 * (u * t - 1.0);
    }
    -g
}

/// Partial results of a range of rows: values for those rows, gradients of the posteriors
/// summed over them.
struct Partial {
    joint: Vec<f32>,
    marginals: Vec<f32>,
    /// ∂/∂x of the rows (joint, marginals), `[rows, K]` each.
    dx: [Vec<f32>; 2],
    /// ∂/∂μ and ∂/∂log σ², column-major `[K, B]`, for (joint, marginals).
    dmu: [Vec<f32>; 2],
    dlv: [Vec<f32>; 2],
}

#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn rows_impl(
    x: &[f32],
    rows: std::ops::Range<usize>,
    k: usize,
    post: &Posteriors,
    weights: RowWeights,
    want: Want,
    scale: f32,
) -> Partial {
    let b = post.b;
    let n = rows.len();
    let nm = if want.marginals { 1 } else { 0 };
    let mut out = Partial {
        joint: Vec::with_capacity(n),
        marginals: Vec::with_capacity(n * nm),
        dx: [vec![0.0; n * k], vec![0.0; n * k * nm]],
        dmu: [vec![0.0; b * k], vec![0.0; b * k * nm]],
        dlv: [vec![0.0; b * k], vec![0.0; b * k * nm]],
    };
    let mut w = vec![0.0f32; b];
    let mut joint = vec![0.0f32; b];
    let mut marg = vec![0.0f32; b * k * nm];
    for (local, i) in rows.enumerate() {
        match weights {
            RowWeights::Constant(c) => w.fill(c),
            RowWeights::Stratified { diag, next, other } => {
                w.fill(other);
                w[(i + 1) % b] = next;
                w[i] = diag;
            }
        }
        joint.copy_from_slice(&w);
        for kk in 0..k {
            let xi = x[i * k + kk];
            let (mu, iv, c) = post.col(kk);
            if want.marginals {
                let m = &mut marg[kk * b..(kk + 1) * b];
                for j in 0..b {
                    let t = xi - mu[j];
                    let l = c[j] - 0.5 * t * t * iv[j];
                    joint[j] += l;
                    m[j] = w[j] + l;
                }
            } else {
                for j in 0..b {
                    let t = xi - mu[j];
                    joint[j] += c[j] - 0.5 * t * t * iv[j];
                }
            }
        }
        out.joint.push(softmax_in_place(&mut joint));
        if want.marginals {
            let mut sum = 0.0;
            for m in marg.chunks_exact_mut(b) {
                sum += softmax_in_place(m);
            }
            out.marginals.push(sum);
        }
        // Gradients of scale·J_i (and scale·P_i); p (and r) now hold the softmax weights.
        for v in joint.iter_mut() {
            *v *= scale;
        }
        for v in marg.iter_mut() {
            *v *= scale;
        }
        for kk in 0..k {
            let xi = x[i * k + kk];
            let (mu, iv, _) = post.col(kk);
            let col = kk * b..(kk + 1) * b;
            let [dmu_j, dmu_m] = &mut out.dmu;
            let [dlv_j, dlv_m] = &mut out.dlv;
            out.dx[0][local * k + kk] = grad_row(
                xi,
                mu,
                iv,
                &joint,
                &mut dmu_j[col.clone()],
                &mut dlv_j[col.clone()],
            );
            if want.marginals {
                out.dx[1][local * k + kk] = grad_row(
                    xi,
                    mu,
                    iv,
                    &marg[col.clone()],
                    &mut dmu_m[col.clone()],
                    &mut dlv_m[col],
                );
            }
        }
    }
    out
}

/// [`rows_impl`] compiled for the widest vector unit this CPU has.
#[allow(clippy::too_many_arguments)]
fn rows(
    x: &[f32],
    rows: std::ops::Range<usize>,
    k: usize,
    post: &Posteriors,
    weights: RowWeights,
    want: Want,
    scale: f32,
) -> Partial {
    avx2_fma!(avx512, rows_impl(
        x: &[f32],
        rows: std::ops::Range<usize>,
        k: usize,
        post: &Posteriors,
        weights: RowWeights,
        want: Want,
        scale: f32,
    ) -> Partial)
}

/// Row ranges, one per thread (natively; one range in wasm, which has no threads here).
fn split(r: usize) -> Vec<std::ops::Range<usize>> {
    #[cfg(not(target_arch = "wasm32"))]
    let parts = if r >= 64 {
        rayon::current_num_threads().clamp(1, r / 32)
    } else {
        1
    };
    #[cfg(target_arch = "wasm32")]
    let parts = 1;
    let step = r.div_ceil(parts);
    (0..parts)
        .map(|p| p * step..((p + 1) * step).min(r))
        .filter(|x| !x.is_empty())
        .collect()
}

/// The joint (and optionally marginal) log-sum-exp terms of every row of `x` (`[R, K]`)
/// against the posteriors `mu`, `logvar` (`[B, K]`), with the gradients of their means.
/// Non-finite inputs give NaN values (so training's NaN guard sees them) and zero gradients.
///
/// # Shapes
/// - `x`: `[R, K]`; `mu`, `logvar`: `[B, K]`; [`RowWeights::Stratified`] needs R = B
pub fn pairwise_lse(
    x: &[f32],
    mu: &[f32],
    logvar: &[f32],
    k: usize,
    weights: RowWeights,
    want: Want,
) -> PairwiseLse {
    let (r, b) = (x.len() / k.max(1), mu.len() / k.max(1));
    assert!(
        k > 0 && x.len() == r * k && mu.len() == b * k && logvar.len() == b * k && b > 0,
        "pairwise_lse: inconsistent shapes"
    );
    if let RowWeights::Stratified { .. } = weights {
        assert_eq!(r, b, "stratified weights need as many rows as posteriors");
    }
    let nm = usize::from(want.marginals);
    let empty = |len: usize| Grads {
        x: vec![0.0; len * usize::from(want.x_grad)],
        mu: vec![0.0; b * k],
        logvar: vec![0.0; b * k],
    };
    let finite = |v: &[f32]| v.iter().all(|e| e.is_finite());
    if !(finite(x) && finite(mu) && finite(logvar)) {
        return PairwiseLse {
            joint: vec![f32::NAN; r],
            d_joint: empty(r * k),
            marginals: vec![f32::NAN; r * nm],
            d_marginals: if want.marginals {
                empty(r * k)
            } else {
                empty(0)
            },
        };
    }
    let post = Posteriors::new(mu, logvar, b, k);
    let scale = 1.0 / r as f32;
    let ranges = split(r);
    let run = |range: std::ops::Range<usize>| rows(x, range, k, &post, weights, want, scale);
    #[cfg(not(target_arch = "wasm32"))]
    let parts: Vec<Partial> = {
        use rayon::prelude::*;
        ranges.into_par_iter().map(run).collect()
    };
    #[cfg(target_arch = "wasm32")]
    let parts: Vec<Partial> = ranges.into_iter().map(run).collect();
    // Sum the posteriors' gradients over the parts, back to row-major [B, K].
    let gather = |which: usize| {
        let mut mu_g = vec![0.0f32; b * k];
        let mut lv_g = vec![0.0f32; b * k];
        for p in &parts {
            for kk in 0..k {
                for j in 0..b {
                    mu_g[j * k + kk] += p.dmu[which][kk * b + j];
                    lv_g[j * k + kk] += p.dlv[which][kk * b + j];
                }
            }
        }
        let x_g = if want.x_grad {
            parts
                .iter()
                .flat_map(|p| p.dx[which].iter().copied())
                .collect()
        } else {
            Vec::new()
        };
        Grads {
            x: x_g,
            mu: mu_g,
            logvar: lv_g,
        }
    };
    PairwiseLse {
        joint: parts.iter().flat_map(|p| p.joint.iter().copied()).collect(),
        d_joint: gather(0),
        marginals: parts
            .iter()
            .flat_map(|p| p.marginals.iter().copied())
            .collect(),
        d_marginals: if want.marginals { gather(1) } else { empty(0) },
    }
}

#[cfg(test)]
#[path = "pairwise_tests.rs"]
mod tests;
