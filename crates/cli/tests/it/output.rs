//! Snapshots of the human output of every command (the text form of each output document),
//! against moto where the command talks to AWS. Volatile parts (ids, times, ports, the temp
//! home) are redacted by insta filters; stdout and stderr are snapshotted together, each under
//! its own heading. `permissions` has its snapshots in `permissions.rs`.

use std::path::Path;

use crate::common::{Env, Run, bare, reference};
use crate::drift::three_out_of_band_changes;

fn repo(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

/// Both streams of a run, its exit code first.
fn streams(run: &Run) -> String {
    format!("exit: {}\n--- stdout\n{}--- stderr\n{}", run.code, run.stdout, run.stderr)
}

/// Insta filters for what changes from run to run.
fn filters(home: &Path) -> Vec<(String, String)> {
    let home = regex_escape(&home.display().to_string());
    vec![
        (home, "[HOME]".into()),
        (r"127\.0\.0\.1:\d+".into(), "[ENDPOINT]".into()),
        (r"\bo-[a-z0-9]{10,32}\b".into(), "[ORG_ID]".into()),
        (r"\bou-[a-z0-9]{4,32}-[a-z0-9]{8,32}\b".into(), "[OU_ID]".into()),
        (r"\br-[a-z0-9]{4,32}\b".into(), "[ROOT_ID]".into()),
        (r"\b\d{12}\b".into(), "[ACCOUNT_ID]".into()),
        (r"\b\d+\.\ds\b".into(), "[SECS]s".into()),
        (r"pid \d+".into(), "pid [PID]".into()),
        (r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z\b".into(), "[TIME]".into()),
    ]
}

fn regex_escape(s: &str) -> String {
    s.chars().fold(String::new(), |mut out, c| {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
        out
    })
}

macro_rules! snapshot {
    ($home:expr, $name:expr, $text:expr) => {
        let filters = filters($home);
        let refs: Vec<(&str, &str)> = filters.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        insta::with_settings!({ filters => refs, prepend_module_to_snapshot => true }, {
            insta::assert_snapshot!($name, $text);
        });
    };
}

/// `validate` and `graph` need no AWS: a valid file, one with warnings, one with errors, and
/// the Mermaid picture.
#[test]
fn validate_and_graph_text() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::copy(repo("examples/minimal.yaml"), h.join("minimal.yaml")).unwrap();
    std::fs::copy(
        repo("crates/blueprint/tests/warnings/02-archive-without-protect-cloudtrail.yaml"),
        h.join("warn.yaml"),
    )
    .unwrap();
    std::fs::write(h.join("bad.yaml"), "version: 1\norganization:\n  name: acme\n  home_region: eu-west-1\n  management_account: { email: root@acme.example }\naccounts:\n  - name: a\n    email: nope\n    ou: Nowhere\n    purpse: workload\n").unwrap();
    let run = |args: &[&str]| Run::from_output(&bare(h).args(args).output().unwrap());
    snapshot!(h, "validate_valid_and_warnings", streams(&run(&["validate", "minimal.yaml", "warn.yaml"])));
    snapshot!(h, "validate_invalid", streams(&run(&["validate", "bad.yaml", "minimal.yaml"])));
    snapshot!(h, "validate_quiet", streams(&run(&["validate", "-q", "minimal.yaml", "warn.yaml"])));
    snapshot!(h, "graph_minimal", streams(&run(&["graph", "minimal.yaml"])));
}

/// `plan`, `apply` and the rerun of the minimal blueprint.
#[test]
fn plan_apply_and_rerun_text() {
    let env = Env::new();
    let h = env.home.path();
    std::fs::copy(repo("examples/minimal.yaml"), h.join("minimal.yaml")).unwrap();
    snapshot!(h, "plan_create", streams(&env.gw(&["plan", "minimal.yaml", "--no-rate-limit"])));
    let applied = env.gw(&["apply", "minimal.yaml", "--auto-approve", "--no-rate-limit", "--parallelism", "1"]);
    snapshot!(h, "apply_create", streams(&applied.ok()));
    snapshot!(h, "plan_rerun", streams(&env.gw(&["plan", "minimal.yaml", "--no-rate-limit", "--stats"])));
    snapshot!(h, "apply_rerun", streams(&env.gw(&["apply", "minimal.yaml", "--auto-approve", "--no-rate-limit"])));
}

/// `drift` and `plan` after out-of-band changes to the reference landing zone, `audit` of it,
/// and `import` of it.
#[tokio::test(flavor = "multi_thread")]
async fn drift_audit_and_import_text() {
    let env = Env::reference();
    let h = env.home.path();
    std::fs::copy(reference(), h.join("landing-zone.yaml")).unwrap();
    env.apply(&h.join("landing-zone.yaml")).ok();
    three_out_of_band_changes(&env).await;

    let drift = env.gw(&["drift", "landing-zone.yaml", "--no-rate-limit"]);
    assert_eq!(drift.code, 2, "{}", drift.stderr);
    snapshot!(h, "drift", streams(&drift));
    snapshot!(h, "plan_drifted", streams(&env.gw(&["plan", "landing-zone.yaml", "--no-rate-limit"])));
    env.apply(&h.join("landing-zone.yaml")).ok();
    snapshot!(h, "drift_clean", streams(&env.gw(&["drift", "landing-zone.yaml", "--no-rate-limit"])));

    let audit = env.gw(&["audit", "landing-zone.yaml", "--no-rate-limit", "--as-of", "2026-03-31"]);
    snapshot!(h, "audit", streams(&audit));
    let import = env.gw(&[
        "import",
        "--out",
        "imported.yaml",
        "--hub",
        "identity",
        "--log-archive",
        "log-archive",
        "--home-region",
        "eu-west-1",
        "--no-rate-limit",
    ]);
    snapshot!(h, "import", streams(&import.ok()));
}
