//! Every method trains natively on every data set it fits, and incompatible choices are
//! refused before training starts.

use disentangle_lab::objective::TermName;
use disentangle_lab::settings::{Prior, PriorKind};
use disentangle_lab::train::{
    backend, BackendChoice, DatasetKind, ModelKind, TermCurves, TrainConfig, Trainer,
};

fn device() -> burn::prelude::Device {
    pollster::block_on(backend::device_for(BackendChoice::Flex)).unwrap()
}

/// A small configuration of `model` on `dataset` that trains in seconds in a debug build.
fn small(dataset: DatasetKind, model: ModelKind) -> TrainConfig {
    let mut c = TrainConfig {
        dataset,
        model,
        ..TrainConfig::default()
    };
    match dataset {
        DatasetKind::Pinwheel => {}
        DatasetKind::Ivae => {
            c.batch = 128;
            c.ivae.segments = 10;
            c.ivae.per_segment = 100;
        }
        DatasetKind::Dsprites => {
            c.batch = 16;
            c.latents = 4;
            c.subset = "shapes:square.heart,scales:0.5,orients:2,stride:8"
                .parse()
                .unwrap();
        }
    }
    if model == ModelKind::Dd && dataset == DatasetKind::Pinwheel {
        c.prior = Prior::default_for(PriorKind::Mixture, dataset, 2);
    }
    c
}

fn train(config: TrainConfig, steps: u64) -> (TermCurves, Trainer) {
    let mut t = Trainer::new(config, &device()).unwrap();
    let mut curves = TermCurves::default();
    for _ in 0..steps {
        t.step();
    }
    curves.extend(&pollster::block_on(t.snapshot(16)).unwrap().curves);
    (curves, t)
}

fn mean(v: &[f32]) -> f32 {
    v.iter().sum::<f32>() / v.len() as f32
}

#[test]
fn every_model_trains_on_every_data_set_it_fits_and_its_loss_falls() {
    for dataset in DatasetKind::ALL {
        for model in ModelKind::ALL {
            let config = small(dataset, model);
            if model == ModelKind::Ivae && dataset != DatasetKind::Ivae {
                continue;
            }
            let steps = if dataset == DatasetKind::Dsprites {
                30
            } else {
                60
            };
            let (curves, trainer) = train(config, steps);
            let loss = curves.get(TermName::Loss).unwrap();
            assert_eq!(loss.len(), steps as usize);
            assert!(
                loss.iter().all(|v| v.is_finite()),
                "{dataset:?} {model:?}: {loss:?}"
            );
            let (early, late) = (mean(&loss[..5]), mean(&loss[loss.len() - 5..]));
            println!(
                "{:>8} {:>10}: loss {early:9.3} -> {late:9.3}",
                dataset.key(),
                model.key()
            );
            assert!(
                late < early,
                "{dataset:?} {model:?}: loss must fall: {early} -> {late}"
            );
            // Every term the model names is reported for every step.
            for &name in trainer.term_names() {
                assert_eq!(curves.get(name).unwrap().len(), steps as usize, "{name:?}");
            }
        }
    }
}

#[test]
fn the_beta_tcvae_terms_add_up_to_the_kl_and_factor_vae_reports_its_critic() {
    let (curves, _) = train(small(DatasetKind::Pinwheel, ModelKind::BetaTcvae), 10);
    let (mi, tc, dkl, kl) = (
        curves.get(TermName::Mi).unwrap(),
        curves.get(TermName::Tc).unwrap(),
        curves.get(TermName::DimKl).unwrap(),
        curves.get(TermName::Kl).unwrap(),
    );
    for s in 0..10 {
        assert!((mi[s] + tc[s] + dkl[s] - kl[s]).abs() < 1e-3 * kl[s].abs().max(1.0));
    }
    let (curves, _) = train(small(DatasetKind::Pinwheel, ModelKind::FactorVae), 10);
    let acc = curves.get(TermName::DiscAccuracy).unwrap();
    assert!(acc.iter().all(|a| (0.0..=1.0).contains(a)));
}

#[test]
fn incompatible_choices_are_refused_with_a_clear_message() {
    let ivae_on_dsprites = TrainConfig {
        dataset: DatasetKind::Dsprites,
        model: ModelKind::Ivae,
        ..TrainConfig::default()
    };
    let err = Trainer::new(ivae_on_dsprites, &device()).err().unwrap();
    assert!(err.contains("iVAE") && err.contains("dsprites"), "{err}");

    let err = Prior::default_for(PriorKind::Mixture, DatasetKind::Pinwheel, 5)
        .validate(5)
        .unwrap_err();
    assert!(err.contains("mixture"), "{err}");

    let mut bad = small(DatasetKind::Pinwheel, ModelKind::Dd);
    bad.latents = 3;
    let err = Trainer::new(bad, &device()).err().unwrap();
    assert!(err.contains("prior"), "{err}");

    let mut negative = TrainConfig::default();
    negative.weights.gamma = -3.0;
    let err = Trainer::new(negative, &device()).err().unwrap();
    assert!(
        err.contains("gamma") && err.contains("out of range"),
        "{err}"
    );
}
