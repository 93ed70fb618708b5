//! `dsprites` and `data` subcommands: render dSprites images to `.npy`/PNG and write the 2-D
//! data sets as CSV.

use super::CliResult;
use crate::data::dsprites::{self, Factors, IMAGE_PIXELS, IMAGE_SIDE};
use crate::data::ivae;
use crate::data::pinwheel;
use crate::data::spectrum;
use crate::data::subset::DspritesSubset;
use crate::io::npy::{to_npy_bytes, NpyValues};
use crate::rng::Rng;
use crate::settings::cli::IvaeDataArgs;
use crate::settings::Prior;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// dSprites rendering commands.
#[derive(clap::Subcommand, Debug)]
pub enum DspritesCmd {
    /// Render the images whose classes are listed in a CSV (header shape,scale,orientation,pos_x,pos_y) to a uint8 N×64×64 .npy.
    Render {
        /// CSV of factor classes; extra columns after the five are ignored.
        #[arg(long)]
        classes: PathBuf,
        /// Output .npy file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Draw random images of a subset and write them as a PNG sprite sheet.
    Sheet {
        /// Subset spec, e.g. `full`, `default`, `shapes:heart,scales:0-5,orients:10,stride:2`.
        #[arg(long, default_value = "default")]
        subset: DspritesSubset,
        /// Number of sprites.
        #[arg(long, default_value_t = 64)]
        count: usize,
        /// Random seed of the draw.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Output PNG file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Compute the 20 largest eigenvalues of XᵀX over all 737,280 images (the squared singular
    /// values DD's anisotropic prior takes; ~15 s) and print them as the Rust array
    /// `data::spectrum::GRAM_TOP_EIGENVALUES` holds, then the prior's scales for 10 latents.
    Spectrum,
}

/// 2-D data set commands.
#[derive(clap::Subcommand, Debug)]
pub enum DataCmd {
    /// Adams' pinwheel (4 arms × 100 points) as CSV `x0,x1,label`.
    Pinwheel {
        /// Random seed.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Output CSV file.
        #[arg(long)]
        out: PathBuf,
    },
    /// iVAE sources and mixed observations as CSV `s0..,x0..,segment`.
    Ivae {
        /// The generator's settings, under `train`'s flags and defaults.
        #[command(flatten)]
        settings: IvaeDataArgs,
        /// Output CSV file.
        #[arg(long)]
        out: PathBuf,
    },
}

/// Runs a `dsprites` subcommand.
pub fn run_dsprites(cmd: DspritesCmd) -> CliResult {
    match cmd {
        DspritesCmd::Render { classes, out } => {
            let text = std::fs::read_to_string(&classes)
                .map_err(|e| format!("cannot read {}: {e}", classes.display()))?;
            let factors =
                parse_classes_csv(&text).map_err(|e| format!("{}: {e}", classes.display()))?;
            let mut pixels = vec![0u8; factors.len() * IMAGE_PIXELS];
            for (f, img) in factors.iter().zip(pixels.chunks_exact_mut(IMAGE_PIXELS)) {
                dsprites::render_u8(*f, img);
            }
            // uint8 N × 64 × 64, C order, as dSprites' own `imgs` array.
            let shape = [factors.len(), IMAGE_SIDE, IMAGE_SIDE];
            write_file(&out, &to_npy_bytes(&shape, NpyValues::U8(&pixels))?)
        }
        DspritesCmd::Sheet {
            subset,
            count,
            seed,
            out,
        } => {
            if count == 0 {
                return Err("--count must be at least 1".into());
            }
            let mut images = vec![0.0f32; count * IMAGE_PIXELS];
            let mut factors = vec![Factors::default(); count];
            subset.sample_batch(&mut Rng::new(seed), &mut images, &mut factors);
            let cols = (count as f64).sqrt().ceil() as usize;
            write_file(&out, &dsprites::sprite_sheet_png(&images, cols)?)
        }
        DspritesCmd::Spectrum => {
            let values = spectrum::gram_top_eigenvalues();
            let list: Vec<String> = values.iter().map(|v| format!("    {v:?},")).collect();
            println!("[\n{}\n]", list.join("\n"));
            if values.as_slice() != spectrum::GRAM_TOP_EIGENVALUES.as_slice() {
                println!("(differs from the stored GRAM_TOP_EIGENVALUES: paste the above there)");
            }
            if let Some(Prior::Anisotropic { scales }) = Prior::dsprites_pca(10) {
                let s: Vec<String> = scales.iter().map(|s| format!("{s:.4}")).collect();
                println!("DD's anisotropic prior, 10 latents: scales {}", s.join(","));
            }
            Ok(())
        }
    }
}

/// Runs a `data` subcommand.
pub fn run_data(cmd: DataCmd) -> CliResult {
    match cmd {
        DataCmd::Pinwheel { seed, out } => {
            let p = pinwheel::generate(seed);
            let mut csv = String::from("x0,x1,label\n");
            for i in 0..p.len() {
                let q = p.point(i);
                let _ = writeln!(csv, "{},{},{}", q[0], q[1], p.labels[i]);
            }
            write_file(&out, csv.as_bytes())
        }
        DataCmd::Ivae { settings, out } => {
            let config = settings.config()?;
            let data = ivae::generate(&config.ivae, config.seed)?;
            write_file(&out, ivae_csv(&data).as_bytes())
        }
    }
}

/// CSV `s0..s{d-1},x0..x{d-1},segment` with a header line.
fn ivae_csv(data: &ivae::IvaeData) -> String {
    let d = data.config.dim;
    let names = |p: &str| {
        (0..d)
            .map(|j| format!("{p}{j}"))
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut csv = format!("{},{},segment\n", names("s"), names("x"));
    for (i, seg) in data.segment.iter().enumerate() {
        let row = data.s[i * d..(i + 1) * d]
            .iter()
            .chain(&data.x[i * d..(i + 1) * d]);
        let cells: Vec<String> = row.map(|v| v.to_string()).collect();
        let _ = writeln!(csv, "{},{seg}", cells.join(","));
    }
    csv
}

/// The five class columns the render CSV must start with.
const CLASS_COLUMNS: [&str; 5] = ["shape", "scale", "orientation", "pos_x", "pos_y"];

/// Parses a class CSV; errors name the 1-based line number.
fn parse_classes_csv(text: &str) -> Result<Vec<Factors>, String> {
    let mut lines = text.lines().enumerate();
    let header: Vec<&str> = lines
        .next()
        .map(|(_, h)| h.split(',').map(str::trim).collect())
        .unwrap_or_default();
    if header.len() < 5 || header[..5] != CLASS_COLUMNS {
        return Err(format!(
            "line 1: header must start with {}",
            CLASS_COLUMNS.join(",")
        ));
    }
    let mut out = Vec::new();
    for (k, line) in lines.filter(|(_, l)| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let row = parse_class_row(&cells).map_err(|e| format!("line {}: {e}", k + 1))?;
        out.push(row);
    }
    Ok(out)
}

fn parse_class_row(cells: &[&str]) -> Result<Factors, String> {
    if cells.len() < 5 {
        return Err(format!("expected 5 class columns, got {}", cells.len()));
    }
    let mut c = [0usize; 5];
    for (k, cell) in cells[..5].iter().enumerate() {
        c[k] = cell
            .parse()
            .map_err(|_| format!("{} '{cell}' is not a class index", CLASS_COLUMNS[k]))?;
    }
    Factors::from_classes(c)
}

fn write_file(path: &Path, bytes: &[u8]) -> CliResult {
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::testdata::real_images;
    use crate::io::npy::parse_npy;

    fn temp(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!(
            "disentangle-cli-data-{}-{name}",
            std::process::id()
        ))
    }

    #[test]
    fn render_writes_the_real_images_as_npy() {
        let real = real_images();
        let mut csv = String::from("shape,scale,orientation,pos_x,pos_y\n");
        for r in real.iter().take(20) {
            let c = r.factors.classes().map(|v| v.to_string());
            csv.push_str(&format!("{}\n", c.join(",")));
        }
        let (csv_path, npy_path) = (temp("classes.csv"), temp("images.npy"));
        std::fs::write(&csv_path, csv).unwrap();
        run_dsprites(DspritesCmd::Render {
            classes: csv_path,
            out: npy_path.clone(),
        })
        .unwrap();
        let a = parse_npy(&std::fs::read(&npy_path).unwrap()).unwrap();
        assert_eq!((a.descr.as_str(), &a.shape[..]), ("|u1", &[20, 64, 64][..]));
        let data: Vec<u8> = a.data.iter().map(|&v| v as u8).collect();
        // The first 20 real frames are squares, which the renderer matches almost exactly.
        let same: usize = real
            .iter()
            .take(20)
            .zip(data.chunks(IMAGE_PIXELS))
            .map(|(r, img)| r.pixels.iter().zip(img).filter(|(a, b)| a == b).count())
            .sum();
        assert!(same as f64 / (20 * IMAGE_PIXELS) as f64 > 0.998, "{same}");
    }

    #[test]
    fn render_errors_name_the_line() {
        let bad = "shape,scale,orientation,pos_x,pos_y\n0,0,0,0,0\n\n0,9,0,0,0\n";
        assert!(parse_classes_csv(bad)
            .unwrap_err()
            .starts_with("line 4: scale class 9"));
        let err =
            parse_classes_csv("shape,scale,orientation,pos_x,pos_y\n1,x,0,0,0\n").unwrap_err();
        assert!(err.starts_with("line 2:"), "{err}");
        assert!(parse_classes_csv("a,b\n")
            .unwrap_err()
            .starts_with("line 1"));
        let missing = DspritesCmd::Render {
            classes: temp("nope.csv"),
            out: temp("nope.npy"),
        };
        assert!(run_dsprites(missing).unwrap_err().contains("cannot read"));
    }

    #[test]
    fn sheet_pinwheel_and_ivae_files() {
        let png_path = temp("sheet.png");
        let subset = "shapes:heart,orients:8".parse().unwrap();
        run_dsprites(DspritesCmd::Sheet {
            subset,
            count: 10,
            seed: 3,
            out: png_path.clone(),
        })
        .unwrap();
        assert_eq!(&std::fs::read(&png_path).unwrap()[1..4], b"PNG");
        let pin = temp("pinwheel.csv");
        run_data(DataCmd::Pinwheel {
            seed: 0,
            out: pin.clone(),
        })
        .unwrap();
        let text = std::fs::read_to_string(&pin).unwrap();
        assert_eq!(text.lines().next(), Some("x0,x1,label"));
        assert_eq!(text.lines().count(), 401);
        let iv = temp("ivae.csv");
        use clap::Parser;
        let w = Wrap::try_parse_from([
            "x",
            "data",
            "ivae",
            "--segments",
            "3",
            "--per-segment",
            "5",
            "--source-dim",
            "3",
            "--mixing-layers",
            "2",
            "--seed",
            "1",
            "--out",
            iv.to_str().unwrap(),
        ])
        .unwrap();
        let DataOrSprites::Data(cmd) = w.cmd else {
            panic!()
        };
        run_data(cmd).unwrap();
        let text = std::fs::read_to_string(&iv).unwrap();
        assert_eq!(text.lines().next(), Some("s0,s1,s2,x0,x1,x2,segment"));
        assert_eq!(text.lines().count(), 16);
        assert!(text.lines().last().unwrap().ends_with(",2"));
    }

    #[derive(clap::Parser, Debug)]
    struct Wrap {
        #[command(subcommand)]
        cmd: DataOrSprites,
    }

    #[derive(clap::Subcommand, Debug)]
    enum DataOrSprites {
        #[command(subcommand)]
        Dsprites(DspritesCmd),
        #[command(subcommand)]
        Data(DataCmd),
    }

    #[test]
    fn command_lines_parse_with_config_defaults() {
        use clap::Parser;
        let w = Wrap::try_parse_from(["x", "dsprites", "sheet", "--out", "a.png"]).unwrap();
        let DataOrSprites::Dsprites(DspritesCmd::Sheet { subset, count, .. }) = w.cmd else {
            panic!()
        };
        assert_eq!((subset.len(), count), (46_080, 64));
        let w =
            Wrap::try_parse_from(["x", "data", "ivae", "--seed", "4", "--out", "i.csv"]).unwrap();
        let DataOrSprites::Data(DataCmd::Ivae { settings, .. }) = w.cmd else {
            panic!()
        };
        let c = settings.config().unwrap();
        let i = c.ivae;
        assert_eq!(
            (i.segments, i.per_segment, i.dim, i.layers, c.seed),
            (40, 250, 2, 3, 4)
        );
        // The generator's bounds are the schema's, as for `train`.
        let absurd = [
            "x",
            "data",
            "ivae",
            "--segments",
            "4294967295",
            "--out",
            "i.csv",
        ];
        assert!(Wrap::try_parse_from(absurd)
            .unwrap_err()
            .to_string()
            .contains("1..=1000"));
        let bad = [
            "x", "dsprites", "sheet", "--subset", "scales:9", "--out", "a.png",
        ];
        assert!(Wrap::try_parse_from(bad)
            .unwrap_err()
            .to_string()
            .contains("0..=5"));
    }
}
