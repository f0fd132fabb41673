//! The CI recipes of `docs/ci.md`, run against the emulator: every line of the page's code
//! blocks that starts with `groundwork ` is one of the commands expected here (so the page and
//! this test cannot drift apart), and each is run in one organization as the recipes run it.

use std::path::Path;

use crate::common::{Env, Run, read_org};

/// The commands of `docs/ci.md`, in the order the page shows them.
const EXPECTED: [&str; 6] = [
    "groundwork permissions landing-zone.yaml --out-dir policies",
    "groundwork validate landing-zone.yaml",
    "groundwork plan landing-zone.yaml --format markdown --detailed-exitcode > plan.md",
    "groundwork plan landing-zone.yaml --out plan.json",
    "groundwork apply plan.json --auto-approve",
    "groundwork drift landing-zone.yaml > drift.txt",
];

/// Every line of a fenced code block of `markdown` that starts with `groundwork ` (after
/// `run: ` in a workflow step).
fn commands(markdown: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in markdown.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            fenced = !fenced;
            continue;
        }
        let t = t.strip_prefix("run: ").unwrap_or(t);
        if fenced && t.starts_with("groundwork ") {
            out.push(t.to_owned());
        }
    }
    out
}

/// Runs one command of the page in the test's home (its working directory): `> FILE` writes
/// stdout to FILE, as the shell would. Test-only flags (the emulator's endpoint, no rate limit)
/// are added.
fn run(env: &Env, command: &str) -> Run {
    let (command, into) = match command.split_once(" > ") {
        Some((c, file)) => (c, Some(file)),
        None => (command, None),
    };
    let words: Vec<&str> = command.split_whitespace().skip(1).collect();
    let mut args = words.clone();
    if matches!(words[0], "plan" | "apply" | "drift") {
        args.push("--no-rate-limit");
    }
    let out = env.gw(&args);
    if let Some(file) = into {
        std::fs::write(env.path(file), &out.stdout).unwrap();
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ci_recipes_run_as_documented() {
    let page = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/ci.md")).unwrap();
    let found = commands(&page);
    assert_eq!(found, EXPECTED, "docs/ci.md and this test name different commands");
    let env = Env::new();
    let minimal = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/minimal.yaml");
    std::fs::copy(minimal, env.path("landing-zone.yaml")).unwrap();
    let [permissions, validate, pr_plan, save_plan, apply, drift] = EXPECTED;

    // 1. OIDC: the deployer's policy, ready to attach.
    run(&env, permissions).ok();
    let deployer: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(env.path("policies/deployer.json")).unwrap()).unwrap();
    assert_eq!(deployer["Version"], "2012-10-17", "{deployer:#}");

    // 2. A pull request: the plan as a comment (changes: exit 2, not an error).
    run(&env, validate).ok();
    let org = env.org();
    let planned = run(&env, pr_plan);
    assert_eq!(planned.code, 2, "{}", planned.stderr);
    let comment = std::fs::read_to_string(env.path("plan.md")).unwrap();
    assert!(comment.starts_with("### groundwork plan: `minimal`\n"), "{comment}");
    assert!(comment.contains("<details><summary>account app-prod: "), "{comment}");
    assert!(comment.len() <= 65_536);

    // 3. Merge: the saved plan is applied; a saved plan the organization moved away from is
    // refused.
    run(&env, save_plan).ok();
    let applied = run(&env, apply).ok();
    assert!(applied.stdout.contains("app-prod"), "{}", applied.stdout);
    run(&env, save_plan).ok();
    let (_, accounts) = read_org(&org).await;
    let app = &accounts["aws+app-prod@minimal.example"];
    let root = org.list_roots().send().await.unwrap().roots()[0].id().unwrap().to_owned();
    let parent = org.list_parents().child_id(&app.id).send().await.unwrap().parents()[0].id().unwrap().to_owned();
    org.move_account().account_id(&app.id).source_parent_id(parent).destination_parent_id(root).send().await.unwrap();
    let refused = run(&env, apply);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    assert!(refused.stderr.contains("changed since"), "{}", refused.stderr);

    // 4. The schedule: drift fails the job and names the account; after an apply it passes.
    let drifted = run(&env, drift);
    assert_eq!(drifted.code, 2, "{}", drifted.stderr);
    let report = std::fs::read_to_string(env.path("drift.txt")).unwrap();
    assert!(report.contains("account/app-prod"), "{report}");
    env.apply(&env.path("landing-zone.yaml")).ok();
    let clean = run(&env, drift);
    assert_eq!(clean.code, 0, "{}", clean.stderr);
}

#[test]
fn commands_are_read_from_fenced_blocks_only() {
    let page = "groundwork not-in-a-block\n```yaml\n        run: groundwork plan x.yaml\n  groundwork drift x.yaml > d.txt\n```\n";
    assert_eq!(commands(page), ["groundwork plan x.yaml", "groundwork drift x.yaml > d.txt"]);
}
