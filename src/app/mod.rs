//! The Yew page (wasm32 only). It never does maths: it sends [`ToWorker`] commands to the
//! training worker and draws the [`FromWorker`] snapshots it streams back.
//!
//! [`ToWorker`]: crate::protocol::ToWorker
//! [`FromWorker`]: crate::protocol::FromWorker

mod bridge;
mod components;
mod draw;
mod draw_metrics;
mod export;
mod files;
mod state;

/// Mounts the page on `<body>`.
pub fn start() {
    console_error_panic_hook::set_once();
    yew::Renderer::<components::App>::new().render();
}
