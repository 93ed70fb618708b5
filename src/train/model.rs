//! The trainable generative model: the VAE plus, for iVAE, its conditional prior p(z|u).
//! (FactorVAE's discriminator has its own optimiser, so it lives beside this, not in it.)

use burn::prelude::*;

use crate::model::vae::Vae;
use crate::objective::ivae::ConditionalPrior;

/// Everything the main optimiser updates.
#[derive(Module, Debug)]
pub struct TrainModel {
    /// Encoder and decoder.
    pub vae: Vae,
    /// iVAE's learned prior p(z|u); `None` for the other models.
    pub cond_prior: Option<ConditionalPrior>,
}
