//! FactorVAE (Kim & Mnih 2018; docs/methods.md §1.4): loss = recon + KL + γ·TC, with the TC
//! estimated by a discriminator D telling q(z) (label 0, "real") from `permute_dims` of a
//! second batch (label 1, "fake"); TC ≈ E_q[logit_real − logit_fake].
//!
//! Gradient separation: the VAE loss runs D through [`Discriminator::forward_frozen`] (the
//! same weights, detached), so z still receives ∂TC/∂z while D's parameters get nothing (a
//! `no_grad()` clone was tried first: on burn 0.22 it also switched off the original's
//! gradients when the parameters were still lazily uninitialised); the discriminator loss detaches both batches of z, so the VAE gets nothing.
//! Train them with two optimisers (VAE Adam lr 1e-4 (0.9, 0.999); D Adam lr 1e-4 (0.5, 0.9));
//! the trainer gives D the VAE's current rate, the paper's 1:1 ratio.

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::{log_softmax, relu};

use super::{terms_row, Encoded, ObjectiveOutput, TermName, Weights};
use crate::math::gaussian::kl_to_standard_normal;
use crate::model::flex_gemm::{affine, linear};
use crate::rng::Rng;

/// Hidden widths for the page: the paper's 6 × 1000 is ~5M parameters, too slow in a browser.
pub const PAGE_HIDDEN: [usize; 3] = [256, 256, 256];

/// Terms a FactorVAE (VAE-side) row holds, in order.
pub const TERMS: &[TermName] = &[
    TermName::Loss,
    TermName::Recon,
    TermName::Kl,
    TermName::Elbo,
    TermName::TcEstimate,
];

/// Terms a discriminator row holds, in order.
pub const DISC_TERMS: &[TermName] = &[TermName::DiscLoss, TermName::DiscAccuracy];

/// Shape of a [`Discriminator`].
#[derive(Config, Debug)]
pub struct DiscriminatorConfig {
    /// Latent dimension K (the input width).
    pub latents: usize,
    /// Hidden widths; the paper's 6 × 1000 by default, [`PAGE_HIDDEN`] for the page.
    #[config(default = "vec![1000; 6]")]
    pub hidden: Vec<usize>,
    /// Negative slope of the LeakyReLU activations.
    #[config(default = 0.2)]
    pub slope: f64,
}

/// MLP with LeakyReLU hidden layers and 2 logits: column 0 "real" (from q(z)), 1 "permuted".
#[derive(Module, Debug)]
pub struct Discriminator {
    /// Hidden layers, each followed by a LeakyReLU.
    hidden: Vec<Linear>,
    /// Read-out to the 2 logits.
    out: Linear,
    /// LeakyReLU negative slope.
    slope: f64,
}

impl DiscriminatorConfig {
    /// The smaller discriminator used in the page ([`PAGE_HIDDEN`]).
    pub fn page(latents: usize) -> Self {
        Self::new(latents).with_hidden(PAGE_HIDDEN.to_vec())
    }

    /// Builds the discriminator on `device`.
    pub fn init(&self, device: &Device) -> Discriminator {
        let mut width = self.latents;
        let mut hidden = Vec::with_capacity(self.hidden.len());
        for &h in &self.hidden {
            hidden.push(LinearConfig::new(width, h).init(device));
            width = h;
        }
        let out = LinearConfig::new(width, 2).init(device);
        Discriminator {
            hidden,
            out,
            slope: self.slope,
        }
    }
}

impl Discriminator {
    /// # Shapes
    /// - `z`: `[B, K]` → logits `[B, 2]`
    pub fn forward(&self, z: Tensor<2>) -> Tensor<2> {
        self.run(z, false)
    }

    /// The same function with every parameter detached: gradients flow to `z` but never to
    /// the discriminator (used by the VAE's loss).
    ///
    /// # Shapes
    /// - `z`: `[B, K]` → logits `[B, 2]`
    pub fn forward_frozen(&self, z: Tensor<2>) -> Tensor<2> {
        self.run(z, true)
    }

    fn run(&self, z: Tensor<2>, frozen: bool) -> Tensor<2> {
        let apply = |l: &Linear, h: Tensor<2>| {
            if !frozen {
                return linear(l, h);
            }
            let w = l.weight.val().detach(); // [in, out]
            let b = l.bias.as_ref().map(|b| b.val().detach()); // [out]
            affine(h, w, b) // [B, out]
        };
        let mut h = z;
        for layer in &self.hidden {
            h = leaky(apply(layer, h), self.slope); // [B, hidden_i]
        }
        apply(&self.out, h) // [B, 2]
    }
}

/// LeakyReLU as s·x + (1 − s)·relu(x): the same function as burn's `leaky_relu`, whose
/// autodiff form (a comparison and a masked select, forward and backward) took a sixth of a
/// FactorVAE step on Flex (profiled); ReLU and scalings are plain vectorised maps.
///
/// # Shapes
/// - `x`: any → same
fn leaky(x: Tensor<2>, slope: f64) -> Tensor<2> {
    relu(x.clone()).mul_scalar(1.0 - slope) + x.mul_scalar(slope)
}

/// Shuffles each column of `z` independently across the batch (Kim & Mnih's `permute_dims`):
/// the marginals are kept, the dependence between dimensions is destroyed. The permutations
/// are drawn on the host from `rng` and applied on the device with `gather`.
///
/// # Shapes
/// - `z`: `[B, K]` → `[B, K]`
pub fn permute_dims(z: Tensor<2>, rng: &mut Rng) -> Tensor<2> {
    let [b, k] = z.dims();
    let mut idx = vec![0i32; b * k];
    for col in 0..k {
        let mut perm: Vec<i32> = (0..b as i32).collect();
        rng.shuffle(&mut perm);
        for (row, p) in perm.into_iter().enumerate() {
            idx[row * k + col] = p;
        }
    }
    let idx = Tensor::<2, Int>::from_data(TensorData::new(idx, [b, k]), &z.device()); // [B, K]
    z.gather(0, idx) // [B, K]: out[i, c] = z[idx[i, c], c]
}

/// TC estimate mean_i(logit_real − logit_fake) = E[log D(z)/(1 − D(z))].
///
/// # Shapes
/// - `logits`: `[B, 2]` → `[1]`
pub fn tc_estimate(logits: Tensor<2>) -> Tensor<1> {
    let real = logits.clone().narrow(1, 0, 1); // [B, 1]
    let fake = logits.narrow(1, 1, 1); // [B, 1]
    (real - fake).mean().reshape([1]) // [1]
}

/// The VAE side: recon + KL(q(z|x) ‖ N(0, I)) + γ·TC (β = 1 as in the paper). D's parameters
/// receive no gradient from this loss (see the module docs). Reports [`TERMS`].
///
/// # Shapes
/// - `recon_nll`: `[B]`; `enc` fields: `[B, K]`
pub fn factor_vae(
    recon_nll: Tensor<1>,
    enc: &Encoded,
    disc: &Discriminator,
    weights: &Weights,
) -> ObjectiveOutput {
    let tc = tc_estimate(disc.forward_frozen(enc.z.clone())); // [1]
    let recon = recon_nll.mean(); // [1]
    let kl = kl_to_standard_normal(enc.mu.clone(), enc.logvar.clone()).mean(); // [1]
    let loss = recon.clone() + kl.clone() + tc.clone().mul_scalar(weights.gamma); // [1]
    let elbo = (recon.clone() + kl.clone()).neg(); // [1]
    let terms = terms_row(vec![loss.clone(), recon, kl, elbo, tc]); // [1, 5]
    ObjectiveOutput {
        loss,
        terms,
        names: TERMS,
    }
}

/// The discriminator side: ½[CE(D(z), real) + CE(D(permute_dims(z')), fake)] with `z` and
/// `z_other` (a second batch) detached, so only D's parameters get gradients. Reports
/// [`DISC_TERMS`] (loss and accuracy over both halves).
///
/// # Shapes
/// - `z`, `z_other`: `[B, K]`
pub fn discriminator_loss(
    disc: &Discriminator,
    z: Tensor<2>,
    z_other: Tensor<2>,
    rng: &mut Rng,
) -> ObjectiveOutput {
    let (b, b_other) = (z.dims()[0], z_other.dims()[0]);
    let fake = permute_dims(z_other.detach(), rng); // [B', K]

    // Both halves in one pass: the MLP works row by row, so this is the same function as two
    // passes, with half the launches and larger matrix products.
    let lp = log_softmax(disc.forward(Tensor::cat(vec![z.detach(), fake], 0)), 1); // [B + B', 2]
    let real_lp = lp.clone().narrow(0, 0, b).narrow(1, 0, 1); // [B, 1]: log P(real | real z)
    let fake_lp = lp.narrow(0, b, b_other).narrow(1, 1, 1); // [B', 1]: log P(fake | permuted z)
    let loss = (real_lp.clone().mean() + fake_lp.clone().mean())
        .mul_scalar(-0.5)
        .reshape([1]); // [1]

    // Correct when the right class is the more likely: log p > log ½.
    let half = -std::f64::consts::LN_2;
    let acc_real = real_lp.greater_elem(half).float().mean(); // [1]
    let acc_fake = fake_lp.greater_elem(half).float().mean(); // [1]
    let acc = (acc_real + acc_fake).mul_scalar(0.5).reshape([1]); // [1]
    let terms = terms_row(vec![loss.clone(), acc]); // [1, 2]
    ObjectiveOutput {
        loss,
        terms,
        names: DISC_TERMS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::optim::{AdamConfig, GradientsParams};

    fn host(t: Tensor<2>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    /// B rows of (z1, z1 + 0.05ε): two almost identical latents.
    fn correlated(b: usize, rng: &mut Rng, device: &Device) -> Tensor<2> {
        let v: Vec<f32> = (0..b)
            .flat_map(|_| {
                let z1 = rng.normal();
                [z1 as f32, (z1 + 0.05 * rng.normal()) as f32]
            })
            .collect();
        Tensor::<2>::from_data(TensorData::new(v, [b, 2]), device) // [B, 2]
    }

    #[test]
    fn leaky_matches_burns_leaky_relu() {
        let device = Device::flex();
        let x = Tensor::<2>::from_floats([[-3.0, -0.5, 0.0], [0.25, 1.0, 7.0]], &device);
        let (a, b) = (
            host(leaky(x.clone(), 0.2)),
            host(burn::tensor::activation::leaky_relu(x, 0.2)),
        );
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() <= 1e-6 * (1.0 + y.abs()), "{x} vs {y}");
        }
    }

    #[test]
    fn permute_dims_keeps_columns_and_breaks_the_joint() {
        let device = Device::flex();
        let mut rng = Rng::new(1);
        let z = correlated(64, &mut rng, &device);
        let p = permute_dims(z.clone(), &mut rng);
        let (a, b) = (host(z), host(p));
        for col in 0..2 {
            let sorted = |v: &[f32]| {
                let mut c: Vec<f32> = v.iter().skip(col).step_by(2).copied().collect();
                c.sort_by(f32::total_cmp);
                c
            };
            assert_eq!(sorted(&a), sorted(&b), "column {col} multiset changed");
        }
        // In z the two columns differ by ~0.05; after permuting, almost no row keeps that.
        let close_rows = |v: &[f32]| v.chunks(2).filter(|r| (r[0] - r[1]).abs() < 0.2).count();
        assert_eq!(close_rows(&a), 64);
        assert!(close_rows(&b) < 20, "{} rows still paired", close_rows(&b));
    }

    #[test]
    fn discriminator_learns_to_spot_permuted_latents() {
        let device = Device::flex().autodiff();
        device.seed(0);
        let mut rng = Rng::new(2);
        let mut disc = DiscriminatorConfig::new(2)
            .with_hidden(vec![64, 64])
            .init(&device);
        let mut optim = AdamConfig::new().with_beta_1(0.5).with_beta_2(0.9).init();
        let mut acc = 0.0;
        for _ in 0..300 {
            let (z, z2) = (
                correlated(128, &mut rng, &device),
                correlated(128, &mut rng, &device),
            );
            let out = discriminator_loss(&disc, z, z2, &mut rng);
            acc = host(out.terms)[1];
            let grads = GradientsParams::from_grads(out.loss.backward(), &disc);
            disc = optim.step(1e-3, disc, grads);
        }
        eprintln!("discriminator accuracy after 300 steps: {acc}");
        assert!(acc > 0.9, "accuracy {acc}");
    }

    #[test]
    fn gradients_stay_on_their_side() {
        let device = Device::flex().autodiff();
        let mut rng = Rng::new(3);
        let disc = DiscriminatorConfig::new(2)
            .with_hidden(vec![8])
            .init(&device);
        // A stand-in encoder: z = x·W, so "VAE parameters" exist.
        let enc_layer = LinearConfig::new(3, 2).init(&device);
        let x = Tensor::<2>::from_floats(
            [[0.1, 0.2, 0.3], [0.4, -0.5, 0.6], [1.0, 0.0, -1.0]],
            &device,
        );
        let z = enc_layer.forward(x.clone()); // [3, 2]
        let enc = Encoded {
            mu: z.clone(),
            logvar: z.zeros_like(),
            z: z.clone(),
        };
        let recon = Tensor::<1>::from_floats([0.0, 0.0, 0.0], &device);
        let vae = factor_vae(recon, &enc, &disc, &Weights::default());
        let mut grads = vae.loss.backward();
        assert!(
            GradientsParams::from_module(&mut grads, &disc).is_empty(),
            "VAE loss reached D"
        );
        let g = GradientsParams::from_module(&mut grads, &enc_layer);
        assert!(
            g.get::<2>(enc_layer.weight.id).is_some(),
            "VAE loss must train the encoder"
        );
        // The original discriminator still trains from its own loss, and only it.
        let z = enc_layer.forward(x); // [3, 2]
        let d = discriminator_loss(&disc, z.clone(), z, &mut rng);
        let mut grads = d.loss.backward();
        assert!(
            GradientsParams::from_module(&mut grads, &enc_layer).is_empty(),
            "D loss reached the VAE"
        );
        let g = GradientsParams::from_module(&mut grads, &disc);
        assert!(
            g.get::<2>(disc.out.weight.id).is_some()
                && g.get::<2>(disc.hidden[0].weight.id).is_some()
        );
    }
}
