//! Disentangle Lab: variational autoencoders and disentanglement metrics, backend-agnostic.
//!
//! One crate, three faces: this core library (data, models, objectives, metrics, training;
//! no DOM), the Yew page and its training worker (wasm32 only), and the native CLI.

pub mod data;
#[cfg(test)]
mod golden;
pub mod io;
pub mod math;
pub mod matrix;
pub mod metrics;
pub mod model;
pub mod objective;
pub mod protocol;
pub mod rng;
pub mod settings;
pub mod train;
pub mod ui;

#[cfg(all(feature = "ndarray", feature = "wgpu", not(target_arch = "wasm32")))]
pub mod cli;
#[cfg(not(target_arch = "wasm32"))]
pub mod native_alloc;

#[cfg(target_arch = "wasm32")]
pub mod adapter;
#[cfg(target_arch = "wasm32")]
pub mod app;
#[cfg(all(feature = "train", target_arch = "wasm32"))]
pub mod worker;

/// Runs the wasm module's static constructors once.
///
/// cubecl registers kernels through `inventory` (constructors in `.init_array`). A wasm32
/// binary that never calls `__wasm_call_ctors` itself gets every export wrapped with a call
/// to all constructors, so each JS → wasm call re-ran thousands of them (a 28× slowdown,
/// measured in a prototype of this stack). Calling it once first, as inventory's docs
/// recommend, avoids that.
#[cfg(target_arch = "wasm32")]
pub fn run_static_constructors() {
    unsafe extern "C" {
        fn __wasm_call_ctors();
    }
    // SAFETY: called once, at the start of `main`, before any other code touches the registry.
    unsafe { __wasm_call_ctors() }
}
