//! `validate` without AWS, assertions included: the reference blueprint (goal: under 100 ms)
//! and a generated 1,000-account one with a hub, roles everywhere and assertions (goal: under
//! 2 s). `cargo bench -p groundwork-assertions`; `cargo xtask bench-validate` prints the same
//! split into parse and assertions.

fn main() {
    divan::main();
}

fn validate(name: &str, text: &str) -> usize {
    let parsed = groundwork_blueprint::parse(name, text.as_bytes()).unwrap();
    groundwork_assertions::check(name, text, &parsed.blueprint).len()
}

#[divan::bench(sample_count = 20)]
fn reference_blueprint(bencher: divan::Bencher) {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../blueprints/landing-zone.yaml")).unwrap();
    bencher.bench(|| assert_eq!(validate("landing-zone.yaml", divan::black_box(&text)), 0));
}

#[divan::bench(args = [1_000], sample_count = 5)]
fn generated(bencher: divan::Bencher, accounts: usize) {
    let text = groundwork_blueprint::synthetic::with_access(accounts);
    bencher.bench(|| assert_eq!(validate("generated.yaml", divan::black_box(&text)), 0));
}

/// What the first use of AWS's reference table costs each `groundwork validate` process.
#[divan::bench(sample_count = 10)]
fn iam_reference_table_parse() -> groundwork_blueprint::iam::Reference {
    groundwork_blueprint::iam::Reference::parse_embedded()
}
