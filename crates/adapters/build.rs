//! The migrations are embedded at compile time (`embed_migrations!`), which cargo does not
//! track: without this, a new migration folder would not reach the binary until some Rust
//! file of the crate changed.

fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}
