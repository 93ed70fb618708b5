use super::*;
use crate::train::Snapshot;

fn progress(first: u64, losses: &[f32]) -> FromWorker {
    FromWorker::Progress {
        snapshot: Snapshot {
            step: first + losses.len() as u64,
            curves: TermCurves {
                first_step: first,
                names: vec![TermName::Loss, TermName::Kl],
                values: vec![losses.to_vec(), losses.iter().map(|l| l / 2.0).collect()],
            },
            ..Snapshot::default()
        },
        steps_per_second: 100.0,
    }
}

#[test]
fn a_link_with_thousands_of_bad_keys_gives_a_short_message() {
    let keys: Vec<String> = (0..2000).map(|i| format!("k{i}=1")).collect();
    let s = UiState::from_link(&keys.join("&"));
    let e = s.error.unwrap();
    assert!(e.len() < 400, "{} characters", e.len());
    assert!(e.contains("more"), "{e}");
    assert_eq!(s.config, TrainConfig::default());
}

#[test]
fn a_stored_link_is_used_only_without_a_fragment_and_only_if_fully_valid() {
    let good = "dataset=ivae&model=ivae&seed=3";
    assert_eq!(UiState::initial("", Some(good)).config.seed, 3);
    assert_eq!(UiState::initial("#seed=9", Some(good)).config.seed, 9);
    let s = UiState::initial("", Some("seed=3&lr=banana"));
    assert_eq!(s.config, TrainConfig::default());
    assert!(s.error.unwrap().contains("last visit"));
}

/// Hostile stored settings: 2,000 mutations of a stored link open the page without a
/// panic, on valid settings, and either use the stored link whole or say it was ignored.
#[test]
fn mutated_stored_settings_open_valid_settings_or_say_why_not() {
    let good = "dataset=dsprites&model=beta-tcvae&beta=6&latents=4&hidden=64,32&seed=3";
    let alphabet: Vec<char> = "az=&%,.-09e+ β\u{0}".chars().collect();
    let mut rng = crate::rng::Rng::new(3);
    let (mut used, mut ignored) = (0, 0);
    for _ in 0..2000 {
        let mut chars: Vec<char> = good.chars().collect();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(chars.len() as u64) as usize;
            chars[at] = alphabet[rng.below(alphabet.len() as u64) as usize];
        }
        let stored: String = chars.into_iter().collect();
        let s = UiState::initial("", Some(&stored));
        s.config.validate().unwrap();
        match &s.error {
            None => used += 1,
            Some(e) => {
                ignored += 1;
                assert!(e.contains("last visit") && e.len() < 700, "{e}");
                assert_eq!(s.config, TrainConfig::default());
            }
        }
    }
    assert!(used > 0 && ignored > 0, "{used} used, {ignored} ignored");
}

#[test]
fn the_link_round_trips_the_page_state() {
    let mut s = UiState::from_link("dataset=dsprites&latents=4&view=2,4&text=large");
    assert_eq!((s.view_dims, s.large_text), ((1, 3), true));
    s.apply(Action::SetViewDims(0, 2));
    let back = UiState::from_link(&s.link());
    assert_eq!((back.config, back.view_dims), (s.config.clone(), (0, 2)));
    // One latent: the view is the only latent, and the link stays clean.
    s.apply(Action::SetConfig(Box::new(TrainConfig {
        latents: 1,
        ..s.config.clone()
    })));
    assert_eq!(s.view_dims, (0, 0));
    assert!(
        UiState::from_link(&s.link()).error.is_none(),
        "{}",
        s.link()
    );
}

#[test]
fn progress_extends_the_curves_and_old_points_are_thinned() {
    let mut s = UiState::default();
    s.apply(Action::Worker(vec![progress(0, &[3.0, 2.0])]));
    assert_eq!(s.loss_history, vec![(0, 3.0), (1, 2.0)]);
    assert_eq!(s.step, 2);
    assert_eq!(s.term_history[0].0, TermName::Kl);
    let long: Vec<f32> = (0..MAX_HISTORY).map(|i| i as f32).collect();
    s.apply(Action::Worker(vec![progress(2, &long)]));
    assert!(s.loss_history.len() <= MAX_HISTORY);
    assert_eq!(s.loss_history[0], (0, 3.0), "the start survives thinning");
}

#[test]
fn curves_after_a_rollback_replace_the_rolled_back_steps() {
    let mut s = UiState::default();
    s.apply(Action::Worker(vec![progress(0, &[5.0, 4.0, 3.0, 2.0])]));
    // A non-finite loss rolled the model back to step 2; it trains steps 2 and 3 again.
    s.apply(Action::Worker(vec![progress(2, &[3.5, 2.5])]));
    assert_eq!(s.loss_history, vec![(0, 5.0), (1, 4.0), (2, 3.5), (3, 2.5)]);
    assert_eq!(s.term_history[0].1.len(), 4);
    assert_eq!(s.step, 4);
}

#[test]
fn a_pause_sent_to_hold_a_for_b_is_not_the_users() {
    let mut s = UiState::default();
    s.apply(Action::SetRunning(true));
    s.apply(Action::HoldA(true));
    s.apply(Action::Worker(vec![FromWorker::Running(false)]));
    assert!(s.running, "A is only held");
    s.apply(Action::SetRunning(false));
    assert!(!s.running && !s.held_for_b);
}

#[test]
fn a_reset_clears_both_runs_and_pauses() {
    let mut s = UiState::from_link("compare=beta-tcvae");
    s.apply(Action::SetRunning(true));
    s.apply(Action::Worker(vec![progress(0, &[1.0])]));
    s.apply(Action::WorkerB(vec![progress(0, &[2.0])]));
    assert_eq!(s.compare.as_ref().unwrap().step, 1);
    s.apply(Action::ShowError("x".into()));
    s.apply(Action::ClearRun);
    assert!(!s.running && s.loss_history.is_empty() && s.error.is_none());
    assert_eq!(s.compare.as_ref().unwrap().step, 0);
}

/// B's q(z) is its own: kept until B sends another, never taken from A, gone on a reset.
#[test]
fn run_bs_posterior_is_kept_apart_from_as() {
    let mut s = UiState::from_link("compare=beta-tcvae");
    let with_posterior = |z: f32| FromWorker::Progress {
        snapshot: Snapshot {
            step: 1,
            posterior: Some(Posterior {
                latents: 1,
                z: vec![z],
                labels: vec![0],
                kl_per_latent: vec![0.0],
            }),
            ..Snapshot::default()
        },
        steps_per_second: 1.0,
    };
    s.apply(Action::Worker(vec![with_posterior(1.0)]));
    s.apply(Action::WorkerB(vec![with_posterior(2.0)]));
    s.apply(Action::WorkerB(vec![progress(1, &[1.0])]));
    let b = s.compare.as_ref().unwrap().posterior.as_ref().unwrap();
    assert_eq!((s.posterior.as_ref().unwrap().z[0], b.z[0]), (1.0, 2.0));
    s.apply(Action::ClearRun);
    assert!(s.compare.as_ref().unwrap().posterior.is_none());
}

/// B's backend is remembered over a reset: its worker reports it only when it opens one,
/// and the page keeps B on A's backend by comparing the two.
#[test]
fn run_bs_backend_is_recorded_and_kept_over_a_reset() {
    let mut s = UiState::from_link("compare=beta-tcvae");
    let report = |choice| {
        FromWorker::Backend(BackendReport {
            choice,
            adapter: None,
            notice: None,
            measured: Vec::new(),
        })
    };
    s.apply(Action::WorkerB(vec![report(BackendChoice::Ndarray)]));
    s.apply(Action::ClearRun);
    assert_eq!(
        s.compare.as_ref().unwrap().backend,
        Some(BackendChoice::Ndarray)
    );
    assert_eq!(s.backend, None, "A's report is A's own");
}

#[test]
fn crashes_are_counted_and_explained_and_b_crashing_ends_the_comparison() {
    let mut s = UiState::from_link("compare=beta-tcvae");
    s.apply(Action::Worker(vec![FromWorker::Crashed("boom".into())]));
    assert_eq!(s.crashes, 1);
    assert!(s.error.as_ref().unwrap().contains("boom"));
    s.apply(Action::WorkerB(vec![FromWorker::Crashed("bang".into())]));
    assert!(s.compare.is_none());
    assert!(s.error.unwrap().contains("Run B"));
}

fn checkpoint_of(config: &TrainConfig, step: u64) -> FromWorker {
    let header = crate::settings::model_file::Header {
        config: config.clone(),
        step,
        written_by: "test".into(),
    };
    FromWorker::Checkpoint {
        step,
        bytes: crate::settings::model_file::encode(&header, &[1, 2, 3]).unwrap(),
    }
}

#[test]
fn a_crash_after_a_checkpoint_resumes_from_it_and_keeps_the_curves_before_it() {
    let mut s = UiState::default();
    let losses: Vec<f32> = (0..30).map(|i| i as f32).collect();
    s.apply(Action::Worker(vec![
        progress(0, &losses),
        checkpoint_of(&s.config, 20),
    ]));
    s.apply(Action::Worker(vec![FromWorker::Crashed("GPU lost".into())]));
    let e = s.error.clone().unwrap();
    assert!(
        e.contains("saved at step 20") && e.contains("GPU lost"),
        "{e}"
    );
    // A live change since the checkpoint still resumes from it (with the change).
    s.apply(Action::SetConfig(Box::new(TrainConfig {
        lr: 0.01,
        ..s.config.clone()
    })));
    assert!(s.resumable_checkpoint().is_some());
    s.apply(Action::Worker(vec![FromWorker::Resumed { step: 20 }]));
    assert_eq!(s.step, 20);
    assert_eq!(s.loss_history.len(), 20);
    assert!(s.term_history[0].1.iter().all(|&(t, _)| t < 20));
    // A reset makes the copy another model's: nothing to resume from.
    s.apply(Action::ClearRun);
    assert!(s.checkpoint.is_none() && s.resumable_checkpoint().is_none());
}

#[test]
fn a_checkpoint_of_other_settings_is_not_resumed() {
    let mut s = UiState::default();
    let other = TrainConfig {
        seed: 99,
        ..TrainConfig::default()
    };
    s.apply(Action::Worker(vec![checkpoint_of(&other, 5)]));
    assert!(s.resumable_checkpoint().is_none());
    s.apply(Action::Worker(vec![FromWorker::Crashed("x".into())]));
    assert!(s.error.unwrap().contains("from step 0"));
}

#[test]
fn long_messages_are_cut() {
    let mut s = UiState::default();
    s.apply(Action::Worker(vec![FromWorker::Error("e".repeat(50_000))]));
    assert!(s.error.unwrap().chars().count() <= MAX_MESSAGE + 1);
}

#[test]
fn a_loaded_model_takes_over_settings_and_step() {
    let mut s = UiState::default();
    s.apply(Action::Worker(vec![progress(0, &[1.0, 1.0])]));
    let config = TrainConfig {
        latents: 1,
        seed: 8,
        ..TrainConfig::default()
    };
    s.apply(Action::Worker(vec![FromWorker::ModelLoaded {
        config: Box::new(config.clone()),
        step: 500,
    }]));
    assert_eq!((s.config.clone(), s.step), (config, 500));
    assert!(s.loss_history.is_empty());
    assert_eq!(s.view_dims, (0, 0));
    assert!(s.info.unwrap().contains("500 steps"));
}

#[test]
fn periodic_metrics_keep_their_order_and_requested_ones_the_latest() {
    let report = |request, step, v: f64| MetricReport {
        request,
        step,
        values: vec![crate::train::metric_report::MetricValue {
            key: "mig_dlib".into(),
            label: "MIG".into(),
            protocol: "p".into(),
            value: v,
        }],
        mi: None,
        scatter: None,
    };
    let mut s = UiState::default();
    s.apply(Action::Measure(MetricRequest::FactorVae));
    assert!(s.metrics.progress.is_some());
    s.apply(Action::Worker(vec![
        FromWorker::Metrics(report(MetricRequest::Periodic, 200, 0.1)),
        FromWorker::Metrics(report(MetricRequest::Periodic, 400, 0.2)),
        FromWorker::Metrics(report(MetricRequest::FactorVae, 400, 0.5)),
        FromWorker::Metrics(report(MetricRequest::FactorVae, 600, 0.6)),
    ]));
    assert_eq!(s.metrics.series("mig_dlib"), vec![(200, 0.1), (400, 0.2)]);
    assert_eq!(s.metrics.on_request.len(), 1);
    assert_eq!(s.metrics.on_request[0].step, 600);
    assert!(s.metrics.progress.is_none());
}
