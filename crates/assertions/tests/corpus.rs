//! The corpus of blueprints that are valid but whose assertions fail or are written wrong: each
//! file under `tests/invalid/` parses, and the assertion diagnostics (message with the path and
//! its line:column, caret, help) match the snapshot beside it.

use std::sync::Arc;

#[test]
fn failing_assertions_are_reported_with_their_paths() {
    insta::glob!("invalid/*.yaml", |path| {
        let src = std::fs::read_to_string(path).unwrap();
        let name = format!("invalid/{}", path.file_name().unwrap().to_string_lossy());
        let parsed =
            groundwork_blueprint::parse(&name, src.as_bytes()).unwrap_or_else(|d| panic!("{}", d.render_plain()));
        let mut items = groundwork_assertions::check(&name, &src, &parsed.blueprint);
        assert!(!items.is_empty(), "{name}: every assertion held");
        items.sort_by_key(|d| (d.span.start, d.code));
        let d = groundwork_blueprint::Diagnostics { name, source: Arc::from(src.as_str()), items };
        insta::assert_snapshot!(format!("{}\n{}", d.render_short(), d.render_plain()));
    });
}
