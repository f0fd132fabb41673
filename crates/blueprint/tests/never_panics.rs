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
