//! The WebGPU training worker's entry point (wasm32; built with the `wgpu` feature, see
//! Cargo.toml); the same worker as `worker`, with other backends. Natively an empty program.

fn main() {
    #[cfg(target_arch = "wasm32")]
    {
        disentangle_lab::run_static_constructors();
        disentangle_lab::worker::start();
    }
}
