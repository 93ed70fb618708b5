//! The run settings as command-line flags, derived from the schema: `--KEY VALUE` for every
//! setting the CLI has, with the schema's help, the valid keys of each menu, and the per-data-
//! set defaults. Values are parsed and range-checked exactly as in links.

use clap::builder::PossibleValuesParser;
use clap::{Arg, ArgMatches, Args, Command, FromArgMatches};

use super::choice::DatasetKind;
use super::config::TrainConfig;
use super::schema::{self, Field, Range, FIELDS};

/// The settings given on the command line, as (key, text) pairs in schema order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SettingsArgs {
    /// What was given.
    pub given: Vec<(&'static str, String)>,
}

impl SettingsArgs {
    /// Whether `key` was given.
    pub fn has(&self, key: &str) -> bool {
        self.given.iter().any(|(k, _)| *k == key)
    }

    /// The configuration: the data set's defaults with the given settings applied, checked.
    pub fn config(&self) -> Result<TrainConfig, String> {
        let mut values = Vec::new();
        for (k, text) in &self.given {
            let f = schema::field(k).ok_or_else(|| format!("unknown setting {k}"))?;
            values.push((
                k.to_string(),
                f.parse(text).map_err(|e| format!("--{k}: {e}"))?,
            ));
        }
        schema::from_values(&values, true).map(|(c, _)| c)
    }

    /// Applies the given settings to `config` (e.g. one loaded from a model file), checked.
    pub fn apply_to(&self, config: &mut TrainConfig) -> Result<(), String> {
        for (k, text) in &self.given {
            let f = schema::field(k).ok_or_else(|| format!("unknown setting {k}"))?;
            f.set_text(config, text).map_err(|e| format!("--{e}"))?;
        }
        config.validate()
    }
}

/// The help of a flag: the schema's, then its defaults (per data set where they differ).
fn flag_help(f: &Field) -> String {
    let defaults: Vec<(DatasetKind, Option<String>)> = DatasetKind::ALL
        .into_iter()
        .map(|d| (d, f.default_text(d)))
        .collect();
    let same = defaults.windows(2).all(|w| w[0].1 == w[1].1);
    let shown = if same {
        defaults[0]
            .1
            .as_ref()
            .map(|v| format!(" [default: {v}]"))
            .unwrap_or_default()
    } else {
        let per: Vec<String> = defaults
            .iter()
            .filter_map(|(d, v)| v.as_ref().map(|v| format!("{} {v}", d.key())))
            .collect();
        format!(" [default: {}]", per.join(", "))
    };
    let range = match f.range {
        Range::Float { min, max } => format!(
            " ({}..{})",
            super::text::number(min),
            super::text::number(max)
        ),
        Range::Int { min, max } if max != u64::MAX => format!(" ({min}..={max})"),
        _ => String::new(),
    };
    format!("{}{range}{shown}", f.help)
}

fn arg(f: &'static Field) -> Arg {
    let arg = Arg::new(f.key).long(f.key).help(flag_help(f));
    match f.range {
        Range::Choice(keys) => arg
            .value_name("CHOICE")
            .value_parser(PossibleValuesParser::new(keys.iter().copied())),
        _ => arg
            .value_name(match f.range {
                Range::Float { .. } => "NUMBER",
                Range::Int { .. } => "INT",
                Range::Bool => "BOOL",
                Range::IntList { .. } | Range::FloatList { .. } => "LIST",
                Range::Points { .. } => "POINTS",
                _ => "SPEC",
            })
            // The value is checked now, so a bad one is a usage error naming the flag.
            .value_parser(move |t: &str| -> Result<String, String> {
                let v = f.parse(t)?;
                f.check(&v)?;
                Ok(t.to_string())
            }),
    }
}

/// The settings of the iVAE source generator and the seed: what `data ivae` takes, under
/// the same flags as `train`.
pub const IVAE_DATA_KEYS: [&str; 6] = [
    "segments",
    "per-segment",
    "source-dim",
    "mixing-layers",
    "segment-means",
    "seed",
];

/// Only the iVAE data settings of the schema ([`IVAE_DATA_KEYS`]), as flags.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IvaeDataArgs(pub SettingsArgs);

impl IvaeDataArgs {
    /// The configuration of the iVAE data set with the given settings, checked.
    pub fn config(&self) -> Result<TrainConfig, String> {
        let mut c = TrainConfig::for_dataset(DatasetKind::Ivae);
        self.0.apply_to(&mut c)?;
        Ok(c)
    }
}

fn augment(cmd: Command, keep: impl Fn(&Field) -> bool) -> Command {
    FIELDS
        .iter()
        .filter(|f| f.cli && keep(f))
        .fold(cmd, |c, f| c.arg(arg(f)))
}

fn given(m: &ArgMatches, keep: impl Fn(&Field) -> bool) -> SettingsArgs {
    let given = FIELDS
        .iter()
        .filter(|f| f.cli && keep(f))
        .filter_map(|f| m.get_one::<String>(f.key).map(|v| (f.key, v.clone())))
        .collect();
    SettingsArgs { given }
}

impl Args for IvaeDataArgs {
    fn augment_args(cmd: Command) -> Command {
        augment(cmd, |f| IVAE_DATA_KEYS.contains(&f.key))
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for IvaeDataArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(Self(given(m, |f| IVAE_DATA_KEYS.contains(&f.key))))
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl Args for SettingsArgs {
    fn augment_args(cmd: Command) -> Command {
        augment(cmd, |_| true)
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for SettingsArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(given(m, |_| true))
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::ModelKind;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Probe {
        #[command(flatten)]
        settings: SettingsArgs,
    }

    fn parse(args: &[&str]) -> Result<SettingsArgs, clap::Error> {
        let mut all = vec!["probe"];
        all.extend_from_slice(args);
        Probe::try_parse_from(all).map(|p| p.settings)
    }

    #[test]
    fn flags_take_the_link_spellings_and_data_set_defaults() {
        let s = parse(&[
            "--dataset",
            "dsprites",
            "--model",
            "beta-tcvae",
            "--hidden",
            "256,256",
        ])
        .unwrap();
        let c = s.config().unwrap();
        assert_eq!(c.model, ModelKind::BetaTcvae);
        assert_eq!(c.hidden, vec![256, 256]);
        assert_eq!(
            c.batch,
            TrainConfig::for_dataset(DatasetKind::Dsprites).batch
        );
        assert!(s.has("model") && !s.has("lr"));
    }

    #[test]
    fn bad_values_are_usage_errors_naming_the_choices() {
        let err = parse(&["--model", "gan"]).unwrap_err().to_string();
        assert!(err.contains("beta-tcvae") && err.contains("ivae"), "{err}");
        let err = parse(&["--segments", "4294967295"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("1..=1000"), "{err}");
        assert!(
            parse(&["--speed", "slow"]).is_err(),
            "the page's pace is no flag"
        );
    }

    #[test]
    fn help_lists_every_model_and_per_data_set_defaults() {
        let help = Probe::command_for_help();
        assert!(help.contains("factor-vae") && help.contains("dd"), "{help}");
        assert!(
            help.contains("pinwheel 400, ivae 64, dsprites 64"),
            "{help}"
        );
    }

    impl Probe {
        fn command_for_help() -> String {
            use clap::CommandFactory;
            Probe::command().render_long_help().to_string()
        }
    }
}
