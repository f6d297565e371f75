//! Issue 19, item 6: every block of `docs/cookbook/` runs against the demo world, page by page
//! in the cookbook's order, as the account it names, with the variables under it (values
//! `"$Operation.path"` taken from earlier answers); an answer with an error, top-level or in a
//! payload, fails.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::harness::TestApp;

const PAGES: [&str; 6] = [
    "producer.md",
    "officer.md",
    "buyer.md",
    "auditor.md",
    "frontend.md",
    "integrations.md",
];
const PASSWORD: &str = "fupin-demo-2026";

/// A runnable block: who runs it, its text, its operation's name and its variables.
struct Recipe {
    page: &'static str,
    account: Option<String>,
    query: String,
    name: String,
    variables: Value,
}

/// The fenced blocks of a page: each `graphql` block, with the `json` block right after it.
fn recipes(page: &'static str, text: &str) -> Vec<Recipe> {
    let mut blocks: Vec<(String, String)> = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some(lang) = line.strip_prefix("```").filter(|l| !l.is_empty()) {
            let body: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .collect();
            blocks.push((lang.trim().to_owned(), body.join("\n")));
        }
    }
    let mut recipes = Vec::new();
    for (index, (lang, body)) in blocks.iter().enumerate() {
        if lang != "graphql" {
            continue;
        }
        let first = body.lines().next().unwrap_or_default();
        let account = first
            .strip_prefix("# as: ")
            .unwrap_or_else(|| panic!("{page}: a block starts with `# as: …`: {body}"))
            .trim();
        let name = body
            .lines()
            .find_map(|l| {
                let l = l.trim_start();
                ["query ", "mutation "]
                    .iter()
                    .find_map(|p| l.strip_prefix(p))
                    .map(|rest| {
                        rest.split(['(', ' ', '{'])
                            .next()
                            .unwrap_or_default()
                            .to_owned()
                    })
            })
            .unwrap_or_else(|| panic!("{page}: every block is a named operation: {body}"));
        let variables = match blocks.get(index + 1) {
            Some((next, json)) if next == "json" => serde_json::from_str(json)
                .unwrap_or_else(|e| panic!("{page}: variables of {name}: {e}")),
            _ => json!({}),
        };
        recipes.push(Recipe {
            page,
            account: (account != "anyone").then(|| account.to_owned()),
            query: body.clone(),
            name,
            variables,
        });
    }
    recipes
}

/// `"$Operation.a.0.b"` replaced by that field of an earlier answer, everywhere in `value`.
fn substitute(value: &Value, answers: &HashMap<String, Value>, context: &str) -> Value {
    match value {
        Value::String(s) if s.starts_with('$') => {
            let mut parts = s[1..].split('.');
            let operation = parts.next().unwrap_or_default();
            let mut found = answers
                .get(operation)
                .unwrap_or_else(|| panic!("{context}: no earlier answer of {operation}"));
            for part in parts {
                found = match part.parse::<usize>() {
                    Ok(i) => &found[i],
                    Err(_) => &found[part],
                };
            }
            assert!(!found.is_null(), "{context}: {s} is null");
            found.clone()
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute(v, answers, context)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| substitute(v, answers, context))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Every `errors` list inside `data` (mutation payloads), which must be empty.
fn payload_errors(value: &Value, found: &mut Vec<Value>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                if key == "errors" && inner.as_array().is_some_and(|e| !e.is_empty()) {
                    found.push(inner.clone());
                }
                payload_errors(inner, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| payload_errors(v, found)),
        _ => {}
    }
}

#[tokio::test]
async fn every_cookbook_recipe_runs_as_written() {
    let app = TestApp::spawn().await;
    assert!(
        fupin_market::demo::seed(&app.state.services)
            .await
            .expect("demo world")
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/cookbook");
    let mut tokens: HashMap<String, String> = HashMap::new();
    let mut answers: HashMap<String, Value> = HashMap::new();
    let mut ran = 0;
    for page in PAGES {
        let text = std::fs::read_to_string(dir.join(page)).expect("a cookbook page");
        for recipe in recipes(page, &text) {
            let context = format!("{}: {}", recipe.page, recipe.name);
            let token = match &recipe.account {
                Some(account) => {
                    if !tokens.contains_key(account) {
                        let session = app.login(account, PASSWORD).await;
                        tokens.insert(account.clone(), session.access_token);
                    }
                    tokens.get(account).map(String::as_str)
                }
                None => None,
            };
            let variables = substitute(&recipe.variables, &answers, &context);
            let body = app.gql(token, &recipe.query, variables).await;
            assert!(body.get("errors").is_none(), "{context}: {body}");
            let data = body["data"].clone();
            assert!(data.is_object(), "{context}: {body}");
            let mut errors = Vec::new();
            payload_errors(&data, &mut errors);
            assert!(errors.is_empty(), "{context}: {errors:?}");
            assert!(
                answers.insert(recipe.name.clone(), data).is_none(),
                "{context}: operation names are unique across the cookbook"
            );
            ran += 1;
        }
    }
    assert!(ran >= 20, "{ran} recipes");
}
