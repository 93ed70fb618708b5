//! All page state in one reducer: every mutation is an [`Action`].

use std::rc::Rc;

use yew::Reducible;

use crate::objective::{TermName, Weights};
use crate::protocol::{BackendReport, BackendRequest, BenchLine, FromWorker};
use crate::train::lessons::Lesson;
use crate::train::preview::Preview;
use crate::train::share;
use crate::train::traversal::Traversal;
use crate::train::{Posterior, TermCurves, TrainConfig};

/// Longest loss history kept for plotting (older points are thinned, not dropped).
const MAX_HISTORY: usize = 4_000;

/// Everything the page shows.
#[derive(Clone, Debug, PartialEq)]
pub struct UiState {
    /// The settings the next reset builds (weights and lr also act live).
    pub config: TrainConfig,
    /// Which backend the user asked for.
    pub backend_request: BackendRequest,
    /// What the worker reports it runs on.
    pub backend: Option<BackendReport>,
    /// Whether the worker is training continuously.
    pub running: bool,
    /// Slow-motion pause between snapshots (ms).
    pub delay_ms: u32,
    /// Steps taken.
    pub step: u64,
    /// Recent training speed.
    pub steps_per_second: f64,
    /// (step, loss) history, thinned to at most [`MAX_HISTORY`] points.
    pub loss_history: Vec<(u64, f32)>,
    /// (step, value) history of every other reported term, thinned alike.
    pub term_history: Vec<(TermName, Vec<(u64, f32)>)>,
    /// The latest q(z) samples.
    pub posterior: Option<Posterior>,
    /// The weights the worker reports it applied on its latest step.
    pub applied_weights: Option<Weights>,
    /// Latest error message, shown until dismissed or a reset.
    pub error: Option<String>,
    /// The data set's preview.
    pub preview: Option<Preview>,
    /// In-page benchmark figures, and whether it has finished.
    pub bench: (Vec<BenchLine>, bool),
    /// The lesson being followed, if any.
    pub lesson: Option<&'static Lesson>,
    /// Control ids hidden by the share link (a teacher's choice).
    pub hidden: Vec<String>,
    /// The latest latent traversal.
    pub traversal: Option<Traversal>,
    /// The two latent dimensions the posterior panel shows.
    pub view_dims: (usize, usize),
    /// Counts snapshots applied, so canvases know when to redraw.
    pub version: u64,
}

impl Default for UiState {
    fn default() -> Self {
        Self {
            config: TrainConfig::default(),
            backend_request: BackendRequest::Auto,
            backend: None,
            running: false,
            delay_ms: 0,
            step: 0,
            steps_per_second: 0.0,
            loss_history: Vec::new(),
            term_history: Vec::new(),
            posterior: None,
            applied_weights: None,
            error: None,
            view_dims: (0, 1),
            preview: None,
            traversal: None,
            bench: (Vec::new(), false),
            hidden: Vec::new(),
            lesson: None,
            version: 0,
        }
    }
}

/// Every way the page state changes.
pub enum Action {
    /// Messages from the worker, batched by the bridge (at most a few times a second).
    Worker(Vec<FromWorker>),
    /// The user edited the configuration.
    SetConfig(TrainConfig),
    /// The user chose a backend.
    SetBackendRequest(BackendRequest),
    /// The user pressed Start/Pause (optimistic; the worker confirms).
    SetRunning(bool),
    /// The user changed the slow-motion delay.
    SetDelay(u32),
    /// A reset: clear curves and samples.
    ClearRun,
    /// A message for the user (e.g. a refused value).
    ShowError(String),
    /// The user dismissed the message.
    DismissError,
    /// The user chose which latent dimensions to plot.
    SetViewDims(usize, usize),
    /// A benchmark was started: clear old figures.
    StartBench,
    /// The user chose a lesson (or none).
    SetLesson(Option<&'static Lesson>),
}

impl UiState {
    /// The state a share link describes (the URL fragment); what it could not use is shown
    /// as a message, and everything else keeps its default.
    pub fn from_link(fragment: &str) -> Self {
        let (link, ignored) = share::decode(fragment);
        Self {
            config: link.config,
            backend_request: link
                .backend
                .map_or(BackendRequest::Auto, BackendRequest::Use),
            hidden: link.hidden,
            error: (!ignored.is_empty()).then(|| {
                format!(
                    "Some settings of this link were ignored: {}.",
                    ignored.join("; ")
                )
            }),
            ..Self::default()
        }
    }

    /// The share link of the current settings.
    pub fn link(&self) -> String {
        let backend = match self.backend_request {
            BackendRequest::Auto => None,
            BackendRequest::Use(c) => Some(c),
        };
        share::encode(&share::LinkState {
            config: self.config.clone(),
            backend,
            hidden: self.hidden.clone(),
        })
    }

    fn push_curves(&mut self, curves: &TermCurves) {
        for (name, values) in curves.names.iter().zip(&curves.values) {
            let series = match name {
                TermName::Loss => &mut self.loss_history,
                _ => {
                    let i = match self.term_history.iter().position(|(n, _)| n == name) {
                        Some(i) => i,
                        None => {
                            self.term_history.push((*name, Vec::new()));
                            self.term_history.len() - 1
                        }
                    };
                    &mut self.term_history[i].1
                }
            };
            for (i, &v) in values.iter().enumerate() {
                series.push((curves.first_step + i as u64, v));
            }
            if series.len() > MAX_HISTORY {
                // Keep every other point: the curve's shape survives, memory stays bounded.
                *series = series.iter().step_by(2).copied().collect();
            }
        }
    }
}

impl Reducible for UiState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut s = (*self).clone();
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
                        FromWorker::Running(r) => s.running = r,
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
                            s.error = Some(e);
                            s.running = false;
                        }
                    }
                }
            }
            Action::SetConfig(c) => {
                let k = c.latents;
                if s.view_dims.0 >= k || s.view_dims.1 >= k {
                    s.view_dims = (0, 1.min(k - 1));
                }
                s.config = c;
            }
            Action::SetBackendRequest(r) => s.backend_request = r,
            Action::SetRunning(r) => s.running = r,
            Action::SetDelay(d) => s.delay_ms = d,
            Action::ClearRun => {
                s.loss_history.clear();
                s.term_history.clear();
                s.applied_weights = None;
                s.posterior = None;
                s.traversal = None;
                s.step = 0;
                s.error = None;
                s.version += 1;
            }
            Action::ShowError(e) => s.error = Some(e),
            Action::DismissError => s.error = None,
            Action::StartBench => s.bench = (Vec::new(), false),
            Action::SetLesson(l) => s.lesson = l,
            Action::SetViewDims(a, b) => {
                s.view_dims = (a, b);
                s.version += 1;
            }
        }
        Rc::new(s)
    }
}
