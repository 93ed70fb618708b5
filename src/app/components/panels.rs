//! Read-only panels: backend badge, posterior scatter, loss curve.

use yew::prelude::*;

use super::Commands;
use crate::app::draw;
use crate::app::state::{Action, UiState};
use crate::objective::priors::Prior;
use crate::objective::TermName;
use crate::protocol::ToWorker;
use crate::settings::{schema, BackendPref};
use crate::train::preview::Preview;
use crate::train::traversal::{Decoded, IMAGE_STEPS, PATH_STEPS};
use crate::train::{DatasetKind, ModelKind, Posterior, TrainConfig};
use crate::ui::edit;

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
        let (state, commands) = (state.clone(), props.commands.clone());
        Callback::from(move |e: Event| {
            let value = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            match edit::edit(&state.config, "backend", &value) {
                Ok(change) => super::controls::commit(&state, &commands, change),
                Err(e) => state.dispatch(Action::ShowError(e)),
            }
        })
    };
    let selected = state.config.backend;
    let measured = state.backend.as_ref().and_then(|r| r.measured_text());
    let (running_on, adapter, notice) = match &state.backend {
        None => ("starting…".to_string(), String::new(), None),
        Some(r) => {
            let adapter = match &r.adapter {
                Some(a) => format!(
                    "adapter: {} / {}{}",
                    if a.vendor.is_empty() {
                        "unknown vendor"
                    } else {
                        &a.vendor
                    },
                    if a.architecture.is_empty() {
                        "unknown architecture"
                    } else {
                        &a.architecture
                    },
                    if a.is_fallback {
                        " (software, no GPU)"
                    } else {
                        ""
                    }
                ),
                None => "no WebGPU adapter".to_string(),
            };
            (r.choice.label().to_string(), adapter, r.notice.clone())
        }
    };
    html! {
        <div class="backend" id="backend-badge" data-backend={state.backend.as_ref().map(|r| r.choice.key())}>
            <span class="field-backend-select">
            <label for="backend-select">{"Backend "}</label>
            <select id="backend-select" {onchange} title="Where training runs. Auto uses WebGPU on a real GPU and the CPU otherwise.">
                { for BackendPref::ALL.into_iter().map(|b| html! {
                    <option value={b.key()} selected={selected == b}>{b.label()}</option>
                }) }
            </select>
            </span>
            <span class="running-on">{"running on: "}<strong id="backend-name">{running_on}</strong></span>
            if let Some(m) = measured {
                <span class="measured" id="backend-measured">{m}</span>
            }
            <span class="adapter" id="adapter-info">{adapter}</span>
            if let Some(n) = notice {
                <span class="notice-inline" id="backend-notice">{n}</span>
            }
        </div>
    }
}

/// The prior the posterior panel shades for a run with these settings: DD's own prior (its
/// marginal on the shown pair), otherwise N(0, I).
fn shown_prior(config: &TrainConfig, (a, b): (usize, usize)) -> Prior {
    match config.model {
        ModelKind::Dd => config.prior.marginal_2d(a, b),
        _ => Prior::Normal,
    }
}

/// Draws one run's q(z) samples on `canvas` whenever what it shows changes (the samples, the
/// prior, the pair of latents, the scale or the title), not on every snapshot: the prior's
/// shading costs a density per pixel, and snapshots of A and B each arrive many times a second.
#[hook]
fn use_posterior_drawing(
    canvas: &NodeRef,
    posterior: Option<Posterior>,
    prior: Option<Prior>,
    dims: (usize, usize),
    r: f64,
    title: &'static str,
) {
    let canvas = canvas.clone();
    use_effect_with(
        (posterior, prior, dims, r, title),
        move |(posterior, prior, dims, r, title)| {
            if let (Some(c), Some(p), Some(prior)) = (
                canvas.cast::<web_sys::HtmlCanvasElement>(),
                posterior,
                prior,
            ) {
                draw::posterior(&c, p, *dims, *r, title, |x, y| {
                    prior.log_prob_host(&[x, y]).exp()
                });
            }
        },
    );
}

/// Samples of q(z) over the prior's density, for a chosen pair of latent dimensions; run B's
/// beside run A's, on the same scale, while a comparison is on.
#[function_component(PosteriorPanel)]
pub fn posterior_panel(props: &StateProps) -> Html {
    let canvas = use_node_ref();
    let canvas_b = use_node_ref();
    let s = &props.state;
    let (a, b) = s.view_dims;
    let prior = shown_prior(&s.config, (a, b));
    // B's settings; None without a comparison (or when B cannot run on A's data).
    let config_b = s
        .compare
        .as_ref()
        .and_then(|c| c.overrides.apply(&s.config).ok());
    let posterior_b = s.compare.as_ref().and_then(|c| c.posterior.clone());
    // One scale for both runs, so their spreads compare at a glance.
    let r = [&s.posterior, &posterior_b]
        .into_iter()
        .flatten()
        .map(|p| draw::view_radius(p, (a, b)))
        .fold(0.0, f64::max);
    let title_a = if config_b.is_some() { "A" } else { "" };
    use_posterior_drawing(
        &canvas,
        s.posterior.clone(),
        Some(prior.clone()),
        (a, b),
        r,
        title_a,
    );
    let prior_b = config_b.as_ref().map(|c| shown_prior(c, (a, b)));
    use_posterior_drawing(&canvas_b, posterior_b, prior_b, (a, b), r, "B");
    let k = s.config.latents;
    let dim_select = |id: &'static str, current: usize, other: usize, first: bool| {
        let d = s.dispatcher();
        let onchange = Callback::from(move |e: Event| {
            let v: usize = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value()
                .parse()
                .unwrap_or(0);
            d.dispatch(if first {
                Action::SetViewDims(v, other)
            } else {
                Action::SetViewDims(other, v)
            });
        });
        html! {
            <select id={id} {onchange} aria-label={if first { "horizontal latent" } else { "vertical latent" }}>
                { for (0..k).map(|j| html! { <option value={j.to_string()} selected={j == current}>{format!("z{}", j + 1)}</option> }) }
            </select>
        }
    };
    let colouring = match s.config.dataset {
        DatasetKind::Pinwheel => "coloured by arm",
        DatasetKind::Ivae => "coloured by segment",
        DatasetKind::Dsprites => "coloured by shape (orange square, blue ellipse, green heart)",
    };
    html! {
        <figure class="panel">
            <figcaption>
                <h2>{"Aggregate posterior q(z)"}</h2>
                <p class="help">{format!("One sample z ~ q(z|x) per shown point, {colouring}; grey shading is the prior p(z) ({}). A good fit spreads q(z) over the prior.{}", prior.kind().key(), if config_b.is_some() { " Run A above, run B below, on the same scale." } else { "" })}</p>
                if k > 2 {
                    <p class="dims">{"Plot "}{dim_select("dim-x", a, b, true)}{" against "}{dim_select("dim-y", b, a, false)}</p>
                }
            </figcaption>
            <canvas id="posterior-canvas" ref={canvas} width="360" height="360" role="img" aria-label="Scatter of run A's latent samples over the prior density"></canvas>
            if config_b.is_some() {
                <canvas id="posterior-canvas-b" ref={canvas_b} width="360" height="360" role="img" aria-label="Scatter of run B's latent samples over its prior density"></canvas>
            }
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
        let b = props.state.compare.as_ref().map(|b| b.loss_history.clone());
        use_effect_with(props.state.version, move |_| {
            if let Some(c) = canvas.cast::<web_sys::HtmlCanvasElement>() {
                match &b {
                    None => draw::curve(&c, &history, draw::PALETTE[4]),
                    Some(b) => draw::curves(
                        &c,
                        &[
                            draw::Series {
                                label: "A",
                                colour: draw::PALETTE[4],
                                points: &history,
                            },
                            draw::Series {
                                label: "B",
                                colour: draw::PALETTE[0],
                                points: b,
                            },
                        ],
                        "Press Start to train both runs: their losses appear here.",
                    ),
                }
            }
        });
    }
    let s = &props.state;
    let last = s.loss_history.last().map(|p| p.1);
    html! {
        <figure class="panel">
            <figcaption>
                <h2>{"Loss"}</h2>
                <p class="help">{"The weighted objective per point (nats). It should fall, then level off."}</p>
            </figcaption>
            <canvas id="loss-canvas" ref={canvas} width="480" height="150" role="img" aria-label="Loss curve"></canvas>
            <p class="stats">
                {"step "}<span id="step-count" data-step={s.step.to_string()}
                    data-saved-step={s.checkpoint.as_ref().map(|c| c.step.to_string())}
                    title={s.checkpoint.as_ref().map(|c| format!("A copy of the model is kept (step {}) to go on from if the worker fails.", c.step))}>{s.step}</span>
                {" · loss "}<span id="loss-value" data-loss={last.map(|v| v.to_string())}>{last.map_or("–".into(), |v| format!("{v:.4}"))}</span>
                {" · "}<span id="speed">{if s.steps_per_second < 10.0 { format!("{:.1} steps/s", s.steps_per_second) } else { format!("{:.0} steps/s", s.steps_per_second) }}</span>
            </p>
        </figure>
    }
}

/// Display label of a term.
fn term_label(t: TermName) -> &'static str {
    match t {
        TermName::Loss => "loss",
        TermName::Recon => "recon",
        TermName::Kl => "KL",
        TermName::Elbo => "ELBO",
        TermName::Mi => "MI",
        TermName::Tc => "TC",
        TermName::DimKl => "dim-KL",
        TermName::TcEstimate => "TC (disc.)",
        TermName::DiscLoss => "disc. loss",
        TermName::DiscAccuracy => "disc. acc.",
        TermName::Divergence => "D(q,p)",
    }
}

/// The KL and its parts over steps, and the KL of each latent (active units).
#[function_component(TermsPanel)]
pub fn terms_panel(props: &StateProps) -> Html {
    let curves_canvas = use_node_ref();
    let bars_canvas = use_node_ref();
    {
        let (cc, bc) = (curves_canvas.clone(), bars_canvas.clone());
        let history = props.state.term_history.clone();
        let kl = props
            .state
            .posterior
            .as_ref()
            .map(|p| p.kl_per_latent.clone())
            .unwrap_or_default();
        use_effect_with(props.state.version, move |_| {
            let shown: Vec<draw::Series> = history
                .iter()
                .filter(|(n, _)| {
                    !matches!(
                        n,
                        TermName::Recon
                            | TermName::Elbo
                            | TermName::DiscLoss
                            | TermName::DiscAccuracy
                    )
                })
                .enumerate()
                .map(|(i, (n, v))| draw::Series {
                    label: term_label(*n),
                    colour: draw::PALETTE[i % 6],
                    points: v.as_slice(),
                })
                .collect();
            if let Some(c) = cc.cast::<web_sys::HtmlCanvasElement>() {
                draw::curves(
                    &c,
                    &shown,
                    "The KL and its decomposition appear here while training.",
                );
            }
            if let Some(c) = bc.cast::<web_sys::HtmlCanvasElement>() {
                draw::bars(&c, &kl, 0.1);
            }
        });
    }
    // Shown exactly when the estimator control is (the schema's rule for that setting).
    let config = &props.state.config;
    let estimator = schema::field("estimator")
        .is_some_and(|f| (f.applies)(config))
        .then_some(config.estimator);
    html! {
        <figure class="panel">
            <figcaption>
                <h2>{"KL and its parts"}</h2>
                <p class="help">{"KL(q(z|x) ‖ p(z)) per point; β-TCVAE splits it into MI + TC + dim-KL (Chen et al. 2018), FactorVAE shows its discriminator's TC, DD its D(q(z), p(z))."}</p>
                // MWS and MSS read different TCs for the same model (docs/methods.md §1.3).
                if let Some(e) = estimator {
                    <p class="help" id="terms-estimator" data-estimator={e.key()}>{format!("MI, TC and dim-KL are minibatch estimates. {}", e.help())}</p>
                }
            </figcaption>
            <canvas id="terms-canvas" ref={curves_canvas} width="480" height="140" role="img" aria-label="KL decomposition curves"></canvas>
            <p class="help">{"KL per latent (blue: active, above 0.1 nats)."}</p>
            <canvas id="kl-bars-canvas" ref={bars_canvas} width="480" height="70" role="img" aria-label="KL per latent dimension"></canvas>
        </figure>
    }
}

/// The data set: a sprite sheet of the dSprites subset, or the 2-D points by class/segment.
#[function_component(DataPanel)]
pub fn data_panel(props: &StateProps) -> Html {
    let canvas = use_node_ref();
    let preview = props.state.preview.clone();
    {
        let canvas = canvas.clone();
        let preview = preview.clone();
        use_effect_with(props.state.version, move |_| {
            if let (Some(c), Some(p)) = (canvas.cast::<web_sys::HtmlCanvasElement>(), preview) {
                match p {
                    Preview::Images { side, pixels, .. } => draw::image_grid(&c, side, &pixels, 8),
                    Preview::Points { xy, labels } => draw::scatter(&c, &xy, &labels),
                }
            }
        });
    }
    let caption = match &preview {
        Some(Preview::Images { subset_size, factor_sizes, .. }) => format!(
            "{subset_size} images: {} shapes × {} scales × {} orientations × {}×{} positions; 32 random ones shown.",
            factor_sizes[0], factor_sizes[1], factor_sizes[2], factor_sizes[3], factor_sizes[4]
        ),
        Some(Preview::Points { labels, .. }) => format!("{} observed points x, coloured by class / segment.", labels.len()),
        None => "Loading the data set…".into(),
    };
    html! {
        <figure class="panel">
            <figcaption>
                <h2>{"Data"}</h2>
                <p class="help" id="data-caption">{caption}</p>
            </figcaption>
            <canvas id="data-canvas" ref={canvas} width="200" height="200" role="img" aria-label="Preview of the training data"></canvas>
        </figure>
    }
}

/// Latent traversals: decoded images per latent (dSprites) or decoded paths in data space.
#[function_component(TraversalPanel)]
pub fn traversal_panel(props: &StateProps) -> Html {
    let canvas = use_node_ref();
    {
        let canvas = canvas.clone();
        let traversal = props.state.traversal.clone();
        let data = match &props.state.preview {
            Some(Preview::Points { xy, .. }) => xy.clone(),
            _ => Vec::new(),
        };
        use_effect_with(props.state.version, move |_| {
            if let (Some(c), Some(t)) = (canvas.cast::<web_sys::HtmlCanvasElement>(), traversal) {
                match t.decoded {
                    Decoded::Images { side, pixels } => {
                        draw::traversal_grid(&c, side, &pixels, IMAGE_STEPS, &t.order)
                    }
                    Decoded::Paths { xy, centre } => {
                        draw::traversal_paths(&c, &data, &xy, PATH_STEPS, centre, &t.order)
                    }
                }
            }
        });
    }
    let help = match props.state.config.dataset {
        DatasetKind::Dsprites => "Each row decodes one image's code with one latent swept from −3 to +3 (most active latents first). A disentangled latent changes one factor only.",
        _ => "Each coloured path decodes one point's code (black square) while one latent sweeps from −3 to +3; grey: the data.",
    };
    html! {
        <figure class="panel">
            <figcaption>
                <h2>{"Latent traversals"}</h2>
                <p class="help">{help}</p>
            </figcaption>
            <canvas id="traversal-canvas" ref={canvas} width="360" height="240" role="img" aria-label="Latent traversals"></canvas>
        </figure>
    }
}

/// "How fast is this machine?": the in-page benchmark, on request.
#[function_component(BenchPanel)]
pub fn bench_panel(props: &StateCommandProps) -> Html {
    let onclick = {
        let (d, commands) = (props.state.dispatcher(), props.commands.clone());
        Callback::from(move |_| {
            d.dispatch(Action::StartBench);
            commands.send(ToWorker::Benchmark);
        })
    };
    let (lines, done) = &props.state.bench;
    html! {
        <footer class="bench">
            <button id="bench-start" {onclick} title="Pauses training and times rendering and training on each backend of the worker in use (about a minute)">{"Measure speed"}</button>
            <span class="help">{" Times dSprites rendering and training steps/s in this browser, on the backends of the worker in use: NdArray and Flex, or WebGPU and Flex once WebGPU is chosen."}</span>
            if !lines.is_empty() || *done {
                <pre id="bench-report" data-done={done.to_string()}>
                    { for lines.iter().map(|l| format!("{:<58} {:>10.1} {}\n", l.what, l.value, l.unit)) }
                    { if *done { "done\n" } else { "measuring…\n" } }
                </pre>
            }
        </footer>
    }
}
