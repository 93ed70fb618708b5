use super::*;
use crate::settings::choice::{Divergence, ImageNet, ModelKind};
use crate::settings::prior::Prior;

#[test]
fn keys_are_unique_and_defaults_are_in_range() {
    for (i, f) in FIELDS.iter().enumerate() {
        assert!(
            FIELDS[i + 1..].iter().all(|g| g.key != f.key),
            "{} twice",
            f.key
        );
        for d in DatasetKind::ALL {
            if let Some(v) = f.value(&TrainConfig::for_dataset(d)) {
                f.check(&v).unwrap_or_else(|e| panic!("{}: {e}", f.key));
            }
        }
    }
}

#[test]
fn json_round_trips_and_uses_the_link_spellings() {
    let mut c = TrainConfig::for_dataset(DatasetKind::Dsprites);
    c.model = ModelKind::Dd;
    c.divergence = Divergence::KlPQ;
    c.prior = Prior::StudentT { nu: 4.5 };
    c.hidden = vec![256, 256];
    c.image_net = ImageNet::Mlp;
    let json = serde_json::to_value(&c).unwrap();
    assert_eq!(json["divergence"], "kl");
    assert_eq!(json["net"], "mlp");
    assert_eq!(json["prior"], "student-t");
    assert_eq!(json["prior-nu"], 4.5);
    assert!(json.get("prior-means").is_none());
    assert_eq!(serde_json::from_value::<TrainConfig>(json).unwrap(), c);
}

#[test]
fn json_refuses_unknown_keys_bad_values_and_misfits() {
    let err = |s: &str| {
        serde_json::from_str::<TrainConfig>(s)
            .unwrap_err()
            .to_string()
    };
    assert!(err(r#"{"colour": "red"}"#).contains("colour: unknown setting"));
    assert!(err(r#"{"segments": 4294967295, "dataset": "ivae"}"#).contains("segments"));
    assert!(err(r#"{"mixing-layers": 4294967295}"#).contains("1..=10"));
    assert!(err(r#"{"hidden": [100, 100, 100, 100, 100, 100, 100, 100, 100]}"#).contains("hidden"));
    assert!(err(r#"{"lr": 1e308}"#).contains("1e308 is out of range"));
    assert!(err(r#"{"model": "ivae"}"#).contains("segment label"));
    // Missing settings take the data set's defaults.
    let c: TrainConfig = serde_json::from_str(r#"{"dataset": "dsprites"}"#).unwrap();
    assert_eq!(c, TrainConfig::for_dataset(DatasetKind::Dsprites));
}

#[test]
fn text_values_parse_and_print_alike() {
    let f = field("prior-means").unwrap();
    let v = f.parse("0,-1;0,1;1,0;-1,0").unwrap();
    assert_eq!(value_text(&v), "0,-1;0,1;1,0;-1,0");
    let h = field("hidden").unwrap();
    assert_eq!(value_text(&h.parse("256,256").unwrap()), "256,256");
    assert!(h.parse("256,x").is_err());
    let lr = field("lr").unwrap();
    assert_eq!(value_text(&lr.parse("0.001").unwrap()), "0.001");
    assert!(lr.parse("NaN").unwrap_err().contains("finite"));
}

#[test]
fn live_settings_are_copied_and_the_others_kept() {
    let a = TrainConfig::default();
    let mut b = TrainConfig {
        seed: 9,
        ..a.clone()
    };
    let live = TrainConfig {
        lr: 0.01,
        model: ModelKind::Dd,
        prior: Prior::pinwheel(),
        ..a.clone()
    };
    copy_live(&live, &mut b).unwrap();
    assert_eq!((b.lr, b.seed, b.model), (0.01, 9, a.model));
    assert_eq!(b.prior, Prior::pinwheel());
    assert_eq!(reset_changes(&a, &b), vec!["seed"]);
    assert!(reset_changes(&a, &live).contains(&"model"));
}

#[test]
fn latents_resize_a_prior_that_no_longer_fits() {
    // DD on `dataset` with the anisotropic prior chosen by its key.
    let anisotropic_dd = |dataset| {
        let mut c = TrainConfig {
            model: ModelKind::Dd,
            ..TrainConfig::for_dataset(dataset)
        };
        field("prior")
            .unwrap()
            .set_text(&mut c, "anisotropic")
            .unwrap();
        c
    };
    let mut c = anisotropic_dd(DatasetKind::Dsprites);
    field("latents").unwrap().set_text(&mut c, "4").unwrap();
    assert_eq!(c.prior, Prior::dsprites_pca(4).unwrap());
    c.validate().unwrap();
    // Above the reference's 20 principal values, and on data without images: the data-free one.
    field("latents").unwrap().set_text(&mut c, "24").unwrap();
    assert_eq!(c.prior, Prior::anisotropic_default(24));
    let p = anisotropic_dd(DatasetKind::Pinwheel);
    assert_eq!(p.prior, Prior::anisotropic_default(p.latents));
}
