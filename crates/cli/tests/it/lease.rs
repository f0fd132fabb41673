//! The apply lock as a lease: a lease its holder stopped renewing (a killed run) is taken over
//! by the next apply on its own; one that is renewed is refused; and a run whose lease is taken
//! over stops at its next renewal, without another write.

use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use groundwork_aws::{Aws, ConnectOptions, LOCK_KEY, LeaseTerms};

use crate::common::{Env, reference, spawn_slow_apply};

const MANAGEMENT: &str = "123456789012";

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_lease_is_taken_over_without_break_lock_and_the_apply_completes() {
    let env = Env::reference();
    let aws = Aws::from_config(&env.moto.sdk_config(), &ConnectOptions::default());
    // A run killed with kill -9: it took a 6 s lease and never renewed it.
    let dead = aws
        .acquire_lock("run-killed-with-kill-9", false, LeaseTerms { expiry: Duration::from_secs(6) })
        .await
        .unwrap()
        .lock;
    tokio::time::sleep(Duration::from_secs(7)).await;

    let run = env.apply(&reference()).ok();
    assert!(
        run.stderr.contains("Took over the apply lock of")
            && run.stderr.contains(&dead.info.holder)
            && run.stderr.contains(&dead.info.since)
            && run.stderr.contains("run-killed-with-kill-9"),
        "the takeover names the old holder and its time:\n{}",
        run.stderr
    );
    assert_eq!(aws.lock_holder(&dead.bucket, &dead.owner).await.unwrap(), None, "no lock is left");
    let next = env.plan_json(&reference()).ok();
    assert_eq!(next.json()["changes"].as_array().unwrap().len(), 0, "{}", next.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lease_renewed_by_a_live_run_is_refused_with_when_it_would_expire() {
    let env = Env::reference();
    let aws = Aws::from_config(&env.moto.sdk_config(), &ConnectOptions::default());
    let live = aws.acquire_lock("run-still-alive", false, LeaseTerms::default()).await.unwrap().lock;
    aws.keep_lease(&live);
    let refused = env.apply(&reference());
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("holds the lock")
            && refused.stderr.contains("run-still-alive")
            && refused.stderr.contains("last renewed")
            && refused.stderr.contains("expires 120s after its last renewal"),
        "{}",
        refused.stderr
    );
    let writes = refused.stats()["write_calls"].clone();
    let writes = writes.as_object().unwrap_or_else(|| panic!("{}", refused.stderr));
    assert!(writes.keys().all(|k| k.starts_with("s3:")), "only the lock attempt wrote: {writes:?}");
    aws.release_lock(&live).await.unwrap();
    assert_eq!(aws.lock_holder(&live.bucket, &live.owner).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_whose_lease_is_taken_over_stops_at_its_next_renewal_without_further_writes() {
    let env = Env::reference();
    // Slow enough that the run is still applying when its lease is taken over. A 48 s lease
    // renews every 8 s and allows 24 s between confirmed renewals, so a loaded machine (two
    // proxies deep: the slow one and the reference's patches) does not stop the run on its own
    // before the takeover.
    let journal = env.path("journal.jsonl");
    let (_slow, first) = spawn_slow_apply(&env, 400, &["--lease-expiry", "48", "--journal", journal.to_str().unwrap()]);
    let aws = Aws::from_config(&env.moto.sdk_config(), &ConnectOptions::default());
    let bucket = aws.state_bucket().await.unwrap();
    // Wait until the run holds the lease and has renewed it once; then another run takes it
    // over, as a later run does: a conditional write on the ETag it read. A renewal between the
    // read and the write changes the ETag (412), and the later run reads again and retries.
    let usurper = serde_json::json!({
        "holder": "later@ci", "caller": "arn:aws:iam::123456789012:user/ci", "pid": 4242,
        "run": "run-that-took-over", "since": "2026-12-02T01:00:00Z", "renewed": "2026-12-02T01:00:00Z",
        "renewals": 0, "expiry_secs": 120
    });
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        assert!(Instant::now() < deadline, "the apply never took and renewed the lease, or it could not be taken over");
        let Some(held) = aws.read_lease(&bucket, MANAGEMENT).await.unwrap().filter(|h| h.info.renewals >= 1) else {
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let taken = env
            .moto
            .s3()
            .put_object()
            .bucket(&bucket)
            .key(LOCK_KEY)
            .if_match(&held.etag)
            .body(ByteStream::from(serde_json::to_vec(&usurper).unwrap()))
            .send()
            .await;
        match taken {
            Ok(_) => break,
            Err(e)
                if e.as_service_error().and_then(aws_sdk_s3::error::ProvideErrorMetadata::code)
                    == Some("PreconditionFailed") => {}
            Err(e) => panic!("taking the lease over: {e:?}"),
        }
    }

    let out = first.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the run stopped: {stderr}");
    assert!(
        stderr.contains("taken over by later@ci") && stderr.contains("run-that-took-over"),
        "it says who took its lease: {stderr}"
    );
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&journal).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let refused = lines
        .iter()
        .position(|l| l["event"] == "after" && l["operation"] == "s3:PutObject" && l["outcome"] != "ok")
        .unwrap_or_else(|| panic!("a renewal was refused: {lines:#?}"));
    let fenced = lines
        .iter()
        .position(|l| l["event"] == "fenced")
        .unwrap_or_else(|| panic!("the journal records where the run stopped: {lines:#?}"));
    assert!(fenced > refused, "it stopped at the refused renewal: {lines:#?}");
    let later: Vec<&serde_json::Value> = lines[fenced + 1..].iter().filter(|l| l["event"] == "before").collect();
    assert!(later.is_empty(), "no write was sent once the renewal was refused: {later:#?}");
    assert_eq!(
        aws.lock_holder(&bucket, MANAGEMENT).await.unwrap().map(|i| i.run).as_deref(),
        Some("run-that-took-over"),
        "the stopped run left the new holder's lease alone"
    );
    let rest = env.plan_json(&reference()).ok();
    assert!(!rest.json()["changes"].as_array().unwrap().is_empty(), "it stopped mid-run: {}", rest.stdout);
}
