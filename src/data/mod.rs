//! Data sources: procedural dSprites (full set or a subset, rendered on demand), Adams'
//! pinwheel and the iVAE non-stationary sources. No file I/O and no clap here, so the whole
//! module also builds for wasm32; everything random goes through [`crate::rng::Rng`].

pub mod dsprites;
pub mod ivae;
pub mod pinwheel;
pub mod spectrum;
pub mod subset;

/// A labelled set of `dim`-dimensional points, row-major `f32` ready for a tensor.
#[derive(Clone, Debug, PartialEq)]
pub struct PointSet {
    /// Dimension of each point.
    pub dim: usize,
    /// Coordinates, row-major: point `i` is `x[i·dim .. (i+1)·dim]`.
    pub x: Vec<f32>,
    /// One label per point (class, segment, …), for colouring plots.
    pub labels: Vec<u32>,
}

impl PointSet {
    /// Number of points.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the set holds no points.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Coordinates of point `i`.
    pub fn point(&self, i: usize) -> &[f32] {
        &self.x[i * self.dim..(i + 1) * self.dim]
    }
}

/// Helpers shared by the tests of this module and of `cli::data`.
#[cfg(test)]
pub(crate) mod testdata {
    use super::dsprites::{Factors, IMAGE_PIXELS};

    /// One real dSprites frame: its factor classes and 4096 pixels (0/1).
    pub struct RealImage {
        pub factors: Factors,
        pub flat_index: usize,
        pub pixels: Vec<u8>,
    }

    /// Loads `tests/golden/data/dsprites_real_258.csv`; panics (fails the test) if it is missing.
    pub fn real_images() -> Vec<RealImage> {
        let path = crate::golden::path("data/dsprites_real_258.csv");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        text.lines()
            .skip(1)
            .filter(|l| !l.is_empty())
            .map(parse_row)
            .collect()
    }

    fn parse_row(line: &str) -> RealImage {
        let f: Vec<&str> = line.split(',').collect();
        let c: Vec<usize> = f[..6].iter().map(|s| s.parse().unwrap()).collect();
        let factors = Factors::from_classes([c[0], c[1], c[2], c[3], c[4]]).unwrap();
        let mut pixels = Vec::with_capacity(IMAGE_PIXELS);
        for ch in f[6].chars() {
            let d = ch.to_digit(16).unwrap();
            // Most significant bit first (docs/dsprites.md §1).
            pixels.extend((0..4).map(|k| ((d >> (3 - k)) & 1) as u8));
        }
        assert_eq!(pixels.len(), IMAGE_PIXELS);
        RealImage {
            factors,
            flat_index: c[5],
            pixels,
        }
    }
}
