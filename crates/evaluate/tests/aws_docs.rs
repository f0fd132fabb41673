//! The evaluator against AWS's own documentation of the policy evaluation logic. Each case
//! names the page (IAM User Guide unless said otherwise, under
//! `https://docs.aws.amazon.com/IAM/latest/UserGuide/`) and restates the documented example or
//! rule it checks; policies are the documented ones, trimmed to what the case needs.

use groundwork_evaluate::{Decision, Layer, Policies, Policy, Request, evaluate};
use serde_json::{Value, json};

const ACCOUNT: &str = "111122223333";
const USER: &str = "arn:aws:iam::111122223333:user/martha";

fn doc(statements: Value) -> Value {
    let mut d = json!({ "Version": "2012-10-17" });
    d["Statement"] = statements;
    d
}

fn identity(docs: &[Value]) -> Policies<'_> {
    Policies { identity: docs.iter().map(|d| Policy::new("identity", d)).collect(), ..Policies::default() }
}

fn request(action: &str, resource: &str) -> Request {
    Request::new(USER, action, resource)
}

fn decide(policies: &Policies<'_>, r: &Request) -> Decision {
    evaluate(policies, r).decision
}

// reference_policies_evaluation-logic.html, "Determining whether a request is allowed or denied
// within an account": by default all requests are implicitly denied.
#[test]
fn no_policy_is_an_implicit_deny() {
    let e = evaluate(&Policies::default(), &request("s3:GetObject", "arn:aws:s3:::bucket/key"));
    assert_eq!(e.decision, Decision::ImplicitDeny);
    assert_eq!(e.missing, Some(Layer::Identity));
}

// reference_policies_evaluation-logic_policy-eval-denyallow.html: "An explicit deny in any
// policy overrides any allows."
#[test]
fn an_explicit_deny_wins_over_an_allow() {
    let docs = [
        doc(json!([{ "Effect": "Allow", "Action": "s3:*", "Resource": "*" }])),
        doc(json!([{ "Sid": "NoDelete", "Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*" }])),
    ];
    let p = identity(&docs);
    assert_eq!(decide(&p, &request("s3:GetObject", "arn:aws:s3:::b/k")), Decision::Allow);
    let e = evaluate(&p, &request("s3:DeleteObject", "arn:aws:s3:::b/k"));
    assert_eq!(e.decision, Decision::ExplicitDeny);
    assert_eq!(e.denied_by[0].sid.as_deref(), Some("NoDelete"));
}

// organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html (AWS Organizations
// User Guide), "How SCPs work with Allow": permissions are the intersection of what the SCPs
// and the identity policies allow.
#[test]
fn scps_intersect_with_identity_policies() {
    let id = [doc(json!([{ "Effect": "Allow", "Action": ["s3:*", "ec2:*"], "Resource": "*" }]))];
    let scp = doc(json!([{ "Effect": "Allow", "Action": "ec2:*", "Resource": "*" }]));
    let p = Policies { scps: vec![vec![Policy::new("only-ec2", &scp)]], ..identity(&id) };
    assert_eq!(decide(&p, &request("ec2:StartInstances", "*")), Decision::Allow);
    let e = evaluate(&p, &request("s3:GetObject", "arn:aws:s3:::b/k"));
    assert_eq!((e.decision, e.missing), (Decision::ImplicitDeny, Some(Layer::Scp(0))));
}

// Same page: "for a permission to be allowed for a specific account, there must be an explicit
// Allow statement at every level from the root through each OU in the direct path to the
// account (including the target account itself)".
#[test]
fn every_scp_level_must_allow() {
    let id = [doc(json!([{ "Effect": "Allow", "Action": "*", "Resource": "*" }]))];
    let full = doc(json!([{ "Effect": "Allow", "Action": "*", "Resource": "*" }]));
    let ec2_only = doc(json!([{ "Effect": "Allow", "Action": "ec2:*", "Resource": "*" }]));
    let p = Policies {
        scps: vec![
            vec![Policy::new("root: FullAWSAccess", &full)],
            vec![Policy::new("ou: ec2 only", &ec2_only)],
            vec![Policy::new("account: FullAWSAccess", &full)],
        ],
        ..identity(&id)
    };
    let e = evaluate(&p, &request("s3:GetObject", "arn:aws:s3:::b/k"));
    assert_eq!((e.decision, e.missing), (Decision::ImplicitDeny, Some(Layer::Scp(1))));
    assert_eq!(decide(&p, &request("ec2:RunInstances", "*")), Decision::Allow);
}

// Same page, "How SCPs work with Deny": a deny at any level applies to every account below.
#[test]
fn an_scp_deny_at_any_level_applies() {
    let id = [doc(json!([{ "Effect": "Allow", "Action": "*", "Resource": "*" }]))];
    let full = doc(json!([{ "Effect": "Allow", "Action": "*", "Resource": "*" }]));
    let deny = doc(json!([{ "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*" }]));
    let p = Policies {
        scps: vec![
            vec![Policy::new("root", &full), Policy::new("deny-leave", &deny)],
            vec![Policy::new("acct", &full)],
        ],
        ..identity(&id)
    };
    let e = evaluate(&p, &request("organizations:LeaveOrganization", "*"));
    assert_eq!(e.decision, Decision::ExplicitDeny);
    assert_eq!(e.denied_by[0].layer, Layer::Scp(0));
}

// access_policies_boundaries.html, "Identity-based policies with boundaries": the boundary
// allows s3:*, cloudwatch:* and ec2:*; the user's policy allows iam:CreateUser; "ShirleyRodriguez
// ... cannot create users": effective permissions are the intersection.
#[test]
fn a_permissions_boundary_intersects_with_identity_policies() {
    let boundary = doc(json!([{ "Effect": "Allow", "Action": ["s3:*", "cloudwatch:*", "ec2:*"], "Resource": "*" }]));
    let id = [doc(json!([{ "Effect": "Allow", "Action": ["iam:CreateUser", "s3:ListBucket"], "Resource": "*" }]))];
    let p = Policies { boundary: Some(vec![Policy::new("boundary", &boundary)]), ..identity(&id) };
    let e = evaluate(&p, &request("iam:CreateUser", "arn:aws:iam::111122223333:user/new"));
    assert_eq!((e.decision, e.missing), (Decision::ImplicitDeny, Some(Layer::Boundary)));
    assert_eq!(decide(&p, &request("s3:ListBucket", "arn:aws:s3:::b")), Decision::Allow);
    // The boundary alone grants nothing.
    assert_eq!(decide(&p, &request("ec2:RunInstances", "*")), Decision::ImplicitDeny);
}

// reference_policies_elements_notaction.html, "NotAction with Allow": allows every action
// except those listed ("access to all of the actions in all AWS services, except for IAM").
#[test]
fn not_action_with_allow_allows_everything_else() {
    let id = [doc(json!([{ "Effect": "Allow", "NotAction": "iam:*", "Resource": "*" }]))];
    let p = identity(&id);
    assert_eq!(decide(&p, &request("s3:GetObject", "arn:aws:s3:::b/k")), Decision::Allow);
    assert_eq!(decide(&p, &request("iam:CreateUser", "*")), Decision::ImplicitDeny);
}

// Same page, "NotAction with Deny": "deny access to all ... except IAM if the user is not
// signed in using MFA" (Deny, NotAction iam:*, BoolIfExists aws:MultiFactorAuthPresent false).
#[test]
fn not_action_with_deny_and_mfa() {
    let id = [
        doc(json!([{ "Effect": "Allow", "Action": "*", "Resource": "*" }])),
        doc(json!([{
            "Sid": "DenyAllUsersNotUsingMFA", "Effect": "Deny", "NotAction": "iam:*", "Resource": "*",
            "Condition": { "BoolIfExists": { "aws:MultiFactorAuthPresent": "false" } }
        }])),
    ];
    let p = identity(&id);
    let mut r = request("s3:GetObject", "arn:aws:s3:::b/k");
    assert_eq!(decide(&p, &r), Decision::ExplicitDeny, "no MFA key: IfExists is true");
    r.context.set("aws:MultiFactorAuthPresent", "false");
    assert_eq!(decide(&p, &r), Decision::ExplicitDeny);
    r.context.set("aws:MultiFactorAuthPresent", "true");
    assert_eq!(decide(&p, &r), Decision::Allow);
    let iam = request("iam:ListUsers", "*");
    assert_eq!(decide(&p, &iam), Decision::Allow, "IAM is not denied");
}

// reference_policies_elements_notresource.html, "NotResource with Deny": deny s3:* on every
// resource except the HRBucket/Payroll folder.
#[test]
fn not_resource_with_deny() {
    let id = [
        doc(json!([{ "Effect": "Allow", "Action": "s3:*", "Resource": "*" }])),
        doc(json!([{
            "Effect": "Deny", "Action": "s3:*",
            "NotResource": ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"]
        }])),
    ];
    let p = identity(&id);
    assert_eq!(decide(&p, &request("s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/march.csv")), Decision::Allow);
    assert_eq!(decide(&p, &request("s3:GetObject", "arn:aws:s3:::HRBucket/Other/x")), Decision::ExplicitDeny);
    // ARN matching is case-sensitive.
    assert_eq!(decide(&p, &request("s3:GetObject", "arn:aws:s3:::HRBucket/payroll/x")), Decision::ExplicitDeny);
}

// reference_policies_elements_condition_operators.html, "String condition operators": the
// aws:PrincipalTag/job-category example; "If the key that you specify in a policy condition is
// not present in the request context, the values do not match and the condition is false."
#[test]
fn string_equals_on_a_tag_and_a_missing_key() {
    let id = [doc(json!([{
        "Effect": "Allow", "Action": "iam:*AccessKey*", "Resource": "arn:aws:iam::111122223333:user/*",
        "Condition": { "StringEquals": { "aws:PrincipalTag/job-category": "iamuser-admin" } }
    }]))];
    let p = identity(&id);
    let mut r = request("iam:CreateAccessKey", "arn:aws:iam::111122223333:user/bob");
    assert_eq!(decide(&p, &r), Decision::ImplicitDeny, "no tag: false");
    r.context.set("aws:PrincipalTag/job-category", "iamuser-admin");
    assert_eq!(decide(&p, &r), Decision::Allow);
    // Key names are case-insensitive; values of StringEquals are not.
    r.context.set("AWS:PRINCIPALTAG/JOB-CATEGORY", "IAMUSER-ADMIN");
    assert_eq!(decide(&p, &r), Decision::ImplicitDeny);
}

// Same page, same note: "If the policy condition requires that the key is not matched, such as
// StringNotLike or ArnNotLike, and the right key is not present, the condition is true."
#[test]
fn a_negated_operator_is_true_for_a_missing_key() {
    let id = [
        doc(json!([{ "Effect": "Allow", "Action": "*", "Resource": "*" }])),
        doc(json!([{
            "Effect": "Deny", "Action": "iam:DeleteRole", "Resource": "*",
            "Condition": { "ArnNotLike": { "aws:PrincipalArn": "arn:aws:iam::*:role/groundwork-access" } }
        }])),
    ];
    let p = identity(&id);
    let mut r = request("iam:DeleteRole", "arn:aws:iam::111122223333:role/x");
    assert_eq!(decide(&p, &r), Decision::ExplicitDeny, "key absent: negated operator is true");
    r.context.set("aws:PrincipalArn", "arn:aws:iam::111122223333:role/groundwork-access");
    assert_eq!(decide(&p, &r), Decision::Allow);
    r.context.set("aws:PrincipalArn", "arn:aws:iam::111122223333:role/jira-admin");
    assert_eq!(decide(&p, &r), Decision::ExplicitDeny);
}

// Same page, "...IfExists condition operators": "If the policy key is present in the context
// of the request, process the key as specified in the policy. If the key is not present,
// evaluate the condition element as true." Example: StringLikeIfExists ec2:InstanceType t1.*.
#[test]
fn if_exists() {
    let id = [doc(json!([{
        "Effect": "Allow", "Action": "ec2:*", "Resource": "*",
        "Condition": { "StringLikeIfExists": { "ec2:InstanceType": ["t1.*", "t2.*", "m3.*"] } }
    }]))];
    let p = identity(&id);
    let mut r = request("ec2:RunInstances", "arn:aws:ec2:us-east-1:111122223333:instance/*");
    assert_eq!(decide(&p, &r), Decision::Allow, "absent: true");
    r.context.set("ec2:InstanceType", "t2.micro");
    assert_eq!(decide(&p, &r), Decision::Allow);
    r.context.set("ec2:InstanceType", "c5.large");
    assert_eq!(decide(&p, &r), Decision::ImplicitDeny);
}

// Same page, "Condition operator to check existence of condition keys": Null true means the key
// is absent ("aws:TokenIssueTime ... Null true: the request was made with long-term credentials").
#[test]
fn null_tests_for_the_key() {
    let id = [doc(json!([{
        "Effect": "Allow", "Action": "ec2:*", "Resource": "*",
        "Condition": { "Null": { "aws:TokenIssueTime": "true" } }
    }]))];
    let p = identity(&id);
    let mut r = request("ec2:DescribeInstances", "*");
    assert_eq!(decide(&p, &r), Decision::Allow);
    r.context.set("aws:TokenIssueTime", "2026-12-06T10:00:00Z");
    assert_eq!(decide(&p, &r), Decision::ImplicitDeny);
    let absent_false = [doc(json!([{
        "Effect": "Allow", "Action": "ec2:*", "Resource": "*",
        "Condition": { "Null": { "aws:TokenIssueTime": "false" } }
    }]))];
    assert_eq!(decide(&identity(&absent_false), &r), Decision::Allow);
}

// reference_policies_multi-value-conditions.html, "Evaluation logic for multiple context keys or
// values": operators AND, keys AND, values OR, and a negated operator's values NOR.
#[test]
fn several_operators_keys_and_values() {
    let id = [doc(json!([{
        "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
        "Condition": {
            "StringEquals": { "aws:PrincipalTag/team": ["red", "blue"], "aws:PrincipalTag/level": "2" },
            "Bool": { "aws:SecureTransport": "true" }
        }
    }]))];
    let p = identity(&id);
    let mut r = request("s3:GetObject", "arn:aws:s3:::b/k");
    r.context
        .set("aws:PrincipalTag/team", "blue")
        .set("aws:PrincipalTag/level", "2")
        .set("aws:SecureTransport", "true");
    assert_eq!(decide(&p, &r), Decision::Allow, "one of the values (OR), both keys, both operators");
    r.context.set("aws:SecureTransport", "false");
    assert_eq!(decide(&p, &r), Decision::ImplicitDeny, "operators AND");
    r.context.set("aws:SecureTransport", "true").remove("aws:PrincipalTag/level");
    assert_eq!(decide(&p, &r), Decision::ImplicitDeny, "keys AND");
    let nor = [
        doc(json!([{ "Effect": "Allow", "Action": "*", "Resource": "*" }])),
        doc(json!([{
            "Effect": "Deny", "Action": "*", "Resource": "*",
            "Condition": { "StringNotEquals": { "aws:RequestedRegion": ["eu-west-1", "eu-central-1"] } }
        }])),
    ];
    let p = identity(&nor);
    let mut r = request("ec2:RunInstances", "*");
    r.context.set("aws:RequestedRegion", "eu-central-1");
    assert_eq!(decide(&p, &r), Decision::Allow, "matches one value: NOR is false");
    r.context.set("aws:RequestedRegion", "us-east-1");
    assert_eq!(decide(&p, &r), Decision::ExplicitDeny, "matches none: NOR is true");
}

// reference_policies_condition-single-vs-multi-valued-context-keys.html, set operators:
// ForAllValues is true when every request value matches (and when the key is absent);
// ForAnyValue when at least one does (false when absent). Example keys: aws:TagKeys.
#[test]
fn set_operators_on_multivalued_keys() {
    let all = [doc(json!([{
        "Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*",
        "Condition": { "ForAllValues:StringEquals": { "aws:TagKeys": ["environment", "cost-center"] } }
    }]))];
    let p = identity(&all);
    let mut r = request("ec2:CreateTags", "*");
    r.context.set_many("aws:TagKeys", &["environment"]);
    assert_eq!(decide(&p, &r), Decision::Allow);
    r.context.set_many("aws:TagKeys", &["environment", "owner"]);
    assert_eq!(decide(&p, &r), Decision::ImplicitDeny);
    r.context.remove("aws:TagKeys");
    assert_eq!(decide(&p, &r), Decision::Allow, "ForAllValues on an absent key is true");
    let any = [doc(json!([{
        "Effect": "Allow", "Action": "ec2:CreateTags", "Resource": "*",
        "Condition": { "ForAnyValue:StringEquals": { "aws:TagKeys": ["environment"] } }
    }]))];
    let p = identity(&any);
    assert_eq!(decide(&p, &r), Decision::ImplicitDeny, "ForAnyValue on an absent key is false");
    r.context.set_many("aws:TagKeys", &["owner", "environment"]);
    assert_eq!(decide(&p, &r), Decision::Allow);
}

// reference_policies_elements_condition_operators.html, "Numeric condition operators" and the
// MFA age example of reference_policies_condition-keys.html (aws:MultiFactorAuthAge with
// NumericLessThan 3600), which groundwork generates for a role's max_mfa_age_seconds.
#[test]
fn numeric_mfa_age() {
    let trust = doc(json!([{
        "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::111122223333:root" }, "Action": "sts:AssumeRole",
        "Condition": { "Bool": { "aws:MultiFactorAuthPresent": "true" }, "NumericLessThan": { "aws:MultiFactorAuthAge": "3600" } }
    }]));
    let id = [doc(json!([{ "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*" }]))];
    let p = Policies { resource: vec![Policy::new("trust", &trust)], cross_account: true, ..identity(&id) };
    let mut r = request("sts:AssumeRole", "arn:aws:iam::444455556666:role/jira-admin");
    r.context.set("aws:MultiFactorAuthPresent", "true").set("aws:MultiFactorAuthAge", "600");
    assert_eq!(decide(&p, &r), Decision::Allow);
    r.context.set("aws:MultiFactorAuthAge", "7200");
    assert_eq!((decide(&p, &r), evaluate(&p, &r).missing), (Decision::ImplicitDeny, Some(Layer::Resource)));
    r.context.remove("aws:MultiFactorAuthAge").remove("aws:MultiFactorAuthPresent");
    assert_eq!(decide(&p, &r), Decision::ImplicitDeny, "no MFA: the trust does not allow");
}

// Same page, "Date condition operators" (aws:CurrentTime with DateLessThan) and "IP address
// condition operators" (aws:SourceIp 203.0.113.0/24).
#[test]
fn dates_and_addresses() {
    let id = [doc(json!([{
        "Effect": "Allow", "Action": "iam:*AccessKey*", "Resource": "*",
        "Condition": {
            "DateGreaterThan": { "aws:CurrentTime": "2020-01-01T00:00:00Z" },
            "DateLessThan": { "aws:CurrentTime": "2020-12-31T23:59:59Z" },
            "IpAddress": { "aws:SourceIp": "203.0.113.0/24" }
        }
    }]))];
    let p = identity(&id);
    let mut r = request("iam:ListAccessKeys", "*");
    r.context.set("aws:CurrentTime", "2020-06-30T00:00:00Z").set("aws:SourceIp", "203.0.113.5");
    assert_eq!(decide(&p, &r), Decision::Allow);
    r.context.set("aws:CurrentTime", "2021-01-01T00:00:00Z");
    assert_eq!(decide(&p, &r), Decision::ImplicitDeny);
    r.context.set("aws:CurrentTime", "2020-06-30T00:00:00Z").set("aws:SourceIp", "198.51.100.5");
    assert_eq!(decide(&p, &r), Decision::ImplicitDeny);
}

// reference_policies_variables.html: ${aws:username} in Resource; "If AWS cannot resolve a
// variable this might cause the entire statement to be invalid" (a role session has no
// aws:username); "Specifying default values" (${aws:PrincipalTag/team, 'company-wide'}).
#[test]
fn policy_variables() {
    let id = [doc(json!([
        { "Effect": "Allow", "Action": "iam:ChangePassword", "Resource": "arn:aws:iam::*:user/${aws:username}" },
        { "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'company-wide'}/*" }
    ]))];
    let p = identity(&id);
    let mut r = request("iam:ChangePassword", "arn:aws:iam::111122223333:user/martha");
    assert_eq!(decide(&p, &r), Decision::ImplicitDeny, "no aws:username: the resource matches nothing");
    r.context.set("aws:username", "martha");
    assert_eq!(decide(&p, &r), Decision::Allow);
    r.resource = "arn:aws:iam::111122223333:user/bob".into();
    assert_eq!(decide(&p, &r), Decision::ImplicitDeny);
    let mut s = request("s3:GetObject", "arn:aws:s3:::bucket/company-wide/x");
    assert_eq!(decide(&p, &s), Decision::Allow, "default value");
    s.context.set("aws:PrincipalTag/team", "red");
    assert_eq!(decide(&p, &s), Decision::ImplicitDeny);
    s.resource = "arn:aws:s3:::bucket/red/x".into();
    assert_eq!(decide(&p, &s), Decision::Allow);
}

// reference_policies_evaluation-logic-cross-account.html: across accounts, "the identity-based
// policy and the resource-based policy must both allow"; within one account a resource policy
// naming the principal is enough (reference_policies_evaluation-logic.html, "Identity-based
// policies and resource-based policies").
#[test]
fn resource_policies_across_and_within_accounts() {
    let trust = doc(
        json!([{ "Effect": "Allow", "Principal": { "AWS": format!("arn:aws:iam::{ACCOUNT}:root") }, "Action": "sts:AssumeRole" }]),
    );
    let none: [Value; 0] = [];
    let r = request("sts:AssumeRole", "arn:aws:iam::444455556666:role/auditor");
    let only_trust = Policies { resource: vec![Policy::new("trust", &trust)], cross_account: true, ..identity(&none) };
    assert_eq!(evaluate(&only_trust, &r).missing, Some(Layer::Identity));
    let id = [doc(
        json!([{ "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "arn:aws:iam::444455556666:role/auditor" }]),
    )];
    let both = Policies { resource: vec![Policy::new("trust", &trust)], cross_account: true, ..identity(&id) };
    assert_eq!(decide(&both, &r), Decision::Allow);
    let other = doc(
        json!([{ "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::999999999999:root" }, "Action": "sts:AssumeRole" }]),
    );
    let wrong = Policies { resource: vec![Policy::new("trust", &other)], cross_account: true, ..identity(&id) };
    assert_eq!(evaluate(&wrong, &r).missing, Some(Layer::Resource));
    // Same account: a bucket policy naming the user suffices, without an identity policy.
    let bucket = doc(
        json!([{ "Effect": "Allow", "Principal": { "AWS": USER }, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*" }]),
    );
    let same = Policies { resource: vec![Policy::new("bucket", &bucket)], ..identity(&none) };
    assert_eq!(decide(&same, &request("s3:GetObject", "arn:aws:s3:::b/k")), Decision::Allow);
    // ...and a Deny in it applies to everyone it names.
    let deny = doc(
        json!([{ "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::b/*" }]),
    );
    let all = [doc(json!([{ "Effect": "Allow", "Action": "s3:*", "Resource": "*" }]))];
    let denied = Policies { resource: vec![Policy::new("bucket", &deny)], ..identity(&all) };
    assert_eq!(decide(&denied, &request("s3:DeleteObject", "arn:aws:s3:::b/k")), Decision::ExplicitDeny);
}

// reference_policies_elements_action.html: "Action ... values are case insensitive"; wildcards
// ("s3:Get*", "iam:*AccessKey*").
#[test]
fn actions_ignore_case_and_take_wildcards() {
    let id = [doc(json!([{ "Effect": "Allow", "Action": ["S3:get*", "iam:*AccessKey*"], "Resource": "*" }]))];
    let p = identity(&id);
    assert_eq!(decide(&p, &request("s3:GetObject", "arn:aws:s3:::b/k")), Decision::Allow);
    assert_eq!(decide(&p, &request("iam:UpdateAccessKey", "*")), Decision::Allow);
    assert_eq!(decide(&p, &request("s3:PutObject", "arn:aws:s3:::b/k")), Decision::ImplicitDeny);
}
