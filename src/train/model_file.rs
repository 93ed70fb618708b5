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
//! settings cannot be used or do not match its parameters. The container (this part) has no
//! burn dependency, so the page can name a download from its header; saving and loading a
//! [`Trainer`](super::Trainer) need the `train` feature.

use serde::{Deserialize, Serialize};

use super::TrainConfig;

/// The first eight bytes of every model file.
pub const MAGIC: &[u8; 8] = b"DLABMODL";
/// The format version this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;
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

/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), as in zip and PNG.
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
    let header: Header = serde_json::from_slice(&body[16..header_end])
        .map_err(|e| RefuseReason::Mismatch(format!("its settings cannot be read ({e})")))?;
    header
        .config
        .validate()
        .map_err(|e| RefuseReason::Mismatch(format!("its settings are not valid ({e})")))?;
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

#[cfg(feature = "train")]
pub use with_burn::{load, save};

#[cfg(feature = "train")]
mod with_burn {
    use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
    use burn::prelude::*;
    use burn::store::ModuleRecord;

    use super::{decode, encode, Header, RefuseReason};
    use crate::train::trainer::read_f32;
    use crate::train::Trainer;

    /// Writes the trainer's model (and FactorVAE's discriminator) with its configuration and
    /// step. The parameters are read back asynchronously first, so this works on WebGPU in
    /// the page, where synchronous readback is not allowed.
    pub async fn save(trainer: &Trainer) -> Result<Vec<u8>, String> {
        let saved = trainer.saved_model();
        // One transfer: every float parameter, flattened and concatenated.
        let mut gather = Gather(Vec::new());
        saved.visit(&mut gather);
        let flat = if gather.0.is_empty() {
            Vec::new()
        } else {
            read_f32(Tensor::cat(gather.0, 0))
                .await
                .map_err(|e| e.to_string())?
        };
        // The same module on the host CPU, where reading the record is synchronous and cheap.
        let cpu = Device::flex();
        let mut scatter = Scatter {
            values: &flat,
            offset: 0,
            device: cpu,
        };
        let on_cpu = saved.map(&mut scatter);
        let record = on_cpu
            .into_record()
            .into_bytes()
            .map_err(|e| format!("cannot write the model's parameters: {e}"))?;
        let header = Header {
            config: trainer.config().clone(),
            step: trainer.step_count(),
            written_by: concat!("disentangle-lab ", env!("CARGO_PKG_VERSION")).to_string(),
        };
        encode(&header, &record)
    }

    /// Reads a model file and builds a trainer from it on `device`, at the saved step.
    /// Adam's moments are not saved, so the optimiser starts afresh when training goes on.
    pub fn load(bytes: &[u8], device: &Device) -> Result<Trainer, RefuseReason> {
        let parts = decode(bytes)?;
        let mut trainer = Trainer::new(parts.header.config.clone(), device)
            .map_err(|e| RefuseReason::Mismatch(format!("its settings cannot be used ({e})")))?;
        let record = ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(parts.record))
            .map_err(|e| RefuseReason::Corrupt(format!("its parameters cannot be read: {e}")))?;
        let loaded = trainer.saved_model().try_load_record(record).map_err(|e| {
            RefuseReason::Mismatch(format!(
                "its parameters do not fit its settings ({})",
                short(&e.to_string())
            ))
        })?;
        trainer.restore(loaded, parts.header.step);
        Ok(trainer)
    }

    /// The first 200 characters of a long burn message.
    fn short(s: &str) -> String {
        match s.char_indices().nth(200) {
            Some((i, _)) => format!("{}…", &s[..i]),
            None => s.to_string(),
        }
    }

    /// Collects every float parameter, flattened, in visiting order.
    struct Gather(Vec<Tensor<1>>);

    impl ModuleVisitor for Gather {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let t = param.val();
            let n = t.shape().num_elements();
            self.0.push(t.reshape([n]));
        }
    }

    /// Replaces every float parameter, in the same order, by its values on `device`.
    struct Scatter<'a> {
        values: &'a [f32],
        offset: usize,
        device: Device,
    }

    impl ModuleMapper for Scatter<'_> {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            let (values, offset, device) = (self.values, &mut self.offset, &self.device);
            param.map(|t| {
                let shape = t.shape();
                let n = shape.num_elements();
                let data = TensorData::new(values[*offset..*offset + n].to_vec(), shape);
                *offset += n;
                Tensor::from_data(data, device)
            })
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;
        use crate::train::model_file::{crc32, FORMAT_VERSION, MAGIC};
        use crate::train::{ModelKind, TrainConfig};

        fn trained(config: TrainConfig, steps: usize) -> Trainer {
            let mut t = Trainer::new(config, &Device::flex()).unwrap();
            for _ in 0..steps {
                t.step();
            }
            pollster::block_on(t.snapshot(0)).unwrap();
            t
        }

        /// Encoder means and log-variances and decoder outputs of the shown points.
        fn outputs(t: &Trainer) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
            let vae = t.model_ref().vae.valid();
            let x = t.shown_ref().0.clone().inner().narrow(0, 0, 16);
            let (mu, logvar) = vae.encode(x);
            let decoded = vae.decode(mu.clone());
            let read = |t: Tensor<2>| t.into_data().try_to_vec::<f32>().unwrap();
            (read(mu), read(logvar), read(decoded))
        }

        #[test]
        fn a_loaded_model_gives_identical_outputs_and_keeps_its_settings_and_step() {
            let config = TrainConfig {
                seed: 3,
                ..TrainConfig::default()
            };
            let t = trained(config.clone(), 7);
            let bytes = pollster::block_on(save(&t)).unwrap();
            assert_eq!(&bytes[..8], MAGIC);
            let back = load(&bytes, &Device::flex()).unwrap();
            assert_eq!(back.step_count(), 7);
            assert_eq!(back.config(), &config);
            assert_eq!(outputs(&back), outputs(&t));
            // A fresh model of the same settings differs: the parameters were really loaded.
            let fresh = Trainer::new(config, &Device::flex()).unwrap();
            assert_ne!(outputs(&fresh).0, outputs(&t).0);
        }

        #[test]
        fn factor_vae_keeps_its_discriminator_and_training_goes_on() {
            let config = TrainConfig {
                model: ModelKind::FactorVae,
                ..TrainConfig::default()
            };
            let t = trained(config, 3);
            let bytes = pollster::block_on(save(&t)).unwrap();
            let mut back = load(&bytes, &Device::flex()).unwrap();
            assert_eq!(outputs(&back), outputs(&t));
            back.step();
            let snap = pollster::block_on(back.snapshot(0)).unwrap();
            assert_eq!(snap.step, 4);
            assert_eq!(snap.curves.first_step, 3);
        }

        #[test]
        fn a_file_that_is_not_a_model_is_refused() {
            let png = b"\x89PNG\r\n\x1a\n0000000000000000";
            let err = load(png, &Device::flex()).err().unwrap();
            assert_eq!(err, RefuseReason::NotAModelFile);
            assert!(err.to_string().contains("not a Disentangle Lab model file"));
            assert_eq!(
                load(b"", &Device::flex()).err().unwrap(),
                RefuseReason::NotAModelFile
            );
        }

        #[test]
        fn a_newer_format_version_is_refused_by_number() {
            let t = trained(TrainConfig::default(), 1);
            let mut bytes = pollster::block_on(save(&t)).unwrap();
            bytes[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
            let err = load(&bytes, &Device::flex()).err().unwrap();
            assert_eq!(err, RefuseReason::NewerVersion(FORMAT_VERSION + 1));
            assert!(err.to_string().contains("newer"), "{err}");
        }

        #[test]
        fn a_flipped_byte_or_a_truncated_file_is_corrupt() {
            let t = trained(TrainConfig::default(), 1);
            let bytes = pollster::block_on(save(&t)).unwrap();
            let mut flipped = bytes.clone();
            let mid = bytes.len() / 2;
            flipped[mid] ^= 0x40;
            let err = load(&flipped, &Device::flex()).err().unwrap();
            assert!(matches!(err, RefuseReason::Corrupt(_)), "{err:?}");
            assert!(err.to_string().contains("checksum"), "{err}");
            let err = load(&bytes[..bytes.len() - 10], &Device::flex())
                .err()
                .unwrap();
            assert!(matches!(err, RefuseReason::Corrupt(_)), "{err:?}");
        }

        /// Rewrites a file's header with `edit` and a correct checksum.
        fn with_header(bytes: &[u8], edit: impl Fn(&mut Header)) -> Vec<u8> {
            let parts = decode(bytes).unwrap();
            let mut header = parts.header;
            edit(&mut header);
            encode(&header, &parts.record).unwrap()
        }

        #[test]
        fn settings_that_do_not_fit_the_parameters_are_refused() {
            let t = trained(TrainConfig::default(), 1);
            let bytes = pollster::block_on(save(&t)).unwrap();
            // Three latents in the header, parameters of a two-latent model.
            let wrong = with_header(&bytes, |h| h.config.latents = 3);
            let err = load(&wrong, &Device::flex()).err().unwrap();
            assert!(matches!(err, RefuseReason::Mismatch(_)), "{err:?}");
            assert!(err.to_string().contains("do not fit"), "{err}");
            // A header that is not valid settings at all.
            let invalid = with_header(&bytes, |h| h.config.lr = -1.0);
            let err = load(&invalid, &Device::flex()).err().unwrap();
            assert!(matches!(err, RefuseReason::Mismatch(_)), "{err:?}");
            // A header that is not JSON (checksum fixed up, so only the header is wrong).
            let mut garbled = bytes[..bytes.len() - 4].to_vec();
            garbled[16] = b'!';
            let crc = crc32(&garbled);
            garbled.extend_from_slice(&crc.to_le_bytes());
            let err = load(&garbled, &Device::flex()).err().unwrap();
            assert!(err.to_string().contains("cannot be read"), "{err}");
        }

        #[test]
        fn crc32_matches_the_standard_check_value() {
            // The CRC-32/ISO-HDLC check value of "123456789".
            assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        }
    }
}
