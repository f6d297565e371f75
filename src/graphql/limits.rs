//! Limits on a request's shape, checked once the query is parsed and before anything runs:
//! aliases (they multiply work without deepening the query), root mutations per request, an
//! estimated cost, and required variables.
//!
//! The cost estimate is ours because async-graphql's own complexity check does not weigh fields
//! inside a fragment on an interface, so `node(id) { ... on Organization { members(first: 100) } }`
//! would slip through it. Here every connection field costs its page size times its children,
//! wherever it appears.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

use async_graphql::{
    Name, Positioned, Request, ServerError, ServerResult, Value, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest,
    },
    parser::{
        parse_schema,
        types::{
            BaseType, ExecutableDocument, Field, FragmentDefinition, OperationDefinition,
            OperationType, Selection, SelectionSet, TypeKind, TypeSystemDefinition,
        },
    },
};

use crate::{
    config::QueryLimits,
    error::ErrorCode,
    pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE},
};

type Fragments = HashMap<Name, Positioned<FragmentDefinition>>;

/// Fragment spreads nested deeper than this are not followed (cycles are a validation error).
const MAX_FRAGMENT_NESTING: usize = 16;

#[derive(Clone)]
pub struct ShapeLimits {
    limits: QueryLimits,
    /// Names of fields that return a connection, read from the schema's SDL.
    connection_fields: Arc<HashSet<String>>,
}

impl ShapeLimits {
    pub fn new(limits: &QueryLimits, sdl: &str) -> Self {
        Self {
            limits: limits.clone(),
            connection_fields: Arc::new(connection_fields(sdl)),
        }
    }
}

/// Every field name whose type is a `…Connection`.
pub fn connection_fields(sdl: &str) -> HashSet<String> {
    let Ok(document) = parse_schema(sdl) else {
        return HashSet::new();
    };
    let mut names = HashSet::new();
    for definition in document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let fields = match ty.node.kind {
            TypeKind::Object(object) => object.fields,
            TypeKind::Interface(interface) => interface.fields,
            _ => continue,
        };
        for field in fields {
            let mut base = &field.node.ty.node.base;
            while let BaseType::List(inner) = base {
                base = &inner.base;
            }
            if let BaseType::Named(name) = base
                && name.ends_with("Connection")
            {
                names.insert(field.node.name.node.to_string());
            }
        }
    }
    names
}

impl ExtensionFactory for ShapeLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestShape {
            limits: self.clone(),
            operation_name: Mutex::new(None),
        })
    }
}

/// The per-request instance: remembers which operation the request runs.
struct RequestShape {
    limits: ShapeLimits,
    operation_name: Mutex<Option<String>>,
}

fn refusal(code: ErrorCode, message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code.as_str());
    error.extensions = Some(extensions);
    error
}

#[async_graphql::async_trait::async_trait]
impl Extension for RequestShape {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if let Ok(mut name) = self.operation_name.lock() {
            name.clone_from(&request.operation_name);
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let limits = &self.limits.limits;
        let too_complex = |message| refusal(ErrorCode::QueryTooComplex, message);

        let aliases = count_aliases(&document);
        if aliases > limits.max_aliases {
            return Err(too_complex(format!(
                "the query uses {aliases} aliases; at most {} are allowed",
                limits.max_aliases
            )));
        }
        let wanted = self.operation_name.lock().ok().and_then(|n| n.clone());
        for (name, operation) in document.operations.iter() {
            if wanted.is_some() && wanted.as_deref() != name.map(|n| n.as_str()) {
                continue;
            }
            let operation = &operation.node;
            check_variables(operation, variables)?;
            if operation.ty == OperationType::Mutation {
                let fields =
                    count_root_fields(&operation.selection_set.node, &document.fragments, 0);
                if fields > limits.max_root_mutations {
                    return Err(too_complex(format!(
                        "the request runs {fields} mutations; at most {} are allowed",
                        limits.max_root_mutations
                    )));
                }
            }
            let estimate = Estimate {
                connections: &self.limits.connection_fields,
                fragments: &document.fragments,
                variables,
            };
            let cost = estimate.cost(&operation.selection_set.node, 0);
            if cost > limits.max_complexity {
                return Err(too_complex(format!(
                    "the query would cost {cost}; at most {} is allowed (ask for smaller pages)",
                    limits.max_complexity
                )));
            }
        }
        Ok(document)
    }
}

/// A required variable must be given: the spec makes a missing one a request error, which
/// async-graphql would only notice halfway through execution.
fn check_variables(operation: &OperationDefinition, variables: &Variables) -> ServerResult<()> {
    for definition in &operation.variable_definitions {
        let definition = &definition.node;
        let name = &definition.name.node;
        let given = variables.get(name).is_some_and(|v| *v != Value::Null);
        if !definition.var_type.node.nullable && definition.default_value.is_none() && !given {
            return Err(refusal(
                ErrorCode::BadUserInput,
                format!("variable `${name}` is required but was not given"),
            ));
        }
    }
    Ok(())
}

struct Estimate<'a> {
    connections: &'a HashSet<String>,
    fragments: &'a Fragments,
    variables: &'a Variables,
}

impl Estimate<'_> {
    fn cost(&self, set: &SelectionSet, nesting: usize) -> usize {
        if nesting > MAX_FRAGMENT_NESTING {
            return 0;
        }
        set.items
            .iter()
            .map(|item| match &item.node {
                Selection::Field(field) => self.field_cost(&field.node, nesting),
                Selection::InlineFragment(fragment) => {
                    self.cost(&fragment.node.selection_set.node, nesting + 1)
                }
                Selection::FragmentSpread(spread) => self
                    .fragments
                    .get(&spread.node.fragment_name.node)
                    .map(|f| self.cost(&f.node.selection_set.node, nesting + 1))
                    .unwrap_or(0),
            })
            .fold(0, usize::saturating_add)
    }

    fn field_cost(&self, field: &Field, nesting: usize) -> usize {
        let children = self.cost(&field.selection_set.node, nesting);
        if self.connections.contains(field.name.node.as_str()) {
            let page = self.page_size(field);
            page.max(1).saturating_mul(children.max(1))
        } else {
            children.saturating_add(1)
        }
    }

    fn page_size(&self, field: &Field) -> usize {
        let argument = field
            .get_argument("first")
            .or_else(|| field.get_argument("last"));
        let value = argument.and_then(|a| {
            a.node
                .clone()
                .into_const_with(|name| {
                    Ok::<_, std::convert::Infallible>(
                        self.variables.get(&name).cloned().unwrap_or(Value::Null),
                    )
                })
                .ok()
        });
        match value {
            Some(Value::Number(n)) => n
                .as_u64()
                .map_or(DEFAULT_PAGE_SIZE, |n| n.min(MAX_PAGE_SIZE as u64) as usize),
            _ => DEFAULT_PAGE_SIZE,
        }
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

fn count_root_fields(set: &SelectionSet, fragments: &Fragments, nesting: usize) -> usize {
    if nesting > MAX_FRAGMENT_NESTING {
        return 0;
    }
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(_) => 1,
            Selection::InlineFragment(fragment) => {
                count_root_fields(&fragment.node.selection_set.node, fragments, nesting + 1)
            }
            Selection::FragmentSpread(spread) => fragments
                .get(&spread.node.fragment_name.node)
                .map(|f| count_root_fields(&f.node.selection_set.node, fragments, nesting + 1))
                .unwrap_or(0),
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_fields_are_found_in_the_sdl() {
        let sdl = "type Query { users(first: Int): UserConnection! me: User }
                   type User { name: String }
                   type UserConnection { nodes: [User!]! }";
        let fields = connection_fields(sdl);
        assert!(fields.contains("users"));
        assert!(!fields.contains("me"));
    }

    fn cost(query: &str, variables: Variables) -> usize {
        let document = async_graphql::parser::parse_query(query).expect("query");
        let connections: HashSet<String> = ["users", "members"].map(String::from).into();
        let estimate = Estimate {
            connections: &connections,
            fragments: &document.fragments,
            variables: &variables,
        };
        let (_, op) = document.operations.iter().next().expect("operation");
        estimate.cost(&op.node.selection_set.node, 0)
    }

    #[test]
    fn pages_multiply_through_fragments_and_variables() {
        assert_eq!(
            cost(
                "{ users(first: 10) { nodes { name } } }",
                Variables::default()
            ),
            20
        );
        assert_eq!(
            cost("{ users { nodes { name } } }", Variables::default()),
            40
        );
        let nested = "query($n: Int) { node { ...F } } fragment F on Org { members(first: $n) { nodes { name } } }";
        let variables = Variables::from_json(serde_json::json!({ "n": 100 }));
        assert_eq!(cost(nested, variables), 201);
    }
}
