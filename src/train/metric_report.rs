//! Metrics measured during training, as plain data for the page: every number carries the
//! protocol it was measured with (docs/methods.md §3), so the page can name it next to the value.

use serde::{Deserialize, Serialize};

/// Steps between two periodic measurements while training.
pub const METRIC_EVERY_STEPS: u64 = 200;

/// Which measurement a report answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MetricRequest {
    /// The cheap set, every [`METRIC_EVERY_STEPS`]: dlib MIG and its MI matrix (dSprites),
    /// MCC and the source scatter (iVAE), D(q(z), p(z)) (pinwheel), the KL decomposition
    /// (2-D data) and active units.
    Periodic,
    /// FactorVAE score over the whole dSprites subset (on request: it encodes every image).
    FactorVae,
    /// MIG by the Chen protocol and the full-set ELBO decomposition (on request: slow).
    ChenMig,
}

impl MetricRequest {
    /// What the page calls this measurement.
    pub fn title(self) -> &'static str {
        match self {
            MetricRequest::Periodic => "metrics",
            MetricRequest::FactorVae => "FactorVAE score",
            MetricRequest::ChenMig => "MIG (Chen)",
        }
    }
}

/// One measured number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricValue {
    /// Stable key (CSV column, history series), e.g. `mig_dlib`.
    pub key: String,
    /// Short label, e.g. "MIG".
    pub label: String,
    /// How it was measured, e.g. "dlib: means, 20 bins, 10,000 points".
    pub protocol: String,
    /// The value.
    pub value: f64,
}

/// Mutual information between each latent and each ground-truth factor (the MIG's matrix).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MiMatrix {
    /// Factor names, in column order.
    pub factors: Vec<String>,
    /// I(z_j; v_k) / H(v_k), `[latent j][factor k]`, in [0, 1].
    pub normalised: Vec<Vec<f64>>,
}

/// True against recovered sources (iVAE): for each source, the latent matched to it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceScatter {
    /// One panel per source: (source index, matched latent, |correlation|).
    pub pairs: Vec<(usize, usize, f64)>,
    /// `points[p]`: (true s, recovered z) of pair `p`, a few hundred points each.
    pub points: Vec<Vec<(f32, f32)>>,
    /// Segment label of each point (same for every pair), for colouring.
    pub labels: Vec<u32>,
}

/// One measurement's results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricReport {
    /// What was asked for.
    pub request: MetricRequest,
    /// The step whose model was measured.
    pub step: u64,
    /// The numbers.
    pub values: Vec<MetricValue>,
    /// The MI matrix (dSprites, periodic).
    pub mi: Option<MiMatrix>,
    /// The true-vs-recovered scatter (iVAE, periodic).
    pub scatter: Option<SourceScatter>,
}

impl MetricReport {
    /// The value with this key, if measured.
    pub fn get(&self, key: &str) -> Option<f64> {
        self.values.iter().find(|v| v.key == key).map(|v| v.value)
    }
}

/// Progress of a measurement that takes a while.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricProgress {
    /// What is being measured.
    pub request: MetricRequest,
    /// Fraction done, 0..=1.
    pub fraction: f32,
    /// What it is doing now, e.g. "encoding 12,288 / 46,080 images".
    pub stage: String,
}
