//! `groundwork explain`'s answer, in text and JSON, for an allowed and a denied question about
//! the reference blueprint.

use groundwork_assertions::{Answer, Model, Principal, Question, ask, render_text};

const FILE: &str = "landing-zone.yaml";

fn answer(action: &str, account: &str, tags: &[(&str, &str)]) -> Answer {
    let src =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../blueprints/landing-zone.yaml")).unwrap();
    let parsed = groundwork_blueprint::parse(FILE, src.as_bytes()).unwrap();
    let root = groundwork_blueprint::yaml::parse(&src).unwrap().unwrap();
    let model = Model::new(&parsed.blueprint, &root);
    let q = Question {
        principal: Principal::Group("jira-admins".into()),
        action: action.into(),
        account: account.into(),
        resource: None,
        tags: tags.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        mfa: true,
    };
    ask(&model, &root, &q)
}

#[test]
fn explain_an_allowed_question() {
    let a = answer("ec2:TerminateInstances", "jira-prod", &[("workload", "jira")]);
    assert!(a.allowed);
    insta::assert_snapshot!("allowed_text", render_text(FILE, &a));
    insta::assert_json_snapshot!("allowed_json", a);
}

#[test]
fn explain_a_denied_question() {
    let a = answer("ec2:TerminateInstances", "webapp-prod", &[("workload", "webapp")]);
    assert!(!a.allowed);
    insta::assert_snapshot!("denied_text", render_text(FILE, &a));
    insta::assert_json_snapshot!("denied_json", a);
}
