//! The blueprint's JSON Schema against the parser, with a real JSON Schema validator
//! (`jsonschema`): every shipped blueprint validates, every invalid-corpus file whose error is
//! structural is rejected, and the committed `schema/blueprint.schema.json` is the generated one.

use std::path::{Path, PathBuf};

use groundwork_blueprint::yaml;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn validator() -> jsonschema::Validator {
    let schema = groundwork_blueprint::json_schema();
    assert!(jsonschema::meta::is_valid(&schema), "the generated schema is not a valid JSON Schema");
    jsonschema::draft202012::new(&schema).expect("the schema compiles")
}

/// The document as an editor's YAML language server sees it (YAML 1.2 core schema).
fn as_json(src: &str) -> serde_json::Value {
    yaml::parse(src).expect("YAML").map_or(serde_json::Value::Null, |n| n.to_json())
}

fn blueprints(dir: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    out.sort();
    out
}

#[test]
fn shipped_blueprints_validate_against_the_schema() {
    let v = validator();
    let files: Vec<PathBuf> = ["blueprints", "examples"].iter().flat_map(|d| blueprints(d)).collect();
    assert!(files.len() >= 6, "{files:?}");
    for path in files {
        let src = std::fs::read_to_string(&path).unwrap();
        let errors: Vec<String> =
            v.iter_errors(&as_json(&src)).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{}:\n{}", path.display(), errors.join("\n"));
    }
}

/// The line a shipped blueprint starts with.
const REPO_MODELINE: &str = "# yaml-language-server: $schema=../schema/blueprint.schema.json";

#[test]
fn shipped_blueprints_name_the_schema_on_their_first_line() {
    for path in ["blueprints", "examples"].iter().flat_map(|d| blueprints(d)) {
        let src = std::fs::read_to_string(&path).unwrap();
        assert_eq!(src.lines().next(), Some(REPO_MODELINE), "{}", path.display());
    }
}

#[test]
fn the_starter_blueprint_validates_and_passes_the_schema() {
    let starter = groundwork_blueprint::STARTER_BLUEPRINT;
    assert!(starter.starts_with(&format!("{}\n", groundwork_blueprint::SCHEMA_MODELINE)));
    let parsed = groundwork_blueprint::parse("blueprint.yaml", starter.as_bytes())
        .unwrap_or_else(|d| panic!("{}", d.render_plain()));
    assert!(parsed.warnings.items.is_empty(), "{}", parsed.warnings.render_plain());
    let errors: Vec<String> = validator().iter_errors(&as_json(starter)).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
}

#[test]
fn the_committed_schema_is_the_generated_one() {
    let committed = std::fs::read_to_string(root().join("schema/blueprint.schema.json")).unwrap_or_default();
    assert!(
        committed == groundwork_blueprint::json_schema_text(),
        "schema/blueprint.schema.json is stale: run `groundwork schema > schema/blueprint.schema.json`"
    );
}

/// Structural errors: the shape of the document, which a JSON Schema expresses. A corpus file
/// with at least one diagnostic of these codes must be rejected by the schema too. Every other
/// code (references between sections, names AWS refuses, ranges, placeholders, policy lint,
/// limits) needs the parser's semantic checks and is not asked of the schema.
const STRUCTURAL: &[&str] = &[
    "blueprint::unknown-key",
    "blueprint::wrong-type",
    "blueprint::missing-key",
    "blueprint::unsupported-version",
    "blueprint::unknown-purpose",
    "blueprint::feature-set",
    "blueprint::object-lock-mode",
];

/// Structural corpus files the schema accepts, and why.
const EXCLUDED: &[(&str, &str)] = &[(
    "49-custom-document-shape.yaml",
    "a guardrail's `document` is open in the schema: its shape depends on the policy type (an SCP's \
     Version/Statement, a tag policy's `tags`, an opt-out policy's `services`)",
)];

#[test]
fn structurally_invalid_corpus_files_are_rejected_by_the_schema() {
    let v = validator();
    let mut checked = 0;
    let mut accepted = Vec::new();
    for path in blueprints("crates/blueprint/tests/invalid") {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let Err(diags) = groundwork_blueprint::parse(&name, &bytes) else { panic!("{name} was accepted") };
        if !diags.items.iter().any(|d| STRUCTURAL.contains(&d.code)) {
            continue;
        }
        if EXCLUDED.iter().any(|(n, _)| *n == name) {
            continue;
        }
        checked += 1;
        let Ok(src) = std::str::from_utf8(&bytes) else { continue };
        let Ok(doc) = yaml::parse(src) else { continue };
        let json = doc.map_or(serde_json::Value::Null, |n| n.to_json());
        if v.is_valid(&json) {
            accepted.push(name);
        }
    }
    assert!(checked >= 20, "{checked}");
    assert!(accepted.is_empty(), "the schema accepts structurally invalid corpus files: {accepted:?}");
}
