//! Networks: encoders q(z|x) and decoders p(x|z), assembled into a [`vae::Vae`].

pub mod conv;
pub mod mlp;
pub mod vae;
