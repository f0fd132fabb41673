//! Logging and guardrails end to end: the log bucket in the log-archive account, the
//! organization trail, trusted access, SCPs and their attachments; zero-write rerun; drift.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_organizations::types::PolicyType;
use serde_json::{Value, json};

use crate::common::{Env, read_org, reference};

/// The log-archive account's id and the bucket's name.
async fn log_bucket(env: &Env) -> (String, String) {
    let (_, accounts) = read_org(&env.org()).await;
    let id = accounts["aws+log-archive@acme.example"].id.clone();
    (id.clone(), format!("acme-cloudtrail-{id}"))
}

/// Every SCP of the organization but FullAWSAccess: name -> (document, targets by id).
async fn scps(env: &Env) -> BTreeMap<String, (Value, BTreeSet<String>)> {
    let org = env.org();
    let mut out = BTreeMap::new();
    let list = org.list_policies().filter(PolicyType::ServiceControlPolicy).send().await.unwrap();
    for p in list.policies() {
        if p.name() == Some("FullAWSAccess") {
            continue;
        }
        let id = p.id().unwrap();
        let described = org.describe_policy().policy_id(id).send().await.unwrap();
        let doc: Value = serde_json::from_str(described.policy().unwrap().content().unwrap()).unwrap();
        let targets = org.list_targets_for_policy().policy_id(id).send().await.unwrap();
        let ids = targets.targets().iter().map(|t| t.target_id().unwrap().to_owned()).collect();
        out.insert(p.name().unwrap().to_owned(), (doc, ids));
    }
    out
}

fn statement<'a>(doc: &'a Value, sid: &str) -> &'a Value {
    doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == sid)
        .unwrap_or_else(|| panic!("no statement {sid} in {doc}"))
}

fn as_set(v: &Value) -> BTreeSet<String> {
    match v {
        Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_owned()).collect(),
        Value::String(s) => BTreeSet::from([s.clone()]),
        other => panic!("not a string or list: {other}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn log_archive_trail_and_guardrails_are_built_read_back_and_rerun_writes_nothing() {
    let env = Env::new();
    let bp = reference();
    env.apply(&bp).ok();

    let org = env.org();
    let described = org.describe_organization().send().await.unwrap();
    let o = described.organization().unwrap();
    let (org_id, management) = (o.id().unwrap().to_owned(), o.master_account_id().unwrap().to_owned());
    let (log_id, bucket) = log_bucket(&env).await;
    let trail_arn = format!("arn:aws:cloudtrail:eu-west-1:{management}:trail/org-trail");

    // The bucket, read in the log-archive account.
    let s3 = {
        let conf = aws_sdk_s3::config::Builder::from(&env.moto.member_config(&log_id, "eu-west-1").await)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    };
    let location = s3.get_bucket_location().bucket(&bucket).send().await.unwrap();
    assert_eq!(location.location_constraint().unwrap().as_str(), "eu-west-1");
    let versioning = s3.get_bucket_versioning().bucket(&bucket).send().await.unwrap();
    assert_eq!(versioning.status().unwrap().as_str(), "Enabled");
    let pab = s3.get_public_access_block().bucket(&bucket).send().await.unwrap();
    let pab = pab.public_access_block_configuration().unwrap();
    assert_eq!(
        [pab.block_public_acls(), pab.ignore_public_acls(), pab.block_public_policy(), pab.restrict_public_buckets()],
        [Some(true); 4]
    );
    let enc = s3.get_bucket_encryption().bucket(&bucket).send().await.unwrap();
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    assert_eq!(rule.apply_server_side_encryption_by_default().unwrap().sse_algorithm().as_str(), "AES256");
    let own = s3.get_bucket_ownership_controls().bucket(&bucket).send().await.unwrap();
    assert_eq!(own.ownership_controls().unwrap().rules()[0].object_ownership().as_str(), "BucketOwnerEnforced");
    let lifecycle = s3.get_bucket_lifecycle_configuration().bucket(&bucket).send().await.unwrap();
    assert_eq!(lifecycle.rules()[0].expiration().unwrap().days(), Some(400));
    let lock = s3.get_object_lock_configuration().bucket(&bucket).send().await.unwrap();
    let retention = lock.object_lock_configuration().unwrap().rule().unwrap().default_retention().unwrap();
    assert_eq!((retention.mode().unwrap().as_str(), retention.days()), ("GOVERNANCE", Some(365)));
    // The policy, parsed and checked statement by statement.
    let policy: Value =
        serde_json::from_str(s3.get_bucket_policy().bucket(&bucket).send().await.unwrap().policy().unwrap()).unwrap();
    let acl = statement(&policy, "AWSCloudTrailAclCheck");
    assert_eq!(acl["Effect"], "Allow");
    assert_eq!(as_set(&acl["Principal"]["Service"]), BTreeSet::from(["cloudtrail.amazonaws.com".to_owned()]));
    assert_eq!(as_set(&acl["Action"]), BTreeSet::from(["s3:GetBucketAcl".to_owned()]));
    assert_eq!(as_set(&acl["Condition"]["StringEquals"]["aws:SourceArn"]), BTreeSet::from([trail_arn.clone()]));
    let write = statement(&policy, "AWSCloudTrailWrite");
    assert_eq!(
        as_set(&write["Resource"]),
        BTreeSet::from([
            format!("arn:aws:s3:::{bucket}/AWSLogs/{management}/*"),
            format!("arn:aws:s3:::{bucket}/AWSLogs/{org_id}/*"),
        ])
    );
    assert_eq!(as_set(&write["Condition"]["StringEquals"]["aws:SourceArn"]), BTreeSet::from([trail_arn.clone()]));
    assert_eq!(
        as_set(&write["Condition"]["StringEquals"]["s3:x-amz-acl"]),
        BTreeSet::from(["bucket-owner-full-control".to_owned()])
    );
    let tls = statement(&policy, "DenyInsecureTransport");
    assert_eq!(
        (tls["Effect"].as_str(), tls["Condition"]["Bool"]["aws:SecureTransport"].as_str()),
        (Some("Deny"), Some("false"))
    );
    let deletion = statement(&policy, "DenyLogDeletion");
    assert_eq!(deletion["Effect"], "Deny");
    assert!(as_set(&deletion["Action"]).contains("s3:DeleteObject"));

    // The trail, in the management account.
    let ct = aws_sdk_cloudtrail::Client::new(
        &env.moto.sdk_config().into_builder().region(aws_config::Region::new("eu-west-1")).build(),
    );
    let trail = ct.get_trail().name("org-trail").send().await.unwrap();
    let trail = trail.trail().unwrap();
    assert_eq!(trail.s3_bucket_name(), Some(bucket.as_str()));
    assert_eq!(trail.is_organization_trail(), Some(true));
    assert_eq!(trail.is_multi_region_trail(), Some(true));
    assert_eq!(trail.log_file_validation_enabled(), Some(true));
    assert_eq!(trail.include_global_service_events(), Some(true));
    assert_eq!(ct.get_trail_status().name("org-trail").send().await.unwrap().is_logging(), Some(true));

    // Trusted access and the SCP policy type.
    let access = org.list_aws_service_access_for_organization().send().await.unwrap();
    assert!(
        access.enabled_service_principals().iter().any(|p| p.service_principal() == Some("cloudtrail.amazonaws.com"))
    );
    let roots = org.list_roots().send().await.unwrap();
    let root = &roots.roots()[0];
    assert!(root.policy_types().iter().any(|t| t.r#type() == Some(&PolicyType::ServiceControlPolicy)
        && t.status().map(aws_sdk_organizations::types::PolicyTypeStatus::as_str) == Some("ENABLED")));

    // Each SCP's document and its attachments.
    let root_id = root.id().unwrap().to_owned();
    let ou_id = |name: &str| {
        let org = org.clone();
        let root_id = root_id.clone();
        let name = name.to_owned();
        async move {
            let ous = org.list_organizational_units_for_parent().parent_id(&root_id).send().await.unwrap();
            ous.organizational_units()
                .iter()
                .find(|o| o.name() == Some(name.as_str()))
                .unwrap()
                .id()
                .unwrap()
                .to_owned()
        }
    };
    let (workloads, sandbox) = (ou_id("Workloads").await, ou_id("Sandbox").await);
    let (security, infrastructure) = (ou_id("Security").await, ou_id("Infrastructure").await);
    let found = scps(&env).await;
    let names: Vec<&str> = found.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "deny-leave-org",
            "deny-root-user",
            "iam-users-in-identity-only",
            "protect-access-role",
            "protect-cloudtrail",
            "region-lock"
        ]
    );
    let (leave, targets) = &found["deny-leave-org"];
    assert_eq!(
        targets,
        &BTreeSet::from([security, infrastructure, workloads.clone(), sandbox.clone()]),
        "every top-level OU: Root is at its five SCPs"
    );
    assert_eq!(
        as_set(&leave["Statement"][0]["Action"]),
        BTreeSet::from(["organizations:LeaveOrganization".to_owned()])
    );
    assert_eq!(leave["Statement"][0]["Effect"], "Deny");
    let (regions, targets) = &found["region-lock"];
    assert_eq!(targets, &BTreeSet::from([workloads.clone(), sandbox.clone()]));
    let deny = &regions["Statement"][0];
    assert_eq!(
        as_set(&deny["Condition"]["StringNotEquals"]["aws:RequestedRegion"]),
        BTreeSet::from(["eu-central-1".to_owned(), "eu-west-1".to_owned()])
    );
    // The region lock exempts exactly Control Tower's global-service actions, and the access role.
    let global: BTreeSet<String> =
        groundwork_blueprint::GLOBAL_SERVICE_ACTIONS.iter().map(|a| (*a).to_owned()).collect();
    assert_eq!(as_set(&deny["NotAction"]), global);
    for a in [
        "sso:*",
        "access-analyzer:*",
        "config:*",
        "cloudtrail:LookupEvents",
        "savingsplans:*",
        "tag:GetResources",
        "supportplans:*",
        "s3:GetStorageLensConfiguration",
        "s3:ListMultiRegionAccessPoints",
        "iam:*",
    ] {
        assert!(global.contains(a), "{a}");
    }
    let access = BTreeSet::from(["arn:aws:iam::*:role/OrganizationAccountAccessRole".to_owned()]);
    assert_eq!(as_set(&deny["Condition"]["ArnNotLike"]["aws:PrincipalArn"]), access);
    // protect-cloudtrail: the bucket statement denies exactly the archive's protected actions.
    let (protect, _) = &found["protect-cloudtrail"];
    let on_bucket = statement(protect, "ProtectLogBucket");
    let protected: BTreeSet<String> =
        groundwork_blueprint::LOG_BUCKET_PROTECTED_ACTIONS.iter().map(|a| (*a).to_owned()).collect();
    assert_eq!(as_set(&on_bucket["Action"]), protected);
    assert_eq!(
        as_set(&on_bucket["Resource"]),
        BTreeSet::from([format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")])
    );
    assert_eq!(as_set(&on_bucket["Condition"]["ArnNotLike"]["aws:PrincipalArn"]), access);
    let on_trail = statement(protect, "ProtectOrganizationTrail");
    assert_eq!(
        as_set(&on_trail["Resource"]),
        BTreeSet::from([format!("arn:aws:cloudtrail:*:{management}:trail/org-trail")])
    );
    assert!(as_set(&on_trail["Action"]).contains("cloudtrail:StopLogging"));
    // protect-access-role: not in the blueprint, attached at Root because the guardrails exempt
    // the access role; every IAM write on that role is denied to anyone but the role itself.
    let (guard, targets) = &found["protect-access-role"];
    assert_eq!(targets, &BTreeSet::from([root_id.clone()]));
    let s = statement(guard, "ProtectAccessRole");
    assert_eq!(s["Effect"], "Deny");
    let writes: BTreeSet<String> =
        groundwork_blueprint::ACCESS_ROLE_PROTECTED_ACTIONS.iter().map(|a| (*a).to_owned()).collect();
    assert_eq!(writes.len(), 12);
    assert_eq!(as_set(&s["Action"]), writes);
    assert_eq!(as_set(&s["Resource"]), access);
    assert_eq!(as_set(&s["Condition"]["ArnNotLike"]["aws:PrincipalArn"]), access);
    let (iam_users, _) = &found["iam-users-in-identity-only"];
    let (_, accounts) = read_org(&org).await;
    assert!(iam_users.to_string().contains(&accounts["aws+identity@acme.example"].id));
    let (_, targets) = &found["deny-root-user"];
    assert_eq!(targets, &BTreeSet::from([root_id.clone()]), "root users everywhere, log-archive and identity too");
    // FullAWSAccess stays attached everywhere groundwork attached something.
    let full = org.list_targets_for_policy().policy_id("p-FullAWSAccess").send().await.unwrap();
    assert!(full.targets().iter().any(|t| t.target_id() == Some(root_id.as_str())));

    // Rerun: nothing to do, nothing written.
    let again = env.plan_json(&bp).ok();
    assert_eq!(again.json()["changes"], json!([]), "{}", again.stdout);
    assert_eq!(again.writes(), 0);
    let rerun = env.apply(&bp).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn out_of_band_changes_to_logging_and_guardrails_are_named_and_restored() {
    let env = Env::new();
    let bp = reference();
    env.apply(&bp).ok();
    let org = env.org();
    let (log_id, bucket) = log_bucket(&env).await;

    // Four changes made behind groundwork's back.
    let ct = aws_sdk_cloudtrail::Client::new(
        &env.moto.sdk_config().into_builder().region(aws_config::Region::new("eu-west-1")).build(),
    );
    ct.stop_logging().name("org-trail").send().await.unwrap();
    let s3 = {
        let conf = aws_sdk_s3::config::Builder::from(&env.moto.member_config(&log_id, "eu-west-1").await)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    };
    s3.delete_public_access_block().bucket(&bucket).send().await.unwrap();
    let list = org.list_policies().filter(PolicyType::ServiceControlPolicy).send().await.unwrap();
    let id = |name: &str| list.policies().iter().find(|p| p.name() == Some(name)).unwrap().id().unwrap().to_owned();
    let root = org.list_roots().send().await.unwrap().roots()[0].id().unwrap().to_owned();
    org.detach_policy().policy_id(id("deny-root-user")).target_id(&root).send().await.unwrap();
    org.update_policy()
        .policy_id(id("region-lock"))
        .content(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)
        .send()
        .await
        .unwrap();

    let plan = env.plan_json(&bp);
    assert_eq!(plan.writes(), 0);
    let changes = plan.json()["changes"].clone();
    let addresses: BTreeSet<&str> =
        changes.as_array().unwrap().iter().map(|c| c["address"].as_str().unwrap()).collect();
    assert_eq!(
        addresses,
        BTreeSet::from([
            "trail/org-trail",
            "bucket/log-archive/acme-cloudtrail-{account_id}",
            "scp-attachment/deny-root-user@Root",
            "scp/region-lock",
        ]),
        "{changes:#}"
    );
    let text = env.gw(&["plan", bp.to_str().unwrap(), "--no-rate-limit"]);
    assert!(text.stdout.contains("~ logging: false -> true"), "{}", text.stdout);
    assert!(text.stdout.contains("public_access_block.block_public_acls: false -> true"), "{}", text.stdout);
    assert!(text.stdout.contains("+ scp-attachment/deny-root-user@Root will be created"), "{}", text.stdout);
    assert!(text.stdout.contains("~ scp/region-lock will be updated in place"), "{}", text.stdout);

    let drift = env.gw(&["drift", bp.to_str().unwrap(), "--no-rate-limit"]);
    assert_eq!(drift.code, 2, "{}", drift.stdout);
    assert!(drift.stdout.contains("account log-archive"), "grouped under its account:\n{}", drift.stdout);

    let applied = env.apply(&bp).ok();
    assert_eq!(applied.json()["failed"], 0, "{}", applied.stdout);
    let status = ct.get_trail_status().name("org-trail").send().await.unwrap();
    assert_eq!(status.is_logging(), Some(true));
    let pab = s3.get_public_access_block().bucket(&bucket).send().await.unwrap();
    assert_eq!(pab.public_access_block_configuration().unwrap().restrict_public_buckets(), Some(true));
    let found = scps(&env).await;
    assert!(found["deny-root-user"].1.contains(&root));
    assert!(found["region-lock"].0.to_string().contains("aws:RequestedRegion"));

    let clean = env.gw(&["drift", bp.to_str().unwrap(), "--no-rate-limit"]);
    assert_eq!(clean.code, 0, "{}", clean.stdout);
    let rerun = env.apply(&bp).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_extra_attachment_of_a_managed_scp_is_removed_and_object_lock_on_an_existing_bucket_stops_the_plan() {
    let env = Env::new();
    let bp = reference();
    env.apply(&bp).ok();
    let org = env.org();
    let list = org.list_policies().filter(PolicyType::ServiceControlPolicy).send().await.unwrap();
    let leave = list.policies().iter().find(|p| p.name() == Some("deny-leave-org")).unwrap().id().unwrap().to_owned();
    let (_, accounts) = read_org(&org).await;
    let alice = accounts["aws+sandbox-alice@acme.example"].id.clone();
    org.attach_policy().policy_id(&leave).target_id(&alice).send().await.unwrap();
    let text = env.gw(&["plan", bp.to_str().unwrap(), "--no-rate-limit"]);
    assert!(
        text.stdout.contains("- scp-attachment/deny-leave-org@account:sandbox-alice will be removed"),
        "{}",
        text.stdout
    );
    env.apply(&bp).ok();
    let targets = org.list_targets_for_policy().policy_id(&leave).send().await.unwrap();
    assert!(!targets.targets().iter().any(|t| t.target_id() == Some(alice.as_str())));

    // A blueprint without object lock applied first, then one that asks for it: the plan stops.
    let src = std::fs::read_to_string(&bp).unwrap();
    let without = env.path("no-lock.yaml");
    std::fs::write(
        &without,
        src.replace("  object_lock: { mode: governance, days: 365 }\n", "").replace("acme-cloudtrail-", "acme-logs-"),
    )
    .unwrap();
    env.apply(&without).ok();
    let with = env.path("lock.yaml");
    std::fs::write(&with, src.replace("acme-cloudtrail-", "acme-logs-")).unwrap();
    let refused = env.gw(&["apply", with.to_str().unwrap(), "--auto-approve", "--no-rate-limit", "--stats", "--json"]);
    assert_eq!(refused.code, 1, "{}", refused.stdout);
    assert!(
        refused.stderr.contains("object lock can only be turned on when a bucket is created"),
        "{}",
        refused.stderr
    );
    assert_eq!(refused.writes(), 0);
}
