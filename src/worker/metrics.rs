//! Schedules measurements beside training: a periodic one every [`METRIC_EVERY_STEPS`], and
//! the slow ones when the page asks. Encoding happens a chunk at a time and, while training
//! runs, takes at most a third of the worker's time, so training never stalls.

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
pub(super) struct MetricScheduler {
    job: Option<MetricJob>,
    asked: VecDeque<MetricRequest>,
    /// Step of the latest periodic measurement (None: none yet for this model).
    last_periodic: Option<u64>,
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

    /// True while a measurement is waiting or under way (the worker then does not idle).
    pub fn busy(&self) -> bool {
        self.job.is_some() || !self.asked.is_empty()
    }

    /// Starts a measurement if one is due and advances the current one by a chunk, when its
    /// share of the time allows. Results and errors are posted with `post`.
    pub async fn tick(
        &mut self,
        trainer: &Trainer,
        training: bool,
        now: fn() -> f64,
        post: fn(&FromWorker),
    ) {
        if self.job.is_none() {
            let step = trainer.step_count();
            let next = if let Some(r) = self.asked.pop_front() {
                Some(r)
            } else {
                let due = self
                    .last_periodic
                    .is_none_or(|s| step >= s + METRIC_EVERY_STEPS);
                due.then_some(MetricRequest::Periodic)
            };
            match next.map(|r| MetricJob::new(r, trainer)) {
                Some(Ok(job)) => self.job = Some(job),
                Some(Err(e)) => {
                    post(&FromWorker::Error(e));
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
                post(&FromWorker::MetricProgress(p));
            }
        };
        let result = job.advance(trainer, chunk, &mut progress).await;
        if on_request && !job.encoded() {
            post(&FromWorker::MetricProgress(job.progress()));
        }
        self.not_before = now() + TRAIN_SHARE * (now() - start);
        match result {
            Ok(None) => {}
            Ok(Some(report)) => {
                if report.request == MetricRequest::Periodic {
                    self.last_periodic = Some(report.step);
                }
                post(&FromWorker::Metrics(report));
                self.job = None;
            }
            Err(e) => {
                if job.request() == MetricRequest::Periodic {
                    self.last_periodic = Some(trainer.step_count());
                }
                post(&FromWorker::Error(e));
                self.job = None;
            }
        }
    }
}
