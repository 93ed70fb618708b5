//! The one settings schema: every run setting with its key, label, help, range and effect,
//! in the order settings are applied. A setting's default is its value in
//! [`TrainConfig::for_dataset`].
//!
//! Everything else derives from [`FIELDS`]: the JSON form of a [`TrainConfig`] (`run.json`'s
//! `"settings"`, model files, the page ↔ worker messages), share links ([`super::link`]), the
//! CLI flags ([`super::cli`]) and the page's controls. Each face uses the same key and the
//! same text for a value, and every external value is checked against the same range before
//! anything is built.

use serde_json::{Number, Value};

use super::choice::{
    Activation, BackendPref, ConvSize, DatasetKind, DecoderStd, Divergence, EncoderHeads,
    EncoderStd, Estimator, ImageNet, IvaePrior, LrSchedule, ModelKind, OptimizerKind,
    PinwheelVariant, PriorKind, Speed,
};
use super::config::TrainConfig;
use super::prior::Prior;
use super::text;

/// What values a setting takes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Range {
    /// One of these keys.
    Choice(&'static [&'static str]),
    /// A finite number in `[min, max]`.
    Float {
        /// Smallest value.
        min: f64,
        /// Largest value.
        max: f64,
    },
    /// A whole number in `[min, max]`.
    Int {
        /// Smallest value.
        min: u64,
        /// Largest value.
        max: u64,
    },
    /// `true` or `false`.
    Bool,
    /// A comma-separated list of whole numbers in `[min, max]`, of length `len`.
    IntList {
        /// Smallest item.
        min: u64,
        /// Largest item.
        max: u64,
        /// Fewest and most items.
        len: (usize, usize),
    },
    /// A comma-separated list of numbers in `[min, max]`, of length `len`.
    FloatList {
        /// Smallest item.
        min: f64,
        /// Largest item.
        max: f64,
        /// Fewest and most items.
        len: (usize, usize),
    },
    /// Points: `;`-separated rows of comma-separated numbers in `[min, max]`, `rows` of them.
    Points {
        /// Smallest coordinate.
        min: f64,
        /// Largest coordinate.
        max: f64,
        /// Fewest and most rows.
        rows: (usize, usize),
    },
    /// Text in its own grammar (the dSprites subset spec), checked by the setting itself.
    Spec,
}

/// When a change of the setting takes effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// It needs a new model: changing it resets the run.
    Reset,
    /// A scalar of the loss or the optimiser: it acts on the next step, nothing is rebuilt.
    NextStep,
    /// The backend: the worker moves the current model's settings to it (a new model).
    Backend,
    /// The page's pace only.
    Speed,
}

/// One setting.
pub struct Field {
    /// The key: CLI flag (`--key`), link key, JSON key, control id.
    pub key: &'static str,
    /// The label the page shows.
    pub label: &'static str,
    /// One line on what it does (CLI `--help`, the page's help line).
    pub help: &'static str,
    /// The values it takes.
    pub range: Range,
    /// When a change takes effect.
    pub effect: Effect,
    /// Whether the command line has it (the page's pace does not apply there).
    pub cli: bool,
    /// Whether it matters for this configuration (else the page hides its control).
    pub applies: fn(&TrainConfig) -> bool,
    /// Its value, or `None` where the configuration has no such value (a prior parameter
    /// of another prior family).
    get: fn(&TrainConfig) -> Option<Value>,
    /// Sets it from a value already checked against [`Field::range`].
    set: fn(&mut TrainConfig, &Value) -> Result<(), String>,
}

impl std::fmt::Debug for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Field").field("key", &self.key).finish()
    }
}

fn always(_: &TrainConfig) -> bool {
    true
}

/// A number as a JSON value; a non-finite one stays visible as text, so the range check
/// names it instead of it vanishing.
fn num(v: f64) -> Option<Value> {
    Some(Number::from_f64(v).map_or_else(|| Value::from(text::number(v)), Value::Number))
}

fn int(v: u64) -> Option<Value> {
    Some(Value::from(v))
}

fn key(v: &'static str) -> Option<Value> {
    Some(Value::from(v))
}

fn as_f64(v: &Value) -> Result<f64, String> {
    v.as_f64().ok_or_else(|| format!("{v} is not a number"))
}

fn as_usize(v: &Value) -> Result<usize, String> {
    v.as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| format!("{v} is not a whole number"))
}

fn as_str(v: &Value) -> Result<&str, String> {
    v.as_str().ok_or_else(|| format!("{v} is not text"))
}

fn as_list<T>(v: &Value, item: fn(&Value) -> Result<T, String>) -> Result<Vec<T>, String> {
    v.as_array()
        .ok_or_else(|| format!("{} is not a list", text::clip(&v.to_string(), 40)))?
        .iter()
        .map(item)
        .collect()
}

/// The weight that setting `i` (0 α, 1 β, 2 γ) is, and whether the model uses it.
fn weight_used(c: &TrainConfig, i: usize) -> bool {
    c.model.weight_roles()[i].is_some()
}

fn is_dsprites(c: &TrainConfig) -> bool {
    c.dataset == DatasetKind::Dsprites
}

fn is_ivae_data(c: &TrainConfig) -> bool {
    c.dataset == DatasetKind::Ivae
}

fn is_dd(c: &TrainConfig) -> bool {
    c.model == ModelKind::Dd
}

fn is_ivae(c: &TrainConfig) -> bool {
    c.model == ModelKind::Ivae
}

/// Whether the run's networks are MLPs (all but dSprites' convolutions).
fn has_mlps(c: &TrainConfig) -> bool {
    !(is_dsprites(c) && c.image_net == ImageNet::Conv)
}

/// A weight's range: the slider's and the flag's.
const WEIGHT: Range = Range::Float {
    min: 0.0,
    max: super::weights::MAX_WEIGHT,
};

/// Every setting, in the order they are applied (the data set first, since it brings its
/// defaults; the latent size before the prior, the prior's family before its parameters).
pub static FIELDS: &[Field] = &[
    Field {
        key: "dataset",
        label: "Data",
        help: "The data set: pinwheel, 2-D iVAE sources or dSprites. Changing it resets the other settings to its defaults.",
        range: Range::Choice(&DatasetKind::KEYS),
        effect: Effect::Reset,
        cli: true,
        applies: always,
        get: |c| key(c.dataset.key()),
        set: |c, v| {
            *c = c.with_dataset(DatasetKind::parse(as_str(v)?)?);
            Ok(())
        },
    },
    Field {
        key: "model",
        label: "Model",
        help: "The model and objective: vae, beta-vae, beta-tcvae, factor-vae, dd (Disentangling Disentanglement) or ivae (ivae data only).",
        range: Range::Choice(&ModelKind::KEYS),
        effect: Effect::Reset,
        cli: true,
        applies: always,
        get: |c| key(c.model.key()),
        set: |c, v| {
            c.model = ModelKind::parse(as_str(v)?)?;
            Ok(())
        },
    },
    Field {
        key: "subset",
        label: "dSprites subset",
        help: "Which dSprites images, e.g. default, full, or shapes:heart,scales:0-5,orients:10,stride:2.",
        range: Range::Spec,
        effect: Effect::Reset,
        cli: true,
        applies: is_dsprites,
        get: |c| Some(Value::from(c.subset.to_string())),
        set: |c, v| {
            c.subset = as_str(v)?.parse()?;
            Ok(())
        },
    },
    Field {
        key: "net",
        label: "Network",
        help: "dSprites network: conv (convolutions of the conv size) or mlp (the hidden widths); both Bernoulli.",
        range: Range::Choice(&ImageNet::KEYS),
        effect: Effect::Reset,
        cli: true,
        applies: is_dsprites,
        get: |c| key(c.image_net.key()),
        set: |c, v| {
            c.image_net = ImageNet::parse(as_str(v)?)?;
            Ok(())
        },
    },
    Field {
        key: "conv",
        label: "Conv size",
        help: "Convolutional network size: dlib (32-32-64-64, FC 256) or small (half the channels).",
        range: Range::Choice(&ConvSize::KEYS),
        effect: Effect::Reset,
        cli: true,
        applies: |c| is_dsprites(c) && c.image_net == ImageNet::Conv,
        get: |c| key(c.conv.key()),
        set: |c, v| {
            c.conv = ConvSize::parse(as_str(v)?)?;
            Ok(())
        },
    },
    Field {
        key: "hidden",
        label: "Hidden widths",
        help: "Hidden layer widths of the MLP encoder and decoder, e.g. 100 or 256,256.",
        range: Range::IntList {
            min: 1,
            max: 4096,
            len: (1, 8),
        },
        effect: Effect::Reset,
        cli: true,
        applies: |c| !(is_dsprites(c) && c.image_net == ImageNet::Conv),
        get: |c| Some(Value::from(c.hidden.clone())),
        set: |c, v| {
            c.hidden = as_list(v, as_usize)?;
            Ok(())
        },
    },
    Field {
        key: "activation",
        label: "Activation",
        help: "Activation between the MLPs' hidden layers: relu, or xtanh (tanh(x) + 0.1·x, the iVAE reference's).",
        range: Range::Choice(&Activation::KEYS),
        effect: Effect::Reset,
        cli: true,
        applies: has_mlps,
        get: |c| key(c.activation.key()),
        set: |c, v| {
            c.activation = Activation::parse(as_str(v)?)?;
            Ok(())
        },
    },
    Field {
        key: "encoder-heads",
        label: "Encoder networks",
        help: "shared: one MLP outputs μ and the spread; separate: one MLP each (the iVAE reference's g and logv).",
        range: Range::Choice(&EncoderHeads::KEYS),
        effect: Effect::Reset,
        cli: true,
        applies: has_mlps,
        get: |c| key(c.encoder_heads.key()),
        set: |c, v| {
            c.encoder_heads = EncoderHeads::parse(as_str(v)?)?;
            Ok(())
        },
    },
    Field {
        key: "encoder-std",
        label: "Encoder spread",
        help: "How the encoder gives σ: exp (it outputs log σ², clamped) or softplus (σ = softplus(h) + 1e-6, DD's reference).",
        range: Range::Choice(&EncoderStd::KEYS),
        effect: Effect::Reset,
        cli: true,
        applies: always,
        get: |c| key(c.encoder_std.key()),
        set: |c, v| {
            c.encoder_std = EncoderStd::parse(as_str(v)?)?;
            Ok(())
        },
    },
    Field {
        key: "decoder-std",
        label: "Likelihood std",
        help: "Std of the Gaussian p(x|z): fixed (pinwheel 0.1, iVAE √0.1) or learned per point by a softplus decoder head (DD's reference).",
        range: Range::Choice(&DecoderStd::KEYS),
        effect: Effect::Reset,
        cli: true,
        applies: |c| !is_dsprites(c),
        get: |c| key(c.decoder_std.key()),
        set: |c, v| {
            c.decoder_std = DecoderStd::parse(as_str(v)?)?;
            Ok(())
        },
    },
    Field {
        key: "pinwheel",
        label: "Pinwheel generator",
        help: "matlab: Adams' pinwheel.m as DD's reference calls it; adams: his Python generator (the same distribution, other draws).",
        range: Range::Choice(&PinwheelVariant::KEYS),
        effect: Effect::Reset,
        cli: true,
        applies: |c| c.dataset == DatasetKind::Pinwheel,
        get: |c| key(c.pinwheel.key()),
        set: |c, v| {
            c.pinwheel = PinwheelVariant::parse(as_str(v)?)?;
            Ok(())
        },
    },
    Field {
        key: "segments",
        label: "Segments",
        help: "iVAE data: number of segments, each with its own source variances.",
        range: Range::Int { min: 1, max: 1000 },
        effect: Effect::Reset,
        cli: true,
        applies: is_ivae_data,
        get: |c| int(c.ivae.segments as u64),
        set: |c, v| {
            c.ivae.segments = as_usize(v)?;
            Ok(())
        },
    },
    Field {
        key: "per-segment",
        label: "Points per segment",
        help: "iVAE data: points drawn in each segment.",
        range: Range::Int {
            min: 1,
            max: 100_000,
        },
        effect: Effect::Reset,
        cli: true,
        applies: is_ivae_data,
        get: |c| int(c.ivae.per_segment as u64),
        set: |c, v| {
            c.ivae.per_segment = as_usize(v)?;
            Ok(())
        },
    },
    Field {
        key: "source-dim",
        label: "Source dimension",
        help: "iVAE data: dimension of the sources and of the observations.",
        range: Range::Int {
            min: 1,
            max: crate::data::ivae::MAX_DIM as u64,
        },
        effect: Effect::Reset,
        cli: true,
        applies: is_ivae_data,
        get: |c| int(c.ivae.dim as u64),
        set: |c, v| {
            c.ivae.dim = as_usize(v)?;
            Ok(())
        },
    },
    Field {
        key: "mixing-layers",
        label: "Mixing layers",
        help: "iVAE data: layers of the invertible mixing x = f(s).",
        range: Range::Int { min: 1, max: 10 },
        effect: Effect::Reset,
        cli: true,
        applies: is_ivae_data,
        get: |c| int(c.ivae.layers as u64),
        set: |c, v| {
            c.ivae.layers = as_usize(v)?;
            Ok(())
        },
    },
    Field {
        key: "segment-means",
        label: "Segment means",
        help: "iVAE data: give each segment its own source means as well as variances.",
        range: Range::Bool,
        effect: Effect::Reset,
        cli: true,
        applies: is_ivae_data,
        get: |c| Some(Value::Bool(c.ivae.segment_means)),
        set: |c, v| {
            c.ivae.segment_means = v.as_bool().ok_or("not true or false")?;
            Ok(())
        },
    },
    Field {
        key: "latents",
        label: "Latents",
        help: "Size of z.",
        range: Range::Int { min: 1, max: 32 },
        effect: Effect::Reset,
        cli: true,
        applies: always,
        get: |c| int(c.latents as u64),
        set: |c, v| {
            c.latents = as_usize(v)?;
            // A prior whose parameters were sized for the old K takes its defaults for the new one.
            if c.prior.validate(c.latents).is_err() {
                c.prior = Prior::default_for(c.prior.kind(), c.latents);
            }
            Ok(())
        },
    },
    Field {
        key: "batch",
        label: "Batch",
        help: "Points per step.",
        range: Range::Int { min: 1, max: 4096 },
        effect: Effect::Reset,
        cli: true,
        applies: always,
        get: |c| int(c.batch as u64),
        set: |c, v| {
            c.batch = as_usize(v)?;
            Ok(())
        },
    },
    Field {
        key: "seed",
        label: "Seed",
        help: "Seed of the data, the initialisation and the sampling: same seed, same run.",
        range: Range::Int {
            min: 0,
            max: u64::MAX,
        },
        effect: Effect::Reset,
        cli: true,
        applies: always,
        get: |c| int(c.seed),
        set: |c, v| {
            c.seed = v.as_u64().ok_or("not a whole number")?;
            Ok(())
        },
    },
    Field {
        key: "lr",
        label: "Learning rate",
        help: "The optimiser's step size (Adam or AMSGrad); acts on the next step. Too large and the loss can diverge.",
        range: Range::Float { min: 1e-6, max: 1.0 },
        effect: Effect::NextStep,
        cli: true,
        applies: always,
        get: |c| num(c.lr),
        set: |c, v| {
            c.lr = as_f64(v)?;
            Ok(())
        },
    },
    Field {
        key: "optimizer",
        label: "Optimizer",
        help: "adam, or amsgrad (Adam with the running maximum of the second moment, DD's reference); both with PyTorch's β and ε.",
        range: Range::Choice(&OptimizerKind::KEYS),
        effect: Effect::Reset,
        cli: true,
        applies: always,
        get: |c| key(c.optimizer.key()),
        set: |c, v| {
            c.optimizer = OptimizerKind::parse(as_str(v)?)?;
            Ok(())
        },
    },
    Field {
        key: "lr-schedule",
        label: "Rate schedule",
        help: "constant, or plateau: the rate ÷10 after each epoch whose mean loss did not improve (the iVAE reference's ReduceLROnPlateau).",
        range: Range::Choice(&LrSchedule::KEYS),
        effect: Effect::Reset,
        cli: true,
        applies: always,
        get: |c| key(c.lr_schedule.key()),
        set: |c, v| {
            c.lr_schedule = LrSchedule::parse(as_str(v)?)?;
            Ok(())
        },
    },
    Field {
        key: "alpha",
        label: "α",
        help: "Weight α: index-code MI (β-TCVAE) or D(q(z), p(z)) (DD). Acts on the next step.",
        range: WEIGHT,
        effect: Effect::NextStep,
        cli: true,
        applies: |c| weight_used(c, 0),
        get: |c| num(c.weights.alpha),
        set: |c, v| {
            c.weights.alpha = as_f64(v)?;
            Ok(())
        },
    },
    Field {
        key: "beta",
        label: "β",
        help: "Weight β: the KL (β-VAE, DD) or the total correlation (β-TCVAE). Acts on the next step.",
        range: WEIGHT,
        effect: Effect::NextStep,
        cli: true,
        applies: |c| weight_used(c, 1),
        get: |c| num(c.weights.beta),
        set: |c, v| {
            c.weights.beta = as_f64(v)?;
            Ok(())
        },
    },
    Field {
        key: "gamma",
        label: "γ",
        help: "Weight γ: dimension-wise KL (β-TCVAE) or the discriminator's TC (FactorVAE). Acts on the next step.",
        range: WEIGHT,
        effect: Effect::NextStep,
        cli: true,
        applies: |c| weight_used(c, 2),
        get: |c| num(c.weights.gamma),
        set: |c, v| {
            c.weights.gamma = as_f64(v)?;
            Ok(())
        },
    },
    Field {
        key: "ivae-prior",
        label: "iVAE prior",
        help: "How the iVAE gets log λ(u): mlp (an MLP on the one-hot u, the reference's) or table (one learned log-variance per segment).",
        range: Range::Choice(&IvaePrior::KEYS),
        effect: Effect::Reset,
        cli: true,
        applies: is_ivae,
        get: |c| key(c.ivae_prior.key()),
        set: |c, v| {
            c.ivae_prior = IvaePrior::parse(as_str(v)?)?;
            Ok(())
        },
    },
    Field {
        key: "ivae-weights",
        label: "iVAE ELBO weights",
        help: "a,b,c,d: a·recon + b·MI + c·TC + d·KL(∏q(z_j) ‖ p(z|u)); 1,1,1,1 is the plain ELBO, 100,1,0,10 the reference's. Acts on the next step.",
        range: Range::FloatList {
            min: 0.0,
            max: 1000.0,
            len: (4, 4),
        },
        effect: Effect::NextStep,
        cli: true,
        applies: is_ivae,
        get: |c| Some(Value::from(c.ivae_weights.to_vec())),
        set: |c, v| {
            c.ivae_weights = as_list(v, as_f64)?
                .try_into()
                .map_err(|_| "four weights a,b,c,d are needed".to_string())?;
            Ok(())
        },
    },
    Field {
        key: "estimator",
        label: "TC estimator",
        help: "Minibatch estimator of log q(z) (β-TCVAE, iVAE): mws (weighted, the one the β-TCVAE and iVAE references train with) or mss (stratified, unbiased for q(z)); their values are not comparable.",
        range: Range::Choice(&Estimator::KEYS),
        effect: Effect::Reset,
        cli: true,
        applies: |c| matches!(c.model, ModelKind::BetaTcvae | ModelKind::Ivae),
        get: |c| key(c.estimator.key()),
        set: |c, v| {
            c.estimator = Estimator::parse(as_str(v)?)?;
            Ok(())
        },
    },
    Field {
        key: "divergence",
        label: "Divergence D",
        help: "How DD compares q(z) with p(z): kl (KL(p ‖ q) on the batch) or mmd.",
        range: Range::Choice(&Divergence::KEYS),
        effect: Effect::Reset,
        cli: true,
        applies: is_dd,
        get: |c| key(c.divergence.key()),
        set: |c, v| {
            c.divergence = Divergence::parse(as_str(v)?)?;
            Ok(())
        },
    },
    Field {
        key: "prior",
        label: "Prior p(z)",
        help: "DD's prior: normal, anisotropic, student-t or mixture (2 latents), with their default parameters. Acts on the next step.",
        range: Range::Choice(&PriorKind::KEYS),
        effect: Effect::NextStep,
        cli: true,
        applies: is_dd,
        get: |c| key(c.prior.kind().key()),
        set: |c, v| {
            c.prior = Prior::default_for(PriorKind::parse(as_str(v)?)?, c.latents);
            Ok(())
        },
    },
    Field {
        key: "prior-scales",
        label: "Prior scales",
        help: "Anisotropic prior: the standard deviation of each latent, e.g. 1.4,1.1,0.8.",
        range: Range::FloatList {
            min: 1e-3,
            max: 1e3,
            len: (1, 32),
        },
        effect: Effect::NextStep,
        cli: true,
        applies: |c| is_dd(c) && c.prior.kind() == PriorKind::Anisotropic,
        get: |c| match &c.prior {
            Prior::Anisotropic { scales } => Some(Value::from(scales.clone())),
            _ => None,
        },
        set: |c, v| match &mut c.prior {
            Prior::Anisotropic { scales } => {
                *scales = as_list(v, as_f64)?;
                Ok(())
            }
            _ => Err("only the anisotropic prior has scales".into()),
        },
    },
    Field {
        key: "prior-nu",
        label: "Prior ν",
        help: "Student-t prior: degrees of freedom ν (the paper: 9); smaller is heavier-tailed.",
        range: Range::Float {
            min: 0.01,
            max: 1000.0,
        },
        effect: Effect::NextStep,
        cli: true,
        applies: |c| is_dd(c) && c.prior.kind() == PriorKind::StudentT,
        get: |c| match &c.prior {
            Prior::StudentT { nu } => num(*nu),
            _ => None,
        },
        set: |c, v| match &mut c.prior {
            Prior::StudentT { nu } => {
                *nu = as_f64(v)?;
                Ok(())
            }
            _ => Err("only the Student-t prior has ν".into()),
        },
    },
    Field {
        key: "prior-means",
        label: "Mixture means",
        help: "Mixture prior: the component means, one point per component, e.g. 0,-1;0,1;1,0;-1,0.",
        range: Range::Points {
            min: -100.0,
            max: 100.0,
            rows: (1, 64),
        },
        effect: Effect::NextStep,
        cli: true,
        applies: |c| is_dd(c) && c.prior.kind() == PriorKind::Mixture,
        get: |c| match &c.prior {
            Prior::Mixture { means, .. } => Some(Value::from(means.clone())),
            _ => None,
        },
        set: |c, v| match &mut c.prior {
            Prior::Mixture { means, .. } => {
                *means = as_list(v, |row| as_list(row, as_f64))?;
                Ok(())
            }
            _ => Err("only the mixture prior has component means".into()),
        },
    },
    Field {
        key: "prior-std",
        label: "Mixture std",
        help: "Mixture prior: the standard deviation of every component (the pinwheel's: √0.03).",
        range: Range::Float {
            min: 1e-3,
            max: 100.0,
        },
        effect: Effect::NextStep,
        cli: true,
        applies: |c| is_dd(c) && c.prior.kind() == PriorKind::Mixture,
        get: |c| match &c.prior {
            Prior::Mixture { std, .. } => num(*std),
            _ => None,
        },
        set: |c, v| match &mut c.prior {
            Prior::Mixture { std, .. } => {
                *std = as_f64(v)?;
                Ok(())
            }
            _ => Err("only the mixture prior has a component std".into()),
        },
    },
    Field {
        key: "backend",
        label: "Backend",
        help: "Where training runs: auto (the page measures and picks; natively Flex), wgpu, ndarray or flex.",
        range: Range::Choice(&BackendPref::KEYS),
        effect: Effect::Backend,
        cli: true,
        applies: always,
        get: |c| key(c.backend.key()),
        set: |c, v| {
            c.backend = BackendPref::parse(as_str(v)?)?;
            Ok(())
        },
    },
    Field {
        key: "speed",
        label: "Speed",
        help: "Slow motion pauses between updates so each step can be watched.",
        range: Range::Choice(&Speed::KEYS),
        effect: Effect::Speed,
        cli: false,
        applies: always,
        get: |c| key(c.speed.key()),
        set: |c, v| {
            c.speed = Speed::parse(as_str(v)?)?;
            Ok(())
        },
    },
];

/// The setting with this key.
pub fn field(key: &str) -> Option<&'static Field> {
    FIELDS.iter().find(|f| f.key == key)
}

impl Field {
    /// The setting's value in `config` (`None`: this configuration has no such value).
    pub fn value(&self, config: &TrainConfig) -> Option<Value> {
        (self.get)(config)
    }

    /// The value as text (links, CLI, controls), or `None` as for [`Field::value`].
    pub fn text(&self, config: &TrainConfig) -> Option<String> {
        self.value(config).map(|v| value_text(&v))
    }

    /// Checks `value` against the range, then sets it; the message names the setting.
    pub fn set(&self, config: &mut TrainConfig, value: &Value) -> Result<(), String> {
        self.check(value)
            .and_then(|()| (self.set)(config, value))
            .map_err(|e| format!("{}: {e}", self.key))
    }

    /// Parses `text` as this setting's value, checks it and sets it.
    pub fn set_text(&self, config: &mut TrainConfig, text: &str) -> Result<(), String> {
        let value = self.parse(text).map_err(|e| format!("{}: {e}", self.key))?;
        self.set(config, &value)
    }

    /// Parses `text` into a value of this setting's shape (not yet range-checked).
    pub fn parse(&self, t: &str) -> Result<Value, String> {
        let t = t.trim();
        let float = |s: &str| -> Result<Value, String> {
            let v: f64 = s
                .trim()
                .parse()
                .map_err(|_| format!("'{}' is not a number", text::clip(s, 40)))?;
            Number::from_f64(v)
                .map(Value::Number)
                .ok_or_else(|| format!("'{}' is not a finite number", text::clip(s, 40)))
        };
        let whole = |s: &str| -> Result<Value, String> {
            s.trim()
                .parse::<u64>()
                .map(Value::from)
                .map_err(|_| format!("'{}' is not a whole number ≥ 0", text::clip(s, 40)))
        };
        let list = |s: &str, sep: char, item: &dyn Fn(&str) -> Result<Value, String>| {
            s.split(sep)
                .map(item)
                .collect::<Result<Vec<Value>, String>>()
                .map(Value::Array)
        };
        match self.range {
            Range::Choice(_) | Range::Spec => Ok(Value::from(t)),
            Range::Float { .. } => float(t),
            Range::Int { .. } => whole(t),
            Range::Bool => match t {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(format!("'{}' is not true or false", text::clip(t, 40))),
            },
            Range::IntList { .. } => list(t, ',', &whole),
            Range::FloatList { .. } => list(t, ',', &float),
            Range::Points { .. } => list(t, ';', &|row| list(row, ',', &float)),
        }
    }

    /// Checks a value's shape and range; the message says what is allowed.
    pub fn check(&self, v: &Value) -> Result<(), String> {
        let shown = || text::clip(&value_text(v), 40);
        let in_float = |x: &Value, min: f64, max: f64| match x.as_f64() {
            Some(f) if f.is_finite() && (min..=max).contains(&f) => Ok(()),
            _ => Err(format!(
                "{} is out of range [{}, {}]",
                text::clip(&value_text(x), 40),
                text::number(min),
                text::number(max)
            )),
        };
        let in_int = |x: &Value, min: u64, max: u64| match x.as_u64() {
            Some(n) if (min..=max).contains(&n) => Ok(()),
            _ => Err(format!(
                "{} is out of range {min}..={max}",
                text::clip(&value_text(x), 40)
            )),
        };
        let items = |len: (usize, usize)| -> Result<&Vec<Value>, String> {
            let a = v
                .as_array()
                .ok_or_else(|| format!("{} is not a list", shown()))?;
            if !(len.0..=len.1).contains(&a.len()) {
                return Err(format!(
                    "{} items given; {}..={} allowed",
                    a.len(),
                    len.0,
                    len.1
                ));
            }
            Ok(a)
        };
        match self.range {
            Range::Choice(keys) => match v.as_str() {
                Some(s) if keys.contains(&s) => Ok(()),
                _ => Err(format!(
                    "unknown value {} (valid: {})",
                    shown(),
                    keys.join(", ")
                )),
            },
            Range::Spec => v
                .as_str()
                .map(|_| ())
                .ok_or_else(|| format!("{} is not text", shown())),
            Range::Float { min, max } => in_float(v, min, max),
            Range::Int { min, max } => in_int(v, min, max),
            Range::Bool => v
                .as_bool()
                .map(|_| ())
                .ok_or_else(|| format!("{} is not true or false", shown())),
            Range::IntList { min, max, len } => {
                items(len)?.iter().try_for_each(|x| in_int(x, min, max))
            }
            Range::FloatList { min, max, len } => {
                items(len)?.iter().try_for_each(|x| in_float(x, min, max))
            }
            Range::Points { min, max, rows } => items(rows)?.iter().try_for_each(|row| {
                row.as_array()
                    .filter(|r| (1..=32).contains(&r.len()))
                    .ok_or_else(|| format!("{} is not a point of 1..=32 numbers", shown()))?
                    .iter()
                    .try_for_each(|x| in_float(x, min, max))
            }),
        }
    }

    /// The default value for `dataset`, as text (`None`: no such value there).
    pub fn default_text(&self, dataset: DatasetKind) -> Option<String> {
        self.text(&TrainConfig::for_dataset(dataset))
    }
}

/// A value as text: keys and specs as they are, numbers in their shortest exact form, lists
/// comma-separated, points `;`-separated.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_u64() {
            Some(u) => u.to_string(),
            None => text::number(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::Array(items) => {
            let nested = items.iter().any(Value::is_array);
            let sep = if nested { ";" } else { "," };
            items.iter().map(value_text).collect::<Vec<_>>().join(sep)
        }
        other => other.to_string(),
    }
}

/// Checks every setting of `config` against its range (the per-setting half of
/// [`TrainConfig::validate`]).
pub fn check_ranges(config: &TrainConfig) -> Result<(), String> {
    for f in FIELDS {
        if let Some(v) = f.value(config) {
            f.check(&v).map_err(|e| format!("{}: {e}", f.key))?;
        } else if (f.applies)(config) && f.cli {
            // A value every configuration of this kind has is missing: impossible by
            // construction, but say so rather than pass silently.
            return Err(format!("{}: no value", f.key));
        }
    }
    Ok(())
}

/// Builds a configuration from (key, value) pairs: the data set's defaults, then each given
/// setting in schema order. `strict` refuses unknown keys and bad values with a message;
/// otherwise each is skipped and listed. The result is validated as a whole.
pub fn from_values(
    pairs: &[(String, Value)],
    strict: bool,
) -> Result<(TrainConfig, Vec<String>), String> {
    let mut ignored = Vec::new();
    for (k, _) in pairs {
        if field(k).is_none() {
            let msg = format!("{}: unknown setting", text::clip(k, 40));
            if strict {
                return Err(msg);
            }
            ignored.push(msg);
        }
    }
    let mut config = TrainConfig::default();
    for f in FIELDS {
        let mut given = pairs.iter().filter(|(k, _)| k == f.key);
        let Some((_, v)) = given.next() else {
            continue;
        };
        let result = if given.next().is_some() {
            Err(format!("{}: given more than once", f.key))
        } else {
            f.set(&mut config, v)
        };
        if let Err(e) = result {
            if strict {
                return Err(e);
            }
            ignored.push(e);
        }
    }
    config.validate()?;
    Ok((config, ignored))
}

/// The settings of `config` that differ from what [`from_values`] would build without them,
/// in schema order: the data set, model and seed always, then every other setting that is
/// not its default. Decoding these gives `config` back exactly.
pub fn differing(config: &TrainConfig) -> Vec<(&'static Field, Value)> {
    let mut rebuilt = TrainConfig::default();
    let mut out = Vec::new();
    for f in FIELDS {
        let Some(v) = f.value(config) else {
            continue;
        };
        let always_written = matches!(f.key, "dataset" | "model" | "seed");
        if always_written || f.value(&rebuilt).as_ref() != Some(&v) {
            // Setting it on the copy keeps later defaults (e.g. a prior's parameters) in step.
            let _ = f.set(&mut rebuilt, &v);
            out.push((f, v));
        }
    }
    out
}

/// The settings that would need a new model to go from `a` to `b` (their keys): a live change
/// may differ from the current settings only in those that act on the next step.
pub fn reset_changes(a: &TrainConfig, b: &TrainConfig) -> Vec<&'static str> {
    FIELDS
        .iter()
        .filter(|f| f.effect == Effect::Reset && f.value(a) != f.value(b))
        .map(|f| f.key)
        .collect()
}

/// Copies the settings that act on the next step (weights, learning rate, prior) from `from`
/// into `to`, in schema order; the rest of `to` is kept.
pub fn copy_live(from: &TrainConfig, to: &mut TrainConfig) -> Result<(), String> {
    for f in FIELDS.iter().filter(|f| f.effect == Effect::NextStep) {
        if let Some(v) = f.value(from) {
            f.set(to, &v)?;
        }
    }
    Ok(())
}

impl serde::Serialize for TrainConfig {
    /// Every setting the configuration has, `{key: value}` in schema order.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        for f in FIELDS {
            if let Some(v) = f.value(self) {
                map.serialize_entry(f.key, &v)?;
            }
        }
        map.end()
    }
}

impl<'de> serde::Deserialize<'de> for TrainConfig {
    /// `{key: value}`: missing settings take the data set's defaults; an unknown key, a value
    /// out of range or settings that do not fit together are refused with a message.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = serde_json::Map::<String, Value>::deserialize(d)?;
        let pairs: Vec<(String, Value)> = map.into_iter().collect();
        from_values(&pairs, true)
            .map(|(c, _)| c)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_defaults_are_in_range() {
        for (i, f) in FIELDS.iter().enumerate() {
            assert!(
                FIELDS[i + 1..].iter().all(|g| g.key != f.key),
                "{} twice",
                f.key
            );
            for d in DatasetKind::ALL {
                if let Some(v) = f.value(&TrainConfig::for_dataset(d)) {
                    f.check(&v).unwrap_or_else(|e| panic!("{}: {e}", f.key));
                }
            }
        }
    }

    #[test]
    fn json_round_trips_and_uses_the_link_spellings() {
        let mut c = TrainConfig::for_dataset(DatasetKind::Dsprites);
        c.model = ModelKind::Dd;
        c.divergence = Divergence::KlPQ;
        c.prior = Prior::StudentT { nu: 4.5 };
        c.hidden = vec![256, 256];
        c.image_net = ImageNet::Mlp;
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["divergence"], "kl");
        assert_eq!(json["net"], "mlp");
        assert_eq!(json["prior"], "student-t");
        assert_eq!(json["prior-nu"], 4.5);
        assert!(json.get("prior-means").is_none());
        assert_eq!(serde_json::from_value::<TrainConfig>(json).unwrap(), c);
    }

    #[test]
    fn json_refuses_unknown_keys_bad_values_and_misfits() {
        let err = |s: &str| {
            serde_json::from_str::<TrainConfig>(s)
                .unwrap_err()
                .to_string()
        };
        assert!(err(r#"{"colour": "red"}"#).contains("colour: unknown setting"));
        assert!(err(r#"{"segments": 4294967295, "dataset": "ivae"}"#).contains("segments"));
        assert!(err(r#"{"mixing-layers": 4294967295}"#).contains("1..=10"));
        assert!(
            err(r#"{"hidden": [100, 100, 100, 100, 100, 100, 100, 100, 100]}"#).contains("hidden")
        );
        assert!(err(r#"{"lr": 1e308}"#).contains("1e308 is out of range"));
        assert!(err(r#"{"model": "ivae"}"#).contains("segment label"));
        // Missing settings take the data set's defaults.
        let c: TrainConfig = serde_json::from_str(r#"{"dataset": "dsprites"}"#).unwrap();
        assert_eq!(c, TrainConfig::for_dataset(DatasetKind::Dsprites));
    }

    #[test]
    fn text_values_parse_and_print_alike() {
        let f = field("prior-means").unwrap();
        let v = f.parse("0,-1;0,1;1,0;-1,0").unwrap();
        assert_eq!(value_text(&v), "0,-1;0,1;1,0;-1,0");
        let h = field("hidden").unwrap();
        assert_eq!(value_text(&h.parse("256,256").unwrap()), "256,256");
        assert!(h.parse("256,x").is_err());
        let lr = field("lr").unwrap();
        assert_eq!(value_text(&lr.parse("0.001").unwrap()), "0.001");
        assert!(lr.parse("NaN").unwrap_err().contains("finite"));
    }

    #[test]
    fn live_settings_are_copied_and_the_others_kept() {
        let a = TrainConfig::default();
        let mut b = TrainConfig {
            seed: 9,
            ..a.clone()
        };
        let live = TrainConfig {
            lr: 0.01,
            model: ModelKind::Dd,
            prior: Prior::pinwheel(),
            ..a.clone()
        };
        copy_live(&live, &mut b).unwrap();
        assert_eq!((b.lr, b.seed, b.model), (0.01, 9, a.model));
        assert_eq!(b.prior, Prior::pinwheel());
        assert_eq!(reset_changes(&a, &b), vec!["seed"]);
        assert!(reset_changes(&a, &live).contains(&"model"));
    }

    #[test]
    fn latents_resize_a_prior_that_no_longer_fits() {
        let mut c = TrainConfig {
            model: ModelKind::Dd,
            ..TrainConfig::for_dataset(DatasetKind::Dsprites)
        };
        field("prior")
            .unwrap()
            .set_text(&mut c, "anisotropic")
            .unwrap();
        field("latents").unwrap().set_text(&mut c, "4").unwrap();
        assert_eq!(c.prior, Prior::anisotropic_default(4));
        c.validate().unwrap();
    }
}
