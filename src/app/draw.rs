//! Canvas drawing: dense plots are drawn as pixels on one canvas, never as DOM nodes.

use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

use crate::train::Posterior;

/// Okabe–Ito colours: distinguishable with the common colour-vision deficiencies.
pub const PALETTE: [&str; 8] = [
    "#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2", "#CC79A7", "#F0E442", "#000000",
];

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok()??.dyn_into().ok()
}

/// Half-width of the square view around the origin that holds the samples (at least 3).
pub fn view_radius(p: &Posterior, dims: (usize, usize)) -> f64 {
    let k = p.latents;
    let m =
        p.z.chunks(k)
            .flat_map(|row| [row[dims.0].abs(), row[dims.1].abs()])
            .filter(|v| v.is_finite())
            .fold(0.0f32, f32::max) as f64;
    (m * 1.1).max(3.0)
}

/// Draws samples of q(z) for latent dims `dims` over the prior's density (grey shading),
/// coloured by label, on [−r, r]² (r from [`view_radius`]; two runs side by side share one),
/// with `title` (e.g. the run's name) in the top left corner when it is not empty.
pub fn posterior(
    canvas: &HtmlCanvasElement,
    p: &Posterior,
    dims: (usize, usize),
    r: f64,
    title: &str,
    prior_density: impl Fn(f64, f64) -> f64,
) {
    let Some(ctx) = context(canvas) else { return };
    let (w, h) = (canvas.width() as usize, canvas.height() as usize);
    if w == 0 || h == 0 || p.latents <= dims.0.max(dims.1) {
        return;
    }
    let to_px = |x: f64, y: f64| {
        (
            (x + r) / (2.0 * r) * w as f64,
            (r - y) / (2.0 * r) * h as f64,
        )
    };
    // Background: prior density, normalised to its maximum, as grey levels.
    let mut pixels = vec![255u8; w * h * 4];
    let mut peak = 1e-300f64;
    let mut dens = vec![0.0f64; w * h];
    for (i, d) in dens.iter_mut().enumerate() {
        let (px, py) = ((i % w) as f64 + 0.5, (i / w) as f64 + 0.5);
        *d = prior_density(px / w as f64 * 2.0 * r - r, r - py / h as f64 * 2.0 * r);
        peak = peak.max(*d);
    }
    for (i, d) in dens.iter().enumerate() {
        let shade = 255.0 - 90.0 * (d / peak);
        pixels[4 * i] = shade as u8;
        pixels[4 * i + 1] = shade as u8;
        pixels[4 * i + 2] = (shade + 10.0).min(255.0) as u8;
    }
    if let Ok(img) =
        ImageData::new_with_u8_clamped_array_and_sh(Clamped(&pixels), w as u32, h as u32)
    {
        let _ = ctx.put_image_data(&img, 0.0, 0.0);
    }
    // Axes through the origin.
    ctx.set_stroke_style_str("#9aa0a6");
    ctx.begin_path();
    let (ox, oy) = to_px(0.0, 0.0);
    ctx.move_to(0.0, oy);
    ctx.line_to(w as f64, oy);
    ctx.move_to(ox, 0.0);
    ctx.line_to(ox, h as f64);
    ctx.stroke();
    // Samples, one colour per label (grouped to set each style once).
    for (c, colour) in PALETTE.iter().enumerate() {
        ctx.set_fill_style_str(colour);
        for (row, &label) in p.z.chunks(p.latents).zip(&p.labels) {
            if label as usize % PALETTE.len() != c {
                continue;
            }
            let (x, y) = to_px(row[dims.0] as f64, row[dims.1] as f64);
            ctx.fill_rect(x - 1.5, y - 1.5, 3.0, 3.0);
        }
    }
    ctx.set_fill_style_str("#333");
    ctx.set_font("12px sans-serif");
    let _ = ctx.fill_text(
        &format!("z{} ∈ [−{r:.1}, {r:.1}]", dims.0 + 1),
        6.0,
        h as f64 - 6.0,
    );
    let _ = ctx.fill_text(&format!("z{}", dims.1 + 1), ox + 4.0, 14.0);
    if !title.is_empty() {
        ctx.set_font("bold 14px sans-serif");
        let _ = ctx.fill_text(title, 6.0, 16.0);
    }
}

/// One line of a chart: legend label, colour and (step, value) points.
pub struct Series<'a> {
    /// Legend label ("" for none).
    pub label: &'a str,
    /// CSS colour.
    pub colour: &'a str,
    /// The points.
    pub points: &'a [(u64, f32)],
}

/// Draws a line chart of (step, value) with min/max labels.
pub fn curve(canvas: &HtmlCanvasElement, points: &[(u64, f32)], colour: &str) {
    let series = Series {
        label: "",
        colour,
        points,
    };
    curves(
        canvas,
        &[series],
        "Press Start to train: the loss appears here.",
    );
}

/// Draws several (step, value) series on shared axes, with a legend of their labels.
pub fn curves(canvas: &HtmlCanvasElement, series: &[Series], empty_text: &str) {
    let Some(ctx) = context(canvas) else { return };
    let (w, h) = (canvas.width() as f64, canvas.height() as f64);
    ctx.clear_rect(0.0, 0.0, w, h);
    let finite = |s: &[(u64, f32)]| {
        s.iter()
            .copied()
            .filter(|p| p.1.is_finite())
            .collect::<Vec<_>>()
    };
    let all: Vec<Vec<(u64, f32)>> = series.iter().map(|s| finite(s.points)).collect();
    let flat: Vec<(u64, f32)> = all.iter().flatten().copied().collect();
    if flat.len() < 2 {
        ctx.set_fill_style_str("#666");
        ctx.set_font("13px sans-serif");
        let _ = ctx.fill_text(empty_text, 12.0, h / 2.0);
        return;
    }
    let (pad_l, pad_r, pad_t, pad_b) = (56.0, 10.0, 10.0, 22.0);
    let x0 = flat.iter().map(|p| p.0).min().unwrap_or(0) as f64;
    let x1 = flat.iter().map(|p| p.0).max().unwrap_or(1) as f64;
    let lo = flat.iter().map(|p| p.1).fold(f32::INFINITY, f32::min) as f64;
    let hi = flat.iter().map(|p| p.1).fold(f32::NEG_INFINITY, f32::max) as f64;
    let (span_x, span_y) = ((x1 - x0).max(1.0), (hi - lo).max(1e-6));
    let px = |s: u64| pad_l + (s as f64 - x0) / span_x * (w - pad_l - pad_r);
    let py = |v: f32| pad_t + (hi - v as f64) / span_y * (h - pad_t - pad_b);
    ctx.set_stroke_style_str("#ccc");
    ctx.stroke_rect(pad_l, pad_t, w - pad_l - pad_r, h - pad_t - pad_b);
    if lo < 0.0 && hi > 0.0 {
        ctx.begin_path();
        ctx.move_to(pad_l, py(0.0));
        ctx.line_to(w - pad_r, py(0.0));
        ctx.stroke();
    }
    ctx.set_line_width(1.5);
    for (s, pts) in series.iter().zip(&all) {
        ctx.set_stroke_style_str(s.colour);
        ctx.begin_path();
        // At most ~2 points per horizontal pixel.
        let stride = (pts.len() / (2 * w as usize).max(1)).max(1);
        for (i, &(s, v)) in pts.iter().step_by(stride).enumerate() {
            if i == 0 {
                ctx.move_to(px(s), py(v));
            } else {
                ctx.line_to(px(s), py(v));
            }
        }
        ctx.stroke();
    }
    ctx.set_line_width(1.0);
    ctx.set_fill_style_str("#333");
    ctx.set_font("11px sans-serif");
    let _ = ctx.fill_text(&format!("{hi:.3}"), 4.0, pad_t + 10.0);
    let _ = ctx.fill_text(&format!("{lo:.3}"), 4.0, h - pad_b);
    let _ = ctx.fill_text(&format!("step {}", x1 as u64), w - 90.0, h - 6.0);
    let mut x = pad_l + 6.0;
    for Series { label, colour, .. } in series.iter().filter(|s| !s.label.is_empty()) {
        ctx.set_fill_style_str(colour);
        ctx.fill_rect(x, pad_t + 4.0, 10.0, 10.0);
        ctx.set_fill_style_str("#333");
        let _ = ctx.fill_text(label, x + 13.0, pad_t + 13.0);
        x += 13.0 + 7.0 * label.chars().count() as f64 + 10.0;
    }
}

/// Draws one bar per value (e.g. KL per latent), labelled z1, z2, …
pub fn bars(canvas: &HtmlCanvasElement, values: &[f32], threshold: f32) {
    let Some(ctx) = context(canvas) else { return };
    let (w, h) = (canvas.width() as f64, canvas.height() as f64);
    ctx.clear_rect(0.0, 0.0, w, h);
    if values.is_empty() {
        return;
    }
    let top = values.iter().copied().fold(threshold, f32::max) as f64 * 1.1;
    let bw = (w - 20.0) / values.len() as f64;
    ctx.set_font("11px sans-serif");
    for (j, &v) in values.iter().enumerate() {
        let bh = (v.max(0.0) as f64 / top) * (h - 30.0);
        ctx.set_fill_style_str(if v > threshold { PALETTE[4] } else { "#bbb" });
        ctx.fill_rect(10.0 + j as f64 * bw + 2.0, h - 16.0 - bh, bw - 4.0, bh);
        ctx.set_fill_style_str("#333");
        let _ = ctx.fill_text(&format!("z{}", j + 1), 10.0 + j as f64 * bw + 2.0, h - 3.0);
        let _ = ctx.fill_text(
            &format!("{v:.2}"),
            10.0 + j as f64 * bw + 2.0,
            (h - 20.0 - bh).max(10.0),
        );
    }
}

/// Draws binary images in a grid (`cols` per row), 1 px apart, scaled to fill the canvas width.
pub fn image_grid(canvas: &HtmlCanvasElement, side: usize, pixels: &[u8], cols: usize) {
    let Some(ctx) = context(canvas) else { return };
    let n = pixels.len() / (side * side).max(1);
    if n == 0 || cols == 0 {
        return;
    }
    let rows = n.div_ceil(cols);
    let (w, h) = (cols * (side + 1) + 1, rows * (side + 1) + 1);
    let mut rgba = vec![200u8; w * h * 4];
    for img in 0..n {
        let (ox, oy) = (1 + (img % cols) * (side + 1), 1 + (img / cols) * (side + 1));
        for r in 0..side {
            for c in 0..side {
                let v = if pixels[img * side * side + r * side + c] > 0 {
                    255
                } else {
                    20
                };
                let i = 4 * ((oy + r) * w + ox + c);
                rgba[i..i + 3].fill(v);
            }
        }
    }
    for a in rgba.iter_mut().skip(3).step_by(4) {
        *a = 255;
    }
    canvas.set_width(w as u32);
    canvas.set_height(h as u32);
    if let Ok(img) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), w as u32, h as u32)
    {
        let _ = ctx.put_image_data(&img, 0.0, 0.0);
    }
}

/// Draws 2-D points coloured by label, scaled to fit.
pub fn scatter(canvas: &HtmlCanvasElement, xy: &[f32], labels: &[u32]) {
    let Some(ctx) = context(canvas) else { return };
    let (w, h) = (canvas.width() as f64, canvas.height() as f64);
    ctx.set_fill_style_str("#fff");
    ctx.fill_rect(0.0, 0.0, w, h);
    let r = xy
        .iter()
        .filter(|v| v.is_finite())
        .fold(1e-6f32, |m, v| m.max(v.abs())) as f64
        * 1.05;
    for (c, colour) in PALETTE.iter().enumerate() {
        ctx.set_fill_style_str(colour);
        for (p, &l) in xy.chunks(2).zip(labels) {
            if l as usize % PALETTE.len() == c {
                let (x, y) = (
                    (p[0] as f64 + r) / (2.0 * r) * w,
                    (r - p[1] as f64) / (2.0 * r) * h,
                );
                ctx.fill_rect(x - 1.0, y - 1.0, 2.0, 2.0);
            }
        }
    }
}

/// Draws greyscale images (0–255) in a grid of `cols` columns, each row labelled z_j.
pub fn traversal_grid(
    canvas: &HtmlCanvasElement,
    side: usize,
    pixels: &[u8],
    cols: usize,
    order: &[usize],
) {
    let Some(ctx) = context(canvas) else { return };
    let n = pixels.len() / (side * side).max(1);
    if n == 0 || cols == 0 {
        return;
    }
    let rows = n.div_ceil(cols);
    let label_w = 28;
    let (w, h) = (label_w + cols * (side + 1), rows * (side + 1));
    let mut rgba = vec![255u8; w * h * 4];
    for img in 0..n {
        let (ox, oy) = (
            label_w + (img % cols) * (side + 1),
            (img / cols) * (side + 1),
        );
        for r in 0..side {
            for c in 0..side {
                let i = 4 * ((oy + r) * w + ox + c);
                rgba[i..i + 3].fill(255 - pixels[img * side * side + r * side + c]);
            }
        }
    }
    canvas.set_width(w as u32);
    canvas.set_height(h as u32);
    if let Ok(img) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), w as u32, h as u32)
    {
        let _ = ctx.put_image_data(&img, 0.0, 0.0);
    }
    ctx.set_fill_style_str("#333");
    ctx.set_font("12px sans-serif");
    for (r, j) in order.iter().enumerate().take(rows) {
        let _ = ctx.fill_text(
            &format!("z{}", j + 1),
            2.0,
            (r * (side + 1) + side / 2 + 4) as f64,
        );
    }
}

/// Draws the data (grey) and one decoded path per latent (coloured), with the start point.
pub fn traversal_paths(
    canvas: &HtmlCanvasElement,
    data_xy: &[f32],
    paths: &[f32],
    steps: usize,
    centre: [f32; 2],
    order: &[usize],
) {
    let Some(ctx) = context(canvas) else { return };
    let (w, h) = (canvas.width() as f64, canvas.height() as f64);
    ctx.set_fill_style_str("#fff");
    ctx.fill_rect(0.0, 0.0, w, h);
    // Frame the data (paths may run far outside it; the canvas clips them).
    let source = if data_xy.is_empty() { paths } else { data_xy };
    let r = source
        .iter()
        .filter(|v| v.is_finite())
        .fold(1e-6f32, |m, v| m.max(v.abs())) as f64
        * 1.3;
    let to_px = |x: f32, y: f32| {
        (
            (x as f64 + r) / (2.0 * r) * w,
            (r - y as f64) / (2.0 * r) * h,
        )
    };
    ctx.set_fill_style_str("#ccc");
    for p in data_xy.chunks(2) {
        let (x, y) = to_px(p[0], p[1]);
        ctx.fill_rect(x - 1.0, y - 1.0, 2.0, 2.0);
    }
    ctx.set_line_width(2.0);
    ctx.set_font("12px sans-serif");
    for (row, path) in paths.chunks(2 * steps.max(1)).enumerate() {
        let colour = PALETTE[row % PALETTE.len()];
        ctx.set_stroke_style_str(colour);
        ctx.begin_path();
        for (i, p) in path.chunks(2).enumerate() {
            let (x, y) = to_px(p[0], p[1]);
            if i == 0 {
                ctx.move_to(x, y);
            } else {
                ctx.line_to(x, y);
            }
        }
        ctx.stroke();
        if let (Some(last), Some(j)) = (path.chunks(2).last(), order.get(row)) {
            let (x, y) = to_px(last[0], last[1]);
            ctx.set_fill_style_str(colour);
            let _ = ctx.fill_text(&format!("z{} +3", j + 1), x + 3.0, y);
        }
    }
    ctx.set_line_width(1.0);
    let (x, y) = to_px(centre[0], centre[1]);
    ctx.set_fill_style_str("#000");
    ctx.fill_rect(x - 3.0, y - 3.0, 6.0, 6.0);
}
