//! Lowering of the blueprint into generic resources with JSON specs (see [`crate::resource`]):
//! the `logging` and `guardrails` sections here; the access-role check and the `identity` and
//! `roles` sections in their kinds' modules (`crate::kinds`), which [`resources`] runs in order.

use groundwork_blueprint::template::{self, AccountIds, Context, IdRef, Template};
use groundwork_blueprint::{AccountOrigin, Blueprint, DataEvents, Logging, ObjectLockMode, Target};
use serde_json::{Value, json};
use std::borrow::Cow;

use crate::kinds::bucket::{AccessLogging, BucketSpec, Encryption, ObjectLock, PublicAccessBlock};
use crate::kinds::trail::{TrailSpec, event_selectors};
use crate::kinds::{self, Spec};
use crate::resource::{DesiredResource, Kind, Locator, canonical_policy};
use crate::state::Address;

/// The service principal of CloudTrail.
pub const CLOUDTRAIL_PRINCIPAL: &str = "cloudtrail.amazonaws.com";
/// The policy type of service control policies.
pub const SCP_TYPE: &str = "SERVICE_CONTROL_POLICY";

/// What a blueprint template expands to in one place.
#[derive(Debug, Clone, Default)]
pub(crate) struct TemplateCx<'a> {
    /// The account the document is deployed in (`None`: the management account).
    pub(crate) account: Option<&'a str>,
    /// Its workload and environment, when it is a workload account.
    pub(crate) workload: Option<(&'a str, &'a str)>,
    /// The hub account (`None`: the management account).
    pub(crate) hub: Option<&'a str>,
    /// The home region.
    pub(crate) region: &'a str,
}

impl<'a> TemplateCx<'a> {
    /// The template context: names and regions become text, ids the planner's `{{…}}`
    /// references (resolved once the ids are known).
    fn context(&self) -> Context<'a> {
        let id = |account: Option<&str>| Some(Cow::Owned(IdRef::account_or_management(account).to_string()));
        Context {
            account_id: id(self.account),
            account_ids: AccountIds::Deferred,
            account: Some(Cow::Borrowed(self.account.unwrap_or("management"))),
            workload: self.workload.map(|(w, _)| Cow::Borrowed(w)),
            env: self.workload.map(|(_, e)| Cow::Borrowed(e)),
            org: None,
            hub_account_id: id(self.hub),
            management_account_id: Some(Cow::Owned(IdRef::Management.to_string())),
            org_id: Some(Cow::Owned(IdRef::Org.to_string())),
            region: Some(Cow::Borrowed(self.region)),
        }
    }
}

/// Expands the blueprint's `{…}` placeholders: names and regions become text, ids become the
/// planner's `{{…}}` placeholders. `${aws:…}` IAM policy variables are left alone.
pub(crate) fn expand(text: &str, cx: &TemplateCx<'_>) -> String {
    Template::document(text).expand(&cx.context())
}

/// [`expand`] over every string of a JSON value.
pub(crate) fn expand_json(v: &Value, cx: &TemplateCx<'_>) -> Value {
    let cx = cx.context();
    template::map_json(v, false, &|s| Template::document(s).expand(&cx))
}

/// The template context of a blueprint account.
pub(crate) fn account_cx<'a>(bp: &'a Blueprint, name: &'a str, hub: Option<&'a str>) -> TemplateCx<'a> {
    let workload = bp.account(name).and_then(|a| match &a.origin {
        AccountOrigin::Workload { workload, environment } => Some((workload.as_str(), environment.as_str())),
        AccountOrigin::Explicit => None,
    });
    TemplateCx { account: Some(name), workload, hub, region: &bp.organization.home_region.value }
}

/// The identity hub's account name (`None`: the management account).
pub(crate) fn hub(bp: &Blueprint) -> Option<&str> {
    bp.identity.as_ref().and_then(|i| i.account.as_ref()).map(|a| a.value.as_str())
}

/// The ARN of the organization trail (always in the management account, home region).
pub fn trail_arn(region: &str, trail: &str) -> String {
    format!("arn:aws:cloudtrail:{region}:{}:trail/{trail}", IdRef::Management)
}

/// The service principal of S3 server access logging.
pub const S3_LOGGING_PRINCIPAL: &str = "logging.s3.amazonaws.com";

/// The only service principals that may write objects into the log bucket (flow logs to the
/// archive add `delivery.logs.amazonaws.com`: [`log_bucket_policy_with_flow_logs`]).
pub const LOG_WRITER_SERVICES: &[&str] = &[CLOUDTRAIL_PRINCIPAL];

/// Denies every request to the bucket and its objects that does not use TLS.
fn tls_only_statement(arn: &str) -> Value {
    json!({
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, format!("{arn}/*")],
        "Condition": { "Bool": { "aws:SecureTransport": "false" } }
    })
}

/// Days a noncurrent version of the apply lease object is kept in the state bucket (a short
/// record of who held it).
pub const STATE_NONCURRENT_DAYS: i32 = 30;
/// Days after which an incomplete multipart upload into the state bucket is aborted.
pub const STATE_ABORT_MULTIPART_DAYS: i32 = 7;

/// The policy of groundwork's state bucket: TLS only.
pub fn state_bucket_policy(bucket: &str) -> Value {
    json!({ "Version": "2012-10-17", "Statement": [tls_only_statement(&format!("arn:aws:s3:::{bucket}"))] })
}

/// The spec of groundwork's state bucket, in an archive bucket's shape: versioned, the four
/// public-access blocks, SSE-S3, ACLs disabled, no object lock and no access logging, and the
/// TLS-only policy. Nothing current expires (`lifecycle_expiration_days` is null); its one
/// lifecycle rule, for old versions of the lease object, is the lock's own.
pub fn state_bucket_spec(region: &str, bucket: &str) -> BucketSpec {
    bucket_spec(region, Encryption::sse_s3(), None, None, None, &state_bucket_policy(bucket))
}

/// Who may lift a protection of an archive bucket: the ARN of the exception role, if any.
fn protection_statements(arn: &str, exception_role: Option<&str>, writers: &[&str]) -> Vec<Value> {
    let mut tamper = json!({
        "Sid": "DenyArchiveTampering",
        "Effect": "Deny",
        "Principal": "*",
        "Action": groundwork_blueprint::LOG_BUCKET_PROTECTED_ACTIONS,
        "Resource": [arn, format!("{arn}/*")],
    });
    if let Some(role) = exception_role {
        tamper["Condition"] = json!({ "ArnNotLike": { "aws:PrincipalArn": role } });
    }
    vec![
        tls_only_statement(arn),
        tamper,
        // A request by an IAM principal has no `aws:PrincipalServiceName`; a negated operator
        // is true for a missing key, so this denies every writer that is not one of `writers`.
        json!({
            "Sid": "DenyOtherWriters",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": format!("{arn}/*"),
            "Condition": { "StringNotEquals": { "aws:PrincipalServiceName": writers } }
        }),
    ]
}

/// The log bucket's policy: CloudTrail may check the ACL and write under the organization's and
/// the management account's prefixes, only for this trail; no request without TLS; nobody but
/// the exception role (`exception_role`, an ARN) may delete the bucket, its objects or versions,
/// or change any setting in [`groundwork_blueprint::LOG_BUCKET_PROTECTED_ACTIONS`]; and nobody
/// but [`LOG_WRITER_SERVICES`] may write an object.
pub fn log_bucket_policy(bucket: &str, trail_arn: &str, exception_role: Option<&str>) -> Value {
    log_bucket_policy_with_flow_logs(bucket, trail_arn, exception_role, None)
}

/// [`log_bucket_policy`], and when VPC flow logs go to the archive under `flow_log_prefix`,
/// log delivery's statements ([`crate::kinds::flow_log::bucket_statements`]: only for the
/// organization's accounts, only under the prefix) with log delivery among the writers.
pub fn log_bucket_policy_with_flow_logs(
    bucket: &str,
    trail_arn: &str,
    exception_role: Option<&str>,
    flow_log_prefix: Option<&str>,
) -> Value {
    let arn = format!("arn:aws:s3:::{bucket}");
    let mut statements = vec![
        json!({
            "Sid": "AWSCloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": { "Service": CLOUDTRAIL_PRINCIPAL },
            "Action": "s3:GetBucketAcl",
            "Resource": arn,
            "Condition": { "StringEquals": { "aws:SourceArn": trail_arn } }
        }),
        json!({
            "Sid": "AWSCloudTrailWrite",
            "Effect": "Allow",
            "Principal": { "Service": CLOUDTRAIL_PRINCIPAL },
            "Action": "s3:PutObject",
            "Resource": [
                format!("{arn}/AWSLogs/{}/*", IdRef::Management),
                format!("{arn}/AWSLogs/{}/*", IdRef::Org)
            ],
            "Condition": { "StringEquals": {
                "s3:x-amz-acl": "bucket-owner-full-control",
                "aws:SourceArn": trail_arn
            } }
        }),
    ];
    let mut writers = LOG_WRITER_SERVICES.to_vec();
    if let Some(prefix) = flow_log_prefix {
        statements.extend(crate::kinds::flow_log::bucket_statements(&arn, prefix));
        writers.push(crate::kinds::flow_log::LOG_DELIVERY_PRINCIPAL);
    }
    statements.extend(protection_statements(&arn, exception_role, &writers));
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// The access-log bucket's policy: S3 server access logging may write the log bucket's access
/// logs under `<log bucket>/`, only for that bucket in that account; otherwise as hardened as
/// the log bucket (TLS only, the same protected actions, no other writer).
pub fn access_log_bucket_policy(
    bucket: &str,
    source_bucket: &str,
    source_account: &str,
    exception_role: Option<&str>,
) -> Value {
    let arn = format!("arn:aws:s3:::{bucket}");
    let mut statements = vec![json!({
        "Sid": "S3ServerAccessLogsPolicy",
        "Effect": "Allow",
        "Principal": { "Service": S3_LOGGING_PRINCIPAL },
        "Action": "s3:PutObject",
        "Resource": format!("{arn}/{source_bucket}/*"),
        "Condition": {
            "ArnLike": { "aws:SourceArn": format!("arn:aws:s3:::{source_bucket}") },
            "StringEquals": { "aws:SourceAccount": source_account }
        }
    })];
    statements.extend(protection_statements(&arn, exception_role, &[S3_LOGGING_PRINCIPAL]));
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// Address of the log bucket.
pub fn bucket_address(logging: &Logging) -> Address {
    Address::bucket(&logging.account.value, &logging.bucket.value)
}

/// The spec of an archive bucket (the log bucket and its access-log bucket): versioned, the four
/// public-access blocks, default encryption, ACLs disabled, the retention rule, object lock,
/// server access logging and the policy (written last).
fn bucket_spec(
    region: &str,
    encryption: Encryption,
    retention_days: Option<u32>,
    object_lock: Option<ObjectLock>,
    access_logging: Option<AccessLogging>,
    policy: &Value,
) -> BucketSpec {
    BucketSpec {
        region: region.to_owned(),
        versioning: "Enabled".into(),
        public_access_block: PublicAccessBlock::ALL,
        encryption: Some(encryption),
        ownership: Some("BucketOwnerEnforced".into()),
        lifecycle_expiration_days: retention_days,
        object_lock,
        access_logging,
        policy: canonical_policy(policy),
    }
}

fn logging_resources(bp: &Blueprint, out: &mut Vec<DesiredResource>) {
    let Some(logging) = &bp.logging else { return };
    let region = bp.organization.home_region.value.as_str();
    let cx = account_cx(bp, &logging.account.value, hub(bp));
    let bucket = expand(&logging.bucket.value, &cx);
    let trail_arn = trail_arn(region, &logging.trail.value);
    // The archive key groundwork makes (the default), a key of the blueprint's own, or SSE-S3.
    let own_key = crate::kinds::kms_key::lower(bp, out);
    let key_id = match (&own_key, &logging.kms_key_arn) {
        (Some((_, alias_arn)), _) => Some(alias_arn.clone()),
        (None, Some(key)) => Some(key.value.clone()),
        (None, None) => None,
    };
    let encryption = match &key_id {
        Some(key) => Encryption { algorithm: "aws:kms".into(), kms_key_id: Some(key.clone()) },
        None => Encryption::sse_s3(),
    };
    let object_lock = logging.object_lock.map(|l| {
        let mode = match l.mode {
            ObjectLockMode::Governance => "GOVERNANCE",
            ObjectLockMode::Compliance => "COMPLIANCE",
        };
        ObjectLock { mode: Some(mode.into()), days: Some(l.days) }
    });
    let bucket_address = bucket_address(logging);
    let log_account = IdRef::Account(&logging.account.value).to_string();
    let exception =
        logging.protection_exception_role.as_ref().map(|r| format!("arn:aws:iam::{log_account}:role/{}", r.value));
    let access_bucket = logging.access_log_bucket.as_ref().map(|b| expand(&b.value, &cx));
    let mut after: Vec<Address> = own_key.iter().map(|(a, _)| a.clone()).collect();
    if let (Some(name), Some(raw)) = (&access_bucket, &logging.access_log_bucket) {
        let address = Address::bucket(&logging.account.value, &raw.value);
        out.push(DesiredResource {
            address: address.clone(),
            at: Locator::new(Kind::Bucket, Some(logging.account.value.clone()), name.clone()),
            spec: bucket_spec(
                region,
                // Server access logs can only be delivered to a bucket encrypted with SSE-S3.
                Encryption::sse_s3(),
                logging.retention_days,
                None,
                None,
                &access_log_bucket_policy(name, &bucket, &log_account, exception.as_deref()),
            )
            .to_value(),
            after: Vec::new(),
        });
        after.push(address);
    }
    let access_logging = access_bucket
        .as_ref()
        .map(|target| AccessLogging { target_bucket: target.clone(), target_prefix: format!("{bucket}/") });
    out.push(DesiredResource {
        address: bucket_address.clone(),
        at: Locator::new(Kind::Bucket, Some(logging.account.value.clone()), bucket.clone()),
        spec: bucket_spec(
            region,
            encryption,
            logging.retention_days,
            object_lock,
            access_logging,
            &log_bucket_policy_with_flow_logs(
                &bucket,
                &trail_arn,
                exception.as_deref(),
                crate::kinds::flow_log::archive_prefix(bp),
            ),
        )
        .to_value(),
        after,
    });
    let data_buckets: Option<Vec<String>> = logging.data_events.as_ref().map(|d| match d {
        DataEvents::AllBuckets => Vec::new(),
        DataEvents::Buckets(list) => list
            .iter()
            .map(|b| {
                if b.value == groundwork_blueprint::LOG_BUCKET_WORD {
                    bucket.clone()
                } else {
                    expand(b.value.strip_prefix("arn:aws:s3:::").unwrap_or(&b.value), &cx)
                        .trim_end_matches("/*")
                        .to_owned()
                }
            })
            .collect(),
    });
    let destination = crate::kinds::log_group::trail_destination(bp);
    let access = crate::kinds::service_access::desired(CLOUDTRAIL_PRINCIPAL);
    let access_address = access.address.clone();
    out.push(access);
    out.push(DesiredResource {
        address: Address::trail(&logging.trail.value),
        at: Locator::new(Kind::Trail, None, logging.trail.value.clone()),
        spec: TrailSpec {
            s3_bucket: bucket,
            is_organization_trail: true,
            multi_region: logging.all_regions,
            log_file_validation: logging.log_file_validation,
            global_service_events: true,
            kms_key_id: key_id,
            event_selectors: event_selectors(data_buckets.as_deref()),
            logging: true,
            cloud_watch_logs: destination.as_ref().map(|(d, _)| d.clone()),
        }
        .to_value(),
        after: [bucket_address, access_address]
            .into_iter()
            .chain(own_key.map(|(a, _)| a))
            .chain(destination.into_iter().flat_map(|(_, after)| after))
            .collect(),
    });
}

/// The text of a target in addresses and specs: `Root`, an OU path, or `account:NAME`.
pub fn target_text(t: &Target) -> String {
    t.to_string()
}

/// What the blueprint's sections ask to prune (`guardrails.prune`: SCPs).
pub(crate) fn prune(bp: &Blueprint) -> crate::state::Prune {
    let mut out = crate::state::Prune::default();
    if bp.guardrails.prune {
        out.sections.insert(Kind::Scp, "guardrails.prune".to_owned());
        // Policies of other types are listed, so can be pruned, only while the blueprint has
        // some (discovery reads them for those).
        if !bp.guardrails.organization_policies.is_empty() {
            out.sections.insert(Kind::OrgPolicy, "guardrails.prune".to_owned());
        }
    }
    out
}

/// Every resource of the blueprint beyond the organization tree.
pub(crate) fn resources(bp: &Blueprint) -> Vec<DesiredResource> {
    let mut out = Vec::new();
    logging_resources(bp, &mut out);
    kinds::scp::lower(bp, &mut out);
    kinds::org_policy::lower(bp, &mut out);
    kinds::budget::lower(bp, &mut out);
    kinds::access_role::lower(bp, &mut out);
    kinds::password_policy::lower(bp, &mut out);
    kinds::managed_policy::lower(bp, &mut out);
    kinds::group::lower(bp, &mut out);
    kinds::user::lower(bp, &mut out);
    kinds::access_key::lower(bp, &mut out);
    kinds::role::lower(bp, &mut out);
    crate::baseline::resources(bp, &mut out);
    kinds::sso_group::lower(bp, &mut out);
    kinds::sso_user::lower(bp, &mut out);
    kinds::sso_membership::lower(bp, &mut out);
    kinds::permission_set::lower(bp, &mut out);
    kinds::sso_assignment::lower(bp, &mut out);
    kinds::flow_log::lower(bp, &mut out);
    kinds::root_access::lower(bp, &mut out);
    kinds::log_group::lower_section(bp, &mut out);
    // Last: its permissions are computed from everything else.
    kinds::role::lower_execution(bp, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_bucket_and_key_policies_name_real_actions_resources_and_keys() {
        let role = Some("arn:aws:iam::{account_id}:role/LogArchiveBreakGlass");
        let trail = "arn:aws:cloudtrail:eu-west-1:{management_account_id}:trail/org-trail";
        for doc in [
            state_bucket_policy("acme-state"),
            log_bucket_policy("acme-trail", trail, role),
            log_bucket_policy("acme-trail", trail, None),
            access_log_bucket_policy("acme-access", "acme-trail", "111111111111", role),
            crate::kinds::kms_key::key_policy("eu-west-1", "org-trail", "222222222222"),
        ] {
            let found = groundwork_blueprint::check_policy_document(&doc);
            assert!(found.is_empty(), "{doc}: {found:#?}");
        }
    }

    #[test]
    fn the_permissions_groundwork_asks_for_name_real_actions() {
        let src = include_str!("../../../blueprints/landing-zone.yaml");
        let bp = groundwork_blueprint::parse("landing-zone.yaml", src.as_bytes()).unwrap().blueprint;
        for set in &crate::permissions(&bp).sets {
            for doc in set.documents() {
                let found: Vec<String> =
                    groundwork_blueprint::check_policy_document(&doc).into_iter().map(|d| d.message).collect();
                assert!(found.is_empty(), "{}: {found:#?}", set.name);
            }
        }
    }

    #[test]
    fn templates_expand_to_names_and_id_placeholders() {
        let cx =
            TemplateCx { account: Some("jira-prod"), workload: Some(("jira", "prod")), hub: None, region: "eu-west-1" };
        assert_eq!(
            expand("arn:aws:s3:::{workload}-{env}-{account_id}/*", &cx),
            "arn:aws:s3:::jira-prod-{{account_id:jira-prod}}/*"
        );
        assert_eq!(
            expand("{hub_account_id} {account_id:log} {org_id} {region}", &cx),
            "{{management_account_id}} {{account_id:log}} {{org_id}} eu-west-1"
        );
        assert_eq!(expand("arn:aws:iam::*:user/${aws:username}", &cx), "arn:aws:iam::*:user/${aws:username}");
        assert_eq!(expand("{unknown} {", &cx), "{unknown} {");
    }

    fn blueprint(extra_org: &str) -> Blueprint {
        let src = format!(
            "version: 1
organization:
  name: acme
  home_region: eu-west-1
  management_account: {{ email: root@acme.example }}
{extra_org}organizational_units:
  - name: Workloads
accounts:
  - {{ name: logs, email: aws+logs@acme.example, ou: Workloads, purpose: log-archive }}
  - {{ name: app, email: aws+app@acme.example, ou: Workloads, purpose: workload }}
logging: {{ account: logs, bucket: \"acme-logs-{{account_id}}\", trail: org-trail }}
guardrails:
  policies:
    - {{ name: deny-root-user, builtin: deny-root-user, targets: [Root] }}
    - {{ name: protect-cloudtrail, builtin: protect-cloudtrail, targets: [Root] }}
"
        );
        groundwork_blueprint::parse("t.yaml", src.as_bytes())
            .unwrap_or_else(|d| panic!("{}", d.render_plain()))
            .blueprint
    }

    fn by_address(bp: &Blueprint) -> std::collections::BTreeMap<String, DesiredResource> {
        resources(bp).into_iter().map(|r| (r.address.to_string(), r)).collect()
    }

    #[test]
    fn protect_access_role_is_lowered_to_an_scp_attached_at_root() {
        let all = by_address(&blueprint(""));
        let scp = &all["scp/protect-access-role"];
        let s = &scp.spec["document"]["Statement"][0];
        assert_eq!(s["Sid"], "ProtectAccessRole");
        assert_eq!(s["Effect"], "Deny");
        // Canonical documents hold lists, however the generator wrote a single value.
        assert_eq!(s["Resource"], json!(["arn:aws:iam::*:role/OrganizationAccountAccessRole"]));
        assert_eq!(
            s["Condition"]["ArnNotLike"]["aws:PrincipalArn"],
            json!(["arn:aws:iam::*:role/OrganizationAccountAccessRole"])
        );
        assert_eq!(s["Action"].as_array().unwrap().len(), 12);
        let attachment = &all["scp-attachment/protect-access-role@Root"];
        assert_eq!(attachment.spec, json!({ "policy": "protect-access-role", "target": "Root" }));
        assert_eq!(attachment.after, vec![scp.address.clone()]);
    }

    #[test]
    fn the_break_glass_role_is_exempted_and_protected_with_the_access_role() {
        let all = by_address(&blueprint("  break_glass_role: BreakGlass\n"));
        let both = json!(["arn:aws:iam::*:role/BreakGlass", "arn:aws:iam::*:role/OrganizationAccountAccessRole"]);
        let protect = &all["scp/protect-access-role"].spec["document"]["Statement"][0];
        assert_eq!(protect["Resource"], both);
        assert_eq!(protect["Condition"]["ArnNotLike"]["aws:PrincipalArn"], both);
        for st in all["scp/protect-cloudtrail"].spec["document"]["Statement"].as_array().unwrap() {
            assert_eq!(st["Condition"]["ArnNotLike"]["aws:PrincipalArn"], both);
        }
    }

    #[test]
    fn every_member_account_gets_an_access_role_check() {
        let all = by_address(&blueprint("  access_role: GroundworkAccess\n  deployer_role: Deployer\n"));
        for account in ["logs", "app"] {
            let check = &all[&format!("access-role/{account}")];
            assert_eq!(check.at, Locator::new(Kind::AccessRole, Some(account.into()), "GroundworkAccess".into()));
            assert_eq!(
                check.spec["trusted_principals"],
                json!([
                    "arn:aws:iam::{{management_account_id}}:root",
                    "arn:aws:iam::{{management_account_id}}:role/Deployer"
                ])
            );
        }
        let plain = by_address(&blueprint(""));
        assert_eq!(
            plain["access-role/app"].spec["trusted_principals"],
            json!(["arn:aws:iam::{{management_account_id}}:root"])
        );
    }
}
