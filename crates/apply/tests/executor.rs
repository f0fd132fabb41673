//! Executor tests with an in-memory provider that can fail on demand: ordering, skips,
//! bounded account creations, and no duplicate account after ambiguous failures.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use groundwork_apply::{
    CreateState, ErrorKind, ExecOptions, FoundAccount, Outcome, Progress, ProgressMode, Provider, ProviderError,
    execute,
};
use groundwork_blueprint::Tags;
use groundwork_plan::{Address, Desired, Ids, Live, Locator, PlanOptions, plan};

#[derive(Default)]
struct Org {
    ous: Vec<(String, String, String)>,                // id, parent, name
    accounts: Vec<(String, String, String, String)>,   // id, email, name, parent
    requests: BTreeMap<String, (String, CreateState)>, // id -> (name, state)
}

/// An in-memory organization. `fail_create_ambiguously` makes the first N CreateAccount calls
/// carry the request out but report a connection reset.
#[derive(Default)]
struct Fake {
    org: Mutex<Org>,
    fail_create_ambiguously: AtomicUsize,
    reject_ou: Mutex<Option<String>>,
    management_email: Mutex<Option<String>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    log: Mutex<Vec<String>>,
}

fn err(op: &str, kind: ErrorKind) -> ProviderError {
    ProviderError { operation: op.into(), code: None, message: "simulated".into(), kind }
}

impl Fake {
    fn next_id(&self, prefix: &str) -> String {
        let o = self.org.lock().unwrap();
        format!("{prefix}-{}", o.ous.len() + o.accounts.len() + o.requests.len())
    }
    fn record(&self, s: String) {
        self.log.lock().unwrap().push(s);
    }
}

#[async_trait]
impl Provider for Fake {
    async fn create_organization(&self) -> Result<(String, String), ProviderError> {
        self.record("CreateOrganization".into());
        Ok((
            "r-root".into(),
            self.management_email.lock().unwrap().clone().unwrap_or_else(|| "master@example.com".into()),
        ))
    }
    async fn delete_organization(&self) -> Result<(), ProviderError> {
        self.record("DeleteOrganization".into());
        Ok(())
    }
    async fn account_email(&self, account_id: &str) -> Result<String, ProviderError> {
        let o = self.org.lock().unwrap();
        Ok(o.accounts.iter().find(|a| a.0 == account_id).map(|a| a.1.clone()).unwrap_or_default())
    }
    async fn find_ou(&self, parent_id: &str, name: &str) -> Result<Option<String>, ProviderError> {
        Ok(self
            .org
            .lock()
            .unwrap()
            .ous
            .iter()
            .find(|(_, p, n)| p == parent_id && n == name)
            .map(|(id, _, _)| id.clone()))
    }
    async fn create_ou(&self, parent_id: &str, name: &str, _tags: &Tags) -> Result<String, ProviderError> {
        if self.reject_ou.lock().unwrap().as_deref() == Some(name) {
            return Err(err("CreateOrganizationalUnit", ErrorKind::Rejected));
        }
        let id = self.next_id("ou");
        self.record(format!("CreateOU {name} under {parent_id}"));
        self.org.lock().unwrap().ous.push((id.clone(), parent_id.into(), name.into()));
        Ok(id)
    }
    async fn tag_resource(&self, id: &str, _tags: &Tags) -> Result<(), ProviderError> {
        self.record(format!("Tag {id}"));
        Ok(())
    }
    async fn find_account(&self, email: &str) -> Result<Option<FoundAccount>, ProviderError> {
        let o = self.org.lock().unwrap();
        Ok(o.accounts.iter().find(|a| a.1 == email).map(|a| FoundAccount { id: a.0.clone(), parent_id: a.3.clone() }))
    }
    async fn find_create_request(&self, name: &str) -> Result<Option<String>, ProviderError> {
        let o = self.org.lock().unwrap();
        Ok(o.requests.iter().find(|(_, (n, s))| n == name && *s == CreateState::InProgress).map(|(id, _)| id.clone()))
    }
    async fn create_account(&self, name: &str, email: &str, _tags: &Tags) -> Result<String, ProviderError> {
        let n = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(n, Ordering::SeqCst);
        let id = self.next_id("acct");
        let req = format!("car-{id}");
        self.record(format!("CreateAccount {name}"));
        {
            let mut o = self.org.lock().unwrap();
            o.accounts.push((id.clone(), email.into(), name.into(), "r-root".into()));
            o.requests.insert(req.clone(), (name.into(), CreateState::Succeeded(id)));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        if self.fail_create_ambiguously.load(Ordering::SeqCst) > 0 {
            self.fail_create_ambiguously.fetch_sub(1, Ordering::SeqCst);
            return Err(err("CreateAccount", ErrorKind::Ambiguous));
        }
        Ok(req)
    }
    async fn create_account_status(&self, request_id: &str) -> Result<CreateState, ProviderError> {
        Ok(self
            .org
            .lock()
            .unwrap()
            .requests
            .get(request_id)
            .map_or(CreateState::Failed("unknown".into()), |r| r.1.clone()))
    }
    async fn move_account(&self, account_id: &str, from: &str, to: &str) -> Result<(), ProviderError> {
        self.record(format!("Move {account_id} {from} -> {to}"));
        let mut o = self.org.lock().unwrap();
        let a = o.accounts.iter_mut().find(|a| a.0 == account_id).unwrap();
        assert_eq!(a.3, from, "moved from the wrong parent");
        a.3 = to.into();
        Ok(())
    }
    async fn organization_ids(&self) -> Result<(String, String), ProviderError> {
        Ok(("o-fake".into(), "999999999999".into()))
    }
    async fn put_resource(
        &self,
        at: &Locator,
        spec: &serde_json::Value,
        _live: Option<&serde_json::Value>,
        ids: &Ids,
    ) -> Result<String, ProviderError> {
        let account = ids.account_id(at.account.as_deref()).unwrap_or("?").to_owned();
        self.record(format!("Put {} {} in {account}: {spec}", at.kind, at.name));
        Ok("put".into())
    }
}

/// The reference blueprint.
fn full() -> Desired {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../blueprints/landing-zone.yaml");
    Desired::from_blueprint(&groundwork_blueprint::load(&path).unwrap().blueprint)
}

/// The reference blueprint's organization slice (OUs and accounts).
fn desired() -> Desired {
    Desired { resources: Vec::new(), ..full() }
}

#[tokio::test]
async fn resources_run_after_what_they_name_with_ids_filled_in() {
    let fake = Arc::new(Fake::default());
    let p = plan(&full(), &Live::default(), PlanOptions::default());
    let progress = Arc::new(Progress::new(ProgressMode::Quiet, p.changes.len()));
    let provider: Arc<dyn Provider> = fake.clone();
    let report = execute(&p, &Live::default(), provider, options(), progress).await;
    assert_eq!(report.failed() + report.skipped(), 0, "{:?}", report.results);
    let log = fake.log.lock().unwrap().clone();
    let pos =
        |prefix: &str| log.iter().position(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("{prefix}: {log:#?}"));
    // The bucket is named after the log-archive account, created in this same run.
    let log_archive = fake.org.lock().unwrap().accounts.iter().find(|a| a.2 == "log-archive").unwrap().0.clone();
    let log_bucket = format!("Put bucket acme-cloudtrail-{log_archive}");
    let bucket = &log[pos(&log_bucket)];
    // The access-log bucket first: the log bucket's PutBucketLogging needs its policy.
    assert!(pos("Put bucket acme-cloudtrail-access-") < pos(&log_bucket));
    assert!(bucket.contains(&format!("acme-cloudtrail-{log_archive} in {log_archive}")), "{bucket}");
    assert!(bucket.contains("o-fake") && bucket.contains("999999999999"), "org and management ids filled in: {bucket}");
    assert!(!log.iter().any(|l| l.contains("{{")), "a placeholder reached the provider: {log:#?}");
    assert!(pos("CreateAccount log-archive") < pos("Put bucket"));
    assert!(pos(&log_bucket) < pos("Put trail"));
    assert!(pos("Put service-access") < pos("Put trail"));
    assert!(pos("Put policy-type") < pos("Put scp "));
    assert!(pos("Put scp ") < pos("Put scp-attachment"));
}

fn options() -> ExecOptions {
    ExecOptions { poll_interval: Duration::from_millis(1), ..ExecOptions::default() }
}

async fn run(fake: &Arc<Fake>, opts: ExecOptions) -> groundwork_apply::Report {
    let p = plan(&desired(), &Live::default(), PlanOptions::default());
    let progress = Arc::new(Progress::new(ProgressMode::Quiet, p.changes.len()));
    let provider: Arc<dyn Provider> = fake.clone();
    execute(&p, &Live::default(), provider, opts, progress).await
}

#[tokio::test]
async fn applies_everything_parents_first_with_bounded_account_creations() {
    let fake = Arc::new(Fake::default());
    let report = run(&fake, ExecOptions { max_account_creations: 2, ..options() }).await;
    assert_eq!((report.done(), report.failed(), report.skipped()), (17, 0, 0), "{:?}", report.results);
    assert!(fake.max_in_flight.load(Ordering::SeqCst) <= 2);
    let log = fake.log.lock().unwrap().clone();
    let pos = |prefix: &str| {
        log.iter().position(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("{prefix} not in {log:?}"))
    };
    assert!(pos("CreateOrganization") < pos("CreateOU Workloads"));
    assert!(pos("CreateOU Workloads under") < pos("CreateOU Prod"));
    let o = fake.org.lock().unwrap();
    assert_eq!(o.accounts.len(), 9);
    assert!(o.accounts.iter().all(|a| a.3 != "r-root"), "every account moved out of the root");
}

#[tokio::test]
async fn ambiguous_create_account_never_creates_a_duplicate() {
    let fake = Arc::new(Fake::default());
    // Every CreateAccount goes through but reports a reset, twice over the run.
    fake.fail_create_ambiguously.store(2, Ordering::SeqCst);
    let report = run(&fake, options()).await;
    assert_eq!(report.failed(), 0, "{:?}", report.results);
    let o = fake.org.lock().unwrap();
    let mut emails: Vec<&str> = o.accounts.iter().map(|a| a.1.as_str()).collect();
    emails.sort_unstable();
    emails.dedup();
    assert_eq!(emails.len(), o.accounts.len(), "duplicate account created");
    assert_eq!(o.accounts.len(), 9);
    let creates = fake.log.lock().unwrap().iter().filter(|l| l.starts_with("CreateAccount")).count();
    assert_eq!(creates, 9, "an ambiguous CreateAccount is never resent blindly");
}

#[tokio::test]
async fn a_failed_ou_skips_only_its_dependents() {
    let fake = Arc::new(Fake::default());
    *fake.reject_ou.lock().unwrap() = Some("Workloads".into());
    let report = run(&fake, options()).await;
    let outcome = |a: &str| report.results.iter().find(|(addr, _)| addr.as_str() == a).map(|(_, o)| o.clone()).unwrap();
    assert!(matches!(outcome("ou/Workloads"), Outcome::Failed(_)));
    assert_eq!(
        outcome("ou/Workloads/Prod"),
        Outcome::Skipped(Address::ou(&groundwork_blueprint::OuPath::parse("Workloads")))
    );
    assert!(matches!(outcome("account/jira-prod"), Outcome::Skipped(_)));
    assert!(matches!(outcome("account/log-archive"), Outcome::Done(_)));
    assert_eq!(report.failed(), 1);
    assert_eq!(report.skipped(), 3 + 5, "3 child OUs and 5 workload accounts");
}

#[tokio::test]
async fn an_in_flight_request_from_a_killed_run_is_resumed() {
    let fake = Arc::new(Fake::default());
    let d = desired();
    let mut live = Live::default();
    live.create_requests.push(groundwork_plan::CreateRequest {
        id: "car-old".into(),
        account_name: "log-archive".into(),
        state: "IN_PROGRESS".into(),
        failure_reason: None,
    });
    fake.org
        .lock()
        .unwrap()
        .requests
        .insert("car-old".into(), ("log-archive".into(), CreateState::Succeeded("111".into())));
    fake.org.lock().unwrap().accounts.push((
        "111".into(),
        "aws+log-archive@acme.example".into(),
        "log-archive".into(),
        "r-root".into(),
    ));
    let p = plan(&d, &live, PlanOptions::default());
    let progress = Arc::new(Progress::new(ProgressMode::Quiet, p.changes.len()));
    let provider: Arc<dyn Provider> = fake.clone();
    let report = execute(&p, &live, provider, options(), progress).await;
    assert_eq!(report.failed(), 0, "{:?}", report.results);
    let log = fake.log.lock().unwrap();
    assert!(!log.iter().any(|l| l == "CreateAccount log-archive"), "request was resent: {log:?}");
    assert!(log.iter().any(|l| l.starts_with("Move 111")));
}

#[tokio::test]
async fn creating_an_organization_in_the_wrong_account_is_undone() {
    let fake = Arc::new(Fake::default());
    *fake.management_email.lock().unwrap() = Some("someone@else.example".into());
    let report = run(&fake, options()).await;
    let (_, first) = report.results.iter().find(|(a, _)| *a == Address::organization()).unwrap();
    assert!(matches!(first, Outcome::Failed(m) if m.contains("not the blueprint's management account")), "{first:?}");
    assert_eq!(report.skipped(), 16, "everything else depends on the organization");
    let log = fake.log.lock().unwrap();
    assert_eq!(*log, ["CreateOrganization", "DeleteOrganization"]);
}
