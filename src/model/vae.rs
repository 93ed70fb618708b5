//! The variational autoencoder: a Gaussian encoder, a reparameterised sample and a decoder
//! with a Gaussian (vector data) or Bernoulli (images) likelihood.

use burn::module::Param;
use burn::prelude::*;
use burn::tensor::activation::relu;
use burn::tensor::Distribution;
use serde::{Deserialize, Serialize};

use super::conv::{self, ConvDecoder, ConvEncoder, ConvSize};
use super::mlp::{Mlp, MlpConfig};
use crate::objective::gaussian;

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
    /// one log-variance per data dimension.
    #[config(default = "None")]
    pub obs_var: Option<f64>,
}

/// The encoder network (outputs 2K numbers: μ and log σ²).
// One per model, built once: the variants' size difference costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Encoder {
    /// MLP on [x, u].
    Mlp(Mlp),
    /// Convolutional network on the image.
    Conv(ConvEncoder),
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
        let (encoder, decoder) = match self.net {
            NetKind::Mlp | NetKind::MlpBernoulli => {
                let enc = MlpConfig::new(
                    self.d_data + self.d_aux,
                    self.hidden.clone(),
                    2 * self.latents,
                );
                let mut dec_hidden = self.hidden.clone();
                dec_hidden.reverse();
                let dec = MlpConfig::new(self.latents, dec_hidden, self.d_data);
                let decoder = match self.net {
                    NetKind::MlpBernoulli => Decoder::MlpLogits(dec.init(device)),
                    _ => Decoder::Mlp(dec.init(device)),
                };
                (Encoder::Mlp(enc.init(device)), decoder)
            }
            NetKind::Conv(size) => {
                let (e, d) = conv::init(size, self.latents, device);
                (Encoder::Conv(e), Decoder::Conv(d))
            }
        };
        let learned = matches!(self.net, NetKind::Mlp) && self.obs_var.is_none();
        let obs_logvar = learned.then(|| Param::from_tensor(Tensor::zeros([self.d_data], device)));
        Vae {
            encoder,
            decoder,
            obs_logvar,
            fixed_obs_logvar: self.obs_var.unwrap_or(1.0).ln(),
        }
    }
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
        let h = match &self.encoder {
            Encoder::Mlp(m) => m.forward(x),
            Encoder::Conv(c) => c.forward(x),
        }; // [batch, 2K]
        let k = h.dims()[1] / 2;
        let mu = h.clone().narrow(1, 0, k); // [batch, K]
                                            // Clamp keeps exp(logvar) finite early in training, when the encoder can overshoot.
        let logvar = h.narrow(1, k, k).clamp(-12.0, 8.0); // [batch, K]
        (mu, logvar)
    }

    /// Decoder output g(z): Gaussian means or Bernoulli logits.
    ///
    /// # Shapes
    /// - `z`: `[batch, K]` → `[batch, D]`
    pub fn decode(&self, z: Tensor<2>) -> Tensor<2> {
        match &self.decoder {
            Decoder::Mlp(m) | Decoder::MlpLogits(m) => m.forward(z),
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
            Decoder::Conv(c) => burn::tensor::activation::sigmoid(c.forward(z)),
            Decoder::MlpLogits(m) => burn::tensor::activation::sigmoid(m.forward(z)),
        }
    }

    /// Reconstruction negative log-likelihood −log p(x|z) per point, summed over features.
    ///
    /// Gaussian: [`gaussian::neg_log_likelihood`]. Bernoulli (logits l):
    /// Σ_d [max(l, 0) − l·x + log(1 + e^(−|l|))], the stable binary cross-entropy.
    ///
    /// # Shapes
    /// - `x`, `decoded`: `[batch, D]` → `[batch]`
    pub fn recon_nll(&self, x: Tensor<2>, decoded: Tensor<2>) -> Tensor<1> {
        let per_feature = match &self.decoder {
            Decoder::Conv(_) | Decoder::MlpLogits(_) => {
                let l = decoded; // [batch, D]
                relu(l.clone()) - l.clone() * x + l.abs().neg().exp().log1p()
            }
            Decoder::Mlp(_) => {
                let logvar = match &self.obs_logvar {
                    Some(p) => p.val().clamp(-9.0, 4.0), // [D]
                    None => Tensor::<1>::full([x.dims()[1]], self.fixed_obs_logvar, &x.device()),
                };
                return gaussian::neg_log_likelihood(x, decoded, logvar);
            }
        };
        per_feature.sum_dim(1).squeeze_dim::<1>(1) // [batch]
    }
}
