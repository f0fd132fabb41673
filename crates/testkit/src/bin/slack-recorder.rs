//! `slack-recorder [PORT]`: the testkit's stand-in for Slack, for `scripts/demo`. Listens on the
//! loopback address, prints `listening on URL`, then one line per request it receives: the
//! method, whether an `Authorization` header came (its value is never printed), and the body.

#![allow(clippy::print_stdout)]

use std::io::Write;

fn main() {
    let port = std::env::args().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    let slack = groundwork_testkit::SlackRecorder::start_with(port, |r| {
        let auth = if r.headers.contains_key("authorization") { "with" } else { "without" };
        println!("{} {} ({auth} an Authorization header): {}", r.method, r.path, r.body);
        let _ = std::io::stdout().flush();
    });
    println!("listening on {}", slack.url());
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
