//! Live metrics: a measurement encoded chunk by chunk gives the same numbers as one encoded at
//! once, measures the model as it was when it started, and reports what each data set supports.

use disentangle_lab::metrics;
use disentangle_lab::train::metric_job::MetricJob;
use disentangle_lab::train::metric_report::{MetricReport, MetricRequest};
use disentangle_lab::train::{backend, BackendChoice, DatasetKind, TrainConfig, Trainer};

fn device() -> burn::prelude::Device {
    pollster::block_on(backend::device_for(BackendChoice::Flex)).unwrap()
}

fn run(job: &mut MetricJob, trainer: &Trainer, chunk: usize) -> MetricReport {
    loop {
        if let Some(r) = pollster::block_on(job.advance(trainer, chunk, &mut |_| {})).unwrap() {
            return r;
        }
    }
}

fn small_dsprites() -> TrainConfig {
    TrainConfig {
        dataset: DatasetKind::Dsprites,
        batch: 16,
        latents: 3,
        subset: "shapes:square,scales:0.5,orients:2,stride:4"
            .parse()
            .unwrap(),
        ..TrainConfig::default()
    }
}

#[test]
fn chunked_encoding_equals_encoding_at_once_and_uses_the_starting_model() {
    let mut t = Trainer::new(small_dsprites(), &device()).unwrap();
    for _ in 0..3 {
        t.step();
    }
    let mut a = MetricJob::new(MetricRequest::Periodic, &t).unwrap();
    let mut b = MetricJob::new(MetricRequest::Periodic, &t).unwrap();
    let first = run(&mut a, &t, 10_000);
    // Training between chunks must not change what job `b` measures.
    let mut steps_between = 0;
    let second = loop {
        if let Some(r) = pollster::block_on(b.advance(&t, 777, &mut |_| {})).unwrap() {
            break r;
        }
        t.step();
        steps_between += 1;
    };
    assert!(steps_between >= 10, "only {steps_between} chunks");
    assert_eq!(first, second);
    assert_eq!(first.step, 3);
    // Shape is constant in this subset: MIG and the MI matrix cover the four other factors.
    let mi = first.mi.as_ref().expect("MI matrix");
    assert_eq!(mi.factors, ["scale", "orientation", "pos x", "pos y"]);
    assert_eq!(mi.normalised.len(), 3);
    assert!(mi
        .normalised
        .iter()
        .flatten()
        .all(|v| (0.0..=1.0).contains(v)));
    let mig = first.get("mig_dlib").expect("MIG");
    assert!((0.0..=1.0).contains(&mig), "{mig}");
    // The MIG is the mean over factors of (top − second normalised MI) — checked by hand here.
    let by_hand: f64 = (0..4)
        .map(|k| {
            let mut col: Vec<f64> = mi.normalised.iter().map(|r| r[k]).collect();
            col.sort_by(|x, y| y.total_cmp(x));
            col[0] - col[1]
        })
        .sum::<f64>()
        / 4.0;
    assert!((by_hand - mig).abs() < 1e-9, "{by_hand} vs {mig}");
    let active = first.get("active_units").unwrap();
    assert!((0.0..=3.0).contains(&active));
}

#[test]
fn factor_vae_score_on_request_covers_the_whole_subset() {
    let t = Trainer::new(small_dsprites(), &device()).unwrap();
    let mut job = MetricJob::new(MetricRequest::FactorVae, &t).unwrap();
    let mut fractions = Vec::new();
    let r = loop {
        fractions.push(job.progress().fraction);
        if let Some(r) = pollster::block_on(job.advance(&t, 64, &mut |_| {})).unwrap() {
            break r;
        }
    };
    // Progress starts at 0 and grows chunk by chunk over the whole subset.
    assert_eq!(fractions[0], 0.0);
    assert!(fractions.windows(2).all(|w| w[0] < w[1] && w[1] < 1.0));
    assert_eq!(fractions.len(), t.config().subset.len().div_ceil(64));
    let s = r.get("factor_vae_score").unwrap();
    // Four varying factors: chance is 1/5 with shape included; an untrained encoder is near it
    // but the score is a valid accuracy.
    assert!((0.0..=1.0).contains(&s), "{s}");
    // DD's protocol comes beside it: its own sizes, its training votes' accuracy.
    let dd = r.get("factor_vae_score_dd").unwrap();
    assert!((0.0..=1.0).contains(&dd), "{dd}");
    let v = r.values.iter().find(|v| v.key == "factor_vae_score_dd");
    assert!(v.unwrap().protocol.contains("batch 1,000"));
}

/// Under DD's Student-t prior the headline score is taken in Gaussian coordinates and the raw
/// means' score comes beside it from the same votes: the same model measured again with the
/// Normal prior (the prior is a live setting; the encoder is unchanged) has one score, and it
/// must equal the Student-t measurement's raw score.
#[test]
fn a_student_t_model_is_scored_in_gaussian_coordinates_with_the_raw_score_beside_it() {
    use disentangle_lab::objective::priors::Prior;
    use disentangle_lab::train::ModelKind;
    let c = TrainConfig {
        model: ModelKind::Dd,
        prior: Prior::StudentT { nu: 9.0 },
        ..small_dsprites()
    };
    let mut trainer = Trainer::new(c, &device()).unwrap();
    let score = |trainer: &Trainer| {
        let mut job = MetricJob::new(MetricRequest::FactorVae, trainer).unwrap();
        run(&mut job, trainer, 10_000)
    };
    let t = score(&trainer);
    trainer.set_prior(Prior::Normal).unwrap();
    let n = score(&trainer);
    let (head, raw) = (t.get("factor_vae_score"), t.get("factor_vae_score_raw"));
    let (head, raw) = (head.expect("headline"), raw.expect("raw score"));
    assert!((0.0..=1.0).contains(&head) && (0.0..=1.0).contains(&raw));
    assert_eq!(Some(raw), n.get("factor_vae_score"));
    assert_eq!(
        n.get("factor_vae_score_raw"),
        None,
        "a Gaussian prior has one score"
    );
    let protocol = |r: &MetricReport, key: &str| {
        let v = r.values.iter().find(|v| v.key == key).unwrap();
        v.protocol.clone()
    };
    assert!(protocol(&t, "factor_vae_score").contains("mapped onto N(0, 1)"));
    assert!(!protocol(&n, "factor_vae_score").contains("mapped"));
}

#[test]
fn chen_mig_on_request_reports_progress_and_a_valid_value() {
    let t = Trainer::new(small_dsprites(), &device()).unwrap();
    let mut job = MetricJob::new(MetricRequest::ChenMig, &t).unwrap();
    let mut heard = Vec::new();
    let r = loop {
        let mut on =
            |p: disentangle_lab::train::metric_report::MetricProgress| heard.push(p.fraction);
        if let Some(r) = pollster::block_on(job.advance(&t, 512, &mut on)).unwrap() {
            break r;
        }
    };
    assert!(!heard.is_empty() && heard.iter().all(|f| (0.0..=1.0).contains(f)));
    let mig = r.get("mig_chen").unwrap();
    assert!((0.0..=1.0).contains(&mig), "{mig}");
}

#[test]
fn ivae_reports_mcc_with_a_matched_scatter_and_the_kl_decomposition() {
    let mut c = TrainConfig {
        dataset: DatasetKind::Ivae,
        model: disentangle_lab::train::ModelKind::Ivae,
        batch: 128,
        ..TrainConfig::default()
    };
    c.ivae.segments = 10;
    c.ivae.per_segment = 100;
    let t = Trainer::new(c, &device()).unwrap();
    let mut job = MetricJob::new(MetricRequest::Periodic, &t).unwrap();
    let r = run(&mut job, &t, 300);
    let mcc = r.get("mcc").unwrap();
    let sc = r.scatter.as_ref().expect("scatter");
    assert_eq!(sc.pairs.len(), 2);
    assert_eq!(sc.labels.len(), 400);
    assert!(sc.points.iter().all(|p| p.len() == 400));
    // The MCC is the mean of the matched pairs' |correlation|.
    let mean = sc.pairs.iter().map(|p| p.2).sum::<f64>() / 2.0;
    assert!((mean - mcc).abs() < 1e-12);
    // Each scatter panel's correlation is the one reported for its pair (up to subsampling).
    for (p, pts) in sc.pairs.iter().zip(&sc.points) {
        let (x, y): (Vec<f64>, Vec<f64>) = pts.iter().map(|&(a, b)| (a as f64, b as f64)).unzip();
        let r = metrics::mcc::pearson(&x, &y).abs();
        assert!((r - p.2).abs() < 0.2, "{r} vs {}", p.2);
    }
    for key in ["index_code_mi", "total_correlation", "dimwise_kl"] {
        assert!(r.get(key).unwrap().is_finite(), "{key}");
    }
}

#[test]
fn pinwheel_reports_the_divergence_and_refuses_dsprites_only_metrics() {
    let t = Trainer::new(TrainConfig::default(), &device()).unwrap();
    let mut job = MetricJob::new(MetricRequest::Periodic, &t).unwrap();
    let r = run(&mut job, &t, 64);
    let d = r.get("divergence_kl_p_q").unwrap();
    assert!(d.is_finite() && d > -0.1, "{d}");
    assert!(r.values.iter().all(|v| !v.protocol.is_empty()));
    for req in [MetricRequest::FactorVae, MetricRequest::ChenMig] {
        let err = MetricJob::new(req, &t).err().expect("refused");
        assert!(err.contains("dSprites"), "{err}");
    }
}
