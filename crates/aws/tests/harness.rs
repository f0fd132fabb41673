//! The harness itself: moto starts on loopback, the real SDK talks to it, and the call counter
//! sees every call with the right read/write class.

use aws_sdk_organizations::types::OrganizationFeatureSet;
use groundwork_aws::{Aws, CallCounter, ConnectOptions};
use groundwork_testkit::{MANAGEMENT_EMAIL, Moto};

#[tokio::test]
async fn sdk_calls_reach_moto_and_are_counted() {
    let moto = Moto::start();
    assert!(moto.endpoint().starts_with("http://127.0.0.1:"));
    let counter = CallCounter::new();
    let conf = aws_sdk_organizations::config::Builder::from(&moto.sdk_config()).interceptor(counter.clone()).build();
    let org = aws_sdk_organizations::Client::from_conf(conf);

    let created = org.create_organization().feature_set(OrganizationFeatureSet::All).send().await.unwrap();
    let described = org.describe_organization().send().await.unwrap();
    assert_eq!(created.organization().unwrap().id(), described.organization().unwrap().id());
    assert_eq!(described.organization().unwrap().master_account_email(), Some(MANAGEMENT_EMAIL));

    let stats = counter.snapshot();
    assert_eq!(stats.count("organizations:CreateOrganization"), 1);
    assert_eq!(stats.count("organizations:DescribeOrganization"), 1);
    assert_eq!((stats.reads(), stats.writes()), (1, 1));
}

#[tokio::test]
async fn discovery_is_read_only_and_top_down() {
    let moto = Moto::start();
    let aws = Aws::from_config(&moto.sdk_config(), &ConnectOptions::default());
    let live = aws.discover().await.unwrap();
    assert!(live.organization.is_none(), "fresh emulator has no organization");

    let org = aws_sdk_organizations::Client::new(&moto.sdk_config());
    org.create_organization().feature_set(OrganizationFeatureSet::All).send().await.unwrap();
    let root = org.list_roots().send().await.unwrap().roots()[0].id().unwrap().to_owned();
    let ou = org.create_organizational_unit().parent_id(&root).name("Workloads").send().await.unwrap();
    let ou_id = ou.organizational_unit().unwrap().id().unwrap().to_owned();
    org.create_organizational_unit().parent_id(&ou_id).name("Prod").send().await.unwrap();
    aws.counter().reset();

    let live = aws.discover().await.unwrap();
    let paths: Vec<String> = live.ous.iter().map(|o| o.path.to_string()).collect();
    assert_eq!(paths, ["Workloads", "Workloads/Prod"]);
    assert_eq!(live.accounts.len(), 1, "the management account");
    let stats = aws.counter().snapshot();
    assert_eq!(stats.writes(), 0, "{stats}");
    assert_eq!(stats.count("organizations:ListParents"), 0, "no per-account ListParents");
    assert_eq!(stats.count("organizations:ListOrganizationalUnitsForParent"), 3, "root and two OUs");
}

/// The fault proxy speaks each service's wire format: the SDK parses its throttling errors into
/// the right codes, and groundwork's retry policy treats them as transient.
#[tokio::test]
async fn injected_faults_parse_as_the_services_own_errors() {
    use groundwork_apply::ErrorKind;
    use groundwork_aws::RetryPolicy;
    use groundwork_testkit::{Fault, FaultProxy, FaultRule, ProxyConfig};
    use std::time::Duration;

    let moto = Moto::start();
    let rule = |service: &str, fault: Fault| FaultRule {
        service: Some(service.into()),
        operation: None,
        probability: 1.0,
        faults: vec![fault],
    };
    let proxy = FaultProxy::start(moto.port(), ProxyConfig::default());
    let config = groundwork_testkit::sdk_config_for(&proxy.endpoint());
    let options = ConnectOptions {
        retry: RetryPolicy { max_attempts: 3, base: Duration::from_millis(1), max_backoff: Duration::from_millis(5) },
        ..ConnectOptions::default()
    };
    let aws = Aws::from_config(&config, &options);

    let cases = [
        ("organizations", Fault::Throttle, Some("TooManyRequestsException")),
        ("organizations", Fault::ServerError, Some("InternalFailure")),
        ("organizations", Fault::Unavailable, Some("ServiceUnavailable")),
        ("organizations", Fault::ResetBefore, None),
        ("sts", Fault::Throttle, Some("Throttling")),
        ("s3", Fault::Throttle, Some("SlowDown")),
    ];
    for (service, fault, code) in cases {
        proxy.set_config(ProxyConfig { rules: vec![rule(service, fault)], ..ProxyConfig::default() });
        let err = match service {
            "organizations" => match aws.discover().await {
                Err(groundwork_aws::AwsError::Call { source, .. }) => source,
                other => panic!("{fault:?}: expected a call error, got {other:?}"),
            },
            "sts" => match aws.caller_account().await {
                Err(groundwork_aws::AwsError::Call { source, .. }) => source,
                other => panic!("{fault:?}: expected a call error, got {other:?}"),
            },
            _ => match aws.lock_holder("some-bucket", "123456789012").await {
                Err(groundwork_aws::AwsError::Call { source, .. }) => source,
                other => panic!("{fault:?}: expected a call error, got {other:?}"),
            },
        };
        assert_eq!(err.code.as_deref(), code, "{service} {fault:?}: {err}");
        assert_eq!(err.kind, ErrorKind::Ambiguous, "{service} {fault:?} is transient: {err}");
        assert!(err.message.contains("after 3 attempts"), "{service} {fault:?} was retried: {err}");
    }
    // Without faults the same calls go through the proxy to moto.
    proxy.set_config(ProxyConfig::default());
    assert!(aws.discover().await.unwrap().organization.is_none());
    assert!(proxy.stats().total_faults() >= 18);
}
