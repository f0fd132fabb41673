//! What moto 5.1.22 lacks of IAM's centralized root access, answered by the proxy: trusted
//! access for `iam.amazonaws.com` (moto's Organizations refuses that principal) and the
//! organization features of IAM. The shim keeps what was enabled and answers from it; it checks
//! one of AWS's rules, the one groundwork's order depends on: the features need IAM's trusted
//! access first (`ServiceAccessNotEnabledException`).
//!
//! - <https://docs.aws.amazon.com/organizations/latest/APIReference/API_EnableAWSServiceAccess.html>
//!   (for `iam.amazonaws.com`; `ListAWSServiceAccessForOrganization` answers come from moto with
//!   IAM added while it is enabled)
//! - <https://docs.aws.amazon.com/IAM/latest/APIReference/API_EnableOrganizationsRootCredentialsManagement.html>
//! - <https://docs.aws.amazon.com/IAM/latest/APIReference/API_EnableOrganizationsRootSessions.html>
//! - <https://docs.aws.amazon.com/IAM/latest/APIReference/API_DisableOrganizationsRootCredentialsManagement.html>
//! - <https://docs.aws.amazon.com/IAM/latest/APIReference/API_DisableOrganizationsRootSessions.html>
//! - <https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListOrganizationsFeatures.html>
//!
//! Enabled with [`crate::ProxyConfig::root_access`]; every other request goes to moto.

use std::collections::BTreeSet;

/// The IAM operations the shim answers.
const IAM_ANSWERED: &[&str] = &[
    "ListOrganizationsFeatures",
    "EnableOrganizationsRootCredentialsManagement",
    "EnableOrganizationsRootSessions",
    "DisableOrganizationsRootCredentialsManagement",
    "DisableOrganizationsRootSessions",
];

/// IAM's service principal.
const IAM_PRINCIPAL: &str = "iam.amazonaws.com";

/// Whether IAM has trusted access, and the features enabled.
#[derive(Debug, Default)]
pub(crate) struct RootAccessShim {
    trusted: bool,
    features: BTreeSet<&'static str>,
    /// Every operation the shim answered, in order.
    pub(crate) seen: Vec<String>,
    /// Privileged root sessions and the root users they reach (`root_session_shim`).
    pub(crate) sessions: crate::root_session_shim::RootSessions,
}

/// Whether the shim answers this request itself.
pub(crate) fn answers(service: &str, operation: &str, body: &[u8]) -> bool {
    (service == "organizations"
        && matches!(operation, "EnableAWSServiceAccess" | "DisableAWSServiceAccess")
        && String::from_utf8_lossy(body).contains(IAM_PRINCIPAL))
        || (service == "iam" && IAM_ANSWERED.contains(&operation))
}

/// Whether the shim adds to moto's answer of this request.
pub(crate) fn amends(service: &str, operation: &str) -> bool {
    service == "organizations" && operation == "ListAWSServiceAccessForOrganization"
}

fn http(status: &str, content_type: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n{extra}x-amzn-RequestId: root-access-shim\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn iam_result(operation: &str, features: &BTreeSet<&str>) -> Vec<u8> {
    let members: String = features.iter().fold(String::new(), |mut s, f| {
        s.push_str("<member>");
        s.push_str(f);
        s.push_str("</member>");
        s
    });
    let body = format!(
        "<{operation}Response xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><{operation}Result><EnabledFeatures>{members}</EnabledFeatures></{operation}Result><ResponseMetadata><RequestId>root-access-shim</RequestId></ResponseMetadata></{operation}Response>"
    );
    http("200 OK", "text/xml", "", &body)
}

fn iam_error(code: &str, message: &str) -> Vec<u8> {
    let body = format!(
        "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>root-access-shim</RequestId></ErrorResponse>"
    );
    http("400 Bad Request", "text/xml", "", &body)
}

impl RootAccessShim {
    /// Answers one request [`answers`] accepts.
    pub(crate) fn handle(&mut self, operation: &str) -> Vec<u8> {
        self.seen.push(operation.to_owned());
        match operation {
            "EnableAWSServiceAccess" | "DisableAWSServiceAccess" => {
                self.trusted = operation == "EnableAWSServiceAccess";
                if !self.trusted {
                    self.features.clear();
                }
                http("200 OK", "application/x-amz-json-1.1", "", "{}")
            }
            _ if !self.trusted => iam_error(
                "ServiceAccessNotEnabledException",
                "The request failed because IAM does not have trusted access to AWS Organizations.",
            ),
            "EnableOrganizationsRootCredentialsManagement" => {
                self.features.insert("RootCredentialsManagement");
                iam_result(operation, &self.features)
            }
            "EnableOrganizationsRootSessions" => {
                self.features.insert("RootSessions");
                iam_result(operation, &self.features)
            }
            "DisableOrganizationsRootCredentialsManagement" => {
                self.features.remove("RootCredentialsManagement");
                iam_result(operation, &self.features)
            }
            "DisableOrganizationsRootSessions" => {
                self.features.remove("RootSessions");
                iam_result(operation, &self.features)
            }
            _ => iam_result(operation, &self.features),
        }
    }

    /// Answers AssumeRoot or an IAM call of a root session (see `root_session_shim`), with the
    /// features enabled now.
    pub(crate) fn session(&mut self, service: &str, operation: &str, body: &[u8], key: Option<&str>) -> Vec<u8> {
        self.sessions.handle(self.trusted, &self.features, service, operation, body, key)
    }

    /// moto's ListAWSServiceAccessForOrganization answer, with IAM added while it has access.
    pub(crate) fn amend(&self, answer: Vec<u8>) -> Vec<u8> {
        if !self.trusted {
            return answer;
        }
        let Some(split) = answer.windows(4).position(|w| w == b"\r\n\r\n") else { return answer };
        let head = String::from_utf8_lossy(&answer[..split]).into_owned();
        let Ok(mut body) = serde_json::from_slice::<serde_json::Value>(&answer[split + 4..]) else { return answer };
        let Some(list) = body.get_mut("EnabledServicePrincipals").and_then(serde_json::Value::as_array_mut) else {
            return answer;
        };
        list.push(serde_json::json!({ "ServicePrincipal": IAM_PRINCIPAL, "DateEnabled": 1_733_500_000.0 }));
        let text = body.to_string();
        crate::proxy::message(&head, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_features_need_trusted_access_first() {
        let mut shim = RootAccessShim::default();
        let refused = String::from_utf8(shim.handle("EnableOrganizationsRootSessions")).unwrap();
        assert!(refused.contains("ServiceAccessNotEnabledException"), "{refused}");
        shim.handle("EnableAWSServiceAccess");
        shim.handle("EnableOrganizationsRootCredentialsManagement");
        let listed = String::from_utf8(shim.handle("ListOrganizationsFeatures")).unwrap();
        assert!(listed.contains("<member>RootCredentialsManagement</member>"), "{listed}");
        let amended = String::from_utf8(
            shim.amend(b"HTTP/1.1 200 OK\r\nContent-Length: 29\r\n\r\n{\"EnabledServicePrincipals\":[]}".to_vec()),
        )
        .unwrap();
        assert!(amended.contains("iam.amazonaws.com"), "{amended}");
    }
}
