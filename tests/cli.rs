//! The command-line program as a user runs it.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_disentangle-lab"))
}

/// Runs `disentangle-lab train ARGS --out DIR/name`, asserts success, returns the run's JSON.
fn train_json(args: &[&str], name: &str) -> serde_json::Value {
    let out = temp(name);
    let status = bin()
        .arg("train")
        .args(args)
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "train {args:?} failed");
    serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap()
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("dlab-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn train_writes_the_loss_curve_and_settings() {
    let run = train_json(
        &[
            "--dataset",
            "pinwheel",
            "--model",
            "vae",
            "--steps",
            "200",
            "--seed",
            "0",
        ],
        "run.json",
    );
    let loss = run["loss"].as_array().expect("loss array");
    assert_eq!(loss.len(), 200);
    assert!(loss.iter().all(|v| v.as_f64().is_some_and(f64::is_finite)));
    assert_eq!(run["settings"]["dataset"], "pinwheel");
    assert_eq!(run["settings"]["model"], "vae");
    assert_eq!(run["settings"]["seed"], 0);
    assert_eq!(run["steps"], 200);
    let first = loss[0].as_f64().unwrap();
    let last = loss[199].as_f64().unwrap();
    assert!(last < first, "loss falls over 200 steps: {first} -> {last}");
}

#[test]
fn an_unknown_value_is_a_one_line_error_naming_the_choices_with_exit_code_2() {
    let out = bin()
        .args(["train", "--model", "gan", "--steps", "1", "--out", "x.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("gan") && err.contains("beta-vae"), "{err}");
}

#[test]
fn an_unknown_flag_is_a_one_line_error_naming_the_valid_flags_with_exit_code_2() {
    let out = bin().args(["train", "--bogus", "1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("--bogus") && err.contains("--steps"), "{err}");
}

#[test]
fn an_out_of_range_weight_is_refused_before_training() {
    let out = bin()
        .args(["train", "--beta=-2", "--steps", "5", "--out"])
        .arg(temp("neg.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("beta") && err.contains("out of range"),
        "{err}"
    );
}

#[test]
fn exported_codes_feed_the_metrics_command() {
    let dir = temp("codes");
    let status = bin()
        .args([
            "train",
            "--dataset",
            "dsprites",
            "--subset",
            "shapes:square.heart,scales:0.5,orients:2,stride:8",
        ])
        .args([
            "--model",
            "beta-tcvae",
            "--estimator",
            "mws",
            "--latents",
            "4",
            "--batch",
            "16",
            "--steps",
            "5",
        ])
        .args(["--seed", "1", "--out"])
        .arg(dir.join("run.json"))
        .arg("--export-codes")
        .arg(&dir)
        .status()
        .unwrap();
    assert!(status.success());
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap();
    for term in ["mi", "tc", "dim_kl", "recon", "kl"] {
        assert_eq!(
            run["terms"][term].as_array().map(Vec::len),
            Some(5),
            "{term}"
        );
    }
    let mig = run["metrics"]["mig"]
        .as_f64()
        .expect("dSprites runs report MIG");
    assert!((0.0..=1.0).contains(&mig));
    // 2 shapes × 2 scales × 2 orientations × 4 × 4 positions = 128 points.
    let out = bin()
        .args(["metrics", "mig", "--codes"])
        .arg(dir.join("means.npy"))
        .arg("--factors")
        .arg(dir.join("factors.npy"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        m["mutual_info_nats"].as_array().map(Vec::len),
        Some(4),
        "one MI row per latent"
    );
    for f in ["logvars.npy", "samples.npy"] {
        assert!(dir.join(f).exists(), "{f}");
    }
}

#[test]
fn ivae_runs_report_mcc_and_pinwheel_runs_report_the_divergence() {
    let run = train_json(
        &[
            "--dataset",
            "ivae",
            "--model",
            "ivae",
            "--steps",
            "20",
            "--batch",
            "128",
            "--seed",
            "0",
        ],
        "ivae.json",
    );
    let mcc = run["metrics"]["mcc"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&mcc));
    let run = train_json(
        &[
            "--dataset",
            "pinwheel",
            "--model",
            "dd",
            "--prior",
            "mixture",
            "--alpha",
            "1",
            "--beta",
            "0",
            "--steps",
            "20",
            "--seed",
            "0",
        ],
        "dd.json",
    );
    assert!(run["metrics"]["divergence_kl_p_q"]
        .as_f64()
        .unwrap()
        .is_finite());
    assert!(run["metrics"]["divergence_protocol"]
        .as_str()
        .unwrap()
        .contains("mixture"));
}

#[test]
fn save_model_then_load_model_trains_on_from_the_saved_step() {
    let model = temp("saved.dlab");
    let first = train_json(
        &[
            "--dataset",
            "pinwheel",
            "--model",
            "vae",
            "--steps",
            "150",
            "--seed",
            "4",
            "--save-model",
            model.to_str().unwrap(),
        ],
        "first.json",
    );
    let bytes = std::fs::read(&model).unwrap();
    assert_eq!(&bytes[..8], b"DLABMODL");
    let more = train_json(
        &["--load-model", model.to_str().unwrap(), "--steps", "20"],
        "more.json",
    );
    assert_eq!(more["start_step"], 150);
    assert_eq!(more["steps"], 170);
    assert_eq!(
        more["settings"], first["settings"],
        "the file's settings are used"
    );
    let loss = more["loss"].as_array().unwrap();
    assert_eq!(loss.len(), 20);
    // The loaded model is the trained one: it starts near where the first run ended, far
    // below a fresh model's first loss.
    let fresh_first = first["loss"][0].as_f64().unwrap();
    let trained_last = first["loss"][149].as_f64().unwrap();
    let resumed = loss[0].as_f64().unwrap();
    assert!(
        (resumed - trained_last).abs() < (fresh_first - trained_last).abs() / 2.0,
        "resumed at {resumed}, trained {trained_last}, fresh {fresh_first}"
    );
}

#[test]
fn save_model_files_that_are_corrupt_or_foreign_are_refused_with_a_message() {
    let model = temp("to-corrupt.dlab");
    train_json(
        &["--steps", "5", "--save-model", model.to_str().unwrap()],
        "to-corrupt.json",
    );
    let mut bytes = std::fs::read(&model).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 1;
    let corrupt = temp("corrupt.dlab");
    std::fs::write(&corrupt, &bytes).unwrap();
    let foreign = temp("foreign.dlab");
    std::fs::write(&foreign, b"{\"not\": \"a model\"}").unwrap();
    for (file, needle) in [
        (&corrupt, "damaged"),
        (&foreign, "not a Disentangle Lab model file"),
    ] {
        let out = bin()
            .args(["train", "--steps", "1", "--load-model"])
            .arg(file)
            .arg("--out")
            .arg(temp("refused.json"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle), "{err}");
    }
    // Settings come from the file: a flag that would change the model is refused.
    let out = bin()
        .args(["train", "--steps", "1", "--dataset", "ivae", "--load-model"])
        .arg(&model)
        .arg("--out")
        .arg(temp("refused.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--dataset"));
}

#[test]
fn reproduce_quick_writes_the_results_page_and_plots() {
    let dir = temp("reproduce");
    let out = bin()
        .args([
            "reproduce",
            "--quick",
            "--seeds",
            "1",
            "--only",
            "d,f",
            "--out",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let md = std::fs::read_to_string(dir.join("results.md")).unwrap();
    for png in ["d.png", "f.png"] {
        let bytes = std::fs::read(dir.join("results").join(png)).unwrap();
        assert_eq!(&bytes[1..4], b"PNG", "{png}");
        assert!(md.contains(&format!("](results/{png})")), "{png} linked");
    }
    assert!(!dir.join("results").join("b.png").exists());
    assert!(md.contains("quick smoke run"));
    // The summary table: a header, a rule and one row per claim run, each with a verdict.
    let summary: Vec<&str> = md
        .lines()
        .skip_while(|l| !l.starts_with("## Summary"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert_eq!(summary.len(), 4, "{summary:?}");
    assert!(summary[2].starts_with("| (d) ") && summary[3].starts_with("| (f) "));
    for row in &summary[2..] {
        assert!(
            row.ends_with("**holds** |") || row.ends_with("**does not hold** |"),
            "{row}"
        );
    }
    // Each claim's table has one row per arm, every cell of the metric a `mean ± std`.
    let rows_with = |header: &str| -> Vec<String> {
        md.lines()
            .skip_while(|l| !l.starts_with(header))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .map(str::to_string)
            .collect()
    };
    let d = rows_with("| steps | objective | D(q(z), p(z))");
    assert_eq!(d.len(), 2, "{d:?}");
    assert!(d.iter().all(|r| r.matches(" ± ").count() >= 3), "{d:?}");
    let f = rows_with("| model | MCC (samples)");
    assert_eq!(f.len(), 3, "iVAE, VAE and the observations: {f:?}");
    assert!(f[0].starts_with("| iVAE |") && f[1].starts_with("| VAE |"));
    assert!(f.iter().all(|r| r.contains(" ± ")), "{f:?}");
}
