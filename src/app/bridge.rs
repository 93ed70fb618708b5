//! The page's end of the worker: spawns it, sends commands, and batches its messages so the
//! page re-renders at most [`APPLY_EVERY_MS`] apart, however fast the worker streams.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use gloo::timers::callback::Interval;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, Worker};

use crate::protocol::{FromWorker, ToWorker};
use crate::settings::TrainConfig;
use crate::ui::worker_kind::WorkerKind;

/// Minimum time between two applications of worker messages to the page state.
pub const APPLY_EVERY_MS: u32 = 200;
/// How long a training worker may stay silent before the page counts it as failed (ms). A
/// training worker reports several times a second; even a slow first step on a software GPU
/// (shader compilation) takes seconds, not this long.
pub const HANG_MS: f64 = 30_000.0;

thread_local! {
    /// Whether the browser has a hardware WebGPU adapter, asked once before the page starts.
    static HARDWARE_ADAPTER: Cell<bool> = const { Cell::new(false) };
}

/// Records the page's adapter probe (see [`crate::app::start`]).
pub fn note_hardware_adapter(yes: bool) {
    HARDWARE_ADAPTER.with(|h| h.set(yes));
}

/// The worker build that serves `config` (its backend and data set) in this browser.
pub fn kind_for(config: &TrainConfig) -> WorkerKind {
    WorkerKind::for_run(
        config.backend,
        config.dataset,
        HARDWARE_ADAPTER.with(Cell::get),
    )
}

/// A running worker; dropping it terminates the worker.
pub struct Bridge {
    worker: Worker,
    kind: WorkerKind,
    /// Commands waiting for the worker's `Ready` (it drops messages that arrive before its
    /// wasm has started); `None` once it is ready.
    outbox: Rc<RefCell<Option<Vec<String>>>>,
    /// Whether the worker should be heard from regularly (it trains).
    expecting: Rc<Cell<bool>>,
    /// When the worker was last heard from, or last told to train (ms since the epoch).
    last_heard: Rc<Cell<f64>>,
    _onmessage: Closure<dyn FnMut(MessageEvent)>,
    _onerror: Closure<dyn FnMut(ErrorEvent)>,
    _flush: Interval,
}

impl Bridge {
    /// Starts the worker that serves `config` (its loader, emitted by Trunk next to the
    /// page); `deliver` receives the batched messages. The URL is relative, so the page also
    /// works under a sub-path.
    pub fn spawn(
        config: &TrainConfig,
        deliver: impl Fn(Vec<FromWorker>) + 'static,
    ) -> Result<Self, String> {
        let kind = kind_for(config);
        let worker = Worker::new(kind.loader())
            .map_err(|e| format!("cannot start the training worker: {e:?}"))?;
        let buffer: Rc<RefCell<Vec<FromWorker>>> = Rc::default();
        let outbox: Rc<RefCell<Option<Vec<String>>>> = Rc::new(RefCell::new(Some(Vec::new())));
        // After a crash the worker is unusable: one Crashed message, then silence.
        let dead: Rc<Cell<bool>> = Rc::default();
        let expecting: Rc<Cell<bool>> = Rc::default();
        let last_heard = Rc::new(Cell::new(js_sys::Date::now()));
        let sink = buffer.clone();
        let (pending, target, gone) = (outbox.clone(), worker.clone(), dead.clone());
        let heard = last_heard.clone();
        let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
            let Some(text) = e.data().as_string() else {
                return;
            };
            if gone.get() {
                return;
            }
            heard.set(js_sys::Date::now());
            let msg = serde_json::from_str::<FromWorker>(&text).unwrap_or_else(|err| {
                FromWorker::Error(format!("bad message from the worker: {err}"))
            });
            if msg == FromWorker::Ready {
                // Flush what the page said before the worker could hear it.
                for queued in pending.borrow_mut().take().unwrap_or_default() {
                    let _ = target.post_message(&JsValue::from_str(&queued));
                }
                return;
            }
            if matches!(msg, FromWorker::Crashed(_)) {
                gone.set(true);
            }
            sink.borrow_mut().push(msg);
        });
        worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        // An error the worker did not catch (e.g. its wasm failed to start) counts as a crash.
        let sink = buffer.clone();
        let failed = dead.clone();
        let onerror = Closure::<dyn FnMut(ErrorEvent)>::new(move |e: ErrorEvent| {
            if !failed.replace(true) {
                sink.borrow_mut().push(FromWorker::Crashed(e.message()));
            }
        });
        worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
        let (watching, heard) = (expecting.clone(), last_heard.clone());
        let flush = Interval::new(APPLY_EVERY_MS, move || {
            // A training worker that has said nothing for HANG_MS is stuck: treat it as a
            // crash, so the page restarts it (and this one is terminated when dropped).
            let silent = js_sys::Date::now() - heard.get();
            if watching.get() && silent > HANG_MS && !dead.replace(true) {
                buffer.borrow_mut().push(FromWorker::Crashed(format!(
                    "it stopped answering for {:.0} s",
                    silent / 1000.0
                )));
            }
            let msgs = std::mem::take(&mut *buffer.borrow_mut());
            if !msgs.is_empty() {
                deliver(msgs);
            }
        });
        Ok(Self {
            worker,
            kind,
            outbox,
            expecting,
            last_heard,
            _onmessage: onmessage,
            _onerror: onerror,
            _flush: flush,
        })
    }

    /// Whether this worker is the build `config` needs (else the page starts the other one).
    pub fn serves(&self, config: &TrainConfig) -> bool {
        kind_for(config) == self.kind
    }

    /// Whether the worker should be heard from regularly from now on; turning it on starts
    /// the silence count afresh.
    pub fn expect_progress(&self, on: bool) {
        if on && !self.expecting.get() {
            self.last_heard.set(js_sys::Date::now());
        }
        self.expecting.set(on);
    }

    /// Sends one command (queued until the worker is ready).
    pub fn send(&self, msg: &ToWorker) {
        let Ok(text) = serde_json::to_string(msg) else {
            return;
        };
        match self.outbox.borrow_mut().as_mut() {
            Some(queue) => queue.push(text),
            None => {
                let _ = self.worker.post_message(&JsValue::from_str(&text));
            }
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
