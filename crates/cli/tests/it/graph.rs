//! `graph`: the organization picture, drawn from the blueprint alone (no AWS call, no
//! credentials).

use crate::common::{bare, reference};

#[test]
fn reference_blueprint_draws_as_dot_and_mermaid_without_aws() {
    let home = tempfile::tempdir().unwrap();
    // A cleared environment: no credentials, no region. `graph` needs neither.
    let out = bare(home.path()).arg("graph").arg(reference()).args(["--format", "dot"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("digraph \"acme\" {\n"), "{stdout}");
    assert!(stdout.trim_end().ends_with('}'), "{stdout}");
    assert!(stdout.contains("subgraph \"cluster_OU_Workloads_Prod\" {"), "{stdout}");
    assert!(stdout.contains("\"OU_Workloads_Prod\" -> \"acct_jira_prod\";"), "{stdout}");
    assert!(stdout.contains("\"scp_deny_root_user\" -> \"root\" [style=dashed"), "{stdout}");

    // Mermaid is the default; --out writes the file and leaves stdout empty.
    let file = home.path().join("org.mmd");
    let out = bare(home.path()).arg("graph").arg(reference()).arg("--out").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty());
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("flowchart LR\n"), "{text}");
    assert!(text.contains("  scp_region_lock -.-> OU_Workloads\n"), "{text}");
}

#[test]
fn invalid_blueprint_exits_1_with_diagnostics_and_no_graph() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("bad.yaml");
    std::fs::write(&file, "version: 1\norganization:\n  name: acme\n  home_region: eu-west-1\n  management_account: { email: root@acme.example }\naccounts:\n  - name: a\n    email: a@acme.example\n    ou: Nowhere\n").unwrap();
    let out = bare(home.path()).arg("graph").arg(&file).args(["--format", "dot"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.yaml:9:9"), "{err}");
    assert!(err.contains("is not a valid blueprint (1 errors)"), "{err}");
}
