//! The dependency walk: a change starts when every change it depends on has finished; a failed
//! change skips its dependents (reported once each); concurrency is bounded overall and for
//! account creations.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use groundwork_blueprint::{OuPath, Tags};
use groundwork_plan::{Address, Change, Ids, Live, Operation, Plan, has_placeholder, is_unresolved};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::progress::Progress;
use crate::provider::{CreateState, ErrorKind, FoundAccount, Provider, ProviderError};

/// Executor settings.
#[derive(Debug, Clone, Copy)]
pub struct ExecOptions {
    /// Changes in flight at once.
    pub parallelism: usize,
    /// CreateAccount requests in flight at once (AWS allows 5).
    pub max_account_creations: usize,
    /// How long to wait for one CreateAccount request.
    pub create_timeout: Duration,
    /// First interval between DescribeCreateAccountStatus polls (grows to 10 s).
    pub poll_interval: Duration,
}

impl Default for ExecOptions {
    fn default() -> Self {
        ExecOptions {
            parallelism: 10,
            max_account_creations: 5,
            create_timeout: Duration::from_mins(30),
            poll_interval: Duration::from_millis(500),
        }
    }
}

/// How one change ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Carried out; the text says what happened.
    Done(String),
    /// Failed with this message.
    Failed(String),
    /// Not attempted because a change it depends on did not succeed.
    Skipped(Address),
}

/// The result of an apply.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Every change with its outcome, in the order they ended.
    pub results: Vec<(Address, Outcome)>,
}

impl Report {
    /// Number of failed changes.
    pub fn failed(&self) -> usize {
        self.results.iter().filter(|(_, o)| matches!(o, Outcome::Failed(_))).count()
    }

    /// Number of skipped changes.
    pub fn skipped(&self) -> usize {
        self.results.iter().filter(|(_, o)| matches!(o, Outcome::Skipped(_))).count()
    }

    /// Number of changes carried out.
    pub fn done(&self) -> usize {
        self.results.iter().filter(|(_, o)| matches!(o, Outcome::Done(_))).count()
    }
}

/// Ids known so far: from the plan and discovery, then from what this run creates.
#[derive(Debug, Default)]
struct Known {
    ids: Ids,
    /// In-progress CreateAccount requests by account name, from discovery.
    in_flight: HashMap<String, String>,
}

impl Known {
    fn parent_id(&self, path: &OuPath) -> Result<String, String> {
        let id = if path.is_root() { self.ids.root_id.clone() } else { self.ids.ous.get(path).cloned() };
        id.ok_or_else(|| format!("the id of {path} is not known (was it created?)"))
    }
}

struct Ctx {
    provider: Arc<dyn Provider>,
    known: Mutex<Known>,
    creations: Semaphore,
    options: ExecOptions,
    progress: Arc<Progress>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum NodeState {
    Pending,
    Running,
    Ended(bool),
}

/// The dependency walk's bookkeeping (Kahn's algorithm): per change, how many of its
/// dependencies have not finished yet and which changes depend on it; the changes whose
/// dependencies all succeeded wait in a queue. A completion touches only its dependents.
struct Walk<'a> {
    changes: &'a [Change],
    state: Vec<NodeState>,
    /// Dependencies (in the plan) not yet finished, per change.
    waiting: Vec<usize>,
    /// The changes that depend on each change (once per mention).
    dependents: Vec<Vec<usize>>,
    /// Ready to start, in plan order among those that became ready together.
    ready: VecDeque<usize>,
    /// Changes that name a dependency the plan lacks, with the first such address.
    unknown: Vec<(usize, Address)>,
}

impl<'a> Walk<'a> {
    fn new(changes: &'a [Change]) -> Self {
        let index: HashMap<&Address, usize> = changes.iter().enumerate().map(|(i, c)| (&c.address, i)).collect();
        let mut walk = Walk {
            changes,
            state: vec![NodeState::Pending; changes.len()],
            waiting: vec![0; changes.len()],
            dependents: vec![Vec::new(); changes.len()],
            ready: VecDeque::new(),
            unknown: Vec::new(),
        };
        for (i, c) in changes.iter().enumerate() {
            if let Some(unknown) = c.depends_on.iter().find(|d| !index.contains_key(d)) {
                walk.unknown.push((i, unknown.clone()));
            }
            for d in c.depends_on.iter().filter_map(|d| index.get(d).copied()) {
                walk.waiting[i] += 1;
                walk.dependents[d].push(i);
            }
        }
        walk
    }

    /// `i` succeeded: its dependents wait for one change less.
    fn succeed(&mut self, i: usize) {
        self.state[i] = NodeState::Ended(true);
        for &d in &self.dependents[i] {
            self.waiting[d] -= 1;
            if self.waiting[d] == 0 && self.state[d] == NodeState::Pending {
                self.ready.push_back(d);
            }
        }
    }

    /// `i` failed: everything that depends on it, directly or not, is skipped, each reported
    /// once with the change it waited for.
    fn fail(&mut self, i: usize, progress: &Progress, report: &mut Report) {
        self.state[i] = NodeState::Ended(false);
        self.skip_dependents(i, progress, report);
    }

    fn skip_dependents(&mut self, i: usize, progress: &Progress, report: &mut Report) {
        let mut failed = vec![i];
        while let Some(f) = failed.pop() {
            for k in 0..self.dependents[f].len() {
                let d = self.dependents[f][k];
                if self.state[d] != NodeState::Pending {
                    continue;
                }
                self.state[d] = NodeState::Ended(false);
                let (address, cause) = (&self.changes[d].address, &self.changes[f].address);
                progress.log(&format!("{address}: skipped, because {cause} did not succeed"));
                progress.advance();
                report.results.push((address.clone(), Outcome::Skipped(cause.clone())));
                failed.push(d);
            }
        }
    }
}

/// Applies `plan` to the organization described by `live` (the discovery the plan was made
/// from). Returns the outcome of every change; never panics on provider errors.
pub async fn execute(
    plan: &Plan,
    live: &Live,
    provider: Arc<dyn Provider>,
    options: ExecOptions,
    progress: Arc<Progress>,
) -> Report {
    let mut known = Known {
        ids: plan.ids.clone(),
        in_flight: live
            .create_requests
            .iter()
            .filter(|r| r.state == groundwork_plan::CreateRequestState::InProgress)
            .map(|r| (r.account_name.clone(), r.id.clone()))
            .collect(),
    };
    if let Some(org) = &live.organization {
        known.ids.root_id = Some(org.root_id.clone());
        known.ids.org_id = Some(org.id.clone());
        known.ids.management_account_id = Some(org.management_account_id.clone());
    }
    for ou in &live.ous {
        known.ids.ous.entry(ou.path.clone()).or_insert_with(|| ou.id.clone());
    }
    let ctx = Arc::new(Ctx {
        provider,
        known: Mutex::new(known),
        creations: Semaphore::new(options.max_account_creations.clamp(1, 5)),
        options,
        progress: Arc::clone(&progress),
    });
    let limit = Arc::new(Semaphore::new(options.parallelism.max(1)));
    let changes = &plan.changes;
    let mut walk = Walk::new(changes);
    let mut report = Report::default();
    let mut running: JoinSet<(usize, Result<String, String>)> = JoinSet::new();
    let mut task_index: HashMap<tokio::task::Id, usize> = HashMap::new();

    // Only a damaged or hand-edited saved plan names a dependency it lacks.
    let unknown = std::mem::take(&mut walk.unknown);
    for (i, missing) in &unknown {
        let msg = format!("depends on {missing}, which is not in the plan; make the plan again");
        progress.log(&format!("{}: FAILED: {msg}", changes[*i].address));
        progress.advance();
        report.results.push((changes[*i].address.clone(), Outcome::Failed(msg)));
        walk.state[*i] = NodeState::Ended(false);
    }
    for (i, _) in &unknown {
        walk.skip_dependents(*i, &progress, &mut report);
    }
    walk.ready.extend((0..changes.len()).filter(|&i| walk.waiting[i] == 0 && walk.state[i] == NodeState::Pending));
    loop {
        // A change starts when a slot is free, in the ready queue's order (so that with
        // `--parallelism 1` the run's order is the plan's, not the scheduler's).
        while !walk.ready.is_empty() {
            let Ok(permit) = Arc::clone(&limit).try_acquire_owned() else { break };
            let Some(i) = walk.ready.pop_front() else { break };
            walk.state[i] = NodeState::Running;
            let change = changes[i].clone();
            let ctx = Arc::clone(&ctx);
            let handle = running.spawn(async move {
                let _permit = permit;
                ctx.progress.log(&format!("{}: {}…", change.address, describe(&change)));
                let address = change.address.to_string();
                let result = crate::journal::CURRENT_ADDRESS.scope(address, run_change(&ctx, &change)).await;
                (i, result)
            });
            task_index.insert(handle.id(), i);
        }
        let Some(joined) = running.join_next_with_id().await else { break };
        let (i, result) = match joined {
            Ok((_, r)) => r,
            // A panicking task is a bug; fail its change so dependents are skipped, not lost.
            Err(e) => match task_index.get(&e.id()) {
                Some(&i) => (i, Err(format!("internal error: {e}"))),
                None => continue,
            },
        };
        progress.advance();
        let address = changes[i].address.clone();
        match result {
            Ok(done) => {
                progress.log(&format!("{address}: {done}"));
                report.results.push((address, Outcome::Done(done)));
                walk.succeed(i);
            }
            Err(e) => {
                progress.log(&format!("{address}: FAILED: {e}"));
                report.results.push((address, Outcome::Failed(e)));
                walk.fail(i, &progress, &mut report);
            }
        }
    }
    // Whatever never became ready (a dependency cycle in a damaged saved plan) is a failure,
    // never silently dropped.
    for (i, st) in walk.state.iter().enumerate() {
        if *st == NodeState::Pending {
            report.results.push((
                changes[i].address.clone(),
                Outcome::Failed("never became ready (dependency cycle in the plan?)".into()),
            ));
        }
    }
    progress.finish();
    report
}

fn describe(c: &Change) -> &'static str {
    match c.operation {
        Operation::CreateOrganization { .. } => "creating the organization",
        Operation::CreateOu { .. } => "creating OU",
        Operation::TagOu { .. } => "tagging OU",
        Operation::CreateAccount { .. } => "creating account",
        Operation::UpdateAccount { .. } => "updating account",
        Operation::Put { live: None, .. } => "creating",
        Operation::Put { live: Some(_), .. } => "converging",
        Operation::Replace { .. } => "replacing",
        Operation::Delete { .. } => "removing",
    }
}

fn fail(e: &ProviderError) -> String {
    e.to_string()
}

async fn run_change(ctx: &Ctx, change: &Change) -> Result<String, String> {
    match &change.operation {
        Operation::CreateOrganization { management_email } => {
            let (root, email) = ctx.provider.create_organization().await.map_err(|e| fail(&e))?;
            if !email.eq_ignore_ascii_case(management_email) {
                // These credentials belong to another account: it must not become a management
                // account. The new organization is still empty, so undo it.
                let undone = match ctx.provider.delete_organization().await {
                    Ok(()) => "the new, empty organization was deleted again".to_owned(),
                    Err(e) => format!("deleting the new organization failed too ({e}); delete it by hand"),
                };
                return Err(format!(
                    "the caller's account ({email}) is not the blueprint's management account ({management_email}); {undone}"
                ));
            }
            lock(&ctx.known).ids.root_id = Some(root.clone());
            if let Ok((org_id, management_id)) = ctx.provider.organization_ids().await {
                let mut k = lock(&ctx.known);
                k.ids.org_id = Some(org_id);
                k.ids.management_account_id = Some(management_id);
            }
            Ok(format!("created (root {root}, management account {email})"))
        }
        Operation::CreateOu { path, tags } => create_ou(ctx, path, tags).await,
        Operation::TagOu { path, set_tags } => {
            let id = lock(&ctx.known).parent_id(path)?;
            ctx.provider.tag_resource(&id, set_tags).await.map_err(|e| fail(&e))?;
            Ok(format!("tagged {id}"))
        }
        Operation::CreateAccount { name, email, ou, tags } => create_account(ctx, name, email, ou, tags).await,
        Operation::UpdateAccount { account_id, move_from, move_to, set_tags, email } => {
            let mut done = Vec::new();
            if let (Some(from), Some(to)) = (move_from, move_to) {
                let (from_id, to_id) = {
                    let k = lock(&ctx.known);
                    (k.parent_id(from)?, k.parent_id(to)?)
                };
                move_account(ctx, account_id, email, &from_id, &to_id).await?;
                done.push(format!("moved {from} -> {to}"));
            }
            if !set_tags.is_empty() {
                ctx.provider.tag_resource(account_id, set_tags).await.map_err(|e| fail(&e))?;
                done.push("tagged".into());
            }
            Ok(done.join(", "))
        }
        Operation::Put { at, spec, live } => {
            let ids = lock(&ctx.known).ids.clone();
            let (at, spec) = (ids.resolve_locator(at), ids.resolve_spec(spec));
            if has_placeholder(&spec) || is_unresolved(&at.name) {
                return Err(
                    "an id it refers to is still unknown (did an account or the organization fail to be created?)"
                        .into(),
                );
            }
            ctx.provider.put_resource(&at, &spec, live.as_ref(), &ids).await.map_err(|e| fail(&e))
        }
        Operation::Replace { at, spec, live } => {
            // Delete, then create from the spec: a rerun after a failure in between finds
            // nothing and creates it.
            let ids = lock(&ctx.known).ids.clone();
            let (at, spec) = (ids.resolve_locator(at), ids.resolve_spec(spec));
            if has_placeholder(&spec) || is_unresolved(&at.name) {
                return Err("an id it refers to is still unknown".into());
            }
            let deleted = ctx.provider.delete_resource(&at, live, &ids).await.map_err(|e| fail(&e))?;
            let created = ctx.provider.put_resource(&at, &spec, None, &ids).await.map_err(|e| fail(&e))?;
            Ok(format!("{deleted}; {created}"))
        }
        Operation::Delete { at, live } => {
            let ids = lock(&ctx.known).ids.clone();
            ctx.provider.delete_resource(at, live, &ids).await.map_err(|e| fail(&e))
        }
    }
}

fn lock(m: &Mutex<Known>) -> std::sync::MutexGuard<'_, Known> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Attempts of a non-idempotent write whose outcome was ambiguous.
const AMBIGUOUS_ATTEMPTS: usize = 4;

async fn create_ou(ctx: &Ctx, path: &OuPath, tags: &Tags) -> Result<String, String> {
    let parent_id = lock(&ctx.known).parent_id(&path.parent())?;
    let name = path.name();
    let mut last = String::new();
    for attempt in 0..AMBIGUOUS_ATTEMPTS {
        if attempt > 0 {
            // The previous attempt may have created it: look before creating again.
            if let Some(id) = ctx.provider.find_ou(&parent_id, name).await.map_err(|e| fail(&e))? {
                ctx.provider.tag_resource(&id, tags).await.map_err(|e| fail(&e))?;
                lock(&ctx.known).ids.ous.insert(path.clone(), id.clone());
                return Ok(format!("found {id} (created by an earlier attempt)"));
            }
        }
        match ctx.provider.create_ou(&parent_id, name, tags).await {
            Ok(id) => {
                lock(&ctx.known).ids.ous.insert(path.clone(), id.clone());
                return Ok(format!("created {id}"));
            }
            Err(e) if e.kind == ErrorKind::Ambiguous => last = fail(&e),
            Err(e) if e.code.as_deref() == Some("DuplicateOrganizationalUnitException") => {
                last = fail(&e);
            }
            Err(e) => return Err(fail(&e)),
        }
    }
    Err(last)
}

async fn move_account(ctx: &Ctx, account_id: &str, email: &str, from_id: &str, to_id: &str) -> Result<(), String> {
    let mut last = String::new();
    for _ in 0..AMBIGUOUS_ATTEMPTS {
        match ctx.provider.move_account(account_id, from_id, to_id).await {
            Ok(()) => return Ok(()),
            Err(e)
                if e.kind == ErrorKind::Ambiguous
                    || matches!(
                        e.code.as_deref(),
                        Some(
                            "SourceParentNotFoundException" | "DuplicateAccountException" | "AccountNotFoundException"
                        )
                    ) =>
            {
                last = fail(&e);
                if let Some(found) = ctx.provider.find_account(email).await.map_err(|e| fail(&e))?
                    && found.parent_id == to_id
                {
                    return Ok(());
                }
            }
            Err(e) => return Err(fail(&e)),
        }
    }
    Err(last)
}

/// Creates an account without ever creating it twice. Discovery, just before this run, listed
/// every account (by email) and every in-progress request (by name): a request left by a killed
/// run is resumed, not resent. After an ambiguous failure (the request may have gone through),
/// look for the account and the request again before resending.
async fn create_account(ctx: &Ctx, name: &str, email: &str, ou: &OuPath, tags: &Tags) -> Result<String, String> {
    let target = lock(&ctx.known).parent_id(ou)?;
    let _slot = ctx.creations.acquire().await.map_err(|e| e.to_string())?;
    let bar = ctx.progress.item(format!("account {name}: requesting"));
    let started = Instant::now();
    let mut note = String::new();
    let mut account: Option<FoundAccount> = None;
    let mut request = lock(&ctx.known).in_flight.get(name).cloned();
    if let Some(r) = &request {
        note = format!("resumed in-progress request {r}");
    }
    let mut resumed = request.is_some();
    let mut ambiguous = false;
    for attempt in 0..AMBIGUOUS_ATTEMPTS {
        if attempt > 0 {
            // The previous attempt may have gone through; AWS's lists are eventually consistent,
            // so give it a moment before looking.
            tokio::time::sleep(ctx.options.poll_interval * (1 << attempt)).await;
            if let Some(found) = ctx.provider.find_account(email).await.map_err(|e| fail(&e))? {
                note = format!("account {} with this email already exists; not creating another", found.id);
                ctx.provider.tag_resource(&found.id, tags).await.map_err(|e| fail(&e))?;
                lock(&ctx.known).ids.accounts.insert(name.to_owned(), found.id.clone());
                account = Some(found);
                break;
            }
            request = ctx.provider.find_create_request(name).await.map_err(|e| fail(&e))?;
            resumed = request.is_some();
        }
        let id = match request.take() {
            Some(id) => id,
            None => match ctx.provider.create_account(name, email, tags).await {
                Ok(id) => id,
                Err(e) if e.kind == ErrorKind::Ambiguous => {
                    ambiguous = true;
                    ctx.progress.log(&format!("account {name}: {e}; checking whether it went through"));
                    continue;
                }
                Err(e) => return Err(fail(&e)),
            },
        };
        bar.set_message(format!("account {name}: waiting for {id}"));
        let account_id = match wait_for_creation(ctx, &id).await {
            Ok(account_id) => account_id,
            // Our earlier, ambiguous request created it after all.
            Err(e) if ambiguous && e.contains("EMAIL_ALREADY_EXISTS") => continue,
            Err(e) => return Err(e),
        };
        if resumed {
            // A request found by name may be for another email (names are not unique).
            let actual = ctx.provider.account_email(&account_id).await.map_err(|e| fail(&e))?;
            if !actual.eq_ignore_ascii_case(email) {
                return Err(format!(
                    "the in-progress request {id} for name {name} created account {account_id} with email {actual}, not {email}; resolve this by hand"
                ));
            }
        }
        lock(&ctx.known).ids.accounts.insert(name.to_owned(), account_id.clone());
        // A new account lands in the root.
        let root = lock(&ctx.known).parent_id(&OuPath::root())?;
        account = Some(FoundAccount { id: account_id, parent_id: root });
        break;
    }
    let Some(account) = account else {
        return Err(format!(
            "CreateAccount for {name} kept failing ambiguously; rerun apply (it will not create a duplicate)"
        ));
    };
    if account.parent_id != target {
        bar.set_message(format!("account {name}: moving to {ou}"));
        move_account(ctx, &account.id, email, &account.parent_id, &target).await?;
    }
    let secs = started.elapsed().as_secs_f32();
    if note.is_empty() {
        Ok(format!("created {} in {ou} ({secs:.1}s)", account.id))
    } else {
        Ok(format!("{} in {ou} ({secs:.1}s): {note}", account.id))
    }
}

async fn wait_for_creation(ctx: &Ctx, request: &str) -> Result<String, String> {
    let deadline = Instant::now() + ctx.options.create_timeout;
    let mut interval = ctx.options.poll_interval;
    loop {
        match ctx.provider.create_account_status(request).await {
            Ok(CreateState::Succeeded(id)) => return Ok(id),
            Ok(CreateState::Failed(reason)) => return Err(format!("CreateAccount request {request} failed: {reason}")),
            Ok(CreateState::InProgress) => {}
            Err(e) if e.kind == ErrorKind::Ambiguous => {}
            Err(e) => return Err(fail(&e)),
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "CreateAccount request {request} still in progress after {}s; rerun apply later (it resumes the request)",
                ctx.options.create_timeout.as_secs()
            ));
        }
        tokio::time::sleep(interval).await;
        interval = (interval * 2).min(Duration::from_secs(10));
    }
}

#[cfg(test)]
mod tests {
    use groundwork_plan::Action;

    use super::*;

    /// A change to OU `name` that depends on the OUs `deps`.
    fn change(name: &str, deps: &[&str]) -> Change {
        let path = OuPath::parse(name);
        Change {
            address: Address::ou(&path),
            action: Action::Create,
            before: None,
            after: None,
            reason: String::new(),
            operation: Operation::CreateOu { path, tags: Tags::new() },
            depends_on: deps.iter().map(|d| Address::ou(&OuPath::parse(d))).collect(),
        }
    }

    fn drain(walk: &mut Walk<'_>) -> Vec<usize> {
        walk.ready.drain(..).collect()
    }

    #[test]
    fn a_change_becomes_ready_when_its_last_dependency_succeeds() {
        // a <- b, a <- c, (b, c) <- d
        let changes = [change("A", &[]), change("B", &["A"]), change("C", &["A"]), change("D", &["B", "C"])];
        let mut walk = Walk::new(&changes);
        assert_eq!(walk.waiting, [0, 1, 1, 2]);
        walk.ready.extend((0..changes.len()).filter(|&i| walk.waiting[i] == 0));
        assert_eq!(drain(&mut walk), [0]);
        walk.succeed(0);
        assert_eq!(drain(&mut walk), [1, 2], "both dependents at once, in plan order");
        walk.succeed(2);
        assert!(walk.ready.is_empty(), "D still waits for B");
        walk.succeed(1);
        assert_eq!(drain(&mut walk), [3]);
    }

    #[test]
    fn a_failure_skips_every_dependent_once_and_names_what_it_waited_for() {
        // a <- b <- d, a <- c <- d, e independent
        let changes =
            [change("A", &[]), change("B", &["A"]), change("C", &["A"]), change("D", &["B", "C"]), change("E", &[])];
        let mut walk = Walk::new(&changes);
        let (progress, mut report) =
            (Progress::new(crate::progress::ProgressMode::Quiet, changes.len()), Report::default());
        walk.fail(0, &progress, &mut report);
        let skipped: Vec<(String, Outcome)> = report.results.iter().map(|(a, o)| (a.to_string(), o.clone())).collect();
        assert_eq!(skipped.len(), 3, "{skipped:?}");
        for (a, o) in &skipped {
            assert_eq!(skipped.iter().filter(|(b, _)| b == a).count(), 1, "{a} reported once");
            let Outcome::Skipped(cause) = o else { panic!("{a}: {o:?}") };
            assert!(changes.iter().find(|c| c.address.to_string() == *a).unwrap().depends_on.contains(cause));
        }
        assert_eq!(walk.state[4], NodeState::Pending, "E does not depend on A");
        // A late success of a dependency does not revive a skipped change.
        walk.succeed(1);
        assert!(walk.ready.is_empty());
    }

    #[test]
    fn unknown_dependencies_and_cycles_never_become_ready() {
        let changes = [change("A", &["Missing"]), change("B", &["C"]), change("C", &["B"])];
        let walk = Walk::new(&changes);
        assert_eq!(walk.unknown, [(0, Address::ou(&OuPath::parse("Missing")))]);
        assert_eq!(walk.waiting, [0, 1, 1], "an unknown dependency is not waited for; it fails the change");
    }
}
