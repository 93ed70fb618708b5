//! [`UiState::apply`]: how each [`Action`] changes the page state, and what the page says
//! when the worker fails.

use super::*;

/// Most restarts after crashes before the page gives up (a crash loop helps nobody).
pub const MAX_RESTARTS: u32 = 3;

/// The backend a restarted worker uses after a crash: Flex, the CPU backend in every worker
/// and the faster one in the page (gemm's SIMD128 kernels; a crash on WebGPU is most likely a
/// lost device, so *Auto* is not trusted to measure again).
pub const CRASH_BACKEND: BackendPref = BackendPref::Flex;

/// What the page says when the worker failed (`e`: how), by where it ran and whether a
/// checkpoint of the model is there to go on from.
fn crash_notice(
    e: &str,
    backend: Option<&BackendReport>,
    crashes: u32,
    saved: Option<u64>,
) -> String {
    let on_gpu = backend.is_some_and(|b| !b.choice.is_cpu());
    let cause = if on_gpu {
        "the GPU device was lost or failed"
    } else {
        "it failed"
    };
    let e = text::clip(e, 200);
    if crashes > MAX_RESTARTS {
        return format!("The training worker stopped again ({e}). It is not restarted after {MAX_RESTARTS} failures: reload the page.");
    }
    match saved {
        Some(step) => format!(
            "The training worker stopped: {cause} ({e}). It was restarted on the CPU with the model as saved at step {step}; press Start to go on."
        ),
        None => format!(
            "The training worker stopped: {cause} ({e}). It was restarted on the CPU; no copy of the model had been saved yet, so training starts again from step 0 with the same settings."
        ),
    }
}

impl UiState {
    /// Applies one action.
    pub fn apply(&mut self, action: Action) {
        let s = self;
        match action {
            Action::Worker(msgs) => {
                for msg in msgs {
                    match msg {
                        FromWorker::Backend(report) => s.backend = Some(report),
                        FromWorker::Progress {
                            snapshot,
                            steps_per_second,
                        } => {
                            s.push_curves(&snapshot.curves);
                            s.step = snapshot.step;
                            if !snapshot.curves.is_empty() {
                                s.steps_per_second = steps_per_second;
                            }
                            if snapshot.posterior.is_some() {
                                s.posterior = snapshot.posterior;
                            }
                            s.applied_weights = Some(snapshot.weights);
                            s.version += 1;
                        }
                        // While held for B, A's pause is the page's, not the user's.
                        FromWorker::Running(r) if !s.held_for_b => s.running = r,
                        FromWorker::Running(_) => {}
                        FromWorker::Ready => {}
                        FromWorker::Bench(l) => s.bench.0.push(l),
                        FromWorker::BenchDone => s.bench.1 = true,
                        FromWorker::Traversal(t) => {
                            s.traversal = Some(t);
                            s.version += 1;
                        }
                        FromWorker::Preview(p) => {
                            s.preview = Some(p);
                            s.version += 1;
                        }
                        FromWorker::Error(e) => {
                            s.error = Some(text::clip(&e, MAX_MESSAGE));
                            s.running = false;
                            s.metrics.progress = None;
                        }
                        FromWorker::Crashed(e) => {
                            s.crashes += 1;
                            s.running = false;
                            s.held_for_b = false;
                            s.metrics.progress = None;
                            let saved = s
                                .resumable_checkpoint()
                                .and(s.checkpoint.as_ref().map(|c| c.step));
                            s.error = Some(crash_notice(&e, s.backend.as_ref(), s.crashes, saved));
                        }
                        FromWorker::Checkpoint { step, bytes } => {
                            s.checkpoint = Some(Rc::new(Checkpoint { step, bytes }));
                        }
                        FromWorker::Resumed { step } => {
                            // The curves after the checkpoint belong to the lost worker's run.
                            s.step = step;
                            s.loss_history.retain(|&(t, _)| t < step);
                            for (_, series) in &mut s.term_history {
                                series.retain(|&(t, _)| t < step);
                            }
                            s.metrics.history.retain(|r| r.step <= step);
                            s.version += 1;
                        }
                        FromWorker::Metrics(r) => {
                            s.metrics.push(r);
                            s.version += 1;
                        }
                        FromWorker::MetricProgress(p) => s.metrics.progress = Some(p),
                        // Downloaded by the bridge's owner as it arrives (see components).
                        FromWorker::ModelFile(_) => {}
                        FromWorker::ModelLoaded { config, step } => {
                            let k = config.latents;
                            if s.view_dims.0 >= k || s.view_dims.1 >= k {
                                s.view_dims = default_view(k);
                            }
                            s.config = *config;
                            s.clear_run();
                            s.step = step;
                            s.running = false;
                            s.error = None;
                            s.lesson = None;
                            s.info = Some(format!(
                                "Model loaded: {} on {}, trained for {step} steps. Press Start to train on.",
                                s.config.model.label(),
                                s.config.dataset.key()
                            ));
                        }
                        FromWorker::ModelRefused(why) => {
                            let why = text::clip(&why, MAX_MESSAGE);
                            s.error = Some(format!("The model file was refused: {why}."));
                        }
                    }
                }
            }
            Action::SetConfig(c) => {
                let k = c.latents;
                if s.view_dims.0 >= k || s.view_dims.1 >= k {
                    s.view_dims = default_view(k);
                }
                s.config = *c;
            }
            Action::SetRunning(r) => {
                s.running = r;
                s.held_for_b = false;
            }
            Action::HoldA(h) => s.held_for_b = h,
            Action::ClearRunKeepMessage => s.clear_run(),
            Action::ClearRun => {
                s.clear_run();
                s.error = None;
                s.info = None;
            }
            Action::ShowError(e) => s.error = Some(text::clip(&e, MAX_MESSAGE)),
            Action::DismissError => s.error = None,
            Action::DismissInfo => s.info = None,
            Action::StartBench => s.bench = (Vec::new(), false),
            Action::SetLesson(l) => s.lesson = l,
            Action::SetCompare(o) => {
                s.compare = o.map(CompareRun::new);
                s.version += 1;
            }
            Action::WorkerB(msgs) => {
                let Some(b) = s.compare.as_mut() else {
                    return;
                };
                let mut stopped = false;
                for msg in msgs {
                    match msg {
                        FromWorker::Progress { snapshot, .. } => {
                            if let Some(loss) = snapshot.curves.get(TermName::Loss) {
                                let first = snapshot.curves.first_step;
                                b.loss_history.extend(
                                    loss.iter().enumerate().map(|(i, &v)| (first + i as u64, v)),
                                );
                                if b.loss_history.len() > MAX_HISTORY {
                                    b.loss_history =
                                        b.loss_history.iter().step_by(2).copied().collect();
                                }
                            }
                            b.step = snapshot.step;
                            if snapshot.posterior.is_some() {
                                b.posterior = snapshot.posterior;
                            }
                        }
                        FromWorker::Metrics(r) => b.metrics.push(r),
                        FromWorker::MetricProgress(p) => b.metrics.progress = Some(p),
                        FromWorker::Backend(r) => b.backend = Some(r.choice),
                        FromWorker::Error(e) => {
                            s.error = Some(format!("Run B: {e}"));
                            b.metrics.progress = None;
                        }
                        FromWorker::Crashed(e) => {
                            s.error = Some(format!(
                                "Run B's worker stopped ({e}); the comparison was turned off."
                            ));
                            stopped = true;
                            break;
                        }
                        _ => {}
                    }
                }
                if stopped {
                    s.compare = None;
                }
                s.version += 1;
            }
            Action::SetLargeText(on) => {
                s.large_text = on;
                s.version += 1;
            }
            Action::Measure(r) => {
                s.metrics.progress = Some(MetricProgress {
                    request: r,
                    fraction: 0.0,
                    stage: "waiting for the worker".into(),
                })
            }
            Action::SetViewDims(a, b) => {
                s.view_dims = (a, b);
                s.version += 1;
            }
        }
    }
}
