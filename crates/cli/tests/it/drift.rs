//! `groundwork drift`: read-only, grouped by account, exit 0 clean / 2 drift.

use aws_sdk_organizations::types::Tag;

use crate::common::{Env, read_org, reference};

/// Out of band, on the reference landing zone: move jira-prod to Sandbox, change a tag on the
/// Security OU, drop a tag from identity (three differences in three groups).
pub(crate) async fn three_out_of_band_changes(env: &Env) {
    let org = env.org();
    let (_, accounts) = read_org(&org).await;
    let jira = &accounts["aws+jira-prod@acme.example"].id;
    let identity = &accounts["aws+identity@acme.example"].id;
    let root = org.list_roots().send().await.unwrap().roots()[0].id().unwrap().to_owned();
    let tops = org.list_organizational_units_for_parent().parent_id(&root).send().await.unwrap();
    let id_of = |name: &str| {
        tops.organizational_units().iter().find(|o| o.name() == Some(name)).unwrap().id().unwrap().to_owned()
    };
    let parent = org.list_parents().child_id(jira).send().await.unwrap().parents()[0].id().unwrap().to_owned();
    org.move_account()
        .account_id(jira)
        .source_parent_id(parent)
        .destination_parent_id(id_of("Sandbox"))
        .send()
        .await
        .unwrap();
    org.tag_resource()
        .resource_id(id_of("Security"))
        .tags(Tag::builder().key("Owner").value("someone").build().unwrap())
        .send()
        .await
        .unwrap();
    org.untag_resource().resource_id(identity).tag_keys("CostCenter").send().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_reports_out_of_band_changes_by_account_and_is_clean_after_apply() {
    let env = Env::reference();
    let bp = reference();
    let b = bp.to_str().unwrap();
    env.apply(&bp).ok();
    let clean = env.gw(&["drift", b, "--stats", "--json", "--no-rate-limit"]);
    assert_eq!(clean.code, 0, "{}", clean.stderr);
    assert_eq!(clean.json()["clean"], true);
    assert_eq!(clean.writes(), 0);

    three_out_of_band_changes(&env).await;

    let drift = env.gw(&["drift", b, "--stats", "--json", "--no-rate-limit"]);
    assert_eq!(drift.code, 2, "{}", drift.stderr);
    assert_eq!(drift.writes(), 0, "drift is read-only");
    let report = drift.json();
    assert_eq!(report["differences"], 3, "{report:#}");
    let groups: Vec<&str> = report["groups"].as_array().unwrap().iter().map(|g| g["group"].as_str().unwrap()).collect();
    assert_eq!(groups.len(), 3, "{groups:?}");
    assert!(groups.iter().any(|g| g.starts_with("account identity (")), "{groups:?}");
    assert!(groups.iter().any(|g| g.starts_with("account jira-prod (")), "{groups:?}");
    assert!(groups.contains(&"organization"), "{groups:?}");

    let text = env.gw(&["drift", b, "--no-rate-limit"]);
    assert_eq!(text.code, 2);
    assert!(text.stdout.contains("is in Sandbox") || text.stdout.contains("move from Sandbox"), "{}", text.stdout);
    assert!(text.stdout.trim_end().ends_with("Drift: 3 differences in 3 groups (2 accounts)."), "{}", text.stdout);

    env.apply(&bp).ok();
    let after = env.gw(&["drift", b, "--no-rate-limit"]);
    assert_eq!(after.code, 0, "{}{}", after.stdout, after.stderr);
    assert!(after.stdout.contains("No drift"), "{}", after.stdout);
}

/// Each kind of out-of-band change the landing zone can suffer, one at a time: `drift` reports
/// it (exit 2, naming the address, zero writes); `apply` repairs it; `drift` is clean again.
#[tokio::test(flavor = "multi_thread")]
async fn every_kind_of_out_of_band_change_is_reported_then_repaired() {
    let env = Env::reference();
    let bp = reference();
    let b = bp.to_str().unwrap();
    env.apply(&bp).ok();
    let org = env.org();
    let (_, accounts) = read_org(&org).await;
    let id = |email: &str| accounts[email].id.clone();
    let (jira, identity, log) =
        (id("aws+jira-prod@acme.example"), id("aws+identity@acme.example"), id("aws+log-archive@acme.example"));
    let root = org.list_roots().send().await.unwrap().roots()[0].id().unwrap().to_owned();
    let tops = org.list_organizational_units_for_parent().parent_id(&root).send().await.unwrap();
    let ou = |name: &str| {
        tops.organizational_units().iter().find(|o| o.name() == Some(name)).unwrap().id().unwrap().to_owned()
    };
    let scp = |name: &'static str| {
        let org = org.clone();
        async move {
            let list = org
                .list_policies()
                .filter(aws_sdk_organizations::types::PolicyType::ServiceControlPolicy)
                .send()
                .await
                .unwrap();
            list.policies().iter().find(|p| p.name() == Some(name)).unwrap().id().unwrap().to_owned()
        }
    };
    let ct = aws_sdk_cloudtrail::Client::new(
        &env.moto.sdk_config().into_builder().region(aws_config::Region::new("eu-west-1")).build(),
    );
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&env.moto.member_config(&log, "eu-west-1").await)
            .force_path_style(true)
            .build(),
    );
    let hub = aws_sdk_iam::Client::new(&env.moto.member_config(&identity, "us-east-1").await);
    let jira_iam = aws_sdk_iam::Client::new(&env.moto.member_config(&jira, "us-east-1").await);

    let kinds = [
        "account moved to another OU",
        "OU tag changed",
        "account tag removed",
        "trail stopped logging",
        "bucket public-access block deleted",
        "SCP detached",
        "SCP document edited",
        "policy attached directly to a user",
        "user removed from a group",
        "role trust loosened",
    ];
    for (i, kind) in kinds.iter().enumerate() {
        let expected = match i {
            0 => {
                let parent =
                    org.list_parents().child_id(&jira).send().await.unwrap().parents()[0].id().unwrap().to_owned();
                org.move_account()
                    .account_id(&jira)
                    .source_parent_id(parent)
                    .destination_parent_id(ou("Sandbox"))
                    .send()
                    .await
                    .unwrap();
                "account/jira-prod"
            }
            1 => {
                let tag = Tag::builder().key("Owner").value("someone").build().unwrap();
                org.tag_resource().resource_id(ou("Security")).tags(tag).send().await.unwrap();
                "ou/Security"
            }
            2 => {
                org.untag_resource().resource_id(&identity).tag_keys("CostCenter").send().await.unwrap();
                "account/identity"
            }
            3 => {
                ct.stop_logging().name("org-trail").send().await.unwrap();
                "trail/org-trail"
            }
            4 => {
                s3.delete_public_access_block().bucket(format!("acme-cloudtrail-{log}")).send().await.unwrap();
                "bucket/log-archive/acme-cloudtrail-{account_id}"
            }
            5 => {
                org.detach_policy()
                    .policy_id(scp("deny-leave-org").await)
                    .target_id(ou("Security"))
                    .send()
                    .await
                    .unwrap();
                "scp-attachment/deny-leave-org@Security"
            }
            6 => {
                let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"ec2:*","Resource":"*"}]}"#;
                org.update_policy().policy_id(scp("deny-root-user").await).content(doc).send().await.unwrap();
                "scp/deny-root-user"
            }
            7 => {
                hub.put_user_policy()
                    .user_name("alice")
                    .policy_name("shortcut")
                    .policy_document(
                        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
                    )
                    .send()
                    .await
                    .unwrap();
                "iam-user/identity/alice"
            }
            8 => {
                hub.remove_user_from_group().user_name("bob").group_name("webapp-admins").send().await.unwrap();
                "iam-user/identity/bob"
            }
            _ => {
                let loose = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;
                jira_iam
                    .update_assume_role_policy()
                    .role_name("jira-admin")
                    .policy_document(loose)
                    .send()
                    .await
                    .unwrap();
                "iam-role/jira-prod/jira-admin"
            }
        };
        let drift = env.gw(&["drift", b, "--stats", "--json", "--no-rate-limit"]);
        assert_eq!(drift.code, 2, "{kind}: {}", drift.stderr);
        assert_eq!(drift.writes(), 0, "{kind}: drift is read-only");
        let report = drift.json();
        let named: Vec<&str> = report["groups"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["differences"].as_array().unwrap())
            .map(|d| d["address"].as_str().unwrap())
            .collect();
        assert_eq!(named, [expected], "{kind}: {report:#}");
        env.apply(&bp).ok();
        let after = env.gw(&["drift", b, "--no-rate-limit"]);
        assert_eq!(after.code, 0, "{kind}: not repaired:\n{}{}", after.stdout, after.stderr);
    }
}

/// A member's access role trusts another account (out of band): `drift` exits 2 naming it and
/// the principal, `plan` reports it in its drift note, and `apply` leaves the trust alone
/// (rewriting the access role's trust could lock groundwork out); a clean landing zone has no
/// such drift.
#[tokio::test(flavor = "multi_thread")]
async fn a_wider_access_role_trust_is_drift_that_apply_never_rewrites() {
    let env = Env::reference();
    let bp = reference();
    let b = bp.to_str().unwrap();
    env.apply(&bp).ok();
    let clean = env.gw(&["drift", b, "--json", "--no-rate-limit"]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);

    let (_, accounts) = read_org(&env.org()).await;
    let jira = accounts["aws+jira-prod@acme.example"].id.clone();
    let iam = aws_sdk_iam::Client::new(&env.moto.member_config(&jira, "us-east-1").await);
    let loose = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root","arn:aws:iam::999999999999:root"]},"Action":"sts:AssumeRole"}]}"#;
    iam.update_assume_role_policy()
        .role_name("OrganizationAccountAccessRole")
        .policy_document(loose)
        .send()
        .await
        .unwrap();

    let drift = env.gw(&["drift", b, "--stats", "--json", "--no-rate-limit"]);
    assert_eq!(drift.code, 2, "{}{}", drift.stdout, drift.stderr);
    assert_eq!(drift.writes(), 0);
    let report = drift.json();
    assert_eq!(report["differences"], 1, "{report:#}");
    let found: Vec<&serde_json::Value> =
        report["groups"].as_array().unwrap().iter().flat_map(|g| g["differences"].as_array().unwrap()).collect();
    assert_eq!(found.len(), 1, "{report:#}");
    assert_eq!(found[0]["address"], "access-role/jira-prod");
    assert_eq!(found[0]["kind"], "not-repaired");
    assert_eq!(found[0]["values"], serde_json::json!(["arn:aws:iam::999999999999:root"]));
    let text = env.gw(&["drift", b, "--no-rate-limit"]);
    assert_eq!(text.code, 2);
    assert!(
        text.stdout.contains("access-role/jira-prod") && text.stdout.contains("arn:aws:iam::999999999999:root"),
        "{}",
        text.stdout
    );

    // The plan names it as drift and plans nothing for it; apply writes nothing and the trust
    // stays as it was.
    let plan = env.plan_json(&bp).ok();
    assert_eq!(plan.json()["changes"], serde_json::json!([]), "{}", plan.stdout);
    assert!(plan.json()["drift"].to_string().contains("999999999999"), "{}", plan.stdout);
    let rerun = env.apply(&bp).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);
    let role = iam.get_role().role_name("OrganizationAccountAccessRole").send().await.unwrap();
    let doc = role.role().unwrap().assume_role_policy_document().unwrap().to_owned();
    assert!(doc.contains("999999999999"), "apply must not rewrite the access role's trust: {doc}");
}

/// `organization.deployer_role`: the management account's deployer role may be trusted by the
/// access role too, and that is not drift.
#[tokio::test(flavor = "multi_thread")]
async fn the_deployer_role_is_an_allowed_principal_of_the_access_role() {
    let env = Env::reference();
    let text = std::fs::read_to_string(reference()).unwrap().replacen(
        "organization:\n",
        "organization:\n  deployer_role: GroundworkDeployer\n",
        1,
    );
    let bp = env.home.path().join("deployer.yaml");
    std::fs::write(&bp, text).unwrap();
    let b = bp.to_str().unwrap();
    env.apply(&bp).ok();
    let (_, accounts) = read_org(&env.org()).await;
    let jira = accounts["aws+jira-prod@acme.example"].id.clone();
    let iam = aws_sdk_iam::Client::new(&env.moto.member_config(&jira, "us-east-1").await);
    let with_deployer = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root","arn:aws:iam::123456789012:role/GroundworkDeployer"]},"Action":"sts:AssumeRole"}]}"#;
    iam.update_assume_role_policy()
        .role_name("OrganizationAccountAccessRole")
        .policy_document(with_deployer)
        .send()
        .await
        .unwrap();
    let drift = env.gw(&["drift", b, "--json", "--no-rate-limit"]);
    assert_eq!(drift.code, 0, "{}{}", drift.stdout, drift.stderr);
}
