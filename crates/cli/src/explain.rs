//! `groundwork explain`: may this principal do this action in this account, and by which path?
//! Answered from the blueprint alone, like an access assertion (`docs/assertions.md`).

use anyhow::{Context as _, Result, bail};
use groundwork_assertions::{Answer, Model, Principal, Question, ask, render_text};
use groundwork_plan::{Render, Styled};
use serde_json::Value;

use crate::Exit;
use crate::cli::ExplainArgs;
use crate::commands::load_blueprint;
use crate::printer::{Printer, To};

/// The `explain` document.
struct Explained {
    file: String,
    answer: Answer,
}

impl Render for Explained {
    fn text(&self, out: &mut Styled) {
        out.text(render_text(&self.file, &self.answer));
    }

    fn json(&self) -> Value {
        serde_json::to_value(&self.answer).unwrap_or(Value::Null)
    }
}

fn principal(text: &str) -> Result<Principal> {
    Ok(match text.split_once('/') {
        Some(("group", n)) => Principal::Group(n.to_owned()),
        Some(("user", n)) => Principal::User(n.to_owned()),
        Some(("role", n)) => Principal::Role(n.to_owned()),
        Some(("permission-set", n)) => Principal::PermissionSet(n.to_owned()),
        _ => bail!("--principal is group/NAME, user/NAME, role/NAME or permission-set/NAME, not `{text}`"),
    })
}

pub(crate) fn run(args: &ExplainArgs, printer: &Printer) -> Result<Exit> {
    let bp = load_blueprint(&args.blueprint, printer)?;
    let src =
        std::fs::read_to_string(&args.blueprint).with_context(|| format!("reading {}", args.blueprint.display()))?;
    let root = groundwork_blueprint::yaml::parse(&src).ok().flatten().context("the blueprint is empty")?;
    if bp.account(&args.account).is_none() {
        bail!("no account `{}` in {}", args.account, args.blueprint.display());
    }
    let tags = args
        .tags
        .iter()
        .map(|t| {
            t.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .with_context(|| format!("--tag is KEY=VALUE, not `{t}`"))
        })
        .collect::<Result<Vec<_>>>()?;
    let q = Question {
        principal: principal(&args.principal)?,
        action: args.action.clone(),
        account: args.account.clone(),
        resource: args.resource.clone(),
        tags,
        mfa: !args.no_mfa,
    };
    let model = Model::new(&bp, &root);
    let doc = Explained { file: args.blueprint.display().to_string(), answer: ask(&model, &root, &q) };
    printer.print(&doc, To::Stdout);
    Ok(Exit::Ok)
}
