//! The training web worker: owns the [`Trainer`], obeys [`ToWorker`] commands between steps,
//! and streams [`FromWorker`] messages back. wasm32 only.
//!
//! Shape (after yew's `web_worker_prime` reactor): `onmessage` only queues commands; one async
//! loop folds them into a [`Control`] (in arrival order, see `train::control`), applies what
//! it says between steps, trains for a short time slice, reads back a snapshot
//! (asynchronously) and yields to the event loop.

mod bench;
mod export;

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use crate::adapter;
use crate::protocol::{BackendReport, FromWorker, ToWorker};
use crate::settings::{BackendPref, TrainConfig};
use crate::train::control::{Applied, Control};
use crate::train::metric_schedule::MetricScheduler;
use crate::train::{backend, BackendChoice, Trainer};

/// Time slice of training between two snapshots (ms): short enough that Pause and slider
/// changes act within a frame or two, long enough to amortise the readback.
const SLICE_MS: f64 = 40.0;
/// Most steps per slice on WebGPU, where queuing is fast but each readback waits for the GPU.
const MAX_GPU_STEPS_PER_SLICE: u32 = 8;
/// Points of q(z) sent with a snapshot that carries them.
const POSTERIOR_POINTS: usize = 400;
/// Least time between two samples of q(z) while training (ms). Encoding 400 dSprites images
/// costs about one training step, so sampling them every slice (one step there) halved the
/// training rate; four pictures a second are smooth enough for a scatter plot.
const POSTERIOR_EVERY_MS: f64 = 250.0;
/// And at most this share of the time goes to sampling q(z): the next sample waits
/// `(1 / share − 1)` times as long as the last one took, whatever `POSTERIOR_EVERY_MS` says,
const POSTERIOR_SHARE: f64 = 0.1;
/// but never longer than this (ms): where sampling is slow (WebGPU on a software adapter) the
/// plot still moves while the run trains.
const POSTERIOR_MAX_WAIT_MS: f64 = 2000.0;
/// Minimum time between two traversals (ms): decoding a grid costs more than a snapshot.
const TRAVERSAL_EVERY_MS: f64 = 1500.0;
/// Time between two checkpoints of a training model (ms): what a crash can cost at most.
const CHECKPOINT_EVERY_MS: f64 = 10_000.0;

/// Commands received since the loop last looked.
type Inbox = Rc<RefCell<Vec<ToWorker>>>;

/// Entry point of the worker binary.
pub fn start() {
    // A panic (wgpu panics when the GPU device is lost) leaves the wasm instance unusable:
    // tell the page, which restarts the worker on the CPU, instead of dying silently.
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        post(&FromWorker::Crashed(info.to_string()));
    }));
    // gemm (burn-flex's matrix products, and so its convolutions) ships SIMD128 kernels for
    // wasm but uses them only when told to. This module is compiled for SIMD128
    // (.cargo/config.toml), so running at all proves the browser has it. gemm reads the
    // switch once, at its first product, and keeps that kernel for the worker's life.
    gemm_common::set_wasm_simd128(true);
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let inbox: Inbox = Rc::default();
    let queue = inbox.clone();
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        let Some(text) = e.data().as_string() else {
            return;
        };
        match serde_json::from_str::<ToWorker>(&text) {
            Ok(msg) => queue.borrow_mut().push(msg),
            Err(err) => post(&FromWorker::Error(format!(
                "bad message from the page: {}",
                crate::settings::text::clip(&err.to_string(), 300)
            ))),
        }
    });
    scope.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    post(&FromWorker::Ready);
    wasm_bindgen_futures::spawn_local(run_loop(inbox));
}

/// Lets the event loop deliver queued messages, then resumes. A `setTimeout(0)` would do the
/// same but Chromium clamps nested timers to 4 ms, which measured 4.2 ms a turn against
/// 0.02 ms for a message on a `MessageChannel`: a tenth of a 40 ms training slice.
async fn yield_to_events() {
    let Ok(channel) = web_sys::MessageChannel::new() else {
        gloo::timers::future::TimeoutFuture::new(0).await;
        return;
    };
    let woken = js_sys::Promise::new(&mut |resolve, _reject| {
        channel.port1().set_onmessage(Some(&resolve));
    });
    let _ = channel.port2().post_message(&JsValue::NULL);
    let _ = wasm_bindgen_futures::JsFuture::from(woken).await;
    channel.port1().set_onmessage(None);
}

/// Sends one message to the page.
fn post(msg: &FromWorker) {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    match serde_json::to_string(msg) {
        Ok(s) => {
            let _ = scope.post_message(&JsValue::from_str(&s));
        }
        Err(e) => web_sys::console::error_1(&format!("cannot encode message: {e}").into()),
    }
}

fn now_ms() -> f64 {
    js_sys::global()
        .unchecked_into::<DedicatedWorkerGlobalScope>()
        .performance()
        .map_or(0.0, |p| p.now())
}

/// Folds the commands received since the last look into `control`, in order.
fn drain_inbox(inbox: &Inbox, control: &mut Control) {
    for msg in std::mem::take(&mut *inbox.borrow_mut()) {
        match control.apply(msg) {
            Ok(Applied::Recorded) => {}
            // Fails like a lost GPU device does: a panic, which the hook reports.
            Ok(Applied::Fail(why)) => panic!("{why}"),
            // Stops answering for good, as a worker stuck in a driver call would.
            Ok(Applied::Hang) => loop {
                std::hint::spin_loop();
            },
            Err(e) => post(&FromWorker::Error(e)),
        }
    }
}

/// Seconds of training *Auto* times on each backend it may choose (after a warm-up).
const PROBE_SECONDS: f64 = 0.4;

/// Resolves the requested backend to a device, falling back to the CPU with a notice. *Auto*
/// times a few steps of `config` twice on each backend this worker carries (WebGPU only on a
/// hardware adapter; [`backend::probe_order`]) and takes the one with the best timing; the
/// report says what it measured.
async fn open_backend(
    pref: BackendPref,
    config: &TrainConfig,
) -> (BackendChoice, burn::prelude::Device, BackendReport) {
    let adapter = adapter::probe().await;
    let software = adapter.as_ref().is_some_and(|a| a.is_fallback);
    let hardware = adapter.is_some() && !software;
    let mut measured = Vec::new();
    let (wanted, mut notice) = match pref.fixed() {
        Some(c) => (c, None),
        None => {
            let candidates = backend::auto_candidates(hardware);
            if candidates.len() > 1 {
                // A backend that could not be opened or timed once is not tried again (nor
                // reported twice).
                let mut failed = Vec::new();
                for c in backend::probe_order(&candidates) {
                    if failed.contains(&c) {
                        continue;
                    }
                    let Ok(device) = backend::device_for(c).await else {
                        failed.push(c);
                        continue;
                    };
                    match bench::time_steps(config.clone(), &device, now_ms, PROBE_SECONDS, 0).await
                    {
                        Ok(rate) => measured.push((c, rate)),
                        Err(e) => {
                            failed.push(c);
                            post(&FromWorker::Error(format!(
                                "Auto could not time {}: {e}",
                                c.label()
                            )));
                        }
                    }
                }
            }
            measured = backend::best_each(&measured);
            let chosen = backend::fastest(&measured).unwrap_or(candidates[0]);
            let why = match &adapter {
                None => Some("This browser offers no WebGPU adapter: training runs on the CPU."),
                Some(_) if software => Some("The WebGPU adapter is a software one (no GPU), far slower than the CPU: it was not tried. You can still choose WebGPU."),
                // The page loads WebGPU's worker for dSprites only (ui::worker_kind).
                Some(_) if !backend::built_in(BackendChoice::Wgpu) => Some("WebGPU was not tried: to keep the download small, Auto loads it for dSprites only. Choose WebGPU to time it here."),
                Some(_) => None,
            };
            (chosen, why.map(str::to_string))
        }
    };
    if wanted == BackendChoice::Wgpu && adapter.is_none() {
        notice = Some("WebGPU was asked for, but this browser offers no adapter: training runs on the CPU instead.".into());
    } else {
        match backend::device_for(wanted).await {
            Ok(device) => {
                if wanted == BackendChoice::Wgpu && software {
                    notice = Some("WebGPU runs on a software adapter (no GPU): expect it to be much slower than the CPU backend.".into());
                }
                let report = BackendReport {
                    choice: wanted,
                    adapter,
                    notice,
                    measured,
                };
                return (wanted, device, report);
            }
            Err(e) => notice = Some(format!("{e}; training runs on the CPU instead.")),
        }
    }
    let cpu = BackendChoice::Flex;
    let device = backend::device_for(cpu)
        .await
        .expect("Flex is in every build");
    (
        cpu,
        device,
        BackendReport {
            choice: cpu,
            adapter,
            notice,
            measured,
        },
    )
}

/// The worker's life: apply commands, train a slice, report, yield.
async fn run_loop(inbox: Inbox) {
    let mut control = Control::default();
    let mut trainer: Option<Trainer> = None;
    let mut device = None;
    let mut on_gpu = false;
    let mut config = TrainConfig::default();
    let mut reports = Reports::new();
    let mut pref = None;
    // What *Auto* last measured its choice on (train::backend::speed_key).
    let mut probed_for = String::new();
    let mut measures = MetricScheduler::default();
    let mut shown_running = false;
    // (time, step) of the last checkpoint sent to the page.
    let mut checkpointed = (now_ms(), 0u64);
    let mut outbox = |m: FromWorker| post(&m);
    loop {
        drain_inbox(&inbox, &mut control);
        sync_running(&control, &mut shown_running);
        for r in std::mem::take(&mut control.measure) {
            measures.ask(r);
        }
        let mut req = control.backend.take();
        // Under Auto, a new network or data set is measured afresh.
        let next = control.config.as_ref().unwrap_or(&config).clone();
        if req.is_none()
            && pref == Some(BackendPref::Auto)
            && backend::speed_key(&next) != probed_for
        {
            req = Some(BackendPref::Auto);
        }
        if let Some(req) = req {
            pref = Some(req);
            probed_for = backend::speed_key(&next);
            let (chosen, d, report) = open_backend(req, &next).await;
            on_gpu = !chosen.is_cpu();
            post(&FromWorker::Backend(report));
            device = Some(d);
            // Rebuild on the new device with the settings in force, live changes included.
            let current = trainer
                .as_ref()
                .map_or_else(|| config.clone(), |t| t.config().clone());
            control.config.get_or_insert(current);
        }
        if std::mem::take(&mut control.bench) {
            let adapter = adapter::probe().await;
            bench::run(now_ms, adapter, |l| post(&FromWorker::Bench(l))).await;
            post(&FromWorker::BenchDone);
        }
        if let Some(d) = device.as_ref() {
            if let Some(cfg) = control.config.take() {
                match crate::train::preview::preview(&cfg) {
                    Ok(p) => post(&FromWorker::Preview(p)),
                    Err(e) => post(&FromWorker::Error(format!(
                        "cannot draw this data set: {e}"
                    ))),
                }
                match Trainer::new(cfg.clone(), d) {
                    Ok(t) => {
                        config = cfg;
                        checkpointed = (now_ms(), 0);
                        trainer = Some(t);
                        measures.reset();
                        reports.new_model(&mut trainer).await;
                    }
                    Err(e) => post(&FromWorker::Error(format!(
                        "cannot start this configuration: {e}"
                    ))),
                }
            }
        }
        if let Some(t) = export::load_if_sent(&mut control, device.as_ref()) {
            config = t.config().clone();
            checkpointed = (now_ms(), t.step_count());
            if let Ok(p) = crate::train::preview::preview(&config) {
                post(&FromWorker::Preview(p));
            }
            trainer = Some(t);
            measures.reset();
            sync_running(&control, &mut shown_running);
            reports.new_model(&mut trainer).await;
        }
        // Live changes apply to the model in force now: a fresh one, a loaded one or the old.
        if let (Some(live), Some(t)) = (control.live.take(), trainer.as_mut()) {
            if let Err(e) = t.set_live(&live) {
                post(&FromWorker::Error(e));
            }
        }
        export::save_if_asked(&mut control, trainer.as_ref()).await;
        let Some(t) = trainer.as_mut() else {
            gloo::timers::future::TimeoutFuture::new(30).await;
            continue;
        };
        let from = t.step_count();
        let allowed = control.steps_allowed(from);
        if allowed > 0 {
            let start = now_ms();
            let mut taken = 0u32;
            loop {
                t.step();
                taken += 1;
                if taken >= allowed {
                    break;
                }
                if now_ms() - start > SLICE_MS || (on_gpu && taken >= MAX_GPU_STEPS_PER_SLICE) {
                    break;
                }
            }
            control.took(from, taken);
            // Reached its pause point: says so now, before its last snapshot.
            sync_running(&control, &mut shown_running);
            // Every step shows its q(z) in step and slow-motion modes, and the last one does.
            let force = control.delay_ms > 0 || !control.wants_steps();
            if !reports.post(&mut trainer, force).await {
                control.stop();
                sync_running(&control, &mut shown_running);
            }
        }
        if let Some(t) = trainer.as_ref() {
            let step = t.step_count();
            if step > checkpointed.1 && now_ms() - checkpointed.0 > CHECKPOINT_EVERY_MS {
                export::checkpoint(t).await;
                checkpointed = (now_ms(), step);
            }
        }
        let idle = !control.wants_steps();
        // Paused between two samples of q(z): show the one of the step it stopped at.
        let stale = trainer.as_ref().map(|t| Some(t.step_count())) != Some(reports.posterior.step);
        if idle && trainer.is_some() && stale {
            reports.post(&mut trainer, true).await;
        }
        if std::mem::take(&mut control.stopped) {
            // Paused (by the page or at the pause point): show the numbers of the model at
            // the step it stopped at.
            measures.measure_current();
        }
        if let Some(t) = trainer.as_ref() {
            reports.traversal(t, idle).await;
            measures.tick(t, !idle, &now_ms, &mut outbox).await;
        }
        let pause = if idle && !measures.busy() {
            30
        } else {
            control.delay_ms
        };
        if pause == 0 {
            yield_to_events().await;
        } else {
            gloo::timers::future::TimeoutFuture::new(pause).await;
        }
    }
}

/// Tells the page whether the worker trains, whenever that changed since it was last told.
///
/// The state is reported after it is applied, never assumed: a `Run` that came after a
/// `Configure` in the same batch is in force, and a `Pause` from the page is echoed in order.
fn sync_running(control: &Control, shown: &mut bool) {
    let running = control.running;
    if running != *shown {
        *shown = running;
        post(&FromWorker::Running(running));
    }
}

/// When the page next gets a sample of q(z).
#[derive(Default)]
struct PosteriorCadence {
    /// No sample before this time while training (ms).
    next_at: f64,
    /// Step of the last sample sent (None: none for this model yet).
    step: Option<u64>,
}

/// What the worker last reported to the page, which the next report builds on.
struct Reports {
    /// (time, step) of the last snapshot posted: the training rate is measured from it.
    last: (f64, u64),
    /// KL per latent of the last sample of q(z): orders the traversal's rows.
    kl_per_latent: Vec<f32>,
    posterior: PosteriorCadence,
    /// When the last latent traversal was posted (ms).
    traversal_at: f64,
}

impl Reports {
    fn new() -> Self {
        Self {
            last: (now_ms(), 0),
            kl_per_latent: Vec::new(),
            posterior: PosteriorCadence::default(),
            traversal_at: f64::NEG_INFINITY,
        }
    }

    /// A new or loaded model: reported at once, with a sample of q(z) whatever the cadence
    /// says, and its traversal due.
    async fn new_model(&mut self, trainer: &mut Option<Trainer>) {
        self.posterior = PosteriorCadence::default();
        self.traversal_at = f64::NEG_INFINITY;
        self.post(trainer, true).await;
    }

    /// Posts a latent traversal every TRAVERSAL_EVERY_MS while training, and once after it
    /// stops (`idle`).
    async fn traversal(&mut self, t: &Trainer, idle: bool) {
        let due = now_ms() - self.traversal_at > TRAVERSAL_EVERY_MS;
        if due && (!idle || self.traversal_at < self.last.0) {
            match t.traversal(0, &self.kl_per_latent).await {
                Ok(tr) => post(&FromWorker::Traversal(tr)),
                Err(e) => post(&FromWorker::Error(e.to_string())),
            }
            self.traversal_at = now_ms();
        }
    }

    /// Reads a snapshot back and posts it, with a sample of q(z) when one is due or
    /// `force`d; false if training had to stop.
    async fn post(&mut self, trainer: &mut Option<Trainer>, force: bool) -> bool {
        let Some(t) = trainer.as_mut() else {
            return false;
        };
        let cadence = &mut self.posterior;
        let start = now_ms();
        let with_posterior = force || start >= cadence.next_at;
        let points = if with_posterior { POSTERIOR_POINTS } else { 0 };
        match t.snapshot(points).await {
            Ok(snapshot) => {
                if with_posterior {
                    let end = now_ms();
                    let wait = (end - start) * (1.0 / POSTERIOR_SHARE - 1.0);
                    cadence.next_at = end + wait.clamp(POSTERIOR_EVERY_MS, POSTERIOR_MAX_WAIT_MS);
                    cadence.step = Some(snapshot.step);
                }
                if let Some(p) = &snapshot.posterior {
                    self.kl_per_latent.clone_from(&p.kl_per_latent);
                }
                let now = now_ms();
                let steps = snapshot.step.saturating_sub(self.last.1);
                let secs = ((now - self.last.0) / 1000.0).max(1e-6);
                self.last = (now, snapshot.step);
                post(&FromWorker::Progress {
                    steps_per_second: steps as f64 / secs,
                    snapshot,
                });
                true
            }
            Err(e) => {
                // Not retried while paused: the message says what failed, once.
                cadence.step = Some(t.step_count());
                post(&FromWorker::Error(e.to_string()));
                false
            }
        }
    }
}
