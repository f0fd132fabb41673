//! `plan --format markdown`: a small plan, a drifted plan, and a plan forced over the size
//! limit, rendered from a blueprint of this file (not the reference, which other work edits).

use std::fmt::Write as _;

use groundwork_plan::synthetic::converged;
use groundwork_plan::{Desired, GITHUB_COMMENT_LIMIT, Live, PlanOptions, plan, render_markdown};

const BLUEPRINT: &str = r"version: 1
organization:
  name: shop
  home_region: eu-west-1
  management_account:
    email: root@shop.example
organizational_units:
  - name: Workloads
    children:
      - name: Prod
accounts:
  - name: shop-prod
    email: aws+shop-prod@shop.example
    ou: Workloads/Prod
    purpose: workload
  - name: shop-dev
    email: aws+shop-dev@shop.example
    ou: Workloads
    purpose: workload
";

fn desired() -> Desired {
    let parsed = groundwork_blueprint::parse("shop.yaml", BLUEPRINT.as_bytes()).unwrap();
    Desired::from_blueprint(&parsed.blueprint)
}

#[test]
fn a_small_plan_groups_its_changes_by_account() {
    let d = desired();
    let p = plan(&d, &Live::default(), PlanOptions::default());
    let md = render_markdown(&p, GITHUB_COMMENT_LIMIT);
    assert!(md.len() <= GITHUB_COMMENT_LIMIT);
    assert!(md.contains("<details><summary>account shop-prod"), "{md}");
    assert!(!md.contains("not shown"), "{md}");
    insta::assert_snapshot!("markdown_small", md);
    let none = render_markdown(&plan(&d, &converged(&d), PlanOptions::default()), GITHUB_COMMENT_LIMIT);
    assert!(none.contains("**No changes. The organization matches the blueprint.**"), "{none}");
}

#[test]
fn a_drifted_plan_says_so_first() {
    let d = desired();
    let mut live = converged(&d);
    let prod = live.accounts.iter_mut().find(|a| a.name == "shop-prod").unwrap();
    prod.parent = groundwork_blueprint::OuPath::parse("Workloads");
    let p = plan(&d, &live, PlanOptions::default());
    assert!(!p.drift.is_empty());
    let md = render_markdown(&p, GITHUB_COMMENT_LIMIT);
    let note = md.find("> [!WARNING]").expect("a drift note");
    assert!(note < md.find("<details>").unwrap(), "{md}");
    insta::assert_snapshot!("markdown_drifted", md);
}

#[test]
fn a_plan_over_the_limit_is_cut_with_a_count() {
    let d = desired();
    let p = plan(&d, &Live::default(), PlanOptions::default());
    let full = render_markdown(&p, GITHUB_COMMENT_LIMIT);
    let limit = full.len() / 2;
    let md = render_markdown(&p, limit);
    assert!(md.len() <= limit, "{} > {limit}", md.len());
    assert!(md.contains("not shown: the comment would be longer than"), "{md}");
    assert_eq!(md.matches("<details>").count(), md.matches("</details>").count(), "{md}");
    assert_eq!(md.matches("```").count() % 2, 0, "{md}");
    insta::assert_snapshot!("markdown_over_the_limit", md);
}

#[test]
fn a_large_organization_fits_in_one_github_comment() {
    let mut yaml = BLUEPRINT.to_owned();
    for i in 0..300 {
        let _ = write!(
            yaml,
            "  - name: team-{i:03}\n    email: aws+team-{i:03}@shop.example\n    ou: Workloads\n    purpose: workload\n"
        );
    }
    let parsed = groundwork_blueprint::parse("big.yaml", yaml.as_bytes()).unwrap();
    let p = plan(&Desired::from_blueprint(&parsed.blueprint), &Live::default(), PlanOptions::default());
    let md = render_markdown(&p, GITHUB_COMMENT_LIMIT);
    assert!(md.chars().count() <= GITHUB_COMMENT_LIMIT, "{}", md.len());
    assert!(md.chars().count() > GITHUB_COMMENT_LIMIT - 2_000, "uses the room it has: {}", md.len());
    assert!(md.contains(" more changes not shown"), "{}", &md[md.len() - 300..]);
    assert_eq!(md.matches("<details>").count(), md.matches("</details>").count());
}
