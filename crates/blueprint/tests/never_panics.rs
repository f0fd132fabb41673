//! Property tests: the parser never panics, whatever it is given, and every diagnostic it
//! produces has a location inside the input.

use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000)
}

fn check(bytes: &[u8]) {
    match groundwork_blueprint::parse("fuzz.yaml", bytes) {
        Ok(_) => {}
        Err(d) => {
            assert!(d.has_errors());
            for item in &d.items {
                assert!(item.span.line >= 1 && item.span.col >= 1);
                assert!(item.span.start <= bytes.len().max(d.source.len()));
            }
            // Rendering must not panic either (carets on arbitrary spans).
            let _ = d.render_plain();
            let _ = d.render_short();
        }
    }
}

/// YAML-looking text from blueprint vocabulary, so the generator reaches deep into the schema.
fn yamlish() -> impl Strategy<Value = String> {
    let tokens = prop::sample::select(vec![
        "version: 1\n",
        "version: 2\n",
        "organization:\n",
        "  name: acme\n",
        "  home_region: eu-west-1\n",
        "  management_account: { email: root@acme.example }\n",
        "organizational_units:\n",
        "  - name: Prod\n",
        "    children: [{ name: Dev }]\n",
        "accounts:\n",
        "  - name: a\n",
        "    email: aws+a@acme.example\n",
        "    ou: Prod\n",
        "    purpose: sandbox\n",
        "    tags: { k: v }\n",
        "workloads:\n",
        "  - { name: jira, environments: [dev, prod] }\n",
        "workload_defaults:\n",
        "  email: \"{workload}-{env}@x.example\"\n",
        "  ou: \"{Env}\"\n",
        "  account_name: \"{nope}\"\n",
        "logging:\n",
        "  account: a\n",
        "  bucket: \"b-{account_id}-{é\"\n",
        "  trail: t\n",
        "  object_lock: { mode: governance, days: 1 }\n",
        "guardrails:\n",
        "  policies:\n",
        "    - { name: x, builtin: deny-regions-outside, allowed_regions: [eu-west-9], targets: [Root, { ou: Prod }] }\n",
        "    - name: y\n",
        "      document: { Version: \"2012-10-17\", Statement: [{ Effect: Deny, Action: \"é:{a\" }] }\n",
        "      targets: [{ account: a }]\n",
        "identity:\n",
        "  account: identity\n",
        "  account: management\n",
        "  password_policy: { min_length: 8, allow_weak: true }\n",
        "  groups: [{ name: g, grants: [{ role: r, environments: [prod] }] }]\n",
        "  users: [{ name: u, groups: [g, g] }]\n",
        "roles:\n",
        "  - name: r\n",
        "    select: { workloads: [jira], ous: [Prod] }\n",
        "    trust: ec2\n",
        "    statements: [{ Effect: Allow, Action: \"*\", Resource: \"arn:{account_id:\" }]\n",
        "    statements:\n",
        "      - { Effect: Allow, NotAction: \"iam:*\", Resource: \"${aws:username}{env}\" }\n",
        "        approved_exception: \"\"\n",
        "&a ",
        "*a",
        "[",
        "]",
        "{",
        "}",
        ": ",
        "- ",
        "\"",
        "'",
        "\t",
        " ",
        "\n",
        "é",
        "\u{feff}",
        "---\n",
        "...\n",
        "!tag ",
        "? ",
        "|\n",
        ">\n",
        "#c\n",
        "~",
        "null",
        "0x1F",
        "-1",
        "1e309",
    ]);
    prop::collection::vec(tokens, 0..60).prop_map(|v| v.concat())
}

/// The identity example with lines dropped, repeated or cut short: reaches deep into the
/// `identity` and `roles` sections and the lint.
fn mutated_identity_example() -> impl Strategy<Value = String> {
    const EXAMPLE: &str = include_str!("../../../examples/identity.yaml");
    let lines: Vec<&'static str> = EXAMPLE.lines().collect();
    let n = lines.len();
    prop::collection::vec((0..n, 0u8..4, 0usize..40), 1..8).prop_map(move |edits| {
        let mut out: Vec<String> = lines.iter().map(|l| (*l).to_owned()).collect();
        for (at, kind, cut) in edits {
            let at = at.min(out.len().saturating_sub(1));
            match kind {
                0 if !out.is_empty() => {
                    out.remove(at);
                }
                1 => {
                    let line = out[at].clone();
                    out.insert(at, line);
                }
                2 => {
                    let keep: String = out[at].chars().take(cut).collect();
                    out[at] = keep;
                }
                _ => {
                    let line = out[at].replace("{account_id}", "{account_id:jira-prod}").replace("Allow", "allow");
                    out[at] = line;
                }
            }
        }
        out.join("\n")
    })
}

proptest! {
    // 2,000 cases per property in CI; scripts/soak sets PROPTEST_CASES higher.
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check(&bytes);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        check(text.as_bytes());
    }

    #[test]
    fn blueprint_like_text_never_panics(text in yamlish()) {
        check(text.as_bytes());
    }
}

proptest! {
    // Each case parses a whole landing zone; a quarter of the cases keeps the suite quick.
    #![proptest_config(ProptestConfig { cases: cases() / 4, ..ProptestConfig::default() })]

    #[test]
    fn mutated_identity_example_never_panics(text in mutated_identity_example()) {
        check(text.as_bytes());
    }
}
