//! Subsets of dSprites: chosen shapes, scale classes, orientation classes and a position
//! stride. Images are rendered on demand, so even the full 737,280-image set holds no pixels.
//!
//! # Spec grammar (URL-safe: letters, digits and `-_.~,:` only)
//!
//! ```text
//! spec    := "full" | "default" | item ("," item)*
//! item    := "shapes:" shapes | "scales:" classes | "orients:" orients | "stride:" INT
//! shapes  := "all" | shape ("." shape)*         shape := square | ellipse | heart | 0 | 1 | 2
//! classes := "all" | range ("." range)*         range := INT | INT "-" INT   (inclusive)
//! orients := "all" | INT                        a count k in 1..=39: k evenly spaced classes
//!          | range ("." range)+ | INT "-" INT   an explicit list (one class c: "c-c")
//! ```
//!
//! A key left out keeps the whole factor (all shapes, scales 0-5, orientations 0-39, stride 1),
//! so `full` is the empty spec. Each key may appear once. The count form picks classes
//! round(j·39/k), j = 0..k, among 0..=38, because orientation classes 0 and 39 are the same
//! image (both are angle 0). Examples: `shapes:heart,scales:0-5,orients:10,stride:2`,
//! `shapes:square.heart,scales:0.5,orients:0-9`.

use crate::data::dsprites::{self, Factors, FACTOR_NAMES, FACTOR_SIZES, IMAGE_PIXELS, SHAPE_NAMES};
use crate::rng::Rng;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::Range;
use std::str::FromStr;

/// The default preset: every shape and scale, 10 orientations, position stride 2 —
/// 3·6·10·16·16 = 46,080 images. Every factor keeps its full range (so each one can be
/// disentangled and scored), 10 orientations (every 36°) still tell the heart's turn apart, and
/// stride 2 keeps 16 positions per axis: an epoch is 720 batches of 64, minutes on a CPU.
pub const DEFAULT_SPEC: &str = "scales:0-5,orients:10,stride:2";

/// Number of distinct orientations: classes 0..=38 (class 39 repeats class 0).
const DISTINCT_ORIENTATIONS: usize = 39;

/// A dSprites subset: the chosen classes of each factor, combined as a full grid. Serde
/// writes it as its spec string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DspritesSubset {
    /// Chosen classes per factor, sorted and distinct, in (shape, scale, orientation, posX,
    /// posY) order; posX and posY share the stride grid.
    classes: [Vec<u8>; 5],
}

impl DspritesSubset {
    /// The whole dataset (737,280 images).
    pub fn full() -> Self {
        Self::new(all(3), all(6), all(40), 1).unwrap_or_else(|_| unreachable!())
    }

    /// The default preset, [`DEFAULT_SPEC`] (46,080 images).
    pub fn preset_default() -> Self {
        DEFAULT_SPEC.parse().unwrap_or_else(|_| unreachable!())
    }

    /// A subset from class lists (any order, duplicates ignored) and a position stride;
    /// rejects empty lists, out-of-range classes and strides outside 1..=31.
    pub fn new(
        shapes: Vec<u8>,
        scales: Vec<u8>,
        orients: Vec<u8>,
        stride: usize,
    ) -> Result<Self, String> {
        if !(1..=31).contains(&stride) {
            return Err(format!("position stride {stride} is out of range 1..=31"));
        }
        let pos: Vec<u8> = (0..32).step_by(stride).collect();
        let mut classes = [shapes, scales, orients, pos.clone(), pos];
        for (k, list) in classes.iter_mut().enumerate() {
            list.sort_unstable();
            list.dedup();
            check_list(k, list)?;
        }
        Ok(Self { classes })
    }

    /// Number of images in the subset.
    pub fn len(&self) -> usize {
        self.classes.iter().map(Vec::len).product()
    }

    /// Always false: construction rejects empty subsets.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of values of each factor inside the subset, (shape, scale, orientation, posX, posY).
    pub fn factor_sizes(&self) -> [usize; 5] {
        [0, 1, 2, 3, 4].map(|k| self.classes[k].len())
    }

    /// The global classes of factor `k` (0 shape … 4 posY) present in the subset.
    pub fn classes_of(&self, k: usize) -> &[u8] {
        &self.classes[k]
    }

    /// Position stride of the subset's position grid.
    pub fn stride(&self) -> usize {
        match self.classes[3].as_slice() {
            [_, b, ..] => *b as usize,
            _ => 32,
        }
    }

    /// Local classes (index within each factor's list) of subset image `i`; posY fastest.
    ///
    /// # Panics
    /// If `i ≥ len()`.
    pub fn local_classes(&self, i: usize) -> [usize; 5] {
        assert!(
            i < self.len(),
            "subset index {i} out of range 0..{}",
            self.len()
        );
        let mut rest = i;
        let mut local = [0usize; 5];
        for k in (0..5).rev() {
            let n = self.classes[k].len();
            local[k] = rest % n;
            rest /= n;
        }
        local
    }

    /// Global factor classes of subset image `i`.
    pub fn factors(&self, i: usize) -> Factors {
        let l = self.local_classes(i);
        let c = [0, 1, 2, 3, 4].map(|k| self.classes[k][l[k]] as usize);
        Factors::from_classes(c).unwrap_or_else(|_| unreachable!("classes were range-checked"))
    }

    /// Official flat index (0..737,280) of subset image `i`.
    pub fn global_index(&self, i: usize) -> usize {
        self.factors(i).index()
    }

    /// Subset index of the image with factors `f`, or `None` if it is not in the subset.
    pub fn index_of(&self, f: Factors) -> Option<usize> {
        let mut i = 0;
        for (list, c) in self.classes.iter().zip(f.classes()) {
            i = i * list.len() + list.binary_search(&(c as u8)).ok()?;
        }
        Some(i)
    }

    /// Renders subset image `i` into `out` (4096 floats, 0/1).
    pub fn render(&self, i: usize, out: &mut [f32]) {
        dsprites::render(self.factors(i), out);
    }

    /// Draws `factors.len()` images uniformly with replacement: fills `factors` and renders
    /// them into `out` (`factors.len()·4096` floats).
    pub fn sample_batch(&self, rng: &mut Rng, out: &mut [f32], factors: &mut [Factors]) {
        let n = self.len() as u64;
        for f in factors.iter_mut() {
            *f = self.factors(rng.below(n) as usize);
        }
        dsprites::render_batch(factors, out);
    }

    /// Renders subset images `range` (clipped to `len()`) into the front of `out` and
    /// `factors`; returns how many were rendered.
    pub fn render_range(
        &self,
        range: Range<usize>,
        out: &mut [f32],
        factors: &mut [Factors],
    ) -> usize {
        let range = range.start..range.end.min(self.len());
        let n = range.len().min(factors.len()).min(out.len() / IMAGE_PIXELS);
        for (k, i) in range.take(n).enumerate() {
            factors[k] = self.factors(i);
            self.render(i, &mut out[k * IMAGE_PIXELS..(k + 1) * IMAGE_PIXELS]);
        }
        n
    }

    /// Consecutive index ranges of at most `chunk` images covering the whole subset in order.
    pub fn chunk_ranges(&self, chunk: usize) -> impl Iterator<Item = Range<usize>> {
        let (n, chunk) = (self.len(), chunk.max(1));
        (0..n.div_ceil(chunk)).map(move |k| k * chunk..((k + 1) * chunk).min(n))
    }
}

/// Checks that the sorted class list of factor `k` is non-empty and in range.
fn check_list(k: usize, list: &[u8]) -> Result<(), String> {
    let (name, max) = (FACTOR_NAMES[k], FACTOR_SIZES[k] - 1);
    match list.last() {
        None => Err(format!("empty {name} list (valid classes 0..={max})")),
        Some(&c) if c as usize > max => Err(format!("{name} class {c} is out of range 0..={max}")),
        _ => Ok(()),
    }
}

fn all(n: u8) -> Vec<u8> {
    (0..n).collect()
}

/// Orientation classes for the count form: k evenly spaced among 0..=38, round(j·39/k).
fn spaced_orientations(k: usize) -> Vec<u8> {
    let d = DISTINCT_ORIENTATIONS;
    (0..k).map(|j| ((2 * j * d + k) / (2 * k)) as u8).collect()
}

fn parse_int(s: &str, what: &str) -> Result<usize, String> {
    s.parse()
        .map_err(|_| format!("{what}: expected a non-negative integer, got '{s}'"))
}

/// Parses `range ("." range)*` with inclusive `a-b` ranges, each class below `size`.
fn parse_classes(v: &str, what: &str, size: usize) -> Result<Vec<u8>, String> {
    if v == "all" {
        return Ok(all(size as u8));
    }
    let mut out = Vec::new();
    for part in v.split('.') {
        let (a, b) = match part.split_once('-') {
            Some((a, b)) => (parse_int(a, what)?, parse_int(b, what)?),
            None => (parse_int(part, what)?, parse_int(part, what)?),
        };
        if a > b || b >= size {
            return Err(format!(
                "{what}: '{part}' is not a class range within 0..={}",
                size - 1
            ));
        }
        out.extend((a..=b).map(|c| c as u8));
    }
    Ok(out)
}

fn parse_shapes(v: &str) -> Result<Vec<u8>, String> {
    if v == "all" {
        return Ok(all(3));
    }
    v.split('.')
        .map(|name| match SHAPE_NAMES.iter().position(|&s| s == name) {
            Some(k) => Ok(k as u8),
            None => match name {
                "0" | "1" | "2" => Ok(name.as_bytes()[0] - b'0'),
                _ => Err(format!(
                    "unknown shape '{name}' (valid: square, ellipse, heart or 0-2)"
                )),
            },
        })
        .collect()
}

fn parse_orients(v: &str) -> Result<Vec<u8>, String> {
    if v.contains('.') || v.contains('-') || v == "all" {
        return parse_classes(v, "orients", 40);
    }
    let k = parse_int(v, "orients")?;
    if !(1..=DISTINCT_ORIENTATIONS).contains(&k) {
        return Err(format!(
            "orients: count {k} is out of range 1..=39 (use 'all' for all 40)"
        ));
    }
    Ok(spaced_orientations(k))
}

/// The spec keys, for error messages.
const KEYS: &str = "keys: shapes, scales, orients, stride; or the presets full, default";

/// Stores the parsed value of `key` unless the key was already given.
fn set_once<T>(
    slot: &mut Option<T>,
    key: &str,
    parse: impl FnOnce() -> Result<T, String>,
) -> Result<(), String> {
    if slot.is_some() {
        return Err(format!("subset key '{key}' is given twice"));
    }
    *slot = Some(parse()?);
    Ok(())
}

impl FromStr for DspritesSubset {
    type Err = String;

    /// Parses the spec grammar in the module docs.
    fn from_str(spec: &str) -> Result<Self, String> {
        match spec {
            "full" | "" => return Ok(Self::full()),
            "default" => return Self::from_str(DEFAULT_SPEC),
            _ => {}
        }
        let (mut shapes, mut scales, mut orients, mut stride) = (None, None, None, None);
        for item in spec.split(',') {
            let (key, value) = item
                .split_once(':')
                .ok_or_else(|| format!("subset item '{item}' is not key:value ({KEYS})"))?;
            match key {
                "shapes" => set_once(&mut shapes, key, || parse_shapes(value))?,
                "scales" => set_once(&mut scales, key, || parse_classes(value, "scales", 6))?,
                "orients" => set_once(&mut orients, key, || parse_orients(value))?,
                "stride" => set_once(&mut stride, key, || parse_int(value, "stride"))?,
                _ => return Err(format!("unknown subset key '{key}' ({KEYS})")),
            }
        }
        let or_all = |v: Option<Vec<u8>>, n| v.unwrap_or_else(|| all(n));
        Self::new(
            or_all(shapes, 3),
            or_all(scales, 6),
            or_all(orients, 40),
            stride.unwrap_or(1),
        )
    }
}

impl TryFrom<String> for DspritesSubset {
    type Error = String;

    fn try_from(spec: String) -> Result<Self, String> {
        spec.parse()
    }
}

impl From<DspritesSubset> for String {
    fn from(subset: DspritesSubset) -> String {
        subset.to_string()
    }
}

impl Default for DspritesSubset {
    /// The default preset.
    fn default() -> Self {
        Self::preset_default()
    }
}

/// Writes a class list compactly: consecutive runs as `a-b`, joined by `.`.
fn write_classes(list: &[u8]) -> String {
    let mut parts = Vec::new();
    let mut k = 0;
    while k < list.len() {
        let mut e = k;
        while e + 1 < list.len() && list[e + 1] == list[e] + 1 {
            e += 1;
        }
        parts.push(if e > k {
            format!("{}-{}", list[k], list[e])
        } else {
            list[k].to_string()
        });
        k = e + 1;
    }
    parts.join(".")
}

impl fmt::Display for DspritesSubset {
    /// The canonical spec: a preset name when it matches one, else all four keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Self::full() {
            return write!(f, "full");
        }
        if *self == Self::preset_default() {
            return write!(f, "default");
        }
        let shapes: Vec<&str> = self.classes[0]
            .iter()
            .map(|&s| SHAPE_NAMES[s as usize])
            .collect();
        let o = &self.classes[2];
        let orients = if *o == spaced_orientations(o.len()) {
            o.len().to_string()
        } else if o.len() == 1 {
            format!("{0}-{0}", o[0])
        } else {
            write_classes(o)
        };
        let (scales, stride) = (write_classes(&self.classes[1]), self.stride());
        write!(
            f,
            "shapes:{},scales:{scales},orients:{orients},stride:{stride}",
            shapes.join(".")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_have_the_documented_sizes() {
        let full = DspritesSubset::full();
        assert_eq!(
            (full.len(), full.factor_sizes()),
            (737_280, [3, 6, 40, 32, 32])
        );
        let d = DspritesSubset::preset_default();
        assert_eq!((d.len(), d.factor_sizes()), (46_080, [3, 6, 10, 16, 16]));
        assert_eq!(d.classes_of(2), &[0, 4, 8, 12, 16, 20, 23, 27, 31, 35]);
        assert_eq!(
            (full.to_string(), d.to_string()),
            ("full".into(), "default".into())
        );
    }

    #[test]
    fn full_subset_indices_are_the_official_ones() {
        let full = DspritesSubset::full();
        for i in (0..737_280).step_by(997) {
            assert_eq!(full.global_index(i), i);
            assert_eq!(full.index_of(full.factors(i)), Some(i));
        }
    }

    #[test]
    fn index_maps_round_trip_on_a_subset() {
        let s: DspritesSubset = "shapes:heart.square,scales:1.3-4,orients:7,stride:5"
            .parse()
            .unwrap();
        assert_eq!(s.factor_sizes(), [2, 3, 7, 7, 7]);
        for i in 0..s.len() {
            let f = s.factors(i);
            assert_eq!(s.index_of(f), Some(i));
            assert_eq!(Factors::from_index(s.global_index(i)), Some(f));
            let l = s.local_classes(i);
            assert_eq!(s.classes_of(3)[l[3]], f.pos_x);
            assert_eq!(f.pos_x % 5, 0);
        }
        assert_eq!(s.index_of(Factors::from_index(245_760).unwrap()), None); // ellipse
    }

    #[test]
    fn specs_round_trip_through_display() {
        let specs = [
            "full",
            "default",
            "shapes:heart,scales:0-5,orients:10,stride:2",
            "shapes:square.ellipse,scales:0.2.5,orients:0-9,stride:31",
            "orients:5-5",
            "orients:3.20.39,stride:16",
            "scales:all,orients:all,shapes:2",
            "orients:39",
        ];
        for spec in specs {
            let s: DspritesSubset = spec.parse().unwrap();
            let text = s.to_string();
            let ok = |c: char| c.is_ascii_alphanumeric() || "-_.~,:".contains(c);
            assert!(text.chars().all(ok), "{text}");
            assert_eq!(
                text.parse::<DspritesSubset>().unwrap(),
                s,
                "{spec} -> {text}"
            );
        }
        let single: DspritesSubset = "orients:5-5".parse().unwrap();
        assert_eq!(single.classes_of(2), &[5]);
    }

    #[test]
    fn bad_specs_are_clear_errors() {
        let cases = [
            ("scales:7", "0..=5"),
            ("stride:0", "1..=31"),
            ("stride:32", "1..=31"),
            ("shapes:", "unknown shape"),
            ("shapes:star", "valid: square, ellipse, heart"),
            ("orients:40", "1..=39"),
            ("orients:0", "1..=39"),
            ("orients:3-1", "0..=39"),
            ("scales:x", "integer"),
            ("color:1", "unknown subset key"),
            ("stride:2,stride:3", "twice"),
            ("heart", "key:value"),
            ("shapes:heart;scales:1", "unknown shape"),
        ];
        for (spec, needle) in cases {
            let err = spec.parse::<DspritesSubset>().unwrap_err();
            assert!(err.contains(needle), "{spec}: {err}");
        }
        assert!(DspritesSubset::new(vec![], vec![0], vec![0], 1)
            .unwrap_err()
            .contains("empty shape"));
    }

    #[test]
    fn batches_are_uniform_and_chunks_cover_the_subset() {
        let s: DspritesSubset = "shapes:heart,scales:5,orients:4,stride:8".parse().unwrap();
        assert_eq!(s.len(), 64);
        let mut rng = Rng::new(5);
        let (mut out, mut fs) = (
            vec![0.0f32; 32 * IMAGE_PIXELS],
            vec![Factors::default(); 32],
        );
        let mut counts = vec![0usize; 64];
        for _ in 0..200 {
            s.sample_batch(&mut rng, &mut out, &mut fs);
            for f in &fs {
                counts[s.index_of(*f).unwrap()] += 1;
            }
        }
        // 6400 draws over 64 images: 100 expected each, sd 10.
        assert!(counts.iter().all(|&c| (60..140).contains(&c)), "{counts:?}");
        let mut img = vec![0.0f32; IMAGE_PIXELS];
        dsprites::render(fs[31], &mut img);
        assert_eq!(&out[31 * IMAGE_PIXELS..], &img[..]);
        let ranges: Vec<_> = s.chunk_ranges(24).collect();
        assert_eq!(ranges, vec![0..24, 24..48, 48..64]);
        assert_eq!(s.render_range(48..64, &mut out, &mut fs), 16);
        assert_eq!(fs[15], s.factors(63));
    }
}
