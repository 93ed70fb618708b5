//! Share links: the whole run configuration in the URL's fragment, like TensorFlow
//! Playground's `state.ts`. Enums go in by short name, unknown or bad keys fall back to the
//! defaults and are reported, and the seed is included so a link reproduces a run.

use super::backend::BackendChoice;
use super::compare::CompareOverrides;
use super::config::{prior_by_name, prior_name, DatasetKind, ModelKind, TrainConfig};
use crate::objective::kinds::{Divergence, Estimator};

/// What a link holds besides the run configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LinkState {
    /// The run configuration.
    pub config: TrainConfig,
    /// The backend asked for (`None`: automatic).
    pub backend: Option<BackendChoice>,
    /// Control ids a teacher chose to hide (e.g. `beta`, `model-select`).
    pub hidden: Vec<String>,
    /// The latent pair the posterior panel shows (`None`: the first two).
    pub view: Option<(usize, usize)>,
    /// Large text for projectors.
    pub large_text: bool,
    /// An A/B comparison: how run B differs.
    pub compare: Option<CompareOverrides>,
}

/// Ids of the controls a link may hide.
pub const HIDEABLE: [&str; 12] = [
    "dataset-select",
    "subset",
    "model-select",
    "alpha",
    "beta",
    "gamma",
    "prior-select",
    "divergence-select",
    "estimator-select",
    "lr",
    "backend-select",
    "speed-select",
];

/// Encodes `state` as `key=value&…` (URL-safe: values never contain `&`, `=` or `#`).
pub fn encode(state: &LinkState) -> String {
    let c = &state.config;
    let mut parts = vec![
        format!("data={}", c.dataset.key()),
        format!("model={}", c.model.key()),
        format!("alpha={}", c.weights.alpha),
        format!("beta={}", c.weights.beta),
        format!("gamma={}", c.weights.gamma),
        format!("lr={}", c.lr),
        format!("batch={}", c.batch),
        format!("latents={}", c.latents),
        format!("seed={}", c.seed),
        format!("prior={}", prior_name(&c.prior)),
        format!(
            "estimator={}",
            if c.estimator == Estimator::Mws {
                "mws"
            } else {
                "mss"
            }
        ),
        format!(
            "divergence={}",
            if c.divergence == Divergence::Mmd {
                "mmd"
            } else {
                "kl"
            }
        ),
    ];
    if c.dataset == DatasetKind::Dsprites {
        parts.push(format!("subset={}", c.subset));
    }
    if let Some(b) = state.backend {
        parts.push(format!("backend={}", b.key()));
    }
    if !state.hidden.is_empty() {
        parts.push(format!("hide={}", state.hidden.join(",")));
    }
    if let Some((a, b)) = state.view.filter(|&v| v != (0, 1)) {
        parts.push(format!("view={},{}", a + 1, b + 1));
    }
    if state.large_text {
        parts.push("text=large".into());
    }
    if let Some(o) = state.compare {
        parts.push(format!("compare={}", o.to_link()));
    }
    parts.join("&")
}

/// Decodes a link (with or without a leading `#`); returns the state and one message per
/// key that was ignored (unknown, malformed or out of range), so the page can say so.
pub fn decode(text: &str) -> (LinkState, Vec<String>) {
    let mut state = LinkState::default();
    let mut ignored = Vec::new();
    let mut prior = None;
    let text = text.trim_start_matches('#');
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let c = &mut state.config;
        let ok: Result<(), String> = (|| {
            let num = |v: &str| {
                v.parse::<f64>()
                    .map_err(|_| format!("'{v}' is not a number"))
            };
            let int = |v: &str| {
                v.parse::<usize>()
                    .map_err(|_| format!("'{v}' is not a whole number"))
            };
            match key {
                "data" => c.dataset = DatasetKind::parse(value)?,
                "model" => c.model = ModelKind::parse(value)?,
                "alpha" => c.weights.alpha = num(value)?,
                "beta" => c.weights.beta = num(value)?,
                "gamma" => c.weights.gamma = num(value)?,
                "lr" => c.lr = num(value)?,
                "batch" => c.batch = int(value)?,
                "latents" => c.latents = int(value)?,
                "seed" => {
                    c.seed = value
                        .parse()
                        .map_err(|_| format!("'{value}' is not a seed"))?
                }
                "subset" => c.subset = value.parse()?,
                "prior" => prior = Some(value.to_string()),
                "estimator" => match value {
                    "mws" => c.estimator = Estimator::Mws,
                    "mss" => c.estimator = Estimator::Mss,
                    _ => return Err(format!("unknown estimator '{value}' (valid: mws, mss)")),
                },
                "divergence" => match value {
                    "kl" => c.divergence = Divergence::KlPQ,
                    "mmd" => c.divergence = Divergence::Mmd,
                    _ => return Err(format!("unknown divergence '{value}' (valid: kl, mmd)")),
                },
                "backend" => state.backend = Some(BackendChoice::parse(value)?),
                "hide" => {
                    for id in value.split(',').filter(|s| !s.is_empty()) {
                        if !HIDEABLE.contains(&id) {
                            return Err(format!(
                                "cannot hide '{id}' (valid: {})",
                                HIDEABLE.join(", ")
                            ));
                        }
                        state.hidden.push(id.to_string());
                    }
                }
                "view" => {
                    let dims: Vec<usize> = value
                        .split(',')
                        .map(|d| int(d).ok().filter(|&d| d >= 1).map(|d| d - 1))
                        .collect::<Option<_>>()
                        .ok_or_else(|| format!("'{value}' is not two latent numbers like 1,3"))?;
                    match dims[..] {
                        [a, b] => state.view = Some((a, b)),
                        _ => return Err(format!("'{value}' is not two latent numbers like 1,3")),
                    }
                }
                "compare" => state.compare = Some(CompareOverrides::from_link(value)?),
                "text" => match value {
                    "large" => state.large_text = true,
                    "normal" => state.large_text = false,
                    _ => {
                        return Err(format!(
                            "unknown text size '{value}' (valid: large, normal)"
                        ))
                    }
                },
                _ => return Err("unknown setting".into()),
            }
            Ok(())
        })();
        if let Err(e) = ok {
            ignored.push(format!("{key}: {e}"));
        }
    }
    if let Some(name) = prior {
        match prior_by_name(&name, state.config.latents) {
            Ok(p) => state.config.prior = p,
            Err(e) => ignored.push(format!("prior: {e}")),
        }
    }
    if let Some((a, b)) = state.view {
        let k = state.config.latents;
        if a >= k || b >= k || a == b {
            ignored.push(format!(
                "view: latents {},{} are not two different latents of {k}",
                a + 1,
                b + 1
            ));
            state.view = None;
        }
    }
    if let Some(o) = state.compare {
        if let Err(e) = o.apply(&state.config) {
            ignored.push(format!("compare: {e}"));
            state.compare = None;
        }
    }
    // A link whose settings do not fit together falls back to the defaults as a whole.
    if let Err(e) = state.config.validate() {
        ignored.push(format!(
            "the settings do not fit together ({e}); defaults are used"
        ));
        state.config = TrainConfig::default();
    }
    (state, ignored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_round_trips_every_setting() {
        let mut config = TrainConfig {
            dataset: DatasetKind::Dsprites,
            model: ModelKind::BetaTcvae,
            ..TrainConfig::default()
        };
        config.weights.beta = 6.5;
        config.seed = 42;
        config.latents = 8;
        config.estimator = Estimator::Mws;
        config.subset = "shapes:heart,scales:0-5,orients:10,stride:2"
            .parse()
            .unwrap();
        let state = LinkState {
            config,
            backend: Some(BackendChoice::Flex),
            hidden: vec!["beta".into()],
            view: Some((2, 5)),
            large_text: true,
            compare: Some(CompareOverrides {
                model: ModelKind::BetaVae,
                alpha: None,
                beta: Some(1.5),
            }),
        };
        let (back, ignored) = decode(&format!("#{}", encode(&state)));
        assert!(ignored.is_empty(), "{ignored:?}");
        assert_eq!(back, state);
    }

    #[test]
    fn a_malformed_link_opens_with_defaults_and_names_what_was_ignored() {
        let (state, ignored) = decode("#model=gan&beta=abc&seed=7&colour=red&hide=everything");
        assert_eq!(state.config.seed, 7, "the good keys are kept");
        assert_eq!(state.config.model, TrainConfig::default().model);
        assert_eq!(ignored.len(), 4, "{ignored:?}");
        assert!(ignored[0].starts_with("model:") && ignored[0].contains("beta-vae"));
        assert!(ignored
            .iter()
            .any(|m| m.starts_with("colour: unknown setting")));
        // Settings that do not fit together fall back to defaults as a whole.
        let (state, ignored) = decode("model=ivae&data=pinwheel");
        assert_eq!(state.config, TrainConfig::default());
        assert!(ignored[0].contains("do not fit together"));
        // A negative weight is refused.
        let (state, ignored) = decode("beta=-3");
        assert_eq!(state.config.weights, TrainConfig::default().weights);
        assert_eq!(ignored.len(), 1);
        // A view of latents the model does not have, or a bad text size, is refused.
        let (state, ignored) = decode("latents=2&view=1,5&text=huge&compare=ivae");
        assert_eq!(
            (state.view, state.large_text, state.compare),
            (None, false, None)
        );
        assert_eq!(ignored.len(), 3, "{ignored:?}");
    }
}
