//! Limits on a query's shape that async-graphql does not check itself: aliases (which multiply
//! work without deepening the query) and root mutations per request.

use std::sync::Arc;

use async_graphql::{
    Name, Positioned, ServerError, ServerResult, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextParseQuery},
    parser::types::{
        ExecutableDocument, FragmentDefinition, OperationType, Selection, SelectionSet,
    },
};
use std::collections::HashMap;

use crate::{config::QueryLimits, error::ErrorCode};

pub struct ShapeLimits {
    max_aliases: usize,
    max_root_mutations: usize,
}

impl ShapeLimits {
    pub fn new(limits: &QueryLimits) -> Self {
        Self {
            max_aliases: limits.max_aliases,
            max_root_mutations: limits.max_root_mutations,
        }
    }
}

impl ExtensionFactory for ShapeLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ShapeLimits {
            max_aliases: self.max_aliases,
            max_root_mutations: self.max_root_mutations,
        })
    }
}

/// A limit error, coded so clients can tell it from a mistake in the query.
pub fn too_complex(message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", ErrorCode::QueryTooComplex.as_str());
    error.extensions = Some(extensions);
    error
}

#[async_graphql::async_trait::async_trait]
impl Extension for ShapeLimits {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let aliases = count_aliases(&document);
        if aliases > self.max_aliases {
            return Err(too_complex(format!(
                "the query uses {aliases} aliases; at most {} are allowed",
                self.max_aliases
            )));
        }
        for (_, operation) in document.operations.iter() {
            if operation.node.ty == OperationType::Mutation {
                let fields =
                    count_root_fields(&operation.node.selection_set.node, &document.fragments, 0);
                if fields > self.max_root_mutations {
                    return Err(too_complex(format!(
                        "the request runs {fields} mutations; at most {} are allowed",
                        self.max_root_mutations
                    )));
                }
            }
        }
        Ok(document)
    }
}

fn count_aliases(document: &ExecutableDocument) -> usize {
    let in_operations: usize = document
        .operations
        .iter()
        .map(|(_, op)| aliases_in(&op.node.selection_set.node))
        .sum();
    let in_fragments: usize = document
        .fragments
        .values()
        .map(|f| aliases_in(&f.node.selection_set.node))
        .sum();
    in_operations + in_fragments
}

fn aliases_in(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                usize::from(field.node.alias.is_some()) + aliases_in(&field.node.selection_set.node)
            }
            Selection::InlineFragment(fragment) => aliases_in(&fragment.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

fn count_root_fields(
    set: &SelectionSet,
    fragments: &HashMap<Name, Positioned<FragmentDefinition>>,
    depth: usize,
) -> usize {
    if depth > 8 {
        return 0; // fragment cycles are a validation error; do not recurse forever meanwhile
    }
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(_) => 1,
            Selection::InlineFragment(fragment) => {
                count_root_fields(&fragment.node.selection_set.node, fragments, depth + 1)
            }
            Selection::FragmentSpread(spread) => fragments
                .get(&spread.node.fragment_name.node)
                .map(|f| count_root_fields(&f.node.selection_set.node, fragments, depth + 1))
                .unwrap_or(0),
        })
        .sum()
}
