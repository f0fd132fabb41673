//! `groundwork drift`: read-only, grouped by account, exit 0 clean / 2 drift.

use aws_sdk_organizations::types::Tag;

use crate::common::{Env, read_org, reference};

#[tokio::test(flavor = "multi_thread")]
async fn drift_reports_out_of_band_changes_by_account_and_is_clean_after_apply() {
    let env = Env::new();
    let bp = reference();
    let b = bp.to_str().unwrap();
    env.apply(&bp).ok();
    let clean = env.gw(&["drift", b, "--stats", "--json", "--no-rate-limit"]);
    assert_eq!(clean.code, 0, "{}", clean.stderr);
    assert_eq!(clean.json()["clean"], true);
    assert_eq!(clean.writes(), 0);

    // Out of band: move jira-prod, change a tag on the Security OU, drop a tag from identity.
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
