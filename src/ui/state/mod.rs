//! All page state in one reducer: every mutation is an [`Action`], applied by
//! [`UiState::apply`]. Plain Rust, tested natively; the Yew app wraps it in `Reducible`.

use std::rc::Rc;

use crate::objective::{TermName, Weights};
use crate::protocol::{BackendReport, BenchLine, FromWorker};
use crate::settings::compare::CompareOverrides;
use crate::settings::lessons::Lesson;
use crate::settings::link::{self, default_view};
use crate::settings::text;
use crate::settings::{BackendChoice, BackendPref};
use crate::train::metric_report::{MetricProgress, MetricReport, MetricRequest};
use crate::train::preview::Preview;
use crate::train::traversal::Traversal;
use crate::train::{Posterior, TermCurves, TrainConfig};

mod reducer;
#[cfg(test)]
mod tests;

pub use reducer::{CRASH_BACKEND, MAX_RESTARTS};

/// Longest loss history kept for plotting (older points are thinned, not dropped).
const MAX_HISTORY: usize = 4_000;

/// Everything the page shows.
#[derive(Clone, Debug, PartialEq)]
pub struct UiState {
    /// The settings the next reset builds (weights, lr, prior, backend and speed act live).
    pub config: TrainConfig,
    /// What the worker reports it runs on.
    pub backend: Option<BackendReport>,
    /// Whether the worker is training continuously.
    pub running: bool,
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
    /// Latest confirmation (e.g. a model was loaded), shown until dismissed or a reset.
    pub info: Option<String>,
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
    /// Measured metrics.
    pub metrics: MetricsView,
    /// Large text and one column, for projectors.
    pub large_text: bool,
    /// Run B of an A/B comparison, when one is on.
    pub compare: Option<CompareRun>,
    /// Run A is paused by the page, not the user, so that a slower run B catches up: the
    /// two runs' numbers are then compared at about the same step.
    pub held_for_b: bool,
    /// How many times the worker has crashed (each crash restarts it on the CPU).
    pub crashes: u32,
    /// The latest copy of run A's model the worker sent, to restart from after a failure.
    pub checkpoint: Option<Rc<Checkpoint>>,
    /// Counts snapshots applied, so canvases know when to redraw.
    pub version: u64,
}

/// A copy of run A's model (a model file) at a step.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// The step it was taken at.
    pub step: u64,
    /// The model file's bytes.
    pub bytes: Vec<u8>,
}

/// Run B of an A/B comparison: what the page knows of it.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareRun {
    /// How B differs from A.
    pub overrides: CompareOverrides,
    /// B's steps.
    pub step: u64,
    /// B's loss history.
    pub loss_history: Vec<(u64, f32)>,
    /// B's metrics.
    pub metrics: MetricsView,
    /// B's latest q(z) samples.
    pub posterior: Option<Posterior>,
    /// The backend B's worker last reported it trains on (kept over resets: a worker
    /// reports it only when it opens a backend).
    pub backend: Option<BackendChoice>,
}

impl CompareRun {
    fn new(overrides: CompareOverrides) -> Self {
        Self {
            overrides,
            step: 0,
            loss_history: Vec::new(),
            metrics: MetricsView::default(),
            posterior: None,
            backend: None,
        }
    }
}

/// Longest metric history kept (periodic reports; older ones are thinned).
const MAX_METRIC_HISTORY: usize = 400;

/// The metrics the worker has measured for the current run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MetricsView {
    /// Periodic reports, oldest first.
    pub history: Vec<MetricReport>,
    /// The latest report of each measurement asked for (FactorVAE score, Chen MIG).
    pub on_request: Vec<MetricReport>,
    /// The measurement under way, if one was asked for.
    pub progress: Option<MetricProgress>,
}

impl MetricsView {
    fn push(&mut self, r: MetricReport) {
        if self
            .progress
            .as_ref()
            .is_some_and(|p| p.request == r.request)
        {
            self.progress = None;
        }
        if r.request == MetricRequest::Periodic {
            self.history.retain(|h| h.step < r.step);
            self.history.push(r);
            if self.history.len() > MAX_METRIC_HISTORY {
                let last = self.history.pop();
                self.history = self.history.iter().step_by(2).cloned().collect();
                self.history.extend(last);
            }
        } else {
            self.on_request.retain(|h| h.request != r.request);
            self.on_request.push(r);
        }
    }

    /// The latest periodic report.
    pub fn latest(&self) -> Option<&MetricReport> {
        self.history.last()
    }

    /// (step, value) of one metric over the periodic reports.
    pub fn series(&self, key: &str) -> Vec<(u64, f32)> {
        self.history
            .iter()
            .filter_map(|r| r.get(key).map(|v| (r.step, v as f32)))
            .collect()
    }
}

impl Default for UiState {
    fn default() -> Self {
        Self {
            config: TrainConfig::default(),
            backend: None,
            running: false,
            held_for_b: false,
            step: 0,
            steps_per_second: 0.0,
            loss_history: Vec::new(),
            term_history: Vec::new(),
            posterior: None,
            applied_weights: None,
            error: None,
            info: None,
            view_dims: (0, 1),
            preview: None,
            traversal: None,
            bench: (Vec::new(), false),
            hidden: Vec::new(),
            lesson: None,
            metrics: MetricsView::default(),
            large_text: false,
            compare: None,
            crashes: 0,
            checkpoint: None,
            version: 0,
        }
    }
}

/// Every way the page state changes.
pub enum Action {
    /// Messages from the worker, batched by the bridge (at most a few times a second).
    Worker(Vec<FromWorker>),
    /// The user edited the configuration (boxed: it is by far the largest action).
    SetConfig(Box<TrainConfig>),
    /// The user pressed Start/Pause (optimistic; the worker confirms).
    SetRunning(bool),
    /// The page paused (true) or resumed (false) run A to keep it in step with run B.
    HoldA(bool),
    /// A reset: clear curves and samples.
    ClearRun,
    /// A reset after a crash: clear the run but keep the message that explains it.
    ClearRunKeepMessage,
    /// A message for the user (e.g. a refused value).
    ShowError(String),
    /// The user dismissed the message.
    DismissError,
    /// The user dismissed the confirmation.
    DismissInfo,
    /// The user chose which latent dimensions to plot.
    SetViewDims(usize, usize),
    /// A benchmark was started: clear old figures.
    StartBench,
    /// The user chose a lesson (or none).
    SetLesson(Option<&'static Lesson>),
    /// The user asked for a slow measurement (progress shows until its report arrives).
    Measure(MetricRequest),
    /// The user switched large-text (projector) mode.
    SetLargeText(bool),
    /// The user turned the A/B comparison on (with B's overrides; restarts B) or off.
    SetCompare(Option<CompareOverrides>),
    /// Messages from run B's worker.
    WorkerB(Vec<FromWorker>),
}

/// Most ignored items a message lists before "and N more".
const LISTED: usize = 5;
/// Longest message the page shows (characters); longer ones are cut with "…".
const MAX_MESSAGE: usize = 600;

impl UiState {
    /// The state a share link describes (the URL fragment); what it could not use is shown
    /// as a short message, and everything else keeps its default.
    pub fn from_link(fragment: &str) -> Self {
        let (link, ignored) = link::decode(fragment);
        Self {
            view_dims: link.view.unwrap_or(default_view(link.config.latents)),
            config: link.config,
            hidden: link.hidden,
            large_text: link.large_text,
            compare: link.compare.map(CompareRun::new),
            error: (!ignored.is_empty()).then(|| {
                format!(
                    "Some settings of this link were ignored: {}.",
                    text::first_few(&ignored, LISTED)
                )
            }),
            ..Self::default()
        }
    }

    /// The state to open with: the URL's fragment when it has one (a share link wins),
    /// otherwise the link saved by the last visit (`stored`). A stored link the page cannot
    /// fully use is ignored, with a message, rather than half-applied.
    pub fn initial(fragment: &str, stored: Option<&str>) -> Self {
        let stored = stored.map(str::trim).filter(|s| !s.is_empty());
        let Some(stored) = stored.filter(|_| fragment.trim_start_matches('#').is_empty()) else {
            return Self::from_link(fragment);
        };
        let (_, ignored) = link::decode(stored);
        if ignored.is_empty() {
            return Self::from_link(stored);
        }
        Self {
            error: Some(format!(
                "The settings saved by your last visit could not be used and were ignored ({}); the defaults are shown.",
                text::first_few(&ignored, LISTED)
            )),
            ..Self::default()
        }
    }

    /// The share link of the current settings.
    pub fn link(&self) -> String {
        link::encode(&link::LinkState {
            config: self.config.clone(),
            hidden: self.hidden.clone(),
            view: Some(self.view_dims),
            large_text: self.large_text,
            compare: self.compare.as_ref().map(|b| b.overrides),
        })
    }

    /// The checkpoint to restart a failed worker from: the latest copy of this run's model,
    /// if its settings still are the run's (a reset since would make it another model).
    pub fn resumable_checkpoint(&self) -> Option<Vec<u8>> {
        let c = self.checkpoint.as_ref()?;
        let parts = crate::settings::model_file::decode(&c.bytes).ok()?;
        crate::settings::schema::reset_changes(&parts.header.config, &self.config)
            .is_empty()
            .then(|| c.bytes.clone())
    }

    /// Forgets the run's curves, samples and metrics (a reset), B's included.
    fn clear_run(&mut self) {
        self.loss_history.clear();
        self.term_history.clear();
        self.applied_weights = None;
        self.posterior = None;
        self.traversal = None;
        self.metrics = MetricsView::default();
        if let Some(b) = self.compare.as_mut() {
            *b = CompareRun {
                backend: b.backend,
                ..CompareRun::new(b.overrides)
            };
        }
        self.step = 0;
        // A new model: the copy of the old one is no use any more.
        self.checkpoint = None;
        // A reset pauses both runs (the workers pause on `Configure`), a hold for B included.
        self.running = false;
        self.held_for_b = false;
        self.version += 1;
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
            // After a rollback (a non-finite loss restores an earlier state) the steps from
            // there on are trained again: their old points go.
            if series.last().is_some_and(|&(s, _)| s >= curves.first_step) {
                series.retain(|&(s, _)| s < curves.first_step);
            }
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
