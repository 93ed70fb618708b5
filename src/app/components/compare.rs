//! The A/B comparison: a second worker trains run B (A's settings with another model and/or
//! β, same data and seed) in step with A; the loss and metric curves overlay both, and a
//! table puts their latest numbers side by side.

use yew::prelude::*;

use super::panels::StateCommandProps;
use crate::app::bridge::Bridge;
use crate::app::state::{Action, UiState};
use crate::protocol::ToWorker;
use crate::settings::compare::CompareOverrides;
use crate::train::{ModelKind, TrainConfig};

/// Turns the comparison on with `overrides` (restarting both runs from step 0 with A's
/// `config`) or off.
pub fn set_compare(
    state: &UseReducerHandle<UiState>,
    commands: &super::Commands,
    config: &TrainConfig,
    overrides: Option<CompareOverrides>,
) {
    let Some(o) = overrides else {
        commands.stop_b();
        state.dispatch(Action::SetCompare(None));
        return;
    };
    if let Err(e) = o.apply(config) {
        state.dispatch(Action::ShowError(e));
        return;
    }
    let d = state.dispatcher();
    match Bridge::spawn(config, move |msgs| d.dispatch(Action::WorkerB(msgs))) {
        Ok(b) => {
            commands.start_b(b, o, config.backend);
            state.dispatch(Action::SetCompare(Some(o)));
            state.dispatch(Action::SetRunning(false));
            state.dispatch(Action::ClearRun);
            commands.send(ToWorker::Configure(Box::new(config.clone())));
        }
        Err(e) => state.dispatch(Action::ShowError(e)),
    }
}

/// The comparison's switch, B's settings, and the side-by-side numbers.
#[function_component(ComparePanel)]
pub fn compare_panel(props: &StateCommandProps) -> Html {
    let state = props.state.clone();
    let commands = props.commands.clone();
    // A data set B's model cannot use ends the comparison, with a message.
    {
        let (state, commands) = (state.clone(), commands.clone());
        use_effect_with(state.config.dataset, move |_| {
            if let Some(b) = &state.compare {
                if let Err(e) = b.overrides.apply(&state.config) {
                    commands.stop_b();
                    state.dispatch(Action::SetCompare(None));
                    state.dispatch(Action::ShowError(format!(
                        "{e}; the comparison was stopped"
                    )));
                }
            }
        });
    }
    // Run B's worker goes when the comparison ends (also when B's worker crashed).
    {
        let commands = commands.clone();
        use_effect_with(state.compare.is_some(), move |&on| {
            if !on {
                commands.stop_b();
            }
        });
    }
    let on_toggle = {
        let (state, commands) = (state.clone(), commands.clone());
        Callback::from(move |e: Event| {
            let on = e
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .checked();
            let o = on.then(|| CompareOverrides::default_for(&state.config));
            set_compare(&state, &commands, &state.config, o);
        })
    };
    let current = state.compare.as_ref().map(|b| b.overrides);
    let on_model = {
        let (state, commands) = (state.clone(), commands.clone());
        Callback::from(move |e: Event| {
            let v = e
                .target_unchecked_into::<web_sys::HtmlSelectElement>()
                .value();
            match (ModelKind::parse(&v), current) {
                (Ok(model), Some(o)) => set_compare(
                    &state,
                    &commands,
                    &state.config,
                    Some(CompareOverrides { model, ..o }),
                ),
                (Err(e), _) => state.dispatch(Action::ShowError(e)),
                _ => {}
            }
        })
    };
    // B's own α or β: a number, or empty for A's value.
    let on_weight = |which: usize| {
        let (state, commands) = (state.clone(), commands.clone());
        Callback::from(move |e: Event| {
            let v = e
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .value();
            let w = match v.trim() {
                "" => None,
                t => match t.parse::<f64>() {
                    Ok(b) => Some(b),
                    Err(_) => {
                        return state.dispatch(Action::ShowError(format!(
                            "run B's weight must be a number, or empty for A's (got '{t}')"
                        )))
                    }
                },
            };
            if let Some(o) = current {
                let o = if which == 0 {
                    CompareOverrides { alpha: w, ..o }
                } else {
                    CompareOverrides { beta: w, ..o }
                };
                set_compare(&state, &commands, &state.config, Some(o));
            }
        })
    };
    let table = state.compare.as_ref().map(|b| {
        let a_loss = state.loss_history.last().map(|p| p.1 as f64);
        let b_loss = b.loss_history.last().map(|p| p.1 as f64);
        let mut rows = vec![(
            "loss".to_string(),
            "per point, latest step".to_string(),
            a_loss,
            b_loss,
        )];
        let a_reports = state.metrics.latest().into_iter().chain(&state.metrics.on_request);
        for r in a_reports {
            for v in &r.values {
                let other = b
                    .metrics
                    .latest()
                    .into_iter()
                    .chain(&b.metrics.on_request)
                    .find_map(|r| r.get(&v.key));
                rows.push((v.label.clone(), v.protocol.clone(), Some(v.value), other));
            }
        }
        let fmt = |x: Option<f64>| x.map_or("–".to_string(), |v| format!("{v:.3}"));
        html! {
            <table class="metric-values" id="compare-table">
                <tr><th></th><th>{"A"}</th><th>{"B"}</th><th></th></tr>
                <tr><th scope="row">{"model"}</th><td>{state.config.model.label()}</td><td>{b.overrides.model.label()}</td><td></td></tr>
                <tr><th scope="row">{"backend"}</th><td>{state.backend.as_ref().map_or("–", |r| r.choice.label())}</td><td id="compare-b-backend" data-backend={b.backend.map(|c| c.key())}>{b.backend.map_or("–", |c| c.label())}</td><td></td></tr>
                <tr><th scope="row">{"step"}</th><td class="num">{state.step}</td><td class="num" id="compare-b-step" data-step={b.step.to_string()}>{b.step}</td>
                    <td class="protocol" id="compare-hold">{if state.held_for_b { "A waits for B to catch up (they stay within about 100 steps)" } else { "" }}</td></tr>
                { for rows.into_iter().map(|(label, protocol, a, bv)| html! {
                    <tr data-key={label.clone()}>
                        <th scope="row">{label}</th>
                        <td class="num">{fmt(a)}</td>
                        <td class="num">{fmt(bv)}</td>
                        <td class="protocol">{protocol}</td>
                    </tr>
                }) }
            </table>
        }
    });
    html! {
        <figure class="panel" id="compare-panel">
            <figcaption>
                <h2>{"Compare A / B"}</h2>
                <p class="help">{"Trains a second run B beside this one (A): the same data, seed and sizes, another model or β. Start, pause and reset act on both; the loss and metric curves show B in orange."}</p>
            </figcaption>
            <label class="field-compare">
                <input type="checkbox" id="compare-on" checked={current.is_some()} onchange={on_toggle} />
                {" Compare with a second run"}
            </label>
            if let Some(o) = current {
                <div class="row2 compare-settings">
                    <div class="field">
                        <label for="compare-model">{"B's model"}</label>
                        <select id="compare-model" onchange={on_model}>
                            { for CompareOverrides::models(state.config.dataset).map(|m| html! {
                                <option value={m.key()} selected={m == o.model}>{m.label()}</option>
                            }) }
                        </select>
                    </div>
                    <div class="field">
                        <label for="compare-alpha">{"B's α"}</label>
                        <input id="compare-alpha" type="number" min="0" step="0.5" placeholder="= A"
                            value={o.alpha.map(|b| b.to_string()).unwrap_or_default()} onchange={on_weight(0)} />
                    </div>
                    <div class="field">
                        <label for="compare-beta">{"B's β"}</label>
                        <input id="compare-beta" type="number" min="0" step="0.5" placeholder="= A"
                            value={o.beta.map(|b| b.to_string()).unwrap_or_default()} onchange={on_weight(1)} />
                    </div>
                </div>
                {table.unwrap_or_default()}
            }
        </figure>
    }
}
