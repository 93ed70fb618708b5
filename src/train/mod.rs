//! Training: configuration, the step, and the snapshots the views draw.
//!
//! Data flows one way: data → model → objective → optimiser → snapshot. Tensors are read back
//! only when a snapshot is taken (every few steps), asynchronously, so the same code runs
//! natively and on WebGPU in the page.

pub mod backend;
pub mod config;
pub mod evaluate;
pub mod model;
pub mod preview;
pub mod snapshot;
pub mod source;
pub mod trainer;
pub mod traversal;

pub use backend::BackendChoice;
pub use config::{DatasetKind, ModelKind, TrainConfig};
pub use snapshot::{Posterior, Snapshot, TermCurves};
pub use source::{DataSource, Truth};
pub use trainer::{TrainError, Trainer};
