//! The trainer: owns model, optimisers and data; takes steps; reads back snapshots.

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;

use super::model::TrainModel;
use super::optim::optimizer;
use super::schedule::Schedule;
use super::snapshot::{Posterior, Snapshot, TermCurves};
use super::source::{Batch, DataSource};
use crate::model::kinds::ImageNet;
use crate::model::vae::{NetKind, VaeConfig};
use crate::objective::factor_vae::{self, Discriminator, DiscriminatorConfig};
use crate::objective::ivae::ConditionalPriorConfig;
use crate::objective::tc::TcDecomposer;
use crate::objective::{self, dd, Encoded, ObjectiveOutput, TermName, Weights};
use crate::rng::Rng;
use crate::settings::{DecoderStd, ModelKind, TrainConfig};
use crate::train::DatasetKind;

/// FactorVAE's row: the VAE's terms followed by the discriminator's.
const FACTOR_VAE_TERMS: &[TermName] = &[
    TermName::Loss,
    TermName::Recon,
    TermName::Kl,
    TermName::Elbo,
    TermName::TcEstimate,
    TermName::DiscLoss,
    TermName::DiscAccuracy,
];

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

/// FactorVAE's discriminator and its own optimiser.
#[derive(Clone)]
struct Critic {
    disc: Discriminator,
    optim: ModuleOptimizer,
}

/// What a model file holds: the model and, for FactorVAE, its discriminator.
#[derive(Module, Debug)]
pub(crate) struct SavedModel {
    /// Encoder, decoder and iVAE's prior.
    pub model: TrainModel,
    /// FactorVAE's discriminator.
    pub disc: Option<Discriminator>,
}

/// The state last seen to be finite, to roll back to.
struct GoodState {
    model: TrainModel,
    optim: ModuleOptimizer,
    critic: Option<Critic>,
    schedule: Schedule,
    step: u64,
}

/// Trains one model on one data set, step by step.
pub struct Trainer {
    config: TrainConfig,
    /// The autodiff device everything lives on.
    device: Device,
    /// `None` only transiently inside [`Trainer::step`].
    model: Option<TrainModel>,
    optim: ModuleOptimizer,
    /// FactorVAE only.
    critic: Option<Critic>,
    /// β-TCVAE and iVAE: the estimator's constant weights for this batch size and N.
    tc: Option<TcDecomposer>,
    /// The learning-rate schedule's state.
    schedule: Schedule,
    data: DataSource,
    /// The fixed points shown in the panels: encoder inputs and labels.
    shown: (Tensor<2>, Vec<u32>),
    /// Host-side stream for minibatch draws, permutations and prior samples.
    rng: Rng,
    step: u64,
    /// Names of the columns of the rows in `pending`.
    names: &'static [TermName],
    /// Detached `[1, terms]` rows of the steps since the last snapshot.
    pending: Vec<Tensor<2>>,
    /// The state a non-finite loss rolls back to: the first snapshot [`GOOD_EVERY_STEPS`]
    /// after the previous one.
    last_good: GoodState,
}

/// Steps between two refreshes of the state to roll back to. Keeping one shares the
/// parameters and Adam's moments with it, so the next update copies them all (the CPU
/// backends update in place otherwise): once per snapshot, that was each step of a dSprites
/// run in the page. A rollback now loses at most this many steps more.
const GOOD_EVERY_STEPS: u64 = 20;

impl Trainer {
    /// Builds model, optimiser(s) and data for `config` on `device` (a CPU or wgpu device;
    /// autodiff is added here). Fails with a message if the configuration is invalid.
    pub fn new(config: TrainConfig, device: &Device) -> Result<Self, String> {
        config.validate()?;
        let device = device.clone().autodiff();
        device.seed(config.seed);
        let data = DataSource::load(&config, &device)?;
        let net = match config.dataset {
            DatasetKind::Dsprites => match config.image_net {
                ImageNet::Conv => NetKind::Conv(config.conv),
                ImageNet::Mlp => NetKind::MlpBernoulli,
            },
            _ => NetKind::Mlp,
        };
        let shown = data.shown(config.seed, &device);
        let vae = VaeConfig::new(data.dim())
            .with_net(net)
            .with_d_aux(data.aux_dim())
            .with_latents(config.latents)
            .with_hidden(config.hidden.clone())
            .with_obs_var(config.dataset.obs_var())
            .with_obs_std_head(
                config.dataset != DatasetKind::Dsprites
                    && config.decoder_std == DecoderStd::Learned,
            )
            .with_activation(config.activation)
            .with_encoder_std(config.encoder_std)
            .with_encoder_heads(config.encoder_heads)
            .init(&device);
        let cond_prior = (config.model == ModelKind::Ivae).then(|| {
            ConditionalPriorConfig::new(data.aux_dim(), config.latents)
                .with_kind(config.ivae_prior)
                .with_hidden(config.hidden.clone())
                .with_activation(config.activation)
                .init(&device)
        });
        let model = TrainModel { vae, cond_prior };
        let optim = optimizer(config.optimizer);
        let critic = (config.model == ModelKind::FactorVae).then(|| Critic {
            disc: DiscriminatorConfig::page(config.latents).init(&device),
            optim: AdamConfig::new()
                .with_beta_1(0.5)
                .with_beta_2(0.9)
                .with_epsilon(super::optim::EPSILON)
                .init(),
        });
        let batch = config.batch.min(data.len());
        let tc = matches!(config.model, ModelKind::BetaTcvae | ModelKind::Ivae)
            .then(|| TcDecomposer::new(config.estimator, batch, data.len(), &device));
        let schedule = Schedule::new(config.lr_schedule, data.len(), batch);
        let names = match config.model {
            ModelKind::BetaTcvae | ModelKind::Ivae => objective::tc::TERMS,
            ModelKind::FactorVae => FACTOR_VAE_TERMS,
            ModelKind::Dd => dd::TERMS,
            _ => objective::BETA_VAE_TERMS,
        };
        let last_good = GoodState {
            model: model.clone(),
            optim: optim.clone(),
            critic: critic.clone(),
            schedule: schedule.clone(),
            step: 0,
        };
        Ok(Self {
            rng: Rng::derive(config.seed, 1),
            config,
            device,
            model: Some(model),
            optim,
            critic,
            tc,
            schedule,
            data,
            shown,
            step: 0,
            names,
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

    /// True when the last step ended an epoch that the learning-rate schedule must read the
    /// loss of before the next step: a snapshot now applies a plateau's reduction on time.
    pub fn schedule_wants_snapshot(&self) -> bool {
        self.schedule.epoch_ends_at(self.step)
    }

    /// The learning rate the next step applies (the configured rate times the schedule's
    /// factor).
    pub fn current_lr(&self) -> f64 {
        self.schedule.lr(self.config.lr)
    }

    /// The names of the terms this model reports, in column order.
    pub fn term_names(&self) -> &'static [TermName] {
        self.names
    }

    /// Changes the objective's weights from the next step on; nothing is rebuilt.
    pub fn set_weights(&mut self, weights: Weights) -> Result<(), String> {
        weights.validate()?;
        self.config.weights = weights;
        Ok(())
    }

    /// Changes DD's prior p(z) from the next step on (its parameters are plain numbers read
    /// by the objective each step, so nothing is rebuilt).
    pub fn set_prior(&mut self, prior: crate::objective::priors::Prior) -> Result<(), String> {
        prior.validate(self.config.latents)?;
        self.config.prior = prior;
        Ok(())
    }

    /// Takes over the settings of `config` that act on the next step (weights, learning rate,
    /// prior) and the backend and pace it asks for. Fails, changing nothing, when `config`
    /// differs in a setting that needs a new model, or is not valid.
    pub fn set_live(&mut self, config: &TrainConfig) -> Result<(), String> {
        let changed = crate::settings::schema::reset_changes(&self.config, config);
        if !changed.is_empty() {
            return Err(format!(
                "changing {} needs a new model (a reset)",
                changed.join(", ")
            ));
        }
        config.validate()?;
        self.config = config.clone();
        Ok(())
    }

    /// Changes the learning rate from the next step on.
    pub fn set_lr(&mut self, lr: f64) -> Result<(), String> {
        TrainConfig {
            lr,
            ..self.config.clone()
        }
        .validate()?;
        self.config.lr = lr;
        Ok(())
    }

    fn model(&self) -> &TrainModel {
        self.model
            .as_ref()
            .expect("model is only taken inside step()")
    }

    /// One optimisation step (two for FactorVAE: VAE, then discriminator). Reads nothing back.
    pub fn step(&mut self) {
        let weights = self.config.effective_weights();
        // Minibatch (or the full set) on the device: x [B, D], encoder input [B, D + d_aux].
        let batch = self
            .data
            .batch(self.config.batch, &mut self.rng, &self.device);
        let model = self.model.take().expect("model present between steps");
        // Encode, sample z by reparameterisation, decode.
        let out = model.vae.forward(batch.x_enc.clone());
        // −log p(x|z) per point under the decoder's likelihood.
        let recon_nll = model.vae.recon_nll(batch.x.clone(), out.decoded.clone());
        let enc = Encoded::from_output(&out);
        // The method's weighted loss and its detached row of named terms.
        let obj = self.objective(&model, recon_nll, &enc, &batch, &weights);
        // Gradients of the loss with respect to every tracked tensor.
        let grads = obj.loss.backward();
        // Keep only the gradients of the model's parameters (not the discriminator's).
        let grads = GradientsParams::from_grads(grads, &model);
        // Optimiser update with the current (possibly just changed or scheduled) learning rate.
        let lr = self.schedule.lr(self.config.lr);
        let model = self.optim.step(lr, model, grads);
        let row = match self.critic.take() {
            Some(critic) => {
                // Kim & Mnih train both parts at the same rate (Adam, 10⁻⁴ each): the
                // discriminator follows the VAE's rate, so a faster VAE does not outrun it.
                let (critic, disc_row) = self.critic_step(critic, &model, enc.z, lr);
                self.critic = Some(critic);
                Tensor::cat(vec![obj.terms, disc_row], 1)
            }
            None => obj.terms,
        };
        self.model = Some(model);
        self.pending.push(row);
        // Saturates: a loaded model claims at most model_file::MAX_STEP, so this never bites, but
        // a counter must never wrap to 0.
        self.step = self.step.saturating_add(1);
    }

    /// The configured method's objective on one encoded batch.
    fn objective(
        &mut self,
        model: &TrainModel,
        recon_nll: Tensor<1>,
        enc: &Encoded,
        batch: &Batch,
        w: &Weights,
    ) -> ObjectiveOutput {
        match self.config.model {
            ModelKind::Vae | ModelKind::BetaVae => objective::beta_vae(recon_nll, enc, w),
            ModelKind::BetaTcvae => {
                let tc = self.tc.as_ref().expect("β-TCVAE has a decomposer");
                objective::tc::beta_tcvae(recon_nll, enc, tc, w)
            }
            ModelKind::FactorVae => {
                let critic = self.critic.as_ref().expect("FactorVAE has a discriminator");
                factor_vae::factor_vae(recon_nll, enc, &critic.disc, w)
            }
            ModelKind::Dd => dd::dd(
                recon_nll,
                enc,
                &self.config.prior,
                self.config.divergence,
                w,
                &mut self.rng,
            ),
            ModelKind::Ivae => {
                let prior = model
                    .cond_prior
                    .as_ref()
                    .expect("iVAE has a conditional prior");
                let u = batch.aux.clone().expect("iVAE data carries u");
                let tc = self.tc.as_ref().expect("the iVAE has a decomposer");
                let w = self.config.ivae_weights;
                objective::ivae::ivae_weighted(recon_nll, enc, prior, u, tc, w)
            }
        }
    }

    /// FactorVAE's discriminator step: z of this batch (real) against permute_dims of a
    /// second batch's z (fake), both detached so only the discriminator learns from it.
    fn critic_step(
        &mut self,
        mut critic: Critic,
        model: &TrainModel,
        z: Tensor<2>,
        lr: f64,
    ) -> (Critic, Tensor<2>) {
        let other = self
            .data
            .batch(self.config.batch, &mut self.rng, &self.device);
        // Only z is needed: encode and sample, no decoder.
        let z_other = model.vae.sample_latent(other.x_enc).detach();
        let obj = factor_vae::discriminator_loss(&critic.disc, z, z_other, &mut self.rng);
        let grads = GradientsParams::from_grads(obj.loss.backward(), &critic.disc);
        critic.disc = critic.optim.step(lr, critic.disc, grads);
        (critic, obj.terms)
    }

    /// Reads back the term curves of the steps since the last snapshot (one transfer), and,
    /// if `posterior_points > 0`, one sample of q(z|x) for that many shown points.
    ///
    /// A non-finite term rolls the model back to the last finite snapshot and returns
    /// [`TrainError::NonFinite`]; the trainer stays usable.
    pub async fn snapshot(&mut self, posterior_points: usize) -> Result<Snapshot, TrainError> {
        let first_step = self.step - self.pending.len() as u64;
        let curves = self.read_curves(first_step).await?;
        if let Some(bad) = first_non_finite(&curves) {
            self.model = Some(self.last_good.model.clone());
            self.optim = self.last_good.optim.clone();
            self.critic = self.last_good.critic.clone();
            self.schedule = self.last_good.schedule.clone();
            self.step = self.last_good.step;
            return Err(TrainError::NonFinite {
                step: first_step + bad as u64,
                restored_step: self.last_good.step,
            });
        }
        if let Some(losses) = curves.get(TermName::Loss) {
            for &l in losses {
                self.schedule.observe(f64::from(l), self.config.lr);
            }
        }
        if self.step >= self.last_good.step + GOOD_EVERY_STEPS {
            self.last_good = GoodState {
                model: self.model().clone(),
                optim: self.optim.clone(),
                critic: self.critic.clone(),
                schedule: self.schedule.clone(),
                step: self.step,
            };
        }
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
            lr: self.schedule.lr(self.config.lr),
        })
    }

    async fn read_curves(&mut self, first_step: u64) -> Result<TermCurves, TrainError> {
        let names = self.names.to_vec();
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
        Ok(TermCurves {
            first_step,
            names,
            values,
        })
    }

    async fn sample_posterior(&self, points: usize) -> Result<Posterior, TrainError> {
        let points = points.min(self.shown.1.len());
        let vae = self.model().vae.valid();
        let x = self.shown.0.clone().narrow(0, 0, points).inner(); // [points, D + d_aux]
        let (mu, logvar) = vae.encode(x); // [points, K]
        let both = read_f32(Tensor::cat(vec![mu, logvar], 1)).await?; // [points, 2K]
        let k = self.config.latents;
        let mut rng = Rng::derive(self.config.seed ^ self.step, 3);
        let mut z = Vec::with_capacity(points * k);
        let mut kl = vec![0.0f32; k];
        for row in both.chunks(2 * k) {
            let (m, lv) = row.split_at(k);
            for j in 0..k {
                z.push(m[j] + (0.5 * lv[j]).exp() * rng.normal() as f32);
                // KL(N(μ, σ²) ‖ N(0, 1)) = ½(μ² + σ² − 1 − log σ²).
                kl[j] += 0.5 * (m[j] * m[j] + lv[j].exp() - 1.0 - lv[j]) / points as f32;
            }
        }
        Ok(Posterior {
            latents: k,
            z,
            labels: self.shown.1[..points].to_vec(),
            kl_per_latent: kl,
        })
    }

    /// The autodiff device the trainer runs on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The trainable model (for evaluation).
    pub(crate) fn model_ref(&self) -> &TrainModel {
        self.model()
    }

    /// A copy of what a model file saves (see [`super::model_file`]).
    pub(crate) fn saved_model(&self) -> SavedModel {
        SavedModel {
            model: self.model().clone(),
            disc: self.critic.as_ref().map(|c| c.disc.clone()),
        }
    }

    /// Puts loaded parameters in place at step `step`; the optimisers start afresh and the
    /// loaded state becomes the one to roll back to.
    pub(crate) fn restore(&mut self, saved: SavedModel, step: u64) {
        self.model = Some(saved.model);
        if let (Some(critic), Some(disc)) = (self.critic.as_mut(), saved.disc) {
            critic.disc = disc;
        }
        self.step = step;
        self.pending.clear();
        self.last_good = GoodState {
            model: self.model().clone(),
            optim: self.optim.clone(),
            critic: self.critic.clone(),
            schedule: self.schedule.clone(),
            step,
        };
    }

    /// The fixed shown points (encoder inputs) and their labels.
    pub(crate) fn shown_ref(&self) -> &(Tensor<2>, Vec<u32>) {
        &self.shown
    }

    /// The data source (for evaluation).
    pub(crate) fn data_ref(&self) -> &DataSource {
        &self.data
    }
}

/// Index of the first step with a non-finite term.
fn first_non_finite(curves: &TermCurves) -> Option<usize> {
    (0..curves.len()).find(|&s| curves.values.iter().any(|col| !col[s].is_finite()))
}

/// Asynchronous readback (the only kind WebGPU allows in the page).
pub(crate) async fn read_f32<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, TrainError> {
    let data = t
        .into_data_async()
        .await
        .map_err(|e| TrainError::Readback(format!("{e:?}")))?;
    data.try_to_vec::<f32>()
        .map_err(|e| TrainError::Readback(format!("{e:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trainer() -> Trainer {
        Trainer::new(TrainConfig::default(), &Device::flex()).unwrap()
    }

    #[test]
    fn the_prior_changes_between_two_steps_without_a_rebuild() {
        use crate::objective::priors::Prior;
        let config = TrainConfig {
            model: ModelKind::Dd,
            ..TrainConfig::default()
        };
        let mut t = Trainer::new(config, &Device::flex()).unwrap();
        t.step();
        t.set_prior(Prior::pinwheel()).unwrap();
        t.step();
        let snap = pollster::block_on(t.snapshot(0)).unwrap();
        let kl = snap.curves.get(TermName::Kl).unwrap();
        // Analytic KL to N(0, I) at step 1; Monte Carlo KL to the mixture at step 2: the
        // mixture's narrow components make the second far larger for the same encoder.
        assert!(kl[1] > kl[0] + 1.0, "{kl:?}");
        assert_eq!(t.config().prior, Prior::pinwheel());
        assert!(t.set_prior(Prior::StudentT { nu: -1.0 }).is_err());
    }

    #[test]
    fn a_non_finite_term_stops_with_a_message_and_restores_the_last_good_state() {
        let mut t = trainer();
        for _ in 0..GOOD_EVERY_STEPS {
            t.step();
        }
        let good = pollster::block_on(t.snapshot(0)).unwrap();
        let good_z = pollster::block_on(t.sample_posterior(4)).unwrap();
        // A snapshot sooner than GOOD_EVERY_STEPS later keeps the older state to roll back to.
        for _ in 0..2 {
            t.step();
        }
        pollster::block_on(t.snapshot(0)).unwrap();
        assert_eq!(t.last_good.step, good.step);
        for _ in 0..3 {
            t.step();
        }
        // Poison the second of the three pending rows, as a diverging step would.
        let nan = Tensor::<2>::full([1, t.names.len()], f32::NAN, t.device());
        t.pending[1] = nan;
        let err = pollster::block_on(t.snapshot(0)).unwrap_err();
        let bad = GOOD_EVERY_STEPS + 3;
        assert_eq!(
            err,
            TrainError::NonFinite {
                step: bad,
                restored_step: good.step
            }
        );
        let msg = err.to_string();
        assert!(
            msg.contains("NaN")
                && msg.contains(&format!("step {bad}"))
                && msg.contains(&format!("step {}", good.step)),
            "{msg}"
        );
        assert_eq!(t.step_count(), GOOD_EVERY_STEPS);
        // The restored model is the one of that step: same encoder means for the same inputs.
        let x = t.shown.0.clone().narrow(0, 0, 4).inner();
        let (mu_now, _) = t.model().vae.valid().encode(x.clone());
        let (mu_good, _) = t.last_good.model.vae.valid().encode(x);
        assert_eq!(mu_now.into_data(), mu_good.into_data());
        assert_eq!(good_z.latents, 2);
        // And it trains on.
        t.step();
        assert_eq!(
            pollster::block_on(t.snapshot(0)).unwrap().step,
            GOOD_EVERY_STEPS + 1
        );
    }
}
