//! Multi-layer perceptrons for the 2-D data sets (pinwheel, iVAE sources).

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::activation::relu;

/// A stack of ReLU hidden layers followed by a linear read-out.
#[derive(Module, Debug)]
pub struct Mlp {
    /// Hidden layers, each followed by a ReLU.
    hidden: Vec<Linear>,
    /// Linear output layer (no activation).
    out: Linear,
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
        Mlp { hidden, out }
    }
}

impl Mlp {
    /// # Shapes
    /// - input `[batch, d_in]` → output `[batch, d_out]`
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let mut h = x;
        for layer in &self.hidden {
            h = relu(layer.forward(h)); // [batch, hidden_i]
        }
        self.out.forward(h) // [batch, d_out]
    }
}
