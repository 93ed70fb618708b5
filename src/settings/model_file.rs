//! The saved-model file (`.dlab`): a trained model that can be loaded back, in the page or the
//! CLI, with the configuration it was trained with.
//!
//! Layout (integers little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 8 | magic `DLABMODL` |
//! | 4 | format version (u32, [`FORMAT_VERSION`]) |
//! | 4 | header length H (u32) |
//! | H | header: JSON [`Header`] (training configuration, step) |
//! | 8 | record length R (u64) |
//! | R | burn record bytes (burnpack) of the model's parameters |
//! | 4 | CRC-32 (IEEE) of everything before it |
//!
//! Reading refuses, each with a message for the user: a file that is not a model file (wrong
//! magic), one written by a newer version, a corrupt one (checksum or lengths), and one whose
//! settings cannot be used or do not match its parameters. The container (this module) has no
//! burn dependency, so the page can name a download from its header; saving and loading a
//! trainer are in `train::model_file`.
//!
//! The header's settings are the schema's JSON form ([`super::schema`]), so they are checked
//! against the same ranges as every other input before a model is built from them.

use serde::{Deserialize, Serialize};

use super::config::TrainConfig;

/// The first eight bytes of every model file.
pub const MAGIC: &[u8; 8] = b"DLABMODL";
/// The format version this build writes and the only one it reads. Version 1 (before the
/// settings schema) wrote its settings in another form; version 2 lacked the network,
/// optimiser and iVAE settings of the lessons (and held the iVAE's prior as a table only).
pub const FORMAT_VERSION: u32 = 3;
/// The most optimisation steps a file may claim: far beyond any run, well inside a `u64`.
pub const MAX_STEP: u64 = 1_000_000_000_000;
/// The usual file-name extension.
pub const EXTENSION: &str = "dlab";

/// What the header of a model file says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// The training configuration the parameters belong to (weights and lr as last used).
    pub config: TrainConfig,
    /// Optimisation steps the model was trained for.
    pub step: u64,
    /// The program that wrote it, e.g. `disentangle-lab 0.1.0` (informative only).
    pub written_by: String,
}

/// Why a file was refused.
#[derive(Clone, Debug, PartialEq)]
pub enum RefuseReason {
    /// Wrong magic bytes: some other file.
    NotAModelFile,
    /// A format version this build cannot read.
    NewerVersion(u32),
    /// A format version from before this build's settings form.
    OlderVersion(u32),
    /// The checksum or the lengths do not add up.
    Corrupt(String),
    /// The header is readable, but its settings cannot be used or do not fit the parameters.
    Mismatch(String),
}

impl std::fmt::Display for RefuseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RefuseReason::NotAModelFile => {
                write!(f, "this is not a Disentangle Lab model file (.{EXTENSION})")
            }
            RefuseReason::NewerVersion(v) => write!(
                f,
                "this model file has format version {v}, made by a newer Disentangle Lab; this \
                 version reads up to {FORMAT_VERSION}"
            ),
            RefuseReason::OlderVersion(v) => write!(
                f,
                "this model file has format version {v}, made by an earlier Disentangle Lab \
                 whose settings this version does not read; train it again here"
            ),
            RefuseReason::Corrupt(why) => {
                write!(f, "this model file is damaged ({why}); nothing was loaded")
            }
            RefuseReason::Mismatch(why) => write!(f, "this model cannot be loaded: {why}"),
        }
    }
}

/// The parts of a model file, checked but not yet applied to a model.
#[derive(Clone, Debug, PartialEq)]
pub struct Parts {
    /// The header.
    pub header: Header,
    /// The burn record bytes.
    pub record: Vec<u8>,
}

/// CRC-32 (IEEE 802.3, as in zip and PNG) of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// Writes a model file from its header and record bytes.
pub fn encode(header: &Header, record: &[u8]) -> Result<Vec<u8>, String> {
    let json = serde_json::to_vec(header).map_err(|e| format!("cannot write the header: {e}"))?;
    let header_len = u32::try_from(json.len()).map_err(|_| "the header is too long".to_string())?;
    let mut out = Vec::with_capacity(8 + 4 + 4 + json.len() + 8 + record.len() + 4);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&header_len.to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(&(record.len() as u64).to_le_bytes());
    out.extend_from_slice(record);
    let crc = crc32(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    Ok(out)
}

/// Checks a model file (magic, version, checksum, lengths, header) and splits it into parts.
/// The settings are validated; whether the record fits them is checked when it is applied.
pub fn decode(bytes: &[u8]) -> Result<Parts, RefuseReason> {
    if bytes.len() < 12 || &bytes[..8] != MAGIC {
        return Err(RefuseReason::NotAModelFile);
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version > FORMAT_VERSION {
        return Err(RefuseReason::NewerVersion(version));
    }
    if version == 0 {
        return Err(RefuseReason::Corrupt(
            "format version 0 does not exist".into(),
        ));
    }
    if version < FORMAT_VERSION {
        return Err(RefuseReason::OlderVersion(version));
    }
    if bytes.len() < 12 + 4 + 8 + 4 {
        return Err(RefuseReason::Corrupt("it is too short".into()));
    }
    let (body, tail) = bytes.split_at(bytes.len() - 4);
    let stored = u32::from_le_bytes(tail.try_into().expect("4 bytes"));
    if crc32(body) != stored {
        return Err(RefuseReason::Corrupt("its checksum does not match".into()));
    }
    let header_len = u32::from_le_bytes(body[12..16].try_into().expect("4 bytes")) as usize;
    let header_end = 16usize
        .checked_add(header_len)
        .filter(|&e| e + 8 <= body.len())
        .ok_or_else(|| RefuseReason::Corrupt("its header length is wrong".into()))?;
    let record_len = u64::from_le_bytes(
        body[header_end..header_end + 8]
            .try_into()
            .expect("8 bytes"),
    );
    if record_len != (body.len() - header_end - 8) as u64 {
        return Err(RefuseReason::Corrupt("its record length is wrong".into()));
    }
    // Deserialising the settings checks each against its range and all of them together.
    let header: Header = serde_json::from_slice(&body[16..header_end]).map_err(|e| {
        RefuseReason::Mismatch(format!(
            "its settings cannot be used ({})",
            super::text::clip(&e.to_string(), 200)
        ))
    })?;
    if header.step > MAX_STEP {
        return Err(RefuseReason::Mismatch(format!(
            "it claims {} steps; at most {MAX_STEP}",
            header.step
        )));
    }
    Ok(Parts {
        header,
        record: body[header_end + 8..].to_vec(),
    })
}

/// A file name for a model: `disentangle-lab-<model>-<data>-step<N>.dlab`.
pub fn file_name(header: &Header) -> String {
    format!(
        "disentangle-lab-{}-{}-step{}.{EXTENSION}",
        header.config.model.key(),
        header.config.dataset.key(),
        header.step
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn file() -> Vec<u8> {
        let header = Header {
            config: TrainConfig::default(),
            step: 12,
            written_by: "test".into(),
        };
        encode(&header, &[7u8; 64]).unwrap()
    }

    /// Rewrites a file's header JSON with `edit` and a correct checksum.
    fn with_header_json(bytes: &[u8], edit: impl Fn(&mut serde_json::Value)) -> Vec<u8> {
        let len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
        let mut json: serde_json::Value = serde_json::from_slice(&bytes[16..16 + len]).unwrap();
        edit(&mut json);
        let text = serde_json::to_vec(&json).unwrap();
        let mut out = bytes[..12].to_vec();
        out.extend_from_slice(&(text.len() as u32).to_le_bytes());
        out.extend_from_slice(&text);
        out.extend_from_slice(&bytes[16 + len..bytes.len() - 4]);
        let crc = crc32(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    #[test]
    fn a_file_round_trips() {
        let parts = decode(&file()).unwrap();
        assert_eq!(parts.header.step, 12);
        assert_eq!(parts.header.config, TrainConfig::default());
        assert_eq!(parts.record, vec![7u8; 64]);
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        // The CRC-32/ISO-HDLC check value of "123456789".
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn other_versions_are_refused_by_number() {
        for (v, want) in [
            (
                FORMAT_VERSION + 1,
                RefuseReason::NewerVersion(FORMAT_VERSION + 1),
            ),
            (1, RefuseReason::OlderVersion(1)),
        ] {
            let mut bytes = file();
            bytes[8..12].copy_from_slice(&v.to_le_bytes());
            assert_eq!(decode(&bytes).unwrap_err(), want);
        }
    }

    #[test]
    fn absurd_settings_or_steps_with_a_valid_checksum_are_refused_by_name() {
        let bytes = file();
        for (key, value, named) in [
            ("segments", serde_json::json!(4294967295u64), "segments"),
            (
                "mixing-layers",
                serde_json::json!(4294967295u64),
                "mixing-layers",
            ),
            (
                "hidden",
                serde_json::json!([1, 2, 3, 4, 5, 6, 7, 8, 9]),
                "hidden",
            ),
            ("latents", serde_json::json!(100000), "latents"),
            ("batch", serde_json::json!(-1), "batch"),
        ] {
            let forged = with_header_json(&bytes, |h| {
                h["config"]["dataset"] = "ivae".into();
                h["config"][key] = value.clone();
            });
            let err = decode(&forged).unwrap_err();
            assert!(matches!(err, RefuseReason::Mismatch(_)), "{key}: {err:?}");
            assert!(err.to_string().contains(named), "{key}: {err}");
        }
        let forged = with_header_json(&bytes, |h| h["step"] = u64::MAX.into());
        assert!(decode(&forged).unwrap_err().to_string().contains("steps"));
    }

    #[test]
    fn random_mutations_are_refused_or_give_valid_settings() {
        // Mutated bytes inside the header, with the checksum recomputed, so the parser (not
        // the checksum) meets them: every result is an error or settings that validate.
        let bytes = file();
        let len = u32::from_le_bytes(bytes[12..16].try_into().unwrap()) as usize;
        let mut rng = Rng::new(11);
        let alphabet = b"0123456789-.e,:[]{}\"abtruefalsnl ";
        let mut accepted = 0;
        for _ in 0..5000 {
            let mut m = bytes[..bytes.len() - 4].to_vec();
            for _ in 0..1 + rng.below(3) {
                let at = 12 + rng.below((len + 4) as u64) as usize;
                m[at] = if rng.below(2) == 0 {
                    alphabet[rng.below(alphabet.len() as u64) as usize]
                } else {
                    rng.below(256) as u8
                };
            }
            let crc = crc32(&m);
            m.extend_from_slice(&crc.to_le_bytes());
            if let Ok(parts) = decode(&m) {
                parts.header.config.validate().unwrap();
                assert!(parts.header.step <= MAX_STEP);
                accepted += 1;
            }
        }
        // Most mutations break the JSON or a range; some (a digit of the seed) are fine.
        assert!(accepted < 5000);
    }
}
