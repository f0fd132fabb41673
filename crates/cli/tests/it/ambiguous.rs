//! Lost answers: a write that was carried out but whose answer never arrived. With the fault
//! proxy dropping the first answer of every write (forwarded to moto, then the connection closed),
//! or at 20% random faults of every kind, one `apply` of the reference blueprint succeeds with no
//! rerun, the organization holds no duplicate of anything, and the next plan is empty.

use std::collections::{BTreeMap, BTreeSet};

use groundwork_testkit::{FaultProxy, FaultRule, ProxyConfig};

use crate::common::{Env, Run, read_org, reference};

fn soak() -> bool {
    std::env::var_os("GROUNDWORK_SOAK").is_some_and(|v| v == "1")
}

/// One `apply` through `endpoint`; it must succeed the first time.
fn apply_once(env: &Env, endpoint: &str) -> Run {
    let out = env
        .command(endpoint, &["apply", reference().to_str().unwrap(), "--auto-approve", "--no-rate-limit"])
        .output()
        .unwrap();
    Run::from_output(&out).ok()
}

/// Reads everything groundwork wrote with plain SDK calls and panics on any duplicate: accounts
/// by email and OUs by path (`read_org`), SCPs by name, SCP attachments per target, and in every
/// account: policy versions (at most 2), group members, instance-profile roles, attachments.
async fn assert_no_duplicates(env: &Env) -> (usize, usize) {
    let (ous, accounts) = read_org(&env.org()).await;
    let org = env.org();
    let scps = org
        .list_policies()
        .filter(aws_sdk_organizations::types::PolicyType::ServiceControlPolicy)
        .send()
        .await
        .unwrap();
    let mut names = BTreeSet::new();
    for p in scps.policies() {
        assert!(names.insert(p.name().unwrap().to_owned()), "duplicate SCP {:?}", p.name());
    }
    assert!(!ous.is_empty());
    let mut targets: Vec<String> = Vec::new();
    let roots = org.list_roots().send().await.unwrap();
    targets.push(roots.roots()[0].id().unwrap().to_owned());
    for a in accounts.values() {
        targets.push(a.id.clone());
    }
    let mut parents = vec![targets[0].clone()];
    while let Some(p) = parents.pop() {
        let children = org.list_organizational_units_for_parent().parent_id(&p).send().await.unwrap();
        for ou in children.organizational_units() {
            targets.push(ou.id().unwrap().to_owned());
            parents.push(ou.id().unwrap().to_owned());
        }
    }
    for t in &targets {
        let attached = org
            .list_policies_for_target()
            .target_id(t)
            .filter(aws_sdk_organizations::types::PolicyType::ServiceControlPolicy)
            .send()
            .await
            .unwrap();
        let ids: Vec<&str> = attached.policies().iter().filter_map(|p| p.id()).collect();
        assert_eq!(ids.len(), ids.iter().collect::<BTreeSet<_>>().len(), "duplicate SCP attachment on {t}");
    }
    let mut entities = 0;
    for a in accounts.values() {
        let iam = aws_sdk_iam::Client::new(&env.moto.member_config(&a.id, "us-east-1").await);
        let policies = iam.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).send().await.unwrap();
        for p in policies.policies() {
            let versions = iam.list_policy_versions().policy_arn(p.arn().unwrap()).send().await.unwrap();
            assert!(versions.versions().len() <= 2, "{:?}: {} versions", p.arn(), versions.versions().len());
            entities += 1;
        }
        for g in iam.list_groups().send().await.unwrap().groups() {
            let got = iam.get_group().group_name(g.group_name()).send().await.unwrap();
            let members: Vec<&str> = got.users().iter().map(aws_sdk_iam::types::User::user_name).collect();
            assert_eq!(members.len(), members.iter().collect::<BTreeSet<_>>().len(), "{}: {members:?}", g.group_name());
            let att = iam.list_attached_group_policies().group_name(g.group_name()).send().await.unwrap();
            let arns: Vec<_> = att.attached_policies().iter().filter_map(|p| p.policy_arn()).collect();
            assert_eq!(arns.len(), arns.iter().collect::<BTreeSet<_>>().len(), "{}: {arns:?}", g.group_name());
            entities += 1;
        }
        for r in iam.list_roles().send().await.unwrap().roles() {
            let att = iam.list_attached_role_policies().role_name(r.role_name()).send().await.unwrap();
            let arns: Vec<_> = att.attached_policies().iter().filter_map(|p| p.policy_arn()).collect();
            assert_eq!(arns.len(), arns.iter().collect::<BTreeSet<_>>().len(), "{}: {arns:?}", r.role_name());
            entities += 1;
        }
        for p in iam.list_instance_profiles().send().await.unwrap().instance_profiles() {
            assert!(p.roles().len() <= 1, "{}: {} roles", p.instance_profile_name(), p.roles().len());
            entities += 1;
        }
        entities += iam.list_users().send().await.unwrap().users().len();
    }
    (accounts.len(), entities)
}

/// The organization as a fault-free apply leaves it (OUs with tags, accounts by email).
async fn shape(env: &Env) -> (Vec<String>, BTreeMap<String, (String, String)>) {
    let (ous, accounts) = read_org(&env.org()).await;
    (ous.into_keys().collect(), accounts.into_iter().map(|(e, s)| (e, (s.name, s.ou))).collect())
}

fn assert_next_plan_is_empty(env: &Env) {
    let plan = env.plan_json(&reference()).ok();
    assert_eq!(plan.json()["changes"].as_array().unwrap().len(), 0, "{}", plan.stdout);
    assert_eq!(plan.writes(), 0);
}

#[tokio::test(flavor = "multi_thread")]
#[expect(clippy::print_stderr, reason = "what was dropped, for docs/reliability.md")]
async fn every_write_losing_its_first_answer_still_applies_in_one_run_without_duplicates() {
    let env = Env::reference();
    let proxy = FaultProxy::start(env.port(), ProxyConfig { drop_every_write_once: true, ..ProxyConfig::default() });
    let run = apply_once(&env, &proxy.endpoint());
    let dropped = proxy.stats().total_faults();
    eprintln!("every write once: {dropped} answers dropped of {} requests", proxy.stats().requests);
    assert!(dropped >= 56, "every write lost one answer: {dropped} dropped\n{}", run.stderr);
    let (accounts, entities) = assert_no_duplicates(&env).await;
    assert_eq!(accounts, 10);
    assert!(entities > 10, "{entities}");
    let clean = Env::reference();
    clean.apply(&reference());
    assert_eq!(shape(&env).await, shape(&clean).await);
    assert_next_plan_is_empty(&env);
}

#[tokio::test(flavor = "multi_thread")]
#[expect(clippy::print_stderr, reason = "each seed's faults and time, for docs/reliability.md")]
async fn at_twenty_percent_random_faults_each_seed_converges_in_one_run() {
    let seeds: Vec<u64> = if soak() { (1..=10).collect() } else { vec![3] };
    for seed in seeds {
        let env = Env::reference();
        let proxy = FaultProxy::start(
            env.port(),
            ProxyConfig { seed, rules: vec![FaultRule::everything(0.2)], ..ProxyConfig::default() },
        );
        let started = std::time::Instant::now();
        let run = apply_once(&env, &proxy.endpoint());
        let stats = proxy.stats();
        eprintln!(
            "seed {seed}: converged in one run in {:.1}s; {} requests, faults {:?}",
            started.elapsed().as_secs_f32(),
            stats.requests,
            stats.faults
        );
        assert!(stats.total_faults() > 0, "seed {seed}: no fault\n{}", run.stderr);
        let (accounts, _) = assert_no_duplicates(&env).await;
        assert_eq!(accounts, 10, "seed {seed}");
        assert_next_plan_is_empty(&env);
    }
}
