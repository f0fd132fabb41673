//! The `--stats` document: the AWS API calls made, by operation, read vs write. It goes to
//! stderr (one JSON line with `--json`), so stdout stays the command's own document.

use std::collections::BTreeMap;

use groundwork_aws::CallStats;
use groundwork_plan::{Render, Styled};
use serde_json::{Value, json};

/// The calls one invocation made.
pub(crate) struct Stats<'a>(pub(crate) &'a CallStats);

impl Render for Stats<'_> {
    fn text(&self, out: &mut Styled) {
        out.text(format!("{}\n", self.0));
    }

    fn json(&self) -> Value {
        let s = self.0;
        json!({
            "api_calls": s.by_operation,
            "by_principal": s.by_principal,
            "reads": s.reads(),
            "writes": s.writes(),
            "write_calls": s.write_operations().into_iter().map(|op| { let n = s.count(&op); (op, n) }).collect::<BTreeMap<_, _>>(),
        })
    }
}
