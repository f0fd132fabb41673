//! What moto 5.1.22 lacks of privileged root sessions, answered by the proxy with the
//! root-access shim's feature state: `sts:AssumeRoot`, and the IAM calls made with such a
//! session, which (without a `UserName`) mean the member account's root user. moto has no root
//! user, so the root credentials live here, per account, seeded out of band by the test
//! ([`crate::FaultProxy::seed_root_user`]: "given a root access key out of band").
//!
//! Rules the shim keeps, from AWS's API reference and the IAM User Guide's task policies:
//! - AssumeRoot needs IAM's trusted access and the `RootSessions` feature; the credential tasks
//!   (`IAMAuditRootUserCredentials`, `IAMDeleteRootUserCredentials`, `IAMCreateRootUserPassword`)
//!   also need `RootCredentialsManagement`. The task policy must be one of the AWS-managed
//!   `root-task` policies, the session lasts at most 900 seconds, and the target is a member
//!   account (not the management account).
//! - A session does what its task policy allows, nothing else: the audit task reads
//!   (GetLoginProfile, ListAccessKeys, ListMFADevices, ListSigningCertificates), the delete task
//!   also deletes (DeleteLoginProfile, DeleteAccessKey, DeactivateMFADevice,
//!   DeleteVirtualMFADevice, DeleteSigningCertificate). A `UserName` is refused: the task
//!   policies cover the root user only.
//! - A virtual MFA device is deleted only once deactivated (`DeleteConflict`); deleting what is
//!   not there is `NoSuchEntity`.
//!
//! - <https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoot.html>
//! - <https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetLoginProfile.html>,
//!   `API_ListAccessKeys`, `API_ListMFADevices`, `API_ListSigningCertificates`
//! - <https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteLoginProfile.html>,
//!   `API_DeleteAccessKey`, `API_DeactivateMFADevice`, `API_DeleteVirtualMFADevice`,
//!   `API_DeleteSigningCertificate`
//! - <https://docs.aws.amazon.com/IAM/latest/UserGuide/security-iam-awsmanpol.html> (the
//!   `root-task` policies)
//!
//! Enabled with [`crate::ProxyConfig::root_access`], with the rest of centralized root access.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::flow_log_shim::decode;

/// The AWS-managed task policies' ARN prefix.
const TASK_PREFIX: &str = "arn:aws:iam::aws:policy/root-task/";
/// The longest root session, in seconds.
const MAX_DURATION: u64 = 900;
/// The prefix of the access key ids the shim issues.
const SESSION_KEY_PREFIX: &str = "ASIAROOT";

/// A member account's root user credentials, as the test seeds them and reads them back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RootUser {
    /// A console password (a login profile).
    pub password: bool,
    /// Access key ids.
    pub access_keys: Vec<String>,
    /// The serial numbers of the MFA devices assigned to the root user (a virtual device's is
    /// its ARN, `arn:aws:iam::ACCOUNT:mfa/NAME`).
    pub mfa_devices: Vec<String>,
    /// Virtual MFA devices that exist in the account, assigned or not.
    pub virtual_mfa_devices: Vec<String>,
    /// Signing certificate ids.
    pub signing_certificates: Vec<String>,
}

/// The root-task policy of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Task {
    Audit,
    Delete,
    CreatePassword,
    UnlockS3,
    UnlockSqs,
}

impl Task {
    fn from_arn(arn: &str) -> Option<Task> {
        Some(match arn.strip_prefix(TASK_PREFIX)? {
            "IAMAuditRootUserCredentials" => Task::Audit,
            "IAMDeleteRootUserCredentials" => Task::Delete,
            "IAMCreateRootUserPassword" => Task::CreatePassword,
            "S3UnlockBucketPolicy" => Task::UnlockS3,
            "SQSUnlockQueuePolicy" => Task::UnlockSqs,
            _ => return None,
        })
    }

    fn about_credentials(self) -> bool {
        matches!(self, Task::Audit | Task::Delete | Task::CreatePassword)
    }

    /// The IAM operations the task policy allows (on the root user).
    fn allows(self, operation: &str) -> bool {
        const READS: &[&str] = &["GetLoginProfile", "ListAccessKeys", "ListMFADevices", "ListSigningCertificates"];
        const DELETES: &[&str] = &[
            "DeleteLoginProfile",
            "DeleteAccessKey",
            "DeactivateMFADevice",
            "DeleteVirtualMFADevice",
            "DeleteSigningCertificate",
        ];
        match self {
            Task::Audit => READS.contains(&operation),
            Task::Delete => READS.contains(&operation) || DELETES.contains(&operation),
            Task::CreatePassword | Task::UnlockS3 | Task::UnlockSqs => false,
        }
    }
}

/// The root users, and the sessions issued.
#[derive(Debug, Default)]
pub(crate) struct RootSessions {
    /// Root users by account id.
    pub(crate) users: BTreeMap<String, RootUser>,
    /// Issued session access key id → (account, task).
    issued: BTreeMap<String, (String, Task)>,
    /// Every request the shim answered: `AssumeRoot TASK ACCOUNT` or `OPERATION ACCOUNT`.
    pub(crate) seen: Vec<String>,
}

/// Form parameters of a query-protocol body.
fn params(body: &[u8]) -> BTreeMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn http(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/xml\r\nx-amzn-RequestId: root-session-shim\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn error(service: &str, status: &str, code: &str, message: &str) -> Vec<u8> {
    let ns = if service == "sts" {
        "https://sts.amazonaws.com/doc/2011-06-15/"
    } else {
        "https://iam.amazonaws.com/doc/2010-05-08/"
    };
    http(
        status,
        &format!(
            "<ErrorResponse xmlns=\"{ns}\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>root-session-shim</RequestId></ErrorResponse>"
        ),
    )
}

fn iam_ok(operation: &str, result: &str) -> Vec<u8> {
    let inner =
        if result.is_empty() { String::new() } else { format!("<{operation}Result>{result}</{operation}Result>") };
    http(
        "200 OK",
        &format!(
            "<{operation}Response xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\">{inner}<ResponseMetadata><RequestId>root-session-shim</RequestId></ResponseMetadata></{operation}Response>"
        ),
    )
}

/// `2026-12-07T04:30:00Z` for seconds since the epoch (days to civil date, proleptic Gregorian).
fn rfc3339(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The access key id of a SigV4 `Authorization` header.
pub(crate) fn signing_key(authorization: Option<&str>) -> Option<&str> {
    authorization?.split("Credential=").nth(1)?.split('/').next()
}

impl RootSessions {
    /// Whether the shim answers this request: AssumeRoot, or IAM signed with a session it issued.
    pub(crate) fn answers(&self, service: &str, operation: &str, key: Option<&str>) -> bool {
        (service == "sts" && operation == "AssumeRoot")
            || (service == "iam" && key.is_some_and(|k| self.issued.contains_key(k)))
    }

    /// Answers one request [`RootSessions::answers`] accepts, with the organization's features
    /// (`trusted`: IAM's trusted access).
    pub(crate) fn handle(
        &mut self,
        trusted: bool,
        features: &BTreeSet<&'static str>,
        service: &str,
        operation: &str,
        body: &[u8],
        key: Option<&str>,
    ) -> Vec<u8> {
        let p = params(body);
        if service == "sts" {
            return self.assume_root(trusted, features, &p);
        }
        let Some((account, task)) = key.and_then(|k| self.issued.get(k)).cloned() else {
            return error("iam", "403 Forbidden", "InvalidClientTokenId", "The security token is not valid.");
        };
        self.seen.push(format!("{operation} {account}"));
        if p.contains_key("UserName") || !task.allows(operation) {
            return error(
                "iam",
                "403 Forbidden",
                "AccessDenied",
                &format!("iam:{operation} is not allowed by the root session's task policy"),
            );
        }
        let user = self.users.entry(account.clone()).or_default();
        let missing = |what: &str| error("iam", "404 Not Found", "NoSuchEntity", &format!("{what} cannot be found."));
        let date = rfc3339(now());
        match operation {
            "GetLoginProfile" if user.password => iam_ok(
                operation,
                &format!(
                    "<LoginProfile><UserName>root</UserName><CreateDate>{date}</CreateDate><PasswordResetRequired>false</PasswordResetRequired></LoginProfile>"
                ),
            ),
            "ListAccessKeys" => {
                let members = user.access_keys.iter().fold(String::new(), |mut out, k| {
                    let _ = write!(out, "<member><AccessKeyId>{k}</AccessKeyId><Status>Active</Status><CreateDate>{date}</CreateDate></member>");
                    out
                });
                iam_ok(
                    operation,
                    &format!("<AccessKeyMetadata>{members}</AccessKeyMetadata><IsTruncated>false</IsTruncated>"),
                )
            }
            "ListMFADevices" => {
                let members = user.mfa_devices.iter().fold(String::new(), |mut out, s| {
                    let _ = write!(out, "<member><UserName>root</UserName><SerialNumber>{s}</SerialNumber><EnableDate>{date}</EnableDate></member>");
                    out
                });
                iam_ok(operation, &format!("<MFADevices>{members}</MFADevices><IsTruncated>false</IsTruncated>"))
            }
            "ListSigningCertificates" => {
                let members = user.signing_certificates.iter().fold(String::new(), |mut out, c| {
                    let _ = write!(out, "<member><UserName>root</UserName><CertificateId>{c}</CertificateId><CertificateBody>-----BEGIN CERTIFICATE-----</CertificateBody><Status>Active</Status><UploadDate>{date}</UploadDate></member>");
                    out
                });
                iam_ok(operation, &format!("<Certificates>{members}</Certificates><IsTruncated>false</IsTruncated>"))
            }
            "DeleteLoginProfile" if user.password => {
                user.password = false;
                iam_ok(operation, "")
            }
            "GetLoginProfile" | "DeleteLoginProfile" => missing("Login Profile for the root user"),
            "DeleteAccessKey" => remove(&mut user.access_keys, p.get("AccessKeyId"))
                .map_or_else(|| missing("The Access Key"), |()| iam_ok(operation, "")),
            "DeactivateMFADevice" => remove(&mut user.mfa_devices, p.get("SerialNumber"))
                .map_or_else(|| missing("The MFA device"), |()| iam_ok(operation, "")),
            "DeleteVirtualMFADevice" => {
                let serial = p.get("SerialNumber").cloned().unwrap_or_default();
                if user.mfa_devices.contains(&serial) {
                    return error(
                        "iam",
                        "409 Conflict",
                        "DeleteConflict",
                        "MFA device is still in use: deactivate it first.",
                    );
                }
                remove(&mut user.virtual_mfa_devices, Some(&serial))
                    .map_or_else(|| missing("The virtual MFA device"), |()| iam_ok(operation, ""))
            }
            "DeleteSigningCertificate" => remove(&mut user.signing_certificates, p.get("CertificateId"))
                .map_or_else(|| missing("The signing certificate"), |()| iam_ok(operation, "")),
            _ => error("iam", "400 Bad Request", "InvalidAction", "not answered by the root session shim"),
        }
    }

    fn assume_root(&mut self, trusted: bool, features: &BTreeSet<&str>, p: &BTreeMap<String, String>) -> Vec<u8> {
        let denied = |m: &str| error("sts", "403 Forbidden", "AccessDenied", m);
        let target = p.get("TargetPrincipal").map(String::as_str).unwrap_or_default();
        let account = target.strip_prefix("arn:aws:iam::").and_then(|r| r.strip_suffix(":root")).unwrap_or(target);
        let arn = p.get("TaskPolicyArn.arn").map(String::as_str).unwrap_or_default();
        self.seen.push(format!("AssumeRoot {} {account}", arn.strip_prefix(TASK_PREFIX).unwrap_or(arn)));
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return error("sts", "400 Bad Request", "ValidationError", "TargetPrincipal is not a member account id");
        }
        if account == crate::MANAGEMENT_ACCOUNT_ID {
            return denied("AssumeRoot targets a member account, not the management account");
        }
        let Some(task) = Task::from_arn(arn) else {
            return denied("TaskPolicyArn must be one of the AWS managed root-task policies");
        };
        let duration = p.get("DurationSeconds").map_or(Some(MAX_DURATION), |d| d.parse().ok());
        let Some(duration) = duration.filter(|d| *d <= MAX_DURATION) else {
            return error("sts", "400 Bad Request", "ValidationError", "DurationSeconds must be at most 900");
        };
        if !trusted || !features.contains("RootSessions") {
            return denied("centralized root access is not enabled: the organization has no RootSessions feature");
        }
        if task.about_credentials() && !features.contains("RootCredentialsManagement") {
            return denied(
                "centralized root access is not enabled: the organization has no RootCredentialsManagement feature",
            );
        }
        let key = format!("{SESSION_KEY_PREFIX}{:012}", self.issued.len() + 1);
        self.issued.insert(key.clone(), (account.to_owned(), task));
        let expires = rfc3339(now() + duration);
        http(
            "200 OK",
            &format!(
                "<AssumeRootResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRootResult><Credentials><AccessKeyId>{key}</AccessKeyId><SecretAccessKey>shim-root-secret</SecretAccessKey><SessionToken>shim-root-token-{key}</SessionToken><Expiration>{expires}</Expiration></Credentials><SourceIdentity></SourceIdentity></AssumeRootResult><ResponseMetadata><RequestId>root-session-shim</RequestId></ResponseMetadata></AssumeRootResponse>"
            ),
        )
    }
}

/// Takes `item` out of `list`; `None` when it was not there.
fn remove(list: &mut Vec<String>, item: Option<&String>) -> Option<()> {
    let at = list.iter().position(|x| Some(x) == item)?;
    list.remove(at);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(answer: &[u8]) -> String {
        String::from_utf8_lossy(answer).into_owned()
    }

    const AUDIT: &str = "Action=AssumeRoot&TargetPrincipal=111111111111&TaskPolicyArn.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2Froot-task%2FIAMAuditRootUserCredentials";

    #[test]
    fn assume_root_needs_the_features_and_a_root_task_policy() {
        let mut s = RootSessions::default();
        let none = BTreeSet::new();
        let on: BTreeSet<&'static str> = ["RootCredentialsManagement", "RootSessions"].into();
        let refused = text(&s.handle(true, &none, "sts", "AssumeRoot", AUDIT.as_bytes(), None));
        assert!(refused.contains("AccessDenied") && refused.contains("RootSessions"), "{refused}");
        let other = AUDIT.replace("root-task%2FIAMAuditRootUserCredentials", "AdministratorAccess");
        let refused = text(&s.handle(true, &on, "sts", "AssumeRoot", other.as_bytes(), None));
        assert!(refused.contains("root-task policies"), "{refused}");
        let ok = text(&s.handle(true, &on, "sts", "AssumeRoot", AUDIT.as_bytes(), None));
        assert!(ok.contains("<AccessKeyId>ASIAROOT000000000001</AccessKeyId>"), "{ok}");
        assert!(ok.contains("<Expiration>20"), "{ok}");
    }

    #[test]
    fn the_audit_session_reads_and_cannot_delete() {
        let mut s = RootSessions::default();
        let on: BTreeSet<&'static str> = ["RootCredentialsManagement", "RootSessions"].into();
        s.users.insert(
            "111111111111".into(),
            RootUser { access_keys: vec!["AKIAROOT0000000000001".into()], ..RootUser::default() },
        );
        s.handle(true, &on, "sts", "AssumeRoot", AUDIT.as_bytes(), None);
        let key = Some("ASIAROOT000000000001");
        assert!(s.answers("iam", "ListAccessKeys", key));
        let listed = text(&s.handle(true, &on, "iam", "ListAccessKeys", b"Action=ListAccessKeys", key));
        assert!(listed.contains("AKIAROOT0000000000001"), "{listed}");
        let denied = text(&s.handle(
            true,
            &on,
            "iam",
            "DeleteAccessKey",
            b"Action=DeleteAccessKey&AccessKeyId=AKIAROOT0000000000001",
            key,
        ));
        assert!(denied.contains("AccessDenied"), "{denied}");
        let named = text(&s.handle(true, &on, "iam", "ListAccessKeys", b"Action=ListAccessKeys&UserName=bob", key));
        assert!(named.contains("AccessDenied"), "{named}");
    }

    #[test]
    fn dates_are_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_796_617_800), "2026-12-07T04:30:00Z");
    }
}
