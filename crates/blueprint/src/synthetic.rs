//! Generated blueprints of any size, for benchmarks and scale tests.

use std::fmt::Write as _;

/// The environments each generated workload has.
pub const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];

/// A valid blueprint with exactly `accounts` member accounts (at least 2): a log-archive and an
/// identity account in `Security`, the rest workload accounts, three environments per workload,
/// under `Workloads/{Env}`; plus `Infrastructure` and `Sandbox` OUs.
pub fn blueprint(accounts: usize) -> String {
    let accounts = accounts.max(2);
    let mut y = String::from(
        "version: 1\norganization:\n  name: bench\n  home_region: us-east-1\n  management_account:\n    email: master@example.com\n\
         organizational_units:\n  - name: Security\n  - name: Infrastructure\n  - name: Workloads\n    children:\n      \
         - name: Dev\n      - name: Staging\n      - name: Prod\n  - name: Sandbox\n\
         accounts:\n  - name: log-archive\n    email: aws+log-archive@bench.example\n    ou: Security\n    purpose: log-archive\n  \
         - name: identity\n    email: aws+identity@bench.example\n    ou: Security\n    purpose: identity\n\
         workload_defaults:\n  email: \"aws+{workload}-{env}@bench.example\"\n  ou: \"Workloads/{Env}\"\n  tags: { CostCenter: bench }\n\
         workloads:\n",
    );
    let mut left = accounts - 2;
    let mut i = 0;
    while left > 0 {
        let n = left.min(ENVIRONMENTS.len());
        let _ = writeln!(y, "  - name: w{i:05}\n    environments: [{}]", ENVIRONMENTS[..n].join(", "));
        left -= n;
        i += 1;
    }
    if accounts == 2 {
        y.push_str("  []\n");
        y = y.replace("workloads:\n  []\n", "workloads: []\n");
    }
    y
}

/// [`blueprint`] with guardrails, a hub with three groups, roles deployed into every workload
/// account (one scoped by tag, one read-only, one in a single workload) and access assertions
/// about them: the assertions benchmark.
pub fn with_access(accounts: usize) -> String {
    blueprint(accounts) + ACCESS
}

const ACCESS: &str = r#"guardrails:
  policies:
    - name: deny-leave-org
      builtin: deny-leave-organization
      targets: [{ ou: Workloads }]
    - name: region-lock
      builtin: deny-regions-outside
      allowed_regions: [us-east-1]
      targets: [{ ou: Workloads }]
identity:
  account: identity
  groups:
    - name: operators
      grants: [{ role: operator, workloads: [w00000, w00001, w00002, w00003, w00004] }]
    - name: auditors
      grants: [{ role: auditor, workloads: [w00001, w00002] }]
    - name: w0-admins
      grants: [{ role: w0-admin }]
roles:
  - name: operator
    select: { ous: [Workloads] }
    statements:
      - Sid: OperateOwnInstances
        Effect: Allow
        Action: [ec2:StartInstances, ec2:StopInstances]
        Resource: "arn:aws:ec2:*:{account_id}:instance/*"
        Condition:
          StringEquals: { "aws:ResourceTag/workload": "{workload}" }
  - name: auditor
    select: { ous: [Workloads] }
    managed_policies: [arn:aws:iam::aws:policy/SecurityAudit]
  - name: w0-admin
    select: { workloads: [w00000] }
    statements:
      - Sid: Terminate
        Effect: Allow
        Action: ec2:TerminateInstances
        Resource: "*"
assertions:
  - name: operators operate their own workload
    principal: { group: operators }
    can: [ec2:StopInstances]
    on: { account: w00000-prod, tags: { workload: w00000 } }
  - name: and no other
    principal: { group: operators }
    cannot: [ec2:StopInstances, ec2:TerminateInstances]
    on: { account: w00000-prod, tags: { workload: w00001 } }
  - name: auditors change nothing
    principal: { group: auditors }
    cannot: [ec2:TerminateInstances, s3:PutObject]
    on: { account: w00001-prod }
"#;

#[cfg(test)]
mod tests {
    #[test]
    fn generates_exactly_the_accounts_asked_for() {
        for n in [2, 3, 10, 100, 1001] {
            let parsed = crate::parse("gen.yaml", super::blueprint(n).as_bytes())
                .unwrap_or_else(|d| panic!("{}", d.render_plain()));
            assert_eq!(parsed.blueprint.accounts.len(), n);
        }
        let parsed = crate::parse("gen.yaml", super::with_access(30).as_bytes())
            .unwrap_or_else(|d| panic!("{}", d.render_plain()));
        assert_eq!(parsed.blueprint.roles.len(), 3);
    }
}
