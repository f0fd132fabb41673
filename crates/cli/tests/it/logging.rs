//! Logging and guardrails end to end: the log bucket in the log-archive account, the
//! organization trail, trusted access, SCPs and their attachments; zero-write rerun; drift.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_organizations::types::PolicyType;
use serde_json::{Value, json};

use crate::common::{Env, as_set, read_org, reference, statement};

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

#[tokio::test(flavor = "multi_thread")]
async fn log_archive_trail_and_guardrails_are_built_read_back_and_rerun_writes_nothing() {
    let env = Env::reference();
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
    // Encrypted with the archive's KMS key (on by default; `kms` checks the key itself).
    let enc = s3.get_bucket_encryption().bucket(&bucket).send().await.unwrap();
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    assert_eq!(rule.apply_server_side_encryption_by_default().unwrap().sse_algorithm().as_str(), "aws:kms");
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
    // Every protected action is denied to every principal but the exception role, on the bucket
    // and its objects; no writer but CloudTrail.
    let exception = format!("arn:aws:iam::{log_id}:role/LogArchiveBreakGlass");
    let tamper = statement(&policy, "DenyArchiveTampering");
    let denied = as_set(&tamper["Action"]);
    for action in groundwork_blueprint::LOG_BUCKET_PROTECTED_ACTIONS {
        assert!(denied.contains(*action), "{action} is not denied: {tamper}");
    }
    assert_eq!((tamper["Effect"].as_str(), tamper["Principal"].as_str()), (Some("Deny"), Some("*")));
    assert_eq!(
        as_set(&tamper["Resource"]),
        BTreeSet::from([format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")])
    );
    assert_eq!(as_set(&tamper["Condition"]["ArnNotLike"]["aws:PrincipalArn"]), BTreeSet::from([exception.clone()]));
    assert_eq!(tamper["Condition"].as_object().unwrap().len(), 1, "no other condition: {tamper}");
    let writers = statement(&policy, "DenyOtherWriters");
    assert_eq!((writers["Effect"].as_str(), writers["Principal"].as_str()), (Some("Deny"), Some("*")));
    assert_eq!(as_set(&writers["Action"]), BTreeSet::from(["s3:PutObject".to_owned()]));
    // CloudTrail, and log delivery for the reference's flow logs (under their prefix only).
    assert_eq!(
        as_set(&writers["Condition"]["StringNotEquals"]["aws:PrincipalServiceName"]),
        BTreeSet::from(["cloudtrail.amazonaws.com".to_owned(), "delivery.logs.amazonaws.com".to_owned()])
    );
    let delivery = statement(&policy, "AWSLogDeliveryWrite");
    assert_eq!(as_set(&delivery["Resource"]), BTreeSet::from([format!("arn:aws:s3:::{bucket}/flow-logs/AWSLogs/*")]));
    assert_eq!(as_set(&delivery["Condition"]["StringEquals"]["aws:SourceOrgID"]), BTreeSet::from([org_id.clone()]));
    // Server access logs go to the access-log bucket, which is hardened the same way.
    let access = format!("acme-cloudtrail-access-{log_id}");
    let logging = s3.get_bucket_logging().bucket(&bucket).send().await.unwrap();
    let enabled = logging.logging_enabled().unwrap();
    assert_eq!((enabled.target_bucket(), enabled.target_prefix()), (access.as_str(), format!("{bucket}/").as_str()));
    let versioning = s3.get_bucket_versioning().bucket(&access).send().await.unwrap();
    assert_eq!(versioning.status().unwrap().as_str(), "Enabled");
    let pab = s3.get_public_access_block().bucket(&access).send().await.unwrap();
    let pab = pab.public_access_block_configuration().unwrap();
    assert_eq!(
        [pab.block_public_acls(), pab.ignore_public_acls(), pab.block_public_policy(), pab.restrict_public_buckets()],
        [Some(true); 4]
    );
    let enc = s3.get_bucket_encryption().bucket(&access).send().await.unwrap();
    let rule = &enc.server_side_encryption_configuration().unwrap().rules()[0];
    assert_eq!(rule.apply_server_side_encryption_by_default().unwrap().sse_algorithm().as_str(), "AES256");
    let own = s3.get_bucket_ownership_controls().bucket(&access).send().await.unwrap();
    assert_eq!(own.ownership_controls().unwrap().rules()[0].object_ownership().as_str(), "BucketOwnerEnforced");
    let lifecycle = s3.get_bucket_lifecycle_configuration().bucket(&access).send().await.unwrap();
    assert_eq!(lifecycle.rules()[0].expiration().unwrap().days(), Some(400));
    assert!(s3.get_bucket_logging().bucket(&access).send().await.unwrap().logging_enabled().is_none());
    let access_policy: Value =
        serde_json::from_str(s3.get_bucket_policy().bucket(&access).send().await.unwrap().policy().unwrap()).unwrap();
    let grant = statement(&access_policy, "S3ServerAccessLogsPolicy");
    assert_eq!(grant["Effect"], "Allow");
    assert_eq!(as_set(&grant["Principal"]["Service"]), BTreeSet::from(["logging.s3.amazonaws.com".to_owned()]));
    assert_eq!(as_set(&grant["Action"]), BTreeSet::from(["s3:PutObject".to_owned()]));
    assert_eq!(as_set(&grant["Resource"]), BTreeSet::from([format!("arn:aws:s3:::{access}/{bucket}/*")]));
    assert_eq!(
        as_set(&grant["Condition"]["ArnLike"]["aws:SourceArn"]),
        BTreeSet::from([format!("arn:aws:s3:::{bucket}")])
    );
    assert_eq!(as_set(&grant["Condition"]["StringEquals"]["aws:SourceAccount"]), BTreeSet::from([log_id.clone()]));
    let tls = statement(&access_policy, "DenyInsecureTransport");
    assert_eq!(tls["Condition"]["Bool"]["aws:SecureTransport"], "false");
    let tamper = statement(&access_policy, "DenyArchiveTampering");
    let denied = as_set(&tamper["Action"]);
    for action in groundwork_blueprint::LOG_BUCKET_PROTECTED_ACTIONS {
        assert!(denied.contains(*action), "{action} is not denied on the access-log bucket: {tamper}");
    }
    assert_eq!(as_set(&tamper["Condition"]["ArnNotLike"]["aws:PrincipalArn"]), BTreeSet::from([exception]));
    let writers = statement(&access_policy, "DenyOtherWriters");
    assert_eq!(
        as_set(&writers["Condition"]["StringNotEquals"]["aws:PrincipalServiceName"]),
        BTreeSet::from(["logging.s3.amazonaws.com".to_owned()])
    );

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
    // Its selectors: every management event (read and write, no readOnly field), and the data
    // events of the log bucket's objects.
    let selectors = ct.get_event_selectors().trail_name("org-trail").send().await.unwrap();
    assert!(selectors.event_selectors().is_empty());
    let advanced = selectors.advanced_event_selectors();
    assert_eq!(advanced.len(), 2, "{advanced:?}");
    let fields = |i: usize| -> BTreeMap<String, (Vec<String>, Vec<String>)> {
        advanced[i]
            .field_selectors()
            .iter()
            .map(|f| (f.field().to_owned(), (f.equals().to_vec(), f.starts_with().to_vec())))
            .collect()
    };
    assert_eq!(fields(0), BTreeMap::from([("eventCategory".to_owned(), (vec!["Management".to_owned()], vec![]))]));
    assert_eq!(
        fields(1),
        BTreeMap::from([
            ("eventCategory".to_owned(), (vec!["Data".to_owned()], vec![])),
            ("resources.type".to_owned(), (vec!["AWS::S3::Object".to_owned()], vec![])),
            ("resources.ARN".to_owned(), (vec![], vec![format!("arn:aws:s3:::{bucket}/")])),
        ])
    );

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
            "region-lock",
            "sandbox-limits"
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
    let env = Env::reference();
    let bp = reference();
    env.apply(&bp).ok();
    let org = env.org();
    let (log_id, bucket) = log_bucket(&env).await;

    // Four changes made behind groundwork's back.
    let ct = aws_sdk_cloudtrail::Client::new(
        &env.moto.sdk_config().into_builder().region(aws_config::Region::new("eu-west-1")).build(),
    );
    ct.stop_logging().name("org-trail").send().await.unwrap();
    // The trail now records only read-only management events, and no data events.
    let read_only = aws_sdk_cloudtrail::types::AdvancedEventSelector::builder()
        .name("Management events")
        .field_selectors(
            aws_sdk_cloudtrail::types::AdvancedFieldSelector::builder()
                .field("eventCategory")
                .equals("Management")
                .build()
                .unwrap(),
        )
        .field_selectors(
            aws_sdk_cloudtrail::types::AdvancedFieldSelector::builder()
                .field("readOnly")
                .equals("true")
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    ct.put_event_selectors().trail_name("org-trail").advanced_event_selectors(read_only).send().await.unwrap();
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
    assert!(text.stdout.contains("event_selectors"), "the selector change is named:\n{}", text.stdout);
    // On AWS the bucket's own policy refuses groundwork's PutPublicAccessBlock (moto does not
    // evaluate bucket policies on bucket calls): the plan says so and how to proceed.
    let said = format!("{}{}", text.stdout, text.stderr);
    assert!(said.contains("the bucket's own policy denies s3:PutBucketPublicAccessBlock"), "{said}");
    assert!(said.contains("S3UnlockBucketPolicy"), "{said}");
    assert!(text.stdout.contains("public_access_block.block_public_acls: false -> true"), "{}", text.stdout);
    assert!(text.stdout.contains("+ scp-attachment/deny-root-user@Root will be created"), "{}", text.stdout);
    assert!(text.stdout.contains("~ scp/region-lock will be updated in place"), "{}", text.stdout);

    let drift = env.gw(&["drift", bp.to_str().unwrap(), "--no-rate-limit"]);
    assert_eq!(drift.code, 2, "{}", drift.stdout);
    assert!(drift.stdout.contains("account log-archive"), "grouped under its account:\n{}", drift.stdout);
    assert!(drift.stdout.contains("event_selectors"), "{}", drift.stdout);

    let applied = env.apply(&bp).ok();
    assert_eq!(applied.json()["failed"], 0, "{}", applied.stdout);
    let status = ct.get_trail_status().name("org-trail").send().await.unwrap();
    assert_eq!(status.is_logging(), Some(true));
    let selectors = ct.get_event_selectors().trail_name("org-trail").send().await.unwrap();
    let advanced = selectors.advanced_event_selectors();
    assert_eq!(advanced.len(), 2, "management and data events again: {advanced:?}");
    assert!(advanced.iter().all(|a| a.field_selectors().iter().all(|f| f.field() != "readOnly")), "{advanced:?}");
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
    let env = Env::reference();
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

#[tokio::test(flavor = "multi_thread")]
async fn a_log_bucket_name_owned_by_another_account_is_refused_and_never_written() {
    let env = Env::reference();
    let bp = reference();
    // A first landing zone whose archive has another name: the accounts exist, so the
    // log-archive account's id (and the name the reference blueprint asks for) is known.
    let src = std::fs::read_to_string(&bp).unwrap();
    let first = env.path("first.yaml");
    std::fs::write(
        &first,
        src.replace("bucket: \"acme-cloudtrail-{account_id}\"", "bucket: \"acme-first-{account_id}\""),
    )
    .unwrap();
    env.apply(&first).ok();
    let (log_id, bucket) = log_bucket(&env).await;
    // Another account of the organization takes the log bucket's name first.
    let (_, accounts) = read_org(&env.org()).await;
    let squatter = accounts["aws+shared-network@acme.example"].id.clone();
    let theirs = {
        let conf = aws_sdk_s3::config::Builder::from(&env.moto.member_config(&squatter, "eu-west-1").await)
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    };
    theirs
        .create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .unwrap();

    let refused = env.gw(&["apply", bp.to_str().unwrap(), "--auto-approve", "--no-rate-limit", "--stats", "--json"]);
    assert_eq!(refused.code, 1, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains(&format!("bucket {bucket} exists but is not owned by account {log_id}")),
        "{}",
        refused.stderr
    );
    assert_eq!(refused.writes(), 0, "nothing written anywhere");
    // Their bucket is as they made it: no policy, no versioning, no logging.
    assert!(theirs.get_bucket_policy().bucket(&bucket).send().await.is_err());
    let versioning = theirs.get_bucket_versioning().bucket(&bucket).send().await.unwrap();
    assert!(versioning.status().is_none());
    assert!(theirs.get_bucket_logging().bucket(&bucket).send().await.unwrap().logging_enabled().is_none());
}
