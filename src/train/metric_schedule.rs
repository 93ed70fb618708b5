//! Schedules measurements beside training: a periodic one every [`METRIC_EVERY_STEPS`], and
//! the slow ones when the page asks. Encoding happens a chunk at a time and, while training
//! runs, takes at most a third of the worker's time, so training never stalls. Plain Rust
//! with an injected clock and outbox, so the worker uses it as it is and tests drive it.

use std::collections::VecDeque;

use crate::protocol::FromWorker;
use crate::train::metric_job::MetricJob;
use crate::train::metric_report::{MetricRequest, METRIC_EVERY_STEPS};
use crate::train::{DataSource, Trainer};

/// Images encoded per chunk (a fraction of a second on the CPU backends in the page).
const IMAGE_CHUNK: usize = 256;
/// Rows of 2-D data encoded per chunk (the whole set, for the sizes the page offers).
const ROW_CHUNK: usize = 20_000;
/// While training runs, each chunk's duration is followed by this many times as much training.
const TRAIN_SHARE: f64 = 2.0;

/// The measurements waiting or under way.
#[derive(Default)]
pub struct MetricScheduler {
    job: Option<MetricJob>,
    asked: VecDeque<MetricRequest>,
    /// Step of the latest periodic measurement (None: none yet for this model).
    last_periodic: Option<u64>,
    /// A periodic measurement is wanted at the model's current step (the run paused there).
    current_wanted: bool,
    /// While training, no chunk before this time (ms).
    not_before: f64,
}

impl MetricScheduler {
    /// Forgets everything (a new model or device).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Queues a measurement the page asked for.
    pub fn ask(&mut self, r: MetricRequest) {
        if !self.asked.contains(&r) && self.job.as_ref().map(|j| j.request()) != Some(r) {
            self.asked.push_back(r);
        }
    }

    /// Asks for the periodic measurement of the model as it is now, once any under way is
    /// done, unless it was measured at this step already: a paused run shows its own numbers
    /// (a lesson's at the step its evidence was read), not those of up to
    /// [`METRIC_EVERY_STEPS`] steps before.
    pub fn measure_current(&mut self) {
        self.current_wanted = true;
    }

    /// True while a measurement is waiting or under way (the worker then does not idle).
    pub fn busy(&self) -> bool {
        self.job.is_some() || !self.asked.is_empty() || self.current_wanted
    }

    /// Starts a measurement if one is due and advances the current one by a chunk, when its
    /// share of the time allows. Results and errors are posted with `post`.
    pub async fn tick(
        &mut self,
        trainer: &Trainer,
        training: bool,
        now: &dyn Fn() -> f64,
        post: &mut dyn FnMut(FromWorker),
    ) {
        if self.job.is_none() {
            let step = trainer.step_count();
            let next = if let Some(r) = self.asked.pop_front() {
                Some(r)
            } else {
                let measured = self.last_periodic;
                let due = measured.is_none_or(|s| step >= s + METRIC_EVERY_STEPS)
                    || (self.current_wanted && measured != Some(step));
                self.current_wanted = false;
                due.then_some(MetricRequest::Periodic)
            };
            match next.map(|r| MetricJob::new(r, trainer)) {
                Some(Ok(job)) => self.job = Some(job),
                Some(Err(e)) => {
                    post(FromWorker::Error(e));
                    self.last_periodic = Some(step);
                }
                None => {}
            }
        }
        let start = now();
        if training && start < self.not_before {
            return;
        }
        let Some(job) = self.job.as_mut() else {
            return;
        };
        let chunk = match trainer.data_ref() {
            DataSource::Images(_) => IMAGE_CHUNK,
            DataSource::Vector(_) => ROW_CHUNK,
        };
        let on_request = job.request() != MetricRequest::Periodic;
        let mut progress = |p| {
            if on_request {
                post(FromWorker::MetricProgress(p));
            }
        };
        let result = job.advance(trainer, chunk, &mut progress).await;
        if on_request && !job.encoded() {
            post(FromWorker::MetricProgress(job.progress()));
        }
        let end = now();
        self.not_before = end + TRAIN_SHARE * (end - start);
        match result {
            Ok(None) => {}
            Ok(Some(report)) => {
                if report.request == MetricRequest::Periodic {
                    self.last_periodic = Some(report.step);
                }
                post(FromWorker::Metrics(report));
                self.job = None;
            }
            Err(e) => {
                if job.request() == MetricRequest::Periodic {
                    self.last_periodic = Some(trainer.step_count());
                }
                post(FromWorker::Error(e));
                self.job = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;
    use crate::settings::{DatasetKind, ModelKind, TrainConfig};

    fn trainer(dataset: DatasetKind) -> Trainer {
        let mut config = TrainConfig::for_dataset(dataset);
        config.model = ModelKind::Vae;
        if dataset == DatasetKind::Dsprites {
            config.subset = "shapes:heart,scales:0-5,orients:2,stride:4"
                .parse()
                .unwrap();
            config.image_net = crate::settings::ImageNet::Mlp;
            config.hidden = vec![16];
            config.batch = 16;
        }
        Trainer::new(config, &burn::prelude::Device::flex()).unwrap()
    }

    /// Ticks once at time `t` (ms) and returns what was posted.
    fn tick(s: &mut MetricScheduler, t: &Trainer, training: bool, now: f64) -> Vec<FromWorker> {
        let clock = Cell::new(now);
        let mut out = Vec::new();
        pollster::block_on(s.tick(t, training, &|| clock.get(), &mut |m| out.push(m)));
        out
    }

    fn reports(msgs: &[FromWorker]) -> Vec<MetricRequest> {
        msgs.iter()
            .filter_map(|m| match m {
                FromWorker::Metrics(r) => Some(r.request),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_periodic_measurement_comes_at_start_then_every_interval() {
        let mut t = trainer(DatasetKind::Pinwheel);
        let mut s = MetricScheduler::default();
        assert_eq!(
            reports(&tick(&mut s, &t, false, 0.0)),
            vec![MetricRequest::Periodic]
        );
        assert!(!s.busy());
        for _ in 0..METRIC_EVERY_STEPS - 1 {
            t.step();
        }
        assert!(tick(&mut s, &t, false, 10.0).is_empty(), "not due yet");
        t.step();
        assert_eq!(
            reports(&tick(&mut s, &t, false, 20.0)),
            vec![MetricRequest::Periodic]
        );
    }

    #[test]
    fn a_paused_model_is_measured_at_its_own_step_once() {
        let mut t = trainer(DatasetKind::Pinwheel);
        let mut s = MetricScheduler::default();
        tick(&mut s, &t, false, 0.0);
        for _ in 0..7 {
            t.step();
        }
        assert!(tick(&mut s, &t, false, 10.0).is_empty(), "not due yet");
        s.measure_current();
        assert!(s.busy());
        let msgs = tick(&mut s, &t, false, 20.0);
        assert!(
            matches!(&msgs[..], [FromWorker::Metrics(r)] if r.step == 7),
            "{msgs:?}"
        );
        assert!(!s.busy());
        // Asked again at a step already measured: nothing to do.
        s.measure_current();
        assert!(tick(&mut s, &t, false, 30.0).is_empty());
        assert!(!s.busy());
    }

    #[test]
    fn a_request_the_data_cannot_answer_is_an_error_not_a_hang() {
        let t = trainer(DatasetKind::Pinwheel);
        let mut s = MetricScheduler::default();
        tick(&mut s, &t, false, 0.0);
        s.ask(MetricRequest::FactorVae);
        s.ask(MetricRequest::FactorVae);
        let msgs = tick(&mut s, &t, false, 1.0);
        assert!(
            matches!(&msgs[..], [FromWorker::Error(e)] if e.contains("ground-truth factors")),
            "{msgs:?}"
        );
        assert!(!s.busy());
    }

    #[test]
    fn while_training_a_chunk_is_followed_by_twice_its_time_of_training() {
        // dSprites images are encoded in chunks of IMAGE_CHUNK: the job spans several ticks.
        let t = trainer(DatasetKind::Dsprites);
        let mut s = MetricScheduler::default();
        s.ask(MetricRequest::FactorVae);
        let clock = Cell::new(0.0);
        let mut out = Vec::new();
        // The chunk "takes" 10 ms on this clock.
        let now = || {
            let v = clock.get();
            clock.set(v + 10.0);
            v
        };
        pollster::block_on(s.tick(&t, true, &now, &mut |m| out.push(m)));
        let progressed = out
            .iter()
            .filter(|m| matches!(m, FromWorker::MetricProgress(_)))
            .count();
        assert!(progressed >= 1, "{out:?}");
        // Within the training share no chunk is encoded…
        assert!(tick(&mut s, &t, true, 15.0).is_empty());
        // …after it, the job goes on; paused, it never waits.
        assert!(!tick(&mut s, &t, true, 1000.0).is_empty());
        assert!(!tick(&mut s, &t, false, 1000.5).is_empty());
    }
}
