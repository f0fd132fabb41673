//! `explain`: one question about the reference blueprint, answered with the path (no AWS call).

use crate::common::{bare, reference};

fn explain(args: &[&str]) -> (i32, String) {
    let home = tempfile::tempdir().unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    // A relative path, so the snapshot does not depend on where the repository is.
    let out = bare(home.path())
        .current_dir(&root)
        .arg("explain")
        .arg(reference().strip_prefix(&root).unwrap_or(&reference()))
        .args(args)
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn explain_an_allowed_and_a_denied_question() {
    let allowed = ["--principal", "group/jira-admins", "--action", "ec2:TerminateInstances", "--account", "jira-prod"];
    let (code, text) = explain(&[&allowed[..], &["--tag", "workload=jira"]].concat());
    assert_eq!(code, 0);
    insta::assert_snapshot!("explain_allowed", text);
    let (code, text) = explain(&[&allowed[..4], &["--account", "webapp-prod", "--tag", "workload=webapp"]].concat());
    assert_eq!(code, 0);
    insta::assert_snapshot!("explain_denied", text);
    let (_, json) = explain(&[&["--json"][..], &allowed[..], &["--tag", "workload=webapp"]].concat());
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["allowed"], false, "the tag condition: {json}");
}
