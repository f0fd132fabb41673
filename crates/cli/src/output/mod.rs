//! The output documents of the commands that have no home in a library crate: one module per
//! command, each a struct that renders as text ([`groundwork_plan::Styled`] spans) or JSON
//! through [`groundwork_plan::Render`]. The plan and the drift report are documents of the plan
//! crate (`Plan`, `Drift`); `permissions` renders its own.

pub(crate) mod apply;
pub(crate) mod audit;
pub(crate) mod import;
pub(crate) mod member_root;
pub(crate) mod stats;
pub(crate) mod validate;
