//! A fault-injecting HTTP proxy on loopback, between the SDK and moto.
//!
//! With a seeded probability per request it answers with a throttling error in the service's
//! own wire format (Organizations/Service Quotas JSON, IAM/STS query XML, S3 REST XML), a 500 or
//! 503, a connection reset (before the request reaches moto, or after moto carried it out: the
//! ambiguous case), a dropped answer (forwarded, then the connection closed with nothing sent),
//! or added latency. Rules match by service and operation. "Every write once" drops the first
//! answer of each distinct write.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One kind of fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The service's throttling error (HTTP 400 JSON/XML, or S3's 503 SlowDown).
    Throttle,
    /// HTTP 500 InternalFailure.
    ServerError,
    /// HTTP 503 ServiceUnavailable.
    Unavailable,
    /// Close the connection with a reset before the request reaches the emulator.
    ResetBefore,
    /// Forward the request (it is carried out), then reset instead of answering.
    ResetAfter,
    /// Forward the request (it is carried out), then close the connection without a byte of
    /// the answer: the write happened, the client never learns it.
    DropAnswer,
}

impl Fault {
    /// Every fault kind.
    pub const ALL: [Fault; 6] = [
        Fault::Throttle,
        Fault::ServerError,
        Fault::Unavailable,
        Fault::ResetBefore,
        Fault::ResetAfter,
        Fault::DropAnswer,
    ];
}

/// When to inject faults.
#[derive(Debug, Clone)]
pub struct FaultRule {
    /// Service signing name (`organizations`, `iam`, `s3`, ...); `None` matches all.
    pub service: Option<String>,
    /// Operation (`CreateAccount`, `PUT object`, ...); `None` matches all.
    pub operation: Option<String>,
    /// Probability per matching request.
    pub probability: f64,
    /// Faults to choose from, uniformly.
    pub faults: Vec<Fault>,
}

impl FaultRule {
    /// Every request, every fault kind, with probability `p`.
    pub fn everything(p: f64) -> Self {
        FaultRule { service: None, operation: None, probability: p, faults: Fault::ALL.to_vec() }
    }
}

/// Proxy settings.
#[derive(Debug, Clone, Default)]
pub struct ProxyConfig {
    /// Seed of the fault decisions.
    pub seed: u64,
    /// Rules, first match wins.
    pub rules: Vec<FaultRule>,
    /// Added to every request before it is forwarded.
    pub latency: Duration,
    /// "Every write once": each distinct write (service, method, path, operation and a hash of
    /// the body) loses the answer of its first sending ([`Fault::DropAnswer`]); a resend of the
    /// same request is answered. Reads are never dropped. Applies before `rules`.
    pub drop_every_write_once: bool,
    /// Answer the IAM Identity Center operations moto 5.1.22 lacks (a permission set's tags
    /// and permissions boundary) from the requests the proxy saw (see `sso_shim`).
    pub identity_center: bool,
    /// Put back the key prefix of an S3 flow-log destination, which moto 5.1.22 rejects (see
    /// `flow_log_shim`).
    pub flow_logs: bool,
    /// Answer trusted access for IAM and IAM's organization features (centralized root
    /// access), which moto 5.1.22 lacks (see `root_access_shim`).
    pub root_access: bool,
    /// Answer the AWS Budgets operations moto 5.1.22 lacks (a notification's subscribers,
    /// UpdateBudget) from the requests the proxy saw (see `budgets_shim`); the tests of
    /// sandbox budgets turn it on.
    pub budgets: bool,
}

/// Counts of what the proxy did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Requests seen.
    pub requests: u64,
    /// Faults injected, by kind.
    pub faults: Vec<(Fault, u64)>,
}

impl ProxyStats {
    /// Total faults injected.
    pub fn total_faults(&self) -> u64 {
        self.faults.iter().map(|(_, n)| n).sum()
    }

    fn add(&mut self, f: Fault) {
        match self.faults.iter_mut().find(|(k, _)| *k == f) {
            Some((_, n)) => *n += 1,
            None => self.faults.push((f, 1)),
        }
    }
}

struct Shared {
    config: Mutex<ProxyConfig>,
    /// Writes whose first answer was dropped, for [`ProxyConfig::drop_every_write_once`].
    dropped: Mutex<std::collections::HashSet<u64>>,
    rng: Mutex<StdRng>,
    stats: Mutex<ProxyStats>,
    sso: Mutex<crate::sso_shim::SsoShim>,
    flow_logs: Mutex<crate::flow_log_shim::FlowLogShim>,
    root_access: Mutex<crate::root_access_shim::RootAccessShim>,
    stop: AtomicBool,
}

/// A running proxy; stops when dropped.
pub struct FaultProxy {
    port: u16,
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FaultProxy {
    /// Starts a proxy on a free loopback port, forwarding to `upstream_port` on 127.0.0.1.
    pub fn start(upstream_port: u16, config: ProxyConfig) -> Self {
        let std_listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind the proxy");
        std_listener.set_nonblocking(true).expect("non-blocking listener");
        let port = std_listener.local_addr().expect("proxy address").port();
        let shared = Arc::new(Shared {
            rng: Mutex::new(StdRng::seed_from_u64(config.seed)),
            config: Mutex::new(config),
            dropped: Mutex::new(std::collections::HashSet::new()),
            stats: Mutex::new(ProxyStats::default()),
            sso: Mutex::new(crate::sso_shim::SsoShim::default()),
            flow_logs: Mutex::new(crate::flow_log_shim::FlowLogShim::default()),
            root_access: Mutex::new(crate::root_access_shim::RootAccessShim::default()),
            stop: AtomicBool::new(false),
        });
        let s = Arc::clone(&shared);
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("proxy runtime");
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("tokio listener");
                while !s.stop.load(Ordering::SeqCst) {
                    let accepted = tokio::time::timeout(Duration::from_millis(100), listener.accept()).await;
                    if let Ok(Ok((stream, _))) = accepted {
                        let s = Arc::clone(&s);
                        tokio::spawn(async move {
                            let _ = handle(stream, upstream_port, &s).await;
                        });
                    }
                }
            });
        });
        FaultProxy { port, shared, thread: Some(thread) }
    }

    /// Its loopback port (another proxy may forward to it).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Replaces the settings (the seeded generator keeps its sequence).
    pub fn set_config(&self, config: ProxyConfig) {
        *self.shared.rng.lock().expect("rng") = StdRng::seed_from_u64(config.seed);
        *self.shared.config.lock().expect("config") = config;
    }

    /// The Identity Center requests the shim saw (see [`ProxyConfig::identity_center`]): each
    /// operation with its JSON body, in order.
    pub fn identity_center_requests(&self) -> Vec<(String, serde_json::Value)> {
        self.shared.sso.lock().expect("sso shim").seen.clone()
    }

    /// The parameters of every CreateFlowLogs the flow-log shim saw, decoded (see
    /// [`ProxyConfig::flow_logs`]), in order.
    pub fn flow_log_requests(&self) -> Vec<std::collections::BTreeMap<String, String>> {
        self.shared.flow_logs.lock().expect("flow log shim").seen.clone()
    }

    /// The operations the root-access shim answered (see [`ProxyConfig::root_access`]).
    pub fn root_access_requests(&self) -> Vec<String> {
        self.shared.root_access.lock().expect("root access shim").seen.clone()
    }

    /// Gives member account `account_id`'s root user these credentials, out of band (moto has
    /// no root user; the root-access shim keeps it, see [`ProxyConfig::root_access`]).
    pub fn seed_root_user(&self, account_id: &str, user: crate::RootUser) {
        self.shared.root_access.lock().expect("root access shim").sessions.users.insert(account_id.to_owned(), user);
    }

    /// The root user credentials of member account `account_id` as the shim holds them now.
    pub fn root_user(&self, account_id: &str) -> crate::RootUser {
        let shim = self.shared.root_access.lock().expect("root access shim");
        shim.sessions.users.get(account_id).cloned().unwrap_or_default()
    }

    /// The root-session requests the shim answered: `AssumeRoot TASK ACCOUNT` and
    /// `OPERATION ACCOUNT`, in order.
    pub fn root_session_requests(&self) -> Vec<String> {
        self.shared.root_access.lock().expect("root access shim").sessions.seen.clone()
    }

    /// What the proxy did so far.
    pub fn stats(&self) -> ProxyStats {
        self.shared.stats.lock().expect("stats").clone()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A parsed request: head bytes, header lookups, body.
struct Request {
    head: String,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// The same request with another `X-Amz-Target` and body (the budgets shim's translation).
    fn rewritten(&self, target: &str, body: Vec<u8>) -> Request {
        let mut head = String::new();
        for (i, line) in self.head.trim_end_matches("\r\n").split("\r\n").enumerate() {
            let lower = line.to_ascii_lowercase();
            if i > 0 && lower.starts_with("x-amz-target:") {
                head.push_str("X-Amz-Target: ");
                head.push_str(target);
                head.push_str("\r\n");
            } else if i > 0 && lower.starts_with("content-length:") {
                head.push_str("Content-Length: ");
                head.push_str(&body.len().to_string());
                head.push_str("\r\n");
            } else {
                head.push_str(line);
                head.push_str("\r\n");
            }
        }
        head.push_str("\r\n");
        Request { head, body }
    }

    fn method_and_path(&self) -> (&str, &str) {
        let mut first = self.head.lines().next().unwrap_or("").split_whitespace();
        (first.next().unwrap_or(""), first.next().unwrap_or("/"))
    }

    /// The SigV4 signing name: `Credential=AKID/date/region/SERVICE/aws4_request`.
    fn service(&self) -> String {
        self.header("authorization")
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').nth(3))
            .unwrap_or("unknown")
            .to_owned()
    }

    fn operation(&self, service: &str) -> String {
        if let Some(target) = self.header("x-amz-target") {
            return target.rsplit('.').next().unwrap_or(target).to_owned();
        }
        if service == "s3" {
            let (method, path) = self.method_and_path();
            let path = path.split('?').next().unwrap_or("/");
            let segments = path.trim_matches('/').split('/').filter(|s| !s.is_empty()).count();
            return format!("{method} {}", if segments >= 2 { "object" } else { "bucket" });
        }
        let body = String::from_utf8_lossy(&self.body);
        body.split('&').find_map(|kv| kv.strip_prefix("Action=")).unwrap_or("unknown").to_owned()
    }
}

/// Whether `operation` only reads: query and JSON protocols by the operation's verb, S3 by the
/// HTTP method (GET/HEAD). STS AssumeRole and GetCallerIdentity change nothing either.
fn is_read(service: &str, operation: &str) -> bool {
    if service == "s3" {
        return operation.starts_with("GET ") || operation.starts_with("HEAD ");
    }
    ["Get", "List", "Describe", "Head", "Lookup", "AssumeRole"].iter().any(|p| operation.starts_with(p))
}

/// The identity of a write for "every write once": its target and a hash of its body (stable
/// across resends, unlike the signature headers).
fn write_key(req: &Request, service: &str, operation: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let (method, path) = req.method_and_path();
    (service, operation, method, path, &req.body).hash(&mut h);
    h.finish()
}

async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Request>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut req = Request { head, body: buf[head_end..].to_vec() };
    if req.header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue")) {
        stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").await?;
    }
    let len: usize = req.header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
    while req.body.len() < len {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        req.body.extend_from_slice(&chunk[..n]);
    }
    Ok(Some(req))
}

/// Forwards one request to the emulator with `Connection: close` and returns its whole answer.
async fn forward(req: &Request, upstream_port: u16) -> std::io::Result<Vec<u8>> {
    let mut up = TcpStream::connect(SocketAddr::from((Ipv4Addr::LOCALHOST, upstream_port))).await?;
    let mut head = String::new();
    for (i, line) in req.head.trim_end_matches("\r\n").split("\r\n").enumerate() {
        let lower = line.to_ascii_lowercase();
        if i > 0 && (lower.starts_with("connection:") || lower.starts_with("expect:")) {
            continue;
        }
        head.push_str(line);
        head.push_str("\r\n");
    }
    head.push_str("Connection: close\r\n\r\n");
    up.write_all(head.as_bytes()).await?;
    up.write_all(&req.body).await?;
    let mut answer = Vec::new();
    up.read_to_end(&mut answer).await?;
    Ok(answer)
}

fn error_response(service: &str, fault: Fault) -> Vec<u8> {
    let (status, reason, code) = match fault {
        Fault::Throttle if service == "s3" => (503, "Slow Down", "SlowDown"),
        Fault::Throttle if service == "organizations" => (400, "Bad Request", "TooManyRequestsException"),
        Fault::Throttle if matches!(service, "iam" | "sts" | "monitoring" | "sns") => {
            (400, "Bad Request", "Throttling")
        }
        Fault::Throttle if service == "ec2" => (503, "Service Unavailable", "RequestLimitExceeded"),
        Fault::Throttle => (400, "Bad Request", "ThrottlingException"),
        Fault::Unavailable => (503, "Service Unavailable", "ServiceUnavailable"),
        _ => (500, "Internal Server Error", "InternalFailure"),
    };
    let (content_type, body) = match service {
        "s3" => (
            "application/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>injected by the fault proxy</Message><RequestId>fault-proxy</RequestId></Error>"
            ),
        ),
        // The query protocol's error document: IAM, STS, CloudWatch (signing name `monitoring`)
        // and SNS.
        "iam" | "sts" | "monitoring" | "sns" => (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>injected by the fault proxy</Message></Error><RequestId>fault-proxy</RequestId></ErrorResponse>"
            ),
        ),
        // EC2's query protocol has its own error document.
        "ec2" => (
            "text/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>injected by the fault proxy</Message></Error></Errors><RequestID>fault-proxy</RequestID></Response>"
            ),
        ),
        _ => (
            "application/x-amz-json-1.1",
            format!("{{\"__type\":\"{code}\",\"message\":\"injected by the fault proxy\"}}"),
        ),
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nx-amzn-ErrorType: {code}\r\nx-amzn-RequestId: fault-proxy\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn decide(shared: &Shared, service: &str, operation: &str) -> (Option<Fault>, Duration) {
    let config = shared.config.lock().expect("config");
    let rule = config.rules.iter().find(|r| {
        r.service.as_deref().is_none_or(|s| s == service) && r.operation.as_deref().is_none_or(|o| o == operation)
    });
    let mut rng = shared.rng.lock().expect("rng");
    let fault = rule.and_then(|r| {
        (!r.faults.is_empty() && rng.random_bool(r.probability.clamp(0.0, 1.0)))
            .then(|| r.faults[rng.random_range(0..r.faults.len())])
    });
    (fault, config.latency)
}

fn reset(stream: TcpStream) {
    if let Ok(std) = stream.into_std() {
        let _ = socket_linger_zero(&std);
        drop(std);
    }
}

/// Makes `close` send a RST instead of a FIN.
fn socket_linger_zero(stream: &std::net::TcpStream) -> std::io::Result<()> {
    let sock = socket2::SockRef::from(stream);
    sock.set_linger(Some(Duration::ZERO))
}

/// A request head with its Content-Length set to `len`.
pub(crate) fn with_length(head: &str, len: usize) -> String {
    head.split("\r\n")
        .map(|l| {
            if l.to_ascii_lowercase().starts_with("content-length:") {
                format!("Content-Length: {len}")
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// An HTTP message from a head (without its blank line) and a body, its Content-Length set to
/// the body's (the shims' rewritten answers).
pub(crate) fn message(head: &str, body: &[u8]) -> Vec<u8> {
    let mut out = with_length(head, body.len()).into_bytes();
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(body);
    out
}

/// Forwards a request whose answer the caller will lose, so the budgets shim still records what
/// moto accepted (its state must follow moto's, faults or not).
async fn forward_observed(
    req: &Request,
    upstream_port: u16,
    shared: &Shared,
    service: &str,
    operation: &str,
) -> std::io::Result<Vec<u8>> {
    let answer = forward(req, upstream_port).await?;
    if service == "budgets" && shared.config.lock().expect("config").budgets {
        let ok = answer.starts_with(b"HTTP/1.1 200");
        crate::budgets_shim::of(upstream_port).observe(operation, &req.body, ok);
    }
    Ok(answer)
}

async fn handle(mut stream: TcpStream, upstream_port: u16, shared: &Shared) -> std::io::Result<()> {
    let Some(req) = read_request(&mut stream).await? else { return Ok(()) };
    let service = req.service();
    let operation = req.operation(&service);
    let drop_once = shared.config.lock().expect("config").drop_every_write_once
        && !is_read(&service, &operation)
        && shared.dropped.lock().expect("dropped").insert(write_key(&req, &service, &operation));
    let (fault, latency) = decide(shared, &service, &operation);
    let fault = if drop_once { Some(Fault::DropAnswer) } else { fault };
    {
        let mut stats = shared.stats.lock().expect("stats");
        stats.requests += 1;
        if let Some(f) = fault {
            stats.add(f);
        }
    }
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let root_session = shared.config.lock().expect("config").root_access
        && shared.root_access.lock().expect("root access shim").sessions.answers(
            &service,
            &operation,
            crate::root_session_shim::signing_key(req.header("authorization")),
        );
    match fault {
        Some(Fault::ResetBefore) => {
            reset(stream);
            Ok(())
        }
        Some(Fault::ResetAfter) => {
            let _ = forward_observed(&req, upstream_port, shared, &service, &operation).await;
            reset(stream);
            Ok(())
        }
        Some(Fault::DropAnswer) => {
            let _ = forward_observed(&req, upstream_port, shared, &service, &operation).await;
            stream.shutdown().await
        }
        Some(f) => {
            stream.write_all(&error_response(&service, f)).await?;
            stream.shutdown().await
        }
        None if service == "budgets" && shared.config.lock().expect("config").budgets => {
            let step = crate::budgets_shim::of(upstream_port).step(&operation, &req.body);
            let answer = match step {
                crate::budgets_shim::Step::Answer(a) => a,
                crate::budgets_shim::Step::Forward(requests) => {
                    let mut last = Vec::new();
                    for (op, body) in requests {
                        let sent = req.rewritten(&format!("AWSBudgetServiceGateway.{op}"), body);
                        last = forward(&sent, upstream_port).await?;
                        let ok = last.starts_with(b"HTTP/1.1 200");
                        crate::budgets_shim::of(upstream_port).observe(op, &sent.body, ok);
                    }
                    last
                }
                crate::budgets_shim::Step::Pass => {
                    let a = forward(&req, upstream_port).await?;
                    let ok = a.starts_with(b"HTTP/1.1 200");
                    crate::budgets_shim::of(upstream_port).observe(&operation, &req.body, ok);
                    a
                }
            };
            stream.write_all(&answer).await?;
            stream.shutdown().await
        }
        None if shared.config.lock().expect("config").flow_logs
            && crate::flow_log_shim::applies(&service, &operation) =>
        {
            let answer = if operation == "CreateFlowLogs" {
                let body = shared.flow_logs.lock().expect("flow log shim").request(&req.body);
                let head = with_length(&req.head, body.len());
                forward(&Request { head, body }, upstream_port).await?
            } else {
                let answer = forward(&req, upstream_port).await?;
                shared.flow_logs.lock().expect("flow log shim").answer(answer)
            };
            stream.write_all(&answer).await?;
            stream.shutdown().await
        }
        None if root_session => {
            let key = crate::root_session_shim::signing_key(req.header("authorization"));
            let answer =
                shared.root_access.lock().expect("root access shim").session(&service, &operation, &req.body, key);
            stream.write_all(&answer).await?;
            stream.shutdown().await
        }
        None if shared.config.lock().expect("config").root_access
            && crate::root_access_shim::answers(&service, &operation, &req.body) =>
        {
            let answer = shared.root_access.lock().expect("root access shim").handle(&operation);
            stream.write_all(&answer).await?;
            stream.shutdown().await
        }
        None if shared.config.lock().expect("config").root_access
            && crate::root_access_shim::amends(&service, &operation) =>
        {
            let answer = forward(&req, upstream_port).await?;
            let answer = shared.root_access.lock().expect("root access shim").amend(answer);
            stream.write_all(&answer).await?;
            stream.shutdown().await
        }
        None => {
            let shim = shared.config.lock().expect("config").identity_center;
            let answer = if shim && crate::sso_shim::answers(&service, &operation) {
                shared.sso.lock().expect("sso shim").handle(&operation, &req.body)
            } else {
                let answer = forward(&req, upstream_port).await?;
                if shim && service == "sso" && operation == "CreatePermissionSet" {
                    shared.sso.lock().expect("sso shim").created(&req.body, &answer);
                }
                answer
            };
            stream.write_all(&answer).await?;
            stream.shutdown().await
        }
    }
}
