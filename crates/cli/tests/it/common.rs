//! Test fixture: a moto server, a temp home, a cleared environment, and independent SDK reads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use groundwork_testkit::{FaultProxy, Moto, ProxyConfig};

/// The reference blueprint.
/// Starts `apply --auto-approve` of the reference blueprint in the background, through a proxy
/// adding `latency_ms` to every call, so the run holds the lock for seconds; stderr is piped.
/// Keep the proxy alive as long as the run.
pub(crate) fn spawn_slow_apply(env: &Env, latency_ms: u64, extra: &[&str]) -> (FaultProxy, std::process::Child) {
    let slow = FaultProxy::start(
        env.port(),
        ProxyConfig { latency: std::time::Duration::from_millis(latency_ms), ..ProxyConfig::default() },
    );
    let reference = reference();
    let mut args = vec!["apply", reference.to_str().unwrap(), "--auto-approve", "--no-rate-limit"];
    args.extend_from_slice(extra);
    let child = env
        .command(&slow.endpoint(), &args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    (slow, child)
}

pub(crate) fn reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../blueprints/landing-zone.yaml")
}

pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn from_output(out: &Output) -> Self {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The `--stats --json` line on stderr.
    pub(crate) fn stats(&self) -> serde_json::Value {
        let line = self
            .stderr
            .lines()
            .rev()
            .find(|l| l.starts_with("{\"api_calls\""))
            .unwrap_or_else(|| panic!("no stats line in:\n{}", self.stderr));
        serde_json::from_str(line).unwrap()
    }

    pub(crate) fn writes(&self) -> u64 {
        self.stats()["writes"].as_u64().unwrap()
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}\nstderr:\n{}", self.stdout, self.stderr))
    }

    #[track_caller]
    pub(crate) fn ok(self) -> Self {
        assert_eq!(self.code, 0, "exit {}\nstdout:\n{}\nstderr:\n{}", self.code, self.stdout, self.stderr);
        self
    }
}

/// The `groundwork` binary with a cleared environment (no real credentials can leak in), and
/// the dummy Slack bot token of blueprints that read it from the environment (the reference's,
/// examples/alerts.yaml): a dummy, never a real-looking secret.
pub(crate) fn bare(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_groundwork"));
    c.current_dir(home)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_COLOR", "1")
        .env(SLACK_TOKEN_ENV, DUMMY_SLACK_TOKEN);
    c
}

pub(crate) struct Env {
    pub(crate) moto: Moto,
    pub(crate) home: tempfile::TempDir,
    /// The test proxy with the reference blueprint's emulator patches ([`reference_patches`]),
    /// for the tests that apply the reference ([`Env::reference`]); `None`: stock moto.
    pub(crate) patched: Option<FaultProxy>,
}

/// The variable the reference blueprint and examples/alerts.yaml read the Slack token from.
pub(crate) const SLACK_TOKEN_ENV: &str = "GROUNDWORK_SLACK_TOKEN";
/// The dummy token every command gets in [`SLACK_TOKEN_ENV`] ([`bare`]).
pub(crate) const DUMMY_SLACK_TOKEN: &str = "xoxb-test-not-a-real-token";

/// The emulator patches the reference blueprint needs, and only those (docs/testing.md,
/// "Emulator patches"; ADR 0021): its sandbox's budget (`DescribeSubscribersForNotification`,
/// which moto 5.1.22 lacks and every read of a budget's notifications needs) and its
/// `root_access` section (trusted access for IAM and IAM's organization features). Its flow
/// logs need no patch: they select VPCs by tag, and no test of the reference makes such a VPC
/// (`it/flow_logs.rs` does, with the flow-log patch).
pub(crate) fn reference_patches() -> ProxyConfig {
    ProxyConfig { budgets: true, root_access: true, ..ProxyConfig::default() }
}

impl Env {
    /// moto, stock: every test but those that apply the reference blueprint.
    pub(crate) fn new() -> Self {
        Env { moto: Moto::start(), home: tempfile::tempdir().unwrap(), patched: None }
    }

    /// For a test that applies the reference blueprint (`blueprints/landing-zone.yaml`):
    /// groundwork talks to moto through the testkit's proxy with [`reference_patches`], for the
    /// whole test (the patches answer from the requests they saw, so every run of the test goes
    /// through the same proxy; a fault proxy goes in front of it, on [`Env::port`]).
    pub(crate) fn reference() -> Self {
        let moto = Moto::start();
        let patched = FaultProxy::start(moto.port(), reference_patches());
        Env { moto, home: tempfile::tempdir().unwrap(), patched: Some(patched) }
    }

    /// [`Env::reference`] on moto started through the testkit's launcher, which delivers to
    /// API destinations as EventBridge does ([`Moto::start_delivering`], ADR 0019): for the
    /// reference's Slack path end to end.
    pub(crate) fn reference_delivering() -> Self {
        let moto = Moto::start_delivering();
        let patched = FaultProxy::start(moto.port(), reference_patches());
        Env { moto, home: tempfile::tempdir().unwrap(), patched: Some(patched) }
    }

    /// Where groundwork is pointed: stock moto, or the patched proxy of [`Env::reference`].
    pub(crate) fn endpoint(&self) -> String {
        self.patched.as_ref().map_or_else(|| self.moto.endpoint(), FaultProxy::endpoint)
    }

    /// The port a fault proxy forwards to: moto's, or the patched proxy's.
    pub(crate) fn port(&self) -> u16 {
        self.patched.as_ref().map_or_else(|| self.moto.port(), FaultProxy::port)
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.home.path().join(name)
    }

    /// `groundwork ARGS --region us-east-1 --endpoint-url ENDPOINT` with dummy credentials (the
    /// endpoint is moto's, or a fault proxy's in front of it).
    pub(crate) fn command(&self, endpoint: &str, args: &[&str]) -> Command {
        let mut c = bare(self.home.path());
        // Generated console passwords land in the test's home (apply --password-file).
        c.env("GROUNDWORK_PASSWORD_FILE", self.path("passwords.tsv"));
        c.env("AWS_ACCESS_KEY_ID", "testing").env("AWS_SECRET_ACCESS_KEY", "testing").args(args).args([
            "--region",
            "us-east-1",
            "--endpoint-url",
            endpoint,
            "--color",
            "never",
        ]);
        c
    }

    /// Runs `groundwork ARGS` against moto (through the patched proxy of [`Env::reference`]).
    pub(crate) fn gw(&self, args: &[&str]) -> Run {
        Run::from_output(&self.command(&self.endpoint(), args).output().unwrap())
    }

    /// Plan with JSON output and stats.
    pub(crate) fn plan_json(&self, blueprint: &Path) -> Run {
        self.gw(&["plan", blueprint.to_str().unwrap(), "--json", "--stats", "--no-rate-limit"])
    }

    /// Apply with JSON output and stats (console passwords go to `passwords.tsv` in the home).
    pub(crate) fn apply(&self, blueprint: &Path) -> Run {
        self.gw(&["apply", blueprint.to_str().unwrap(), "--auto-approve", "--json", "--stats", "--no-rate-limit"])
    }

    pub(crate) fn org(&self) -> aws_sdk_organizations::Client {
        aws_sdk_organizations::Client::new(&self.moto.sdk_config())
    }
}

/// What an account looks like, read independently of groundwork.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Seen {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) ou: String,
    pub(crate) tags: BTreeMap<String, String>,
}

/// Reads the whole organization with plain SDK calls: OU paths (with tags) and accounts by
/// email. Uses ListParents per account, deliberately a different path from groundwork's.
/// Panics on a duplicate OU (same path) or a duplicate account (same email).
pub(crate) async fn read_org(
    org: &aws_sdk_organizations::Client,
) -> (BTreeMap<String, BTreeMap<String, String>>, BTreeMap<String, Seen>) {
    let root = org.list_roots().send().await.unwrap().roots()[0].id().unwrap().to_owned();
    let mut names: BTreeMap<String, String> = BTreeMap::new(); // id -> path
    names.insert(root.clone(), "Root".into());
    let mut ous = BTreeMap::new();
    let mut queue = vec![(root.clone(), String::new())];
    while let Some((id, path)) = queue.pop() {
        let mut token = None;
        loop {
            let page =
                org.list_organizational_units_for_parent().parent_id(&id).set_next_token(token).send().await.unwrap();
            for ou in page.organizational_units() {
                let p = if path.is_empty() {
                    ou.name().unwrap().to_owned()
                } else {
                    format!("{path}/{}", ou.name().unwrap())
                };
                names.insert(ou.id().unwrap().to_owned(), p.clone());
                assert!(!ous.contains_key(&p), "duplicate OU {p}");
                ous.insert(p.clone(), tags(org, ou.id().unwrap()).await);
                queue.push((ou.id().unwrap().to_owned(), p));
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
    }
    let mut accounts = BTreeMap::new();
    let mut token = None;
    loop {
        let page = org.list_accounts().set_next_token(token).send().await.unwrap();
        for a in page.accounts() {
            let parent = org.list_parents().child_id(a.id().unwrap()).send().await.unwrap();
            let pid = parent.parents()[0].id().unwrap();
            let email = a.email().unwrap().to_lowercase();
            assert!(!accounts.contains_key(&email), "duplicate account for {email}");
            accounts.insert(
                email,
                Seen {
                    id: a.id().unwrap().to_owned(),
                    name: a.name().unwrap().to_owned(),
                    ou: names[pid].clone(),
                    tags: tags(org, a.id().unwrap()).await,
                },
            );
        }
        token = page.next_token().map(str::to_owned);
        if token.is_none() {
            break;
        }
    }
    (ous, accounts)
}

async fn tags(org: &aws_sdk_organizations::Client, id: &str) -> BTreeMap<String, String> {
    let out = org.list_tags_for_resource().resource_id(id).send().await.unwrap();
    out.tags().iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect()
}

/// The statement of a policy document with this `Sid`.
pub(crate) fn statement<'a>(doc: &'a serde_json::Value, sid: &str) -> &'a serde_json::Value {
    doc["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["Sid"] == sid)
        .unwrap_or_else(|| panic!("no statement {sid} in {doc}"))
}

/// A policy value (a string or a list of strings) as a set.
pub(crate) fn as_set(v: &serde_json::Value) -> std::collections::BTreeSet<String> {
    match v {
        serde_json::Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_owned()).collect(),
        serde_json::Value::String(s) => std::collections::BTreeSet::from([s.clone()]),
        other => panic!("not a string or list: {other}"),
    }
}
