//! `groundwork keys rotate`: one step of the access-key lifecycle per programmatic user and run,
//! decided by [`groundwork_audit::rotation::next_step`] from what IAM says (the keys' dates,
//! statuses and last use, and the ids recorded on the user), taken with the writes of
//! [`crate::resources`]' access-key module. Every write is journalled (never a secret); a rerun
//! reads the state back and continues where the last run stopped.

use groundwork_audit::rotation::{Step, next_step};
use groundwork_blueprint::AccessKeys;

use crate::{Aws, AwsError};

/// What `keys rotate` found and did for one user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// The user.
    pub user: String,
    /// The step the lifecycle called for.
    pub step: Step,
    /// What was done, for people; empty when nothing.
    pub done: Vec<String>,
    /// Why the step failed, when it did.
    pub error: Option<String>,
}

impl Aws {
    /// Takes the next rotation step for each of `users` in the hub `hub_id`, at `as_of`
    /// (seconds since the epoch). A user's failure is reported with it; the others go on.
    ///
    /// # Errors
    /// The hub cannot be reached.
    pub async fn rotate_keys(
        &self,
        management_id: &str,
        hub_id: &str,
        users: &[String],
        policy: &AccessKeys,
        as_of: i64,
    ) -> Result<Vec<Rotation>, AwsError> {
        let c =
            self.account(hub_id, management_id).await.map_err(|e| AwsError::call("reaching the identity hub", e))?;
        let mut out = Vec::new();
        for user in users {
            let mut done = Vec::new();
            let result: Result<Step, groundwork_apply::ProviderError> = async {
                let Some(mut state) = self.key_state(&c, user, true).await? else {
                    return Ok(Step::Blocked(format!("user {user} does not exist: run `groundwork apply` first")));
                };
                done.extend(self.settle_leftovers(&c, user, &mut state).await?);
                let step = next_step(&state.keys, as_of, policy);
                match &step {
                    Step::Issue { .. } => {
                        let id = self.issue_key(&c, user, &mut state).await?;
                        let file = self.credentials_file().map(|p| p.display().to_string()).unwrap_or_default();
                        done.push(format!("issued access key {id}, written to {file}"));
                    }
                    Step::Deactivate { old, .. } => {
                        self.set_key_status(&c, user, old, false).await?;
                        done.push(format!("deactivated the old key {old}"));
                    }
                    Step::Delete { old } => {
                        self.delete_old_key(&c, user, old, &state).await?;
                        done.push(format!("deleted the old key {old}"));
                    }
                    Step::NoKey | Step::Current { .. } | Step::Wait { .. } | Step::Blocked(_) => {}
                }
                Ok(step)
            }
            .await;
            out.push(match result {
                Ok(step) => Rotation { user: user.clone(), step, done, error: None },
                Err(e) => Rotation {
                    user: user.clone(),
                    step: Step::Blocked(e.to_string()),
                    done,
                    error: Some(e.to_string()),
                },
            });
        }
        Ok(out)
    }

    /// The keys of each of `users` in the hub, with groundwork's bookkeeping (`None` for a user
    /// that does not exist), for the audit's lifecycle view. Read-only.
    ///
    /// # Errors
    /// The hub cannot be reached or read.
    pub async fn user_keys(
        &self,
        management_id: &str,
        hub_id: &str,
        users: &[String],
    ) -> Result<Vec<(String, Vec<groundwork_audit::rotation::UserKey>)>, AwsError> {
        let c =
            self.account(hub_id, management_id).await.map_err(|e| AwsError::call("reaching the identity hub", e))?;
        let mut out = Vec::new();
        for user in users {
            let state = self.key_state(&c, user, true).await.map_err(|e| AwsError::call("reading access keys", e))?;
            if let Some(s) = state {
                out.push((user.clone(), s.keys));
            }
        }
        Ok(out)
    }
}
