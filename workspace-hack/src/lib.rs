//! Feature unification for thumbing's workspace; it has no code. See `Cargo.toml`.
