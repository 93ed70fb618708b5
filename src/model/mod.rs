//! Networks: encoders q(z|x) and decoders p(x|z), assembled into a [`vae::Vae`].

#[cfg(feature = "train")]
pub mod bernoulli;
#[cfg(feature = "train")]
pub mod blocks;
#[cfg(feature = "train")]
pub mod conv;
#[cfg(feature = "train")]
pub mod conv_gemm;
#[cfg(feature = "train")]
pub mod flex_gemm;
#[cfg(feature = "train")]
pub mod im2col;
pub mod kinds;
#[cfg(feature = "train")]
pub mod mlp;
#[cfg(feature = "train")]
pub mod vae;
