//! One check over every string a request carries, in its variables and in the literals of its
//! document, before anything runs: `text::problem` (length, control characters). A bad string
//! refuses the whole request with `BAD_USER_INPUT`, whichever field it was meant for, so no
//! resolver, service or database ever sees one (PostgreSQL refuses a NUL byte in text with an
//! error that would otherwise surface as `INTERNAL`).

use std::sync::Arc;

use async_graphql::{
    ErrorExtensionValues, Pos, ServerError, ServerResult, Value, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery},
    parser::types::{Directive, ExecutableDocument, Selection, SelectionSet},
};

use crate::{error::ErrorCode, text};

#[derive(Clone, Copy, Default)]
pub struct InputStrings;

impl ExtensionFactory for InputStrings {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(InputStrings)
    }
}

fn refusal(message: String, pos: Option<Pos>) -> ServerError {
    let mut error = ServerError::new(message, pos);
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", ErrorCode::BadUserInput.as_str());
    error.extensions = Some(extensions);
    error
}

/// Checks an argument literal, already made constant (`literal` below).
fn check_literal(constant: Value, pos: Pos) -> ServerResult<()> {
    match first_problem(&constant) {
        Some(problem) => Err(refusal(problem, Some(pos))),
        None => Ok(()),
    }
}

/// A literal with its variables as null: they are checked with the variables.
macro_rules! literal {
    ($value:expr) => {{
        let Ok(constant) = $value
            .node
            .clone()
            .into_const_with(|_| Ok::<Value, std::convert::Infallible>(Value::Null));
        check_literal(constant, $value.pos)
    }};
}

/// The first bad string in `value` (lists and objects walked without recursion).
fn first_problem<'a>(value: &'a Value) -> Option<String> {
    let mut stack: Vec<&'a Value> = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::String(s) => {
                if let Some(problem) = text::problem(s) {
                    return Some(problem);
                }
            }
            Value::List(items) => stack.extend(items),
            Value::Object(fields) => stack.extend(fields.values()),
            _ => {}
        }
    }
    None
}

/// Checks the variables, then every argument literal (fields, directives, variable defaults).
pub fn check(document: &ExecutableDocument, variables: &Variables) -> ServerResult<()> {
    for (name, value) in variables.iter() {
        if let Some(problem) = first_problem(value) {
            return Err(refusal(
                msg!("graphql.variable", name = name, problem = problem),
                None,
            ));
        }
    }
    let mut sets: Vec<&SelectionSet> = Vec::new();
    let mut directives: Vec<&[async_graphql::Positioned<Directive>]> = Vec::new();
    for (_, operation) in document.operations.iter() {
        for definition in &operation.node.variable_definitions {
            if let Some(default) = &definition.node.default_value
                && let Some(problem) = first_problem(&default.node)
            {
                return Err(refusal(problem, Some(default.pos)));
            }
        }
        directives.push(&operation.node.directives);
        sets.push(&operation.node.selection_set.node);
    }
    for fragment in document.fragments.values() {
        directives.push(&fragment.node.directives);
        sets.push(&fragment.node.selection_set.node);
    }
    while let Some(set) = sets.pop() {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    for (_, value) in &field.node.arguments {
                        literal!(value)?;
                    }
                    directives.push(&field.node.directives);
                    sets.push(&field.node.selection_set.node);
                }
                Selection::FragmentSpread(spread) => directives.push(&spread.node.directives),
                Selection::InlineFragment(inline) => {
                    directives.push(&inline.node.directives);
                    sets.push(&inline.node.selection_set.node);
                }
            }
        }
    }
    for list in directives {
        for directive in list {
            for (_, value) in &directive.node.arguments {
                literal!(value)?;
            }
        }
    }
    Ok(())
}

#[async_graphql::async_trait::async_trait]
impl Extension for InputStrings {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        check(&document, variables)?;
        Ok(document)
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;
    use serde_json::json;

    use super::*;

    fn checked(query: &str, variables: serde_json::Value) -> Result<(), String> {
        let document = parse_query(query).map_err(|e| e.to_string())?;
        check(&document, &Variables::from_json(variables)).map_err(|e| e.message)
    }

    #[test]
    fn strings_anywhere_in_a_request_are_checked() {
        assert!(checked("{ a(t: \"红薯\") }", json!({ "x": ["ok", { "y": "ok" }] })).is_ok());
        assert!(checked("{ a(t: \"a\\u0000b\") }", json!({})).is_err());
        assert!(checked("{ a { b(t: [\"a\\u0007\"]) } }", json!({})).is_err());
        assert!(
            checked(
                "{ a @include(if: true) { ...F } } fragment F on Q { b(t: {x: \"\\u001b\"}) }",
                json!({})
            )
            .is_err()
        );
        assert!(checked("query($v: String = \"\\u0000\") { a(t: $v) }", json!({})).is_err());
        let nested = json!({ "input": { "lines": [{ "note": "a\u{0}" }] } });
        assert!(checked("{ a }", nested).is_err_and(|m| m.contains("$input")));
        assert!(checked("{ a }", json!({ "t": "x".repeat(text::MAX_CHARS + 1) })).is_err());
    }
}
