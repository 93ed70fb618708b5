//! The principal spectrum of the dSprites images, from which Disentangling Disentanglement
//! sets its anisotropic prior's variances (docs/methods.md §1.5).
//!
//! The reference (`models/datasets.py`, `compute_pca`) takes `svds(X, k=20)` of the image
//! matrix X (737,280 rows of 4096 pixels, not centred) and keeps the squared singular values,
//! i.e. the 20 largest eigenvalues of XᵀX. They are stored here, computed from this crate's
//! renderer by [`gram_top_eigenvalues`] (`disentangle-lab data spectrum` prints them; a test
//! recomputes them), so the page needs no data pass to build the prior.

#[cfg(not(target_arch = "wasm32"))]
use super::dsprites::{self, Factors, IMAGE_PIXELS, N_IMAGES};

/// How many eigenvalues the reference computes (`svds(…, k=20)`).
pub const SPECTRUM_LEN: usize = 20;

/// The 20 largest eigenvalues of XᵀX over every dSprites image (largest first): the squared
/// singular values of the uncentred image matrix. Printed by `disentangle-lab data spectrum`.
pub const GRAM_TOP_EIGENVALUES: [f64; SPECTRUM_LEN] = [
    19_451_913.677_056_216,
    13_161_365.929_255_463,
    13_121_760.644_831_45,
    8_846_527.126_331,
    6_935_110.936_582_932,
    6_874_769.112_651_504,
    4_658_926.530_764_264,
    4_635_180.610_499_016,
    2_960_889.774_078_984_3,
    2_911_626.375_644_324,
    2_478_787.052_900_09,
    2_040_241.371_344_542_6,
    1_982_839.175_806_099_5,
    1_181_931.227_940_951_7,
    1_152_663.790_848_740_4,
    1_151_967.937_552_116_3,
    1_146_174.023_397_495_5,
    858_669.047_944_848,
    844_645.831_596_186_7,
    638_362.495_645_002_7,
];

/// XᵀX over every dSprites image, X's rows the images (4096 × 4096, row-major): entry (i, j)
/// counts the images that light both pixel i and pixel j, so it is exact. Each image adds
/// the pairs of its ~174 lit pixels, on every core.
#[cfg(not(target_arch = "wasm32"))]
pub fn gram() -> Vec<f64> {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let span = N_IMAGES.div_ceil(threads);
    // Each thread counts into its own upper triangle (u32: at most 737,280 per entry).
    let parts: Vec<Vec<u32>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| scope.spawn(move || upper_counts(t * span..((t + 1) * span).min(N_IMAGES))))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("gram: a counting thread panicked"))
            .collect()
    });
    let n = IMAGE_PIXELS;
    let mut g = vec![0.0f64; n * n];
    for part in &parts {
        for i in 0..n {
            for j in i..n {
                g[i * n + j] += f64::from(part[i * n + j]);
            }
        }
    }
    for i in 0..n {
        for j in 0..i {
            g[i * n + j] = g[j * n + i];
        }
    }
    g
}

/// Pair counts (i ≤ j) of the lit pixels of the images with flat indices in `range`.
#[cfg(not(target_arch = "wasm32"))]
fn upper_counts(range: std::ops::Range<usize>) -> Vec<u32> {
    let n = IMAGE_PIXELS;
    let mut counts = vec![0u32; n * n];
    let mut image = vec![0u8; n];
    let mut lit = Vec::with_capacity(n);
    for index in range {
        let f = Factors::from_index(index).expect("an index below N_IMAGES");
        dsprites::render_u8(f, &mut image);
        lit.clear();
        lit.extend((0..n).filter(|&p| image[p] != 0));
        for (a, &i) in lit.iter().enumerate() {
            let row = &mut counts[i * n..(i + 1) * n];
            for &j in &lit[a..] {
                row[j] += 1;
            }
        }
    }
    counts
}

/// The [`SPECTRUM_LEN`] largest eigenvalues of [`gram`], largest first (what
/// [`GRAM_TOP_EIGENVALUES`] holds): about 15 s on two cores.
#[cfg(not(target_arch = "wasm32"))]
pub fn gram_top_eigenvalues() -> Vec<f64> {
    top_eigenvalues_of(&gram())
}

/// The [`SPECTRUM_LEN`] largest eigenvalues of a 4096 × 4096 Gram matrix, largest first.
#[cfg(not(target_arch = "wasm32"))]
fn top_eigenvalues_of(g: &[f64]) -> Vec<f64> {
    // 40 vectors: λ₄₁ is about 0.4·λ₂₀ here, so each iteration gains a factor ~6 on λ₂₀.
    crate::math::eigen::top_eigenvalues(g, IMAGE_PIXELS, SPECTRUM_LEN, 2 * SPECTRUM_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_spectrum_is_the_renderers() {
        let g = gram();
        let fresh = top_eigenvalues_of(&g);
        for (k, (got, stored)) in fresh.iter().zip(&GRAM_TOP_EIGENVALUES).enumerate() {
            assert!(
                (got - stored).abs() <= 1e-9 * stored,
                "eigenvalue {k}: recomputed {got}, stored {stored} (rerun `disentangle-lab data spectrum`)"
            );
        }
        // XᵀX's trace (every image's lit-pixel count) bounds λ₁ + … + λ₂₀; the spectrum falls.
        let trace: f64 = (0..IMAGE_PIXELS).map(|i| g[i * IMAGE_PIXELS + i]).sum();
        let sum: f64 = GRAM_TOP_EIGENVALUES.iter().sum();
        assert!(sum < trace, "λ₁ + … + λ₂₀ = {sum} above the trace {trace}");
        assert!(GRAM_TOP_EIGENVALUES.windows(2).all(|w| w[0] >= w[1]));
    }
}
