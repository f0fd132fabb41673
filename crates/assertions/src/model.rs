//! The access model of a blueprint: every policy in force, expanded for the account it lives
//! in, with the place in the blueprint each statement comes from. Account ids are unknown
//! offline, so each account gets a stable stand-in id (the same on every side of a
//! comparison, which is all an ARN match needs).

use std::collections::BTreeMap;

use groundwork_blueprint::template::{AccountIds, Context, Template, map_json};
use groundwork_blueprint::yaml::{Node, NodeKind};
use groundwork_blueprint::{
    Blueprint, DEFAULT_MAX_MFA_AGE_SECONDS, OuPath, Purpose, Role, RoleTrust, SECURITY_AUDIT_POLICY_ARN,
    SUPPORT_POLICY_ARN, SessionName, Span, Spanned, Target, baseline_roles_of, force_mfa_policy, group_document,
    role_arn, role_inline_policy,
};
use serde_json::{Value, json};

/// Where a statement comes from in the blueprint, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// What it is, e.g. `role jira-admin, statement OperateJiraInstances`.
    pub what: String,
    /// Where it is written.
    pub span: Span,
}

/// A policy in force, expanded, with the origin of each statement.
#[derive(Debug, Clone)]
pub struct Doc {
    /// Label (unique within a model).
    pub label: String,
    /// The expanded JSON document.
    pub document: Value,
    /// Origin of statement `i`; the last one stands for any statement past the list.
    pub origins: Vec<Origin>,
    /// A policy groundwork cannot see into (an unknown managed policy).
    pub opaque: bool,
}

impl Doc {
    /// The origin of statement `i`.
    pub fn origin(&self, i: usize) -> Option<&Origin> {
        self.origins.get(i).or(self.origins.last())
    }
}

/// The stand-in id of the management account.
pub(crate) const MANAGEMENT_ID: &str = "100000000000";
/// The stand-in organization id.
pub(crate) const ORG_ID: &str = "o-groundwork00";

/// What AWS-managed policies allow, as far as groundwork models them: administrator access
/// exactly, the read-only families as every read and list action (an over-approximation:
/// sound for `cannot`, generous for `can`). Others are opaque.
fn managed(arn: &str) -> Option<Value> {
    let name = arn.rsplit('/').next().unwrap_or(arn);
    let read =
        ["*:Get*", "*:List*", "*:Describe*", "*:View*", "*:BatchGet*", "*:Lookup*", "*:Search*", "*:Query*", "*:Scan*"];
    if !arn.starts_with("arn:aws:iam::aws:policy/") {
        return None;
    }
    Some(match name {
        "AdministratorAccess" => json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
        "PowerUserAccess" => json!({"Statement": [
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"}]}),
        "ReadOnlyAccess" | "ViewOnlyAccess" | "SecurityAudit" => {
            json!({"Statement": [{"Effect": "Allow", "Action": read, "Resource": "*"}]})
        }
        _ => return None,
    })
}

/// Every IAM role the blueprint deploys: its `roles`, and the account baseline's support and
/// security-audit roles (trusted by the hub with MFA as `trust: hub` is, in every member
/// account the baseline targets, each with its one AWS-managed policy).
pub(crate) fn all_roles(bp: &Blueprint) -> Vec<Role> {
    let mut roles = bp.roles.clone();
    let accounts: Vec<String> =
        groundwork_plan::baseline::accounts(bp).into_iter().flatten().map(str::to_owned).collect();
    let b = &bp.baseline;
    let on = [(&b.support_role, SUPPORT_POLICY_ARN), (&b.security_audit_role, SECURITY_AUDIT_POLICY_ARN)];
    for (role, policy) in on.into_iter().filter_map(|(r, p)| r.as_ref().map(|r| (r, p))) {
        roles.push(Role {
            name: role.name.clone(),
            description: String::new(),
            accounts: accounts.clone(),
            trust: RoleTrust::Hub {
                max_mfa_age_seconds: DEFAULT_MAX_MFA_AGE_SECONDS,
                session_name: SessionName::Username,
            },
            path: role.path.clone(),
            max_session_seconds: 3600,
            managed_policies: vec![Spanned { value: policy.to_owned(), span: role.name.span }],
            statements: Vec::new(),
        });
    }
    roles
}

/// The access model.
#[derive(Debug)]
pub struct Model<'b> {
    /// The blueprint.
    pub bp: &'b Blueprint,
    /// Stand-in id by account name.
    pub ids: BTreeMap<String, String>,
    /// The hub's account name (`None`: the management account).
    pub hub: Option<String>,
    /// Every role the blueprint deploys ([`all_roles`]).
    pub roles: Vec<Role>,
    /// Every policy, by label.
    pub docs: BTreeMap<String, Doc>,
    /// Trust policies by (account, role), replaceable in tests (a mutation).
    pub trusts: BTreeMap<(String, String), Value>,
    /// The labels of a role's policies in an account, by (role, account).
    pub(crate) role_labels: BTreeMap<(String, String), Vec<String>>,
    /// The labels of a group's policies (ForceMFA first when it applies).
    pub(crate) group_labels: BTreeMap<String, Vec<String>>,
    /// The labels of an Identity Center permission set's policies, by set.
    pub(crate) set_labels: BTreeMap<String, Vec<String>>,
    /// The label of a permission set's permissions boundary, when it is an AWS-managed policy
    /// groundwork models (another boundary is left out: it can only narrow).
    pub(crate) set_boundaries: BTreeMap<String, String>,
    /// The SCP labels of each level above each account.
    scp_cache: BTreeMap<String, Vec<Vec<String>>>,
}

/// `(key, value)` node pairs of a mapping.
fn entries(node: &Node) -> &[(Node, Node)] {
    match &node.kind {
        NodeKind::Map(e) => e,
        _ => &[],
    }
}

/// The value node of `key` in a mapping.
pub(crate) fn get<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    entries(node)
        .iter()
        .find(|(k, _)| matches!(&k.kind, NodeKind::Scalar { value, .. } if value == key))
        .map(|(_, v)| v)
}

/// The key node of `key` in a mapping.
pub(crate) fn key<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    entries(node)
        .iter()
        .find(|(k, _)| matches!(&k.kind, NodeKind::Scalar { value, .. } if value == key))
        .map(|(k, _)| k)
}

/// Items of a sequence node.
pub(crate) fn items(node: Option<&Node>) -> &[Node] {
    match node.map(|n| &n.kind) {
        Some(NodeKind::Seq(items)) => items,
        _ => &[],
    }
}

fn scalar(node: Option<&Node>) -> Option<&str> {
    match node.map(|n| &n.kind) {
        Some(NodeKind::Scalar { value, .. }) => Some(value),
        _ => None,
    }
}

/// The item of a list of mappings whose `name` is `name`.
fn named<'n>(list: Option<&'n Node>, name: &str) -> Option<&'n Node> {
    items(list).iter().find(|n| scalar(get(n, "name")) == Some(name))
}

fn sid_of(statement: &Value, i: usize) -> String {
    statement.get("Sid").and_then(Value::as_str).map_or_else(|| format!("#{}", i + 1), str::to_owned)
}

impl<'b> Model<'b> {
    /// Builds the model of a valid blueprint; `root` is its YAML, for the places of statements.
    pub fn new(bp: &'b Blueprint, root: &Node) -> Self {
        let ids: BTreeMap<String, String> = bp
            .accounts
            .iter()
            .enumerate()
            .map(|(i, a)| (a.name.value.clone(), format!("{:012}", 200_000_000_000u64 + i as u64)))
            .collect();
        let hub = bp.identity.as_ref().and_then(|i| i.account.as_ref()).map(|a| a.value.clone());
        let mut m = Model {
            bp,
            ids,
            hub,
            roles: all_roles(bp),
            docs: BTreeMap::new(),
            trusts: BTreeMap::new(),
            role_labels: BTreeMap::new(),
            group_labels: BTreeMap::new(),
            set_labels: BTreeMap::new(),
            set_boundaries: BTreeMap::new(),
            scp_cache: BTreeMap::new(),
        };
        m.build(root);
        let cache = bp.accounts.iter().map(|a| (a.name.value.clone(), m.compute_scp_levels(&a.name.value))).collect();
        m.scp_cache = cache;
        m
    }

    /// The stand-in id of an account (the management account for an unknown name).
    pub fn id(&self, account: &str) -> &str {
        self.ids.get(account).map_or(MANAGEMENT_ID, String::as_str)
    }

    /// The hub's stand-in id.
    pub fn hub_id(&self) -> &str {
        self.hub.as_deref().map_or(MANAGEMENT_ID, |h| self.id(h))
    }

    /// Expands placeholders (and the planner's `{{account_id:NAME}}` references) as they would be
    /// in `account` (`None`: an SCP or the hub's group policies).
    pub fn expand(&self, value: &Value, account: Option<&str>) -> Value {
        let bp = self.bp;
        let acct = account.and_then(|a| bp.account(a));
        let (workload, env) = match acct.map(|a| &a.origin) {
            Some(groundwork_blueprint::AccountOrigin::Workload { workload, environment }) => {
                (Some(workload.as_str()), Some(environment.as_str()))
            }
            _ => (None, None),
        };
        let here = account.or(self.hub.as_deref());
        let cx = Context {
            account_id: here.map(|a| self.id(a).into()),
            account_ids: AccountIds::Known(&self.ids),
            account: here.map(Into::into),
            workload: workload.map(Into::into),
            env: env.map(Into::into),
            org: Some(bp.organization.name.value.as_str().into()),
            hub_account_id: Some(self.hub_id().into()),
            management_account_id: Some(MANAGEMENT_ID.into()),
            org_id: Some(ORG_ID.into()),
            region: Some(bp.organization.home_region.value.as_str().into()),
        };
        map_json(value, true, &|s| {
            if !s.contains("{{") {
                return Template::document(s).expand(&cx);
            }
            // The planner's references, `{{account_id:NAME}}` and the like.
            let mut out = String::with_capacity(s.len());
            let mut rest = s;
            while let Some(i) = rest.find("{{") {
                out.push_str(&rest[..i]);
                let after = &rest[i + 2..];
                let Some(end) = after.find("}}") else {
                    out.push_str(&rest[i..]);
                    rest = "";
                    break;
                };
                let name = &after[..end];
                match name.strip_prefix("account_id:") {
                    Some(a) => out.push_str(self.id(a)),
                    None if name == "management_account_id" => out.push_str(MANAGEMENT_ID),
                    None if name == "org_id" => out.push_str(ORG_ID),
                    None => out.push_str(&rest[i..i + 4 + end]),
                }
                rest = &after[end + 2..];
            }
            out.push_str(rest);
            Template::document(&out).expand(&cx)
        })
    }

    fn add(&mut self, label: String, document: Value, origins: Vec<Origin>, opaque: bool) {
        self.docs.insert(label.clone(), Doc { label, document, origins, opaque });
    }

    fn add_managed(&mut self, owner: &str, arns: &[groundwork_blueprint::Spanned<String>]) -> Vec<String> {
        let mut labels = Vec::new();
        for arn in arns {
            let label = format!("{owner}, managed policy {}", arn.value);
            labels.push(label.clone());
            let origin = vec![Origin { what: format!("managed policy {} of {owner}", arn.value), span: arn.span }];
            match managed(&arn.value) {
                Some(doc) => self.add(label, doc, origin, false),
                None => self.add(label, json!({"Statement": []}), origin, true),
            }
        }
        labels
    }

    fn build(&mut self, root: &Node) {
        let bp = self.bp;
        // Groups (in the hub).
        if let Some(identity) = &bp.identity {
            let inode = get(root, "identity");
            let mfa_span = inode
                .and_then(|i| key(i, "require_mfa"))
                .or(inode.and_then(|i| key(i, "account")))
                .map_or(Span::default(), |n| n.span);
            if identity.require_mfa {
                let doc = force_mfa_policy();
                let n = doc["Statement"].as_array().map_or(0, Vec::len);
                let origins = (0..n)
                    .map(|i| Origin {
                        what: format!("ForceMFA, statement {}", sid_of(&doc["Statement"][i], i)),
                        span: mfa_span,
                    })
                    .collect();
                let expanded = self.expand(&doc, None);
                self.add("ForceMFA".into(), expanded, origins, false);
            }
            for g in &identity.groups {
                let mut labels: Vec<String> = Vec::new();
                if identity.require_mfa {
                    labels.push("ForceMFA".into());
                }
                let gnode = named(inode.and_then(|i| get(i, "groups")), &g.name.value);
                if let Some(doc) = group_document(g, &bp.baseline) {
                    let mut origins: Vec<Origin> = g
                        .statements
                        .iter()
                        .enumerate()
                        .map(|(i, s)| Origin {
                            what: format!("group {}, statement {}", g.name.value, sid_of(s, i)),
                            span: items(gnode.and_then(|n| get(n, "statements")))
                                .get(i)
                                .map_or(g.name.span, |n| n.span),
                        })
                        .collect();
                    // The generated AssumeRole statement: the grants.
                    let grants = gnode.and_then(|n| key(n, "grants")).map_or(g.name.span, |n| n.span);
                    if !g.grants.is_empty() {
                        origins.push(Origin {
                            what: format!("group {}, its grants (AssumeGrantedRoles)", g.name.value),
                            span: grants,
                        });
                    }
                    // The baseline roles that name the group (AssumeBaselineRoles).
                    if !baseline_roles_of(&bp.baseline, &g.name.value).is_empty() {
                        let bnode = get(root, "baseline");
                        let span = ["support_role", "security_audit_role"]
                            .iter()
                            .find_map(|k| bnode.and_then(|b| key(b, k)))
                            .map_or(g.name.span, |n| n.span);
                        origins.push(Origin {
                            what: format!(
                                "group {}, the baseline roles it may assume (AssumeBaselineRoles)",
                                g.name.value
                            ),
                            span,
                        });
                    }
                    let expanded = self.expand(&doc, None);
                    self.add(format!("group {}", g.name.value), expanded, origins, false);
                    labels.push(format!("group {}", g.name.value));
                }
                labels.extend(self.add_managed(&format!("group {}", g.name.value), &g.managed_policies));
                self.group_labels.insert(g.name.value.clone(), labels);
            }
        }
        // Roles, in each account they are deployed in.
        let rnodes = get(root, "roles");
        let roles = self.roles.clone();
        for r in &roles {
            let rnode = named(rnodes, &r.name.value);
            let stmt_spans: Vec<Span> =
                items(rnode.and_then(|n| get(n, "statements"))).iter().map(|n| n.span).collect();
            for account in &r.accounts {
                let mut labels = Vec::new();
                if let Some(doc) = role_inline_policy(r) {
                    let origins = r
                        .statements
                        .iter()
                        .enumerate()
                        .map(|(i, s)| Origin {
                            what: format!("role {}, statement {}", r.name.value, sid_of(s, i)),
                            span: stmt_spans.get(i).copied().unwrap_or(r.name.span),
                        })
                        .collect();
                    let expanded = self.expand(&doc, Some(account));
                    self.add(format!("role {} in {account}", r.name.value), expanded, origins, false);
                    labels.push(format!("role {} in {account}", r.name.value));
                }
                labels.extend(self.add_managed(&format!("role {} in {account}", r.name.value), &r.managed_policies));
                self.role_labels.insert((r.name.value.clone(), account.clone()), labels);
                let trust = groundwork_plan::trust_policy(r.trust, self.hub.as_deref());
                let trust = self.expand(&trust, Some(account));
                self.trusts.insert((account.clone(), r.name.value.clone()), trust);
            }
        }
        // Identity Center's permission sets: one document serves every account (no per-account
        // placeholders), its AWS-managed policies as modelled, customer-managed ones opaque; its
        // permissions boundary when groundwork models it (another can only narrow, so leaving it
        // out over-approximates: sound for `cannot`).
        if let Some(ic) = &bp.identity_center {
            let snodes = get(root, "identity_center").and_then(|n| get(n, "permission_sets"));
            for set in &ic.permission_sets {
                let owner = format!("permission set {}", set.name.value);
                let mut labels = Vec::new();
                if !set.statements.is_empty() {
                    let snode = named(snodes, &set.name.value);
                    let spans: Vec<Span> =
                        items(snode.and_then(|n| get(n, "statements"))).iter().map(|n| n.span).collect();
                    let origins = set
                        .statements
                        .iter()
                        .enumerate()
                        .map(|(i, st)| Origin {
                            what: format!("{owner}, statement {}", sid_of(st, i)),
                            span: spans.get(i).copied().unwrap_or(set.name.span),
                        })
                        .collect();
                    let doc = groundwork_blueprint::policy_document(set.statements.clone());
                    let expanded = self.expand(&doc, None);
                    self.add(owner.clone(), expanded, origins, false);
                    labels.push(owner.clone());
                }
                let attached: Vec<Spanned<String>> = set
                    .managed_policies
                    .iter()
                    .chain(set.customer_managed_policies.iter().map(|r| &r.name))
                    .map(|arn| Spanned { value: arn.clone(), span: set.name.span })
                    .collect();
                labels.extend(self.add_managed(&owner, &attached));
                self.set_labels.insert(set.name.value.clone(), labels);
                if let Some(groundwork_blueprint::Boundary::Managed(arn)) = &set.permissions_boundary
                    && let Some(doc) = managed(arn)
                {
                    let label = format!("{owner}, permissions boundary {arn}");
                    let origin = vec![Origin { what: label.clone(), span: set.name.span }];
                    self.add(label.clone(), doc, origin, false);
                    self.set_boundaries.insert(set.name.value.clone(), label);
                }
            }
        }
        // Guardrails.
        for g in &bp.guardrails.policies {
            let doc = self.expand(&g.document, None);
            let n = doc["Statement"].as_array().map_or(1, Vec::len);
            let origins = (0..n)
                .map(|i| Origin {
                    what: format!("guardrail {}, statement {}", g.name.value, sid_of(&doc["Statement"][i], i)),
                    span: g.name.span,
                })
                .collect();
            self.add(format!("guardrail {}", g.name.value), doc, origins, false);
        }
        self.add(
            "FullAWSAccess".into(),
            json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}),
            vec![Origin {
                what: "FullAWSAccess (AWS's default SCP on every root, OU and account)".into(),
                span: Span::default(),
            }],
            false,
        );
    }

    /// The trust origin of a role.
    pub fn trust_origin(&self, root: &Node, role: &Role) -> Origin {
        let rnode = named(get(root, "roles"), &role.name.value);
        let span = rnode
            .and_then(|n| key(n, "trust").or_else(|| key(n, "max_mfa_age_seconds")))
            .map_or(role.name.span, |n| n.span);
        let what = match role.trust {
            RoleTrust::Hub { max_mfa_age_seconds, .. } => {
                format!("role {}, its trust (hub users, MFA no older than {max_mfa_age_seconds} s)", role.name.value)
            }
            RoleTrust::Ec2 => format!("role {}, its trust (EC2 instances)", role.name.value),
        };
        Origin { what, span }
    }

    /// The labels of the SCPs at each level above `account` (root, each OU, the account);
    /// empty for the management account, which SCPs never reach.
    pub fn scp_levels(&self, account: &str) -> Vec<Vec<String>> {
        self.scp_cache.get(account).cloned().unwrap_or_default()
    }

    fn compute_scp_levels(&self, account: &str) -> Vec<Vec<String>> {
        let Some(acct) = self.bp.account(account) else { return Vec::new() };
        let mut paths: Vec<OuPath> = Vec::new();
        let mut at = acct.ou.value.clone();
        while !at.is_root() {
            paths.push(at.clone());
            at = at.parent();
        }
        paths.reverse();
        let at_target = |t: &Target, level: usize| match (t, level) {
            (Target::Root, 0) => true,
            (Target::Ou(p), l) if l >= 1 && l <= paths.len() => *p == paths[l - 1],
            (Target::Account(a), l) if l == paths.len() + 1 => *a == account,
            _ => false,
        };
        (0..paths.len() + 2)
            .map(|level| {
                let mut labels = vec!["FullAWSAccess".to_owned()];
                for g in &self.bp.guardrails.policies {
                    if g.targets.iter().any(|t| at_target(&t.value, level)) {
                        labels.push(format!("guardrail {}", g.name.value));
                    }
                }
                labels
            })
            .collect()
    }

    /// A role's ARN in an account.
    pub fn role_arn(&self, role: &Role, account: &str) -> String {
        role_arn(self.id(account), &role.path, &role.name.value)
    }

    /// Whether `account` is the log archive.
    pub fn is_log_archive(&self, account: &str) -> bool {
        self.bp.account(account).is_some_and(|a| a.purpose == Purpose::LogArchive)
    }
}
