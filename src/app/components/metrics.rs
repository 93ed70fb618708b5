//! The metrics panel: every number with its protocol, the headline metric's history, the MI
//! heatmap (dSprites), the true-vs-recovered scatter (iVAE), and the slow metrics on request.

use yew::prelude::*;

use super::panels::StateCommandProps;
use crate::app::state::Action;
use crate::app::{draw, draw_metrics};
use crate::protocol::ToWorker;
use crate::train::metric_report::{MetricRequest, METRIC_EVERY_STEPS};
use crate::train::DatasetKind;

/// The metric whose history is plotted, per data set: (key, label).
fn headline(dataset: DatasetKind) -> (&'static str, &'static str) {
    match dataset {
        DatasetKind::Dsprites => ("mig_dlib", "MIG (dlib)"),
        DatasetKind::Ivae => ("mcc", "MCC"),
        DatasetKind::Pinwheel => ("divergence_kl_p_q", "D(q(z), p(z))"),
    }
}

/// Metrics measured while training, and on request.
#[function_component(MetricsPanel)]
pub fn metrics_panel(props: &StateCommandProps) -> Html {
    let s = &props.state;
    let history_canvas = use_node_ref();
    let parts_canvas = use_node_ref();
    let detail_canvas = use_node_ref();
    let dataset = s.config.dataset;
    let (key, label) = headline(dataset);
    {
        let (hc, pc, dc) = (
            history_canvas.clone(),
            parts_canvas.clone(),
            detail_canvas.clone(),
        );
        let m = s.metrics.clone();
        let b = s.compare.as_ref().map(|b| b.metrics.clone());
        use_effect_with(s.version, move |_| {
            let main = m.series(key);
            let other = b.as_ref().map(|b| b.series(key));
            if let Some(c) = hc.cast::<web_sys::HtmlCanvasElement>() {
                let mut series = vec![draw::Series {
                    label: if other.is_some() { "A" } else { label },
                    colour: draw::PALETTE[4],
                    points: &main,
                }];
                if let Some(o) = &other {
                    series.push(draw::Series {
                        label: "B",
                        colour: draw::PALETTE[0],
                        points: o,
                    });
                }
                draw::curves(
                    &c,
                    &series,
                    "Metrics appear here a few times per 1,000 steps.",
                );
            }
            let parts: Vec<(&str, Vec<(u64, f32)>)> = [
                ("index_code_mi", "MI"),
                ("total_correlation", "TC"),
                ("dimwise_kl", "dim-KL"),
            ]
            .iter()
            .map(|&(k, l)| (l, m.series(k)))
            .collect();
            if let Some(c) = pc.cast::<web_sys::HtmlCanvasElement>() {
                let series: Vec<draw::Series> = parts
                    .iter()
                    .enumerate()
                    .map(|(i, (l, p))| draw::Series {
                        label: l,
                        colour: draw::PALETTE[i],
                        points: p,
                    })
                    .collect();
                draw::curves(
                    &c,
                    &series,
                    "The KL decomposition appears here while training.",
                );
            }
            if let (Some(c), Some(r)) = (dc.cast::<web_sys::HtmlCanvasElement>(), m.latest()) {
                if let Some(mi) = &r.mi {
                    draw_metrics::mi_heatmap(&c, mi);
                }
                if let Some(sc) = &r.scatter {
                    draw_metrics::source_scatter(&c, sc);
                }
            }
        });
    }
    let ask = |r: MetricRequest| {
        let (d, commands) = (s.dispatcher(), props.commands.clone());
        Callback::from(move |_| {
            d.dispatch(Action::Measure(r));
            commands.send(ToWorker::Measure(r));
        })
    };
    let busy = s.metrics.progress.is_some();
    let rows = s
        .metrics
        .latest()
        .into_iter()
        .chain(&s.metrics.on_request)
        .flat_map(|r| r.values.iter().map(move |v| (r.step, v)));
    // When the numbers are measured: periodically, and where training pauses.
    let when = format!("Measured every {METRIC_EVERY_STEPS} steps beside training, and at the step where it pauses.");
    let about = match dataset {
        DatasetKind::Dsprites => "The heatmap is I(z_j; factor) / H(factor): a disentangled code has one bright cell per column, each in its own row. The FactorVAE score and Chen's MIG encode the whole subset, so they run only when asked.",
        DatasetKind::Ivae => "MCC: mean |correlation| between each true source and the latent matched to it (Hungarian matching); the scatter shows each pair. Identifiable models reach MCC near 1.",
        DatasetKind::Pinwheel => "D(q(z), p(z)) is how far the aggregate posterior is from the prior (Mathieu et al. 2019); MI, TC and dim-KL split the KL term (Chen et al. 2018).",
    };
    let help = format!("{when} {about}");
    html! {
        <figure class="panel" id="metrics-panel">
            <figcaption>
                <h2>{"Metrics"}</h2>
                <p class="help">{help}</p>
            </figcaption>
            <table class="metric-values" id="metric-values">
                { for rows.map(|(step, v)| html! {
                    <tr data-key={v.key.clone()} data-value={v.value.to_string()}>
                        <th scope="row">{&v.label}</th>
                        <td class="num">{format!("{:.3}", v.value)}</td>
                        <td class="protocol">{format!("{} · step {step}", v.protocol)}</td>
                    </tr>
                }) }
            </table>
            if dataset == DatasetKind::Dsprites {
                <div class="buttons measure">
                    <button id="measure-factor-vae" disabled={busy} onclick={ask(MetricRequest::FactorVae)} title="Encodes every image of the subset, then runs dlib's majority-vote protocol, and DD's (larger votes, scored on its own votes) beside it">{"FactorVAE score"}</button>
                    <button id="measure-chen" disabled={busy} onclick={ask(MetricRequest::ChenMig)} title="Encodes every image, then estimates entropies by Monte Carlo (Chen et al. 2018); training pauses during the estimate">{"MIG (Chen)"}</button>
                </div>
            }
            if let Some(p) = &s.metrics.progress {
                <p class="progress-line">
                    <label for="metric-progress">{format!("{}: {} ", p.request.title(), p.stage)}</label>
                    <progress id="metric-progress" max="1" value={p.fraction.to_string()}></progress>
                </p>
            }
            <canvas id="metrics-canvas" ref={history_canvas} width="360" height="120" role="img" aria-label={format!("{label} over training steps")}></canvas>
            if dataset != DatasetKind::Dsprites {
                <p class="help">{format!("KL decomposition over the data, every {METRIC_EVERY_STEPS} steps (nats).")}</p>
                <canvas id="decomposition-canvas" ref={parts_canvas} width="360" height="110" role="img" aria-label="Index-code MI, total correlation and dimension-wise KL over steps"></canvas>
            }
            if dataset != DatasetKind::Pinwheel {
                <canvas id={if dataset == DatasetKind::Dsprites { "mi-canvas" } else { "scatter-canvas" }} ref={detail_canvas}
                    width="360" height={if dataset == DatasetKind::Dsprites { "220" } else { "180" }} role="img"
                    aria-label={if dataset == DatasetKind::Dsprites { "Mutual information between latents and factors" } else { "True against recovered sources" }}></canvas>
            }
        </figure>
    }
}
