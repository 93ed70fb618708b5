//! The native command-line program; all logic lives in `disentangle_lab::cli`.
//! (On wasm32 it is an empty program, so `cargo build --target wasm32-unknown-unknown --bins` works.)

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    disentangle_lab::native_alloc::retain_freed_memory();
    #[cfg(not(target_arch = "wasm32"))]
    std::process::exit(disentangle_lab::cli::main_with_args(
        std::env::args().collect(),
    ));
}
