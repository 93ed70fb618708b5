//! Read-only panels: backend badge, posterior scatter, loss curve.

use yew::prelude::*;

use super::Commands;
use crate::app::draw;
use crate::app::state::{Action, UiState};
use crate::objective::gaussian::standard_normal_pdf_2d;
use crate::protocol::{BackendRequest, ToWorker};
use crate::train::BackendChoice;

/// Props shared by the panels.
#[derive(Properties, PartialEq)]
pub struct StateProps {
    /// The page state.
    pub state: UseReducerHandle<UiState>,
}

/// Props of panels that also send commands.
#[derive(Properties, PartialEq)]
pub struct StateCommandProps {
    /// The page state.
    pub state: UseReducerHandle<UiState>,
    /// The worker's command channel.
    pub commands: Commands,
}

/// Which backend runs, on which adapter, and a switch.
#[function_component(BackendBadge)]
pub fn backend_badge(props: &StateCommandProps) -> Html {
    let state = &props.state;
    let onchange = {
        let (d, commands) = (state.dispatcher(), props.commands.clone());
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            let req = match value.as_str() {
                "auto" => BackendRequest::Auto,
                other => match BackendChoice::parse(other) {
                    Ok(c) => BackendRequest::Use(c),
                    Err(e) => return d.dispatch(Action::ShowError(e)),
                },
            };
            d.dispatch(Action::SetBackendRequest(req));
            d.dispatch(Action::ClearRun);
            commands.send(ToWorker::SetBackend(req));
        })
    };
    let selected = match state.backend_request {
        BackendRequest::Auto => "auto".to_string(),
        BackendRequest::Use(c) => c.key().to_string(),
    };
    let (running_on, adapter, notice) = match &state.backend {
        None => ("starting…".to_string(), String::new(), None),
        Some(r) => {
            let adapter = match &r.adapter {
                Some(a) => format!(
                    "adapter: {} / {}{}",
                    if a.vendor.is_empty() { "unknown vendor" } else { &a.vendor },
                    if a.architecture.is_empty() { "unknown architecture" } else { &a.architecture },
                    if a.is_fallback { " (software, no GPU)" } else { "" }
                ),
                None => "no WebGPU adapter".to_string(),
            };
            (r.choice.label().to_string(), adapter, r.notice.clone())
        }
    };
    html! {
        <div class="backend" id="backend-badge" data-backend={state.backend.as_ref().map(|r| r.choice.key())}>
            <label for="backend-select">{"Backend"}</label>
            <select id="backend-select" {onchange} title="Where training runs. Auto uses WebGPU on a real GPU and the CPU otherwise.">
                { for [("auto", "Auto"), ("wgpu", "WebGPU"), ("ndarray", "CPU (NdArray)"), ("flex", "CPU (Flex)")].iter().map(|(k, label)| html! {
                    <option value={*k} selected={selected == *k}>{*label}</option>
                }) }
            </select>
            <span class="running-on">{"running on: "}<strong id="backend-name">{running_on}</strong></span>
            <span class="adapter" id="adapter-info">{adapter}</span>
            if let Some(n) = notice {
                <span class="notice-inline" id="backend-notice">{n}</span>
            }
        </div>
    }
}

/// Samples of q(z) over the prior's density.
#[function_component(PosteriorPanel)]
pub fn posterior_panel(props: &StateProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        let posterior = props.state.posterior.clone();
        use_effect_with(props.state.version, move |_| {
            if let (Some(c), Some(p)) = (canvas.cast::<web_sys::HtmlCanvasElement>(), posterior) {
                draw::posterior(&c, &p, (0, 1.min(p.latents - 1)), standard_normal_pdf_2d);
            }
        });
    }
    html! {
        <figure class="panel">
            <figcaption>
                <h2>{"Aggregate posterior q(z)"}</h2>
                <p class="help">{"One sample z ~ q(z|x) per data point, coloured by the point's arm; grey shading is the prior p(z) = N(0, I). A good VAE spreads q(z) over the prior."}</p>
            </figcaption>
            <canvas id="posterior-canvas" ref={canvas} width="360" height="360" role="img" aria-label="Scatter of latent samples over the prior density"></canvas>
        </figure>
    }
}

/// The loss over steps.
#[function_component(LossPanel)]
pub fn loss_panel(props: &StateProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        let history = props.state.loss_history.clone();
        use_effect_with(props.state.version, move |_| {
            if let Some(c) = canvas.cast::<web_sys::HtmlCanvasElement>() {
                draw::curve(&c, &history, draw::PALETTE[4]);
            }
        });
    }
    let s = &props.state;
    let last = s.loss_history.last().map(|p| p.1);
    html! {
        <figure class="panel">
            <figcaption>
                <h2>{"Loss"}</h2>
                <p class="help">{"The weighted objective per point: reconstruction error + β·KL (nats). It should fall, then level off."}</p>
            </figcaption>
            <canvas id="loss-canvas" ref={canvas} width="520" height="220" role="img" aria-label="Loss curve"></canvas>
            <p class="stats">
                {"step "}<span id="step-count" data-step={s.step.to_string()}>{s.step}</span>
                {" · loss "}<span id="loss-value" data-loss={last.map(|v| v.to_string())}>{last.map_or("–".into(), |v| format!("{v:.4}"))}</span>
                {" · "}<span id="speed">{format!("{:.0} steps/s", s.steps_per_second)}</span>
            </p>
        </figure>
    }
}
