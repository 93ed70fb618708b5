//! The training worker's entry point (wasm32); natively an empty program.

fn main() {
    #[cfg(target_arch = "wasm32")]
    {
        disentangle_lab::run_static_constructors();
        disentangle_lab::worker::start();
    }
}
