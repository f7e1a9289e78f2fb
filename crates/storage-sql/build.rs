//! `sqlx::migrate!` embeds the migration files at compile time, but cargo
//! does not know they are inputs: without this, a new migration file would
//! not rebuild the crate and the binary would run the old schema.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
