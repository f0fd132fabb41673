//! Programmatic access end to end: `programmatic: true` users get exactly one access key whose
//! secret goes only to `--credentials-file` (never to stdout or stderr at -vvv, the journal or a
//! plan); `keys rotate` issues, deactivates and deletes through the grace periods, never holding
//! three keys, and resumes a run interrupted between steps; `audit` knows the lifecycle; an
//! out-of-band key is drift that only `apply --enforce` deactivates.
//!
//! moto stamps keys with the real time, so `--as-of` dates are now plus the days a step needs.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use groundwork_testkit::{Fault, FaultProxy, FaultRule, ProxyConfig};
use rand::{Rng as _, SeedableRng as _};

use crate::common::{Env, Run, read_org};

const BLUEPRINT: &str = "version: 1
organization:
  name: acme
  home_region: us-east-1
  management_account: { email: master@example.com }
organizational_units:
  - name: Security
  - name: Workloads
accounts:
  - { name: identity, email: aws+identity@acme.example, ou: Security, purpose: identity }
  - { name: jira-prod, email: aws+jira-prod@acme.example, ou: Workloads }
identity:
  account: identity
  groups:
    - name: deployers
      programmatic: true
      grants:
        - role: deployer
    - name: readers
      grants:
        - role: deployer
  users:
    - { name: ci, groups: [deployers] }
    - { name: bob, groups: [readers], programmatic: true }
    - { name: alice, groups: [readers], console: true }
roles:
  - name: deployer
    select: { accounts: [jira-prod] }
    managed_policies: [arn:aws:iam::aws:policy/ReadOnlyAccess]
baseline: { enabled: false }
";

fn blueprint(env: &Env) -> PathBuf {
    let path = env.path("keys.yaml");
    std::fs::write(&path, BLUEPRINT).unwrap();
    path
}

fn creds(env: &Env) -> PathBuf {
    env.path("credentials")
}

/// `apply` with the credentials file (and the given extra arguments) against `endpoint`.
fn apply_at(env: &Env, endpoint: &str, extra: &[&str]) -> Run {
    let bp = blueprint(env);
    let file = creds(env);
    let mut args = vec![
        "apply",
        bp.to_str().unwrap(),
        "--auto-approve",
        "--json",
        "--stats",
        "--no-rate-limit",
        "--credentials-file",
    ];
    args.push(file.to_str().unwrap());
    args.extend_from_slice(extra);
    Run::from_output(&env.command(endpoint, &args).output().unwrap())
}

fn apply(env: &Env, extra: &[&str]) -> Run {
    apply_at(env, &env.moto.endpoint(), extra)
}

/// An RFC 3339 time `days` from now.
fn days_from_now(days: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::days(days);
    t.format(&time::format_description::well_known::Rfc3339).unwrap()
}

fn rotate_at(env: &Env, endpoint: &str, days: i64, extra: &[&str]) -> std::process::Command {
    let bp = blueprint(env);
    let (file, as_of) = (creds(env), days_from_now(days));
    let mut args = vec![
        "keys",
        "rotate",
        bp.to_str().unwrap(),
        "--no-rate-limit",
        "--json",
        "--stats",
        "--credentials-file",
        file.to_str().unwrap(),
        "--as-of",
        &as_of,
    ];
    args.extend_from_slice(extra);
    env.command(endpoint, &args)
}

fn rotate(env: &Env, days: i64, extra: &[&str]) -> Run {
    Run::from_output(&rotate_at(env, &env.moto.endpoint(), days, extra).output().unwrap())
}

/// The step `keys rotate` reported for `user`.
fn step(run: &Run, user: &str) -> String {
    let doc = run.json();
    let u = doc["users"].as_array().unwrap().iter().find(|u| u["user"] == user).unwrap().clone();
    u["step"].as_str().unwrap().to_owned()
}

async fn hub(env: &Env) -> aws_sdk_iam::Client {
    let (_, accounts) = read_org(&env.org()).await;
    let id = accounts.into_values().find(|a| a.name == "identity").unwrap().id;
    aws_sdk_iam::Client::new(&env.moto.member_config(&id, "us-east-1").await)
}

/// A user's keys: id → active.
async fn keys_of(iam: &aws_sdk_iam::Client, user: &str) -> BTreeMap<String, bool> {
    let out = iam.list_access_keys().user_name(user).send().await.unwrap();
    out.access_key_metadata()
        .iter()
        .map(|k| (k.access_key_id().unwrap().to_owned(), k.status() == Some(&aws_sdk_iam::types::StatusType::Active)))
        .collect()
}

/// The key ids groundwork recorded on the user.
async fn recorded(iam: &aws_sdk_iam::Client, user: &str) -> Vec<String> {
    let tags = iam.list_user_tags().user_name(user).send().await.unwrap();
    tags.tags()
        .iter()
        .find(|t| t.key() == "groundwork:access-keys")
        .map(|t| t.value().split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The credentials file's profile `user`: (key id, secret).
fn profile(file: &Path, user: &str) -> Option<(String, String)> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut lines = text.lines().skip_while(|l| *l != format!("[{user}]")).skip(1);
    let mut id = None;
    let mut secret = None;
    for l in lines.by_ref().take_while(|l| !l.starts_with('[')) {
        if let Some(v) = l.strip_prefix("aws_access_key_id = ") {
            id = Some(v.to_owned());
        }
        if let Some(v) = l.strip_prefix("aws_secret_access_key = ") {
            secret = Some(v.to_owned());
        }
    }
    Some((id?, secret?))
}

fn journal(env: &Env) -> String {
    std::fs::read_to_string(env.path(".groundwork/acme.journal.jsonl")).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_programmatic_user_gets_one_key_written_only_to_a_private_file_and_a_rerun_writes_nothing() {
    let env = Env::new();
    let bp = blueprint(&env);
    let file = creds(&env);

    // Without --credentials-file, nothing is written.
    let args = ["apply", bp.to_str().unwrap(), "--auto-approve", "--json", "--stats", "--no-rate-limit"];
    let refused = env.gw(&args);
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("--credentials-file"), "{}", refused.stderr);
    assert!(refused.stderr.contains("iam-access-key/identity/ci"), "{}", refused.stderr);
    assert_eq!(refused.writes(), 0);
    // A credentials file its group may read is refused before anything is read or written.
    std::fs::write(&file, "").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let open = apply(&env, &[]);
    assert_eq!(open.code, 1);
    assert!(open.stderr.contains("mode 640") && open.stderr.contains("chmod 600"), "{}", open.stderr);
    assert_eq!(open.writes(), 0);
    std::fs::remove_file(&file).unwrap();

    // At -vvv: everything logged, no secret.
    let applied = apply(&env, &["-vvv"]).ok();
    let iam = hub(&env).await;
    let plan = env.plan_json(&bp).ok();
    let saved = env.path("saved.json");
    env.gw(&["plan", bp.to_str().unwrap(), "--no-rate-limit", "--out", saved.to_str().unwrap()]).ok();
    let saved = std::fs::read_to_string(&saved).unwrap();
    for user in ["ci", "bob"] {
        let keys = keys_of(&iam, user).await;
        assert_eq!(keys.len(), 1, "{user}: {keys:?}");
        assert!(keys.values().all(|active| *active));
        let (id, secret) = profile(&file, user).unwrap_or_else(|| panic!("no profile {user}"));
        assert!(keys.contains_key(&id), "{user}: the file's key is the user's");
        assert_eq!(recorded(&iam, user).await, std::slice::from_ref(&id));
        assert!(secret.len() >= 20);
        // The secret is nowhere but in the file.
        for (what, text) in [
            ("stdout", &applied.stdout),
            ("stderr", &applied.stderr),
            ("journal", &journal(&env)),
            ("plan", &plan.stdout),
            ("saved plan", &saved),
        ] {
            assert!(!text.contains(&secret), "{user}'s secret access key appears in {what}");
        }
    }
    assert!(applied.stderr.len() > 10_000, "-vvv logs a lot");
    assert!(keys_of(&iam, "alice").await.is_empty(), "alice is not programmatic");
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    // The AWS CLI profiles beside it: the role, assumed with MFA as the user.
    let config = std::fs::read_to_string(env.path("credentials.config")).unwrap();
    assert!(config.contains("[profile jira-prod-deployer]\nsource_profile = ci\nrole_arn = arn:aws:iam::"), "{config}");
    assert!(config.contains(":role/groundwork/deployer\nmfa_serial = arn:aws:iam::"), "{config}");
    assert!(config.contains(":mfa/ci\nrole_session_name = ci\n"), "{config}");

    // A rerun: no write, the file unchanged, nothing planned.
    let before = std::fs::read(&file).unwrap();
    let rerun = apply(&env, &[]).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);
    assert_eq!(std::fs::read(&file).unwrap(), before);
    assert_eq!(env.plan_json(&bp).ok().json()["changes"].as_array().unwrap().len(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn rotation_issues_then_deactivates_then_deletes_never_holding_three_keys_and_audit_follows() {
    let env = Env::new();
    apply(&env, &[]).ok();
    let iam = hub(&env).await;
    let file = creds(&env);
    let first = keys_of(&iam, "ci").await.into_keys().next().unwrap();
    let bp = blueprint(&env);
    let audit = |days: i64, html: &str| {
        let report = env.path(html);
        let as_of = days_from_now(days);
        let args = ["audit", bp.to_str().unwrap(), "--json", "--no-rate-limit", "--as-of", &as_of, "--report"];
        let mut args = args.to_vec();
        args.push(report.to_str().unwrap());
        let run = env.gw(&args);
        (run.json(), std::fs::read_to_string(report).unwrap())
    };
    let ci_findings = |doc: &serde_json::Value, rule: &str| -> Vec<String> {
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["user"] == "ci" && f["rule"] == rule)
            .map(|f| f["detail"].as_str().unwrap().to_owned())
            .collect()
    };

    // Before: a young key is current; at 100 days it is a finding naming `keys rotate`.
    assert!(matches!(step(&rotate(&env, 10, &[]).ok(), "ci").as_str(), "current"));
    let (doc, _) = audit(100, "before.html");
    let old = ci_findings(&doc, "key-too-old");
    assert_eq!(old.len(), 1, "{doc}");
    assert!(old[0].contains("groundwork keys rotate"), "{}", old[0]);

    // Only one user with --user.
    let one = rotate(&env, 100, &["--user", "bob"]).ok();
    assert_eq!(one.json()["users"].as_array().unwrap().len(), 1);
    assert_eq!(step(&one, "bob"), "issue");

    // Day 100: the new key, in the file; the old one still active.
    let issued = rotate(&env, 100, &["--user", "ci"]).ok();
    assert_eq!(step(&issued, "ci"), "issue");
    let keys = keys_of(&iam, "ci").await;
    assert_eq!(keys.len(), 2);
    assert!(keys.values().all(|a| *a));
    let (new, secret) = profile(&file, "ci").unwrap();
    assert_ne!(new, first);
    assert!(keys.contains_key(&new));
    assert_eq!(recorded(&iam, "ci").await, [first.clone(), new.clone()]);
    assert!(!issued.stdout.contains(&secret) && !issued.stderr.contains(&secret) && !journal(&env).contains(&secret));

    // During the grace period: rotating, not a finding; the HTML report says so.
    let waiting = rotate(&env, 3, &["--user", "ci"]).ok();
    assert_eq!(step(&waiting, "ci"), "wait");
    assert_eq!(waiting.writes(), 0);
    let (doc, html) = audit(3, "during.html");
    assert!(ci_findings(&doc, "key-too-old").is_empty() && ci_findings(&doc, "key-unused").is_empty(), "{doc}");
    let rotation = doc["rotation"].as_array().unwrap();
    assert!(rotation.iter().any(|r| r["access_key_id"] == first.as_str() && r["status"] == "rotating out"), "{doc}");
    assert!(html.contains("<h2>Access key rotation</h2>") && html.contains("rotating out"), "{html}");

    // After the grace period: the old key is deactivated, then deleted after the second one.
    assert_eq!(step(&rotate(&env, 8, &["--user", "ci"]).ok(), "ci"), "deactivate");
    assert_eq!(keys_of(&iam, "ci").await, BTreeMap::from([(first.clone(), false), (new.clone(), true)]));
    assert_eq!(step(&rotate(&env, 10, &["--user", "ci"]).ok(), "ci"), "wait");
    assert_eq!(step(&rotate(&env, 15, &["--user", "ci"]).ok(), "ci"), "delete");
    assert_eq!(keys_of(&iam, "ci").await, BTreeMap::from([(new.clone(), true)]));
    assert_eq!(recorded(&iam, "ci").await, std::slice::from_ref(&new));
    // Done: the new key is current; a rerun writes nothing; apply plans nothing.
    let done = rotate(&env, 15, &["--user", "ci"]).ok();
    assert_eq!((step(&done, "ci").as_str(), done.writes()), ("current", 0));
    let (doc, html) = audit(15, "after.html");
    assert!(ci_findings(&doc, "key-too-old").is_empty(), "{doc}");
    assert!(html.contains("current"), "{html}");
    assert_eq!(env.plan_json(&bp).ok().json()["changes"].as_array().unwrap().len(), 0);
    // The journal has every step, without a secret.
    let journal = journal(&env);
    for op in ["iam:CreateAccessKey", "iam:UpdateAccessKey", "iam:DeleteAccessKey"] {
        assert!(journal.contains(op), "{op} not journalled");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rotation_interrupted_between_steps_resumes_without_a_third_key() {
    let env = Env::new();
    apply(&env, &[]).ok();
    let iam = hub(&env).await;
    let file = creds(&env);
    let first = keys_of(&iam, "ci").await.into_keys().next().unwrap();

    // The answer to CreateAccessKey is lost: the key exists, nobody has its secret.
    let lost = FaultProxy::start(
        env.moto.port(),
        ProxyConfig {
            rules: vec![FaultRule {
                service: Some("iam".into()),
                operation: Some("CreateAccessKey".into()),
                probability: 1.0,
                faults: vec![Fault::DropAnswer],
            }],
            ..ProxyConfig::default()
        },
    );
    let failed = Run::from_output(&rotate_at(&env, &lost.endpoint(), 100, &["--user", "ci"]).output().unwrap());
    assert_eq!(failed.code, 1, "{}", failed.stderr);
    let orphan: Vec<String> = keys_of(&iam, "ci").await.into_keys().filter(|k| *k != first).collect();
    assert_eq!(orphan.len(), 1, "the lost key exists");
    // The rerun deletes the key nobody holds, then issues one: two keys, never three.
    let resumed = rotate(&env, 100, &["--user", "ci"]).ok();
    assert_eq!(step(&resumed, "ci"), "issue");
    let keys = keys_of(&iam, "ci").await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(!keys.contains_key(&orphan[0]));
    let (new, _) = profile(&file, "ci").unwrap();
    assert!(keys.contains_key(&new) && keys.contains_key(&first));

    // Killed after the new key was saved to the file but before it was recorded: the next run
    // records it (the file proves the secret was handed over) instead of deleting it.
    let saved = iam.create_access_key().user_name("bob").send().await.unwrap();
    let saved = saved.access_key().unwrap().access_key_id().to_owned();
    let since = (time::OffsetDateTime::now_utc().unix_timestamp() - 60).to_string();
    let mark = aws_sdk_iam::types::Tag::builder().key("groundwork:access-key-pending").value(since).build().unwrap();
    iam.tag_user().user_name("bob").tags(mark).send().await.unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let (bobs, _) = profile(&file, "bob").unwrap();
    std::fs::write(&file, text.replace(&bobs, &saved)).unwrap();
    let adopted = rotate(&env, 1, &["--user", "bob"]).ok();
    assert!(adopted.stdout.contains(&format!("recorded access key {saved}")), "{}", adopted.stdout);
    assert_eq!(keys_of(&iam, "bob").await.len(), 2);
    assert_eq!(recorded(&iam, "bob").await, [bobs, saved]);
    let tags = iam.list_user_tags().user_name("bob").send().await.unwrap();
    assert!(tags.tags().iter().all(|t| t.key() != "groundwork:access-key-pending"));

    // Killed at random points of later steps (latency spreads the calls out).
    let slow = FaultProxy::start(
        env.moto.port(),
        ProxyConfig { latency: Duration::from_millis(40), ..ProxyConfig::default() },
    );
    for seed in 0..6u64 {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let days = [8, 15, 115][rng.random_range(0..3)];
        let mut child =
            rotate_at(&env, &slow.endpoint(), days, &[]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(rng.random_range(50..1200)));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        for user in ["ci", "bob"] {
            assert!(keys_of(&iam, user).await.len() <= 2, "seed {seed}: {user} has three keys");
        }
    }
    // Clean runs finish whatever was left: every user holds the active key of its profile.
    for days in [8, 115, 130, 145] {
        rotate(&env, days, &[]).ok();
    }
    for user in ["ci", "bob"] {
        let keys = keys_of(&iam, user).await;
        assert!(keys.len() <= 2);
        let (id, _) = profile(&file, user).unwrap();
        assert_eq!(keys.get(&id), Some(&true), "{user}: the file's key is active ({keys:?})");
        let recorded = recorded(&iam, user).await;
        assert!(keys.keys().all(|k| recorded.contains(k)), "{user}: every key is groundwork's");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_out_of_band_key_is_drift_that_only_apply_enforce_deactivates() {
    let env = Env::new();
    apply(&env, &[]).ok();
    let iam = hub(&env).await;
    let bp = blueprint(&env);
    let mine = keys_of(&iam, "ci").await.into_keys().next().unwrap();
    let extra = iam.create_access_key().user_name("ci").send().await.unwrap();
    let extra = extra.access_key().unwrap().access_key_id().to_owned();
    // bob loses the key groundwork created and gets one by hand.
    let bobs = keys_of(&iam, "bob").await.into_keys().next().unwrap();
    iam.delete_access_key().user_name("bob").access_key_id(&bobs).send().await.unwrap();
    let by_hand = iam.create_access_key().user_name("bob").send().await.unwrap();
    let by_hand = by_hand.access_key().unwrap().access_key_id().to_owned();

    let drift = env.gw(&["drift", bp.to_str().unwrap(), "--no-rate-limit"]);
    assert_eq!(drift.code, 2, "{}", drift.stdout);
    assert!(drift.stdout.contains("iam-access-key/identity/ci") && drift.stdout.contains(&extra), "{}", drift.stdout);
    assert!(drift.stdout.contains("apply --enforce"), "{}", drift.stdout);
    // The plan names bob (no key groundwork created) and the out-of-band keys.
    let plan = env.plan_json(&bp).ok();
    let doc = plan.json();
    let changes: Vec<&str> =
        doc["changes"].as_array().unwrap().iter().map(|c| c["address"].as_str().unwrap()).collect();
    assert_eq!(changes, ["iam-access-key/identity/bob"], "{doc}");
    let drift_lines = doc["drift"].to_string();
    assert!(drift_lines.contains(&extra) && drift_lines.contains(&by_hand), "{doc}");

    // Without --enforce: bob gets a key; the out-of-band keys stay active.
    apply(&env, &[]).ok();
    assert_eq!(keys_of(&iam, "ci").await, BTreeMap::from([(mine.clone(), true), (extra.clone(), true)]));
    let bob = keys_of(&iam, "bob").await;
    assert_eq!(bob.len(), 2);
    assert!(bob.values().all(|a| *a));
    // With it: deactivated, never deleted; then nothing is left to plan.
    let enforced = apply(&env, &["--enforce"]).ok();
    assert!(enforced.writes() >= 2, "{}", enforced.stderr);
    assert_eq!(keys_of(&iam, "ci").await, BTreeMap::from([(mine, true), (extra, false)]));
    assert_eq!(keys_of(&iam, "bob").await.get(&by_hand), Some(&false));
    let clean = env.plan_json(&bp).ok().json();
    assert_eq!(clean["changes"].as_array().unwrap().len(), 0, "{clean}");
    assert_eq!(env.gw(&["drift", bp.to_str().unwrap(), "--no-rate-limit"]).code, 0);
    // The deactivated key still takes IAM's second slot: rotation is blocked, says why, exits 1
    // and writes nothing, never a third key.
    let blocked = rotate(&env, 100, &["--user", "ci"]);
    assert_eq!(blocked.code, 1, "{}", blocked.stderr);
    assert_eq!(step(&blocked, "ci"), "blocked");
    assert!(blocked.stdout.contains("two access keys"), "{}", blocked.stdout);
    assert_eq!(blocked.writes(), 0);
    assert_eq!(keys_of(&iam, "ci").await.len(), 2);
}
