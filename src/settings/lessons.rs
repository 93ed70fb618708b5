//! Lessons: one per paper's claim, each a share link plus a short explanation and the
//! controls it is about. Choosing one in the page resets the run to its settings.

/// A preset run with its explanation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lesson {
    /// Short id (used in the page's menu).
    pub id: &'static str,
    /// Menu title.
    pub title: &'static str,
    /// What to do and what to look for (3–5 sentences).
    pub text: &'static str,
    /// The settings, as a share-link fragment (see [`super::link`]).
    pub link: &'static str,
    /// Control ids to highlight.
    pub highlight: &'static [&'static str],
}

/// The lessons, in teaching order.
pub const LESSONS: [Lesson; 6] = [
    Lesson {
        id: "beta-vae",
        title: "β-VAE: disentanglement vs reconstruction",
        text: "Higgins et al. (2017) weight the KL term by β > 1 to push each latent towards an independent unit Gaussian. Train with β = 1, then raise β to 4 and to 10 and watch the traversals: rows start to change one factor each (position, scale, shape), while the reconstruction term of the loss rises. Active latents (KL per latent) drop as β grows: the price of disentanglement is information.",
        link: "dataset=dsprites&subset=default&model=beta-vae&beta=4&latents=6&batch=64&lr=0.001",
        highlight: &["beta"],
    },
    Lesson {
        id: "beta-tcvae",
        title: "β-TCVAE vs β-VAE at the same β",
        text: "Chen et al. (2018) split the KL into index-code MI, total correlation and dimension-wise KL, and penalise only the total correlation. With β = 6 on TC the information about x (MI) is kept, so reconstruction stays good; run B, a β-VAE at the same β, shows the KL, and with it the MI, squeezed. Compare MIG and reconstruction of the two runs side by side.",
        link: "dataset=dsprites&subset=default&model=beta-tcvae&alpha=1&beta=6&gamma=1&estimator=mss&latents=6&batch=64&lr=0.001&compare=beta-vae",
        highlight: &["model-select", "beta"],
    },
    Lesson {
        id: "factor-vae",
        title: "FactorVAE: a discriminator estimates TC",
        text: "Kim & Mnih (2018) estimate the total correlation with a discriminator that tells samples of q(z) from samples with each latent shuffled across the batch. Its estimate (TC disc.) is plotted with the KL; γ weights it in the loss (the paper uses 10 to 100). Watch the discriminator's estimate fall as the latents become independent.",
        link: "dataset=dsprites&subset=default&model=factor-vae&gamma=35&latents=6&batch=64&lr=0.0001",
        highlight: &["gamma"],
    },
    Lesson {
        id: "dd-pinwheel",
        title: "Disentangling Disentanglement on the pinwheel",
        text: "Mathieu et al. (2019) regularise the aggregate posterior q(z) towards a structured prior with α·D(q(z), p(z)), here a mixture of four Gaussians. The paper reports that β = 1, α = 0 (the per-point KL only) loses the four-arm structure, while β = 0, α = 1 keeps q(z) on the mixture. Run A is (β = 1, α = 0) and run B (β = 0, α = 1), from the same seed: compare their D(q(z), p(z)) side by side and A's posterior against the prior's shading.",
        link: "dataset=pinwheel&model=dd&alpha=0&beta=1&prior=mixture&latents=2&batch=400&lr=0.001&compare=dd:a1:b0",
        highlight: &["alpha", "beta", "prior-select"],
    },
    Lesson {
        id: "dd-priors",
        title: "Priors on dSprites: isotropic, anisotropic, Student-t",
        text: "The prior decides what the latent space should look like. An isotropic Gaussian has no preferred axes, an anisotropic one orders the latents by variance, and a heavy-tailed Student-t (ν = 9, as in the paper) favours sparse codes. Switch the prior and compare the traversals and the KL per latent.",
        link: "dataset=dsprites&subset=default&model=dd&alpha=0&beta=1&prior=student-t&latents=6&batch=64&lr=0.001",
        highlight: &["prior-select"],
    },
    Lesson {
        id: "ivae",
        title: "iVAE vs VAE: identifiable sources",
        text: "Khemakhem et al. (2020) condition the prior on an observed segment label u, which makes the latents identifiable up to permutation and scaling. Run A is the iVAE and run B a plain VAE on the same 2-D sources: both fit the data, but only the iVAE's latents line up with the true sources (the reference reports MCC ≈ 0.9); compare their MCC.",
        link: "dataset=ivae&model=ivae&latents=2&batch=256&lr=0.001&compare=vae",
        highlight: &["model-select"],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::link;

    #[test]
    fn every_lesson_link_is_valid_and_its_highlights_exist() {
        for l in LESSONS {
            let (state, ignored) = link::decode(l.link);
            assert!(ignored.is_empty(), "{}: {ignored:?}", l.id);
            assert!(state.config.validate().is_ok(), "{}", l.id);
            let sentences = l.text.matches(". ").count() + 1;
            assert!(
                (3..=6).contains(&sentences),
                "{}: {sentences} sentences",
                l.id
            );
            for h in l.highlight {
                assert!(link::hideable(h), "{}: unknown control {h}", l.id);
            }
        }
    }
}
