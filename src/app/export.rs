//! The run's numbers as files: every curve (loss, its terms, run B's loss) and every metric
//! measured, as one CSV table (a row per step, a column per series, blank where a series has
//! no value at that step) or as JSON (the same series, the settings, and the full metric
//! reports).

use std::collections::BTreeMap;

use serde_json::json;

use super::state::UiState;
use crate::train::metric_report::MetricReport;

/// The named (step, value) series of the run, in column order: loss, the other terms, run
/// B's loss, then each metric.
fn series(state: &UiState) -> Vec<(String, Vec<(u64, f64)>)> {
    let widen = |v: &[(u64, f32)]| -> Vec<(u64, f64)> {
        v.iter().map(|&(s, x)| (s, f64::from(x))).collect()
    };
    let mut out = vec![("loss".to_string(), widen(&state.loss_history))];
    for (name, values) in &state.term_history {
        out.push((name.key().to_string(), widen(values)));
    }
    if let Some(b) = &state.compare {
        out.push(("loss_b".to_string(), widen(&b.loss_history)));
    }
    let reports = state
        .metrics
        .history
        .iter()
        .chain(&state.metrics.on_request);
    for r in reports {
        for v in &r.values {
            let i = match out.iter().position(|(k, _)| *k == v.key) {
                Some(i) => i,
                None => {
                    out.push((v.key.clone(), Vec::new()));
                    out.len() - 1
                }
            };
            out[i].1.push((r.step, v.value));
        }
    }
    out
}

/// One CSV table: `step,<series…>`, a row per step where any series has a value.
pub fn curves_csv(state: &UiState) -> String {
    let series = series(state);
    let mut rows: BTreeMap<u64, Vec<Option<f64>>> = BTreeMap::new();
    for (col, (_, points)) in series.iter().enumerate() {
        for &(step, v) in points {
            rows.entry(step).or_insert_with(|| vec![None; series.len()])[col] = Some(v);
        }
    }
    let mut out = String::from("step");
    for (key, _) in &series {
        out.push(',');
        out.push_str(key);
    }
    out.push('\n');
    for (step, values) in rows {
        out.push_str(&step.to_string());
        for v in values {
            out.push(',');
            if let Some(v) = v {
                out.push_str(&v.to_string());
            }
        }
        out.push('\n');
    }
    out
}

/// The settings, every series as `[[step, value], …]`, and the full metric reports.
pub fn curves_json(state: &UiState) -> String {
    let curves: serde_json::Map<String, serde_json::Value> = series(state)
        .into_iter()
        .map(|(k, v)| (k, json!(v)))
        .collect();
    let reports = |r: &[MetricReport]| json!(r);
    let doc = json!({
        "program": concat!("disentangle-lab ", env!("CARGO_PKG_VERSION")),
        "link": state.link(),
        "settings": state.config,
        "step": state.step,
        "curves": curves,
        "metrics": {
            "periodic": reports(&state.metrics.history),
            "on_request": reports(&state.metrics.on_request),
        },
    });
    serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// A file-name stem for this run: `disentangle-lab-<model>-<data>-step<N>`.
pub fn stem(state: &UiState) -> String {
    format!(
        "disentangle-lab-{}-{}-step{}",
        state.config.model.key(),
        state.config.dataset.key(),
        state.step
    )
}
