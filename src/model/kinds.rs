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
