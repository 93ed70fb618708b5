//! What editing one setting's control does: the new configuration, checked against the
//! schema, and how it reaches the worker (a reset, a live change, a backend switch). The
//! page's controls call [`edit`] and act on the [`Change`]; nothing here touches the DOM.

use crate::protocol::ToWorker;
use crate::settings::schema::{self, Effect};
use crate::settings::TrainConfig;

/// A checked change of the settings and what it needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// The settings after the edit (valid).
    pub config: TrainConfig,
    /// Whether the run starts over (a new model, also on another backend): curves and
    /// metrics are cleared.
    pub reset: bool,
    /// The command for the worker.
    pub command: ToWorker,
}

/// Sets the setting `key` of `config` from a control's `text`. A value that is malformed,
/// out of range or does not fit the other settings is refused with a message naming it, and
/// `config` stays as it was.
pub fn edit(config: &TrainConfig, key: &str, text: &str) -> Result<Change, String> {
    let field = schema::field(key).ok_or_else(|| format!("unknown setting '{key}'"))?;
    let mut next = config.clone();
    field
        .set_text(&mut next, text)
        .and_then(|()| next.validate())
        .map_err(|e| format!("{e}; {} was not changed", field.label))?;
    Ok(change(next, field.effect))
}

/// The change to `next` for a setting of this effect.
pub fn change(next: TrainConfig, effect: Effect) -> Change {
    let command = match effect {
        Effect::Reset => ToWorker::Configure(Box::new(next.clone())),
        Effect::NextStep | Effect::Speed => ToWorker::SetLive(Box::new(next.clone())),
        Effect::Backend => ToWorker::SetBackend(next.backend),
    };
    Change {
        reset: matches!(effect, Effect::Reset | Effect::Backend),
        config: next,
        command,
    }
}

/// A reset with the settings as they are (the Reset button), if they are valid.
pub fn reset(config: &TrainConfig) -> Result<Change, String> {
    config.validate()?;
    Ok(change(config.clone(), Effect::Reset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{BackendPref, DatasetKind, ModelKind, Prior, Speed};

    #[test]
    fn a_weight_acts_live_and_a_size_resets() {
        let c = TrainConfig::default();
        let w = edit(&c, "beta", "4").unwrap();
        assert!(!w.reset);
        assert!(matches!(&w.command, ToWorker::SetLive(n) if n.weights.beta == 4.0));
        let r = edit(&c, "latents", "3").unwrap();
        assert!(r.reset);
        assert!(matches!(&r.command, ToWorker::Configure(n) if n.latents == 3));
    }

    #[test]
    fn a_prior_change_acts_on_the_next_step() {
        let c = TrainConfig {
            model: ModelKind::Dd,
            ..TrainConfig::default()
        };
        let p = edit(&c, "prior", "mixture").unwrap();
        assert!(!p.reset);
        assert_eq!(p.config.prior, Prior::pinwheel());
        let nu = edit(
            &TrainConfig {
                prior: Prior::StudentT { nu: 9.0 },
                ..c
            },
            "prior-nu",
            "3",
        )
        .unwrap();
        assert_eq!(nu.config.prior, Prior::StudentT { nu: 3.0 });
    }

    #[test]
    fn backend_and_speed_have_their_own_commands() {
        let c = TrainConfig::default();
        let b = edit(&c, "backend", "flex").unwrap();
        assert_eq!(b.command, ToWorker::SetBackend(BackendPref::Flex));
        let s = edit(&c, "speed", "slow").unwrap();
        assert!(matches!(&s.command, ToWorker::SetLive(n) if n.speed == Speed::Slow));
    }

    #[test]
    fn changing_the_data_set_brings_its_defaults() {
        let c = TrainConfig {
            seed: 5,
            ..TrainConfig::default()
        };
        let d = edit(&c, "dataset", "dsprites").unwrap();
        assert_eq!(
            (d.config.batch, d.config.latents, d.config.seed),
            (64, 10, 5)
        );
        assert_eq!(d.config.dataset, DatasetKind::Dsprites);
    }

    #[test]
    fn bad_text_is_refused_naming_the_setting_and_keeps_the_settings() {
        let c = TrainConfig::default();
        let e = edit(&c, "lr", "5").unwrap_err();
        assert!(e.contains("lr") && e.contains("was not changed"), "{e}");
        let e = edit(&c, "lr", "1e308").unwrap_err();
        assert!(e.contains("1e308") && !e.contains("00000000"), "{e}");
        let e = edit(&c, "model", "ivae").unwrap_err();
        assert!(e.contains("segment label"), "{e}");
        assert!(edit(&c, "hidden", "100,,3").is_err());
    }
}
