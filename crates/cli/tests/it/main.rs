//! End-to-end tests of the `groundwork` binary: the real binary, the real AWS SDK, a moto
//! server on loopback per test.

mod alerts;
mod ambiguous;
mod audit;
mod baseline;
mod ci;
mod common;
mod drift;
mod explain;
mod flow_logs;
mod graph;
mod identity;
mod identity_center;
mod import;
mod keys;
mod kms;
mod lease;
mod logging;
mod org_policies;
mod organization;
mod output;
mod permissions;
mod prune;
mod reliability;
mod root_access;
mod root_credentials;
mod sandbox;
mod slack;
mod tooling;
mod validate;
