//! The page's components: the [`App`] shell wires the worker bridge to the reducer.

mod committed_input;
mod compare;
mod controls;
mod export;
mod metrics;
mod panels;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use yew::prelude::*;

use super::bridge::Bridge;
use super::state::{Action, UiState, CRASH_BACKEND, MAX_RESTARTS};
use crate::protocol::{FromWorker, ToWorker};
use crate::settings::compare::CompareOverrides;
use crate::settings::{BackendPref, TrainConfig};

/// Sends commands to the worker (and to run B's, when comparing); cheap to clone.
#[derive(Clone)]
pub struct Commands {
    /// Run A's worker (replaced when it crashes; `None` if it could not start).
    a: Rc<RefCell<Option<Bridge>>>,
    /// Run B's worker and how B differs from A, while a comparison is on.
    b: Rc<RefCell<Option<(Bridge, CompareOverrides)>>>,
    /// Where both runs pause (a lesson's evidence length), sent to every worker started.
    pause_at: Rc<Cell<Option<u64>>>,
}

impl PartialEq for Commands {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.a, &other.a) && Rc::ptr_eq(&self.b, &other.b)
    }
}

impl Commands {
    /// Sends one command to run A (no-op if the worker could not start; the page says so)
    /// and its counterpart to run B: B gets its own configuration and β, and no benchmark.
    pub fn send(&self, msg: ToWorker) {
        if let Some((b, o)) = self.b.borrow().as_ref() {
            let for_b = match &msg {
                ToWorker::Configure(c) => o.apply(c).ok().map(|c| ToWorker::Configure(Box::new(c))),
                ToWorker::SetLive(c) => o.apply(c).ok().map(|c| ToWorker::SetLive(Box::new(c))),
                ToWorker::Benchmark => None,
                other => Some(other.clone()),
            };
            if let Some(m) = for_b {
                b.send(&m);
            }
        }
        if let Some(a) = self.a.borrow().as_ref() {
            a.send(&msg);
        }
    }

    /// Makes both runs pause when they reach `step` (`None`: never), now and in every worker
    /// started later (run B, a restart, a switch of build).
    pub fn set_pause_at(&self, step: Option<u64>) {
        self.pause_at.set(step);
        self.send(ToWorker::PauseAt(step));
    }

    /// Sends a message to run B only, as it is (no overrides applied).
    pub fn send_b(&self, msg: ToWorker) {
        if let Some((b, _)) = self.b.borrow().as_ref() {
            b.send(&msg);
        }
    }

    /// Sends a message to run A only (the page holding A back for B).
    pub fn send_a(&self, msg: ToWorker) {
        if let Some(a) = self.a.borrow().as_ref() {
            a.send(&msg);
        }
    }

    /// Replaces run A's worker (after a failure) with a fresh one on `backend`, configured
    /// with `config` and, when there is one, going on from `checkpoint` (a model file of
    /// this run) with `config`'s live settings.
    pub fn restart_a(
        &self,
        bridge: Bridge,
        backend: BackendPref,
        config: TrainConfig,
        checkpoint: Option<Vec<u8>>,
    ) {
        bridge.send(&ToWorker::SetBackend(backend));
        bridge.send(&ToWorker::PauseAt(self.pause_at.get()));
        bridge.send(&ToWorker::Configure(Box::new(config.clone())));
        if let Some(bytes) = checkpoint {
            bridge.send(&ToWorker::Resume(bytes));
            bridge.send(&ToWorker::SetLive(Box::new(config)));
        }
        *self.a.borrow_mut() = Some(bridge);
    }

    /// Tells run A's bridge whether the worker should be heard from regularly (it trains):
    /// then a silence of [`bridge::HANG_MS`](super::bridge::HANG_MS) counts as a failure.
    pub fn expect_progress(&self, on: bool) {
        if let Some(a) = self.a.borrow().as_ref() {
            a.expect_progress(on);
        }
    }

    /// Starts run B's worker (replacing one that runs) on `backend`; the caller then resets
    /// both runs with [`Self::send`]`(Configure(..))`.
    pub fn start_b(&self, bridge: Bridge, overrides: CompareOverrides, backend: BackendPref) {
        bridge.send(&ToWorker::SetBackend(backend));
        bridge.send(&ToWorker::PauseAt(self.pause_at.get()));
        *self.b.borrow_mut() = Some((bridge, overrides));
    }

    /// Stops run B's worker.
    pub fn stop_b(&self) {
        self.b.borrow_mut().take();
    }

    /// Whether run A's worker is the build `config` needs (no worker: nothing to switch).
    pub fn serves(&self, config: &TrainConfig) -> bool {
        self.a.borrow().as_ref().is_none_or(|a| a.serves(config))
    }
}

/// Starts run A's worker (and B's, with `compare`) for `config.backend`, replacing any that
/// run, and configures both. An error if A's worker cannot start (then nothing is sent);
/// `on_b_error` hears why B's could not.
fn start_runs(
    commands: &Commands,
    d: UseReducerDispatcher<UiState>,
    config: &TrainConfig,
    compare: Option<CompareOverrides>,
    on_b_error: impl FnOnce(String),
) -> Result<(), String> {
    let pref = config.backend;
    let a = Bridge::spawn(config, deliver_a(d.clone()))?;
    a.send(&ToWorker::SetBackend(pref));
    a.send(&ToWorker::PauseAt(commands.pause_at.get()));
    *commands.a.borrow_mut() = Some(a);
    if let Some(o) = compare {
        match Bridge::spawn(config, move |msgs| d.dispatch(Action::WorkerB(msgs))) {
            Ok(b) => commands.start_b(b, o, pref),
            Err(e) => on_b_error(e),
        }
    }
    commands.send(ToWorker::Configure(Box::new(config.clone())));
    Ok(())
}

/// Moves runs A and B to fresh workers of the build `config` needs (the CPU one, or the one
/// with WebGPU), starting from step 0 as a backend or data set change does within a worker.
pub fn switch_workers(
    state: &UseReducerHandle<UiState>,
    commands: &Commands,
    config: &TrainConfig,
) {
    let compare = commands.b.borrow().as_ref().map(|(_, o)| *o);
    let on_b_error = |e| {
        commands.stop_b();
        state.dispatch(Action::SetCompare(None));
        state.dispatch(Action::ShowError(e));
    };
    match start_runs(commands, state.dispatcher(), config, compare, on_b_error) {
        Ok(()) if state.running => commands.send(ToWorker::Run),
        Ok(()) => {}
        Err(e) => state.dispatch(Action::ShowError(e)),
    }
}

/// How many steps run A may lead run B before the page pauses A until B catches up.
const LOCKSTEP_LEAD: u64 = 100;

/// Where the last configuration is kept between visits (its share link).
pub const STORAGE_KEY: &str = "disentangle-lab:link";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Delivers run A's messages to the reducer; a model file is downloaded as it arrives (a
/// side effect, so it stays out of the reducer).
fn deliver_a(d: UseReducerDispatcher<UiState>) -> impl Fn(Vec<FromWorker>) {
    move |msgs: Vec<FromWorker>| {
        let (files, rest): (Vec<_>, Vec<_>) = msgs
            .into_iter()
            .partition(|m| matches!(m, FromWorker::ModelFile(_)));
        for m in files {
            if let FromWorker::ModelFile(bytes) = m {
                let name = crate::train::model_file::decode(&bytes)
                    .map(|p| crate::train::model_file::file_name(&p.header))
                    .unwrap_or_else(|_| "disentangle-lab-model.dlab".into());
                if let Err(e) =
                    super::files::download_bytes(&name, "application/octet-stream", &bytes)
                {
                    d.dispatch(Action::ShowError(format!("cannot save the model: {e}")));
                }
            }
        }
        if !rest.is_empty() {
            d.dispatch(Action::Worker(rest));
        }
    }
}

/// The whole page.
#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| {
        let hash = web_sys::window()
            .and_then(|w| w.location().hash().ok())
            .unwrap_or_default();
        let stored = storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
        UiState::initial(&hash, stored.as_deref())
    });
    // Keep the URL in step with the settings, so the address bar is always a share link,
    // and remember them for the next visit.
    {
        let link = state.link();
        use_effect_with(link, |link| {
            if let Some(w) = web_sys::window() {
                if let Ok(history) = w.history() {
                    let _ = history.replace_state_with_url(
                        &wasm_bindgen::JsValue::NULL,
                        "",
                        Some(&format!("#{link}")),
                    );
                }
            }
            if let Some(s) = storage() {
                let _ = s.set_item(STORAGE_KEY, link);
            }
        });
    }
    let mut hide_css: String = state
        .hidden
        .iter()
        .map(|id| format!(".field-{id} {{ display: none; }}\n"))
        .collect();
    for id in state.lesson.map_or(&[][..], |l| l.highlight) {
        hide_css.push_str(&format!(".field-{id} {{ outline: 3px solid #e69f00; outline-offset: 2px; border-radius: 4px; }}\n"));
    }
    let commands = {
        let dispatcher = state.dispatcher();
        let config = state.config.clone();
        let compare = state.compare.as_ref().map(|b| b.overrides);
        let pause_at = state.lesson.map(|l| l.steps);
        use_memo((), move |_| {
            let commands = Commands {
                a: Rc::default(),
                b: Rc::default(),
                pause_at: Rc::new(Cell::new(pause_at)),
            };
            // A link with a comparison starts run B as well.
            let on_b_error = |e: String| web_sys::console::error_1(&e.into());
            if let Err(e) = start_runs(&commands, dispatcher, &config, compare, on_b_error) {
                web_sys::console::error_1(&e.into());
            }
            commands
        })
    };
    let commands: Commands = (*commands).clone();
    let worker_missing = commands.a.borrow().is_none();
    // A crashed worker is replaced by a fresh one on the CPU, with the same settings.
    {
        let (state, commands) = (state.clone(), commands.clone());
        use_effect_with(state.crashes, move |&crashes| {
            if crashes == 0 || crashes > MAX_RESTARTS {
                return;
            }
            let config = TrainConfig {
                backend: CRASH_BACKEND,
                ..state.config.clone()
            };
            let checkpoint = state.resumable_checkpoint();
            match Bridge::spawn(&config, deliver_a(state.dispatcher())) {
                Ok(b) => {
                    state.dispatch(Action::SetConfig(Box::new(config.clone())));
                    if checkpoint.is_none() {
                        state.dispatch(Action::ClearRunKeepMessage);
                    }
                    commands.restart_a(b, config.backend, config, checkpoint);
                }
                Err(e) => state.dispatch(Action::ShowError(e)),
            }
        });
    }
    // A worker that trains must be heard from; the bridge counts a long silence as a crash.
    {
        let commands = commands.clone();
        let busy = state.running && !state.held_for_b;
        use_effect_with((busy, state.crashes), move |&(busy, _)| {
            commands.expect_progress(busy)
        });
    }
    // B trains on A's backend: on *Auto* each worker times the backends itself, and two close
    // timings can pick two backends, whose arithmetic differs, so the same seed gave B other
    // numbers from one visit to the next. B follows A's choice (its model restarts at step 0).
    {
        let commands = commands.clone();
        let a = state.backend.as_ref().map(|r| r.choice);
        let b = state.compare.as_ref().and_then(|b| b.backend);
        use_effect_with((a, b), move |&(a, b)| {
            if let (Some(a), Some(b)) = (a, b) {
                if a != b {
                    commands.send_b(ToWorker::SetBackend(BackendPref::exactly(a)));
                }
            }
        });
    }
    // Keep A within LOCKSTEP_LEAD steps of a slower B, so the comparison is at equal steps.
    {
        let (state, commands) = (state.clone(), commands.clone());
        let b_step = state.compare.as_ref().map(|b| b.step);
        let deps = (state.running, state.held_for_b, state.step, b_step);
        use_effect_with(deps, move |&(running, held, step, b_step)| match b_step {
            Some(b) if running => {
                if !held && step > b + LOCKSTEP_LEAD {
                    commands.send_a(ToWorker::Pause);
                    state.dispatch(Action::HoldA(true));
                } else if held && step <= b {
                    commands.send_a(ToWorker::Run);
                    state.dispatch(Action::HoldA(false));
                }
            }
            _ if held => {
                state.dispatch(Action::HoldA(false));
                if running {
                    commands.send_a(ToWorker::Run);
                }
            }
            _ => {}
        });
    }
    let dismiss = {
        let d = state.dispatcher();
        Callback::from(move |_| d.dispatch(Action::DismissError))
    };
    let dismiss_info = {
        let d = state.dispatcher();
        Callback::from(move |_| d.dispatch(Action::DismissInfo))
    };
    let on_large = {
        let d = state.dispatcher();
        Callback::from(move |e: Event| {
            let on = e
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .checked();
            d.dispatch(Action::SetLargeText(on));
        })
    };
    html! {
        <div class={classes!("page", state.large_text.then_some("large-text"))}>
            <style>{hide_css}</style>
            <header class="top">
                <h1>{"Disentangle Lab"}</h1>
                <p class="tagline">{"Train a variational autoencoder in your browser and watch its latent space."}</p>
                <label class="large-toggle" title="Bigger text and one column of panels, for a projector">
                    <input type="checkbox" id="large-text" checked={state.large_text} onchange={on_large} />{" Large text"}
                </label>
                <panels::BackendBadge state={state.clone()} commands={commands.clone()} />
                <export::ExportBar state={state.clone()} commands={commands.clone()} />
            </header>
            if worker_missing {
                <div class="notice error" role="alert">{"The training worker could not start: this browser may block web workers."}</div>
            }
            if let Some(err) = state.error.clone() {
                <div id="error" class="notice error" role="alert">
                    <span>{err}</span>
                    <button class="dismiss" onclick={dismiss} aria-label="Dismiss message">{"×"}</button>
                </div>
            }
            if let Some(info) = state.info.clone() {
                <div id="info" class="notice info" role="status">
                    <span>{info}</span>
                    <button class="dismiss" onclick={dismiss_info} aria-label="Dismiss message">{"×"}</button>
                </div>
            }
            if let Some(lesson) = state.lesson {
                <div class="notice lesson" id="lesson-text"><strong>{lesson.title}{". "}</strong>{lesson.text}{" "}<em id="lesson-pause">{lesson.pause_note()}</em></div>
            }
            <main class="layout">
                <controls::Controls state={state.clone()} commands={commands.clone()} />
                <section class="panels">
                    <div class="column">
                        <panels::PosteriorPanel state={state.clone()} />
                        <metrics::MetricsPanel state={state.clone()} commands={commands.clone()} />
                        <panels::DataPanel state={state.clone()} />
                    </div>
                    <div class="column">
                        <panels::LossPanel state={state.clone()} />
                        <compare::ComparePanel state={state.clone()} commands={commands.clone()} />
                        <panels::TermsPanel state={state.clone()} />
                        <panels::TraversalPanel state={state.clone()} />
                    </div>
                </section>
            </main>
            <panels::BenchPanel state={state.clone()} commands={commands.clone()} />
        </div>
    }
}
