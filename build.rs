//! `templates/`, `database_objects/` and the vendored `crates/` are embedded with include_dir!, which
//! cargo does not know to watch: rebuild whenever anything under them changes.
fn main() {
    println!("cargo:rerun-if-changed=templates");
    println!("cargo:rerun-if-changed=database_objects");
    println!("cargo:rerun-if-changed=crates");
}
