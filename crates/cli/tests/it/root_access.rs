//! IAM's centralized root access end to end: trusted access for IAM, then root credentials
//! management and root sessions, read back with plain SDK calls; a rerun writes nothing; a
//! feature turned off out of band is drift that apply turns back on.
//!
//! moto 5.1.22 refuses trusted access for `iam.amazonaws.com` and lacks IAM's organization
//! features: the proxy's root-access shim (`ProxyConfig::root_access`) answers them, refusing
//! the features before IAM's trusted access as AWS does.

use groundwork_testkit::{FaultProxy, ProxyConfig};

use crate::common::{Env, Run};

const BLUEPRINT: &str = "version: 1
organization:
  name: acme
  home_region: eu-west-1
  management_account: { email: master@example.com }
organizational_units:
  - name: Workloads
accounts:
  - { name: app, email: aws+app@acme.example, ou: Workloads }
baseline: { enabled: false }
root_access:
  credentials_management: true
  root_sessions: true
";

#[tokio::test(flavor = "multi_thread")]
async fn root_access_features_are_enabled_read_back_and_repaired() {
    let env = Env::new();
    let proxy = FaultProxy::start(env.moto.port(), ProxyConfig { root_access: true, ..ProxyConfig::default() });
    let gw = |args: &[&str]| Run::from_output(&env.command(&proxy.endpoint(), args).output().unwrap());
    let bp = env.path("root-access.yaml");
    std::fs::write(&bp, BLUEPRINT).unwrap();
    let b = bp.to_str().unwrap();
    let apply = || gw(&["apply", b, "--auto-approve", "--json", "--stats", "--no-rate-limit"]);
    apply().ok();

    // Read back through the proxy with plain SDK calls.
    let config = env.moto.sdk_config().into_builder().endpoint_url(proxy.endpoint()).build();
    let org = aws_sdk_organizations::Client::new(&config);
    let access = org.list_aws_service_access_for_organization().send().await.unwrap();
    let principals: Vec<&str> =
        access.enabled_service_principals().iter().filter_map(|p| p.service_principal()).collect();
    assert!(principals.contains(&"iam.amazonaws.com"), "{principals:?}");
    let iam = aws_sdk_iam::Client::new(&config);
    let features = iam.list_organizations_features().send().await.unwrap();
    let mut enabled: Vec<&str> =
        features.enabled_features().iter().map(aws_sdk_iam::types::FeatureType::as_str).collect();
    enabled.sort_unstable();
    assert_eq!(enabled, ["RootCredentialsManagement", "RootSessions"]);
    // Trusted access came first (the shim refuses the features before it, as AWS does).
    let seen = proxy.root_access_requests();
    assert_eq!(seen.first().map(String::as_str), Some("EnableAWSServiceAccess"), "{seen:?}");

    let rerun = apply().ok();
    assert_eq!(rerun.writes(), 0, "{}", rerun.stderr);

    // Out of band: root sessions off. drift names it; apply turns it back on.
    iam.disable_organizations_root_sessions().send().await.unwrap();
    let drift = gw(&["drift", b, "--json", "--no-rate-limit"]);
    assert_eq!(drift.code, 2, "{}{}", drift.stdout, drift.stderr);
    assert!(drift.stdout.contains("root-access/organization"), "{}", drift.stdout);
    let repaired = apply().ok();
    // The one feature that is off is enabled again (beside the apply lock's own writes).
    let writes = &repaired.stats()["write_calls"];
    assert_eq!(writes["iam:EnableOrganizationsRootSessions"], 1, "{}", repaired.stderr);
    assert!(writes.get("iam:EnableOrganizationsRootCredentialsManagement").is_none(), "{writes}");
    assert!(writes.get("organizations:EnableAWSServiceAccess").is_none(), "{writes}");
    let features = iam.list_organizations_features().send().await.unwrap();
    assert_eq!(features.enabled_features().len(), 2);
}
