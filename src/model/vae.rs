//! The variational autoencoder: a Gaussian encoder, a reparameterised sample and a decoder.

use burn::module::Param;
use burn::prelude::*;
use burn::tensor::Distribution;

use super::mlp::{Mlp, MlpConfig};

/// Architecture of a [`Vae`] for vector data.
#[derive(Config, Debug)]
pub struct VaeConfig {
    /// Data dimension D.
    pub d_data: usize,
    /// Latent dimension K.
    #[config(default = 2)]
    pub latents: usize,
    /// Hidden widths of encoder and decoder (DD's pinwheel model: one layer of 100 ReLU units).
    #[config(default = "vec![100]")]
    pub hidden: Vec<usize>,
}

/// Encoder q(z|x) = N(μ(x), diag σ²(x)), decoder mean g(z) and a learned
/// per-dimension observation log-variance for the Gaussian likelihood p(x|z) = N(g(z), diag s²).
#[derive(Module, Debug)]
pub struct Vae {
    /// Maps x to [μ, log σ²] (2K outputs).
    encoder: Mlp,
    /// Maps z to the mean of p(x|z).
    decoder: Mlp,
    /// log s² of the Gaussian likelihood, one per data dimension.
    obs_logvar: Param<Tensor<1>>,
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
    /// Decoder means, `[batch, D]`.
    pub x_mean: Tensor<2>,
    /// Likelihood log-variances, `[D]`.
    pub obs_logvar: Tensor<1>,
}

impl VaeConfig {
    /// Builds the model on `device`.
    pub fn init(&self, device: &Device) -> Vae {
        let encoder = MlpConfig::new(self.d_data, self.hidden.clone(), 2 * self.latents).init(device);
        let mut dec_hidden = self.hidden.clone();
        dec_hidden.reverse();
        let decoder = MlpConfig::new(self.latents, dec_hidden, self.d_data).init(device);
        let obs_logvar = Param::from_tensor(Tensor::zeros([self.d_data], device));
        Vae { encoder, decoder, obs_logvar }
    }
}

impl Vae {
    /// Posterior parameters (μ, log σ²) of q(z|x).
    ///
    /// # Shapes
    /// - `x`: `[batch, D]` → (`[batch, K]`, `[batch, K]`)
    pub fn encode(&self, x: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let h = self.encoder.forward(x); // [batch, 2K]
        let k = h.dims()[1] / 2;
        let mu = h.clone().narrow(1, 0, k); // [batch, K]
        // Clamp keeps exp(logvar) finite early in training, when the encoder can overshoot.
        let logvar = h.narrow(1, k, k).clamp(-12.0, 8.0); // [batch, K]
        (mu, logvar)
    }

    /// Decoder mean g(z).
    ///
    /// # Shapes
    /// - `z`: `[batch, K]` → `[batch, D]`
    pub fn decode(&self, z: Tensor<2>) -> Tensor<2> {
        self.decoder.forward(z)
    }

    /// Encode, draw one reparameterised sample per point, decode.
    ///
    /// # Shapes
    /// - `x`: `[batch, D]`
    pub fn forward(&self, x: Tensor<2>) -> VaeOutput {
        let (mu, logvar) = self.encode(x); // [batch, K] each
        let eps = mu.random_like(Distribution::Normal(0.0, 1.0)); // [batch, K]
        let z = mu.clone() + logvar.clone().mul_scalar(0.5).exp() * eps; // [batch, K]
        let x_mean = self.decode(z.clone()); // [batch, D]
        let obs_logvar = self.obs_logvar.val().clamp(-9.0, 4.0); // [D]
        VaeOutput { mu, logvar, z, x_mean, obs_logvar }
    }
}
