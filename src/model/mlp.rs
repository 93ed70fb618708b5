//! Multi-layer perceptrons for the 2-D data sets (pinwheel, iVAE sources).

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::relu;

use super::flex_gemm::linear;

pub use crate::settings::Activation;

/// A stack of hidden layers, each followed by the activation, then a linear read-out.
#[derive(Module, Debug)]
pub struct Mlp {
    /// Hidden layers, each followed by the activation.
    hidden: Vec<Linear>,
    /// Linear output layer (no activation).
    out: Linear,
    /// The activation after each hidden layer (a setting, not a parameter).
    #[module(skip)]
    activation: Activation,
}

/// Slope of xtanh's linear part: xtanh(x) = tanh(x) + 0.1·x (the iVAE reference's `slope`).
pub const XTANH_SLOPE: f64 = 0.1;

/// The activation applied elementwise.
///
/// # Shapes
/// - `x`: any → same
pub fn activate<const D: usize>(activation: Activation, x: Tensor<D>) -> Tensor<D> {
    match activation {
        Activation::Relu => relu(x),
        Activation::Xtanh => x.clone().tanh() + x.mul_scalar(XTANH_SLOPE),
    }
}

/// Shape of an [`Mlp`]: input width, hidden widths, output width.
#[derive(Config, Debug)]
pub struct MlpConfig {
    /// Input features.
    pub d_in: usize,
    /// Width of each hidden layer (DD's pinwheel model: one layer of 100).
    pub hidden: Vec<usize>,
    /// Output features.
    pub d_out: usize,
    /// Activation after each hidden layer.
    #[config(default = "Activation::Relu")]
    pub activation: Activation,
}

impl MlpConfig {
    /// Builds the network with burn's default (Kaiming-uniform) initialisation on `device`.
    pub fn init(&self, device: &Device) -> Mlp {
        let mut width = self.d_in;
        let mut hidden = Vec::with_capacity(self.hidden.len());
        for &h in &self.hidden {
            hidden.push(LinearConfig::new(width, h).init(device));
            width = h;
        }
        let out = LinearConfig::new(width, self.d_out).init(device);
        Mlp {
            hidden,
            out,
            activation: self.activation,
        }
    }
}

impl Mlp {
    /// # Shapes
    /// - input `[batch, d_in]` → output `[batch, d_out]`
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let mut h = x;
        for layer in &self.hidden {
            h = activate(self.activation, linear(layer, h)); // [batch, hidden_i]
        }
        linear(&self.out, h) // [batch, d_out]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xtanh_and_relu_match_their_formulas() {
        let device = Device::flex();
        let xs = [-3.0f32, -0.5, 0.0, 0.7, 2.5];
        let x = Tensor::<1>::from_floats(xs, &device);
        let got: Vec<f32> = activate(Activation::Xtanh, x.clone())
            .into_data()
            .try_to_vec()
            .unwrap();
        for (g, v) in got.iter().zip(xs) {
            let want = (v as f64).tanh() + 0.1 * v as f64;
            assert!(
                (*g as f64 - want).abs() < 1e-6,
                "xtanh({v}) = {g}, want {want}"
            );
        }
        let got: Vec<f32> = activate(Activation::Relu, x)
            .into_data()
            .try_to_vec()
            .unwrap();
        assert_eq!(got, [0.0, 0.0, 0.0, 0.7, 2.5]);
    }
}
