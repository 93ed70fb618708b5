//! The training worker's command state: the page's [`ToWorker`] commands folded, in the order
//! they came, into what the worker loop does next. Plain Rust (no DOM, no burn), so the rules
//! are tested natively; `worker` only feeds it messages and acts on it.
//!
//! The order matters where commands arrive in one batch: a live change (weights, learning
//! rate, prior) sent after a reset applies to the new model, not to the old one that the reset
//! is about to replace.

use crate::protocol::ToWorker;
use crate::settings::{schema, BackendPref, TrainConfig};
use crate::train::metric_report::MetricRequest;

/// Longest slow-motion pause the worker honours (ms).
pub const MAX_DELAY_MS: u32 = 5_000;

/// What the worker is to do, as the commands so far say.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Control {
    /// A backend to (re)start on.
    pub backend: Option<BackendPref>,
    /// A new model to build with these settings (a reset).
    pub config: Option<TrainConfig>,
    /// Settings that act on the next step, for the current model.
    pub live: Option<TrainConfig>,
    /// Train continuously.
    pub running: bool,
    /// Steps still to take before pausing (single steps, slow motion).
    pub steps_left: u32,
    /// Continuous training pauses when the model reaches this step from below.
    pub pause_at: Option<u64>,
    /// Continuous training stopped (the page's Pause, or the pause point) and the numbers of
    /// the model at the step it stopped at are still to be measured: without this a paused
    /// run would show those of up to `METRIC_EVERY_STEPS` steps before.
    pub stopped: bool,
    /// Pause between snapshots (ms).
    pub delay_ms: u32,
    /// Run the in-page benchmark.
    pub bench: bool,
    /// Measurements asked for, not yet handed to the scheduler.
    pub measure: Vec<MetricRequest>,
    /// The page asked for the model as a file.
    pub save_model: bool,
    /// A model file to load, and whether it resumes this run (a checkpoint) rather than
    /// replacing it (a file the user chose).
    pub load_model: Option<(Vec<u8>, Load)>,
}

/// Why a model file is loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Load {
    /// The user chose a file: its settings replace the page's.
    File,
    /// A checkpoint of this run, after the worker was restarted.
    Resume,
}

/// What applying one command needs from the worker beyond the recorded state.
#[derive(Clone, Debug, PartialEq)]
pub enum Applied {
    /// Nothing more.
    Recorded,
    /// The page asked the worker to fail the way a lost GPU device makes it fail (tests).
    Fail(String),
    /// The page asked the worker to stop answering (tests).
    Hang,
}

impl Control {
    /// Folds one command into the state, in arrival order.
    pub fn apply(&mut self, msg: ToWorker) -> Result<Applied, String> {
        match msg {
            ToWorker::SetBackend(pref) => self.backend = Some(pref),
            ToWorker::Configure(cfg) => {
                cfg.validate()?;
                self.delay_ms = cfg.speed.delay_ms();
                self.config = Some(*cfg);
                // The new model supersedes live changes meant for the old one, and a model
                // file sent before it.
                self.live = None;
                self.load_model = None;
                self.running = false;
                self.steps_left = 0;
            }
            ToWorker::SetLive(cfg) => {
                cfg.validate()?;
                self.delay_ms = cfg.speed.delay_ms().min(MAX_DELAY_MS);
                match (self.config.as_mut(), &self.load_model) {
                    // A model file is to be loaded: the change is for that model.
                    (_, Some(_)) => self.live = Some(*cfg),
                    // A reset is pending: the change is for the model it builds.
                    (Some(pending), None) => schema::copy_live(&cfg, pending)?,
                    (None, None) => self.live = Some(*cfg),
                }
            }
            ToWorker::Run => self.running = true,
            ToWorker::Pause => {
                self.stopped |= self.running;
                self.running = false;
                self.steps_left = 0;
            }
            ToWorker::Step(n) => {
                self.running = false;
                self.steps_left = self.steps_left.saturating_add(n);
            }
            ToWorker::PauseAt(p) => self.pause_at = p,
            ToWorker::Benchmark => {
                self.bench = true;
                self.running = false;
            }
            ToWorker::Measure(r) => {
                if !self.measure.contains(&r) {
                    self.measure.push(r);
                }
            }
            ToWorker::SaveModel => self.save_model = true,
            ToWorker::LoadModel(bytes) => self.load_model = Some((bytes, Load::File)),
            ToWorker::Resume(bytes) => self.load_model = Some((bytes, Load::Resume)),
            ToWorker::SimulateFailure(why) => return Ok(Applied::Fail(why)),
            ToWorker::SimulateHang => return Ok(Applied::Hang),
        }
        Ok(Applied::Recorded)
    }

    /// Whether the worker should take steps now.
    pub fn wants_steps(&self) -> bool {
        self.running || self.steps_left > 0
    }

    /// How many steps the worker may take now, the model being at step `step`: a pending
    /// single-step request's, or, while running, up to the pause point if it lies ahead
    /// (`u32::MAX`: no bound).
    pub fn steps_allowed(&self, step: u64) -> u32 {
        if self.steps_left > 0 {
            return self.steps_left;
        }
        if !self.running {
            return 0;
        }
        match self.pause_at {
            Some(p) if step < p => u32::try_from(p - step).unwrap_or(u32::MAX),
            _ => u32::MAX,
        }
    }

    /// Counts `taken` steps, from model step `from`, against a pending single-step request;
    /// a run that reached its pause point pauses.
    pub fn took(&mut self, from: u64, taken: u32) {
        self.steps_left = self.steps_left.saturating_sub(taken);
        let to = from.saturating_add(u64::from(taken));
        if self.running && self.pause_at.is_some_and(|p| from < p && to >= p) {
            self.running = false;
            self.stopped = true;
        }
    }

    /// Stops training (a model was loaded, or training failed).
    pub fn stop(&mut self) {
        self.running = false;
        self.steps_left = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{ModelKind, Speed};

    fn config(seed: u64) -> TrainConfig {
        TrainConfig {
            seed,
            ..TrainConfig::default()
        }
    }

    #[test]
    fn a_weight_change_sent_after_a_reset_reaches_the_new_model() {
        let mut c = Control::default();
        c.apply(ToWorker::Configure(Box::new(config(1)))).unwrap();
        let mut live = config(1);
        live.weights.beta = 6.0;
        live.lr = 0.01;
        c.apply(ToWorker::SetLive(Box::new(live))).unwrap();
        let pending = c.config.as_ref().unwrap();
        assert_eq!(
            (pending.weights.beta, pending.lr, pending.seed),
            (6.0, 0.01, 1)
        );
        assert_eq!(c.live, None);
    }

    #[test]
    fn a_reset_after_a_live_change_drops_it_and_pauses() {
        let mut c = Control::default();
        c.apply(ToWorker::Run).unwrap();
        let mut live = config(0);
        live.weights.beta = 3.0;
        c.apply(ToWorker::SetLive(Box::new(live.clone()))).unwrap();
        assert_eq!(c.live, Some(live));
        c.apply(ToWorker::Configure(Box::new(config(2)))).unwrap();
        assert_eq!(c.live, None);
        assert!(!c.running);
        // A Run sent after the reset, in the same batch, is in force.
        c.apply(ToWorker::Run).unwrap();
        assert!(c.wants_steps());
    }

    #[test]
    fn a_live_change_after_a_resume_is_for_the_resumed_model() {
        let mut c = Control::default();
        c.apply(ToWorker::Configure(Box::new(config(1)))).unwrap();
        c.apply(ToWorker::Resume(vec![9])).unwrap();
        let mut live = config(1);
        live.weights.beta = 2.0;
        c.apply(ToWorker::SetLive(Box::new(live.clone()))).unwrap();
        assert_eq!(c.live, Some(live));
        assert_eq!(c.config.as_ref().unwrap().weights.beta, 1.0);
        // A reset after a load drops the load.
        c.apply(ToWorker::Configure(Box::new(config(2)))).unwrap();
        assert_eq!((c.load_model.clone(), c.live.clone()), (None, None));
    }

    #[test]
    fn steps_add_up_and_pause_clears_them() {
        let mut c = Control::default();
        c.apply(ToWorker::Step(1)).unwrap();
        c.apply(ToWorker::Step(u32::MAX)).unwrap();
        assert_eq!(c.steps_left, u32::MAX, "saturates, never wraps");
        c.took(0, 5);
        assert!(c.wants_steps());
        c.apply(ToWorker::Pause).unwrap();
        assert!(!c.wants_steps());
    }

    /// A lesson's run pauses exactly at its evidence's step, once: after a reset it pauses
    /// there again, started past it trains on, and single steps walk through it.
    #[test]
    fn a_run_pauses_once_at_its_pause_point() {
        let mut c = Control::default();
        c.apply(ToWorker::PauseAt(Some(1000))).unwrap();
        c.apply(ToWorker::Run).unwrap();
        assert_eq!(c.steps_allowed(0), 1000);
        assert_eq!(c.steps_allowed(990), 10);
        c.took(0, 990);
        assert!(c.running, "not there yet");
        assert!(!c.stopped);
        c.took(990, 10);
        assert!(!c.running && !c.wants_steps(), "paused at step 1000");
        assert!(
            std::mem::take(&mut c.stopped),
            "its numbers are wanted there"
        );
        assert_eq!(c.steps_allowed(1000), 0);
        // Start again: on past the pause point, unbounded.
        c.apply(ToWorker::Run).unwrap();
        assert_eq!(c.steps_allowed(1000), u32::MAX);
        c.took(1000, 500);
        assert!(c.running);
        // A reset keeps the pause point: the fresh model pauses there again.
        c.apply(ToWorker::Configure(Box::new(config(1)))).unwrap();
        assert_eq!(c.pause_at, Some(1000));
        c.apply(ToWorker::Run).unwrap();
        assert_eq!(c.steps_allowed(0), 1000);
        // Single steps are counted as asked, and leave the run paused.
        c.apply(ToWorker::Step(3)).unwrap();
        assert_eq!(c.steps_allowed(999), 3);
        c.took(999, 3);
        assert!(!c.wants_steps() && !c.stopped, "a step is not a stop");
        // No pause point: no bound.
        c.apply(ToWorker::PauseAt(None)).unwrap();
        c.apply(ToWorker::Run).unwrap();
        assert_eq!(c.steps_allowed(0), u32::MAX);
        c.took(0, 5000);
        assert!(c.running);
    }

    /// The page's Pause stops a running model where it is, and asks for its numbers there;
    /// a Pause while paused, or one that cancels single steps, asks for nothing.
    #[test]
    fn a_pause_while_running_asks_for_the_numbers_where_it_stopped() {
        let mut c = Control::default();
        c.apply(ToWorker::Pause).unwrap();
        assert!(!c.stopped);
        c.apply(ToWorker::Step(4)).unwrap();
        c.apply(ToWorker::Pause).unwrap();
        assert!(!c.stopped && !c.wants_steps());
        c.apply(ToWorker::Run).unwrap();
        c.took(0, 77);
        c.apply(ToWorker::Pause).unwrap();
        assert!(c.stopped && !c.wants_steps());
    }

    #[test]
    fn invalid_settings_are_refused_and_change_nothing() {
        let mut c = Control::default();
        let mut bad = config(0);
        bad.model = ModelKind::Ivae;
        assert!(c.apply(ToWorker::Configure(Box::new(bad.clone()))).is_err());
        assert!(c.apply(ToWorker::SetLive(Box::new(bad))).is_err());
        assert_eq!(c, Control::default());
    }

    #[test]
    fn the_pace_follows_the_speed_setting_and_measurements_queue_once() {
        let mut c = Control::default();
        let slow = TrainConfig {
            speed: Speed::VerySlow,
            ..config(0)
        };
        c.apply(ToWorker::SetLive(Box::new(slow))).unwrap();
        assert_eq!(c.delay_ms, 1000);
        c.apply(ToWorker::Measure(MetricRequest::ChenMig)).unwrap();
        c.apply(ToWorker::Measure(MetricRequest::ChenMig)).unwrap();
        assert_eq!(c.measure, vec![MetricRequest::ChenMig]);
        assert_eq!(
            c.apply(ToWorker::SimulateFailure("x".into())).unwrap(),
            Applied::Fail("x".into())
        );
        assert_eq!(c.apply(ToWorker::SimulateHang).unwrap(), Applied::Hang);
        c.apply(ToWorker::Resume(vec![1])).unwrap();
        assert_eq!(c.load_model, Some((vec![1], Load::Resume)));
    }
}
