//! The account baseline end to end: S3's account-level public access block in every account and
//! EBS encryption by default in each account's regions (the region lock's allowed regions, else
//! the home region), read back with plain SDK calls; a rerun writes nothing and reads each once
//! per (account, region); an out-of-band change to each is reported by `drift` and repaired by
//! `apply`.

use aws_sdk_s3control::types::PublicAccessBlockConfiguration;

use crate::common::{Env, read_org};

/// The management account and two members; a region lock on the Workloads OU only.
const BLUEPRINT: &str = "version: 1
organization:
  name: acme
  home_region: eu-west-1
  management_account: { email: master@example.com }
organizational_units:
  - name: Security
  - name: Workloads
accounts:
  - { name: log-archive, email: aws+log-archive@acme.example, ou: Security, purpose: log-archive }
  - { name: app-prod, email: aws+app-prod@acme.example, ou: Workloads }
guardrails:
  policies:
    - name: region-lock
      builtin: deny-regions-outside
      allowed_regions: [eu-west-1, eu-central-1]
      targets: [{ ou: Workloads }]
";

/// S3 Control's endpoint rules put the account id in front of the host; against the emulator
/// the endpoint is used as it is (as groundwork does).
#[derive(Debug)]
struct Emulator(String);

impl aws_sdk_s3control::config::endpoint::ResolveEndpoint for Emulator {
    fn resolve_endpoint<'a>(
        &'a self,
        _params: &'a aws_sdk_s3control::config::endpoint::Params,
    ) -> aws_sdk_s3control::config::endpoint::EndpointFuture<'a> {
        aws_sdk_s3control::config::endpoint::EndpointFuture::ready(Ok(
            aws_sdk_s3control::config::endpoint::Endpoint::builder().url(self.0.clone()).build(),
        ))
    }
}

/// Account ids by blueprint name (`management` for the management account).
async fn ids(env: &Env) -> Vec<(&'static str, String)> {
    let (_, accounts) = read_org(&env.org()).await;
    vec![
        ("management", "123456789012".to_owned()),
        ("log-archive", accounts["aws+log-archive@acme.example"].id.clone()),
        ("app-prod", accounts["aws+app-prod@acme.example"].id.clone()),
    ]
}

/// The SDK configuration of an account in a region: the caller's for the management account,
/// else the access role's.
pub(crate) async fn config(env: &Env, id: &str, region: &str) -> aws_config::SdkConfig {
    if id == "123456789012" {
        env.moto.sdk_config().into_builder().region(aws_config::Region::new(region.to_owned())).build()
    } else {
        env.moto.member_config(id, region).await
    }
}

pub(crate) async fn s3control(env: &Env, id: &str) -> aws_sdk_s3control::Client {
    let conf = aws_sdk_s3control::config::Builder::from(&config(env, id, "eu-west-1").await)
        .endpoint_resolver(Emulator(env.moto.endpoint()))
        .build();
    aws_sdk_s3control::Client::from_conf(conf)
}

/// The four flags of an account's public access block, read with a plain SDK call.
async fn public_access_block(env: &Env, id: &str) -> [Option<bool>; 4] {
    let out = s3control(env, id).await.get_public_access_block().account_id(id).send().await.unwrap();
    let p = out.public_access_block_configuration().unwrap();
    [p.block_public_acls(), p.ignore_public_acls(), p.block_public_policy(), p.restrict_public_buckets()]
}

/// Whether EBS encryption by default is on in a region of an account, read with a plain call.
async fn ebs_encryption(env: &Env, id: &str, region: &str) -> bool {
    let ec2 = aws_sdk_ec2::Client::new(&config(env, id, region).await);
    ec2.get_ebs_encryption_by_default().send().await.unwrap().ebs_encryption_by_default().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_baseline_is_built_in_every_account_and_region_and_drift_is_repaired() {
    let env = Env::new();
    let bp = env.path("baseline.yaml");
    std::fs::write(&bp, BLUEPRINT).unwrap();
    let b = bp.to_str().unwrap();
    env.apply(&bp).ok();

    let ids = ids(&env).await;
    for (name, id) in &ids {
        assert_eq!(public_access_block(&env, id).await, [Some(true); 4], "{name}");
        assert!(ebs_encryption(&env, id, "eu-west-1").await, "{name}: the home region");
    }
    // The region lock of Workloads allows eu-central-1 as well: app-prod gets it there; the
    // accounts no region lock applies to get the home region only.
    let id = |name: &str| ids.iter().find(|(n, _)| *n == name).unwrap().1.clone();
    assert!(ebs_encryption(&env, &id("app-prod"), "eu-central-1").await);
    assert!(!ebs_encryption(&env, &id("log-archive"), "eu-central-1").await);
    assert!(!ebs_encryption(&env, &id("management"), "eu-central-1").await);

    // A rerun plans nothing, writes nothing, and reads each setting once.
    let rerun = env.apply(&bp).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);
    let stats = rerun.stats();
    let count = |op: &str| stats["api_calls"][op].as_u64().unwrap_or(0);
    assert_eq!(count("s3control:GetPublicAccessBlock"), 3, "{stats:#}");
    assert_eq!(count("ec2:GetEbsEncryptionByDefault"), 4, "{stats:#}");

    // Out of band: one flag off in app-prod, EBS encryption off in its second region.
    let off = PublicAccessBlockConfiguration::builder()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(false)
        .restrict_public_buckets(true)
        .build();
    s3control(&env, &id("app-prod"))
        .await
        .put_public_access_block()
        .account_id(id("app-prod"))
        .public_access_block_configuration(off)
        .send()
        .await
        .unwrap();
    aws_sdk_ec2::Client::new(&config(&env, &id("app-prod"), "eu-central-1").await)
        .disable_ebs_encryption_by_default()
        .send()
        .await
        .unwrap();

    let drift = env.gw(&["drift", b, "--stats", "--json", "--no-rate-limit"]);
    assert_eq!(drift.code, 2, "{}{}", drift.stdout, drift.stderr);
    assert_eq!(drift.writes(), 0, "drift is read-only");
    let report = drift.json();
    let mut named: Vec<&str> = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["differences"].as_array().unwrap())
        .map(|d| d["address"].as_str().unwrap())
        .collect();
    named.sort_unstable();
    assert_eq!(
        named,
        ["ebs-encryption/app-prod/eu-central-1", "s3-account-public-access-block/app-prod"],
        "{report:#}"
    );

    // One write each, besides the apply lock's object in the state bucket.
    let repaired = env.apply(&bp).ok();
    let writes = repaired.stats()["write_calls"].clone();
    let repairs: Vec<(&String, &serde_json::Value)> =
        writes.as_object().unwrap().iter().filter(|(op, _)| !op.starts_with("s3:")).collect();
    assert_eq!(
        repairs,
        [
            (&"ec2:EnableEbsEncryptionByDefault".to_owned(), &serde_json::json!(1)),
            (&"s3control:PutPublicAccessBlock".to_owned(), &serde_json::json!(1)),
        ],
        "{writes}"
    );
    assert_eq!(public_access_block(&env, &id("app-prod")).await, [Some(true); 4]);
    assert!(ebs_encryption(&env, &id("app-prod"), "eu-central-1").await);
    let after = env.gw(&["drift", b, "--no-rate-limit"]);
    assert_eq!(after.code, 0, "not repaired:\n{}{}", after.stdout, after.stderr);
}

/// `baseline: { enabled: false }`: nothing of it is planned, read or written.
#[tokio::test(flavor = "multi_thread")]
async fn a_baseline_turned_off_is_neither_read_nor_written() {
    let env = Env::new();
    let bp = env.path("off.yaml");
    std::fs::write(&bp, format!("{BLUEPRINT}baseline: {{ enabled: false }}\n")).unwrap();
    let applied = env.apply(&bp).ok();
    let stats = applied.stats();
    let ops: Vec<&String> = stats["api_calls"].as_object().unwrap().keys().collect();
    assert!(!ops.iter().any(|op| op.starts_with("s3control:") || op.starts_with("ec2:")), "{ops:?}");
}

/// The management account, the identity hub and one member; the hub's groups are granted the
/// baseline's roles.
const WITH_HUB: &str = "version: 1
organization:
  name: acme
  home_region: eu-west-1
  management_account: { email: master@example.com }
organizational_units:
  - name: Security
  - name: Workloads
accounts:
  - { name: identity, email: aws+identity@acme.example, ou: Security, purpose: identity }
  - { name: app-prod, email: aws+app-prod@acme.example, ou: Workloads }
identity:
  account: identity
  password_policy: { min_length: 16 }
  groups: [{ name: ops }, { name: auditors }]
baseline:
  regions: home
  support_role: { groups: [ops] }
  security_audit_role: { name: sec-audit, groups: [auditors, ops] }
";

/// An account's IAM client (plain SDK).
async fn iam(env: &Env, id: &str) -> aws_sdk_iam::Client {
    aws_sdk_iam::Client::new(&config(env, id, "eu-west-1").await)
}

/// A role's trust policy (decoded) and its attached managed policies, read with plain calls.
async fn role(env: &Env, id: &str, name: &str) -> (serde_json::Value, Vec<String>) {
    let iam = iam(env, id).await;
    let role = iam.get_role().role_name(name).send().await.unwrap().role.unwrap();
    let trust = crate::identity::decode(role.assume_role_policy_document().unwrap());
    let attached = iam.list_attached_role_policies().role_name(name).send().await.unwrap();
    let arns = attached.attached_policies().iter().filter_map(|p| p.policy_arn().map(str::to_owned)).collect();
    (trust, arns)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_password_policy_and_the_baseline_roles_are_built_repaired_and_imported() {
    let env = Env::new();
    let bp = env.path("hub.yaml");
    std::fs::write(&bp, WITH_HUB).unwrap();
    let b = bp.to_str().unwrap();
    env.apply(&bp).ok();

    let (_, accounts) = read_org(&env.org()).await;
    let hub = accounts["aws+identity@acme.example"].id.clone();
    let app = accounts["aws+app-prod@acme.example"].id.clone();
    let management = "123456789012".to_owned();
    for id in [&management, &hub, &app] {
        // The hub's password policy in every account.
        let p = iam(&env, id).await.get_account_password_policy().send().await.unwrap();
        assert_eq!(p.password_policy().unwrap().minimum_password_length(), Some(16), "{id}");
        // Both roles, trusting the hub's users with MFA, each with its one AWS managed policy.
        for (name, policy) in [
            ("groundwork-support", "arn:aws:iam::aws:policy/AWSSupportAccess"),
            ("sec-audit", "arn:aws:iam::aws:policy/SecurityAudit"),
        ] {
            let (trust, attached) = role(&env, id, name).await;
            assert_eq!(attached, [policy], "{id} {name}");
            let s = &trust["Statement"][0];
            let principal = s["Principal"]["AWS"].to_string();
            assert!(principal.contains(&format!("arn:aws:iam::{hub}:root")), "{trust}");
            assert_eq!(
                crate::common::as_set(&s["Condition"]["Bool"]["aws:MultiFactorAuthPresent"]),
                ["true".to_owned()].into()
            );
        }
    }
    // The hub side: ops may assume both roles, auditors the security-audit role, with MFA, in
    // the organization's accounts.
    let org_id = env.org().describe_organization().send().await.unwrap().organization.unwrap().id.unwrap();
    let hub_iam = iam(&env, &hub).await;
    for (group, roles) in [("ops", vec!["groundwork-support", "sec-audit"]), ("auditors", vec!["sec-audit"])] {
        let doc = hub_iam.get_group_policy().group_name(group).policy_name("groundwork").send().await.unwrap();
        let doc = crate::identity::decode(doc.policy_document());
        let s = crate::common::statement(&doc, "AssumeBaselineRoles");
        let expected: std::collections::BTreeSet<String> =
            roles.iter().map(|r| format!("arn:aws:iam::*:role/groundwork/{r}")).collect();
        assert_eq!(crate::common::as_set(&s["Resource"]), expected, "{group}: {doc}");
        assert_eq!(
            crate::common::as_set(&s["Condition"]["StringEquals"]["aws:ResourceOrgID"]),
            [org_id.clone()].into()
        );
    }

    // A rerun writes nothing.
    let rerun = env.apply(&bp).ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);

    // Out of band: a weaker password policy in app-prod, the support role's policy detached
    // there, the security-audit role's trust replaced in the management account.
    let app_iam = iam(&env, &app).await;
    app_iam.update_account_password_policy().minimum_password_length(8).send().await.unwrap();
    app_iam
        .detach_role_policy()
        .role_name("groundwork-support")
        .policy_arn("arn:aws:iam::aws:policy/AWSSupportAccess")
        .send()
        .await
        .unwrap();
    let anyone = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}"#;
    iam(&env, &management)
        .await
        .update_assume_role_policy()
        .role_name("sec-audit")
        .policy_document(anyone)
        .send()
        .await
        .unwrap();

    let drift = env.gw(&["drift", b, "--json", "--no-rate-limit"]);
    assert_eq!(drift.code, 2, "{}{}", drift.stdout, drift.stderr);
    let report = drift.json();
    let mut named: Vec<&str> = report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["differences"].as_array().unwrap())
        .map(|d| d["address"].as_str().unwrap())
        .collect();
    named.sort_unstable();
    assert_eq!(
        named,
        ["iam-role/app-prod/groundwork-support", "iam-role/management/sec-audit", "password-policy/app-prod"],
        "{report:#}"
    );
    env.apply(&bp).ok();
    let after = env.gw(&["drift", b, "--no-rate-limit"]);
    assert_eq!(after.code, 0, "not repaired:\n{}{}", after.stdout, after.stderr);
    assert_eq!(role(&env, &app, "groundwork-support").await.1, ["arn:aws:iam::aws:policy/AWSSupportAccess"]);

    // Import writes the baseline as it is (the roles with their name and groups), and its
    // blueprint plans nothing.
    let out = env.path("imported.yaml");
    let out_s = out.to_str().unwrap();
    env.gw(&["import", "--out", out_s, "--hub", "identity", "--home-region", "eu-west-1", "--no-rate-limit"]).ok();
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(text.contains("\nbaseline:\n"), "{text}");
    assert!(text.contains("  support_role: { groups: [ops] }\n"), "{text}");
    assert!(text.contains("  security_audit_role: { name: sec-audit, groups: [auditors, ops] }\n"), "{text}");
    assert!(text.contains("shows no changes.\n"), "{text}");
    assert!(!text.contains("AssumeBaselineRoles"), "the grant is the baseline's, not a statement: {text}");
    let plan = env.plan_json(&out).ok().json();
    let changes: Vec<&str> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] != "no-op")
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert!(changes.is_empty(), "{changes:?}\n{text}");
}
