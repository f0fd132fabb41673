//! Test harness for groundwork: a real AWS API on loopback.
//!
//! [`Moto::start`] installs the pinned `moto[server]` into a project-local virtualenv on first
//! use (under a file lock, so parallel test binaries install it once), starts `moto_server` on a
//! free loopback port with `MOTO_IAM_LOAD_MANAGED_POLICIES=true`, waits until it answers, and
//! stops it when dropped. [`Moto::sdk_config`] aims the real AWS SDK at it with dummy
//! credentials. Every test gets its own server: no shared state, tests run in parallel.
//!
//! ```no_run
//! let moto = groundwork_testkit::Moto::start();
//! let config = moto.sdk_config();
//! assert!(moto.endpoint().starts_with("http://127.0.0.1:"));
//! ```

mod budgets_shim;
mod flow_log_shim;
mod proxy;
mod root_access_shim;
mod root_session_shim;
mod slack_recorder;
mod sso_shim;

pub use proxy::{Fault, FaultProxy, FaultRule, ProxyConfig, ProxyStats};
pub use root_session_shim::RootUser;
pub use slack_recorder::{Recorded, SlackRecorder};

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;

/// The moto version every test runs against (5.2.x breaks the Rust SDK's S3 parsing).
pub const MOTO_VERSION: &str = "5.1.22";
/// The emulator's management account id.
pub const MANAGEMENT_ACCOUNT_ID: &str = "123456789012";
/// The emulator's management account email.
pub const MANAGEMENT_EMAIL: &str = "master@example.com";

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap_or_else(|_| PathBuf::from("."))
}

/// Where the virtualenv lives: `$GROUNDWORK_MOTO_VENV`, else `<workspace>/.venv-moto`.
pub fn venv_dir() -> PathBuf {
    std::env::var_os("GROUNDWORK_MOTO_VENV").map_or_else(|| workspace_root().join(".venv-moto"), PathBuf::from)
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Installs `moto[server]==MOTO_VERSION` into the virtualenv unless it is there already, and
/// returns the path of `moto_server`. Safe to call from many processes at once.
pub fn ensure_moto() -> PathBuf {
    let venv = venv_dir();
    let server = venv.join("bin").join("moto_server");
    let marker = venv.join(format!(".groundwork-moto-{MOTO_VERSION}"));
    if marker.exists() && server.exists() {
        return server;
    }
    let lock_path = venv.with_extension("lock");
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .expect("open the moto install lock");
    lock.lock().expect("take the moto install lock");
    if !(marker.exists() && server.exists()) {
        let python = std::env::var("GROUNDWORK_PYTHON").unwrap_or_else(|_| "python3".into());
        if !venv.join("bin").join("pip").exists() {
            run(Command::new(&python).args(["-m", "venv"]).arg(&venv), "creating the moto virtualenv");
        }
        run(
            Command::new(venv.join("bin").join("pip"))
                .args(["install", "--quiet", "--disable-pip-version-check"])
                .arg(format!("moto[server]=={MOTO_VERSION}")),
            "installing moto",
        );
        File::create(&marker).expect("write the moto marker");
    }
    let _ = lock.unlock();
    server
}

/// A running moto server, stopped on drop.
pub struct Moto {
    child: Child,
    port: u16,
    log: PathBuf,
}

fn free_port() -> u16 {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a loopback port");
    l.local_addr().expect("local address").port()
}

/// One raw HTTP/1.0 request to the emulator; returns the status code and body.
fn http(port: u16, method: &str, path: &str) -> std::io::Result<(u16, String)> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(s, "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n")?;
    let mut buf = String::new();
    s.read_to_string(&mut buf)?;
    let status = buf.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = buf.split_once("\r\n\r\n").map(|(_, b)| b.to_owned()).unwrap_or_default();
    Ok((status, body))
}

impl Moto {
    /// Installs moto if needed and starts a server on a free loopback port, with AWS-managed IAM
    /// policies loaded (as tests need them).
    pub fn start() -> Self {
        Self::start_with(true)
    }

    /// Like [`Moto::start`]; `managed_policies: false` skips loading AWS-managed IAM policies,
    /// which costs the emulator about a second per new account (benchmarks of the organization
    /// slice use it to measure groundwork rather than the emulator).
    pub fn start_with(managed_policies: bool) -> Self {
        Self::launch(managed_policies, false)
    }

    /// Like [`Moto::start`], through the testkit's launcher (`crates/testkit/moto_launcher.py`,
    /// ADR 0019): EventBridge's API destinations are invoked as AWS does, with the transformed
    /// event as the body and the connection's API-key header. Only tests of the delivery path
    /// use it.
    pub fn start_delivering() -> Self {
        Self::launch(true, true)
    }

    fn launch(managed_policies: bool, delivering: bool) -> Self {
        let server = ensure_moto();
        let mut last_err = String::new();
        for _ in 0..3 {
            let port = free_port();
            let log = std::env::temp_dir().join(format!("groundwork-moto-{port}.log"));
            let log_file = File::create(&log).expect("create the moto log");
            let mut command = if delivering {
                let mut c = Command::new(venv_dir().join("bin").join("python"));
                c.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("moto_launcher.py"));
                c
            } else {
                Command::new(&server)
            };
            let child = command
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env("MOTO_IAM_LOAD_MANAGED_POLICIES", if managed_policies { "true" } else { "false" })
                .env("AWS_EC2_METADATA_DISABLED", "true")
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().expect("clone log handle"))
                .stderr(log_file)
                .spawn()
                .expect("start moto_server");
            let mut moto = Moto { child, port, log };
            match moto.wait_ready(Duration::from_mins(1)) {
                Ok(()) => return moto,
                Err(e) => last_err = e,
            }
        }
        panic!("moto_server did not start: {last_err}");
    }

    fn wait_ready(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited with {status}: {}", fs::read_to_string(&self.log).unwrap_or_default()));
            }
            if matches!(http(self.port, "GET", "/moto-api/data.json"), Ok((200, _))) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!("no answer within {timeout:?}"))
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// An SDK configuration aimed at this server: dummy static credentials, us-east-1, the
    /// endpoint override, no retries (groundwork has its own policy).
    pub fn sdk_config(&self) -> SdkConfig {
        sdk_config_for(&self.endpoint())
    }

    /// An S3 client for this server (path-style addressing, which `localhost` endpoints need).
    pub fn s3(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk_config()).force_path_style(true).build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// An SDK configuration acting in member account `account_id`, through its
    /// `OrganizationAccountAccessRole` (as groundwork does), in `region`.
    pub async fn member_config(&self, account_id: &str, region: &str) -> SdkConfig {
        let sts = aws_sdk_sts::Client::new(&self.sdk_config());
        let out = sts
            .assume_role()
            .role_arn(format!("arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole"))
            .role_session_name("groundwork-test")
            .send()
            .await
            .expect("assume the access role");
        let c = out.credentials().expect("credentials");
        let creds = Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            Some(c.session_token().to_owned()),
            None,
            "groundwork-testkit",
        );
        self.sdk_config()
            .into_builder()
            .region(Region::new(region.to_owned()))
            .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(creds))
            .build()
    }

    /// Clears all emulator state.
    pub fn reset(&self) {
        let (status, body) = http(self.port, "POST", "/moto-api/reset").expect("reset moto");
        assert_eq!(status, 200, "reset moto: {body}");
    }
}

/// An SDK configuration for an emulator at `endpoint`.
pub fn sdk_config_for(endpoint: &str) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "groundwork-testkit",
        )))
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build()
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_file(&self.log);
    }
}
