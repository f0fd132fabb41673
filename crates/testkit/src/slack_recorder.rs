//! A stand-in for Slack: a loopback HTTP server that records the method, path, headers and body
//! of every request it receives and answers `{"ok":true}` as `chat.postMessage` does. The tests
//! of the alerts' delivery path point the API destination at it; `scripts/demo` runs it through
//! the `slack-recorder` binary.
//!
//! ```no_run
//! let slack = groundwork_testkit::SlackRecorder::start();
//! let url = slack.url(); // http://127.0.0.1:PORT/api/chat.postMessage
//! let got = slack.wait_for(1, std::time::Duration::from_secs(10));
//! ```

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request the recorder received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The HTTP method.
    pub method: String,
    /// The path and query.
    pub path: String,
    /// The headers, names lowercased.
    pub headers: BTreeMap<String, String>,
    /// The body, as text.
    pub body: String,
}

/// The recorder; stops accepting when dropped (its thread ends with the process).
pub struct SlackRecorder {
    port: u16,
    received: Arc<Mutex<Vec<Recorded>>>,
}

impl SlackRecorder {
    /// Starts the recorder on a free loopback port.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub fn start() -> Self {
        Self::start_on(0)
    }

    /// Starts the recorder on `port` of the loopback address (0: a free one), each request
    /// also handed to `each` as it arrives.
    ///
    /// # Panics
    /// When the port cannot be bound.
    pub fn start_on(port: u16) -> Self {
        Self::start_with(port, |_| {})
    }

    /// Like [`SlackRecorder::start_on`], calling `each` with every request as it arrives.
    ///
    /// # Panics
    /// When the port cannot be bound.
    pub fn start_with(port: u16, each: impl Fn(&Recorded) + Send + 'static) -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port)).expect("bind the Slack recorder");
        let port = listener.local_addr().expect("local address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&received);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                if let Some(r) = serve(stream) {
                    each(&r);
                    sink.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(r);
                }
            }
        });
        SlackRecorder { port, received }
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where to post: `http://127.0.0.1:PORT/api/chat.postMessage`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/api/chat.postMessage", self.port)
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Recorded> {
        self.received.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Waits until at least `n` requests arrived or `timeout` passed; returns what arrived.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Recorded> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n || Instant::now() >= deadline {
                return got;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// Reads one HTTP/1.x request, answers it, and returns it.
fn serve(stream: TcpStream) -> Option<Recorded> {
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).ok()? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let length: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    let answer = "{\"ok\":true}";
    let mut out = stream;
    let _ = write!(
        out,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    );
    Some(Recorded { method, path, headers, body: String::from_utf8_lossy(&body).into_owned() })
}
