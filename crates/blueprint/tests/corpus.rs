//! The corpus of invalid blueprints: each file under `tests/invalid/` must be rejected, and its
//! rendered diagnostics (message, file:line:column, caret, help) match the snapshot beside it.
//! The valid reference blueprints must pass.

use std::path::Path;

#[test]
fn invalid_blueprints_are_rejected_with_located_diagnostics() {
    insta::glob!("invalid/*.yaml", |path| {
        let bytes = std::fs::read(path).unwrap();
        let name = format!("invalid/{}", path.file_name().unwrap().to_string_lossy());
        let Err(diagnostics) = groundwork_blueprint::parse(&name, &bytes) else { panic!("{name} was accepted") };
        assert!(diagnostics.has_errors(), "{name}: no error");
        for d in &diagnostics.items {
            assert!(d.span.line >= 1 && d.span.col >= 1, "{name}: diagnostic without a location");
        }
        let rendered = format!("{}\n{}", diagnostics.render_short(), diagnostics.render_plain());
        insta::assert_snapshot!(rendered);
    });
}

/// The corpus of valid blueprints that `validate` warns about: each file under `tests/warnings/`
/// is accepted, with warnings only, and its rendered warnings match the snapshot beside it.
#[test]
fn weak_blueprints_are_accepted_with_located_warnings() {
    insta::glob!("warnings/*.yaml", |path| {
        let bytes = std::fs::read(path).unwrap();
        let name = format!("warnings/{}", path.file_name().unwrap().to_string_lossy());
        let parsed = groundwork_blueprint::parse(&name, &bytes).unwrap_or_else(|d| panic!("{}", d.render_plain()));
        let warnings = &parsed.warnings;
        assert!(warnings.warning_count() > 0 && !warnings.has_errors(), "{name}: expected warnings only");
        for d in &warnings.items {
            assert!(d.span.line >= 1 && d.span.col >= 1, "{name}: warning without a location");
        }
        insta::assert_snapshot!(format!("{}\n{}", warnings.render_short(), warnings.render_plain()));
    });
}

#[test]
fn reference_blueprints_are_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut count = 0;
    for dir in ["blueprints", "examples"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                let parsed = groundwork_blueprint::load(&path).unwrap_or_else(|d| panic!("{}", d.render_plain()));
                assert!(parsed.warnings.items.is_empty(), "{}", parsed.warnings.render_plain());
                count += 1;
            }
        }
    }
    assert!(count >= 2);
}

#[test]
fn workloads_expand_into_accounts() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../blueprints/landing-zone.yaml");
    let bp = groundwork_blueprint::load(&root).unwrap().blueprint;
    let jira = bp.account("jira-prod").expect("jira-prod expanded");
    assert_eq!(jira.email.value, "aws+jira-prod@acme.example");
    assert_eq!(jira.ou.value.to_string(), "Workloads/Prod");
    assert_eq!(jira.tags.get("CostCenter").map(String::as_str), Some("it"));
    assert_eq!(jira.tags.get("ManagedBy").map(String::as_str), Some("groundwork"));
    assert_eq!(bp.account("webapp-staging").unwrap().ou.value.to_string(), "Workloads/Staging");
    let paths: Vec<String> = bp.organizational_units.iter().map(|o| o.path.to_string()).collect();
    assert_eq!(
        paths,
        ["Security", "Infrastructure", "Workloads", "Workloads/Prod", "Workloads/Staging", "Workloads/Dev", "Sandbox"]
    );
}
