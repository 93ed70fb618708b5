//! The command-line program as a user runs it.

use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_disentangle-lab"))
}

/// Runs `disentangle-lab metrics mig --codes CODES --factors FACTORS`.
fn metrics_mig(codes: &std::path::Path, factors: &std::path::Path) -> std::process::Output {
    bin()
        .args(["metrics", "mig", "--codes"])
        .arg(codes)
        .arg("--factors")
        .arg(factors)
        .output()
        .unwrap()
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

/// The value of metric `key` in a run's reports (the same keys as the page's).
fn metric(run: &serde_json::Value, key: &str) -> Option<f64> {
    run["metrics"]
        .as_array()?
        .iter()
        .flat_map(|r| r["values"].as_array().into_iter().flatten())
        .find(|v| v["key"] == key)
        .and_then(|v| v["value"].as_f64())
}

/// The protocol text of metric `key`.
fn protocol(run: &serde_json::Value, key: &str) -> String {
    run["metrics"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["values"].as_array().into_iter().flatten())
        .find(|v| v["key"] == key)
        .and_then(|v| v["protocol"].as_str())
        .unwrap_or_default()
        .to_string()
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
    // A value outside the schema's range is a usage error, like an unknown one.
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("--beta") && err.contains("out of range [0, 200]"),
        "{err}"
    );
}

#[test]
fn exported_codes_reproduce_the_runs_mig_without_the_constant_factor() {
    let dir = temp("codes");
    // One shape: the shape factor is constant in this subset.
    let status = bin()
        .args([
            "train",
            "--dataset",
            "dsprites",
            "--subset",
            "shapes:heart,scales:0-5,orients:10,stride:8",
            "--net",
            "mlp",
            "--hidden",
            "64",
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
    let mig = metric(&run, "mig_dlib").expect("dSprites runs report MIG");
    assert!((0.0..=1.0).contains(&mig));
    let used = protocol(&run, "mig_dlib");
    assert!(used.contains("scale") && !used.contains("shape"), "{used}");
    assert!(protocol(&run, "factor_vae_score").contains("pos y"));
    // Chen's MIG, the β-TCVAE paper's own, as the page's *MIG (Chen)* measures it.
    let chen = metric(&run, "mig_chen").expect("dSprites runs report Chen's MIG");
    assert!((0.0..=1.0).contains(&chen));
    assert!(protocol(&run, "mig_chen").contains("shape excluded"));
    let out = metrics_mig(&dir.join("means.npy"), &dir.join("factors.npy"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let again = m["mig"].as_f64().unwrap();
    assert!(
        (again - mig).abs() <= 1e-9,
        "metrics mig {again} vs run {mig}"
    );
    assert_eq!(m["factors_used"], serde_json::json!([1, 2, 3, 4]));
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
fn a_metric_on_factors_that_never_change_says_so() {
    let dir = temp("constant");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("codes.csv"), "0.1,0.2\n0.3,0.4\n0.5,0.9\n").unwrap();
    std::fs::write(dir.join("factors.csv"), "1,0\n1,0\n1,0\n").unwrap();
    let out = metrics_mig(&dir.join("codes.csv"), &dir.join("factors.csv"));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no factor takes more than one value"), "{err}");
}

#[test]
fn train_help_lists_every_model_and_the_link_command_round_trips_a_run() {
    let out = bin().args(["train", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for m in ["vae", "beta-vae", "beta-tcvae", "factor-vae", "dd", "ivae"] {
        assert!(help.contains(m), "{m} missing from --help");
    }
    let run = train_json(
        &[
            "--dataset",
            "dsprites",
            "--net",
            "mlp",
            "--hidden",
            "32,16",
            "--subset",
            "shapes:heart,scales:0.5,orients:2,stride:16",
            "--steps",
            "2",
            "--batch",
            "8",
        ],
        "linked.json",
    );
    let out = bin()
        .args(["link", "encode", "--settings"])
        .arg(temp("linked.json"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fragment = String::from_utf8(out.stdout).unwrap();
    assert!(fragment.contains("hidden=32,16"), "{fragment}");
    let out = bin()
        .args(["link", "decode", fragment.trim()])
        .output()
        .unwrap();
    let back: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(back["settings"], run["settings"]);
    assert_eq!(back["ignored"], serde_json::json!([]));
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
    let mcc = metric(&run, "mcc").unwrap();
    assert!((0.0..=1.0).contains(&mcc));
    assert!(metric(&run, "mcc_means").is_some());
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
    assert!(metric(&run, "divergence_kl_p_q").unwrap().is_finite());
    assert!(protocol(&run, "divergence_kl_p_q").contains("mixture"));
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
    let d = rows_with("| objective | occupancy entropy |");
    assert_eq!(d.len(), 3, "the α run and a β sweep of two: {d:?}");
    assert!(d[0].starts_with("| β = 0, α = 1 |"), "{d:?}");
    assert!(d.iter().all(|r| r.matches(" ± ").count() >= 4), "{d:?}");
    let f = rows_with("| model | MCC (means) |");
    assert_eq!(f.len(), 4, "iVAE, two VAEs and the observations: {f:?}");
    assert!(f[0].starts_with("| iVAE |") && f[1].starts_with("| VAE (the reference"));
    assert!(f.iter().all(|r| r.contains(" ± ")), "{f:?}");
}
