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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::Snapshot;

    fn progress(first: u64, losses: &[f32]) -> FromWorker {
        FromWorker::Progress {
            snapshot: Snapshot {
                step: first + losses.len() as u64,
                curves: TermCurves {
                    first_step: first,
                    names: vec![TermName::Loss, TermName::Kl],
                    values: vec![losses.to_vec(), losses.iter().map(|l| l / 2.0).collect()],
                },
                ..Snapshot::default()
            },
            steps_per_second: 100.0,
        }
    }

    #[test]
    fn a_link_with_thousands_of_bad_keys_gives_a_short_message() {
        let keys: Vec<String> = (0..2000).map(|i| format!("k{i}=1")).collect();
        let s = UiState::from_link(&keys.join("&"));
        let e = s.error.unwrap();
        assert!(e.len() < 400, "{} characters", e.len());
        assert!(e.contains("more"), "{e}");
        assert_eq!(s.config, TrainConfig::default());
    }

    #[test]
    fn a_stored_link_is_used_only_without_a_fragment_and_only_if_fully_valid() {
        let good = "dataset=ivae&model=ivae&seed=3";
        assert_eq!(UiState::initial("", Some(good)).config.seed, 3);
        assert_eq!(UiState::initial("#seed=9", Some(good)).config.seed, 9);
        let s = UiState::initial("", Some("seed=3&lr=banana"));
        assert_eq!(s.config, TrainConfig::default());
        assert!(s.error.unwrap().contains("last visit"));
    }

    /// Hostile stored settings: 2,000 mutations of a stored link open the page without a
    /// panic, on valid settings, and either use the stored link whole or say it was ignored.
    #[test]
    fn mutated_stored_settings_open_valid_settings_or_say_why_not() {
        let good = "dataset=dsprites&model=beta-tcvae&beta=6&latents=4&hidden=64,32&seed=3";
        let alphabet: Vec<char> = "az=&%,.-09e+ β\u{0}".chars().collect();
        let mut rng = crate::rng::Rng::new(3);
        let (mut used, mut ignored) = (0, 0);
        for _ in 0..2000 {
            let mut chars: Vec<char> = good.chars().collect();
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(chars.len() as u64) as usize;
                chars[at] = alphabet[rng.below(alphabet.len() as u64) as usize];
            }
            let stored: String = chars.into_iter().collect();
            let s = UiState::initial("", Some(&stored));
            s.config.validate().unwrap();
            match &s.error {
                None => used += 1,
                Some(e) => {
                    ignored += 1;
                    assert!(e.contains("last visit") && e.len() < 700, "{e}");
                    assert_eq!(s.config, TrainConfig::default());
                }
            }
        }
        assert!(used > 0 && ignored > 0, "{used} used, {ignored} ignored");
    }

    #[test]
    fn the_link_round_trips_the_page_state() {
        let mut s = UiState::from_link("dataset=dsprites&latents=4&view=2,4&text=large");
        assert_eq!((s.view_dims, s.large_text), ((1, 3), true));
        s.apply(Action::SetViewDims(0, 2));
        let back = UiState::from_link(&s.link());
        assert_eq!((back.config, back.view_dims), (s.config.clone(), (0, 2)));
        // One latent: the view is the only latent, and the link stays clean.
        s.apply(Action::SetConfig(Box::new(TrainConfig {
            latents: 1,
            ..s.config.clone()
        })));
        assert_eq!(s.view_dims, (0, 0));
        assert!(
            UiState::from_link(&s.link()).error.is_none(),
            "{}",
            s.link()
        );
    }

    #[test]
    fn progress_extends_the_curves_and_old_points_are_thinned() {
        let mut s = UiState::default();
        s.apply(Action::Worker(vec![progress(0, &[3.0, 2.0])]));
        assert_eq!(s.loss_history, vec![(0, 3.0), (1, 2.0)]);
        assert_eq!(s.step, 2);
        assert_eq!(s.term_history[0].0, TermName::Kl);
        let long: Vec<f32> = (0..MAX_HISTORY).map(|i| i as f32).collect();
        s.apply(Action::Worker(vec![progress(2, &long)]));
        assert!(s.loss_history.len() <= MAX_HISTORY);
        assert_eq!(s.loss_history[0], (0, 3.0), "the start survives thinning");
    }

    #[test]
    fn curves_after_a_rollback_replace_the_rolled_back_steps() {
        let mut s = UiState::default();
        s.apply(Action::Worker(vec![progress(0, &[5.0, 4.0, 3.0, 2.0])]));
        // A non-finite loss rolled the model back to step 2; it trains steps 2 and 3 again.
        s.apply(Action::Worker(vec![progress(2, &[3.5, 2.5])]));
        assert_eq!(s.loss_history, vec![(0, 5.0), (1, 4.0), (2, 3.5), (3, 2.5)]);
        assert_eq!(s.term_history[0].1.len(), 4);
        assert_eq!(s.step, 4);
    }

    #[test]
    fn a_pause_sent_to_hold_a_for_b_is_not_the_users() {
        let mut s = UiState::default();
        s.apply(Action::SetRunning(true));
        s.apply(Action::HoldA(true));
        s.apply(Action::Worker(vec![FromWorker::Running(false)]));
        assert!(s.running, "A is only held");
        s.apply(Action::SetRunning(false));
        assert!(!s.running && !s.held_for_b);
    }

    #[test]
    fn a_reset_clears_both_runs_and_pauses() {
        let mut s = UiState::from_link("compare=beta-tcvae");
        s.apply(Action::SetRunning(true));
        s.apply(Action::Worker(vec![progress(0, &[1.0])]));
        s.apply(Action::WorkerB(vec![progress(0, &[2.0])]));
        assert_eq!(s.compare.as_ref().unwrap().step, 1);
        s.apply(Action::ShowError("x".into()));
        s.apply(Action::ClearRun);
        assert!(!s.running && s.loss_history.is_empty() && s.error.is_none());
        assert_eq!(s.compare.as_ref().unwrap().step, 0);
    }

    /// B's q(z) is its own: kept until B sends another, never taken from A, gone on a reset.
    #[test]
    fn run_bs_posterior_is_kept_apart_from_as() {
        let mut s = UiState::from_link("compare=beta-tcvae");
        let with_posterior = |z: f32| FromWorker::Progress {
            snapshot: Snapshot {
                step: 1,
                posterior: Some(Posterior {
                    latents: 1,
                    z: vec![z],
                    labels: vec![0],
                    kl_per_latent: vec![0.0],
                }),
                ..Snapshot::default()
            },
            steps_per_second: 1.0,
        };
        s.apply(Action::Worker(vec![with_posterior(1.0)]));
        s.apply(Action::WorkerB(vec![with_posterior(2.0)]));
        s.apply(Action::WorkerB(vec![progress(1, &[1.0])]));
        let b = s.compare.as_ref().unwrap().posterior.as_ref().unwrap();
        assert_eq!((s.posterior.as_ref().unwrap().z[0], b.z[0]), (1.0, 2.0));
        s.apply(Action::ClearRun);
        assert!(s.compare.as_ref().unwrap().posterior.is_none());
    }

    /// B's backend is remembered over a reset: its worker reports it only when it opens one,
    /// and the page keeps B on A's backend by comparing the two.
    #[test]
    fn run_bs_backend_is_recorded_and_kept_over_a_reset() {
        let mut s = UiState::from_link("compare=beta-tcvae");
        let report = |choice| {
            FromWorker::Backend(BackendReport {
                choice,
                adapter: None,
                notice: None,
                measured: Vec::new(),
            })
        };
        s.apply(Action::WorkerB(vec![report(BackendChoice::Ndarray)]));
        s.apply(Action::ClearRun);
        assert_eq!(
            s.compare.as_ref().unwrap().backend,
            Some(BackendChoice::Ndarray)
        );
        assert_eq!(s.backend, None, "A's report is A's own");
    }

    #[test]
    fn crashes_are_counted_and_explained_and_b_crashing_ends_the_comparison() {
        let mut s = UiState::from_link("compare=beta-tcvae");
        s.apply(Action::Worker(vec![FromWorker::Crashed("boom".into())]));
        assert_eq!(s.crashes, 1);
        assert!(s.error.as_ref().unwrap().contains("boom"));
        s.apply(Action::WorkerB(vec![FromWorker::Crashed("bang".into())]));
        assert!(s.compare.is_none());
        assert!(s.error.unwrap().contains("Run B"));
    }

    fn checkpoint_of(config: &TrainConfig, step: u64) -> FromWorker {
        let header = crate::settings::model_file::Header {
            config: config.clone(),
            step,
            written_by: "test".into(),
        };
        FromWorker::Checkpoint {
            step,
            bytes: crate::settings::model_file::encode(&header, &[1, 2, 3]).unwrap(),
        }
    }

    #[test]
    fn a_crash_after_a_checkpoint_resumes_from_it_and_keeps_the_curves_before_it() {
        let mut s = UiState::default();
        let losses: Vec<f32> = (0..30).map(|i| i as f32).collect();
        s.apply(Action::Worker(vec![
            progress(0, &losses),
            checkpoint_of(&s.config, 20),
        ]));
        s.apply(Action::Worker(vec![FromWorker::Crashed("GPU lost".into())]));
        let e = s.error.clone().unwrap();
        assert!(
            e.contains("saved at step 20") && e.contains("GPU lost"),
            "{e}"
        );
        // A live change since the checkpoint still resumes from it (with the change).
        s.apply(Action::SetConfig(Box::new(TrainConfig {
            lr: 0.01,
            ..s.config.clone()
        })));
        assert!(s.resumable_checkpoint().is_some());
        s.apply(Action::Worker(vec![FromWorker::Resumed { step: 20 }]));
        assert_eq!(s.step, 20);
        assert_eq!(s.loss_history.len(), 20);
        assert!(s.term_history[0].1.iter().all(|&(t, _)| t < 20));
        // A reset makes the copy another model's: nothing to resume from.
        s.apply(Action::ClearRun);
        assert!(s.checkpoint.is_none() && s.resumable_checkpoint().is_none());
    }

    #[test]
    fn a_checkpoint_of_other_settings_is_not_resumed() {
        let mut s = UiState::default();
        let other = TrainConfig {
            seed: 99,
            ..TrainConfig::default()
        };
        s.apply(Action::Worker(vec![checkpoint_of(&other, 5)]));
        assert!(s.resumable_checkpoint().is_none());
        s.apply(Action::Worker(vec![FromWorker::Crashed("x".into())]));
        assert!(s.error.unwrap().contains("from step 0"));
    }

    #[test]
    fn long_messages_are_cut() {
        let mut s = UiState::default();
        s.apply(Action::Worker(vec![FromWorker::Error("e".repeat(50_000))]));
        assert!(s.error.unwrap().chars().count() <= MAX_MESSAGE + 1);
    }

    #[test]
    fn a_loaded_model_takes_over_settings_and_step() {
        let mut s = UiState::default();
        s.apply(Action::Worker(vec![progress(0, &[1.0, 1.0])]));
        let config = TrainConfig {
            latents: 1,
            seed: 8,
            ..TrainConfig::default()
        };
        s.apply(Action::Worker(vec![FromWorker::ModelLoaded {
            config: Box::new(config.clone()),
            step: 500,
        }]));
        assert_eq!((s.config.clone(), s.step), (config, 500));
        assert!(s.loss_history.is_empty());
        assert_eq!(s.view_dims, (0, 0));
        assert!(s.info.unwrap().contains("500 steps"));
    }

    #[test]
    fn periodic_metrics_keep_their_order_and_requested_ones_the_latest() {
        let report = |request, step, v: f64| MetricReport {
            request,
            step,
            values: vec![crate::train::metric_report::MetricValue {
                key: "mig_dlib".into(),
                label: "MIG".into(),
                protocol: "p".into(),
                value: v,
            }],
            mi: None,
            scatter: None,
        };
        let mut s = UiState::default();
        s.apply(Action::Measure(MetricRequest::FactorVae));
        assert!(s.metrics.progress.is_some());
        s.apply(Action::Worker(vec![
            FromWorker::Metrics(report(MetricRequest::Periodic, 200, 0.1)),
            FromWorker::Metrics(report(MetricRequest::Periodic, 400, 0.2)),
            FromWorker::Metrics(report(MetricRequest::FactorVae, 400, 0.5)),
            FromWorker::Metrics(report(MetricRequest::FactorVae, 600, 0.6)),
        ]));
        assert_eq!(s.metrics.series("mig_dlib"), vec![(200, 0.1), (400, 0.2)]);
        assert_eq!(s.metrics.on_request.len(), 1);
        assert_eq!(s.metrics.on_request[0].step, 600);
        assert!(s.metrics.progress.is_none());
    }
}
