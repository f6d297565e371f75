//! The code's layout rules, checked so the next hundred resolvers keep them:
//! rules never import resolvers, only GraphQL types may name each other in a circle, the shared
//! state imports only leaves, and no resolver can let a bare `?` turn a database error into
//! async-graphql's blanket conversion (SQL text, no code).

use std::{fs, path::Path, process::Command};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[test]
fn rules_never_import_resolvers_and_state_holds_only_leaves() {
    let out = Command::new("python3")
        .args(["scripts/layers.py", "--check"])
        .current_dir(ROOT)
        .output()
        .expect("python3 runs scripts/layers.py");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "layout broken:\n{report}");
    assert!(report.contains("rule -> resolver imports: 0"), "{report}");
}

/// Where async-graphql's own result type may appear: the guard trait demands it.
const OWN_RESULT_ALLOWED: &[&str] = &["src/auth/guard.rs"];

#[test]
fn resolvers_return_the_crates_result_type() {
    let mut offenders = Vec::new();
    for file in rust_files(&Path::new(ROOT).join("src")) {
        let relative = file
            .strip_prefix(ROOT)
            .map(|p| p.to_string_lossy().trim_start_matches('/').to_owned())
            .unwrap_or_default();
        if OWN_RESULT_ALLOWED.contains(&relative.as_str()) {
            continue;
        }
        let text = fs::read_to_string(&file).unwrap_or_default();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            let leaky = [
                "async_graphql::Result",
                "FieldResult",
                "async_graphql::{Result",
            ]
            .iter()
            .any(|p| code.contains(p))
                || (code.contains("use async_graphql::") && code.contains(" Result"));
            if leaky {
                offenders.push(format!("{relative}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "return crate::error::Result (AppError) instead, so `?` maps database errors to a code:\n{}",
        offenders.join("\n")
    );
}

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
    found
}
