//! Architecture choices: plain data, shared by the page and the trainer.

use serde::{Deserialize, Serialize};

/// Which convolutional network to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ConvSize {
    /// disentanglement_lib's encoder/decoder (FC 256).
    Dlib,
    /// Half the channels and FC width: ~4× fewer FLOPs, for training in the page.
    Small,
}

impl ConvSize {
    /// Channels of the four conv layers and the FC width.
    #[cfg(feature = "train")]
    pub(crate) fn widths(self) -> ([usize; 4], usize) {
        match self {
            ConvSize::Dlib => ([32, 32, 64, 64], 256),
            ConvSize::Small => ([16, 16, 32, 32], 128),
        }
    }

    /// Short name for the CLI and share links.
    pub fn key(self) -> &'static str {
        match self {
            ConvSize::Dlib => "dlib",
            ConvSize::Small => "small",
        }
    }
}

/// Which network a dSprites run trains; both use a Bernoulli likelihood.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ImageNet {
    /// The convolutional encoder/decoder of [`ConvSize`] (the page's choice).
    #[default]
    Conv,
    /// MLPs with the run's hidden widths (Chen et al.'s dSprites MLP is 1200-1200): much
    /// cheaper than the convolutions on a CPU, for multi-seed runs from the command line.
    Mlp,
}

impl ImageNet {
    /// Short name for the CLI.
    pub fn key(self) -> &'static str {
        match self {
            ImageNet::Conv => "conv",
            ImageNet::Mlp => "mlp",
        }
    }

    /// Parses [`Self::key`]; the error names the valid choices.
    pub fn parse(s: &str) -> Result<Self, String> {
        [ImageNet::Conv, ImageNet::Mlp]
            .into_iter()
            .find(|n| n.key() == s)
            .ok_or_else(|| format!("unknown net '{s}' (valid: conv, mlp)"))
    }
}
