//! Puts the testkit's proxy in front of a running moto, with the Identity Center shim on
//! (`ProxyConfig::identity_center`: the permission-set tags and boundaries moto 5.1.22 lacks)
//! and the budgets shim (`ProxyConfig::budgets`: UpdateBudget and a notification's
//! subscribers) and the root-access shim (`ProxyConfig::root_access`: trusted access for IAM
//! and IAM's organization features; docs/testing.md "Emulator patches"), prints the proxy's
//! endpoint and serves until killed. Used by `scripts/demo` for blueprints with an
//! `identity_center`, `sandbox` or `root_access` section (the reference blueprint has the last
//! two). Loopback only.
//!
//! Usage: `emulator-shim MOTO_PORT`

use groundwork_testkit::{FaultProxy, ProxyConfig};

fn main() {
    let Some(Ok(port)) = std::env::args().nth(1).map(|p| p.parse::<u16>()) else {
        #[allow(clippy::print_stderr)]
        {
            eprintln!("usage: emulator-shim MOTO_PORT");
        }
        std::process::exit(2);
    };
    let proxy = FaultProxy::start(
        port,
        ProxyConfig { identity_center: true, budgets: true, root_access: true, ..ProxyConfig::default() },
    );
    #[allow(clippy::print_stdout)]
    {
        println!("{}", proxy.endpoint());
    }
    loop {
        std::thread::park();
    }
}
