//! The trainer: owns model, optimiser and data; takes steps; reads back snapshots.

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::Distribution;

use super::config::TrainConfig;
use super::snapshot::{Posterior, Snapshot, TermCurves};
use super::source::VectorData;
use crate::model::vae::{Vae, VaeConfig};
use crate::objective::{self, TermName, Weights};
use crate::rng::Rng;

/// Why training stopped.
#[derive(Clone, Debug, PartialEq)]
pub enum TrainError {
    /// A loss term became NaN or infinite; the model was rolled back to `restored_step`.
    NonFinite {
        /// The first step whose terms were not finite.
        step: u64,
        /// The step whose state was restored.
        restored_step: u64,
    },
    /// Reading tensors back from the device failed (e.g. a lost GPU device).
    Readback(String),
}

impl std::fmt::Display for TrainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TrainError::NonFinite { step, restored_step } => write!(
                f,
                "the loss became NaN or infinite at step {step}; training stopped and the model \
                 from step {restored_step} was kept. Try a smaller learning rate or smaller weights."
            ),
            TrainError::Readback(e) => write!(f, "could not read results from the device: {e}"),
        }
    }
}

/// The state last seen to be finite, to roll back to.
struct GoodState {
    model: Vae,
    optim: ModuleOptimizer,
    step: u64,
}

/// Trains one model on one data set, step by step.
pub struct Trainer {
    config: TrainConfig,
    /// The autodiff device everything lives on.
    device: Device,
    /// `None` only transiently inside [`Trainer::step`].
    model: Option<Vae>,
    optim: ModuleOptimizer,
    data: VectorData,
    /// Host-side stream for minibatch offsets.
    rng: Rng,
    step: u64,
    /// Detached `[1, terms]` rows of the steps since the last snapshot.
    pending: Vec<Tensor<2>>,
    last_good: GoodState,
}

impl Trainer {
    /// Builds model, optimiser and data for `config` on `device` (a CPU or wgpu device;
    /// autodiff is added here). Fails with a message if the configuration is invalid.
    pub fn new(config: TrainConfig, device: &Device) -> Result<Self, String> {
        config.validate()?;
        let device = device.clone().autodiff();
        device.seed(config.seed);
        let data = VectorData::load(&config, &device)?;
        let model = VaeConfig::new(data.dim)
            .with_latents(config.latents)
            .with_hidden(config.hidden.clone())
            .init(&device);
        let optim = AdamConfig::new().init();
        let last_good = GoodState { model: model.clone(), optim: optim.clone(), step: 0 };
        Ok(Self {
            rng: Rng::derive(config.seed, 1),
            config,
            device,
            model: Some(model),
            optim,
            data,
            step: 0,
            pending: Vec::new(),
            last_good,
        })
    }

    /// The configuration in force (weights and lr reflect live changes).
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// Steps taken so far.
    pub fn step_count(&self) -> u64 {
        self.step
    }

    /// Changes the objective's weights from the next step on; nothing is rebuilt.
    pub fn set_weights(&mut self, weights: Weights) -> Result<(), String> {
        weights.validate()?;
        self.config.weights = weights;
        Ok(())
    }

    /// Changes the learning rate from the next step on.
    pub fn set_lr(&mut self, lr: f64) -> Result<(), String> {
        TrainConfig { lr, ..self.config.clone() }.validate()?;
        self.config.lr = lr;
        Ok(())
    }

    fn model(&self) -> &Vae {
        self.model.as_ref().expect("model is only taken inside step()")
    }

    /// One optimisation step. Reads nothing back from the device.
    pub fn step(&mut self) {
        let weights = self.config.effective_weights();
        let offset = self.rng.below(self.data.len as u64) as usize;
        // Minibatch (or the full set), already on the device: [batch, D].
        let x = self.data.batch(self.config.batch, offset);
        let model = self.model.take().expect("model present between steps");
        // Encode, sample z by reparameterisation, decode.
        let out = model.forward(x.clone());
        // Weighted loss plus the detached row of named terms.
        let obj = objective::beta_vae(x, &out, &weights);
        // Gradients of the loss with respect to every tracked tensor.
        let grads = obj.loss.backward();
        // Keep only the gradients of the model's parameters.
        let grads = GradientsParams::from_grads(grads, &model);
        // Adam update with the current (possibly just changed) learning rate.
        self.model = Some(self.optim.step(self.config.lr, model, grads));
        self.pending.push(obj.terms);
        self.step += 1;
    }

    /// Reads back the term curves of the steps since the last snapshot (one transfer), and,
    /// if `posterior_points > 0`, one sample of q(z|x) for that many points.
    ///
    /// A non-finite term rolls the model back to the last finite snapshot and returns
    /// [`TrainError::NonFinite`]; the trainer stays usable.
    pub async fn snapshot(&mut self, posterior_points: usize) -> Result<Snapshot, TrainError> {
        let first_step = self.step - self.pending.len() as u64;
        let curves = self.read_curves(first_step).await?;
        if let Some(bad) = first_non_finite(&curves) {
            self.model = Some(self.last_good.model.clone());
            self.optim = self.last_good.optim.clone();
            self.step = self.last_good.step;
            return Err(TrainError::NonFinite {
                step: first_step + bad as u64,
                restored_step: self.last_good.step,
            });
        }
        self.last_good = GoodState {
            model: self.model().clone(),
            optim: self.optim.clone(),
            step: self.step,
        };
        let posterior = if posterior_points > 0 {
            Some(self.sample_posterior(posterior_points).await?)
        } else {
            None
        };
        Ok(Snapshot {
            step: self.step,
            curves,
            posterior,
            weights: self.config.effective_weights(),
            lr: self.config.lr,
        })
    }

    async fn read_curves(&mut self, first_step: u64) -> Result<TermCurves, TrainError> {
        let names = TermName::ALL.to_vec();
        let mut values = vec![Vec::new(); names.len()];
        let pending = std::mem::take(&mut self.pending);
        if !pending.is_empty() {
            let steps = pending.len();
            let flat = read_f32(Tensor::cat(pending, 0)).await?; // [steps, terms]
            for s in 0..steps {
                for (t, column) in values.iter_mut().enumerate() {
                    column.push(flat[s * names.len() + t]);
                }
            }
        }
        Ok(TermCurves { first_step, names, values })
    }

    async fn sample_posterior(&self, points: usize) -> Result<Posterior, TrainError> {
        let points = points.min(self.data.len);
        let model = self.model().valid();
        let x = self.data.x.clone().narrow(0, 0, points).inner(); // [points, D]
        let (mu, logvar) = model.encode(x); // [points, K]
        let eps = mu.random_like(Distribution::Normal(0.0, 1.0));
        let z = mu + logvar.mul_scalar(0.5).exp() * eps; // [points, K]
        Ok(Posterior {
            latents: self.config.latents,
            z: read_f32(z).await?,
            labels: self.data.labels[..points].to_vec(),
        })
    }

    /// The autodiff device the trainer runs on.
    pub fn device(&self) -> &Device {
        &self.device
    }
}

/// Index of the first step with a non-finite term.
fn first_non_finite(curves: &TermCurves) -> Option<usize> {
    (0..curves.len()).find(|&s| curves.values.iter().any(|col| !col[s].is_finite()))
}

/// Asynchronous readback (the only kind WebGPU allows in the page).
async fn read_f32<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, TrainError> {
    let data = t.into_data_async().await.map_err(|e| TrainError::Readback(format!("{e:?}")))?;
    data.to_vec::<f32>().map_err(|e| TrainError::Readback(format!("{e:?}")))
}
