//! iVAE non-stationary sources and their invertible mixing (Khemakhem et al. 2020;
//! docs/methods.md §2.3): S segments × n points, s = L[seg] ⊙ e (+ optional segment means),
//! e ~ N(0, 1), L ~ U(0.5, 3) per (segment, dim); x = xtanh(xtanh(s·A)·A)·A for 3 layers (row vectors, as
//! golden `ivae2d.x_equals`), xtanh(y) = tanh(y) + 0.1·y, with one well-conditioned matrix A.

use super::PointSet;
use crate::math::eigen::jacobi_eigenvalues;
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// Largest supported dimension: the condition-number percentile costs 10⁴ eigen-solves.
pub const MAX_DIM: usize = 10;
/// Draws behind the acceptance threshold for A (as the reference iVAE code: 10⁴).
const THRESHOLD_DRAWS: usize = 10_000;
/// Fixed seed of the threshold draws, so the threshold depends on the dimension only.
const THRESHOLD_SEED: u64 = 0x1AE_C0ED;
/// Stream labels, so sources and mixing never share random numbers.
const SOURCE_STREAM: u64 = 0x0053_5243; // "SRC"
const MIXING_STREAM: u64 = 0x004d_4958; // "MIX"

/// Parameters of the iVAE source generator (defaults: the 2-D variant drawn in the page).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct IvaeConfig {
    /// Number of segments S.
    pub segments: usize,
    /// Points per segment n.
    pub per_segment: usize,
    /// Dimension d of sources and data.
    pub dim: usize,
    /// Applications of A (an xtanh between consecutive ones).
    pub layers: usize,
    /// Whether segments get means m ~ U(−5, 5) (off in the reference config).
    pub segment_means: bool,
}

impl Default for IvaeConfig {
    fn default() -> Self {
        Self {
            segments: 40,
            per_segment: 250,
            dim: 2,
            layers: 3,
            segment_means: false,
        }
    }
}

/// A generated iVAE data set; matrices are row-major `f64`.
#[derive(Clone, Debug, PartialEq)]
pub struct IvaeData {
    /// The configuration it was drawn with.
    pub config: IvaeConfig,
    /// Sources, N × d.
    pub s: Vec<f64>,
    /// Observations x = mix(s), N × d.
    pub x: Vec<f64>,
    /// Segment of each point (segment-major order).
    pub segment: Vec<u32>,
    /// Per-(segment, dim) source std L, S × d.
    pub l: Vec<f64>,
    /// Per-(segment, dim) source mean, S × d (zeros unless `segment_means`).
    pub means: Vec<f64>,
    /// Mixing matrix A, d × d, unit-norm columns.
    pub a: Vec<f64>,
    /// Condition number of A.
    pub cond_a: f64,
    /// Acceptance threshold: the 25th percentile of cond over 10⁴ random draws.
    pub cond_threshold: f64,
}

impl IvaeData {
    /// The observations as a [`PointSet`] labelled by segment, for training.
    pub fn to_point_set(&self) -> PointSet {
        let x = self.x.iter().map(|&v| v as f32).collect();
        PointSet {
            dim: self.config.dim,
            x,
            labels: self.segment.clone(),
        }
    }
}

/// Draws sources and a mixing matrix for `config` from `seed`.
pub fn generate(config: &IvaeConfig, seed: u64) -> Result<IvaeData, String> {
    let (d, n_seg, per) = (config.dim, config.segments, config.per_segment);
    if !(1..=MAX_DIM).contains(&d) {
        return Err(format!("iVAE dimension {d} is out of range 1..={MAX_DIM}"));
    }
    if n_seg == 0 || per == 0 || config.layers == 0 {
        return Err("iVAE needs at least 1 segment, 1 point per segment and 1 layer".into());
    }
    let mut rng = Rng::derive(seed, SOURCE_STREAM);
    let l: Vec<f64> = (0..n_seg * d)
        .map(|_| rng.uniform_range(0.5, 3.0))
        .collect();
    let means: Vec<f64> = match config.segment_means {
        true => (0..n_seg * d)
            .map(|_| rng.uniform_range(-5.0, 5.0))
            .collect(),
        false => vec![0.0; n_seg * d],
    };
    let (mut s, mut segment) = (Vec::with_capacity(n_seg * per * d), Vec::new());
    for seg in 0..n_seg {
        for _ in 0..per {
            s.extend((0..d).map(|j| l[seg * d + j] * rng.normal() + means[seg * d + j]));
            segment.push(seg as u32);
        }
    }
    let cond_threshold = condition_threshold(d);
    let mut mix_rng = Rng::derive(seed, MIXING_STREAM);
    let (a, cond_a) = loop {
        let a = random_unit_columns(&mut mix_rng, d);
        let c = condition_number(&a, d);
        if c <= cond_threshold {
            break (a, c);
        }
    };
    let x = s
        .chunks_exact(d)
        .flat_map(|row| mix(row, &a, config.layers))
        .collect();
    Ok(IvaeData {
        config: *config,
        s,
        x,
        segment,
        l,
        means,
        a,
        cond_a,
        cond_threshold,
    })
}

/// The invertible activation xtanh(y) = tanh(y) + 0.1·y (slope in [0.1, 1.1]).
pub fn xtanh(y: f64) -> f64 {
    y.tanh() + 0.1 * y
}

/// Inverse of [`xtanh`] by safeguarded Newton: the root lies in 10·(z ± 1) since |tanh| < 1.
pub fn xtanh_inverse(z: f64) -> f64 {
    let (mut lo, mut hi) = (10.0 * (z - 1.0), 10.0 * (z + 1.0));
    let mut y = z.clamp(lo, hi);
    for _ in 0..100 {
        let f = xtanh(y) - z;
        if f == 0.0 {
            break;
        }
        if f < 0.0 {
            lo = y
        } else {
            hi = y
        }
        // Newton step (xtanh' = 1.1 − tanh²), or bisection when it leaves the bracket.
        let newton = y - f / (1.1 - y.tanh().powi(2));
        let next = if newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        let done = (next - y).abs() <= 1e-15 * (1.0 + y.abs());
        y = next;
        if done {
            break;
        }
    }
    y
}

/// Row vector times matrix: (h·M)_j = Σ_i h_i M_ij for a d × d row-major M.
fn row_times(h: &[f64], m: &[f64]) -> Vec<f64> {
    let d = h.len();
    (0..d)
        .map(|j| (0..d).map(|i| h[i] * m[i * d + j]).sum())
        .collect()
}

/// Mixes one source row: `layers` products with A, an xtanh between consecutive ones.
pub fn mix(s: &[f64], a: &[f64], layers: usize) -> Vec<f64> {
    let mut h = s.to_vec();
    for k in 0..layers {
        h = row_times(&h, a);
        if k + 1 < layers {
            h.iter_mut().for_each(|v| *v = xtanh(*v));
        }
    }
    h
}

/// Inverts [`mix`] given A⁻¹ (see [`invert`]): undoes each product and xtanh in reverse.
pub fn unmix(x: &[f64], a_inv: &[f64], layers: usize) -> Vec<f64> {
    let mut h = x.to_vec();
    for k in (0..layers).rev() {
        if k + 1 < layers {
            h.iter_mut().for_each(|v| *v = xtanh_inverse(*v));
        }
        h = row_times(&h, a_inv);
    }
    h
}

/// Inverse of a d × d row-major matrix by Gauss–Jordan with partial pivoting; `None` if singular.
pub fn invert(a: &[f64], d: usize) -> Option<Vec<f64>> {
    let mut m = a.to_vec();
    let mut inv: Vec<f64> = (0..d * d)
        .map(|k| f64::from(u8::from(k / d == k % d)))
        .collect();
    for col in 0..d {
        let p = (col..d).max_by(|&i, &j| m[i * d + col].abs().total_cmp(&m[j * d + col].abs()))?;
        if m[p * d + col].abs() < 1e-300 {
            return None;
        }
        for k in 0..d {
            m.swap(p * d + k, col * d + k);
            inv.swap(p * d + k, col * d + k);
        }
        let piv = m[col * d + col];
        for k in 0..d {
            m[col * d + k] /= piv;
            inv[col * d + k] /= piv;
        }
        for r in (0..d).filter(|&r| r != col) {
            let f = m[r * d + col];
            for k in 0..d {
                m[r * d + k] -= f * m[col * d + k];
                inv[r * d + k] -= f * inv[col * d + k];
            }
        }
    }
    Some(inv)
}

/// A d × d matrix with entries U(−1, 1) and each column scaled to unit norm.
pub fn random_unit_columns(rng: &mut Rng, d: usize) -> Vec<f64> {
    let mut a: Vec<f64> = (0..d * d).map(|_| rng.uniform_range(-1.0, 1.0)).collect();
    for j in 0..d {
        let norm = (0..d).map(|i| a[i * d + j].powi(2)).sum::<f64>().sqrt();
        (0..d).for_each(|i| a[i * d + j] /= norm);
    }
    a
}

/// 2-norm condition number σ_max/σ_min of a d × d matrix (∞ if singular). Exact closed form
/// for d = 2 (σ₁² + σ₂² = ‖A‖²_F, σ₁σ₂ = |det A|), else from the Jacobi eigenvalues of AᵀA.
pub fn condition_number(a: &[f64], d: usize) -> f64 {
    if d == 2 {
        let f = a.iter().map(|v| v * v).sum::<f64>();
        let det = (a[0] * a[3] - a[1] * a[2]).abs();
        return (f + (f * f - 4.0 * det * det).max(0.0).sqrt()) / (2.0 * det);
    }
    let ata: Vec<f64> = (0..d * d)
        .map(|k| (0..d).map(|r| a[r * d + k / d] * a[r * d + k % d]).sum())
        .collect();
    let eig = jacobi_eigenvalues(ata, d);
    let max = eig.iter().copied().fold(f64::MIN, f64::max);
    let min = eig.iter().copied().fold(f64::MAX, f64::min);
    if min <= 0.0 {
        f64::INFINITY
    } else {
        (max / min).sqrt()
    }
}

/// The 25th percentile (NumPy's linear interpolation) of the condition numbers of 10⁴ random
/// unit-column d × d matrices, drawn from a fixed seed, as the reference iVAE generator does.
pub fn condition_threshold(d: usize) -> f64 {
    let mut rng = Rng::derive(THRESHOLD_SEED, d as u64);
    let mut conds: Vec<f64> = (0..THRESHOLD_DRAWS)
        .map(|_| condition_number(&random_unit_columns(&mut rng, d), d))
        .collect();
    conds.sort_by(f64::total_cmp);
    let pos = 0.25 * (THRESHOLD_DRAWS - 1) as f64;
    let (i, frac) = (pos.floor() as usize, pos.fract());
    conds[i] + frac * (conds[(i + 1).min(THRESHOLD_DRAWS - 1)] - conds[i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::golden;

    /// Golden mixing matrix, `expected.json` → `ivae2d.mixing_matrix_A` (cond_A 1.41964852809906).
    const GOLDEN_A: [f64; 4] = [
        -0.647_622_585_3,
        0.499_381_870_0,
        0.761_961_281_3,
        0.866_381_943_2,
    ];

    fn read_csv(name: &str) -> Vec<Vec<f64>> {
        let path = golden::metrics_file(name);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        text.lines()
            .map(|l| l.split(',').map(|v| v.trim().parse().unwrap()).collect())
            .collect()
    }

    fn segment_std(s: &[f64], d: usize, per: usize, seg: usize, j: usize) -> f64 {
        let v: Vec<f64> = (0..per).map(|i| s[(seg * per + i) * d + j]).collect();
        let mean = v.iter().sum::<f64>() / per as f64;
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / per as f64).sqrt()
    }

    #[test]
    fn mixing_formula_and_condition_number_match_the_golden_sample() {
        let (s, x) = (read_csv("ivae2d_s.csv"), read_csv("ivae2d_x.csv"));
        assert_eq!(s.len(), 10_000);
        for (si, xi) in s.iter().zip(&x) {
            let ours = mix(si, &GOLDEN_A, 3);
            // The golden sample is float32: allow its rounding.
            assert!(ours
                .iter()
                .zip(xi)
                .all(|(a, b)| (a - b).abs() < 1e-4 * (1.0 + b.abs())));
        }
        assert!((condition_number(&GOLDEN_A, 2) - 1.419_648_528).abs() < 1e-6);
        assert!((jacobi_cond(&GOLDEN_A, 2) - 1.419_648_528).abs() < 1e-6);
        let l = read_csv("ivae2d_L.csv");
        assert!(l.iter().flatten().all(|v| (0.5..3.0).contains(v)));
        let flat: Vec<f64> = s.into_iter().flatten().collect();
        let ratio = segment_std(&flat, 2, 250, 7, 1) / l[7][1];
        assert!(
            (ratio - 1.0).abs() < 0.2,
            "golden per-segment std / L = {ratio}"
        );
    }

    fn jacobi_cond(a: &[f64], d: usize) -> f64 {
        let ata: Vec<f64> = (0..d * d)
            .map(|k| (0..d).map(|r| a[r * d + k / d] * a[r * d + k % d]).sum())
            .collect();
        let e = jacobi_eigenvalues(ata, d);
        (e.iter().copied().fold(f64::MIN, f64::max) / e.iter().copied().fold(f64::MAX, f64::min))
            .sqrt()
    }

    #[test]
    fn default_sample_is_well_conditioned_invertible_and_has_std_l() {
        let cfg = IvaeConfig::default();
        let data = generate(&cfg, 1).unwrap();
        let d = cfg.dim;
        println!(
            "d=2: cond(A) {:.4}, 25th percentile {:.4}",
            data.cond_a, data.cond_threshold
        );
        assert!(data.cond_a <= data.cond_threshold && data.cond_threshold < 3.0);
        assert_eq!(
            (data.s.len(), data.x.len(), data.segment.len()),
            (20_000, 20_000, 10_000)
        );
        assert!(data.l.iter().all(|v| (0.5..3.0).contains(v)));
        let a_inv = invert(&data.a, d).unwrap();
        let mut worst: f64 = 0.0;
        for (s, x) in data.s.chunks(d).zip(data.x.chunks(d)) {
            let back = unmix(x, &a_inv, cfg.layers);
            worst = s
                .iter()
                .zip(&back)
                .map(|(a, b)| (a - b).abs())
                .fold(worst, f64::max);
        }
        assert!(worst < 1e-6, "max |unmix(mix(s)) − s| = {worst}");
        let mut worst_ratio: f64 = 0.0;
        for seg in 0..cfg.segments {
            for j in 0..d {
                let r = segment_std(&data.s, d, cfg.per_segment, seg, j) / data.l[seg * d + j];
                worst_ratio = worst_ratio.max((r - 1.0).abs());
            }
        }
        // 250 normal draws: the std's relative sd is 1/√500 ≈ 4.5%, 80 cells → max ≈ 12%.
        assert!(
            worst_ratio < 0.2,
            "per-segment std / L off by {worst_ratio}"
        );
        assert_eq!(data, generate(&cfg, 1).unwrap());
        assert_ne!(data.s, generate(&cfg, 2).unwrap().s);
    }

    #[test]
    fn five_dims_with_means_invert_and_respect_the_threshold() {
        let cfg = IvaeConfig {
            dim: 5,
            segments: 10,
            per_segment: 100,
            segment_means: true,
            ..Default::default()
        };
        let data = generate(&cfg, 9).unwrap();
        println!(
            "d=5: cond(A) {:.4}, 25th percentile {:.4}",
            data.cond_a, data.cond_threshold
        );
        assert!(data.cond_a <= data.cond_threshold);
        assert!((condition_number(&data.a, 5) - data.cond_a).abs() < 1e-12);
        let a_inv = invert(&data.a, 5).unwrap();
        for (s, x) in data.s.chunks(5).zip(data.x.chunks(5)) {
            let back = unmix(x, &a_inv, cfg.layers);
            assert!(s.iter().zip(&back).all(|(a, b)| (a - b).abs() < 1e-6));
        }
        assert!(data.means.iter().all(|m| (-5.0..5.0).contains(m)) && data.means[0] != 0.0);
    }

    #[test]
    fn xtanh_inverse_and_bad_configs() {
        for z in [-50.0, -3.3, -1e-9, 0.0, 0.7, 12.5, 400.0] {
            assert!(
                (xtanh(xtanh_inverse(z)) - z).abs() < 1e-12 * (1.0 + f64::abs(z)),
                "{z}"
            );
        }
        let bad = IvaeConfig {
            dim: 0,
            ..Default::default()
        };
        assert!(generate(&bad, 0).unwrap_err().contains("1..=10"));
        assert!(generate(
            &IvaeConfig {
                segments: 0,
                ..Default::default()
            },
            0
        )
        .is_err());
    }
}
