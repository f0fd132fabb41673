//! End-to-end tests of the `groundwork` binary: the real binary, the real AWS SDK, a moto
//! server on loopback per test.

mod ambiguous;
mod audit;
mod baseline;
mod common;
mod drift;
mod explain;
mod graph;
mod identity;
mod identity_center;
mod import;
mod kms;
mod lease;
mod logging;
mod org_policies;
mod organization;
mod output;
mod permissions;
mod prune;
mod reliability;
mod sandbox;
mod validate;
