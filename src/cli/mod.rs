//! The native command-line program's subcommands (clap). Each file is one subcommand group;
//! `src/bin/disentangle-lab.rs` only parses and dispatches.

pub mod bench;
pub mod data;
pub mod link;
pub mod metrics;
pub mod plot;
pub mod reproduce;
pub mod train;

use clap::{CommandFactory, Parser, Subcommand};

/// A failure a subcommand reports to the user as one line (exit code 1).
pub type CliResult = Result<(), String>;

/// Disentangle Lab: train VAEs, render data and compute disentanglement metrics headlessly.
#[derive(Parser, Debug)]
#[command(name = "disentangle-lab", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Train a model and write its curves and settings as JSON.
    Train(Box<train::TrainArgs>),
    /// Render procedural dSprites images.
    #[command(subcommand)]
    Dsprites(data::DspritesCmd),
    /// Generate the 2-D data sets.
    #[command(subcommand)]
    Data(data::DataCmd),
    /// Print speed figures: rendering, training steps/s per model × data set × backend, metrics.
    Bench(bench::BenchArgs),
    /// Compute disentanglement metrics from exported codes.
    #[command(subcommand)]
    Metrics(metrics::MetricsCmd),
    /// Reproduce the claims of lessons (a)–(f) over several seeds: docs/results.md
    /// with tables (mean ± std) and PNG plots.
    Reproduce(reproduce::ReproduceArgs),
    /// Encode a run's settings as a share link, or decode one, as the page does.
    #[command(subcommand)]
    Link(link::LinkCmd),
}

/// Parses the command line and runs it; returns the process exit code.
/// Usage errors print one line naming the valid choices and give exit code 2.
pub fn main_with_args(args: Vec<String>) -> i32 {
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => return usage_error(e, &args),
    };
    let result = match cli.command {
        Command::Train(a) => train::run_train(*a),
        Command::Bench(a) => bench::run_bench(a),
        Command::Dsprites(c) => data::run_dsprites(c),
        Command::Data(c) => data::run_data(c),
        Command::Metrics(c) => metrics::run_metrics(c),
        Command::Reproduce(a) => reproduce::run_reproduce(a),
        Command::Link(c) => link::run_link(c),
    };
    match result {
        Ok(()) => 0,
        Err(msg) => {
            eprintln!("error: {msg}");
            1
        }
    }
}

/// Prints a clap error as one line (help and version print in full) and returns its exit code.
fn usage_error(e: clap::Error, args: &[String]) -> i32 {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
        || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    {
        let _ = e.print();
        return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            2
        } else {
            0
        };
    }
    let rendered = e.render().to_string();
    let mut line = rendered
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("error: invalid arguments")
        .trim()
        .to_string();
    // Clap puts the allowed values of an enum on a later line: keep them on this one.
    if let Some(p) = rendered.lines().find(|l| l.contains("possible values")) {
        line.push(' ');
        line.push_str(p.trim());
    }
    if matches!(
        e.kind(),
        ErrorKind::UnknownArgument | ErrorKind::InvalidSubcommand
    ) {
        line.push_str(&format!(" (valid: {})", valid_words(args).join(", ")));
    }
    eprintln!("{line}");
    2
}

/// The flags (or subcommands) valid at the deepest subcommand named in `args`.
fn valid_words(args: &[String]) -> Vec<String> {
    let mut cmd = Cli::command();
    for a in args.iter().skip(1) {
        match cmd.find_subcommand(a) {
            Some(sub) => cmd = sub.clone(),
            None => break,
        }
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    if !subs.is_empty() {
        return subs;
    }
    cmd.get_arguments()
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect()
}
