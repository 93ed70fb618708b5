//! The menus of the settings: each choice enum is declared once, with the key every face uses
//! (CLI value, link value, JSON string, `<option>` value), its label and a one-line help.
//!
//! [`choices!`] derives the rest: `ALL`, `key`, `label`, `help`, parsing with a message that
//! names the valid keys, `Display`/`FromStr`, serde as the key, and (natively) clap's
//! `ValueEnum`, so `--help` and usage errors list the same keys.

/// Declares a choice enum: `Variant = "key", "Label", "help";` per variant.
macro_rules! choices {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident ($what:literal) {
            $( $(#[$vmeta:meta])* $var:ident = $key:literal, $label:literal, $help:literal; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        $vis enum $name {
            $( $(#[$vmeta])* $var, )+
        }

        impl $name {
            /// Every choice, in menu order.
            pub const ALL: [$name; [$($key),+].len()] = [$($name::$var),+];
            /// The keys of [`Self::ALL`], in the same order.
            pub const KEYS: [&'static str; [$($key),+].len()] = [$($key),+];
            /// What the setting is called in messages.
            pub const WHAT: &'static str = $what;

            /// The key: CLI value, link value, JSON string and `<option>` value.
            pub fn key(self) -> &'static str {
                match self { $($name::$var => $key),+ }
            }

            /// The label the page shows.
            pub fn label(self) -> &'static str {
                match self { $($name::$var => $label),+ }
            }

            /// One line on what this choice means.
            pub fn help(self) -> &'static str {
                match self { $($name::$var => $help),+ }
            }

            /// Parses [`Self::key`]; the error names the valid keys.
            pub fn parse(s: &str) -> Result<Self, String> {
                Self::ALL.into_iter().find(|v| v.key() == s).ok_or_else(|| {
                    format!(
                        "unknown {} '{}' (valid: {})",
                        $what,
                        $crate::settings::text::clip(s, 40),
                        Self::KEYS.join(", ")
                    )
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.key())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::parse(s)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.key())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }

        #[cfg(not(target_arch = "wasm32"))]
        impl clap::ValueEnum for $name {
            fn value_variants<'a>() -> &'a [Self] {
                &Self::ALL
            }
            fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
                Some(clap::builder::PossibleValue::new(self.key()).help(self.label()))
            }
        }
    };
}

choices! {
    /// Which data set a run trains on.
    pub enum DatasetKind ("data set") {
        /// Adams' 4-arm pinwheel, 400 points (the Disentangling Disentanglement toy).
        Pinwheel = "pinwheel", "pinwheel",
            "Pinwheel: 400 points on 4 spiral arms (Mathieu et al. 2019).";
        /// Non-stationary sources mixed by an invertible MLP (Khemakhem et al. 2020).
        Ivae = "ivae", "iVAE sources",
            "Sources whose variance changes by segment, mixed by an invertible MLP (Khemakhem et al. 2020).";
        /// Procedurally rendered dSprites (Matthey et al. 2017), a subset of the 737,280 images.
        Dsprites = "dsprites", "dSprites",
            "dSprites: 64×64 shapes from 5 factors, rendered in the browser (Matthey et al. 2017).";
    }
}

choices! {
    /// Which model/objective a run uses.
    pub enum ModelKind ("model") {
        /// Kingma & Welling's VAE: the ELBO with β = 1.
        Vae = "vae", "VAE",
            "The ELBO: reconstruction + KL(q(z|x) ‖ p(z)) (Kingma & Welling 2014).";
        /// Higgins et al.'s β-VAE: the KL weighted by β.
        BetaVae = "beta-vae", "β-VAE",
            "Reconstruction + β·KL: larger β pushes q(z|x) towards the prior (Higgins et al. 2017).";
        /// Chen et al.'s β-TCVAE family: recon + α·MI + β·TC + γ·dimKL (minibatch estimators).
        BetaTcvae = "beta-tcvae", "β-TCVAE",
            "Splits the KL into index-code MI, total correlation and dimension-wise KL, weighted α, β, γ (Chen et al. 2018).";
        /// Kim & Mnih's FactorVAE: ELBO + γ·TC, the TC estimated by a discriminator.
        FactorVae = "factor-vae", "FactorVAE",
            "ELBO + γ·TC, the total correlation estimated by a discriminator on permuted latents (Kim & Mnih 2018).";
        /// Mathieu et al.'s "Disentangling Disentanglement": recon + β·KL + α·D(q(z), p(z)).
        Dd = "dd", "Disentangling Disentanglement",
            "Reconstruction + β·KL + α·D(q(z), p(z)): match the aggregate posterior to a chosen prior (Mathieu et al. 2019).";
        /// Khemakhem et al.'s iVAE: conditional prior p(z|u) on the segment label u.
        Ivae = "ivae", "iVAE",
            "A prior p(z|u) conditioned on the segment label u makes the latents identifiable (Khemakhem et al. 2020).";
    }
}

choices! {
    /// Which network a dSprites run trains; both use a Bernoulli likelihood.
    #[derive(Default)]
    pub enum ImageNet ("network") {
        /// The convolutional encoder/decoder of [`ConvSize`].
        #[default]
        Conv = "conv", "convolutional", "Convolutional encoder and decoder of the chosen size.";
        /// MLPs with the run's hidden widths (Chen et al.'s dSprites MLP is 1200-1200).
        Mlp = "mlp", "MLP", "Fully connected encoder and decoder with the hidden widths below.";
    }
}

choices! {
    /// Which convolutional network to build.
    pub enum ConvSize ("conv size") {
        /// disentanglement_lib's encoder/decoder (channels 32-32-64-64, FC 256).
        Dlib = "dlib", "disentanglement_lib", "Channels 32-32-64-64 and FC 256, as disentanglement_lib.";
        /// Half the channels and FC width: about 4× fewer FLOPs.
        Small = "small", "small", "Channels 16-16-32-32 and FC 128: about 4× cheaper.";
    }
}

choices! {
    /// Minibatch estimator of log q(z) and log q(z_k) (β-TCVAE).
    pub enum Estimator ("estimator") {
        /// Minibatch-weighted sampling: log q(z_i) ≈ logsumexp_j Σ_k L[i,j,k] − log(B·N).
        Mws = "mws", "MWS", "Minibatch-weighted sampling: biased upwards for the TC.";
        /// Minibatch-stratified sampling with the intended weights (rows sum to 1).
        Mss = "mss", "MSS", "Minibatch-stratified sampling: unbiased.";
    }
}

choices! {
    /// Which divergence D(q(z), p(z)) regularises the aggregate posterior (DD).
    pub enum Divergence ("divergence") {
        /// KL(p(z) ‖ q(z)) estimated with B samples of p (DD's `kld_inc`).
        KlPQ = "kl", "KL(p ‖ q)", "KL(p ‖ q(z)) on the batch, with samples of the prior.";
        /// Dimension-wise MMD with inverse multiquadric kernels (DD's `mmd_dim`).
        Mmd = "mmd", "MMD (IMQ)", "Dimension-wise maximum mean discrepancy with IMQ kernels.";
    }
}

choices! {
    /// The family of the prior p(z) (its parameters are separate settings).
    pub enum PriorKind ("prior") {
        /// Isotropic N(0, I).
        Normal = "normal", "normal", "Isotropic N(0, I): no preferred axes.";
        /// N(0, diag s²).
        Anisotropic = "anisotropic", "anisotropic", "N(0, diag s²): the latents are ordered by variance.";
        /// Factorised Student-t with ν degrees of freedom.
        StudentT = "student-t", "Student-t", "Factorised heavy-tailed Student-t: favours sparse codes.";
        /// Equal-weight Gaussian mixture.
        Mixture = "mixture", "mixture", "Equal-weight Gaussian mixture (the pinwheel's 4 components).";
    }
}

choices! {
    /// The activation between the hidden layers of the MLPs.
    pub enum Activation ("activation") {
        /// max(0, x): DD's pinwheel networks and Chen et al.'s MLPs.
        Relu = "relu", "ReLU", "max(0, x), as DD's pinwheel networks.";
        /// tanh(x) + 0.1·x: the iVAE reference's networks (and its mixing function).
        Xtanh = "xtanh", "xtanh", "tanh(x) + 0.1·x, as the iVAE reference's networks.";
    }
}

choices! {
    /// How the encoder parameterises the posterior's spread.
    pub enum EncoderStd ("encoder std") {
        /// The encoder outputs log σ², clamped to [−12, 8].
        Exp = "exp", "log-variance", "The encoder outputs log σ² (clamped to [−12, 8]).";
        /// σ = softplus(h) + 10⁻⁶ (DD's reference code).
        Softplus = "softplus", "softplus", "σ = softplus(h) + 10⁻⁶, as DD's reference code.";
    }
}

choices! {
    /// Whether one MLP computes both posterior parameters or each has its own.
    pub enum EncoderHeads ("encoder heads") {
        /// One MLP outputs μ and the spread (DD's pinwheel encoder: a shared hidden layer).
        Shared = "shared", "one network", "One MLP outputs both μ and the spread (DD's pinwheel encoder).";
        /// Separate MLPs for μ and log σ² (the iVAE reference's g and logv).
        Separate = "separate", "two networks", "Separate MLPs for μ and the spread, as the iVAE reference.";
    }
}

choices! {
    /// The standard deviation of the Gaussian likelihood p(x|z) (vector data).
    pub enum DecoderStd ("decoder std") {
        /// The data set's fixed variance (pinwheel 0.01, iVAE 0.1).
        Fixed = "fixed", "fixed", "The data set's fixed variance: pinwheel 0.01, iVAE 0.1.";
        /// A second decoder head gives each point's std, softplus(h) (DD's reference).
        Learned = "learned", "learned per point", "A second decoder head gives each point's std, softplus(h), as DD's reference.";
    }
}

choices! {
    /// The optimiser of the model's parameters.
    pub enum OptimizerKind ("optimizer") {
        /// Adam (β₁ 0.9, β₂ 0.999, ε 10⁻⁸, PyTorch's defaults).
        Adam = "adam", "Adam", "Adam with PyTorch's defaults (β 0.9, 0.999, ε 10⁻⁸).";
        /// Adam with the running maximum of the second moment (Reddi et al. 2018; DD's reference).
        Amsgrad = "amsgrad", "AMSGrad", "Adam with the running maximum of the second moment (DD's reference).";
    }
}

choices! {
    /// How the learning rate changes during training.
    pub enum LrSchedule ("learning-rate schedule") {
        /// The learning rate stays as set.
        Constant = "constant", "constant", "The learning rate stays as set.";
        /// ÷10 after an epoch whose mean loss did not improve (PyTorch's ReduceLROnPlateau,
        /// factor 0.1, patience 0: the iVAE reference).
        Plateau = "plateau", "÷10 on a plateau", "Divided by 10 after each epoch whose mean loss did not improve (ReduceLROnPlateau, patience 0), as the iVAE reference.";
    }
}

choices! {
    /// Which pinwheel generator draws the data.
    pub enum PinwheelVariant ("pinwheel generator") {
        /// Adams' MATLAB `pinwheel.m` as DD's reference calls it: pinwheel(0.1, 0.3, 4, 100, 0.25).
        Matlab = "matlab", "pinwheel.m", "Adams' MATLAB pinwheel.m, called as DD's reference does: (0.1, 0.3, 4, 100, 0.25).";
        /// Adams' Python generator (autograd's example) with radial std 0.3, tangential 0.1.
        Adams = "adams", "Python", "Adams' Python generator with radial std 0.3 and tangential std 0.1.";
    }
}

choices! {
    /// How the iVAE computes the log-variances log λ(u) of its prior p(z|u).
    pub enum IvaePrior ("iVAE prior") {
        /// A learned table: one log-variance per segment and latent.
        Table = "table", "per-segment table", "A learned table: one log-variance per segment and latent.";
        /// An MLP on the one-hot u (the run's hidden widths and activation; the reference).
        Mlp = "mlp", "MLP on u", "An MLP on the one-hot u with the hidden widths and activation, as the iVAE reference.";
    }
}

choices! {
    /// A compute backend the trainer can run on.
    pub enum BackendChoice ("backend") {
        /// burn-wgpu: WebGPU in the browser, Vulkan/Metal/GL natively.
        Wgpu = "wgpu", "WebGPU", "The GPU through WebGPU (natively: Vulkan, Metal or GL).";
        /// burn's NdArray CPU backend.
        Ndarray = "ndarray", "CPU (NdArray)", "burn's NdArray CPU backend.";
        /// burn's pure-Rust CPU backend (Flex).
        Flex = "flex", "CPU (Flex)", "burn's Flex CPU backend (SIMD where the browser has it).";
    }
}

impl BackendChoice {
    /// True for the CPU backends.
    pub fn is_cpu(self) -> bool {
        self != BackendChoice::Wgpu
    }
}

choices! {
    /// The backend a run asks for: automatic, or exactly one.
    #[derive(Default)]
    pub enum BackendPref ("backend") {
        /// The page measures and picks; natively the Flex CPU backend.
        #[default]
        Auto = "auto", "Auto", "Picks the fastest backend for this model, and says which.";
        /// WebGPU (falls back to the CPU with a notice when it cannot start).
        Wgpu = "wgpu", "WebGPU", "The GPU through WebGPU; the CPU is used, with a notice, where it cannot start.";
        /// The NdArray CPU backend.
        Ndarray = "ndarray", "CPU (NdArray)", "burn's NdArray CPU backend.";
        /// The Flex CPU backend.
        Flex = "flex", "CPU (Flex)", "burn's Flex CPU backend.";
    }
}

impl BackendPref {
    /// The backend asked for exactly, or `None` for automatic.
    pub fn fixed(self) -> Option<BackendChoice> {
        match self {
            BackendPref::Auto => None,
            BackendPref::Wgpu => Some(BackendChoice::Wgpu),
            BackendPref::Ndarray => Some(BackendChoice::Ndarray),
            BackendPref::Flex => Some(BackendChoice::Flex),
        }
    }

    /// The preference that asks for exactly `choice`.
    pub fn exactly(choice: BackendChoice) -> Self {
        match choice {
            BackendChoice::Wgpu => BackendPref::Wgpu,
            BackendChoice::Ndarray => BackendPref::Ndarray,
            BackendChoice::Flex => BackendPref::Flex,
        }
    }
}

choices! {
    /// How fast the page trains: flat out, or slowed so single updates can be followed.
    #[derive(Default)]
    pub enum Speed ("speed") {
        /// No pause between snapshots.
        #[default]
        Full = "full", "Full speed", "Trains flat out.";
        /// 300 ms between snapshots.
        Slow = "slow", "Slow motion", "Pauses 0.3 s between updates so each can be watched.";
        /// 1 s between snapshots.
        VerySlow = "very-slow", "Very slow", "Pauses 1 s between updates.";
    }
}

impl Speed {
    /// The pause between two snapshots, in milliseconds.
    pub fn delay_ms(self) -> u32 {
        match self {
            Speed::Full => 0,
            Speed::Slow => 300,
            Speed::VerySlow => 1000,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_parse_back_and_unknown_keys_name_the_choices() {
        for m in ModelKind::ALL {
            assert_eq!(ModelKind::parse(m.key()), Ok(m));
            assert_eq!(m.to_string().parse::<ModelKind>(), Ok(m));
        }
        let err = ModelKind::parse("gan").unwrap_err();
        assert_eq!(
            err,
            "unknown model 'gan' (valid: vae, beta-vae, beta-tcvae, factor-vae, dd, ivae)"
        );
        // A hostile value is clipped in the message.
        let err = Divergence::parse(&"x".repeat(5000)).unwrap_err();
        assert!(err.len() < 200, "{err}");
    }

    #[test]
    fn serde_uses_the_keys() {
        assert_eq!(serde_json::to_string(&Divergence::KlPQ).unwrap(), "\"kl\"");
        assert_eq!(
            serde_json::from_str::<Estimator>("\"mws\"").unwrap(),
            Estimator::Mws
        );
        let err = serde_json::from_str::<Estimator>("\"kl\"").unwrap_err();
        assert!(err.to_string().contains("valid: mws, mss"), "{err}");
    }

    #[test]
    fn every_fixed_backend_preference_round_trips() {
        for c in BackendChoice::ALL {
            assert_eq!(BackendPref::exactly(c).fixed(), Some(c));
        }
        assert_eq!(BackendPref::Auto.fixed(), None);
    }
}
