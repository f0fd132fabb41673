//! A permission set (`permission-set`), read whole: DescribePermissionSet (description,
//! session, relay state), its AWS-managed and customer-managed policies, its inline policy,
//! its permissions boundary and its tags. The writer converges each part with only the writes
//! that differ, then provisions the set again to every account it is provisioned to and waits
//! for that to finish. Deleting one (with `--prune`) first removes every assignment it has left.
//!
//! The emulator (moto 5.1.22) stores an integer when a create or update omits the session
//! duration, which the SDK then cannot read: every create and update sends the duration, and
//! the description with it.

use std::collections::BTreeMap;

use aws_sdk_ssoadmin::types::{
    CustomerManagedPolicyReference, PermissionsBoundary as SdkBoundary, PrincipalType, ProvisionTargetType, Tag,
    TargetType,
};
use groundwork_apply::ProviderError;
use groundwork_plan::canonical_policy;
use groundwork_plan::compact_policy;
use groundwork_plan::kinds::permission_set::{PermissionSetSpec, PermissionsBoundary, PolicyReference};
use serde_json::Value;

use super::{Instance, region_of, rejected};
use crate::Aws;
use crate::accounts::SsoClients;
use crate::call::Idempotency;
use groundwork_plan::Locator;
use groundwork_plan::kinds::KindMeta;

use crate::resources::{Converge, ListCx, ReadCx, WriteCx, parse_document};

fn reference(r: &PolicyReference) -> Result<CustomerManagedPolicyReference, ProviderError> {
    CustomerManagedPolicyReference::builder()
        .name(&r.name)
        .path(&r.path)
        .build()
        .map_err(|e| rejected("sso:AttachCustomerManagedPolicyReferenceToPermissionSet", e.to_string()))
}

fn sdk_tags(tags: &BTreeMap<String, String>) -> Result<Vec<Tag>, ProviderError> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect::<Result<_, _>>()
        .map_err(|e| rejected("sso:TagResource", e.to_string()))
}

#[async_trait::async_trait]
impl Converge for PermissionSetSpec {
    async fn read(cx: &ReadCx<'_>) -> Result<Option<Self>, ProviderError> {
        let region = region_of(cx.at)?;
        let view = cx.aws.sso_view(&cx.shared.sso, cx.clients, region).await?;
        let Some(arn) = view.set_arn(&cx.at.name) else { return Ok(None) };
        let sso = cx.clients.sso(region);
        Box::pin(cx.aws.read_permission_set(&sso, &view.instance, arn)).await.map(Some)
    }

    /// Every permission set of the instance (for import).
    async fn list(cx: &ListCx<'_>) -> Result<Vec<(Locator, Self)>, ProviderError> {
        let Some((region, view)) = cx.aws.sso_import_view(&cx.shared.sso, cx.clients).await? else {
            return Ok(Vec::new());
        };
        let sso = cx.clients.sso(&region);
        let mut out = Vec::new();
        for (name, arns) in &view.sets {
            let Some(arn) = arns.first() else { continue };
            let spec = Box::pin(cx.aws.read_permission_set(&sso, &view.instance, arn)).await?;
            out.push((Locator::regional(Self::KIND, None, region.clone(), name.clone()), spec));
        }
        Ok(out)
    }

    async fn put(&self, cx: &WriteCx<'_>, live: Option<&Self>) -> Result<String, ProviderError> {
        let region = region_of(cx.at)?;
        let sso = cx.clients.sso(region);
        let instance = cx.aws.sso_instance(&sso, region).await?;
        Box::pin(cx.aws.put_permission_set(&sso, &instance, &cx.at.name, self, live)).await
    }

    async fn delete(cx: &WriteCx<'_>, live: &Self) -> Result<String, ProviderError> {
        let _ = live;
        let region = region_of(cx.at)?;
        let sso = cx.clients.sso(region);
        let instance = cx.aws.sso_instance(&sso, region).await?;
        Box::pin(cx.aws.delete_permission_set(&sso, &instance, &cx.at.name)).await
    }
}

impl Aws {
    /// A permission set's live spec.
    pub(crate) async fn read_permission_set(
        &self,
        sso: &SsoClients,
        instance: &Instance,
        arn: &str,
    ) -> Result<PermissionSetSpec, ProviderError> {
        let a = &sso.admin;
        let i = instance.arn.as_str();
        let (described, managed, customer, inline, boundary, tags) = tokio::join!(
            self.run("sso:DescribePermissionSet", Idempotency::Safe, || {
                a.describe_permission_set().instance_arn(i).permission_set_arn(arn).send()
            }),
            self.run("sso:ListManagedPoliciesInPermissionSet", Idempotency::Safe, || {
                a.list_managed_policies_in_permission_set().instance_arn(i).permission_set_arn(arn).send()
            }),
            self.run("sso:ListCustomerManagedPolicyReferencesInPermissionSet", Idempotency::Safe, || {
                a.list_customer_managed_policy_references_in_permission_set()
                    .instance_arn(i)
                    .permission_set_arn(arn)
                    .send()
            }),
            self.run("sso:GetInlinePolicyForPermissionSet", Idempotency::Safe, || {
                a.get_inline_policy_for_permission_set().instance_arn(i).permission_set_arn(arn).send()
            }),
            self.run("sso:GetPermissionsBoundaryForPermissionSet", Idempotency::Safe, || {
                a.get_permissions_boundary_for_permission_set().instance_arn(i).permission_set_arn(arn).send()
            }),
            self.run("sso:ListTagsForResource", Idempotency::Safe, || {
                a.list_tags_for_resource().instance_arn(i).resource_arn(arn).send()
            }),
        );
        let described = described?;
        let set = described
            .permission_set()
            .ok_or_else(|| rejected("sso:DescribePermissionSet", "no permission set".into()))?;
        let mut managed_policies: Vec<String> =
            managed?.attached_managed_policies().iter().filter_map(|p| p.arn().map(str::to_owned)).collect();
        managed_policies.sort();
        managed_policies.dedup();
        let mut customer_managed_policies: Vec<PolicyReference> = customer?
            .customer_managed_policy_references()
            .iter()
            .map(|r| PolicyReference { name: r.name().to_owned(), path: r.path().unwrap_or("/").to_owned() })
            .collect();
        customer_managed_policies.sort();
        customer_managed_policies.dedup();
        let inline_text = inline?.inline_policy().unwrap_or_default().to_owned();
        let inline_policy = if inline_text.trim().is_empty() {
            Value::Null
        } else {
            canonical_policy(&parse_document("sso:GetInlinePolicyForPermissionSet", &inline_text)?)
        };
        // No boundary: AWS answers ResourceNotFoundException.
        let permissions_boundary = match boundary {
            Ok(out) => out.permissions_boundary().and_then(|b| {
                if let Some(arn) = b.managed_policy_arn() {
                    Some(PermissionsBoundary::Managed(arn.to_owned()))
                } else {
                    b.customer_managed_policy_reference().map(|r| {
                        PermissionsBoundary::Customer(PolicyReference {
                            name: r.name().to_owned(),
                            path: r.path().unwrap_or("/").to_owned(),
                        })
                    })
                }
            }),
            Err(e) if e.code.as_deref() == Some("ResourceNotFoundException") => None,
            Err(e) => return Err(e),
        };
        let tags = tags?
            .tags()
            .iter()
            .filter(|t| t.key().starts_with("groundwork:"))
            .map(|t| (t.key().to_owned(), t.value().to_owned()))
            .collect();
        Ok(PermissionSetSpec {
            description: set.description().unwrap_or_default().to_owned(),
            session_duration: set.session_duration().unwrap_or_default().to_owned(),
            relay_state: set.relay_state().filter(|r| !r.is_empty()).map(str::to_owned),
            managed_policies,
            customer_managed_policies,
            inline_policy,
            permissions_boundary,
            tags,
        })
    }

    /// Creates the permission set `name` (or finds the one an earlier run created) and
    /// converges it; after a change to an existing one, provisions it again.
    async fn put_permission_set(
        &self,
        sso: &SsoClients,
        instance: &Instance,
        name: &str,
        spec: &PermissionSetSpec,
        live: Option<&PermissionSetSpec>,
    ) -> Result<String, ProviderError> {
        let a = &sso.admin;
        let i = instance.arn.as_str();
        let mut done = Vec::new();
        let existing = self.sso_sets(sso, instance).await?.get(name).and_then(|arns| arns.first().cloned());
        let (arn, have) = match (existing, live) {
            (Some(arn), Some(live)) => (arn, live.clone()),
            (Some(arn), None) => {
                done.push(format!("found permission set {name}, created by an earlier run"));
                let have = Box::pin(self.read_permission_set(sso, instance, &arn)).await?;
                (arn, have)
            }
            (None, _) => {
                let tags = sdk_tags(&spec.tags)?;
                let created = self
                    .run_settled(
                        "sso:CreatePermissionSet",
                        || {
                            a.create_permission_set()
                                .instance_arn(i)
                                .name(name)
                                .description(&spec.description)
                                .session_duration(&spec.session_duration)
                                .set_relay_state(spec.relay_state.clone())
                                .set_tags(Some(tags.clone()))
                                .send()
                        },
                        || async { Ok(self.sso_sets(sso, instance).await?.contains_key(name)) },
                    )
                    .await?;
                let arn = match created.and_then(|o| o.permission_set.and_then(|p| p.permission_set_arn)) {
                    Some(arn) => arn,
                    None => self
                        .sso_sets(sso, instance)
                        .await?
                        .get(name)
                        .and_then(|arns| arns.first().cloned())
                        .ok_or_else(|| {
                            rejected("sso:CreatePermissionSet", format!("{name} is not found after its creation"))
                        })?,
                };
                done.push(format!("created permission set {name}"));
                let have = PermissionSetSpec {
                    managed_policies: Vec::new(),
                    customer_managed_policies: Vec::new(),
                    inline_policy: Value::Null,
                    permissions_boundary: None,
                    ..spec.clone()
                };
                (arn, have)
            }
        };
        let arn = arn.as_str();
        let changed = self.converge_permission_set(sso, i, arn, spec, &have, &mut done).await?;
        if changed && live.is_some() {
            self.provision_permission_set(sso, i, arn, &mut done).await?;
        }
        Ok(if done.is_empty() { "already as the blueprint says".into() } else { done.join(", ") })
    }

    /// The writes that take the permission set `arn` from `have` to `spec`; whether it wrote.
    async fn converge_permission_set(
        &self,
        sso: &SsoClients,
        i: &str,
        arn: &str,
        spec: &PermissionSetSpec,
        have: &PermissionSetSpec,
        done: &mut Vec<String>,
    ) -> Result<bool, ProviderError> {
        let a = &sso.admin;
        let before = done.len();
        if have.description != spec.description
            || have.session_duration != spec.session_duration
            || have.relay_state != spec.relay_state
        {
            self.run("sso:UpdatePermissionSet", Idempotency::Safe, || {
                a.update_permission_set()
                    .instance_arn(i)
                    .permission_set_arn(arn)
                    .description(&spec.description)
                    .session_duration(&spec.session_duration)
                    .set_relay_state(spec.relay_state.clone())
                    .send()
            })
            .await?;
            done.push("description, session and relay state set".into());
        }
        for p in spec.managed_policies.iter().filter(|p| !have.managed_policies.contains(p)) {
            self.run_settled(
                "sso:AttachManagedPolicyToPermissionSet",
                || {
                    a.attach_managed_policy_to_permission_set()
                        .instance_arn(i)
                        .permission_set_arn(arn)
                        .managed_policy_arn(p)
                        .send()
                },
                || async {
                    let listed = self
                        .run("sso:ListManagedPoliciesInPermissionSet", Idempotency::Safe, || {
                            a.list_managed_policies_in_permission_set().instance_arn(i).permission_set_arn(arn).send()
                        })
                        .await?;
                    Ok(listed.attached_managed_policies().iter().any(|m| m.arn() == Some(p.as_str())))
                },
            )
            .await?;
            done.push(format!("attached {p}"));
        }
        for p in have.managed_policies.iter().filter(|p| !spec.managed_policies.contains(p)) {
            self.run_removal("sso:DetachManagedPolicyFromPermissionSet", || {
                a.detach_managed_policy_from_permission_set()
                    .instance_arn(i)
                    .permission_set_arn(arn)
                    .managed_policy_arn(p)
                    .send()
            })
            .await?;
            done.push(format!("detached {p}"));
        }
        for r in spec.customer_managed_policies.iter().filter(|r| !have.customer_managed_policies.contains(r)) {
            let reference = reference(r)?;
            self.run_settled(
                "sso:AttachCustomerManagedPolicyReferenceToPermissionSet",
                || {
                    a.attach_customer_managed_policy_reference_to_permission_set()
                        .instance_arn(i)
                        .permission_set_arn(arn)
                        .customer_managed_policy_reference(reference.clone())
                        .send()
                },
                || async {
                    let listed = self
                        .run("sso:ListCustomerManagedPolicyReferencesInPermissionSet", Idempotency::Safe, || {
                            a.list_customer_managed_policy_references_in_permission_set()
                                .instance_arn(i)
                                .permission_set_arn(arn)
                                .send()
                        })
                        .await?;
                    Ok(listed
                        .customer_managed_policy_references()
                        .iter()
                        .any(|c| c.name() == r.name && c.path().unwrap_or("/") == r.path))
                },
            )
            .await?;
            done.push(format!("referenced {}{}", r.path, r.name));
        }
        for r in have.customer_managed_policies.iter().filter(|r| !spec.customer_managed_policies.contains(r)) {
            let reference = reference(r)?;
            self.run_removal("sso:DetachCustomerManagedPolicyReferenceFromPermissionSet", || {
                a.detach_customer_managed_policy_reference_from_permission_set()
                    .instance_arn(i)
                    .permission_set_arn(arn)
                    .customer_managed_policy_reference(reference.clone())
                    .send()
            })
            .await?;
            done.push(format!("removed the reference to {}{}", r.path, r.name));
        }
        if have.inline_policy != spec.inline_policy {
            if spec.inline_policy.is_null() {
                self.run_removal("sso:DeleteInlinePolicyFromPermissionSet", || {
                    a.delete_inline_policy_from_permission_set().instance_arn(i).permission_set_arn(arn).send()
                })
                .await?;
                done.push("inline policy removed".into());
            } else {
                let text = compact_policy(&spec.inline_policy).to_string();
                self.run("sso:PutInlinePolicyToPermissionSet", Idempotency::Safe, || {
                    a.put_inline_policy_to_permission_set()
                        .instance_arn(i)
                        .permission_set_arn(arn)
                        .inline_policy(&text)
                        .send()
                })
                .await?;
                done.push("inline policy set".into());
            }
        }
        if have.permissions_boundary != spec.permissions_boundary {
            match &spec.permissions_boundary {
                None => {
                    self.run_removal("sso:DeletePermissionsBoundaryFromPermissionSet", || {
                        a.delete_permissions_boundary_from_permission_set()
                            .instance_arn(i)
                            .permission_set_arn(arn)
                            .send()
                    })
                    .await?;
                    done.push("permissions boundary removed".into());
                }
                Some(b) => {
                    let boundary = match b {
                        PermissionsBoundary::Managed(p) => SdkBoundary::builder().managed_policy_arn(p).build(),
                        PermissionsBoundary::Customer(r) => {
                            SdkBoundary::builder().customer_managed_policy_reference(reference(r)?).build()
                        }
                    };
                    self.run("sso:PutPermissionsBoundaryToPermissionSet", Idempotency::Safe, || {
                        a.put_permissions_boundary_to_permission_set()
                            .instance_arn(i)
                            .permission_set_arn(arn)
                            .permissions_boundary(boundary.clone())
                            .send()
                    })
                    .await?;
                    done.push("permissions boundary set".into());
                }
            }
        }
        if have.tags != spec.tags {
            let tags = sdk_tags(&spec.tags)?;
            self.run("sso:TagResource", Idempotency::Safe, || {
                a.tag_resource().instance_arn(i).resource_arn(arn).set_tags(Some(tags.clone())).send()
            })
            .await?;
            done.push("tags set".into());
        }
        Ok(done.len() > before)
    }

    /// Provisions the permission set again to every account it is provisioned to
    /// (`ALL_PROVISIONED_ACCOUNTS`, as AWS's console does after an edit), and waits.
    async fn provision_permission_set(
        &self,
        sso: &SsoClients,
        i: &str,
        arn: &str,
        done: &mut Vec<String>,
    ) -> Result<(), ProviderError> {
        let a = &sso.admin;
        let out = self
            .run("sso:ProvisionPermissionSet", Idempotency::Safe, || {
                a.provision_permission_set()
                    .instance_arn(i)
                    .permission_set_arn(arn)
                    .target_type(ProvisionTargetType::AllProvisionedAccounts)
                    .send()
            })
            .await?;
        let status = out.permission_set_provisioning_status();
        let request = status.and_then(|s| s.request_id()).unwrap_or_default().to_owned();
        let first =
            (status.and_then(|s| s.status().cloned()), status.and_then(|s| s.failure_reason().map(str::to_owned)));
        let mut first = Some(first);
        self.sso_wait("sso:ProvisionPermissionSet", &request, || {
            let now = first.take();
            let request = request.clone();
            async move {
                if let Some(now) = now {
                    return Ok(now);
                }
                let out = self
                    .run("sso:DescribePermissionSetProvisioningStatus", Idempotency::Safe, || {
                        a.describe_permission_set_provisioning_status()
                            .instance_arn(i)
                            .provision_permission_set_request_id(&request)
                            .send()
                    })
                    .await?;
                let s = out.permission_set_provisioning_status();
                Ok((s.and_then(|s| s.status().cloned()), s.and_then(|s| s.failure_reason().map(str::to_owned))))
            }
        })
        .await?;
        done.push("provisioned again to the accounts it is provisioned to".into());
        Ok(())
    }

    /// Deletes the permission set `name`: every assignment it has left first (AWS refuses to
    /// delete an assigned permission set), then the set.
    async fn delete_permission_set(
        &self,
        sso: &SsoClients,
        instance: &Instance,
        name: &str,
    ) -> Result<String, ProviderError> {
        let a = &sso.admin;
        let i = instance.arn.as_str();
        let Some(arn) = self.sso_sets(sso, instance).await?.get(name).and_then(|arns| arns.first().cloned()) else {
            return Ok(format!("permission set {name} is already gone"));
        };
        let arn = arn.as_str();
        let accounts = self
            .run("sso:ListAccountsForProvisionedPermissionSet", Idempotency::Safe, || {
                a.list_accounts_for_provisioned_permission_set().instance_arn(i).permission_set_arn(arn).send()
            })
            .await?;
        let mut removed = 0;
        for account in accounts.account_ids() {
            let listed = self
                .run("sso:ListAccountAssignments", Idempotency::Safe, || {
                    a.list_account_assignments().instance_arn(i).account_id(account).permission_set_arn(arn).send()
                })
                .await?;
            for assignment in listed.account_assignments() {
                let (Some(kind), Some(principal)) = (assignment.principal_type(), assignment.principal_id()) else {
                    continue;
                };
                self.sso_unassign(sso, i, arn, account, kind.clone(), principal).await?;
                removed += 1;
            }
        }
        self.run_removal("sso:DeletePermissionSet", || {
            a.delete_permission_set().instance_arn(i).permission_set_arn(arn).send()
        })
        .await?;
        Ok(if removed == 0 {
            format!("deleted permission set {name}")
        } else {
            format!("removed its {removed} remaining assignments, then deleted permission set {name}")
        })
    }

    /// Removes one assignment and waits for the removal.
    pub(crate) async fn sso_unassign(
        &self,
        sso: &SsoClients,
        i: &str,
        arn: &str,
        account: &str,
        kind: PrincipalType,
        principal: &str,
    ) -> Result<(), ProviderError> {
        let a = &sso.admin;
        let removed = self
            .run("sso:DeleteAccountAssignment", Idempotency::Safe, || {
                a.delete_account_assignment()
                    .instance_arn(i)
                    .target_id(account)
                    .target_type(TargetType::AwsAccount)
                    .permission_set_arn(arn)
                    .principal_type(kind.clone())
                    .principal_id(principal)
                    .send()
            })
            .await;
        let out = match removed {
            Ok(out) => out,
            Err(e) if e.code.as_deref() == Some("ResourceNotFoundException") => return Ok(()),
            Err(e) => return Err(e),
        };
        let status = out.account_assignment_deletion_status();
        let request = status.and_then(|s| s.request_id()).unwrap_or_default().to_owned();
        let mut first = Some((
            status.and_then(|s| s.status().cloned()),
            status.and_then(|s| s.failure_reason().map(str::to_owned)),
        ));
        self.sso_wait("sso:DeleteAccountAssignment", &request, || {
            let now = first.take();
            let request = request.clone();
            async move {
                if let Some(now) = now {
                    return Ok(now);
                }
                let out = self
                    .run("sso:DescribeAccountAssignmentDeletionStatus", Idempotency::Safe, || {
                        a.describe_account_assignment_deletion_status()
                            .instance_arn(i)
                            .account_assignment_deletion_request_id(&request)
                            .send()
                    })
                    .await?;
                let s = out.account_assignment_deletion_status();
                Ok((s.and_then(|s| s.status().cloned()), s.and_then(|s| s.failure_reason().map(str::to_owned))))
            }
        })
        .await
    }
}
