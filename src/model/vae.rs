//! The variational autoencoder: a Gaussian encoder, a reparameterised sample and a decoder
//! with a Gaussian (vector data) or Bernoulli (images) likelihood.

use burn::module::Param;
use burn::prelude::*;
use burn::tensor::activation::softplus;
use burn::tensor::Distribution;
use serde::{Deserialize, Serialize};

use super::bernoulli;
use super::conv::{self, ConvDecoder, ConvEncoder, ConvSize};
use super::mlp::{Activation, Mlp, MlpConfig};
use crate::math::gaussian;
pub use crate::settings::{EncoderHeads, EncoderStd};

/// Added to softplus(h) for the encoder's σ, keeping it positive (DD's `Constants.eta`).
pub const SOFTPLUS_STD_EPS: f64 = 1e-6;

/// Which networks to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NetKind {
    /// MLPs with a Gaussian likelihood, for 2-D and other vector data.
    Mlp,
    /// MLPs with a Bernoulli likelihood (the decoder outputs logits), for binary images
    /// (Chen et al.'s dSprites MLP; much cheaper than the convolutions on a CPU).
    MlpBernoulli,
    /// Convolutional networks with a Bernoulli likelihood, for 64×64 binary images.
    Conv(ConvSize),
}

/// Architecture of a [`Vae`].
#[derive(Config, Debug)]
pub struct VaeConfig {
    /// Data dimension D (4096 for dSprites).
    pub d_data: usize,
    /// Latent dimension K.
    #[config(default = 2)]
    pub latents: usize,
    /// Hidden widths of the MLPs (DD's pinwheel model: one layer of 100 ReLU units).
    #[config(default = "vec![100]")]
    pub hidden: Vec<usize>,
    /// MLPs or convolutional networks.
    #[config(default = "NetKind::Mlp")]
    pub net: NetKind,
    /// Width of auxiliary inputs appended to x for the encoder (iVAE's one-hot u), else 0.
    #[config(default = 0)]
    pub d_aux: usize,
    /// Fixed variance of the Gaussian likelihood (iVAE's reference uses 0.1); `None` learns
    /// one log-variance per data dimension (unless `obs_std_head`).
    #[config(default = "None")]
    pub obs_var: Option<f64>,
    /// Gaussian likelihood: a second decoder head gives each point's std, softplus(h) (DD's
    /// pinwheel decoder); overrides `obs_var`.
    #[config(default = false)]
    pub obs_std_head: bool,
    /// Activation of the MLPs' hidden layers.
    #[config(default = "Activation::Relu")]
    pub activation: Activation,
    /// How the encoder gives σ.
    #[config(default = "EncoderStd::Exp")]
    pub encoder_std: EncoderStd,
    /// One encoder MLP for μ and the spread, or one each.
    #[config(default = "EncoderHeads::Shared")]
    pub encoder_heads: EncoderHeads,
}

/// The encoder network (outputs μ and the spread h: log σ², or σ before softplus).
// One per model, built once: the variants' size difference costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Encoder {
    /// MLP on [x, u] with 2K outputs.
    Mlp(Mlp),
    /// Convolutional network on the image with 2K outputs.
    Conv(ConvEncoder),
    /// Two MLPs on [x, u] with K outputs each (the iVAE reference's g and logv).
    MlpPair(MlpPair),
}

/// Separate encoder networks for μ and for the spread.
#[derive(Module, Debug)]
pub struct MlpPair {
    /// [x, u] → μ, `[batch, K]`.
    mean: Mlp,
    /// [x, u] → the spread h, `[batch, K]`.
    spread: Mlp,
}

/// The decoder network (Gaussian means or Bernoulli logits).
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Decoder {
    /// MLP to Gaussian means.
    Mlp(Mlp),
    /// Deconvolutional network to Bernoulli logits.
    Conv(ConvDecoder),
    /// MLP to Bernoulli logits.
    MlpLogits(Mlp),
    /// MLP to Gaussian means and, in the second half of its 2D outputs, the pre-softplus
    /// std of each point's likelihood (DD's pinwheel decoder).
    MlpStd(Mlp),
}

/// Encoder q(z|x) = N(μ(x), diag σ²(x)), decoder p(x|z), and for Gaussian likelihoods the
/// observation log-variance (learned per dimension, or fixed).
#[derive(Module, Debug)]
pub struct Vae {
    encoder: Encoder,
    decoder: Decoder,
    /// Learned log s² per data dimension (Gaussian likelihood, unless fixed).
    obs_logvar: Option<Param<Tensor<1>>>,
    /// Fixed log s² (iVAE), used when `obs_logvar` is `None` for a Gaussian likelihood.
    fixed_obs_logvar: f64,
    /// How the encoder's spread output becomes log σ² (a setting, not a parameter).
    #[module(skip)]
    encoder_std: EncoderStd,
}

/// Everything one forward pass produces, kept for the objective.
#[derive(Clone, Debug)]
pub struct VaeOutput {
    /// Posterior means μ, `[batch, K]`.
    pub mu: Tensor<2>,
    /// Posterior log-variances log σ², `[batch, K]`.
    pub logvar: Tensor<2>,
    /// One reparameterised sample z = μ + σ·ε per point, `[batch, K]`.
    pub z: Tensor<2>,
    /// Decoder output: Gaussian means or Bernoulli logits, `[batch, D]`.
    pub decoded: Tensor<2>,
}

impl VaeConfig {
    /// Builds the model on `device`.
    pub fn init(&self, device: &Device) -> Vae {
        let mlp = |d_in: usize, hidden: Vec<usize>, d_out: usize| {
            MlpConfig::new(d_in, hidden, d_out)
                .with_activation(self.activation)
                .init(device)
        };
        let (encoder, decoder) = match self.net {
            NetKind::Mlp | NetKind::MlpBernoulli => {
                let d_in = self.d_data + self.d_aux;
                let k = self.latents;
                let encoder = match self.encoder_heads {
                    EncoderHeads::Shared => Encoder::Mlp(mlp(d_in, self.hidden.clone(), 2 * k)),
                    EncoderHeads::Separate => Encoder::MlpPair(MlpPair {
                        mean: mlp(d_in, self.hidden.clone(), k),
                        spread: mlp(d_in, self.hidden.clone(), k),
                    }),
                };
                let mut dec_hidden = self.hidden.clone();
                dec_hidden.reverse();
                let decoder = match self.net {
                    NetKind::MlpBernoulli => Decoder::MlpLogits(mlp(k, dec_hidden, self.d_data)),
                    _ if self.obs_std_head => Decoder::MlpStd(mlp(k, dec_hidden, 2 * self.d_data)),
                    _ => Decoder::Mlp(mlp(k, dec_hidden, self.d_data)),
                };
                (encoder, decoder)
            }
            NetKind::Conv(size) => {
                let (e, d) = conv::init(size, self.latents, device);
                (Encoder::Conv(e), Decoder::Conv(d))
            }
        };
        let learned =
            matches!(self.net, NetKind::Mlp) && self.obs_var.is_none() && !self.obs_std_head;
        let obs_logvar = learned.then(|| Param::from_tensor(Tensor::zeros([self.d_data], device)));
        Vae {
            encoder,
            decoder,
            obs_logvar,
            fixed_obs_logvar: self.obs_var.unwrap_or(1.0).ln(),
            encoder_std: self.encoder_std,
        }
    }
}

/// The two halves of the columns of `h`.
///
/// # Shapes
/// - `h`: `[batch, 2K]` → (`[batch, K]`, `[batch, K]`)
fn halves(h: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
    let k = h.dims()[1] / 2;
    (h.clone().narrow(1, 0, k), h.narrow(1, k, k))
}

/// log σ² from the encoder's spread output h: `Exp` reads h as log σ² (clamped to [−12, 8],
/// which keeps exp(logvar) finite early in training); `Softplus` takes
/// σ = softplus(h) + 10⁻⁶, so log σ² = 2·log σ.
///
/// # Shapes
/// - `h`: `[batch, K]` → `[batch, K]`
pub fn spread_to_logvar(encoder_std: EncoderStd, h: Tensor<2>) -> Tensor<2> {
    match encoder_std {
        EncoderStd::Exp => h.clamp(-12.0, 8.0),
        EncoderStd::Softplus => softplus(h, 1.0)
            .add_scalar(SOFTPLUS_STD_EPS)
            .log()
            .mul_scalar(2.0),
    }
}

/// −log N(x; m, s²) per point, summed over features, with a per-point std s = softplus(h):
/// Σ_d [½((x_d − m_d)/s_d)² + log s_d + ½ log 2π].
///
/// # Shapes
/// - `x`, `mean`, `std_pre`: `[batch, D]` → `[batch]`
pub fn softplus_std_nll(x: Tensor<2>, mean: Tensor<2>, std_pre: Tensor<2>) -> Tensor<1> {
    let s = softplus(std_pre, 1.0); // [batch, D]
    let z2 = ((x - mean) / s.clone()).powf_scalar(2.0); // [batch, D]
    let per_feature = z2
        .mul_scalar(0.5)
        .add(s.log())
        .add_scalar(0.5 * gaussian::LOG_2PI); // [batch, D]
    per_feature.sum_dim(1).squeeze_dim::<1>(1) // [batch]
}

/// z = μ + e^{½ log σ²}·ε with ε ~ N(0, I) from the device's generator.
///
/// # Shapes
/// - `mu`, `logvar`: `[batch, K]` → `[batch, K]`
fn reparameterise(mu: Tensor<2>, logvar: Tensor<2>) -> Tensor<2> {
    let eps = mu.random_like(Distribution::Normal(0.0, 1.0)); // [batch, K]
    mu + logvar.mul_scalar(0.5).exp() * eps // [batch, K]
}

impl Vae {
    /// Posterior parameters (μ, log σ²) of q(z|x).
    ///
    /// # Shapes
    /// - `x`: `[batch, D + d_aux]` → (`[batch, K]`, `[batch, K]`)
    pub fn encode(&self, x: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let (mu, spread) = match &self.encoder {
            Encoder::MlpPair(p) => (p.mean.forward(x.clone()), p.spread.forward(x)),
            Encoder::Mlp(m) => halves(m.forward(x)),
            Encoder::Conv(c) => halves(c.forward(x)),
        }; // [batch, K] each
        (mu, spread_to_logvar(self.encoder_std, spread)) // [batch, K] each
    }

    /// Decoder output g(z): Gaussian means or Bernoulli logits.
    ///
    /// # Shapes
    /// - `z`: `[batch, K]` → `[batch, D]`
    ///
    /// With a std head: `[batch, 2D]`, the means, then the pre-softplus stds.
    pub fn decode(&self, z: Tensor<2>) -> Tensor<2> {
        match &self.decoder {
            Decoder::Mlp(m) | Decoder::MlpLogits(m) | Decoder::MlpStd(m) => m.forward(z),
            Decoder::Conv(c) => c.forward(z),
        }
    }

    /// Encode, draw one reparameterised sample per point, decode.
    ///
    /// # Shapes
    /// - `x_enc`: `[batch, D + d_aux]` (x, with u appended for iVAE)
    pub fn forward(&self, x_enc: Tensor<2>) -> VaeOutput {
        let (mu, logvar) = self.encode(x_enc); // [batch, K] each
        let z = reparameterise(mu.clone(), logvar.clone()); // [batch, K]
        let decoded = self.decode(z.clone()); // [batch, D]
        VaeOutput {
            mu,
            logvar,
            z,
            decoded,
        }
    }

    /// One reparameterised sample of q(z|x) per point, without decoding (FactorVAE's second
    /// batch); draws from the device's generator exactly as [`Self::forward`] does.
    ///
    /// # Shapes
    /// - `x_enc`: `[batch, D + d_aux]` → `[batch, K]`
    pub fn sample_latent(&self, x_enc: Tensor<2>) -> Tensor<2> {
        let (mu, logvar) = self.encode(x_enc); // [batch, K] each
        reparameterise(mu, logvar) // [batch, K]
    }

    /// Images in [0, 1] that the decoder means for `z` (Bernoulli: sigmoid of the logits).
    pub fn mean_image(&self, z: Tensor<2>) -> Tensor<2> {
        match &self.decoder {
            Decoder::Mlp(m) => m.forward(z),
            Decoder::MlpStd(m) => {
                let out = m.forward(z); // [batch, 2D]
                let d = out.dims()[1] / 2;
                out.narrow(1, 0, d) // [batch, D]
            }
            Decoder::Conv(c) => burn::tensor::activation::sigmoid(c.forward(z)),
            Decoder::MlpLogits(m) => burn::tensor::activation::sigmoid(m.forward(z)),
        }
    }

    /// Reconstruction negative log-likelihood −log p(x|z) per point, summed over features.
    ///
    /// Gaussian: [`gaussian::neg_log_likelihood`], or [`softplus_std_nll`] with a std head.
    /// Bernoulli (logits l): [`bernoulli::nll`],
    /// Σ_d [max(l, 0) − l·x + log(1 + e^(−|l|))], the stable binary cross-entropy.
    ///
    /// # Shapes
    /// - `x`, `decoded`: `[batch, D]` → `[batch]`
    pub fn recon_nll(&self, x: Tensor<2>, decoded: Tensor<2>) -> Tensor<1> {
        match &self.decoder {
            Decoder::Conv(_) | Decoder::MlpLogits(_) => bernoulli::nll(decoded, x),
            Decoder::MlpStd(_) => {
                let d = x.dims()[1];
                let mean = decoded.clone().narrow(1, 0, d); // [batch, D]
                let std_pre = decoded.narrow(1, d, d); // [batch, D]
                softplus_std_nll(x, mean, std_pre)
            }
            Decoder::Mlp(_) => {
                let logvar = match &self.obs_logvar {
                    Some(p) => p.val().clamp(-9.0, 4.0), // [D]
                    None => Tensor::<1>::full([x.dims()[1]], self.fixed_obs_logvar, &x.device()),
                };
                gaussian::neg_log_likelihood(x, decoded, logvar)
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A tensor's values as f64 (the model tests' readback).
    pub(crate) fn host<const D: usize>(t: Tensor<D>) -> Vec<f64> {
        t.into_data()
            .try_to_vec::<f32>()
            .unwrap()
            .into_iter()
            .map(f64::from)
            .collect()
    }

    fn softplus64(h: f64) -> f64 {
        h.exp().ln_1p()
    }

    fn sigmoid64(h: f64) -> f64 {
        1.0 / (1.0 + (-h).exp())
    }

    /// log σ² = 2·log(softplus(h) + ε) and its gradient 2·sigmoid(h) / (softplus(h) + ε);
    /// `exp` reads h as log σ² (clamped).
    #[test]
    fn softplus_encoder_std_and_its_gradient_match_closed_forms() {
        let device = Device::flex().autodiff();
        let hs = [-20.0f32, -3.0, -0.5, 0.0, 1.2, 25.0];
        let h = Tensor::<1>::from_floats(hs, &device)
            .reshape([2, 3])
            .require_grad();
        let lv = spread_to_logvar(EncoderStd::Softplus, h.clone());
        let grads = lv.clone().sum().backward();
        let got = host(lv);
        let grad = host(h.grad(&grads).unwrap());
        for (i, &v) in hs.iter().enumerate() {
            let v = f64::from(v);
            let s = softplus64(v) + SOFTPLUS_STD_EPS;
            let want = 2.0 * s.ln();
            assert!(
                (got[i] - want).abs() < 1e-4 * want.abs().max(1.0),
                "log σ²({v}) = {} vs {want}",
                got[i]
            );
            let want_g = 2.0 * sigmoid64(v) / s;
            assert!(
                (grad[i] - want_g).abs() < 1e-3 * want_g.abs().max(1.0),
                "d/dh at {v}: {} vs {want_g}",
                grad[i]
            );
        }
        let clamped = host(spread_to_logvar(
            EncoderStd::Exp,
            Tensor::<2>::from_floats([[-20.0, 0.3, 9.0]], &Device::flex()),
        ));
        assert_eq!(clamped, [-12.0, 0.3f32 as f64, 8.0]);
    }

    /// −log N(x; m, s²) with s = softplus(h), summed over features, and its gradients
    /// ∂/∂m = −(x − m)/s², ∂/∂h = (1/s − (x − m)²/s³)·sigmoid(h).
    #[test]
    fn softplus_likelihood_std_nll_and_gradients_match_closed_forms() {
        let device = Device::flex().autodiff();
        let (x, m, h) = ([0.3f32, -1.0], [0.1f32, 0.5], [-1.5f32, 0.7]);
        let xt = Tensor::<2>::from_floats([x], &device);
        let mt = Tensor::<2>::from_floats([m], &device).require_grad();
        let ht = Tensor::<2>::from_floats([h], &device).require_grad();
        let nll = softplus_std_nll(xt, mt.clone(), ht.clone());
        let grads = nll.clone().sum().backward();
        let (gm, gh) = (
            host(mt.grad(&grads).unwrap()),
            host(ht.grad(&grads).unwrap()),
        );
        let mut want = 0.0;
        for d in 0..2 {
            let (x, m, h) = (f64::from(x[d]), f64::from(m[d]), f64::from(h[d]));
            let s = softplus64(h);
            want += 0.5 * ((x - m) / s).powi(2) + s.ln() + 0.5 * gaussian::LOG_2PI;
            let want_gm = -(x - m) / (s * s);
            let want_gh = (1.0 / s - (x - m).powi(2) / s.powi(3)) * sigmoid64(h);
            assert!(
                (gm[d] - want_gm).abs() < 1e-4,
                "∂/∂m[{d}] {} vs {want_gm}",
                gm[d]
            );
            assert!(
                (gh[d] - want_gh).abs() < 1e-4,
                "∂/∂h[{d}] {} vs {want_gh}",
                gh[d]
            );
        }
        let got = host(nll)[0];
        assert!((got - want).abs() < 1e-4, "{got} vs {want}");
    }

    /// Separate encoder networks give K means and K spreads; a std head doubles the
    /// decoder's outputs and `mean_image` keeps the means.
    #[test]
    fn reference_network_options_have_the_right_shapes() {
        let device = Device::flex();
        let vae = VaeConfig::new(2)
            .with_latents(3)
            .with_hidden(vec![8, 8])
            .with_activation(Activation::Xtanh)
            .with_encoder_heads(EncoderHeads::Separate)
            .with_obs_std_head(true)
            .init(&device);
        let x = Tensor::<2>::from_floats([[0.1, 0.2], [0.3, -0.4]], &device);
        let (mu, lv) = vae.encode(x.clone());
        assert_eq!((mu.dims(), lv.dims()), ([2, 3], [2, 3]));
        let out = vae.forward(x.clone());
        assert_eq!(out.decoded.dims(), [2, 4]);
        assert_eq!(vae.mean_image(out.z.clone()).dims(), [2, 2]);
        let nll = host(vae.recon_nll(x, out.decoded));
        assert!(nll.iter().all(|v| v.is_finite()));
    }
}
