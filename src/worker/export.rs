//! Saving and loading model files in the worker: the page asks with [`ToWorker::SaveModel`]
//! and [`ToWorker::LoadModel`]; the work happens between steps, like every other command.
//!
//! [`ToWorker::SaveModel`]: crate::protocol::ToWorker::SaveModel
//! [`ToWorker::LoadModel`]: crate::protocol::ToWorker::LoadModel

use burn::prelude::Device;

use super::post;
use crate::protocol::FromWorker;
use crate::train::control::Control;
use crate::train::{model_file, Trainer};

/// Writes the current model as a model file and posts it, if the page asked for one.
pub(super) async fn save_if_asked(control: &mut Control, trainer: Option<&Trainer>) {
    if !std::mem::take(&mut control.save_model) {
        return;
    }
    match trainer {
        Some(t) => match model_file::save(t).await {
            Ok(bytes) => post(&FromWorker::ModelFile(bytes)),
            Err(e) => post(&FromWorker::Error(format!("cannot save the model: {e}"))),
        },
        None => post(&FromWorker::Error(
            "there is no model to save yet: wait for the worker to start".into(),
        )),
    }
}

/// Builds a trainer from the model file the page sent, once a device is ready. Posts
/// [`FromWorker::ModelLoaded`] and returns the trainer, or posts [`FromWorker::ModelRefused`]
/// and returns `None` (the current model stays).
pub(super) fn load_if_sent(control: &mut Control, device: Option<&Device>) -> Option<Trainer> {
    let device = device?;
    let bytes = control.load_model.take()?;
    match model_file::load(&bytes, device) {
        Ok(t) => {
            control.stop();
            post(&FromWorker::ModelLoaded {
                config: Box::new(t.config().clone()),
                step: t.step_count(),
            });
            Some(t)
        }
        Err(e) => {
            post(&FromWorker::ModelRefused(e.to_string()));
            None
        }
    }
}
