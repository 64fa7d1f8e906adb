//! What the key rendered files of an app look like, for each workflow subset
//! and with observability: insta snapshots (tests/snapshots/rendered_files__*),
//! so a template change shows up in review as a diff of the file itself, not
//! only as a changed checksum (tests/cli.rs keeps the whole-tree listing).
//! Pure rendering: no disk, no network. After an intended change:
//! `INSTA_UPDATE=always cargo test --test rendered_files`, then review the diff.

use tasker_app::catalog;
use tasker_app::manifest::Answers;

/// The files an owner reads first: dependencies, entry point, step registry,
/// settings.
const KEY_FILES: [&str; 4] = [
    "Cargo.toml",
    "src/main.rs",
    "src/handlers/mod.rs",
    ".env.example",
];

fn snapshot_subset(label: &str, templates: &[&str], observability: bool) {
    let catalog = catalog::load().expect("the embedded catalog");
    let workflows = catalog
        .resolve(&templates.iter().map(|t| t.to_string()).collect::<Vec<_>>())
        .expect("known templates");
    let answers = Answers {
        app_name: "shop".into(),
        api_base_url: tasker_app::plan::DEFAULT_API_BASE_URL.into(),
        observability,
        no_shared_build: false,
    };
    let files = tasker_app::plan::render_app(&catalog, &answers, &workflows).expect("renders");
    for path in KEY_FILES {
        let file = files
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("{path} is rendered"));
        let text = String::from_utf8(file.contents.clone()).expect("UTF-8");
        insta::assert_snapshot!(format!("{label}__{}", path.replace(['/', '.'], "_")), text);
    }
}

#[test]
fn ecommerce_alone() {
    snapshot_subset("ecommerce", &["ecommerce"], false);
}

#[test]
fn inventory_alone() {
    snapshot_subset("inventory", &["inventory"], false);
}

#[test]
fn customer_onboarding_alone() {
    snapshot_subset("customer_onboarding", &["customer-onboarding"], false);
}

#[test]
fn all_three_with_observability() {
    snapshot_subset(
        "all_observability",
        &["ecommerce", "inventory", "customer-onboarding"],
        true,
    );
}
