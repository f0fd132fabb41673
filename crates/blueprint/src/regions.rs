//! AWS region names groundwork knows.
//!
//! A static list: a typo in a region (`eu-west-9`, `euwest-1`) is caught when the blueprint is
//! validated rather than when AWS refuses a call, or, worse, when a region-lock guardrail
//! silently locks everybody out. The list needs an update when AWS opens a region.

use crate::diag::Diagnostic;
use crate::model::Spanned;
use crate::schema::{Cx, did_you_mean};

/// Every region code groundwork accepts: the commercial regions, AWS GovCloud (US) and the
/// China regions.
pub const REGIONS: &[&str] = &[
    // North America.
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "ca-west-1",
    "mx-central-1",
    // South America.
    "sa-east-1",
    // Europe.
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    // Middle East and Africa.
    "af-south-1",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    // Asia Pacific.
    "ap-east-1",
    "ap-east-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-6",
    "ap-southeast-7",
    // AWS GovCloud (US).
    "us-gov-east-1",
    "us-gov-west-1",
    // China (operated separately, the `aws-cn` partition).
    "cn-north-1",
    "cn-northwest-1",
];

/// Whether `name` is a region in [`REGIONS`].
pub fn is_known_region(name: &str) -> bool {
    REGIONS.contains(&name)
}

/// Length of the longest region code.
pub(crate) fn max_region_len() -> usize {
    REGIONS.iter().map(|r| r.len()).max().unwrap_or(0)
}

/// Whether `name` has the shape of a region code (`xx-word-N`), known or not.
fn region_shaped(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[1..parts.len() - 1].iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].parse::<u8>().is_ok()
}

/// Checks every region of a list ([`check_region`]) and reports a region listed twice, under
/// the diagnostic code `code`.
pub(crate) fn check_region_list(cx: &mut Cx, code: &'static str, regions: &[Spanned<String>]) {
    let mut seen: std::collections::HashMap<&str, crate::yaml::Span> = std::collections::HashMap::new();
    for r in regions {
        check_region(cx, r);
        if let Some(first) = seen.get(r.value.as_str()) {
            cx.push(
                Diagnostic::error(code, r.span, format!("region `{}` is listed twice", r.value))
                    .label("listed again")
                    .related(*first, "first listed here"),
            );
        } else {
            seen.insert(&r.value, r.span);
        }
    }
}

/// Checks a region name, reporting anything that is not a known region (with a did-you-mean).
/// Returns whether it is known.
pub(crate) fn check_region(cx: &mut Cx, region: &Spanned<String>) -> bool {
    let name = region.value.as_str();
    if is_known_region(name) {
        return true;
    }
    // `eu-west-9`: list the regions of `eu-west`, as any of them is as likely as another.
    let family = name.rsplit_once('-').map(|(f, _)| f).filter(|_| region_shaped(name));
    let siblings: Vec<&str> = family
        .map(|f| REGIONS.iter().copied().filter(|r| r.rsplit_once('-').is_some_and(|(rf, _)| rf == f)).collect())
        .unwrap_or_default();
    let d = if region_shaped(name) {
        Diagnostic::error("blueprint::region", region.span, format!("`{name}` is not a known AWS region"))
            .label("no such region")
    } else {
        Diagnostic::error("blueprint::region", region.span, format!("`{name}` is not an AWS region name"))
            .label("expected a region such as eu-west-1")
    };
    cx.push(match (siblings.as_slice(), did_you_mean(name, REGIONS.iter().copied())) {
        ([one], _) => d.help(format!("did you mean `{one}`?")),
        ([_, ..], _) => d.help(format!("did you mean one of {}?", siblings.join(", "))),
        ([], Some(g)) => d.help(format!("did you mean `{g}`?")),
        ([], None) if region_shaped(name) => d.help(
            "groundwork knows the commercial, GovCloud and China regions; check the code in the AWS console's \
             region menu",
        ),
        ([], None) => d.help("use a region code like `us-east-1` or `eu-central-1`"),
    });
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_sorted_within_groups_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in REGIONS {
            assert!(seen.insert(r), "{r} twice");
            assert!(region_shaped(r), "{r} is not shaped like a region");
        }
        assert_eq!(max_region_len(), "ap-southeast-1".len());
    }

    #[test]
    fn typos_get_suggestions() {
        let mut cx = Cx::new();
        let span = crate::yaml::Span::default();
        assert!(!check_region(&mut cx, &Spanned::new("euwest-1".into(), span)));
        assert!(!check_region(&mut cx, &Spanned::new("eu-west-9".into(), span)));
        assert!(check_region(&mut cx, &Spanned::new("eu-west-1".into(), span)));
        assert_eq!(cx.diags.len(), 2);
        assert!(cx.diags[0].help.as_deref().unwrap().contains("eu-west-1"), "{:?}", cx.diags[0]);
        assert!(cx.diags[1].message.contains("not a known AWS region"));
        assert_eq!(cx.diags[1].help.as_deref(), Some("did you mean one of eu-west-1, eu-west-2, eu-west-3?"));
    }
}
