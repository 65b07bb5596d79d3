//! One integration-test binary that drives the real `leakhound` binary on temp dirs and real
//! git repositories, as a user would. Each module covers one command or concern.

mod archives;
mod common;
mod corpus;
mod git;
mod gitleaks;
mod hostile;
mod hostile_k8s;
mod install;
mod integrations;
mod k8s;
mod keystores;
mod large;
mod layout;
mod parity;
mod precision;
mod provenance;
mod revisions;
mod sarif;
mod scan;
