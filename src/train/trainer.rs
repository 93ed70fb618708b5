//! The trainer: owns model, optimiser and data; takes steps; reads back snapshots.

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::Distribution;

use super::config::TrainConfig;
use super::snapshot::{Posterior, Snapshot, TermCurves};
use super::source::DataSource;
use crate::model::vae::{NetKind, Vae, VaeConfig};
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
    data: DataSource,
    /// The fixed points shown in the panels: encoder inputs and labels.
    shown: (Tensor<2>, Vec<u32>),
    /// Host-side stream for minibatch draws.
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
        let data = DataSource::load(&config, &device)?;
        let net = match config.dataset {
            crate::train::DatasetKind::Dsprites => NetKind::Conv(config.conv),
            _ => NetKind::Mlp,
        };
        let shown = data.shown(config.seed, &device);
        let model = VaeConfig::new(data.dim())
            .with_net(net)
            .with_d_aux(data.aux_dim())
            .with_latents(config.latents)
            .with_hidden(config.hidden.clone())
            .with_obs_var(config.dataset.obs_var())
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
            shown,
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
        let recon_nll = model.recon_nll(x, out.decoded.clone());
        let obj = objective::beta_vae(recon_nll, &out, &weights);
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
        let points = points.min(self.shown.1.len());
        let model = self.model().valid();
        let x = self.shown.0.clone().narrow(0, 0, points).inner(); // [points, D + d_aux]
        let (mu, logvar) = model.encode(x); // [points, K]
        let eps = mu.random_like(Distribution::Normal(0.0, 1.0));
        let z = mu + logvar.mul_scalar(0.5).exp() * eps; // [points, K]
        Ok(Posterior {
            latents: self.config.latents,
            z: read_f32(z).await?,
            labels: self.shown.1[..points].to_vec(),
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
    data.try_to_vec::<f32>().map_err(|e| TrainError::Readback(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trainer() -> Trainer {
        Trainer::new(TrainConfig::default(), &Device::flex()).unwrap()
    }

    #[test]
    fn a_non_finite_term_stops_with_a_message_and_restores_the_last_good_state() {
        let mut t = trainer();
        for _ in 0..5 {
            t.step();
        }
        let good = pollster::block_on(t.snapshot(0)).unwrap();
        let good_z = pollster::block_on(t.sample_posterior(4)).unwrap();
        for _ in 0..3 {
            t.step();
        }
        // Poison the second of the three pending rows, as a diverging step would.
        let nan = Tensor::<2>::full([1, TermName::ALL.len()], f32::NAN, t.device());
        t.pending[1] = nan;
        let err = pollster::block_on(t.snapshot(0)).unwrap_err();
        assert_eq!(err, TrainError::NonFinite { step: 6, restored_step: good.step });
        let msg = err.to_string();
        assert!(msg.contains("NaN") && msg.contains("step 6") && msg.contains("step 5"), "{msg}");
        assert_eq!(t.step_count(), 5);
        // The restored model is the one of step 5: same encoder means for the same inputs.
        let x = t.shown.0.clone().narrow(0, 0, 4).inner();
        let (mu_now, _) = t.model().valid().encode(x.clone());
        let (mu_good, _) = t.last_good.model.valid().encode(x);
        assert_eq!(mu_now.into_data(), mu_good.into_data());
        assert_eq!(good_z.latents, 2);
        // And it trains on.
        t.step();
        assert_eq!(pollster::block_on(t.snapshot(0)).unwrap().step, 6);
    }
}
