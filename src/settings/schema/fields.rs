//! [`FIELDS`], the table of every run setting, and the predicates that say when a setting
//! applies.

use serde_json::Value;

use crate::settings::choice::{
    Activation, BackendPref, ConvSize, DatasetKind, DecoderStd, Divergence, EncoderHeads,
    EncoderStd, Estimator, ImageNet, IvaePrior, LrSchedule, ModelKind, OptimizerKind,
    PinwheelVariant, PriorKind, Speed,
};
use crate::settings::config::TrainConfig;
use crate::settings::prior::Prior;
use crate::settings::weights;

use super::{as_f64, as_list, as_str, as_usize, int, key, num, Effect, Field, Range};

fn always(_: &TrainConfig) -> bool {
    true
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
    max: weights::MAX_WEIGHT,
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
                c.prior = Prior::default_for(c.prior.kind(), c.dataset, c.latents);
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
            c.prior = Prior::default_for(PriorKind::parse(as_str(v)?)?, c.dataset, c.latents);
            Ok(())
        },
    },
    Field {
        key: "prior-scales",
        label: "Prior scales",
        help: "Anisotropic prior: the standard deviation of each latent, e.g. 1.4,1.1,0.8. On dSprites the default is DD's, from the images' principal values.",
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
