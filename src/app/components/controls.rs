//! The control column: run buttons, then one control per setting of the schema that matters
//! for the current model and data set. Labels, help lines, ranges and menu entries come from
//! the schema (`settings::schema`), and what an edit does from `ui::edit`: weights, the
//! learning rate and the prior act on the next step, the rest reset the model. Every control
//! is a native form element, so it works from the keyboard.

use yew::prelude::*;

use super::committed_input::CommittedInput;
use super::panels::StateCommandProps;
use super::Commands;
use crate::app::state::{Action, UiState};
use crate::protocol::ToWorker;
use crate::settings::lessons::LESSONS;
use crate::settings::link::{self, control_id};
use crate::settings::schema::{self, Field, Range, FIELDS};
use crate::settings::text;
use crate::settings::{
    Activation, BackendPref, ConvSize, DatasetKind, DecoderStd, Divergence, EncoderHeads,
    EncoderStd, Estimator, ImageNet, IvaePrior, LrSchedule, ModelKind, OptimizerKind,
    PinwheelVariant, PriorKind, Speed, TrainConfig,
};
use crate::ui::edit::{self, Change};

/// Settings with a place of their own (the header's backend menu, the weight sliders) or in
/// the main column; the rest go under "More settings".
const MAIN: [&str; 12] = [
    "speed",
    "dataset",
    "subset",
    "model",
    "prior",
    "divergence",
    "estimator",
    "lr",
    "latents",
    "batch",
    "seed",
    "backend",
];

/// Reads an `<input>`/`<select>` value from an event.
fn input_value(e: &Event) -> String {
    e.target_unchecked_into::<web_sys::HtmlInputElement>()
        .value()
}

/// Sends a checked change to the worker and records it in the page state.
pub fn commit(state: &UseReducerHandle<UiState>, commands: &Commands, change: Change) {
    state.dispatch(Action::SetConfig(Box::new(change.config.clone())));
    if change.reset {
        state.dispatch(Action::ClearRun);
    }
    // WebGPU and the CPU backends live in different workers (ui::worker_kind): a new backend
    // or data set may need the other one.
    if commands.serves(&change.config) {
        commands.send(change.command);
    } else {
        super::switch_workers(state, commands, &change.config);
    }
}

/// A callback that edits setting `key` from the control's text.
fn on_edit(
    state: &UseReducerHandle<UiState>,
    commands: &Commands,
    key: &'static str,
) -> Callback<Event> {
    let (state, commands) = (state.clone(), commands.clone());
    Callback::from(
        move |e: Event| match edit::edit(&state.config, key, &input_value(&e)) {
            Ok(change) => commit(&state, &commands, change),
            Err(err) => state.dispatch(Action::ShowError(err)),
        },
    )
}

/// The menu entries of a choice setting: (key, label).
fn options(key: &str, config: &TrainConfig) -> Vec<(&'static str, &'static str)> {
    fn all<T: Copy>(
        list: &[T],
        key: fn(T) -> &'static str,
        label: fn(T) -> &'static str,
    ) -> Vec<(&'static str, &'static str)> {
        list.iter().map(|&v| (key(v), label(v))).collect()
    }
    match key {
        "dataset" => all(&DatasetKind::ALL, DatasetKind::key, DatasetKind::label),
        "model" => ModelKind::ALL
            .into_iter()
            .filter(|&m| crate::settings::config::model_runs_on(m, config.dataset))
            .map(|m| (m.key(), m.label()))
            .collect(),
        "net" => all(&ImageNet::ALL, ImageNet::key, ImageNet::label),
        "conv" => all(&ConvSize::ALL, ConvSize::key, ConvSize::label),
        "estimator" => all(&Estimator::ALL, Estimator::key, Estimator::label),
        "divergence" => all(&Divergence::ALL, Divergence::key, Divergence::label),
        "prior" => all(&PriorKind::ALL, PriorKind::key, PriorKind::label),
        "activation" => all(&Activation::ALL, Activation::key, Activation::label),
        "encoder-heads" => all(&EncoderHeads::ALL, EncoderHeads::key, EncoderHeads::label),
        "encoder-std" => all(&EncoderStd::ALL, EncoderStd::key, EncoderStd::label),
        "decoder-std" => all(&DecoderStd::ALL, DecoderStd::key, DecoderStd::label),
        "pinwheel" => all(
            &PinwheelVariant::ALL,
            PinwheelVariant::key,
            PinwheelVariant::label,
        ),
        "optimizer" => all(
            &OptimizerKind::ALL,
            OptimizerKind::key,
            OptimizerKind::label,
        ),
        "lr-schedule" => all(&LrSchedule::ALL, LrSchedule::key, LrSchedule::label),
        "ivae-prior" => all(&IvaePrior::ALL, IvaePrior::key, IvaePrior::label),
        "backend" => all(&BackendPref::ALL, BackendPref::key, BackendPref::label),
        "speed" => all(&Speed::ALL, Speed::key, Speed::label),
        _ => Vec::new(),
    }
}

/// The help line of a setting: the chosen entry's own help for data set and model.
fn help(f: &Field, config: &TrainConfig) -> String {
    match f.key {
        "dataset" => config.dataset.help().to_string(),
        "model" => config.model.help().to_string(),
        _ => f.help.to_string(),
    }
}

/// One labelled control for setting `f`, with its help line.
pub fn setting_control(
    f: &'static Field,
    state: &UseReducerHandle<UiState>,
    commands: &Commands,
) -> Html {
    let config = &state.config;
    let id = control_id(f);
    let value = f.text(config).unwrap_or_default();
    let onchange = on_edit(state, commands, f.key);
    let control = match f.range {
        Range::Choice(_) => html! {
            <select id={id.clone()} {onchange} aria-describedby={format!("{id}-help")}>
                { for options(f.key, config).into_iter().map(|(k, label)| html! {
                    <option value={k} selected={k == value}>{label}</option>
                }) }
            </select>
        },
        Range::Bool => html! {
            <select id={id.clone()} {onchange} aria-describedby={format!("{id}-help")}>
                <option value="false" selected={value == "false"}>{"off"}</option>
                <option value="true" selected={value == "true"}>{"on"}</option>
            </select>
        },
        Range::Float { min, max } => html! {
            <CommittedInput id={id.clone()} kind="number" min={text::number(min)} max={text::number(max)}
                step="any" value={value} {onchange} />
        },
        Range::Int { min, max } => html! {
            <CommittedInput id={id.clone()} kind="number" min={min.to_string()}
                max={(max != u64::MAX).then(|| max.to_string())} step="1" value={value} {onchange} />
        },
        _ => html! {
            <CommittedInput id={id.clone()} kind="text" value={value} {onchange} spellcheck="false" />
        },
    };
    html! {
        <div class={classes!("field", format!("field-{id}"))}>
            <label for={id.clone()}>{f.label}</label>
            {control}
            <p class="help" id={format!("{id}-help")}>{help(f, config)}</p>
        </div>
    }
}

/// Slider + number box for weight `key` (α, β or γ); acts on the next step.
fn weight_control(
    state: &UseReducerHandle<UiState>,
    commands: &Commands,
    which: usize,
    role: &str,
) -> Html {
    let (id, symbol) = [("alpha", "α"), ("beta", "β"), ("gamma", "γ")][which];
    let Some(f) = schema::field(id) else {
        return Html::default();
    };
    let value = f.text(&state.config).unwrap_or_default();
    let max = match f.range {
        Range::Float { max, .. } => max,
        _ => 1.0,
    };
    // The slider's travel: the paper's range for FactorVAE's γ (10–100), 20 otherwise; the
    // number box takes the schema's whole range.
    let travel = if state.config.model == ModelKind::FactorVae && which == 2 {
        100.0
    } else {
        20.0
    };
    let oninput = {
        let (state, commands) = (state.clone(), commands.clone());
        Callback::from(move |e: InputEvent| {
            let raw = e
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .value();
            match edit::edit(&state.config, id, &raw) {
                Ok(change) => commit(&state, &commands, change),
                Err(err) => state.dispatch(Action::ShowError(err)),
            }
        })
    };
    let applied = state
        .applied_weights
        .map(|a| text::number([a.alpha, a.beta, a.gamma][which]));
    html! {
        <div class={classes!("field", format!("field-{id}"))}>
            <label for={id}>{format!("{symbol} = {value}")}
                <span class="applied">{" applied: "}
                    <span id={format!("applied-{id}")} data-value={applied.clone()}>{applied.clone().unwrap_or_else(|| "–".into())}</span>
                </span>
            </label>
            <div class="weight">
                <input id={id} type="range" min="0" max={text::number(travel)} step="0.1" value={value.clone()}
                    oninput={oninput.clone()} aria-describedby={format!("{id}-help")} />
                <input id={format!("{id}-number")} type="number" min="0" max={text::number(max)} step="0.1"
                    value={value} oninput={oninput} aria-label={format!("{symbol} exact value")} />
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
    let applies = |key: &str| schema::field(key).filter(|f| (f.applies)(&config));
    let main = |key: &str| {
        applies(key)
            .map(|f| setting_control(f, &state, &commands))
            .unwrap_or_default()
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
        Callback::from(move |_| match edit::reset(&state.config) {
            Ok(change) => commit(&state, &commands, change),
            Err(e) => state.dispatch(Action::ShowError(e)),
        })
    };
    let roles = config.model.weight_roles();
    let on_lesson = {
        let (state, commands) = (state.clone(), commands.clone());
        Callback::from(move |e: Event| {
            let id = input_value(&e);
            let lesson = LESSONS.iter().find(|l| l.id == id);
            state.dispatch(Action::SetLesson(lesson));
            // Before any worker is (re)started below, so that each starts with it.
            commands.set_pause_at(lesson.map(|l| l.steps));
            if let Some(l) = lesson {
                // The lesson's comparison replaces B below; stopped first, it is not restarted
                // on the old overrides if the lesson's data set needs the other worker.
                commands.stop_b();
                let (lesson_link, _) = link::decode(l.link);
                // The visitor's backend and pace stay; the lesson sets the rest.
                let config = TrainConfig {
                    backend: state.config.backend,
                    speed: state.config.speed,
                    ..lesson_link.config
                };
                match edit::reset(&config) {
                    Ok(change) => commit(&state, &commands, change),
                    Err(e) => state.dispatch(Action::ShowError(e)),
                }
                // The lesson's comparison (or none) replaces the current one.
                super::compare::set_compare(&state, &commands, &config, lesson_link.compare);
            }
        })
    };
    let more: Vec<&'static Field> = FIELDS
        .iter()
        .filter(|f| (f.applies)(&config) && !MAIN.contains(&f.key))
        .filter(|f| !matches!(f.key, "alpha" | "beta" | "gamma"))
        .collect();

    html! {
        <aside class="controls" aria-label="Training controls">
            <div class="field field-lesson-select">
                <label for="lesson-select">{"Lesson"}</label>
                <select id="lesson-select" onchange={on_lesson}>
                    <option value="" selected={state.lesson.is_none()}>{"Free play"}</option>
                    { for LESSONS.iter().map(|l| html! { <option value={l.id} selected={state.lesson.is_some_and(|s| s.id == l.id)}>{l.title}</option> }) }
                </select>
                <p class="help">{"Presets that reproduce each paper's point; each explains what to watch."}</p>
            </div>
            <div class="buttons">
                <button id="start" class="primary" onclick={on_start}>{ if state.running { "Pause" } else { "Start" } }</button>
                <button id="step" onclick={on_step} title="Take one optimisation step">{"Step"}</button>
                <button id="reset" onclick={on_reset} title="New model with the current settings">{"Reset"}</button>
            </div>
            { main("speed") }
            { main("dataset") }
            { main("subset") }
            { main("model") }
            if roles.iter().all(Option::is_none) {
                <p class="help" id="no-weights">{"This model has no weights to tune: its objective is the plain ELBO."}</p>
            }
            { for (0..3).filter_map(|i| roles[i].map(|role| weight_control(&state, &commands, i, role))) }
            { main("prior") }
            { main("divergence") }
            { main("estimator") }
            { main("lr") }
            <div class="row2">
                { main("latents") }
                { main("batch") }
                { main("seed") }
            </div>
            if !more.is_empty() {
                <details class="more-settings" id="more-settings">
                    <summary>{"More settings"}</summary>
                    { for more.into_iter().map(|f| setting_control(f, &state, &commands)) }
                </details>
            }
        </aside>
    }
}
