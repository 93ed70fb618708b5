//! Settings: everything a run is configured with, declared once and shared by the page, the
//! worker and the CLI. No burn, no DOM: the page's own build uses it as it is.
//!
//! - [`choice`]: the menus (data set, model, estimator, …), each key spelled once;
//! - [`config`]: [`TrainConfig`], every setting of a run, with per-data-set defaults;
//! - [`schema`]: the table of settings (key, label, help, range, effect) that the JSON form,
//!   [`link`]s, the CLI flags ([`cli`]) and the page's controls are derived from;
//! - [`lessons`], [`compare`]: the presets and the A/B comparison, in terms of settings;
//! - [`model_file`]: the `.dlab` container, whose header is the settings' JSON form.

pub mod choice;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod compare;
pub mod config;
pub mod lessons;
pub mod link;
pub mod model_file;
pub mod prior;
pub mod schema;
pub mod text;
pub mod weights;

pub use choice::{
    Activation, BackendChoice, BackendPref, ConvSize, DatasetKind, DecoderStd, Divergence,
    EncoderHeads, EncoderStd, Estimator, ImageNet, IvaePrior, LrSchedule, ModelKind, OptimizerKind,
    PinwheelVariant, PriorKind, Speed,
};
pub use config::TrainConfig;
pub use prior::Prior;
pub use weights::Weights;
