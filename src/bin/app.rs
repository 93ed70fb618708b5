//! The page's entry point (wasm32); natively an empty program so `cargo build` stays simple.

fn main() {
    #[cfg(target_arch = "wasm32")]
    {
        disentangle_lab::run_static_constructors();
        disentangle_lab::app::start();
    }
}
