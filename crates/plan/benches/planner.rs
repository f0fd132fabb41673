//! Planner microbenchmarks: parse + validate + lower + plan, for generated blueprints, against
//! an in-memory live state of the same size (converged: the rerun case) and an empty one (the
//! first run). `cargo bench -p groundwork-plan`. Peak memory: `cargo xtask bench-planner`.

use groundwork_blueprint::synthetic;
use groundwork_plan::{Desired, Live, PlanOptions, plan};

fn main() {
    divan::main();
}

#[divan::bench(args = [1_000, 10_000], sample_count = 10)]
fn parse_validate_plan_converged(bencher: divan::Bencher, accounts: usize) {
    let text = synthetic::blueprint(accounts);
    let bp = groundwork_blueprint::parse("bench.yaml", text.as_bytes()).unwrap().blueprint;
    let live = groundwork_plan::synthetic::converged(&Desired::from_blueprint(&bp));
    bencher.bench(|| {
        let bp = groundwork_blueprint::parse("bench.yaml", divan::black_box(text.as_bytes())).unwrap().blueprint;
        let p = plan(&Desired::from_blueprint(&bp), &live, PlanOptions::default());
        assert!(p.is_empty());
        p
    });
}

#[divan::bench(args = [1_000, 10_000], sample_count = 10)]
fn parse_validate_plan_from_empty(bencher: divan::Bencher, accounts: usize) {
    let text = synthetic::blueprint(accounts);
    let live = Live::default();
    bencher.bench(|| {
        let bp = groundwork_blueprint::parse("bench.yaml", divan::black_box(text.as_bytes())).unwrap().blueprint;
        plan(&Desired::from_blueprint(&bp), &live, PlanOptions::default())
    });
}

#[divan::bench(args = [10_000], sample_count = 10)]
fn plan_only_converged(bencher: divan::Bencher, accounts: usize) {
    let bp = groundwork_blueprint::parse("bench.yaml", synthetic::blueprint(accounts).as_bytes()).unwrap().blueprint;
    let desired = Desired::from_blueprint(&bp);
    let live = groundwork_plan::synthetic::converged(&desired);
    bencher.bench(|| plan(&desired, &live, PlanOptions::default()));
}
