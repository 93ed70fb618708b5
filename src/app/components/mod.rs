//! The page's components: the [`App`] shell wires the worker bridge to the reducer.

mod controls;
mod panels;

use std::rc::Rc;

use yew::prelude::*;

use super::bridge::Bridge;
use super::state::{Action, UiState};
use crate::protocol::ToWorker;

/// Sends commands to the worker; cheap to clone into callbacks.
#[derive(Clone)]
pub struct Commands(Rc<Option<Bridge>>);

impl PartialEq for Commands {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl Commands {
    /// Sends one command (no-op if the worker could not start; the page says so).
    pub fn send(&self, msg: ToWorker) {
        if let Some(b) = self.0.as_ref() {
            b.send(&msg);
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
        UiState::from_link(&hash)
    });
    // Keep the URL in step with the settings, so the address bar is always a share link.
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
        let request = state.backend_request;
        use_memo((), move |_| {
            let deliver = move |msgs| dispatcher.dispatch(Action::Worker(msgs));
            match Bridge::spawn(deliver) {
                Ok(b) => {
                    b.send(&ToWorker::SetBackend(request));
                    b.send(&ToWorker::Configure(Box::new(config)));
                    Commands(Rc::new(Some(b)))
                }
                Err(e) => {
                    web_sys::console::error_1(&e.clone().into());
                    Commands(Rc::new(None))
                }
            }
        })
    };
    let commands: Commands = (*commands).clone();
    let worker_missing = commands.0.is_none();
    let dismiss = {
        let d = state.dispatcher();
        Callback::from(move |_| d.dispatch(Action::DismissError))
    };
    html! {
        <div class="page">
            <style>{hide_css}</style>
            <header class="top">
                <h1>{"Disentangle Lab"}</h1>
                <p class="tagline">{"Train a variational autoencoder in your browser and watch its latent space."}</p>
                <panels::BackendBadge state={state.clone()} commands={commands.clone()} />
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
            if let Some(lesson) = state.lesson {
                <div class="notice lesson" id="lesson-text"><strong>{lesson.title}{". "}</strong>{lesson.text}</div>
            }
            <main class="layout">
                <controls::Controls state={state.clone()} commands={commands.clone()} />
                <section class="panels">
                    <div class="column">
                        <panels::PosteriorPanel state={state.clone()} />
                        <panels::DataPanel state={state.clone()} />
                    </div>
                    <div class="column">
                        <panels::LossPanel state={state.clone()} />
                        <panels::TermsPanel state={state.clone()} />
                        <panels::TraversalPanel state={state.clone()} />
                    </div>
                </section>
            </main>
            <panels::BenchPanel state={state.clone()} commands={commands.clone()} />
        </div>
    }
}
