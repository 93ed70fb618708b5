//! Share links: the whole run configuration in the URL's fragment, like TensorFlow
//! Playground's `state.ts`. Run settings go in by their schema key and text
//! ([`super::schema`]); the page's own view (hidden controls, the plotted latents, large text,
//! an A/B comparison) has four more keys. Decoding never fails: what cannot be used is
//! listed, and everything else keeps its default.

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use super::compare::CompareOverrides;
use super::config::TrainConfig;
use super::schema::{self, Field, Range, FIELDS};
use super::text;

/// What a link holds besides the run configuration.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LinkState {
    /// The run configuration (the backend and speed included).
    pub config: TrainConfig,
    /// Control ids a teacher chose to hide (e.g. `beta`, `model-select`).
    pub hidden: Vec<String>,
    /// The latent pair the posterior panel shows (`None`: the first two).
    pub view: Option<(usize, usize)>,
    /// Large text for projectors.
    pub large_text: bool,
    /// An A/B comparison: how run B differs.
    pub compare: Option<CompareOverrides>,
}

/// The link keys of the page's view, beside the schema's settings.
pub const VIEW_KEYS: [&str; 4] = ["hide", "view", "text", "compare"];

/// Most `key=value` pairs a link is read for; the rest are counted as ignored.
const MAX_PAIRS: usize = 200;

/// Characters escaped in a value: the separators of the fragment and of percent-escapes.
/// Everything else a setting's text uses (`,;:.-`) stays readable.
const VALUE: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'=')
    .add(b'<')
    .add(b'>')
    .add(b'`');

/// The latent pair the posterior panel shows unless told otherwise: the first two (the only
/// one, twice, for a single latent).
pub fn default_view(latents: usize) -> (usize, usize) {
    (0, 1.min(latents.saturating_sub(1)))
}

/// The page's id of a setting's control: `KEY-select` for a menu, `KEY` for the others.
pub fn control_id(f: &Field) -> String {
    match f.range {
        Range::Choice(_) => format!("{}-select", f.key),
        _ => f.key.to_string(),
    }
}

/// Whether a link may hide the control with this id.
pub fn hideable(id: &str) -> bool {
    FIELDS.iter().any(|f| control_id(f) == id)
}

/// Encodes `state` as `key=value&…`: the settings that differ from the data set's defaults
/// (the data set, model and seed always), then the page's view where it is not the default.
pub fn encode(state: &LinkState) -> String {
    let mut parts: Vec<String> = schema::differing(&state.config)
        .into_iter()
        .map(|(f, v)| {
            let value = schema::value_text(&v);
            format!("{}={}", f.key, utf8_percent_encode(&value, VALUE))
        })
        .collect();
    if !state.hidden.is_empty() {
        parts.push(format!("hide={}", state.hidden.join(",")));
    }
    if let Some((a, b)) = state
        .view
        .filter(|&v| v != default_view(state.config.latents))
    {
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

/// Decodes a link (with or without a leading `#`); returns the state and one message per key
/// that was ignored (unknown, malformed, out of range, or settings that do not fit together),
/// so the page can say so. Never panics, whatever the text.
pub fn decode(text: &str) -> (LinkState, Vec<String>) {
    let mut ignored = Vec::new();
    let mut settings: Vec<(String, serde_json::Value)> = Vec::new();
    let mut view: Vec<(String, String)> = Vec::new();
    let body = text.trim().trim_start_matches('#');
    let mut pairs = form_urlencoded::parse(body.as_bytes()).filter(|(k, _)| !k.is_empty());
    for (k, v) in pairs.by_ref().take(MAX_PAIRS) {
        let (k, v) = (k.into_owned(), v.into_owned());
        if VIEW_KEYS.contains(&k.as_str()) {
            view.push((k, v));
            continue;
        }
        match schema::field(&k) {
            None => ignored.push(format!("{}: unknown setting", text::clip(&k, 40))),
            Some(f) => match f.parse(&v) {
                Ok(value) => settings.push((k, value)),
                Err(e) => ignored.push(format!("{k}: {e}")),
            },
        }
    }
    let rest = pairs.count();
    if rest > 0 {
        ignored.push(format!(
            "{rest} more settings past the first {MAX_PAIRS} were not read"
        ));
    }
    let mut state = LinkState::default();
    match schema::from_values(&settings, false) {
        Ok((config, skipped)) => {
            state.config = config;
            ignored.extend(skipped);
        }
        Err(e) => ignored.push(format!(
            "the settings do not fit together ({e}); defaults are used"
        )),
    }
    for (k, v) in view {
        if let Err(e) = apply_view(&mut state, &k, &v) {
            ignored.push(format!("{k}: {e}"));
        }
    }
    (state, ignored)
}

/// Applies one of the page's view keys to `state` (whose configuration is already decoded).
fn apply_view(state: &mut LinkState, key: &str, value: &str) -> Result<(), String> {
    let shown = || text::clip(value, 40);
    match key {
        "hide" => {
            for id in value.split(',').filter(|s| !s.is_empty()) {
                if !hideable(id) {
                    return Err(format!("cannot hide '{}'", text::clip(id, 40)));
                }
                if !state.hidden.iter().any(|h| h == id) {
                    state.hidden.push(id.to_string());
                }
            }
            Ok(())
        }
        "view" => {
            let dims: Option<Vec<usize>> = value
                .split(',')
                .map(|d| d.trim().parse::<usize>().ok().filter(|&d| d >= 1))
                .collect();
            let k = state.config.latents;
            match dims.as_deref() {
                Some(&[a, b]) if a != b && a <= k && b <= k => {
                    state.view = Some((a - 1, b - 1));
                    Ok(())
                }
                // One latent has nothing to pair with: the panel shows it alone.
                Some(&[1, 1]) if k == 1 => {
                    state.view = Some((0, 0));
                    Ok(())
                }
                _ => Err(format!(
                    "'{}' is not two different latents of {k}, like 1,2",
                    shown()
                )),
            }
        }
        "text" => match value {
            "large" => {
                state.large_text = true;
                Ok(())
            }
            "normal" => {
                state.large_text = false;
                Ok(())
            }
            _ => Err(format!(
                "unknown text size '{}' (valid: large, normal)",
                shown()
            )),
        },
        "compare" => {
            let o = CompareOverrides::from_link(value)?;
            o.apply(&state.config)?;
            state.compare = Some(o);
            Ok(())
        }
        _ => Err("unknown setting".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::subset::DspritesSubset;
    use crate::rng::Rng;
    use crate::settings::choice::*;
    use crate::settings::Prior;

    #[test]
    fn a_link_round_trips_settings_and_view() {
        let mut config = TrainConfig::for_dataset(DatasetKind::Dsprites);
        config.model = ModelKind::BetaTcvae;
        config.weights.beta = 6.5;
        config.seed = 42;
        config.latents = 8;
        config.estimator = Estimator::Mss; // not dSprites' default, so the link carries it
        config.image_net = ImageNet::Mlp;
        config.hidden = vec![128, 128];
        config.optimizer = OptimizerKind::Amsgrad;
        config.backend = BackendPref::Flex;
        config.subset = "shapes:heart,scales:0-5,orients:10,stride:2"
            .parse()
            .unwrap();
        let state = LinkState {
            config,
            hidden: vec!["beta".into()],
            view: Some((2, 5)),
            large_text: true,
            compare: Some(CompareOverrides {
                model: ModelKind::BetaVae,
                alpha: None,
                beta: Some(1.5),
            }),
        };
        let link = encode(&state);
        assert!(
            link.starts_with("dataset=dsprites&model=beta-tcvae&"),
            "{link}"
        );
        assert!(link.contains("hidden=128,128"), "{link}");
        assert!(link.contains("estimator=mss"), "{link}");
        assert!(link.contains("optimizer=amsgrad"), "{link}");
        let (back, ignored) = decode(&format!("#{link}"));
        assert!(ignored.is_empty(), "{ignored:?}");
        assert_eq!(back, state);
    }

    /// A random valid configuration: every setting drawn from its range.
    fn random_config(rng: &mut Rng) -> TrainConfig {
        let pick = |rng: &mut Rng, n: usize| rng.below(n as u64) as usize;
        let dataset = DatasetKind::ALL[pick(rng, 3)];
        let mut c = TrainConfig::for_dataset(dataset);
        loop {
            c.model = ModelKind::ALL[pick(rng, ModelKind::ALL.len())];
            if crate::settings::config::model_runs_on(c.model, dataset) {
                break;
            }
        }
        c.seed = rng.next_u64();
        c.lr = 10f64.powf(rng.uniform_range(-6.0, 0.0));
        c.batch = 2 + pick(rng, 1000);
        c.latents = 1 + pick(rng, 32);
        c.hidden = (0..1 + pick(rng, 8)).map(|_| 1 + pick(rng, 4096)).collect();
        c.weights.alpha = rng.uniform_range(0.0, 200.0);
        c.weights.beta = (pick(rng, 40) as f64) / 4.0;
        c.weights.gamma = rng.uniform_range(0.0, 200.0);
        c.image_net = ImageNet::ALL[pick(rng, 2)];
        c.conv = ConvSize::ALL[pick(rng, 2)];
        c.estimator = Estimator::ALL[pick(rng, 2)];
        c.divergence = Divergence::ALL[pick(rng, 2)];
        c.backend = BackendPref::ALL[pick(rng, 4)];
        c.speed = Speed::ALL[pick(rng, 3)];
        c.ivae.segments = 1 + pick(rng, 100);
        c.ivae.per_segment = 1 + pick(rng, 1000);
        c.ivae.dim = 1 + pick(rng, 10);
        c.ivae.layers = 1 + pick(rng, 10);
        c.ivae.segment_means = pick(rng, 2) == 1;
        c.activation = Activation::ALL[pick(rng, 2)];
        c.encoder_std = EncoderStd::ALL[pick(rng, 2)];
        c.encoder_heads = EncoderHeads::ALL[pick(rng, 2)];
        c.decoder_std = DecoderStd::ALL[pick(rng, 2)];
        c.optimizer = OptimizerKind::ALL[pick(rng, 2)];
        c.lr_schedule = LrSchedule::ALL[pick(rng, 2)];
        c.pinwheel = PinwheelVariant::ALL[pick(rng, 2)];
        c.ivae_prior = IvaePrior::ALL[pick(rng, 2)];
        c.ivae_weights = [0; 4].map(|_| rng.uniform_range(0.0, 1000.0));
        let shapes = ["square", "ellipse", "heart", "square.heart"][pick(rng, 4)];
        let spec = format!(
            "shapes:{shapes},scales:{}-5,orients:{},stride:{}",
            pick(rng, 6),
            1 + pick(rng, 39),
            1 + pick(rng, 31)
        );
        c.subset = spec.parse::<DspritesSubset>().unwrap();
        let k = c.latents;
        c.prior = match pick(rng, 4) {
            0 => Prior::Normal,
            1 => Prior::Anisotropic {
                scales: (0..k).map(|_| rng.uniform_range(0.01, 10.0)).collect(),
            },
            2 => Prior::StudentT {
                nu: rng.uniform_range(0.5, 50.0),
            },
            _ => {
                c.latents = 2;
                Prior::Mixture {
                    means: (0..1 + pick(rng, 8))
                        .map(|_| vec![rng.uniform_range(-3.0, 3.0), rng.normal()])
                        .collect(),
                    std: rng.uniform_range(0.01, 2.0),
                }
            }
        };
        c
    }

    #[test]
    fn every_valid_configuration_round_trips_through_a_link_and_json() {
        let mut rng = Rng::new(2024);
        for _ in 0..2000 {
            let config = random_config(&mut rng);
            config.validate().unwrap();
            let state = LinkState {
                config,
                ..LinkState::default()
            };
            let link = encode(&state);
            let (back, ignored) = decode(&link);
            assert!(ignored.is_empty(), "{link}: {ignored:?}");
            assert_eq!(back, state, "{link}");
            let json = serde_json::to_string(&state.config).unwrap();
            assert_eq!(
                serde_json::from_str::<TrainConfig>(&json).unwrap(),
                state.config
            );
        }
    }

    #[test]
    fn any_text_decodes_without_panicking_to_valid_settings() {
        let mut rng = Rng::new(7);
        let alphabet: Vec<char> = "abz=&#%,;:.-_019eE+ αβ\u{0}\u{ffff}".chars().collect();
        let good = encode(&LinkState::default());
        for i in 0..3000 {
            let text: String = if i % 2 == 0 {
                (0..rng.below(120))
                    .map(|_| alphabet[rng.below(alphabet.len() as u64) as usize])
                    .collect()
            } else {
                // A valid link with a few characters changed.
                let mut chars: Vec<char> = good.chars().collect();
                for _ in 0..1 + rng.below(4) {
                    let at = rng.below(chars.len() as u64) as usize;
                    chars[at] = alphabet[rng.below(alphabet.len() as u64) as usize];
                }
                chars.into_iter().collect()
            };
            let (state, _) = decode(&text);
            state.config.validate().unwrap();
        }
    }

    #[test]
    fn a_malformed_link_opens_with_defaults_and_names_what_was_ignored() {
        let (state, ignored) = decode("#model=gan&beta=abc&seed=7&colour=red&hide=everything");
        assert_eq!(state.config.seed, 7, "the good keys are kept");
        assert_eq!(state.config.model, TrainConfig::default().model);
        assert_eq!(ignored.len(), 4, "{ignored:?}");
        assert!(ignored
            .iter()
            .any(|m| m.starts_with("model:") && m.contains("beta-vae")));
        assert!(ignored.iter().any(|m| m == "colour: unknown setting"));
        // Settings that do not fit together fall back to the defaults as a whole.
        let (state, ignored) = decode("model=ivae&dataset=pinwheel");
        assert_eq!(state.config, TrainConfig::default());
        assert!(ignored[0].contains("do not fit together"), "{ignored:?}");
        // A negative weight or an absurd size is refused, naming it.
        let (state, ignored) = decode("beta=-3&segments=4294967295");
        assert_eq!(state.config, TrainConfig::default());
        assert_eq!(ignored.len(), 2, "{ignored:?}");
        // A view of latents the model does not have, or a bad text size, is refused.
        let (state, ignored) = decode("latents=2&view=1,5&text=huge&compare=ivae");
        assert_eq!(
            (state.view, state.large_text, state.compare),
            (None, false, None)
        );
        assert_eq!(ignored.len(), 3, "{ignored:?}");
        // One latent: the default view is fine and round-trips.
        let one = LinkState {
            config: TrainConfig {
                latents: 1,
                ..TrainConfig::default()
            },
            view: Some((0, 0)),
            ..LinkState::default()
        };
        let (back, ignored) = decode(&encode(&one));
        assert!(ignored.is_empty(), "{ignored:?}");
        assert_eq!(back.config.latents, 1);
    }

    #[test]
    fn thousands_of_unknown_keys_are_counted_not_listed() {
        let link: Vec<String> = (0..2000).map(|i| format!("k{i}=1")).collect();
        let (state, ignored) = decode(&link.join("&"));
        assert_eq!(state.config, TrainConfig::default());
        assert_eq!(ignored.len(), MAX_PAIRS + 1);
        assert!(ignored.last().unwrap().contains("1800 more"));
    }

    #[test]
    fn escaped_values_decode() {
        let (state, ignored) = decode("hidden=256%2C128&lr=1e-4");
        assert!(ignored.is_empty(), "{ignored:?}");
        assert_eq!(state.config.hidden, vec![256, 128]);
        assert_eq!(state.config.lr, 1e-4);
    }
}
