//! Multinomial logistic regression as sklearn's `LogisticRegression()` defaults fit it:
//! softmax over the classes present, L2 penalty C = 1 on the weights (not the intercepts),
//! minimised to convergence (here by damped Newton steps instead of lbfgs).
//!
//! Objective: Σ_n −log softmax(W·x_n + b)_{y_n} + ‖W‖² / (2C).

use crate::matrix::Matrix;

/// A fitted softmax classifier.
#[derive(Clone, Debug)]
pub struct SoftmaxRegression {
    /// The class labels, in parameter order.
    pub classes: Vec<usize>,
    /// Parameters per class: d weights then the intercept.
    pub params: Vec<Vec<f64>>,
}

/// Solves the symmetric positive-definite system A·x = b in place (Cholesky); None if singular.
fn cholesky_solve(mut a: Vec<f64>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for j in 0..n {
        let d = a[j * n + j] - (0..j).map(|k| a[j * n + k] * a[j * n + k]).sum::<f64>();
        if d.is_nan() || d <= 0.0 {
            return None;
        }
        let d = d.sqrt();
        a[j * n + j] = d;
        for i in j + 1..n {
            let s = a[i * n + j] - (0..j).map(|k| a[i * n + k] * a[j * n + k]).sum::<f64>();
            a[i * n + j] = s / d;
        }
    }
    for i in 0..n {
        b[i] = (b[i] - (0..i).map(|k| a[i * n + k] * b[k]).sum::<f64>()) / a[i * n + i];
    }
    for i in (0..n).rev() {
        b[i] = (b[i] - (i + 1..n).map(|k| a[k * n + i] * b[k]).sum::<f64>()) / a[i * n + i];
    }
    Some(b)
}

impl SoftmaxRegression {
    /// Scores W·x + b for each class.
    fn scores(&self, x: &[f64]) -> Vec<f64> {
        let d = x.len();
        self.params
            .iter()
            .map(|p| p[d] + p[..d].iter().zip(x).map(|(w, v)| w * v).sum::<f64>())
            .collect()
    }

    /// Softmax probabilities for one point.
    fn probs(&self, x: &[f64]) -> Vec<f64> {
        let s = self.scores(x);
        let m = s.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = s.iter().map(|v| (v - m).exp()).collect();
        let z: f64 = e.iter().sum();
        e.iter().map(|v| v / z).collect()
    }

    /// The objective (penalised negative log-likelihood).
    fn objective(&self, x: &Matrix, yi: &[usize], lambda: f64) -> f64 {
        let d = x.cols;
        let nll: f64 = (0..x.rows).map(|n| -self.probs(x.row(n))[yi[n]].ln()).sum();
        nll + 0.5
            * lambda
            * self
                .params
                .iter()
                .flat_map(|p| &p[..d])
                .map(|w| w * w)
                .sum::<f64>()
    }

    /// Fits on rows of `x` with labels `y` and inverse regularisation strength `c`.
    pub fn fit(x: &Matrix, y: &[usize], c: f64) -> Result<Self, String> {
        x.check_finite("classifier features")?;
        if x.rows != y.len() || x.rows == 0 {
            return Err(format!(
                "classifier: {} feature rows but {} labels",
                x.rows,
                y.len()
            ));
        }
        let mut classes = y.to_vec();
        classes.sort_unstable();
        classes.dedup();
        let yi: Vec<usize> = y
            .iter()
            .map(|v| classes.partition_point(|u| u < v))
            .collect();
        let (k, d) = (classes.len(), x.cols);
        let mut model = Self {
            classes,
            params: vec![vec![0.0; d + 1]; k],
        };
        if k < 2 {
            return Ok(model);
        }
        let lambda = 1.0 / c;
        let p = k * (d + 1);
        let mut f = model.objective(x, &yi, lambda);
        for _ in 0..100 {
            // Gradient g and Hessian H of the objective, parameter index a·(d+1) + i.
            let mut g = vec![0.0; p];
            let mut h = vec![0.0; p * p];
            let mut xt = vec![1.0; d + 1];
            for (n, &yn) in yi.iter().enumerate() {
                xt[..d].copy_from_slice(x.row(n));
                let pr = model.probs(x.row(n));
                for a in 0..k {
                    let r = pr[a] - if yn == a { 1.0 } else { 0.0 };
                    for i in 0..=d {
                        g[a * (d + 1) + i] += r * xt[i];
                    }
                    for b in a..k {
                        let wab = if a == b {
                            pr[a] * (1.0 - pr[a])
                        } else {
                            -pr[a] * pr[b]
                        };
                        for i in 0..=d {
                            for j in 0..=d {
                                h[(a * (d + 1) + i) * p + b * (d + 1) + j] += wab * xt[i] * xt[j];
                            }
                        }
                    }
                }
            }
            for a in 0..k {
                for b in 0..a {
                    for i in 0..=d {
                        for j in 0..=d {
                            h[(a * (d + 1) + i) * p + b * (d + 1) + j] =
                                h[(b * (d + 1) + j) * p + a * (d + 1) + i];
                        }
                    }
                }
                for i in 0..=d {
                    let q = a * (d + 1) + i;
                    // L2 on weights; a tiny ridge pins the (prediction-neutral) intercept shift.
                    let reg = if i < d { lambda } else { 1e-9 * x.rows as f64 };
                    g[q] += if i < d {
                        lambda * model.params[a][i]
                    } else {
                        0.0
                    };
                    h[q * p + q] += reg;
                }
            }
            let step = cholesky_solve(h, g.clone()).ok_or("classifier: singular Hessian")?;
            // Backtracking line search on the Newton direction.
            let mut t = 1.0;
            let old = model.params.clone();
            loop {
                for a in 0..k {
                    for i in 0..=d {
                        model.params[a][i] = old[a][i] - t * step[a * (d + 1) + i];
                    }
                }
                let fnew = model.objective(x, &yi, lambda);
                if fnew <= f || t < 1e-8 {
                    let dec = f - fnew;
                    f = fnew.min(f);
                    if dec.abs() <= 1e-12 * f.abs().max(1.0) {
                        return Ok(model);
                    }
                    break;
                }
                t *= 0.5;
            }
        }
        Ok(model)
    }

    /// The predicted class label (first of equal scores).
    pub fn predict(&self, x: &[f64]) -> usize {
        let s = self.scores(x);
        let best = (0..s.len()).fold(0, |b, i| if s[i] > s[b] { i } else { b });
        self.classes[best]
    }

    /// Fraction of rows of `x` predicted as their label in `y`.
    pub fn accuracy(&self, x: &Matrix, y: &[usize]) -> f64 {
        let ok = (0..x.rows)
            .filter(|&n| self.predict(x.row(n)) == y[n])
            .count();
        ok as f64 / x.rows.max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn separates_gaussian_blobs_and_gradient_vanishes() {
        let mut r = Rng::new(3);
        let centers = [(0.0, 0.0), (3.0, 0.0), (0.0, 3.0)];
        let (mut data, mut y) = (Vec::new(), Vec::new());
        for n in 0..600 {
            let c = n % 3;
            data.extend([centers[c].0 + r.normal(), centers[c].1 + r.normal()]);
            y.push(c + 10);
        }
        let x = Matrix::from_vec(600, 2, data).unwrap();
        let m = SoftmaxRegression::fit(&x, &y, 1.0).unwrap();
        assert!(m.accuracy(&x, &y) > 0.85);
        assert_eq!(m.classes, vec![10, 11, 12]);
        // Stationarity: Σ_n (p − e_y)·x_i + w_i/C ≈ 0 for every class and feature.
        for a in 0..3 {
            for i in 0..2 {
                let g: f64 = (0..600)
                    .map(|n| (m.probs(x.row(n))[a] - ((y[n] - 10) == a) as u8 as f64) * x.get(n, i))
                    .sum::<f64>()
                    + m.params[a][i];
                assert!(g.abs() < 1e-6, "{g}");
            }
        }
    }
}
