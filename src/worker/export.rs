//! Saving and loading model files in the worker: the page asks with [`ToWorker::SaveModel`]
//! and [`ToWorker::LoadModel`]; the work happens between steps, like every other command.
//!
//! [`ToWorker::SaveModel`]: crate::protocol::ToWorker::SaveModel
//! [`ToWorker::LoadModel`]: crate::protocol::ToWorker::LoadModel

use burn::prelude::Device;

use super::post;
use crate::protocol::FromWorker;
use crate::train::control::{Control, Load};
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

/// Sends the current model to the page as a checkpoint, to restart from after a failure.
pub(super) async fn checkpoint(trainer: &Trainer) {
    match model_file::save(trainer).await {
        Ok(bytes) => post(&FromWorker::Checkpoint {
            step: trainer.step_count(),
            bytes,
        }),
        Err(e) => post(&FromWorker::Error(format!(
            "cannot keep a copy of the model: {e}"
        ))),
    }
}

/// Builds a trainer from the model file the page sent, once a device is ready. Posts
/// [`FromWorker::ModelLoaded`] (a file the user chose) or [`FromWorker::Resumed`] (a
/// checkpoint) and returns the trainer, or says why not and returns `None` (the current model
/// stays).
pub(super) fn load_if_sent(control: &mut Control, device: Option<&Device>) -> Option<Trainer> {
    let device = device?;
    let (bytes, why) = control.load_model.take()?;
    match (model_file::load(&bytes, device), why) {
        (Ok(t), Load::File) => {
            control.stop();
            post(&FromWorker::ModelLoaded {
                config: Box::new(t.config().clone()),
                step: t.step_count(),
            });
            Some(t)
        }
        (Ok(t), Load::Resume) => {
            post(&FromWorker::Resumed {
                step: t.step_count(),
            });
            Some(t)
        }
        (Err(e), Load::File) => {
            post(&FromWorker::ModelRefused(e.to_string()));
            None
        }
        (Err(e), Load::Resume) => {
            post(&FromWorker::Error(format!(
                "the last saved state could not be taken up again ({e}); training starts again from step 0"
            )));
            None
        }
    }
}
