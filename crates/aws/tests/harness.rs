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
