//! Canvas drawing of the metrics panel: the MI heatmap and the true-vs-recovered scatter.

use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use super::draw::PALETTE;
use crate::train::metric_report::{MiMatrix, SourceScatter};

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok()??.dyn_into().ok()
}

/// Sequential colour for v in [0, 1]: white → Okabe–Ito blue (monotone in lightness, so it
/// reads in greyscale and with colour-vision deficiencies).
fn shade(v: f64) -> String {
    let v = v.clamp(0.0, 1.0);
    let mix = |a: f64, b: f64| (a + (b - a) * v).round() as u8;
    format!(
        "rgb({},{},{})",
        mix(255.0, 0.0),
        mix(255.0, 60.0),
        mix(255.0, 130.0)
    )
}

/// Draws I(z_j; v_k) / H(v_k): one row per latent, one column per factor, value in each cell.
pub fn mi_heatmap(canvas: &HtmlCanvasElement, mi: &MiMatrix) {
    let Some(ctx) = context(canvas) else { return };
    let (w, h) = (canvas.width() as f64, canvas.height() as f64);
    ctx.clear_rect(0.0, 0.0, w, h);
    let (rows, cols) = (mi.normalised.len(), mi.factors.len());
    if rows == 0 || cols == 0 {
        return;
    }
    let (left, top) = (34.0, 18.0);
    let cw = (w - left - 4.0) / cols as f64;
    let ch = ((h - top - 4.0) / rows as f64).min(28.0);
    ctx.set_font("11px sans-serif");
    ctx.set_fill_style_str("#333");
    for (k, name) in mi.factors.iter().enumerate() {
        let _ = ctx.fill_text(name, left + k as f64 * cw + 3.0, top - 5.0);
    }
    for (j, row) in mi.normalised.iter().enumerate() {
        let y = top + j as f64 * ch;
        ctx.set_fill_style_str("#333");
        let _ = ctx.fill_text(&format!("z{}", j + 1), 4.0, y + ch / 2.0 + 4.0);
        for (k, &v) in row.iter().enumerate() {
            let x = left + k as f64 * cw;
            ctx.set_fill_style_str(&shade(v));
            ctx.fill_rect(x, y, cw - 1.0, ch - 1.0);
            ctx.set_fill_style_str(if v > 0.55 { "#fff" } else { "#333" });
            let _ = ctx.fill_text(&format!("{v:.2}"), x + cw / 2.0 - 11.0, y + ch / 2.0 + 4.0);
        }
    }
}

/// Draws one panel per (source, matched latent) pair: true s on x, recovered z on y,
/// coloured by segment.
pub fn source_scatter(canvas: &HtmlCanvasElement, sc: &SourceScatter) {
    let Some(ctx) = context(canvas) else { return };
    let (w, h) = (canvas.width() as f64, canvas.height() as f64);
    ctx.set_fill_style_str("#fff");
    ctx.fill_rect(0.0, 0.0, w, h);
    let n = sc.pairs.len().max(1) as f64;
    let pw = w / n;
    ctx.set_font("11px sans-serif");
    for (p, ((s, z, r), pts)) in sc.pairs.iter().zip(&sc.points).enumerate() {
        let x0 = p as f64 * pw;
        let (top, pad) = (16.0, 6.0);
        let range = |f: fn(&(f32, f32)) -> f32| {
            let (lo, hi) = pts
                .iter()
                .map(f)
                .filter(|v| v.is_finite())
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), v| {
                    (a.min(v), b.max(v))
                });
            if lo < hi {
                (lo as f64, hi as f64)
            } else {
                (lo as f64 - 1.0, lo as f64 + 1.0)
            }
        };
        let ((sx0, sx1), (zy0, zy1)) = (range(|q| q.0), range(|q| q.1));
        let (bw, bh) = (pw - 2.0 * pad, h - top - pad);
        ctx.set_stroke_style_str("#ccc");
        ctx.stroke_rect(x0 + pad, top, bw, bh);
        for (q, &l) in pts.iter().zip(&sc.labels) {
            if !(q.0.is_finite() && q.1.is_finite()) {
                continue;
            }
            let x = x0 + pad + (q.0 as f64 - sx0) / (sx1 - sx0) * bw;
            let y = top + (zy1 - q.1 as f64) / (zy1 - zy0) * bh;
            ctx.set_fill_style_str(PALETTE[l as usize % PALETTE.len()]);
            ctx.fill_rect(x - 1.0, y - 1.0, 2.5, 2.5);
        }
        ctx.set_fill_style_str("#333");
        let _ = ctx.fill_text(
            &format!("true s{} → z{}   |r| = {r:.2}", s + 1, z + 1),
            x0 + pad,
            12.0,
        );
    }
}
