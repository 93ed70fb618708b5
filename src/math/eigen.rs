//! Eigenvalues of symmetric matrices: all of a small one by cyclic Jacobi rotations, and the
//! largest few of a large positive semi-definite one by subspace iteration (the dSprites
//! images' principal spectrum, `data::spectrum`).

use crate::rng::Rng;

/// Eigenvalues of a symmetric d × d matrix (row-major) by cyclic Jacobi rotations, in the
/// order of the diagonal they end on.
pub fn jacobi_eigenvalues(mut m: Vec<f64>, d: usize) -> Vec<f64> {
    for _sweep in 0..60 {
        let off: f64 = (0..d * d)
            .filter(|k| k / d != k % d)
            .map(|k| m[k] * m[k])
            .sum();
        if off < 1e-30 {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                let apq = m[p * d + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                // Rotation angle that zeroes m[p][q] (Numerical Recipes §11.1).
                let theta = (m[q * d + q] - m[p * d + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..d {
                    let (mkp, mkq) = (m[k * d + p], m[k * d + q]);
                    m[k * d + p] = c * mkp - s * mkq;
                    m[k * d + q] = s * mkp + c * mkq;
                }
                for k in 0..d {
                    let (mpk, mqk) = (m[p * d + k], m[q * d + k]);
                    m[p * d + k] = c * mpk - s * mqk;
                    m[q * d + k] = s * mpk + c * mqk;
                }
            }
        }
    }
    (0..d).map(|i| m[i * d + i]).collect()
}

/// The `count` largest eigenvalues, largest first, of the symmetric positive semi-definite
/// n × n matrix `m` (row-major), by subspace iteration: a block of `block` ≥ `count` vectors
/// is multiplied by `m` and re-orthonormalised until the Ritz values (the eigenvalues of
/// VᵀMV) agree with the previous iteration's to 1e-13 relative, or 500 iterations. The
/// `count`-th value converges as (λ_{block+1}/λ_count)^(2·iterations), hence the spare
/// vectors.
///
/// # Panics
/// If `m` is not n × n or the block does not fit: count ≤ block ≤ n.
pub fn top_eigenvalues(m: &[f64], n: usize, count: usize, block: usize) -> Vec<f64> {
    assert_eq!(m.len(), n * n, "top_eigenvalues: an n × n matrix");
    assert!(
        count <= block && block <= n,
        "top_eigenvalues: count ≤ block ≤ n"
    );
    let mut rng = Rng::new(0x5eed_e16e);
    let mut basis: Vec<Vec<f64>> = (0..block)
        .map(|_| (0..n).map(|_| rng.normal()).collect())
        .collect();
    orthonormalise(&mut basis);
    let mut previous: Vec<f64> = Vec::new();
    for _ in 0..500 {
        let image = times_columns(m, n, &basis); // M·v for every basis vector
        let ritz = ritz_values(&basis, &image, count);
        let settled = previous.len() == count
            && ritz
                .iter()
                .zip(&previous)
                .all(|(a, b)| (a - b).abs() <= 1e-13 * a.abs().max(f64::MIN_POSITIVE));
        basis = image;
        orthonormalise(&mut basis);
        previous = ritz;
        if settled {
            break;
        }
    }
    previous
}

/// M·v for each vector v of `vectors` (M n × n, row-major): one pass over M's rows.
fn times_columns(m: &[f64], n: usize, vectors: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut out = vec![vec![0.0; n]; vectors.len()];
    for (i, row) in m.chunks_exact(n).enumerate() {
        for (v, o) in vectors.iter().zip(out.iter_mut()) {
            o[i] = dot(row, v);
        }
    }
    out
}

/// The `count` largest eigenvalues of VᵀMV, largest first, from V and M·V.
fn ritz_values(basis: &[Vec<f64>], image: &[Vec<f64>], count: usize) -> Vec<f64> {
    let p = basis.len();
    let mut h = vec![0.0; p * p];
    for a in 0..p {
        for b in 0..p {
            h[a * p + b] = dot(&basis[a], &image[b]);
        }
    }
    // Symmetrise (rounding) and scale to O(1), where the Jacobi stopping test is meant to act.
    let scale = (0..p)
        .map(|a| h[a * p + a].abs())
        .fold(0.0, f64::max)
        .max(1e-300);
    let mut sym = vec![0.0; p * p];
    for a in 0..p {
        for b in 0..p {
            sym[a * p + b] = 0.5 * (h[a * p + b] + h[b * p + a]) / scale;
        }
    }
    let mut values: Vec<f64> = jacobi_eigenvalues(sym, p)
        .into_iter()
        .map(|v| v * scale)
        .collect();
    values.sort_by(|a, b| b.total_cmp(a));
    values.truncate(count);
    values
}

/// Modified Gram–Schmidt, twice (the second pass restores the orthogonality the first loses
/// to rounding when the vectors are nearly dependent).
fn orthonormalise(vectors: &mut [Vec<f64>]) {
    for _pass in 0..2 {
        for j in 0..vectors.len() {
            let (done, rest) = vectors.split_at_mut(j);
            let v = &mut rest[0];
            for u in done.iter() {
                let c = dot(u, v);
                v.iter_mut().zip(u).for_each(|(x, y)| *x -= c * y);
            }
            let norm = dot(v, v).sqrt();
            assert!(
                norm > 0.0,
                "orthonormalise: a vector fell into the others' span"
            );
            v.iter_mut().for_each(|x| *x /= norm);
        }
    }
}

/// Σ a_i·b_i in four interleaved sums (vectorises; the order is fixed, so the result is too).
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    acc[0] + acc[1] + acc[2] + acc[3] + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A random symmetric positive semi-definite n × n matrix AᵀA (A n × n).
    fn random_psd(n: usize, seed: u64) -> Vec<f64> {
        let mut rng = Rng::new(seed);
        let a: Vec<f64> = (0..n * n).map(|_| rng.normal()).collect();
        (0..n * n)
            .map(|k| (0..n).map(|r| a[r * n + k / n] * a[r * n + k % n]).sum())
            .collect()
    }

    #[test]
    fn jacobi_finds_a_diagonal_matrix_and_a_rotated_one() {
        let d = vec![3.0, 0.0, 0.0, 0.0, -1.0, 0.0, 0.0, 0.0, 0.5];
        assert_eq!(jacobi_eigenvalues(d, 3), vec![3.0, -1.0, 0.5]);
        // [[2, 1], [1, 2]] has eigenvalues 1 and 3.
        let mut e = jacobi_eigenvalues(vec![2.0, 1.0, 1.0, 2.0], 2);
        e.sort_by(f64::total_cmp);
        assert!(
            (e[0] - 1.0).abs() < 1e-12 && (e[1] - 3.0).abs() < 1e-12,
            "{e:?}"
        );
    }

    #[test]
    fn subspace_iteration_finds_the_largest_eigenvalues_jacobi_finds() {
        let n = 40;
        let m = random_psd(n, 7);
        let mut all = jacobi_eigenvalues(m.clone(), n);
        all.sort_by(|a, b| b.total_cmp(a));
        let top = top_eigenvalues(&m, n, 5, 12);
        assert_eq!(top.len(), 5);
        for (got, want) in top.iter().zip(&all) {
            assert!((got - want).abs() < 1e-9 * want, "{got} vs {want}");
        }
    }

    #[test]
    fn subspace_iteration_on_a_known_spectrum_at_scale() {
        // Q·diag(λ)·Qᵀ with Q a Householder reflection: the spectrum is λ exactly, with values
        // of the size of an image Gram matrix's.
        let n = 64;
        let lambda: Vec<f64> = (0..n).map(|i| 2e7 * 0.8f64.powi(i as i32)).collect();
        let mut rng = Rng::new(3);
        let mut u: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
        let norm = dot(&u, &u).sqrt();
        u.iter_mut().for_each(|x| *x /= norm);
        let q = |i: usize, j: usize| f64::from(u8::from(i == j)) - 2.0 * u[i] * u[j];
        let m: Vec<f64> = (0..n * n)
            .map(|k| (0..n).map(|l| q(k / n, l) * lambda[l] * q(k % n, l)).sum())
            .collect();
        let top = top_eigenvalues(&m, n, 10, 20);
        for (got, want) in top.iter().zip(&lambda) {
            assert!((got - want).abs() < 1e-9 * want, "{got} vs {want}");
        }
    }
}
