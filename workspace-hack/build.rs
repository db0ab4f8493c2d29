//! Empty: this crate's build-dependencies exist only to unify the features of the
//! proc-macros' `syn` (see `Cargo.toml`).
fn main() {}
