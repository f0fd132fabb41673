//! `groundwork audit`: the credential audit of every account, as a table or a JSON document
//! ([`crate::output::audit`]) and a self-contained HTML report, and `--enforce`, which
//! deactivates the non-compliant access keys.

use std::fmt::Write as _;
use std::time::SystemTime;

use anyhow::{Context, Result, bail};
use groundwork_audit::{AuditPolicy, AuditReport, Finding, KeyRef, Rule, Severity, rfc3339};
use groundwork_plan::Desired;

use crate::Exit;
use crate::cli::{AuditArgs, Global, PlanningArgs};
use crate::commands::{Session, connect, load_blueprint};
use crate::output::audit::{Audit, Enforcement, Preview, access_keys, account_label, rule_list, summary_line};
use crate::printer::{Printer, To};

/// `--as-of`: `YYYY-MM-DD` (midnight UTC) or RFC 3339.
pub(crate) fn parse_as_of(s: &str) -> Result<SystemTime, String> {
    use time::format_description::well_known::Rfc3339;
    if let Some(days) = relative_days(s) {
        return SystemTime::now()
            .checked_add(std::time::Duration::from_secs(days * 86_400))
            .ok_or_else(|| format!("`{s}` is too far ahead"));
    }
    let day = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = time::Date::parse(s, &day) {
        return Ok(d.midnight().assume_utc().into());
    }
    time::OffsetDateTime::parse(s, &Rfc3339).map(Into::into).map_err(|_| {
        format!(
            "`{s}` is not a date: use YYYY-MM-DD, RFC 3339 (2026-03-31T00:00:00Z) or days from now (+100 days, +100d)"
        )
    })
}

/// `+N days`, `+N day` or `+Nd`: N days from now.
fn relative_days(s: &str) -> Option<u64> {
    let rest = s.trim().strip_prefix('+')?.trim();
    let digits = rest.trim_end_matches(|c: char| c.is_ascii_alphabetic()).trim_end();
    let unit = rest[digits.len()..].trim();
    matches!(unit, "d" | "day" | "days").then(|| digits.parse().ok()).flatten()
}

pub(crate) async fn audit(session: &Session, g: &Global, args: &AuditArgs, printer: &Printer) -> Result<Exit> {
    let bp = load_blueprint(&args.blueprint, printer)?;
    let desired = Desired::from_blueprint(&bp);
    let planning = PlanningArgs { account_quota: None, no_rate_limit: args.no_rate_limit };
    let aws = connect(session, g, &planning, &desired).await?;
    let live = aws.discover().await.context("discovering the organization (read-only)")?;
    let Some(org) = &live.organization else {
        bail!("the credentials' account is in no organization; there is nothing to audit");
    };
    let want = &bp.organization.management_email.value;
    if !org.management_email.eq_ignore_ascii_case(want) {
        bail!(
            "these credentials reach organization {} whose management account email is {}, but the blueprint names {want}; nothing was audited",
            org.id,
            org.management_email
        );
    }
    let mut policy = AuditPolicy::for_blueprint(&bp, &live, args.as_of.unwrap_or_else(SystemTime::now));
    policy.max_key_age_days = args.max_key_age;
    policy.max_unused_days = args.max_unused;
    policy.member_root_mfa = args.member_root_mfa;
    policy.ignore.clone_from(&args.ignore);
    let active = live.accounts.iter().filter(|a| a.status == groundwork_plan::AccountStatus::Active).count();
    printer.info(&format!("Auditing {active} active accounts of {} (read-only)...", org.id));
    let (org, reads) = aws.read_credentials(&live, &policy).await.context("auditing the organization (read-only)")?;
    let mut report = AuditReport::evaluate(&org.id, &org.management_account_id, &policy, &reads);
    if let Some(keys) = crate::keys::programmatic_keys(&aws, &bp, &live, &desired).await? {
        report.apply_lifecycle(&keys, policy.as_of_secs());
    }
    // Each sandbox's limits, from the blueprint's `sandbox` section.
    let alerts_topic = bp.alerts.as_ref().map(|a| a.topic.name.as_str());
    for a in &mut report.accounts {
        a.sandbox = bp.sandbox.as_ref().and_then(|s| s.summary(&a.name, alerts_topic));
    }
    // And what was found of them: sandbox-limits attached, the budget (a finding when not).
    if let Some(sandboxes) = crate::sandbox_audit::read(&aws, &bp, &desired, &live).await? {
        report.apply_sandboxes(&sandboxes, &policy.ignore);
    }
    // Member accounts' root credentials, with the blueprint's `root_access` section.
    if bp.root_access.is_some() {
        report.apply_member_roots(crate::member_root::read(&aws, &live).await, &policy);
    }
    let mut asked = false;
    for a in report.accounts.iter().filter(|a| a.error.is_some()) {
        printer.err(&format!(
            "error: account {} ({}) could not be audited: {}",
            a.name,
            a.id,
            a.error.as_deref().unwrap_or("")
        ));
    }
    let enforcement = if args.enforce {
        let keys = report.keys_to_deactivate();
        let own = aws.own_access_key_id().await;
        let (skipped, planned): (Vec<KeyRef>, Vec<KeyRef>) =
            keys.into_iter().partition(|k| own.as_deref() == Some(k.access_key_id.as_str()));
        let skipped: Vec<(KeyRef, String)> = skipped
            .into_iter()
            .map(|k| (k, "it is the access key this run is signed with; rotate it yourself".to_owned()))
            .collect();
        Some(if planned.is_empty() {
            Enforcement::Nothing { skipped }
        } else if !args.auto_approve && !printer.stdin_tty {
            Enforcement::Refused { planned, skipped }
        } else {
            // At a terminal: what will happen first, then the question.
            asked = !args.auto_approve;
            if asked {
                printer.show(&Preview { report: &report, planned: &planned, skipped: &skipped }, To::Stdout);
            }
            if args.auto_approve || printer.confirm("Do you want to deactivate these access keys?") {
                let results = aws.deactivate_keys(&report.management_account_id, &planned).await;
                Enforcement::Done { results, skipped }
            } else {
                Enforcement::Cancelled { planned, skipped }
            }
        })
    } else {
        None
    };
    let (root, root_asked) = if args.enforce && report.member_roots.is_some() {
        let (e, asked) = crate::member_root::enforce(&aws, &report, args, printer).await;
        (Some(e), asked)
    } else {
        (None, false)
    };
    printer.print(
        &Audit { report: &report, enforcement: enforcement.as_ref(), asked, root: root.as_ref(), root_asked },
        To::Stdout,
    );
    if let Some(path) = &args.report {
        let html = render_html(&report, enforcement.as_ref(), root.as_ref(), SystemTime::now());
        std::fs::write(path, html).with_context(|| format!("writing the HTML report to {}", path.display()))?;
        printer.info(&format!("Wrote the HTML report to {}.", path.display()));
    }

    match &enforcement {
        Some(Enforcement::Refused { .. }) => bail!(
            "refusing to deactivate access keys without confirmation: stdin is not a terminal; review the list and pass --auto-approve. Nothing was changed."
        ),
        Some(Enforcement::Cancelled { .. }) => printer.err("Enforcement cancelled. Nothing was changed."),
        Some(e @ Enforcement::Done { .. }) if e.failed() > 0 => {
            bail!(
                "{} could not be deactivated (see above); rerun `groundwork audit --enforce`",
                access_keys(e.failed())
            )
        }
        _ => {}
    }
    crate::member_root::finish(&report, root.as_ref(), printer)?;
    if report.summary.accounts_failed > 0 {
        bail!(
            "the audit is incomplete: {} of {} accounts could not be read",
            report.summary.accounts_failed,
            report.summary.accounts
        );
    }
    Ok(if report.findings.is_empty() { Exit::Ok } else { Exit::Changes })
}

/// Escapes text for HTML content and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = "
:root{--ink:#1d2430;--muted:#5b6675;--line:#d9dee5;--bg:#f6f7f9;--crit:#8b0a1a;--high:#c62828;--med:#b26a00;--low:#1f6f8b;--ok:#2e7d32}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 -apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:var(--ink);background:var(--bg)}
main{max-width:1100px;margin:0 auto;padding:32px 24px 48px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:36px 0 12px;border-bottom:2px solid var(--line);padding-bottom:6px}
h3{font-size:16px;margin:24px 0 8px}.id{color:var(--muted);font-weight:normal}
.meta{color:var(--muted);margin:0}.meta b{color:var(--ink)}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:24px 0 8px}
.card{flex:1 1 120px;background:#fff;border:1px solid var(--line);border-top:5px solid var(--muted);border-radius:6px;padding:12px 16px}
.card .n{display:block;font-size:30px;font-weight:700}.card .l{color:var(--muted);text-transform:uppercase;font-size:12px;letter-spacing:.05em}
.card.critical{border-top-color:var(--crit)}.card.high{border-top-color:var(--high)}.card.medium{border-top-color:var(--med)}.card.low{border-top-color:var(--low)}.card.clean{border-top-color:var(--ok)}
table{width:100%;border-collapse:collapse;background:#fff;border:1px solid var(--line);margin-bottom:8px}
th,td{text-align:left;padding:7px 10px;border-bottom:1px solid var(--line);vertical-align:top}
th{background:#eef1f5;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
td.subject,td.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px;overflow-wrap:anywhere}
.badge{display:inline-block;min-width:64px;text-align:center;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600;text-transform:uppercase}
.badge.critical{background:var(--crit)}.badge.high{background:var(--high)}.badge.medium{background:var(--med)}.badge.low{background:var(--low)}
.ok{color:var(--ok);font-weight:600}.bad{color:var(--high);font-weight:600}
.note{background:#fff;border-left:4px solid var(--muted);padding:8px 12px}
footer{margin-top:40px;color:var(--muted);font-size:13px}
@media print{body{background:#fff}main{padding:0}.card,table{break-inside:avoid}h2{break-after:avoid}}
";

fn findings_table(html: &mut String, findings: &[&Finding]) {
    html.push_str(
        "<table><thead><tr><th>Severity</th><th>Rule</th><th>Subject</th><th>Detail</th></tr></thead><tbody>\n",
    );
    for f in findings {
        let _ = writeln!(
            html,
            "<tr><td><span class=\"badge {s}\">{s}</span></td><td>{}</td><td class=\"subject\">{}</td><td>{}</td></tr>",
            esc(f.rule.id()),
            esc(&f.subject),
            esc(&f.detail),
            s = f.severity.as_str(),
        );
    }
    html.push_str("</tbody></table>\n");
}

/// The self-contained HTML report: organization, date evaluated, counts by severity, findings
/// per account with severity badges, the accounts audited, keys deactivated, accepted
/// exceptions, and what each rule checks. Every text is escaped.
fn render_html(
    report: &AuditReport,
    enforcement: Option<&Enforcement>,
    root: Option<&crate::output::member_root::RootEnforcement>,
    generated: SystemTime,
) -> String {
    let s = &report.summary;
    let generated = generated
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok())
        .map_or_else(String::new, rfc3339);
    let mut html = String::new();
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Credential audit of {org}, as of {as_of}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n<h1>AWS credential audit</h1>\n<p class=\"meta\">Organization <b>{org}</b> &middot; management account <b>{mgmt}</b></p>\n<p class=\"meta\">Evaluated as of <b>{as_of}</b> &middot; generated {generated}</p>\n",
        org = esc(&report.organization_id),
        mgmt = esc(&report.management_account_id),
        as_of = esc(&report.as_of),
        generated = esc(&generated),
    );
    html.push_str("<div class=\"cards\">\n");
    if report.findings.is_empty() {
        html.push_str("<div class=\"card clean\"><span class=\"n\">0</span><span class=\"l\">findings</span></div>\n");
    }
    for sev in Severity::AUDIT {
        let _ = writeln!(
            html,
            "<div class=\"card {c}\"><span class=\"n\">{}</span><span class=\"l\">{c}</span></div>",
            s.count(sev),
            c = sev.as_str()
        );
    }
    html.push_str("</div>\n");
    let _ = writeln!(
        html,
        "<p class=\"summary\">{}</p>\n<p class=\"meta\">{} accounts audited, {} IAM users and {} access keys read. Thresholds: active access keys at most {} days old and used within the last {} days.</p>",
        esc(&summary_line(report)),
        s.accounts,
        s.users,
        s.access_keys,
        report.max_key_age_days,
        report.max_unused_days
    );

    html.push_str("<h2>Findings by account</h2>\n");
    if report.findings.is_empty() {
        html.push_str("<p class=\"ok\">No findings in any account.</p>\n");
    }
    for a in report.accounts.iter().filter(|a| a.findings > 0) {
        let _ = writeln!(html, "<h3>{} <span class=\"id\">({})</span></h3>", esc(&a.name), esc(&a.id));
        let found: Vec<&Finding> = report.findings.iter().filter(|f| f.account_id == a.id).collect();
        findings_table(&mut html, &found);
    }

    if let Some(e) = enforcement {
        html.push_str("<h2>Enforcement</h2>\n");
        match e {
            Enforcement::Done { results, skipped } => {
                html.push_str("<p>Access keys set to <b>Inactive</b> (never deleted; status read back from IAM):</p>\n<table><thead><tr><th>Account</th><th>User</th><th>Access key</th><th>Rules</th><th>Result</th></tr></thead><tbody>\n");
                for d in results {
                    let result = match (&d.status, &d.error) {
                        (_, Some(err)) => format!("<span class=\"bad\">failed: {}</span>", esc(err)),
                        (Some(st), None) => format!("<span class=\"ok\">{}</span>", esc(st)),
                        (None, None) => "unknown".to_owned(),
                    };
                    let _ = writeln!(
                        html,
                        "<tr><td>{} <span class=\"id\">({})</span></td><td>{}</td><td class=\"mono\">{}</td><td>{}</td><td>{result}</td></tr>",
                        esc(&d.key.account_name),
                        esc(&d.key.account_id),
                        esc(&d.key.user),
                        esc(&d.key.access_key_id),
                        esc(&rule_list(&d.key.rules))
                    );
                }
                html.push_str("</tbody></table>\n");
                skipped_html(&mut html, skipped);
            }
            Enforcement::Nothing { skipped } => {
                html.push_str("<p>No access key needed deactivating.</p>\n");
                skipped_html(&mut html, skipped);
            }
            Enforcement::Cancelled { planned, .. } | Enforcement::Refused { planned, .. } => {
                let _ = writeln!(
                    html,
                    "<p class=\"note\">{} to be deactivated; nothing was changed (not confirmed).</p>",
                    access_keys(planned.len())
                );
            }
        }
    }

    crate::output::member_root::html(&mut html, report, root, esc);
    rotation_html(&mut html, report);

    html.push_str("<h2>Accounts audited</h2>\n<table><thead><tr><th>Account</th><th>Id</th><th>IAM users</th><th>Access keys</th><th>Password policy checked</th><th>Findings</th></tr></thead><tbody>\n");
    for a in &report.accounts {
        let findings = match &a.error {
            Some(e) => format!("<span class=\"bad\">not read: {}</span>", esc(e)),
            None if a.findings == 0 => "<span class=\"ok\">0</span>".to_owned(),
            None => a.findings.to_string(),
        };
        let _ = writeln!(
            html,
            "<tr><td>{}{}</td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{findings}</td></tr>",
            esc(&a.name),
            if a.management { " (management)" } else { "" },
            esc(&a.id),
            a.users,
            a.access_keys,
            if a.password_policy_checked { "yes" } else { "no" },
        );
    }
    html.push_str("</tbody></table>\n");

    if !report.ignored.is_empty() {
        let _ = writeln!(
            html,
            "<h2>Accepted exceptions</h2>\n<p>Findings covered by <code>--ignore {}</code>: not counted above.</p>",
            esc(&report.ignore.join(" --ignore "))
        );
        html.push_str("<table><thead><tr><th>Account</th><th>Severity</th><th>Rule</th><th>Subject</th><th>Detail</th></tr></thead><tbody>\n");
        for f in &report.ignored {
            let _ = writeln!(
                html,
                "<tr><td>{}</td><td><span class=\"badge {s}\">{s}</span></td><td>{}</td><td class=\"subject\">{}</td><td>{}</td></tr>",
                esc(&account_label(f)),
                esc(f.rule.id()),
                esc(&f.subject),
                esc(&f.detail),
                s = f.severity.as_str()
            );
        }
        html.push_str("</tbody></table>\n");
    }

    html.push_str("<h2>What is checked</h2>\n<table><thead><tr><th>Rule</th><th>Severity</th><th>Finding when</th></tr></thead><tbody>\n");
    for rule in Rule::ALL {
        let _ = writeln!(
            html,
            "<tr><td class=\"mono\">{}</td><td><span class=\"badge {sev}\">{sev}</span></td><td>{}</td></tr>",
            esc(rule.id()),
            esc(rule.description()),
            sev = rule.severity().as_str(),
        );
    }
    html.push_str("</tbody></table>\n<footer>Produced by <code>groundwork audit</code>. The audit only reads; with <code>--enforce</code> it deactivates the access keys listed above and changes nothing else. Secret access keys are never read; access key ids identify keys and are not secrets.</footer>\n</main>\n</body>\n</html>\n");
    html
}

/// The rotation status of programmatic users' keys (`identity` users with `programmatic: true`).
fn rotation_html(html: &mut String, report: &AuditReport) {
    if report.rotation.is_empty() {
        return;
    }
    html.push_str("<h2>Access key rotation</h2>\n<p>The keys groundwork created for programmatic users, and the next step of <code>groundwork keys rotate</code>. A key rotating out is not a finding until its grace period ends.</p>\n<table><thead><tr><th>User</th><th>Access key</th><th>Status</th><th>Active</th><th>Next step</th></tr></thead><tbody>\n");
    for r in &report.rotation {
        let _ = writeln!(
            html,
            "<tr><td>{} <span class=\"id\">({})</span></td><td class=\"mono\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.user),
            esc(&r.account_id),
            esc(&r.access_key_id),
            esc(r.status),
            if r.active { "yes" } else { "no" },
            esc(&r.next)
        );
    }
    html.push_str("</tbody></table>\n");
}

fn skipped_html(html: &mut String, skipped: &[(KeyRef, String)]) {
    for (k, why) in skipped {
        let _ = writeln!(
            html,
            "<p class=\"note\">Not deactivated: {}/{} in {} ({}): {}</p>",
            esc(&k.user),
            esc(&k.access_key_id),
            esc(&k.account_name),
            esc(&k.account_id),
            esc(why)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_of_takes_a_day_or_rfc3339() {
        let day = parse_as_of("2026-03-31").unwrap();
        let exact = parse_as_of("2026-03-31T00:00:00Z").unwrap();
        assert_eq!(day, exact);
        let offset = parse_as_of("2026-03-31T02:00:00+02:00").unwrap();
        assert_eq!(offset, exact);
        assert!(parse_as_of("31/03/2026").unwrap_err().contains("YYYY-MM-DD"));
    }

    #[test]
    fn as_of_takes_days_from_now() {
        let secs = |t: SystemTime| t.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        for s in ["+100 days", "+100d", " +100 day", "+ 100 days"] {
            let ahead = secs(parse_as_of(s).unwrap()) - secs(SystemTime::now());
            assert!((100 * 86_400 - 5..=100 * 86_400).contains(&ahead), "{s}: {ahead}");
        }
        for s in ["+100", "+days", "100 days", "+100 weeks", "+-3d"] {
            assert!(parse_as_of(s).is_err(), "{s}");
        }
    }

    #[test]
    fn html_escapes_everything() {
        assert_eq!(
            esc("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
    }
}
