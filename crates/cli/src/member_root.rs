//! `audit` for member accounts' root credentials, with the blueprint's `root_access` section:
//! whether the audit can look (IAM's centralized root access is on: both organization
//! features, `iam:ListOrganizationsFeatures`), the reads in a privileged root
//! session per member account, and `--enforce`: what will be removed per account, the
//! question (or `--auto-approve`), the removal and its read-back. Rendering is in
//! [`crate::output::member_root`].

use anyhow::{Result, bail};
use groundwork_audit::{AuditReport, MemberRoot, MemberRoots};
use groundwork_aws::Aws;
use groundwork_plan::Live;
use groundwork_plan::kinds::root_access::{ROOT_CREDENTIALS_MANAGEMENT, ROOT_SESSIONS};

use crate::cli::AuditArgs;
use crate::output::member_root::{RootEnforcement, RootPreview};
use crate::printer::{Printer, To};

/// Why the audit cannot look, or `None` when centralized root access is on (both features).
async fn cannot_look(aws: &Aws, live: &Live) -> Option<String> {
    let features = match aws.root_access_features(live).await {
        Ok(f) => f,
        Err(e) => return Some(format!("IAM's organization features could not be read ({e})")),
    };
    let missing: Vec<&str> = [ROOT_CREDENTIALS_MANAGEMENT, ROOT_SESSIONS]
        .into_iter()
        .filter(|f| !features.iter().any(|have| have == f))
        .collect();
    (!missing.is_empty()).then(|| {
        format!(
            "centralized root access is not enabled in the organization ({} off), so no root session can read member accounts' root credentials; `groundwork apply` turns on the blueprint's root_access section",
            missing.join(" and ")
        )
    })
}

/// Member accounts' root credentials: read in a root session per active member account, or
/// why the audit cannot look.
pub(crate) async fn read(aws: &Aws, live: &Live) -> MemberRoots {
    match cannot_look(aws, live).await {
        Some(reason) => MemberRoots::NotChecked { reason },
        None => MemberRoots::Checked { accounts: aws.read_member_roots(live).await },
    }
}

/// `--enforce` for member root credentials: shows what will be removed per account and asks
/// (unless `--auto-approve`; refused without a terminal), then removes exactly that. Returns
/// what happened and whether the plan was shown before a question.
pub(crate) async fn enforce(
    aws: &Aws,
    report: &AuditReport,
    args: &AuditArgs,
    printer: &Printer,
) -> (RootEnforcement, bool) {
    let planned: Vec<MemberRoot> = report.root_credentials_to_remove();
    if planned.is_empty() {
        return (RootEnforcement::Nothing, false);
    }
    if !args.auto_approve && !printer.stdin_tty {
        return (RootEnforcement::Refused { planned }, false);
    }
    let asked = !args.auto_approve;
    if asked {
        printer.show(&RootPreview { planned: &planned }, To::Stdout);
    }
    if args.auto_approve || printer.confirm("Do you want to remove these root credentials?") {
        (RootEnforcement::Done { results: aws.remove_member_roots(&planned).await }, asked)
    } else {
        (RootEnforcement::Cancelled { planned }, asked)
    }
}

/// The exit of the member-root part: an error when enforcement was refused or failed, or a
/// member account's root could not be read.
pub(crate) fn finish(report: &AuditReport, enforcement: Option<&RootEnforcement>, printer: &Printer) -> Result<()> {
    match enforcement {
        Some(RootEnforcement::Refused { .. }) => bail!(
            "refusing to remove root credentials without confirmation: stdin is not a terminal; review the list and pass --auto-approve. Nothing was changed."
        ),
        Some(RootEnforcement::Cancelled { .. }) => {
            printer.err("Root credentials removal cancelled. Nothing was changed.");
        }
        Some(e) if e.failed() > 0 => bail!(
            "the root credentials of {} member accounts could not all be removed (see above); rerun `groundwork audit --enforce`",
            e.failed()
        ),
        _ => {}
    }
    let failed = report.member_roots_failed();
    if failed > 0 {
        bail!("the audit is incomplete: the root user of {failed} member accounts could not be read");
    }
    Ok(())
}
