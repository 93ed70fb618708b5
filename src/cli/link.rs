//! `disentangle-lab link encode|decode`: share links outside the page, through the same codec
//! the page uses, so a link can be checked or built from a run's settings.

use std::path::PathBuf;

use serde_json::{json, Value};

use super::CliResult;
use crate::settings::link::{self, LinkState};
use crate::settings::TrainConfig;

/// The `link` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum LinkCmd {
    /// Prints the share-link fragment (without `#`) of a run's settings.
    Encode {
        /// A `run.json` (its `"settings"`) or a JSON object of settings.
        #[arg(long)]
        settings: PathBuf,
    },
    /// Prints `{"settings": {…}, "ignored": [...]}` for a fragment, `settings` in the form of
    /// `run.json`'s (plus `"page"` when the link sets the page's view).
    Decode {
        /// The fragment, with or without its leading `#`.
        fragment: String,
    },
}

/// Runs a `link` subcommand.
pub fn run_link(cmd: LinkCmd) -> CliResult {
    match cmd {
        LinkCmd::Encode { settings } => {
            let text = std::fs::read_to_string(&settings)
                .map_err(|e| format!("cannot read {}: {e}", settings.display()))?;
            println!(
                "{}",
                encode_json(&text).map_err(|e| format!("{}: {e}", settings.display()))?
            );
        }
        LinkCmd::Decode { fragment } => println!("{}", decode_json(&fragment)),
    }
    Ok(())
}

/// The fragment of the settings in `json` (a run's JSON or the settings object itself).
pub fn encode_json(json: &str) -> Result<String, String> {
    let v: Value = serde_json::from_str(json).map_err(|e| format!("not JSON ({e})"))?;
    let settings = v.get("settings").cloned().unwrap_or(v);
    let config: TrainConfig = serde_json::from_value(settings)
        .map_err(|e| format!("the settings cannot be used: {e}"))?;
    Ok(link::encode(&LinkState {
        config,
        ..LinkState::default()
    }))
}

/// What a fragment decodes to, as JSON.
pub fn decode_json(fragment: &str) -> Value {
    let (state, ignored) = link::decode(fragment);
    let mut out = json!({ "settings": state.config, "ignored": ignored });
    let page = LinkState {
        config: state.config.clone(),
        ..LinkState::default()
    };
    if state != page {
        out["page"] = json!({
            "hide": state.hidden,
            "view": state.view.map(|(a, b)| [a + 1, b + 1]),
            "large_text": state.large_text,
            "compare": state.compare.map(|o| o.to_link()),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runs_settings_encode_and_decode_back() {
        let mut c = TrainConfig::for_dataset(crate::settings::DatasetKind::Dsprites);
        c.hidden = vec![256, 256];
        c.image_net = crate::settings::ImageNet::Mlp;
        let run = json!({ "settings": c, "loss": [1.0] }).to_string();
        let fragment = encode_json(&run).unwrap();
        let back = decode_json(&fragment);
        assert_eq!(back["settings"], json!(c));
        assert_eq!(back["ignored"], json!([]));
        assert!(back.get("page").is_none());
        let bad = decode_json("#view=9,9&colour=red");
        assert_eq!(bad["ignored"].as_array().unwrap().len(), 2);
        assert!(encode_json("{\"lr\": 7}").unwrap_err().contains("lr"));
    }
}
