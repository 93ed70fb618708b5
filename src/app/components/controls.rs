//! The control column: model, data, weights, run buttons. Every control has a label and a
//! one-line explanation, and is a native form element, so it works from the keyboard.

use yew::prelude::*;

use super::panels::StateCommandProps;
use crate::app::state::{Action, UiState};
use crate::objective::weights::MAX_WEIGHT;
use crate::objective::Weights;
use crate::protocol::ToWorker;
use crate::train::{DatasetKind, ModelKind, TrainConfig};

/// Reads an `<input>`/`<select>` value from an event.
fn input_value(e: &Event) -> String {
    e.target_unchecked_into::<web_sys::HtmlInputElement>().value()
}

/// Applies a configuration that needs a new model (reset) after validating it.
fn reset_with(state: &UseReducerHandle<UiState>, commands: &super::Commands, config: TrainConfig) {
    if let Err(e) = config.validate() {
        state.dispatch(Action::ShowError(e));
        return;
    }
    state.dispatch(Action::SetConfig(config.clone()));
    state.dispatch(Action::ClearRun);
    commands.send(ToWorker::Configure(config));
}

/// One labelled control with its explanation.
fn field(id: &str, label: &str, help: &str, control: Html) -> Html {
    html! {
        <div class="field">
            <label for={id.to_string()}>{label}</label>
            {control}
            <p class="help" id={format!("{id}-help")}>{help}</p>
        </div>
    }
}

/// The control column.
#[function_component(Controls)]
pub fn controls(props: &StateCommandProps) -> Html {
    let state = props.state.clone();
    let commands = props.commands.clone();
    let config = state.config.clone();

    let on_dataset = {
        let (state, commands, config) = (state.clone(), commands.clone(), config.clone());
        Callback::from(move |e: Event| match DatasetKind::parse(&input_value(&e)) {
            Ok(dataset) => reset_with(&state, &commands, TrainConfig { dataset, ..config.clone() }),
            Err(err) => state.dispatch(Action::ShowError(err)),
        })
    };
    let on_model = {
        let (state, commands, config) = (state.clone(), commands.clone(), config.clone());
        Callback::from(move |e: Event| match ModelKind::parse(&input_value(&e)) {
            Ok(model) => reset_with(&state, &commands, TrainConfig { model, ..config.clone() }),
            Err(err) => state.dispatch(Action::ShowError(err)),
        })
    };
    let on_beta = {
        let (state, commands, config) = (state.clone(), commands.clone(), config.clone());
        Callback::from(move |e: InputEvent| {
            let raw = e.target_unchecked_into::<web_sys::HtmlInputElement>().value();
            let weights = Weights { beta: raw.parse().unwrap_or(f64::NAN), ..config.weights };
            if let Err(err) = weights.validate() {
                state.dispatch(Action::ShowError(err));
                return;
            }
            state.dispatch(Action::SetConfig(TrainConfig { weights, ..config.clone() }));
            commands.send(ToWorker::SetWeights(weights));
        })
    };
    let on_lr = {
        let (state, commands, config) = (state.clone(), commands.clone(), config.clone());
        Callback::from(move |e: Event| {
            let lr: f64 = input_value(&e).parse().unwrap_or(f64::NAN);
            let next = TrainConfig { lr, ..config.clone() };
            match next.validate() {
                Ok(()) => {
                    state.dispatch(Action::SetConfig(next));
                    commands.send(ToWorker::SetLr(lr));
                }
                Err(err) => state.dispatch(Action::ShowError(err)),
            }
        })
    };
    let on_seed = {
        let (state, commands, config) = (state.clone(), commands.clone(), config.clone());
        Callback::from(move |e: Event| match input_value(&e).trim().parse::<u64>() {
            Ok(seed) => reset_with(&state, &commands, TrainConfig { seed, ..config.clone() }),
            Err(_) => state.dispatch(Action::ShowError("the seed must be a whole number ≥ 0".into())),
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
        let (state, commands, config) = (state.clone(), commands.clone(), config.clone());
        Callback::from(move |_| reset_with(&state, &commands, config.clone()))
    };
    let on_delay = {
        let (state, commands) = (state.clone(), commands.clone());
        Callback::from(move |e: Event| {
            let ms = input_value(&e).parse().unwrap_or(0);
            state.dispatch(Action::SetDelay(ms));
            commands.send(ToWorker::SetDelay(ms));
        })
    };
    let beta_disabled = config.model == ModelKind::Vae;
    let applied_beta = state.applied_weights.map(|w| w.beta.to_string());

    html! {
        <aside class="controls" aria-label="Training controls">
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
            { field("dataset-select", "Data", "Pinwheel: 400 points on 4 spiral arms (Mathieu et al. 2019).", html! {
                <select id="dataset-select" onchange={on_dataset}>
                    { for DatasetKind::ALL.iter().map(|d| html! { <option value={d.key()} selected={*d == config.dataset}>{d.key()}</option> }) }
                </select>
            }) }
            { field("model-select", "Model", "VAE: the ELBO (Kingma & Welling 2014). β-VAE weights the KL by β (Higgins et al. 2017).", html! {
                <select id="model-select" onchange={on_model}>
                    { for ModelKind::ALL.iter().map(|m| html! { <option value={m.key()} selected={*m == config.model}>{m.key()}</option> }) }
                </select>
            }) }
            <p class="applied">{"Weight the objective applied last step: β = "}
                <span id="applied-beta" data-beta={applied_beta.clone()}>{applied_beta.clone().unwrap_or_else(|| "–".into())}</span></p>
            { field("beta", &format!("β = {:.1}", config.weights.beta),
                if beta_disabled { "The plain VAE fixes β = 1; choose β-VAE to change it." } else { "Weight of KL(q(z|x) ‖ p(z)): larger β pulls q(z) onto the prior, at the cost of reconstruction. Acts on the next step." },
                html! {
                <input id="beta" type="range" min="0" max={(MAX_WEIGHT / 10.0).to_string()} step="0.1"
                    value={config.weights.beta.to_string()} disabled={beta_disabled} oninput={on_beta}
                    aria-describedby="beta-help" />
            }) }
            { field("lr", "Learning rate", "Adam's step size; acts on the next step. Too large and the loss can diverge.", html! {
                <input id="lr" type="number" min="0.00001" max="1" step="0.0001" value={config.lr.to_string()} onchange={on_lr} />
            }) }
            { field("seed", "Seed", "Fixes the data, the initial weights and the samples: same seed, same run.", html! {
                <input id="seed" type="number" min="0" step="1" value={config.seed.to_string()} onchange={on_seed} />
            }) }
        </aside>
    }
}
