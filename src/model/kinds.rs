//! Architecture choices: the menus are declared with the other settings in
//! [`crate::settings::choice`]; what each choice builds is here.

pub use crate::settings::{ConvSize, ImageNet};

/// Channels of the four conv layers and the FC width of a conv size.
#[cfg(feature = "train")]
pub(crate) fn conv_widths(size: ConvSize) -> ([usize; 4], usize) {
    match size {
        ConvSize::Dlib => ([32, 32, 64, 64], 256),
        ConvSize::Small => ([16, 16, 32, 32], 128),
    }
}
