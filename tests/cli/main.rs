//! One integration-test binary that drives the real `leakhound` binary on temp dirs and real
//! git repositories, as a user would. Each module covers one command or concern.

mod common;
mod corpus;
mod git;
mod gitleaks;
mod hostile;
mod install;
mod integrations;
mod k8s;
mod large;
mod parity;
mod provenance;
mod sarif;
mod scan;
