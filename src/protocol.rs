//! Typed messages between the page (UI thread) and the training worker.
//!
//! Both sides serialise them as JSON strings through `postMessage`; the types live here so the
//! two binaries cannot drift apart.

use serde::{Deserialize, Serialize};

use crate::settings::{BackendChoice, BackendPref, TrainConfig};
use crate::train::metric_report::{MetricProgress, MetricReport, MetricRequest};
use crate::train::preview::Preview;
use crate::train::traversal::Traversal;
use crate::train::Snapshot;

/// Commands from the page to the worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    /// (Re)start the backend; the current configuration is rebuilt on it.
    SetBackend(BackendPref),
    /// Build a fresh model for this configuration (a reset); training stays paused.
    Configure(Box<TrainConfig>),
    /// New values of the settings that act on the next step (weights, learning rate, prior)
    /// and of the pace; the others must equal the current model's. Sent after a
    /// `Configure` in the same batch, it applies to the new model.
    SetLive(Box<TrainConfig>),
    /// Train continuously.
    Run,
    /// Stop after the current step.
    Pause,
    /// Take exactly this many steps, then pause (single step / slow motion).
    Step(u32),
    /// Continuous training pauses once when the model reaches this step from below (a
    /// lesson's evidence length, so its numbers are read where `reproduce` reads them);
    /// `None`: never. Kept across resets; a run already past it trains on.
    PauseAt(Option<u64>),
    /// Measure rendering and training speed on every backend (training pauses meanwhile).
    Benchmark,
    /// Measure a metric of the current model now (the slow ones are only measured on request).
    Measure(MetricRequest),
    /// Make the worker fail the way a lost GPU device makes wgpu fail (a panic), so tests can
    /// check that the page recovers. Never sent by the page itself.
    SimulateFailure(String),
    /// Make the worker stop answering (an endless loop), so tests can check that the page
    /// notices and recovers. Never sent by the page itself.
    SimulateHang,
    /// Go on from a checkpoint of this run (after the worker was restarted): the model file
    /// the worker sent as [`FromWorker::Checkpoint`]; answered by [`FromWorker::Resumed`].
    Resume(#[serde(with = "crate::io::b64")] Vec<u8>),
    /// Send the current model as a model file ([`FromWorker::ModelFile`]).
    SaveModel,
    /// Replace the current model by the one in this model file (training pauses); answered
    /// by [`FromWorker::ModelLoaded`] or [`FromWorker::ModelRefused`].
    LoadModel(#[serde(with = "crate::io::b64")] Vec<u8>),
}

/// What the page learns about the WebGPU adapter.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AdapterInfo {
    /// Vendor string (e.g. "google", "nvidia").
    pub vendor: String,
    /// Architecture string (e.g. "swiftshader", "ampere").
    pub architecture: String,
    /// Description, where the browser gives one.
    pub description: String,
    /// True for software adapters such as SwiftShader.
    pub is_fallback: bool,
}

/// The backend the worker runs on, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BackendReport {
    /// The backend in use.
    pub choice: BackendChoice,
    /// The WebGPU adapter, if the browser offers one (even when not used).
    pub adapter: Option<AdapterInfo>,
    /// A plain-language note: software adapter, fallback reason, …
    pub notice: Option<String>,
    /// What *Auto* timed before choosing: (backend, training steps/s) on the current model;
    /// empty when the backend was chosen by hand or there was nothing to compare.
    #[serde(default)]
    pub measured: Vec<(BackendChoice, f64)>,
}

impl BackendReport {
    /// What *Auto* measured, for the header: "Auto measured CPU (Flex) 615, CPU (NdArray)
    /// 332 steps/s"; `None` when it measured nothing.
    pub fn measured_text(&self) -> Option<String> {
        if self.measured.is_empty() {
            return None;
        }
        let figures: Vec<String> = self
            .measured
            .iter()
            .map(|(c, rate)| {
                let digits = if *rate < 10.0 { 1 } else { 0 };
                format!("{} {rate:.digits$}", c.label())
            })
            .collect();
        Some(format!("Auto measured {} steps/s", figures.join(", ")))
    }
}

/// One benchmark figure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BenchLine {
    /// What was measured.
    pub what: String,
    /// The figure.
    pub value: f64,
    /// Its unit.
    pub unit: String,
}

/// Messages from the worker to the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// The worker's message handler is installed: commands sent from now on are heard.
    /// (Messages that reach a worker before its wasm has started are dropped, so the page
    /// holds its commands until this arrives.)
    Ready,
    /// The backend is ready (after start-up or a switch).
    Backend(BackendReport),
    /// Training progress; `steps_per_second` is measured over the last stretch.
    Progress {
        /// The snapshot.
        snapshot: Snapshot,
        /// Steps per second since the previous snapshot.
        steps_per_second: f64,
    },
    /// Whether training is running.
    Running(bool),
    /// A look at the configured data set (sent after each reset).
    Preview(Preview),
    /// Latent traversals of the current model (sent every couple of seconds while training).
    Traversal(Traversal),
    /// Something went wrong; the worker is in a safe (paused) state.
    Error(String),
    /// One figure of the in-page benchmark.
    Bench(BenchLine),
    /// The benchmark has finished.
    BenchDone,
    /// A measurement's results (periodic while training, or one asked for).
    Metrics(MetricReport),
    /// How far a requested measurement is.
    MetricProgress(MetricProgress),
    /// The worker panicked (a lost GPU device, a bug): it is unusable, and the page restarts
    /// it. Sent by the worker's panic hook.
    Crashed(String),
    /// The current model as a model file (`.dlab`, see `train::model_file`).
    ModelFile(#[serde(with = "crate::io::b64")] Vec<u8>),
    /// A model file was loaded: training continues from `step` with `config`.
    ModelLoaded {
        /// The configuration saved with the model (the page's controls take it over).
        config: Box<TrainConfig>,
        /// The step the model was saved at.
        step: u64,
    },
    /// A model file was refused; the message says why. The current model is unchanged.
    ModelRefused(String),
    /// The current model as a model file, sent every few seconds while training, so the page
    /// can restart a failed worker from it ([`ToWorker::Resume`]).
    Checkpoint {
        /// The step it was taken at.
        step: u64,
        /// The model file.
        #[serde(with = "crate::io::b64")]
        bytes: Vec<u8>,
    },
    /// A checkpoint was taken up again: training goes on from `step`.
    Resumed {
        /// The checkpoint's step.
        step: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_says_what_auto_measured() {
        let mut r = BackendReport {
            choice: BackendChoice::Flex,
            adapter: None,
            notice: None,
            measured: vec![],
        };
        assert_eq!(r.measured_text(), None);
        r.measured = vec![(BackendChoice::Flex, 615.4), (BackendChoice::Ndarray, 2.24)];
        assert_eq!(
            r.measured_text().unwrap(),
            "Auto measured CPU (Flex) 615, CPU (NdArray) 2.2 steps/s"
        );
        // Reports of older workers (no `measured`) still decode.
        let old = r#"{"choice":"flex","adapter":null,"notice":null}"#;
        assert!(serde_json::from_str::<BackendReport>(old)
            .unwrap()
            .measured
            .is_empty());
    }

    #[test]
    fn messages_round_trip_through_json() {
        let msgs = vec![
            ToWorker::SetBackend(BackendPref::Wgpu),
            ToWorker::Configure(Box::default()),
            ToWorker::SetLive(Box::new(TrainConfig {
                lr: 0.01,
                ..TrainConfig::default()
            })),
            ToWorker::Step(1),
            ToWorker::PauseAt(Some(1000)),
            ToWorker::Measure(MetricRequest::ChenMig),
            ToWorker::SaveModel,
            ToWorker::LoadModel(vec![0, 1, 2, 250, 255]),
        ];
        for m in msgs {
            let s = serde_json::to_string(&m).unwrap();
            assert_eq!(serde_json::from_str::<ToWorker>(&s).unwrap(), m);
        }
        let file = FromWorker::ModelFile(b"DLABMODL".to_vec());
        let s = serde_json::to_string(&file).unwrap();
        assert_eq!(
            s, r#"{"ModelFile":"RExBQk1PREw="}"#,
            "bytes travel as base64"
        );
        assert_eq!(serde_json::from_str::<FromWorker>(&s).unwrap(), file);
    }
}
