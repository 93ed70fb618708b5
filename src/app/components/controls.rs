//! The control column: run buttons, data, model, weights and settings. Every control has a
//! label and a one-line explanation, and is a native form element, so it works from the
//! keyboard. Weights and the learning rate act on the next step; the rest reset the model.

use yew::prelude::*;

use super::committed_input::CommittedInput;
use super::panels::StateCommandProps;
use super::Commands;
use crate::app::state::{Action, UiState};
use crate::objective::kinds::Divergence;
use crate::objective::kinds::Estimator;
use crate::objective::Weights;
use crate::protocol::ToWorker;
use crate::train::config::{prior_by_name, prior_name, PRIOR_NAMES};
use crate::train::lessons::LESSONS;
use crate::train::share;
use crate::train::{DatasetKind, ModelKind, TrainConfig};

/// Reads an `<input>`/`<select>` value from an event.
fn input_value(e: &Event) -> String {
    e.target_unchecked_into::<web_sys::HtmlInputElement>()
        .value()
}

/// Applies a configuration that needs a new model (reset) after validating it.
fn reset_with(state: &UseReducerHandle<UiState>, commands: &Commands, config: TrainConfig) {
    if let Err(e) = config.validate() {
        state.dispatch(Action::ShowError(e));
        return;
    }
    state.dispatch(Action::SetConfig(config.clone()));
    state.dispatch(Action::ClearRun);
    commands.send(ToWorker::Configure(Box::new(config)));
}

/// A callback that parses the control's text with `edit` into a new configuration and resets.
fn on_reset_edit(
    state: &UseReducerHandle<UiState>,
    commands: &Commands,
    edit: impl Fn(&str, TrainConfig) -> Result<TrainConfig, String> + 'static,
) -> Callback<Event> {
    let (state, commands) = (state.clone(), commands.clone());
    Callback::from(
        move |e: Event| match edit(&input_value(&e), state.config.clone()) {
            Ok(config) => reset_with(&state, &commands, config),
            Err(err) => state.dispatch(Action::ShowError(err)),
        },
    )
}

/// One labelled control with its explanation.
fn field(id: &str, label: &str, help: &str, control: Html) -> Html {
    html! {
        <div class={classes!("field", format!("field-{id}"))}>
            <label for={id.to_string()}>{label}</label>
            {control}
            <p class="help" id={format!("{id}-help")}>{help}</p>
        </div>
    }
}

/// Slider + number box for weight `which` (0 α, 1 β, 2 γ); acts on the next step.
fn weight_control(
    state: &UseReducerHandle<UiState>,
    commands: &Commands,
    which: usize,
    role: &str,
    max: f64,
) -> Html {
    let (id, symbol) = [("alpha", "α"), ("beta", "β"), ("gamma", "γ")][which];
    let w = state.config.weights;
    let value = [w.alpha, w.beta, w.gamma][which];
    let oninput = {
        let (state, commands) = (state.clone(), commands.clone());
        Callback::from(move |e: InputEvent| {
            let raw = e
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .value();
            let v: f64 = raw.trim().parse().unwrap_or(f64::NAN);
            let mut weights: Weights = state.config.weights;
            match which {
                0 => weights.alpha = v,
                1 => weights.beta = v,
                _ => weights.gamma = v,
            }
            if let Err(err) = weights.validate() {
                state.dispatch(Action::ShowError(format!(
                    "{err}; the weight was not changed"
                )));
                return;
            }
            state.dispatch(Action::SetConfig(TrainConfig {
                weights,
                ..state.config.clone()
            }));
            commands.send(ToWorker::SetWeights(weights));
        })
    };
    let applied = state
        .applied_weights
        .map(|a| [a.alpha, a.beta, a.gamma][which].to_string());
    html! {
        <div class={classes!("field", format!("field-{id}"))}>
            <label for={id}>{format!("{symbol} = {value:.1}")}
                <span class="applied">{" applied: "}
                    <span id={format!("applied-{id}")} data-value={applied.clone()}>{applied.clone().unwrap_or_else(|| "–".into())}</span>
                </span>
            </label>
            <div class="weight">
                <input id={id} type="range" min="0" max={max.to_string()} step="0.1" value={value.to_string()}
                    oninput={oninput.clone()} aria-describedby={format!("{id}-help")} />
                <input id={format!("{id}-number")} type="number" min="0" max={crate::objective::weights::MAX_WEIGHT.to_string()} step="0.1"
                    value={value.to_string()} oninput={oninput} aria-label={format!("{symbol} exact value")} />
            </div>
            <p class="help" id={format!("{id}-help")}>{format!("Weight of {role}. Acts on the next step.")}</p>
        </div>
    }
}

/// The control column.
#[function_component(Controls)]
pub fn controls(props: &StateCommandProps) -> Html {
    let state = props.state.clone();
    let commands = props.commands.clone();
    let config = state.config.clone();

    let on_dataset = on_reset_edit(&state, &commands, |v, c| {
        let dataset = DatasetKind::parse(v)?;
        let model = if c.model == ModelKind::Ivae && dataset != DatasetKind::Ivae {
            ModelKind::Vae
        } else {
            c.model
        };
        let batch = match dataset {
            DatasetKind::Pinwheel => 400,
            DatasetKind::Ivae => 256,
            DatasetKind::Dsprites => 64,
        };
        let latents = if dataset == DatasetKind::Dsprites {
            6
        } else {
            2
        };
        Ok(TrainConfig {
            dataset,
            model,
            batch,
            latents,
            prior: crate::objective::priors::Prior::Normal,
            ..c
        })
    });
    let on_model = on_reset_edit(&state, &commands, |v, c| {
        Ok(TrainConfig {
            model: ModelKind::parse(v)?,
            ..c
        })
    });
    let on_prior = on_reset_edit(&state, &commands, |v, c| {
        Ok(TrainConfig {
            prior: prior_by_name(v, c.latents)?,
            ..c
        })
    });
    let on_estimator = on_reset_edit(&state, &commands, |v, c| {
        let estimator = if v == "mws" {
            Estimator::Mws
        } else {
            Estimator::Mss
        };
        Ok(TrainConfig { estimator, ..c })
    });
    let on_divergence = on_reset_edit(&state, &commands, |v, c| {
        let divergence = if v == "mmd" {
            Divergence::Mmd
        } else {
            Divergence::KlPQ
        };
        Ok(TrainConfig { divergence, ..c })
    });
    let on_latents = on_reset_edit(&state, &commands, |v, c| {
        let latents = v
            .trim()
            .parse()
            .map_err(|_| "the latent size must be a whole number".to_string())?;
        Ok(TrainConfig { latents, ..c })
    });
    let on_batch = on_reset_edit(&state, &commands, |v, c| {
        let batch = v
            .trim()
            .parse()
            .map_err(|_| "the batch size must be a whole number".to_string())?;
        Ok(TrainConfig { batch, ..c })
    });
    let on_subset = on_reset_edit(&state, &commands, |v, c| {
        Ok(TrainConfig {
            subset: v.trim().parse()?,
            ..c
        })
    });
    let on_seed = on_reset_edit(&state, &commands, |v, c| {
        let seed = v
            .trim()
            .parse()
            .map_err(|_| "the seed must be a whole number ≥ 0".to_string())?;
        Ok(TrainConfig { seed, ..c })
    });
    let on_lr = {
        let (state, commands) = (state.clone(), commands.clone());
        Callback::from(move |e: Event| {
            let lr: f64 = input_value(&e).parse().unwrap_or(f64::NAN);
            let next = TrainConfig {
                lr,
                ..state.config.clone()
            };
            match next.validate() {
                Ok(()) => {
                    state.dispatch(Action::SetConfig(next));
                    commands.send(ToWorker::SetLr(lr));
                }
                Err(err) => state.dispatch(Action::ShowError(format!(
                    "{err}; the learning rate was not changed"
                ))),
            }
        })
    };
    let on_start = {
        let (state, commands) = (state.clone(), commands.clone());
        Callback::from(move |_| {
            let run = !state.running;
            state.dispatch(Action::SetRunning(run));
            commands.send(if run { ToWorker::Run } else { ToWorker::Pause });
        })
    };
    let on_step = {
        let (state, commands) = (state.clone(), commands.clone());
        Callback::from(move |_| {
            state.dispatch(Action::SetRunning(false));
            commands.send(ToWorker::Step(1));
        })
    };
    let on_reset = {
        let (state, commands) = (state.clone(), commands.clone());
        Callback::from(move |_| reset_with(&state, &commands, state.config.clone()))
    };
    let on_delay = {
        let (state, commands) = (state.clone(), commands.clone());
        Callback::from(move |e: Event| {
            let ms = input_value(&e).parse().unwrap_or(0);
            state.dispatch(Action::SetDelay(ms));
            commands.send(ToWorker::SetDelay(ms));
        })
    };
    let roles = config.model.weight_roles();
    let weight_max = |i: usize| {
        if config.model == ModelKind::FactorVae && i == 2 {
            100.0
        } else {
            20.0
        }
    };
    let models = ModelKind::ALL
        .iter()
        .filter(|m| **m != ModelKind::Ivae || config.dataset == DatasetKind::Ivae);

    let on_lesson = {
        let (state, commands) = (state.clone(), commands.clone());
        Callback::from(move |e: Event| {
            let id = input_value(&e);
            let lesson = LESSONS.iter().find(|l| l.id == id);
            state.dispatch(Action::SetLesson(lesson));
            if let Some(l) = lesson {
                let (link, _) = share::decode(l.link);
                reset_with(&state, &commands, link.config.clone());
                // The lesson's comparison (or none) replaces the current one.
                super::compare::set_compare(&state, &commands, &link.config, link.compare);
            }
        })
    };

    html! {
        <aside class="controls" aria-label="Training controls">
            { field("lesson-select", "Lesson", "Presets that reproduce each paper's point; each explains what to watch.", html! {
                <select id="lesson-select" onchange={on_lesson}>
                    <option value="" selected={state.lesson.is_none()}>{"Free play"}</option>
                    { for LESSONS.iter().map(|l| html! { <option value={l.id} selected={state.lesson.is_some_and(|s| s.id == l.id)}>{l.title}</option> }) }
                </select>
            }) }
            <div class="buttons">
                <button id="start" class="primary" onclick={on_start}>{ if state.running { "Pause" } else { "Start" } }</button>
                <button id="step" onclick={on_step} title="Take one optimisation step">{"Step"}</button>
                <button id="reset" onclick={on_reset} title="New model with the current settings">{"Reset"}</button>
            </div>
            { field("speed-select", "Speed", "Slow motion pauses between updates so each step can be watched.", html! {
                <select id="speed-select" onchange={on_delay}>
                    <option value="0" selected={state.delay_ms == 0}>{"Full speed"}</option>
                    <option value="300" selected={state.delay_ms == 300}>{"Slow motion"}</option>
                    <option value="1000" selected={state.delay_ms == 1000}>{"Very slow"}</option>
                </select>
            }) }
            { field("dataset-select", "Data", match config.dataset {
                DatasetKind::Pinwheel => "Pinwheel: 400 points on 4 spiral arms (Mathieu et al. 2019).",
                DatasetKind::Ivae => "2-D sources whose variance changes by segment, mixed by an invertible MLP (Khemakhem et al. 2020).",
                DatasetKind::Dsprites => "dSprites: 64×64 shapes from 5 factors, rendered in the browser (Matthey et al. 2017).",
            }, html! {
                <select id="dataset-select" onchange={on_dataset}>
                    { for DatasetKind::ALL.iter().map(|d| html! { <option value={d.key()} selected={*d == config.dataset}>{d.key()}</option> }) }
                </select>
            }) }
            if config.dataset == DatasetKind::Dsprites {
                { field("subset", "dSprites subset", "e.g. default, full, or shapes:heart,scales:0-5,orients:10,stride:2.", html! {
                    <CommittedInput id="subset" kind="text" value={config.subset.to_string()} onchange={on_subset} spellcheck="false" />
                }) }
            }
            { field("model-select", "Model", config.model.help(), html! {
                <select id="model-select" onchange={on_model}>
                    { for models.map(|m| html! { <option value={m.key()} selected={*m == config.model}>{m.label()}</option> }) }
                </select>
            }) }
            if roles.iter().all(Option::is_none) {
                <p class="help" id="no-weights">{"This model has no weights to tune: its objective is the plain ELBO."}</p>
            }
            { for (0..3).filter_map(|i| roles[i].map(|role| weight_control(&state, &commands, i, role, weight_max(i)))) }
            if config.model == ModelKind::Dd {
                { field("prior-select", "Prior p(z)", "DD's point: the prior shapes the latent space. Acts on the next step; mixture needs 2 latents.", html! {
                    <select id="prior-select" onchange={on_prior}>
                        { for PRIOR_NAMES.iter().map(|p| html! { <option value={*p} selected={*p == prior_name(&config.prior)}>{*p}</option> }) }
                    </select>
                }) }
                { field("divergence-select", "Divergence D", "How q(z) is compared with p(z): KL(p ‖ q) on the batch, or MMD.", html! {
                    <select id="divergence-select" onchange={on_divergence}>
                        <option value="kl" selected={config.divergence == Divergence::KlPQ}>{"KL(p ‖ q)"}</option>
                        <option value="mmd" selected={config.divergence == Divergence::Mmd}>{"MMD (IMQ)"}</option>
                    </select>
                }) }
            }
            if config.model == ModelKind::BetaTcvae {
                { field("estimator-select", "TC estimator", "Minibatch-stratified (unbiased) or minibatch-weighted sampling; their values are not comparable.", html! {
                    <select id="estimator-select" onchange={on_estimator}>
                        <option value="mss" selected={config.estimator == Estimator::Mss}>{"MSS"}</option>
                        <option value="mws" selected={config.estimator == Estimator::Mws}>{"MWS"}</option>
                    </select>
                }) }
            }
            { field("lr", "Learning rate", "Adam's step size; acts on the next step. Too large and the loss can diverge.", html! {
                <CommittedInput id="lr" kind="number" min="0.00001" max="1" step="0.0001" value={config.lr.to_string()} onchange={on_lr} />
            }) }
            <div class="row2">
                { field("latents", "Latents", "Size of z.", html! {
                    <CommittedInput id="latents" kind="number" min="1" max="32" step="1" value={config.latents.to_string()} onchange={on_latents} />
                }) }
                { field("batch", "Batch", "Points per step.", html! {
                    <CommittedInput id="batch" kind="number" min="1" max="4096" step="1" value={config.batch.to_string()} onchange={on_batch} />
                }) }
                { field("seed", "Seed", "Same seed, same run.", html! {
                    <CommittedInput id="seed" kind="number" min="0" step="1" value={config.seed.to_string()} onchange={on_seed} />
                }) }
            </div>
        </aside>
    }
}
