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

/// How long the page waits for the browser's WebGPU adapter before it starts (ms).
const ADAPTER_WAIT_MS: i32 = 2_000;

/// Mounts the page on `<body>`, once it knows whether the browser has a hardware WebGPU
/// adapter: that decides which training worker *Auto* loads (`ui::worker_kind`).
pub fn start() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        let adapter = crate::adapter::probe_within(Some(ADAPTER_WAIT_MS)).await;
        bridge::note_hardware_adapter(adapter.is_some_and(|a| !a.is_fallback));
        yew::Renderer::<components::App>::new().render();
    });
}
