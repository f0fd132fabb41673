//! Reliability: the apply lock, the journal, faults injected between the SDK and moto, kill -9
//! at random points, secrets at -vvv. Randomised tests are seeded; `GROUNDWORK_SOAK=1`
//! (scripts/soak) runs more seeds with more faults.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use groundwork_aws::{Aws, ConnectOptions, LeaseTerms};
use groundwork_testkit::{FaultProxy, FaultRule, ProxyConfig};
use rand::{Rng, SeedableRng};

use crate::common::{Env, Run, Seen, bare, read_org, reference, spawn_slow_apply};

/// `apply` of the reference blueprint through `endpoint`, breaking a lock a killed run left.
fn apply_breaking_lock(env: &Env, endpoint: &str) -> std::process::Command {
    env.command(
        endpoint,
        &["apply", reference().to_str().unwrap(), "--auto-approve", "--no-rate-limit", "--break-lock"],
    )
}

fn soak() -> bool {
    std::env::var_os("GROUNDWORK_SOAK").is_some_and(|v| v == "1")
}

/// The organization without AWS ids: OU paths with tags, accounts by email with name, OU, tags.
type State = (BTreeMap<String, BTreeMap<String, String>>, BTreeMap<String, (String, String, BTreeMap<String, String>)>);

async fn state(env: &Env) -> State {
    let (ous, accounts) = read_org(&env.org()).await;
    let accounts = accounts.into_iter().map(|(email, Seen { name, ou, tags, .. })| (email, (name, ou, tags))).collect();
    (ous, accounts)
}

/// The state a fault-free apply of the reference blueprint produces (computed once per test).
async fn reference_state() -> State {
    let env = Env::reference();
    env.apply(&reference()).ok();
    state(&env).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_held_lock_stops_a_second_apply_until_broken() {
    let env = Env::reference();
    let aws = Aws::from_config(&env.moto.sdk_config(), &ConnectOptions::default());
    let held = aws.acquire_lock("run-of-someone-else", false, LeaseTerms::default()).await.unwrap().lock;

    let refused = env.apply(&reference());
    assert_eq!(refused.code, 1);
    assert!(refused.stderr.contains("holds the lock"), "{}", refused.stderr);
    assert!(
        refused.stderr.contains(&held.info.holder) && refused.stderr.contains(&held.info.since),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("--break-lock"), "{}", refused.stderr);
    let writes = refused.stats()["write_calls"].clone();
    let writes = writes.as_object().unwrap_or_else(|| panic!("{}", refused.stderr));
    assert!(writes.keys().all(|k| k.starts_with("s3:")), "only the lock attempt wrote: {writes:?}");

    let broke =
        env.gw(&["apply", reference().to_str().unwrap(), "--auto-approve", "--break-lock", "--no-rate-limit"]).ok();
    // 62 (the archive key included), the account baseline's 55, the AI opt-out's 3, the
    // sandbox's 3, root access's 2 and the alerts' 60 (organization.rs).
    assert!(broke.stdout.contains("Plan: 185 to add"), "{}", broke.stdout);
    assert_eq!(aws.lock_holder(&held.bucket, &held.owner).await.unwrap(), None, "the lock is released after the run");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_concurrent_applies_one_refuses_naming_the_holder() {
    let env = Env::reference();
    // The first run goes through a proxy adding latency, so it holds the lock for seconds.
    let (_slow, first) = spawn_slow_apply(&env, 150, &[]);
    let aws = Aws::from_config(&env.moto.sdk_config(), &ConnectOptions::default());
    let bucket = aws.state_bucket().await.unwrap();
    let deadline = Instant::now() + Duration::from_mins(1);
    while aws.lock_holder(&bucket, "123456789012").await.unwrap().is_none() {
        assert!(Instant::now() < deadline, "the first apply never took the lock");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let second = env.apply(&reference());
    assert_eq!(second.code, 1, "{}", second.stderr);
    assert!(second.stderr.contains("holds the lock") && second.stderr.contains("since"), "{}", second.stderr);
    let out = first.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (_, accounts) = read_org(&env.org()).await; // panics on a duplicate email
    assert_eq!(accounts.len(), 10);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_journal_records_every_write_and_the_next_run_reports_an_interruption() {
    let env = Env::reference();
    let journal = env.path("journal.jsonl");
    let j = journal.to_str().unwrap();
    env.gw(&["apply", reference().to_str().unwrap(), "--auto-approve", "--no-rate-limit", "--journal", j]).ok();
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&journal).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let creates: Vec<&serde_json::Value> =
        lines.iter().filter(|l| l["operation"] == "organizations:CreateAccount" && l["event"] == "after").collect();
    assert_eq!(creates.len(), 9);
    assert!(creates.iter().all(|l| l["outcome"] == "ok" && l["request_id"].is_string()), "{creates:?}");
    assert!(lines.iter().any(|l| l["event"] == "before" && l["address"] == "account/jira-prod"));
    assert_eq!(lines.last().unwrap()["event"], "run-end");

    // A run that dies with a CreateAccount in flight leaves a `before` without an `after`.
    let mut text = std::fs::read_to_string(&journal).unwrap();
    text.push_str("{\"time\":\"2026-11-29T00:00:00Z\",\"run\":\"r-dead\",\"event\":\"run-start\"}\n");
    text.push_str("{\"time\":\"2026-11-29T00:00:01Z\",\"run\":\"r-dead\",\"event\":\"before\",\"address\":\"account/jira-prod\",\"operation\":\"organizations:CreateAccount\"}\n");
    std::fs::write(&journal, text).unwrap();
    let next =
        env.gw(&["apply", reference().to_str().unwrap(), "--auto-approve", "--no-rate-limit", "--journal", j]).ok();
    assert!(
        next.stderr.contains("was interrupted while organizations:CreateAccount was in flight for account/jira-prod"),
        "{}",
        next.stderr
    );
}

/// Applies through a proxy faulting `rate` of requests until apply succeeds (at most `tries`).
fn apply_until_converged(env: &Env, proxy: &FaultProxy, tries: usize) -> usize {
    for attempt in 1..=tries {
        let out = apply_breaking_lock(env, &proxy.endpoint()).output().unwrap();
        if out.status.success() {
            return attempt;
        }
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("error:"), "a failed apply explains itself:\n{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    panic!("apply did not converge in {tries} runs");
}

#[tokio::test(flavor = "multi_thread")]
async fn under_twenty_percent_faults_apply_converges_to_the_fault_free_state() {
    let expected = reference_state().await;
    let seeds: Vec<u64> = if soak() { (1..=8).collect() } else { vec![7, 42] };
    let rate = if soak() { 0.35 } else { 0.2 };
    for seed in seeds {
        let env = Env::reference();
        let proxy = FaultProxy::start(
            env.port(),
            ProxyConfig { seed, rules: vec![FaultRule::everything(rate)], ..ProxyConfig::default() },
        );
        let runs = apply_until_converged(&env, &proxy, 15);
        assert!(proxy.stats().total_faults() > 0, "seed {seed}: no fault was injected");
        assert_eq!(state(&env).await, expected, "seed {seed}: converged to a different state after {runs} runs");
        // Fault-free, the plan is now empty.
        let plan = env.plan_json(&reference()).ok();
        assert_eq!(plan.json()["changes"].as_array().unwrap().len(), 0, "seed {seed}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_at_random_points_then_one_clean_apply_converges() {
    let expected = reference_state().await;
    let env = Env::reference();
    // Latency makes a run last a few seconds, so the kills land at different points.
    let proxy =
        FaultProxy::start(env.port(), ProxyConfig { latency: Duration::from_millis(20), ..ProxyConfig::default() });
    let seeds = if soak() { 40 } else { 10 };
    for seed in 0..seeds {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let delay = Duration::from_millis(rng.random_range(100..2500));
        let mut child =
            apply_breaking_lock(&env, &proxy.endpoint()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        // No duplicate at any point (read_org panics on one), once the organization exists (an
        // early kill may land before CreateOrganization).
        if env.org().describe_organization().send().await.is_ok() {
            let _ = read_org(&env.org()).await;
        }
    }
    // The last kill may have left the lock; a clean apply breaks it and finishes the job.
    Run::from_output(&apply_breaking_lock(&env, &env.endpoint()).output().unwrap()).ok();
    assert_eq!(state(&env).await, expected);
    let plan = env.plan_json(&reference()).ok();
    assert_eq!(plan.json()["changes"].as_array().unwrap().len(), 0);
}

#[test]
fn secrets_never_appear_at_maximum_verbosity() {
    let env = Env::reference();
    let secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYSECRETKEY";
    let token = "FQoGZXIvYXdzESSIONTOKENVALUE0123456789";
    // The reference's Slack channel reads its bot token from the environment.
    let slack = "xoxb-20261207-REFERENCESLACKBOTTOKEN";
    let out = bare(env.home.path())
        .env(crate::common::SLACK_TOKEN_ENV, slack)
        .env("AWS_ACCESS_KEY_ID", "AKIAGROUNDWORKTEST01")
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_SESSION_TOKEN", token)
        .env("GROUNDWORK_PASSWORD_FILE", env.path("passwords.tsv"))
        .args(["-vvv", "apply", reference().to_str().unwrap(), "--auto-approve", "--no-rate-limit"])
        .args(["--region", "us-east-1", "--endpoint-url", &env.endpoint()])
        .output()
        .unwrap();
    let all = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{all}");
    assert!(all.len() > 10_000, "-vvv logs a lot ({} bytes)", all.len());
    assert!(!all.contains(secret), "the secret access key was printed");
    assert!(!all.contains(token), "the session token was printed");
    assert!(!all.contains(slack), "the Slack bot token was printed");
    // Nor the console password groundwork generated.
    let passwords = std::fs::read_to_string(env.path("passwords.tsv")).unwrap();
    let password = passwords.lines().next().unwrap().split('\t').nth(2).unwrap();
    assert!(password.len() >= 32 && !all.contains(password), "the generated password was printed");
    // Also nothing in the journal.
    let journal = std::fs::read_to_string(env.home.path().join(".groundwork/acme.journal.jsonl")).unwrap();
    assert!(!journal.contains(secret) && !journal.contains(token) && !journal.contains(password));
    assert!(!journal.contains(slack), "the Slack bot token is in the journal");
}

#[test]
fn hostile_blueprints_are_rejected_quickly_without_any_aws_call() {
    let home = tempfile::tempdir().unwrap();
    let dir = home.path();
    let mut cases: Vec<(&str, Vec<u8>, &[&str])> = vec![
        ("laughs.yaml", billion_laughs().into_bytes(), &["aliases"]),
        (
            "deep.yaml",
            format!("version: 1\nx: {}{}\n", "[".repeat(10_000), "]".repeat(10_000)).into_bytes(),
            &["nested more than", "recursion limit exceeded"],
        ),
        ("binary.yaml", vec![0xff, 0xfe, 0x00, 0x01, b'\n'], &["not valid UTF-8"]),
    ];
    // 100 MB of valid-looking YAML: refused on size after reading 8 MiB + 1 byte.
    let mut huge = b"version: 1\nfiller:\n".to_vec();
    huge.resize(100 * 1024 * 1024, b'#');
    cases.push(("huge.yaml", huge, &["more than the"]));
    for (name, bytes, expect) in cases {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap();
        let started = Instant::now();
        let out = bare(dir)
            .args([
                "plan",
                path.to_str().unwrap(),
                "--stats",
                "--json",
                "--region",
                "us-east-1",
                "--endpoint-url",
                "http://127.0.0.1:9",
            ])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        let head: String = err.chars().take(400).collect();
        assert_eq!(out.status.code(), Some(1), "{name}: {head}");
        assert!(expect.iter().any(|e| err.contains(e)), "{name}: {head}");
        let stats: serde_json::Value =
            serde_json::from_str(err.lines().find(|l| l.starts_with("{\"api_calls\"")).unwrap()).unwrap();
        assert_eq!((stats["reads"].as_u64(), stats["writes"].as_u64()), (Some(0), Some(0)), "{name}");
        // Generous bound against a hang, not a performance claim (see benches for speed).
        assert!(started.elapsed() < Duration::from_secs(30), "{name} took {:?}", started.elapsed());
    }
    assert!(Path::new(&dir.join("huge.yaml")).exists());
}

fn billion_laughs() -> String {
    let mut s =
        String::from("version: 1\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for (prev, cur) in ["a", "b", "c", "d", "e", "f", "g", "h"].iter().zip(["b", "c", "d", "e", "f", "g", "h", "i"]) {
        let _ = writeln!(s, "{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]");
    }
    s
}

#[tokio::test(flavor = "multi_thread")]
async fn the_state_bucket_is_hardened_and_a_second_lock_costs_no_bucket_write() {
    let env = Env::new();
    let aws = Aws::from_config(&env.moto.sdk_config(), &ConnectOptions::default());
    let lock = aws.acquire_lock("run-one", false, LeaseTerms::default()).await.unwrap().lock;
    aws.release_lock(&lock).await.unwrap();
    let s3 = env.moto.s3();
    let b = lock.bucket.as_str();
    let v = s3.get_bucket_versioning().bucket(b).send().await.unwrap();
    assert_eq!(v.status().map(aws_sdk_s3::types::BucketVersioningStatus::as_str), Some("Enabled"));
    let pab = s3.get_public_access_block().bucket(b).send().await.unwrap();
    let c = pab.public_access_block_configuration().unwrap();
    assert_eq!(
        (c.block_public_acls(), c.ignore_public_acls(), c.block_public_policy(), c.restrict_public_buckets()),
        (Some(true), Some(true), Some(true), Some(true))
    );
    let enc = s3.get_bucket_encryption().bucket(b).send().await.unwrap();
    let alg = enc.server_side_encryption_configuration().unwrap().rules()[0]
        .apply_server_side_encryption_by_default()
        .unwrap()
        .sse_algorithm()
        .as_str()
        .to_owned();
    assert_eq!(alg, "AES256");
    let own = s3.get_bucket_ownership_controls().bucket(b).send().await.unwrap();
    assert_eq!(own.ownership_controls().unwrap().rules()[0].object_ownership().as_str(), "BucketOwnerEnforced");
    let life = s3.get_bucket_lifecycle_configuration().bucket(b).send().await.unwrap();
    let rule = &life.rules()[0];
    assert_eq!(
        rule.noncurrent_version_expiration().and_then(aws_sdk_s3::types::NoncurrentVersionExpiration::noncurrent_days),
        Some(30)
    );
    assert_eq!(
        rule.abort_incomplete_multipart_upload()
            .and_then(aws_sdk_s3::types::AbortIncompleteMultipartUpload::days_after_initiation),
        Some(7)
    );
    // A second take of the lock reads every setting and writes only the lock object.
    aws.counter().reset();
    let again = aws.acquire_lock("run-two", false, LeaseTerms::default()).await.unwrap().lock;
    let writes = aws.counter().snapshot().write_operations();
    assert_eq!(writes, ["s3:PutObject"], "a hardened state bucket costs no write but the lock's");
    aws.release_lock(&again).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_state_bucket_owned_by_another_account_is_refused_and_not_written_to() {
    let env = Env::reference();
    let aws = Aws::from_config(&env.moto.sdk_config(), &ConnectOptions::default());
    let name = aws.state_bucket().await.unwrap();
    let other = env.moto.member_config("210987654321", "us-east-1").await;
    let other_s3 =
        aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&other).force_path_style(true).build());
    other_s3.create_bucket().bucket(&name).send().await.unwrap();
    let err = aws.acquire_lock("run-one", false, LeaseTerms::default()).await.unwrap_err().to_string();
    assert!(err.contains(&name) && err.contains("another account"), "{err}");
    let objects = other_s3.list_objects_v2().bucket(&name).send().await.unwrap();
    assert!(objects.contents().is_empty(), "nothing was written into the foreign bucket: {objects:?}");
    let refused = env.apply(&reference());
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains(&name), "{}", refused.stderr);
}
