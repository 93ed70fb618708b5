//! PNG plots for the command line (plotters drawing into an RGB buffer, encoded with `png`).
//! Text uses the DejaVu Sans subset committed in `assets/fonts/` (licence beside it), so
//! nothing depends on the fonts of the machine.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

/// The font family name the plots ask for.
const FONT: &str = "sans-serif";
/// DejaVu Sans, subsetted to Latin, Greek and a few signs (assets/fonts/LICENSE.txt).
static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-subset.ttf");

/// Colours of successive series (Tableau 10's first six).
pub const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// A drawing area of the bitmap backend.
pub type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// One series of a [`seeds_chart`]: per x position, one value per seed.
pub struct SeedSeries {
    /// Legend text.
    pub label: String,
    /// (x, values over seeds) pairs.
    pub points: Vec<(f64, Vec<f64>)>,
}

/// A horizontal reference line with its legend text.
pub struct RefLine {
    /// Height.
    pub y: f64,
    /// Legend text.
    pub label: String,
}

/// Registers the committed font with plotters (once per process).
fn register_font() -> Result<(), String> {
    static ONCE: Once = Once::new();
    let mut result = Ok(());
    ONCE.call_once(|| {
        result = plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES)
            .map_err(|_| "the committed plot font does not parse".to_string());
    });
    result
}

/// Draws a `w` × `h` image with `draw` and writes it to `path` as an RGB PNG.
pub fn write_png(
    path: &Path,
    (w, h): (u32, u32),
    draw: impl FnOnce(&Area) -> Result<(), String>,
) -> Result<(), String> {
    register_font()?;
    let mut rgb = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        draw(&root)?;
        root.present().map_err(err)?;
    }
    let mut bytes = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut bytes, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header().map_err(|e| format!("PNG header: {e}"))?;
        writer
            .write_image_data(&rgb)
            .map_err(|e| format!("PNG data: {e}"))?;
        writer.finish().map_err(|e| format!("PNG finish: {e}"))?;
    }
    std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn err(e: impl std::fmt::Display) -> String {
    format!("plot: {e}")
}

/// Mean and sample standard deviation (ddof 1; 0 for a single value).
pub fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let mean = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (mean, 0.0);
    }
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// Per-seed values as small dots, their mean ± std as a bar with a marker, the means of a
/// series joined by a line when it has several x positions. `x_names` labels integer x
/// positions (categorical axes); otherwise integer x values are printed.
pub fn seeds_chart(
    area: &Area,
    title: &str,
    (x_desc, y_desc): (&str, &str),
    x_names: Option<&[String]>,
    series: &[SeedSeries],
    reference: Option<&RefLine>,
) -> Result<(), String> {
    let xs: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .collect();
    let mut ys: Vec<f64> = series
        .iter()
        .flat_map(|s| s.points.iter().flat_map(|p| p.1.iter().copied()))
        .filter(|y| y.is_finite())
        .collect();
    ys.extend(reference.map(|r| r.y));
    let (x0, x1) = bounds(&xs);
    let (y0, y1) = bounds(&ys);
    let pad = ((y1 - y0) * 0.12).max(1e-3);
    let (y0, y1) = (y0 - pad, y1 + pad);
    let xpad = ((x1 - x0) * 0.15).max(0.5);
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((x0 - xpad)..(x1 + xpad), y0..y1)
        .map_err(err)?;
    let names = x_names.map(|n| n.to_vec());
    let x_fmt = move |x: &f64| {
        let r = x.round();
        if (x - r).abs() > 1e-6 {
            return String::new();
        }
        match &names {
            Some(n) => n.get(r as usize).cloned().unwrap_or_default(),
            None => format!("{r}"),
        }
    };
    chart
        .configure_mesh()
        .x_labels(40)
        .x_label_formatter(&x_fmt)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .light_line_style(WHITE)
        .draw()
        .map_err(err)?;
    if let Some(r) = reference {
        let grey = RGBColor(120, 120, 120);
        chart
            .draw_series(LineSeries::new(
                vec![(x0 - xpad, r.y), (x1 + xpad, r.y)],
                grey.stroke_width(1),
            ))
            .map_err(err)?
            .label(r.label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], grey));
    }
    let offset = |i: usize| (i as f64 - (series.len() as f64 - 1.0) / 2.0) * 0.06 * (x1 - x0 + 1.0);
    for (i, s) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let dx = offset(i);
        let stats: Vec<(f64, f64, f64)> = s
            .points
            .iter()
            .map(|(x, v)| {
                let (m, sd) = mean_std(v);
                (x + dx, m, sd)
            })
            .collect();
        chart
            .draw_series(
                s.points
                    .iter()
                    .flat_map(|(x, v)| v.iter().map(move |&y| (x + dx, y)))
                    .filter(|p| p.1.is_finite())
                    .map(|p| Circle::new(p, 3, color.mix(0.45).filled())),
            )
            .map_err(err)?;
        chart
            .draw_series(stats.iter().map(|&(x, m, sd)| {
                PathElement::new(vec![(x, m - sd), (x, m + sd)], color.stroke_width(2))
            }))
            .map_err(err)?;
        if stats.len() > 1 {
            chart
                .draw_series(LineSeries::new(
                    stats.iter().map(|&(x, m, _)| (x, m)),
                    color.stroke_width(2),
                ))
                .map_err(err)?;
        }
        chart
            .draw_series(
                stats
                    .iter()
                    .map(|&(x, m, _)| TriangleMarker::new((x, m), 7, color.filled())),
            )
            .map_err(err)?
            .label(s.label.clone())
            .legend(move |(x, y)| TriangleMarker::new((x + 8, y), 6, color.filled()));
    }
    chart
        .configure_series_labels()
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(err)?;
    Ok(())
}

/// One series of an [`xy_chart`]: every seed's point, and the means joined in sweep order.
pub struct XySeries {
    /// Legend text.
    pub label: String,
    /// (x, y) of every run.
    pub seeds: Vec<(f64, f64)>,
    /// (x, y, label) of the means, in sweep order.
    pub means: Vec<(f64, f64, String)>,
}

/// Points in the plane: each series' runs as small dots, its means as labelled markers joined
/// by a line (a score against reconstruction, say, along a sweep).
pub fn xy_chart(
    area: &Area,
    title: &str,
    (x_desc, y_desc): (&str, &str),
    series: &[XySeries],
) -> Result<(), String> {
    let pts = || series.iter().flat_map(|s| s.seeds.iter().copied());
    let (x0, x1) = bounds(&pts().map(|p| p.0).collect::<Vec<_>>());
    let (y0, y1) = bounds(&pts().map(|p| p.1).collect::<Vec<_>>());
    let (xp, yp) = (((x1 - x0) * 0.1).max(1e-3), ((y1 - y0) * 0.12).max(1e-3));
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((x0 - xp)..(x1 + xp), (y0 - yp)..(y1 + yp))
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style((FONT, 14))
        .axis_desc_style((FONT, 15))
        .light_line_style(WHITE)
        .draw()
        .map_err(err)?;
    for (i, s) in series.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        chart
            .draw_series(
                s.seeds
                    .iter()
                    .filter(|p| p.0.is_finite() && p.1.is_finite())
                    .map(|&p| Circle::new(p, 3, color.mix(0.45).filled())),
            )
            .map_err(err)?;
        let means: Vec<(f64, f64)> = s
            .means
            .iter()
            .map(|m| (m.0, m.1))
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .collect();
        chart
            .draw_series(LineSeries::new(means.clone(), color.stroke_width(2)))
            .map_err(err)?;
        chart
            .draw_series(
                means
                    .iter()
                    .map(|&p| TriangleMarker::new(p, 7, color.filled())),
            )
            .map_err(err)?
            .label(s.label.clone())
            .legend(move |(x, y)| TriangleMarker::new((x + 8, y), 6, color.filled()));
        chart
            .draw_series(
                s.means
                    .iter()
                    .filter(|m| m.0.is_finite() && m.1.is_finite())
                    .map(|m| Text::new(m.2.clone(), (m.0, m.1), (FONT, 13))),
            )
            .map_err(err)?;
    }
    chart
        .configure_series_labels()
        .label_font((FONT, 14))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(err)?;
    Ok(())
}

/// 2-D points coloured by class, with optional circles (centre, radius) drawn over them.
pub fn scatter(
    area: &Area,
    title: &str,
    points: &[(f64, f64, u32)],
    circles: &[(f64, f64, f64)],
    limit: f64,
) -> Result<(), String> {
    let mut chart = ChartBuilder::on(area)
        .caption(title, (FONT, 18))
        .margin(12)
        .x_label_area_size(35)
        .y_label_area_size(45)
        .build_cartesian_2d(-limit..limit, -limit..limit)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("z1")
        .y_desc("z2")
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 14))
        .light_line_style(WHITE)
        .draw()
        .map_err(err)?;
    chart
        .draw_series(
            points
                .iter()
                .filter(|p| p.0.abs() < limit && p.1.abs() < limit)
                .map(|&(x, y, c)| {
                    let color = PALETTE[c as usize % PALETTE.len()];
                    Circle::new((x, y), 2, color.mix(0.6).filled())
                }),
        )
        .map_err(err)?;
    for &(cx, cy, r) in circles {
        let ring: Vec<(f64, f64)> = (0..=64)
            .map(|i| {
                let a = i as f64 / 64.0 * std::f64::consts::TAU;
                (cx + r * a.cos(), cy + r * a.sin())
            })
            .collect();
        chart
            .draw_series(LineSeries::new(ring, BLACK.stroke_width(1)))
            .map_err(err)?;
    }
    Ok(())
}

/// (min, max) of the finite values; (0, 1) when there are none.
fn bounds(v: &[f64]) -> (f64, f64) {
    let finite = v.iter().copied().filter(|x| x.is_finite());
    let lo = finite.clone().fold(f64::INFINITY, f64::min);
    let hi = finite.fold(f64::NEG_INFINITY, f64::max);
    if lo.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_std_uses_ddof_1() {
        let (m, s) = mean_std(&[1.0, 2.0, 3.0]);
        assert!((m - 2.0).abs() < 1e-12 && (s - 1.0).abs() < 1e-12);
        assert_eq!(mean_std(&[5.0]), (5.0, 0.0));
    }

    #[test]
    fn the_embedded_font_loads_and_a_chart_renders_to_png() {
        let path = std::env::temp_dir().join(format!("dlab-plot-{}.png", std::process::id()));
        let series = [SeedSeries {
            label: "β-VAE".into(),
            points: vec![(4.0, vec![0.1, 0.2]), (8.0, vec![0.3])],
        }];
        write_png(&path, (400, 300), |a| {
            seeds_chart(a, "MIG vs β", ("β", "MIG"), None, &series, None)
        })
        .unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[1..4], b"PNG");
        let _ = std::fs::remove_file(path);
    }
}
