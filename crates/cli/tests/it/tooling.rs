//! `init`, `schema`, `completions` and `man`: offline commands (no AWS call, no credentials).

use crate::common::bare;

fn run(home: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = bare(home).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn init_writes_a_starter_that_validates_and_never_overwrites_without_force() {
    let home = tempfile::tempdir().unwrap();
    let (code, _, err) = run(home.path(), &["init"]);
    assert_eq!(code, 0, "{err}");
    let file = home.path().join("blueprint.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("# yaml-language-server: $schema=blueprint.schema.json\n"), "{text}");
    assert!(err.contains("groundwork schema >"), "{err}");
    let (code, out, err) = run(home.path(), &["validate", "blueprint.yaml"]);
    assert_eq!(code, 0, "{out}{err}");
    // Its commented-out `alerts` section validates once uncommented (docs/alerts.md).
    let (head, alerts) = text.split_once("# alerts:\n").expect("the commented alerts section");
    let alerts = alerts.lines().map(|l| l.strip_prefix("# ").unwrap_or(l)).collect::<Vec<_>>().join("\n");
    std::fs::write(home.path().join("alerts.yaml"), format!("{head}alerts:\n{alerts}")).unwrap();
    let (code, out, err) = run(home.path(), &["validate", "alerts.yaml"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(alerts.contains("token_env: GROUNDWORK_SLACK_TOKEN"), "{alerts}");

    // A second init refuses, and leaves the file as it was; --force overwrites.
    std::fs::write(&file, "mine\n").unwrap();
    let (code, _, err) = run(home.path(), &["init"]);
    assert_eq!(code, 1);
    assert!(err.contains("blueprint.yaml exists; pass --force to overwrite it"), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "mine\n");
    let (code, _, err) = run(home.path(), &["init", "--out", "org.yaml"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(home.path(), &["init", "--force"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), std::fs::read_to_string(home.path().join("org.yaml")).unwrap());
}

#[test]
fn schema_prints_the_committed_schema() {
    let home = tempfile::tempdir().unwrap();
    let (code, out, err) = run(home.path(), &["schema"]);
    assert_eq!(code, 0, "{err}");
    let committed = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schema/blueprint.schema.json");
    assert_eq!(out, std::fs::read_to_string(committed).unwrap());
    let schema: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
}

#[test]
fn completions_are_generated_for_three_shells_and_name_the_subcommands() {
    let home = tempfile::tempdir().unwrap();
    for (shell, marker) in
        [("bash", "complete -F _groundwork"), ("zsh", "#compdef groundwork"), ("fish", "complete -c groundwork")]
    {
        let (code, out, err) = run(home.path(), &["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains(marker), "{shell}:\n{out}");
        for sub in ["validate", "plan", "apply", "drift", "import", "init", "schema", "completions", "man"] {
            assert!(out.contains(sub), "{shell}: no `{sub}`");
        }
    }
    let (code, _, err) = run(home.path(), &["completions", "powershell"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn the_man_page_renders_with_every_subcommand() {
    let home = tempfile::tempdir().unwrap();
    let (code, out, err) = run(home.path(), &["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(".TH groundwork 1"), "{out}");
    assert!(out.contains(".SH NAME"), "{out}");
    for sub in ["VALIDATE", "PLAN", "APPLY", "IMPORT", "INIT", "SCHEMA", "COMPLETIONS"] {
        assert!(out.contains(&format!(".SH \"GROUNDWORK {sub}\"")), "no {sub}");
    }
    assert!(out.contains("\\-\\-detailed\\-exitcode"), "plan's flags are documented");
}

/// `init --from-import` is `import` (same code path and flags): the organization's blueprint with
/// the schema line on top, valid, planning nothing; an existing file is refused.
#[tokio::test(flavor = "multi_thread")]
async fn init_from_import_writes_the_imported_blueprint() {
    let env = crate::common::Env::new();
    let minimal = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/minimal.yaml");
    env.apply(&minimal).ok();
    let out = env.path("org.yaml");
    let out_s = out.to_str().unwrap();
    let args = ["init", "--from-import", "--out", out_s, "--home-region", "eu-west-1", "--no-rate-limit"];
    let imported = env.gw(&[&args[..], &["--json", "--stats"]].concat()).ok();
    assert_eq!(imported.writes(), 0, "read-only: {}", imported.stderr);
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.starts_with("# yaml-language-server: $schema=blueprint.schema.json\n# Generated by `groundwork import`"),
        "{text}"
    );
    env.gw(&["validate", out_s]).ok();
    let again = env.gw(&args);
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert!(again.stderr.contains("exists; pass --force to overwrite it"), "{}", again.stderr);

    // Import's flags without --from-import are refused rather than ignored.
    let home = tempfile::tempdir().unwrap();
    let (code, _, err) = run(home.path(), &["init", "--hub", "identity"]);
    assert_eq!(code, 1);
    assert!(err.contains("pass --from-import too"), "{err}");
    assert!(!home.path().join("blueprint.yaml").exists());
}
