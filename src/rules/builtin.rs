//! The built-in rule packs, one TOML file per provider under `rules/`, compiled into the
//! binary by `build.rs`.

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));
