//! `validate` and the errors users meet before any AWS call.

use crate::common::{bare, reference};

#[test]
fn reference_and_examples_validate() {
    let home = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out =
        bare(home.path()).arg("validate").arg(reference()).arg(root.join("examples/minimal.yaml")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn invalid_blueprint_reports_every_problem_with_location_and_exit_1() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("bad.yaml");
    std::fs::write(&file, "version: 1\norganization:\n  name: acme\n  home_region: eu-west-1\n  management_account: { email: root@acme.example }\naccounts:\n  - name: a\n    email: nope\n    ou: Nowhere\n    purpse: workload\n").unwrap();
    let out = bare(home.path()).arg("validate").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.yaml:8:12"), "{err}");
    assert!(err.contains("bad.yaml:9:9"), "{err}");
    assert!(err.contains("bad.yaml:10:5"), "{err}");
    assert!(err.contains("did you mean `purpose`?"), "{err}");
    assert!(err.contains("3 errors"), "{err}");

    let json = bare(home.path()).args(["validate", "--json"]).arg(&file).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v["files"][0]["errors"], 3);
    assert_eq!(v["files"][0]["diagnostics"][0]["line"], 8);
}

#[test]
fn invalid_blueprint_stops_plan_before_any_aws_call() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("bad.yaml");
    std::fs::write(&file, "version: 7\n").unwrap();
    // No credentials and an endpoint nobody listens on: reaching AWS would fail differently.
    let out = bare(home.path())
        .args(["plan"])
        .arg(&file)
        .args(["--endpoint-url", "http://127.0.0.1:9", "--region", "us-east-1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unsupported blueprint version 7"), "{err}");
    assert!(err.contains("nothing was sent to AWS"), "{err}");
}

/// `plan` of the reference with `args`, against an endpoint nobody listens on: it must stop
/// (exit 1) before any AWS call, which would fail differently. Returns its stderr.
fn plan_reference_offline(mut command: std::process::Command, args: &[&str]) -> String {
    let out = command
        .arg("plan")
        .arg(reference())
        .args(["--endpoint-url", "http://127.0.0.1:9"])
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn missing_credentials_and_region_are_explained() {
    let home = tempfile::tempdir().unwrap();
    let err = plan_reference_offline(bare(home.path()), &["--region", "us-east-1"]);
    assert!(err.contains("no AWS credentials were found"), "{err}");

    let mut command = bare(home.path());
    command.env("AWS_ACCESS_KEY_ID", "testing").env("AWS_SECRET_ACCESS_KEY", "testing");
    let err = plan_reference_offline(command, &[]);
    assert!(err.contains("no AWS region is configured"), "{err}");
}

#[test]
fn a_missing_slack_token_is_located_and_nothing_is_sent() {
    let home = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(reference()).unwrap();
    let line = text.lines().position(|l| l.trim_start().starts_with("token_env:")).unwrap() + 1;
    let mut command = bare(home.path());
    command
        .env_remove(crate::common::SLACK_TOKEN_ENV)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing");
    let err = plan_reference_offline(command, &["--region", "us-east-1"]);
    assert!(err.contains(&format!("landing-zone.yaml:{line}:16: alerts.slack")), "{err}");
    assert!(err.contains("GROUNDWORK_SLACK_TOKEN is not set") && err.contains("nothing was sent to AWS"), "{err}");
}
