//! The native command-line program; all logic lives in `disentangle_lab::cli`.

fn main() {
    std::process::exit(disentangle_lab::cli::main_with_args(
        std::env::args().collect(),
    ));
}
