//! The archive's KMS key end to end: built in the log-archive account with rotation and the key
//! policy CloudTrail needs, used by the log bucket and the trail by its alias, read back with
//! plain KMS calls; out-of-band changes named by `drift` and restored by `apply`; a key a dead
//! run left without its alias is named rather than duplicated.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::{Env, as_set, read_org, reference, statement};

const ALIAS: &str = "alias/groundwork-log-archive";

/// The log-archive account's id and a KMS client in it (home region).
async fn log_kms(env: &Env) -> (String, aws_sdk_kms::Client) {
    let (_, accounts) = read_org(&env.org()).await;
    let id = accounts["aws+log-archive@acme.example"].id.clone();
    let kms = aws_sdk_kms::Client::new(&env.moto.member_config(&id, "eu-west-1").await);
    (id, kms)
}

/// The key the alias names, if any.
async fn key_of(kms: &aws_sdk_kms::Client) -> Option<String> {
    let aliases = kms.list_aliases().send().await.unwrap();
    aliases.aliases().iter().find(|a| a.alias_name() == Some(ALIAS)).and_then(|a| a.target_key_id()).map(str::to_owned)
}

/// The customer-managed keys of the account.
async fn customer_keys(kms: &aws_sdk_kms::Client) -> Vec<String> {
    let mut out = Vec::new();
    for k in kms.list_keys().send().await.unwrap().keys() {
        let id = k.key_id().unwrap();
        let meta = kms.describe_key().key_id(id).send().await.unwrap().key_metadata.unwrap();
        if meta.key_manager().map(aws_sdk_kms::types::KeyManagerType::as_str) == Some("CUSTOMER") {
            out.push(id.to_owned());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_archive_key_is_built_used_by_bucket_and_trail_read_back_and_restored_after_tampering() {
    let env = Env::reference();
    let bp = reference();
    env.apply(&bp).ok();
    let (log_id, kms) = log_kms(&env).await;
    let described = env.org().describe_organization().send().await.unwrap();
    let management = described.organization().unwrap().master_account_id().unwrap().to_owned();

    // One customer-managed key, named by the alias, enabled, rotating, with groundwork's tags.
    let key = key_of(&kms).await.expect("the alias names a key");
    assert_eq!(customer_keys(&kms).await, std::slice::from_ref(&key));
    let meta = kms.describe_key().key_id(&key).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(meta.key_state().unwrap().as_str(), "Enabled");
    assert_eq!(meta.key_spec().unwrap().as_str(), "SYMMETRIC_DEFAULT");
    assert!(kms.get_key_rotation_status().key_id(&key).send().await.unwrap().key_rotation_enabled());
    let tags = kms.list_resource_tags().key_id(&key).send().await.unwrap();
    let tags: BTreeSet<(String, String)> =
        tags.tags().iter().map(|t| (t.tag_key().to_owned(), t.tag_value().to_owned())).collect();
    assert!(tags.contains(&("groundwork:managed".to_owned(), "true".to_owned())), "{tags:?}");
    // The key policy: CloudTrail may generate data keys for the organization trail only.
    let policy = kms.get_key_policy().key_id(&key).policy_name("default").send().await.unwrap();
    let policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    let trail_arn = format!("arn:aws:cloudtrail:eu-west-1:{management}:trail/org-trail");
    let generate = statement(&policy, "CloudTrailEncryptsTheOrganizationTrail");
    assert_eq!(as_set(&generate["Principal"]["Service"]), BTreeSet::from(["cloudtrail.amazonaws.com".to_owned()]));
    assert_eq!(as_set(&generate["Action"]), BTreeSet::from(["kms:GenerateDataKey*".to_owned()]));
    assert_eq!(as_set(&generate["Condition"]["StringEquals"]["aws:SourceArn"]), BTreeSet::from([trail_arn.clone()]));
    assert_eq!(
        as_set(&generate["Condition"]["StringLike"]["kms:EncryptionContext:aws:cloudtrail:arn"]),
        BTreeSet::from([format!("arn:aws:cloudtrail:*:{management}:trail/*")])
    );
    let readers = statement(&policy, "LogArchiveReadersDecryptTrailLogs");
    assert_eq!(as_set(&readers["Condition"]["StringEquals"]["kms:CallerAccount"]), BTreeSet::from([log_id.clone()]));
    assert!(
        as_set(&statement(&policy, "LogArchiveAccountAdministers")["Principal"]["AWS"])
            .contains(&format!("arn:aws:iam::{log_id}:root"))
    );

    // The log bucket and the trail use it, by its alias.
    let alias_arn = format!("arn:aws:kms:eu-west-1:{log_id}:{ALIAS}");
    let s3 = {
        let conf = aws_sdk_s3::config::Builder::from(&env.moto.member_config(&log_id, "eu-west-1").await)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    };
    let enc = s3.get_bucket_encryption().bucket(format!("acme-cloudtrail-{log_id}")).send().await.unwrap();
    let default = enc.server_side_encryption_configuration().unwrap().rules()[0]
        .apply_server_side_encryption_by_default()
        .unwrap()
        .clone();
    assert_eq!((default.sse_algorithm().as_str(), default.kms_master_key_id()), ("aws:kms", Some(alias_arn.as_str())));
    let ct = aws_sdk_cloudtrail::Client::new(
        &env.moto.sdk_config().into_builder().region(aws_config::Region::new("eu-west-1")).build(),
    );
    let trail = ct.get_trail().name("org-trail").send().await.unwrap();
    assert_eq!(trail.trail().unwrap().kms_key_id(), Some(alias_arn.as_str()));

    // A rerun reads the key and writes nothing.
    let rerun = env.apply(&bp).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);

    // Behind groundwork's back: the key disabled, its rotation off, its policy replaced.
    kms.disable_key_rotation().key_id(&key).send().await.unwrap();
    kms.disable_key().key_id(&key).send().await.unwrap();
    let open = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"Open","Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{log_id}:root"}},"Action":"kms:*","Resource":"*"}}]}}"#
    );
    kms.put_key_policy().key_id(&key).policy_name("default").policy(open).send().await.unwrap();

    let drift = env.gw(&["drift", bp.to_str().unwrap(), "--no-rate-limit"]);
    assert_eq!(drift.code, 2, "{}", drift.stdout);
    for what in ["kms-key/log-archive/eu-west-1/groundwork-log-archive", "state", "rotation", "policy"] {
        assert!(drift.stdout.contains(what), "drift names {what}:\n{}", drift.stdout);
    }
    let plan = env.plan_json(&bp);
    let changes = plan.json()["changes"].clone();
    let addresses: Vec<&str> = changes.as_array().unwrap().iter().map(|c| c["address"].as_str().unwrap()).collect();
    assert_eq!(addresses, ["kms-key/log-archive/eu-west-1/groundwork-log-archive"], "{changes:#}");

    let applied = env.apply(&bp).ok();
    assert_eq!(applied.json()["failed"], 0, "{}", applied.stdout);
    let meta = kms.describe_key().key_id(&key).send().await.unwrap().key_metadata.unwrap();
    assert_eq!(meta.key_state().unwrap().as_str(), "Enabled");
    assert!(kms.get_key_rotation_status().key_id(&key).send().await.unwrap().key_rotation_enabled());
    let policy = kms.get_key_policy().key_id(&key).policy_name("default").send().await.unwrap();
    let policy: Value = serde_json::from_str(policy.policy().unwrap()).unwrap();
    statement(&policy, "CloudTrailEncryptsTheOrganizationTrail");
    assert_eq!(customer_keys(&kms).await, [key], "restored in place, never replaced");
    let clean = env.gw(&["drift", bp.to_str().unwrap(), "--no-rate-limit"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_key_left_without_its_alias_by_a_dead_run_is_named_not_duplicated() {
    let env = Env::reference();
    let bp = reference();
    // The organization and accounts first, without the logging section's key: a run that
    // stopped after CreateKey and before CreateAlias leaves exactly such a key behind.
    env.apply(&bp).ok();
    let (_, kms) = log_kms(&env).await;
    let key = key_of(&kms).await.unwrap();
    kms.delete_alias().alias_name(ALIAS).send().await.unwrap();
    assert_eq!(key_of(&kms).await, None);

    let plan = env.gw(&["plan", bp.to_str().unwrap(), "--no-rate-limit"]);
    assert!(
        plan.stdout.contains("+ kms-key/log-archive/eu-west-1/groundwork-log-archive will be created"),
        "{}",
        plan.stdout
    );
    let applied = env.apply(&bp).ok();
    assert!(applied.stdout.contains("left without its alias"), "{}{}", applied.stdout, applied.stderr);
    assert_eq!(key_of(&kms).await.as_deref(), Some(key.as_str()));
    assert_eq!(customer_keys(&kms).await, [key], "no second key");
    let rerun = env.apply(&bp).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);
}
