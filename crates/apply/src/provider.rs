//! The seam between the executor and AWS. The AWS crate implements it with the real SDK; tests
//! may implement it in memory.

use async_trait::async_trait;
use groundwork_blueprint::Tags;
use groundwork_plan::{Ids, Locator};
use serde_json::Value;

/// What kind of failure a provider call had; the executor decides what to do with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request may or may not have been carried out (connection reset, 5xx after all
    /// retries). For non-idempotent writes the executor checks the live state before retrying.
    Ambiguous,
    /// AWS refused the request; retrying will not help.
    Rejected,
}

/// A failed provider call.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{operation}: {message}")]
pub struct ProviderError {
    /// `service:Operation`.
    pub operation: String,
    /// AWS error code when there was one.
    pub code: Option<String>,
    /// What happened.
    pub message: String,
    /// Kind.
    pub kind: ErrorKind,
}

/// State of a CreateAccount request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CreateState {
    /// Still running.
    InProgress,
    /// Done: the new account's id.
    Succeeded(String),
    /// Failed with AWS's reason, e.g. `EMAIL_ALREADY_EXISTS`.
    Failed(String),
}

/// An account found by email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundAccount {
    /// Account id.
    pub id: String,
    /// Id of its parent (root or OU).
    pub parent_id: String,
}

/// The write (and targeted read) operations the executor needs.
#[async_trait]
pub trait Provider: Send + Sync {
    /// CreateOrganization with all features; returns the root id and the management account's
    /// email as AWS reports it.
    async fn create_organization(&self) -> Result<(String, String), ProviderError>;
    /// DeleteOrganization (only ever to undo a creation in the wrong account, while empty).
    async fn delete_organization(&self) -> Result<(), ProviderError>;
    /// The email of an account (DescribeAccount).
    async fn account_email(&self, account_id: &str) -> Result<String, ProviderError>;
    /// The id of the child OU `name` of `parent_id`, if any.
    async fn find_ou(&self, parent_id: &str, name: &str) -> Result<Option<String>, ProviderError>;
    /// CreateOrganizationalUnit; returns the OU id.
    async fn create_ou(&self, parent_id: &str, name: &str, tags: &Tags) -> Result<String, ProviderError>;
    /// TagResource on an OU or account.
    async fn tag_resource(&self, resource_id: &str, tags: &Tags) -> Result<(), ProviderError>;
    /// The account with this email, if any (with its parent).
    async fn find_account(&self, email: &str) -> Result<Option<FoundAccount>, ProviderError>;
    /// An in-progress CreateAccount request for this account name, if any.
    async fn find_create_request(&self, name: &str) -> Result<Option<String>, ProviderError>;
    /// CreateAccount; returns the request id.
    async fn create_account(&self, name: &str, email: &str, tags: &Tags) -> Result<String, ProviderError>;
    /// DescribeCreateAccountStatus.
    async fn create_account_status(&self, request_id: &str) -> Result<CreateState, ProviderError>;
    /// MoveAccount.
    async fn move_account(
        &self,
        account_id: &str,
        from_parent_id: &str,
        to_parent_id: &str,
    ) -> Result<(), ProviderError>;
    /// The organization's id and its management account's id (after CreateOrganization).
    async fn organization_ids(&self) -> Result<(String, String), ProviderError> {
        Err(unsupported("organizations:DescribeOrganization"))
    }
    /// Creates the resource at `at`, or converges it from `live` to `spec`, with as few writes
    /// as it can. `spec` and `at` have every placeholder resolved. Returns what it did.
    async fn put_resource(
        &self,
        at: &Locator,
        spec: &Value,
        live: Option<&Value>,
        ids: &Ids,
    ) -> Result<String, ProviderError> {
        let _ = (spec, live, ids);
        Err(unsupported(at.kind.prefix()))
    }
    /// Removes the resource at `at` (only ever one groundwork manages).
    async fn delete_resource(&self, at: &Locator, live: &Value, ids: &Ids) -> Result<String, ProviderError> {
        let _ = (live, ids);
        Err(unsupported(at.kind.prefix()))
    }
}

fn unsupported(what: &str) -> ProviderError {
    ProviderError {
        operation: what.to_owned(),
        code: None,
        message: "this provider does not support it".into(),
        kind: ErrorKind::Rejected,
    }
}
