//! Training: configuration, the step, and the snapshots the views draw.
//!
//! Data flows one way: data → model → objective → optimiser → snapshot. Tensors are read back
//! only when a snapshot is taken (every few steps), asynchronously, so the same code runs
//! natively and on WebGPU in the page. Without the `train` feature (the page's UI binary)
//! only the plain-data parts compile: configuration, snapshots, previews.

pub mod backend;
pub mod bench_configs;
pub mod control;
#[cfg(feature = "train")]
pub mod evaluate;
#[cfg(feature = "train")]
pub mod metric_job;
pub mod metric_report;
#[cfg(feature = "train")]
pub mod metric_schedule;
#[cfg(feature = "train")]
pub mod model;
pub mod model_file;
#[cfg(feature = "train")]
pub mod optim;
pub mod preview;
pub mod schedule;
pub mod snapshot;
#[cfg(feature = "train")]
pub mod source;
#[cfg(feature = "train")]
pub mod trainer;
pub mod traversal;

pub use crate::settings::{DatasetKind, ModelKind, TrainConfig};
pub use backend::BackendChoice;
pub use snapshot::{Posterior, Snapshot, TermCurves};
#[cfg(feature = "train")]
pub use source::{DataSource, Truth};
#[cfg(feature = "train")]
pub use trainer::{TrainError, Trainer};
