//! Limits on a request's shape, checked once the document is parsed and before async-graphql
//! validates it: bracket nesting, fragment cycles and nesting, the size of the document once its
//! fragments are inlined, arguments, directives and variables, aliases, root mutations, depth, an
//! estimated cost, and required variables.
//!
//! Every check visits each fragment once: its summary (what it amounts to once inlined) is
//! computed after those of the fragments it spreads, so a fragment spread four times by each of
//! ten others costs ten summaries, not 4¹⁰ walks. async-graphql's own validation inlines every
//! spread (exponential in such a fan-out), so the checks run in `prepare_request`, before it
//! sees the document, and cap the inlined size it will walk.
//!
//! The cost is ours because async-graphql's complexity does not weigh fields inside a fragment
//! on an interface. It is type-aware: each field is looked up on its parent type in the SDL, so
//! a connection (`…Connection`) costs its page size times its selection wherever it appears, and
//! a plain list that happens to share a connection's name (`PlaceOrderPayload.orders`) does not.
//! Introspection (`__schema`, `__type`) has a budget of its own: it is bounded by the schema,
//! and the standard introspection query of GraphQL tooling is deeper than any application query.

use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    Name, Positioned, Request, ServerError, ServerResult, Value, Variables,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest},
    parser::{
        parse_query, parse_schema,
        types::{
            BaseType, Directive, ExecutableDocument, Field, FieldDefinition, OperationDefinition,
            OperationType, SchemaDefinition, Selection, SelectionSet, TypeKind,
            TypeSystemDefinition,
        },
    },
};

use crate::{
    config::QueryLimits,
    error::ErrorCode,
    pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE},
};

/// Brackets (`{`, `[`, `(`) nested deeper than this are refused before parsing: the parser and
/// every later walk over values recurse once per level.
pub const MAX_NESTING: usize = 64;
/// The document's text (its variables are not counted): large inputs belong in variables,
/// which are JSON. The parser takes up to 100 ns a byte of strings and comments.
pub const MAX_DOCUMENT_BYTES: usize = 128 * 1024;
/// Tokens (and comments) in a document: the parser takes about 2 µs each.
pub const MAX_TOKENS: usize = 15_000;
/// Fragments spreading fragments deeper than this are refused.
pub const MAX_FRAGMENT_NESTING: usize = 64;
/// Selections (fields, spreads, inline fragments) of the whole document once every fragment is
/// inlined: async-graphql's validation walks that many, so this bounds its time.
pub const MAX_INLINED_SELECTIONS: usize = 20_000;
/// Argument values (each list item, object field and scalar) once every fragment is inlined;
/// validation walks them per inlined field. A flat document of the largest body has fewer.
pub const MAX_INLINED_VALUES: usize = 1 << 20;
pub const MAX_ARGUMENTS: usize = 32;
pub const MAX_DIRECTIVES: usize = 10;
pub const MAX_VARIABLES: usize = 100;
/// `nodes(ids:)` answers at most this many IDs.
const MAX_IDS: usize = 100;

/// Nodes of an argument's value, its variables taken as null (a macro: the parser's value
/// type is not nameable from here).
macro_rules! nodes_of {
    ($value:expr) => {{
        let Ok(constant) = $value
            .clone()
            .into_const_with(|_| Ok::<Value, std::convert::Infallible>(Value::Null));
        value_nodes(&constant)
    }};
}

#[derive(Clone)]
pub struct ShapeLimits {
    limits: QueryLimits,
    schema: Arc<SchemaShape>,
}

impl ShapeLimits {
    pub fn new(limits: &QueryLimits, sdl: &str) -> Self {
        Self {
            limits: limits.clone(),
            schema: Arc::new(SchemaShape::from_sdl(sdl)),
        }
    }
}

impl ExtensionFactory for ShapeLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(self.clone())
    }
}

fn refusal(code: ErrorCode, message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code.as_str());
    error.extensions = Some(extensions);
    error
}

fn too_complex(message: String) -> ServerError {
    refusal(ErrorCode::QueryTooComplex, message)
}

#[async_graphql::async_trait::async_trait]
impl Extension for ShapeLimits {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        check_text(&request.query)?;
        // Parsed here, checked, and handed on: async-graphql does not parse it again.
        let document = parse_query(&request.query)?;
        check(
            &self.schema,
            &self.limits,
            &document,
            &request.variables,
            request.operation_name.as_deref(),
        )?;
        request.set_parsed_query(document);
        next.run(ctx, request).await
    }
}

/// What a document's text holds, counted without parsing it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lexical {
    /// Punctuators, names, numbers, strings and comments.
    pub tokens: usize,
    /// How deep `{`, `[` and `(` nest.
    pub nesting: usize,
}

/// Counts a document's tokens and bracket nesting in one pass, without allocating, stopping as
/// soon as either passes its cap: the parser takes about 2 µs a token and recurses once per
/// bracket, so what it would choke on is refused before it starts.
pub fn scan(query: &str) -> Lexical {
    let bytes = query.as_bytes();
    let mut lexical = Lexical::default();
    let (mut i, mut depth) = (0, 0usize);
    let name = |b: u8| b == b'_' || b.is_ascii_alphanumeric();
    while i < bytes.len() {
        if lexical.tokens > MAX_TOKENS || lexical.nesting > MAX_NESTING {
            break;
        }
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b',' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            0xEF if bytes[i..].starts_with(&[0xEF, 0xBB, 0xBF]) => {
                i += 3;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() {
                    if bytes[i..].starts_with(b"\\\"\"\"") {
                        i += 4;
                    } else if bytes[i..].starts_with(b"\"\"\"") {
                        i += 3;
                        break;
                    } else {
                        i += 1;
                    }
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() {
                    match bytes[i] {
                        b'\\' => i += 2,
                        b'"' => {
                            i += 1;
                            break;
                        }
                        b'\n' | b'\r' => break,
                        _ => i += 1,
                    }
                }
            }
            b'.' if bytes[i..].starts_with(b"...") => i += 3,
            b'-' | b'0'..=b'9' | b'_' | b'a'..=b'z' | b'A'..=b'Z' => {
                i += 1;
                let number = b == b'-' || b.is_ascii_digit();
                while i < bytes.len() && (name(bytes[i]) || number && bytes[i] == b'.') {
                    i += 1;
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                lexical.nesting = lexical.nesting.max(depth);
                i += 1;
            }
            b'}' | b']' | b')' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => i += 1,
        }
        lexical.tokens += 1;
    }
    lexical
}

/// Refuses a document whose text is too long, has too many tokens or nests too deep (see
/// `scan`), before it is parsed.
pub fn check_text(query: &str) -> ServerResult<()> {
    if query.len() > MAX_DOCUMENT_BYTES {
        return Err(too_complex(msg!(
            "graphql.document_has_bytes_most_allowed_put",
            query = query.len(),
            max_document_bytes = MAX_DOCUMENT_BYTES
        )));
    }
    let lexical = scan(query);
    if lexical.nesting > MAX_NESTING {
        return Err(too_complex(msg!(
            "graphql.document_nests_brackets_more_than_deep",
            max_nesting = MAX_NESTING
        )));
    }
    if lexical.tokens > MAX_TOKENS {
        return Err(too_complex(msg!(
            "graphql.document_has_more_than_tokens_put",
            max_tokens = MAX_TOKENS
        )));
    }
    Ok(())
}

/// All the checks on a parsed document; `operation` is the one the request names, if any.
pub fn check(
    schema: &SchemaShape,
    limits: &QueryLimits,
    document: &ExecutableDocument,
    variables: &Variables,
    operation: Option<&str>,
) -> ServerResult<()> {
    let analysis = analyse(schema, document, variables)?;
    if analysis.inlined_selections > MAX_INLINED_SELECTIONS {
        return Err(too_complex(msg!(
            "graphql.document_has_selections_once_fragments_inlined",
            inlined_selections = analysis.inlined_selections,
            max_inlined_selections = MAX_INLINED_SELECTIONS
        )));
    }
    if analysis.inlined_values > MAX_INLINED_VALUES {
        return Err(too_complex(msg!(
            "graphql.document_has_argument_values_once_fragments",
            inlined_values = analysis.inlined_values,
            max_inlined_values = MAX_INLINED_VALUES
        )));
    }
    for ((name, definition), summary) in document.operations.iter().zip(&analysis.operations) {
        if operation.is_some() && operation != name.map(async_graphql::Name::as_str) {
            continue;
        }
        let definition = &definition.node;
        check_variables(definition, variables)?;
        check_operation(limits, definition.ty, summary)?;
    }
    Ok(())
}

fn check_operation(limits: &QueryLimits, ty: OperationType, summary: &Summary) -> ServerResult<()> {
    if summary.depth > limits.max_depth {
        return Err(too_complex(msg!(
            "graphql.query_nested_deep_most_allowed",
            depth = summary.depth,
            max_depth = limits.max_depth
        )));
    }
    if summary.introspection_depth > limits.max_introspection_depth {
        return Err(too_complex(msg!(
            "graphql.introspection_query_nested_deep_most_allowed",
            introspection_depth = summary.introspection_depth,
            max_introspection_depth = limits.max_introspection_depth
        )));
    }
    if summary.aliases > limits.max_aliases {
        return Err(too_complex(msg!(
            "graphql.query_uses_aliases_most_allowed",
            aliases = summary.aliases,
            max_aliases = limits.max_aliases
        )));
    }
    if ty == OperationType::Mutation && summary.root_fields > limits.max_root_mutations {
        return Err(too_complex(msg!(
            "graphql.request_runs_mutations_most_allowed",
            root_fields = summary.root_fields,
            max_root_mutations = limits.max_root_mutations
        )));
    }
    if summary.cost > limits.max_complexity {
        return Err(too_complex(msg!(
            "graphql.query_would_cost_most_allowed_ask",
            cost = summary.cost,
            max_complexity = limits.max_complexity
        )));
    }
    if summary.introspection_cost > limits.max_introspection_complexity {
        return Err(too_complex(msg!(
            "graphql.introspection_would_cost_most_allowed",
            introspection_cost = summary.introspection_cost,
            max_introspection_complexity = limits.max_introspection_complexity
        )));
    }
    Ok(())
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
                msg!("graphql.variable_required_but_was_not_given", name = name),
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The schema, as far as the estimate needs it.

/// How a field multiplies the cost of its selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pricing {
    /// Once: the field plus its selection.
    Once,
    /// A connection: its page (`first`/`last`) times its selection.
    Page,
    /// A field taking `ids: [ID!]!` (`nodes`): one selection per ID.
    PerId,
    /// An introspection list: about this many items (the schema's average).
    Times(usize),
}

#[derive(Clone, Debug)]
struct FieldShape {
    /// The named type it returns, lists and non-null stripped.
    ty: String,
    pricing: Pricing,
}

/// Each object's and interface's fields (introspection's included), and the root types.
#[derive(Debug)]
pub struct SchemaShape {
    query: String,
    mutation: String,
    subscription: String,
    types: HashMap<String, HashMap<String, FieldShape>>,
}

fn named(ty: &BaseType) -> (&str, bool) {
    match ty {
        BaseType::Named(name) => (name.as_str(), false),
        BaseType::List(inner) => (named(&inner.base).0, true),
    }
}

fn average(total: usize, count: usize) -> usize {
    total.div_ceil(count.max(1)).max(1)
}

/// Sizes of the schema, for what introspection's lists cost.
#[derive(Default)]
struct SchemaSizes {
    types: usize,
    with_fields: usize,
    fields: usize,
    args: usize,
    inputs: usize,
    input_fields: usize,
    enums: usize,
    enum_values: usize,
    objects: usize,
    implements: usize,
    abstracts: usize,
    members: usize,
    directives: usize,
    directive_args: usize,
}

impl SchemaSizes {
    /// Counts one type; answers its fields when it has any (objects and interfaces).
    fn count<'a>(&mut self, kind: &'a TypeKind) -> Option<&'a [Positioned<FieldDefinition>]> {
        self.types += 1;
        let fields = match kind {
            TypeKind::Object(object) => {
                self.objects += 1;
                self.implements += object.implements.len();
                self.members += object.implements.len();
                &object.fields
            }
            TypeKind::Interface(interface) => {
                self.abstracts += 1;
                &interface.fields
            }
            TypeKind::Union(union) => {
                self.abstracts += 1;
                self.members += union.members.len();
                return None;
            }
            TypeKind::Enum(enumeration) => {
                self.enums += 1;
                self.enum_values += enumeration.values.len();
                return None;
            }
            TypeKind::InputObject(input) => {
                self.inputs += 1;
                self.input_fields += input.fields.len();
                return None;
            }
            TypeKind::Scalar => return None,
        };
        self.with_fields += 1;
        self.fields += fields.len();
        self.args += fields.iter().map(|f| f.node.arguments.len()).sum::<usize>();
        Some(fields)
    }
}

/// A field's result type and how its cost multiplies: per ID asked for, per page, or once.
fn field_shape(field: &FieldDefinition) -> (String, FieldShape) {
    let (ty, _) = named(&field.ty.node.base);
    let by_ids = field
        .arguments
        .iter()
        .any(|a| a.node.name.node == "ids" && named(&a.node.ty.node.base).1);
    let pricing = if by_ids {
        Pricing::PerId
    } else if ty.ends_with("Connection") {
        Pricing::Page
    } else {
        Pricing::Once
    };
    (
        field.name.node.to_string(),
        FieldShape {
            ty: ty.to_owned(),
            pricing,
        },
    )
}

impl SchemaShape {
    /// Reads the SDL; an unreadable one gives a shape that knows no field (every field then
    /// costs one plus its selection).
    pub fn from_sdl(sdl: &str) -> Self {
        let mut shape = SchemaShape {
            query: "Query".into(),
            mutation: "Mutation".into(),
            subscription: "Subscription".into(),
            types: HashMap::new(),
        };
        let Ok(document) = parse_schema(sdl) else {
            return shape;
        };
        let mut sizes = SchemaSizes::default();
        for definition in &document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => shape.name_roots(&schema.node),
                TypeSystemDefinition::Directive(directive) => {
                    sizes.directives += 1;
                    sizes.directive_args += directive.node.arguments.len();
                }
                TypeSystemDefinition::Type(ty) => {
                    if let Some(fields) = sizes.count(&ty.node.kind) {
                        let shapes = fields.iter().map(|f| field_shape(&f.node)).collect();
                        shape.types.insert(ty.node.name.node.to_string(), shapes);
                    }
                }
            }
        }
        shape.add_introspection(&sizes);
        shape
    }

    fn name_roots(&mut self, schema: &SchemaDefinition) {
        let roots = [
            (&mut self.query, &schema.query),
            (&mut self.mutation, &schema.mutation),
            (&mut self.subscription, &schema.subscription),
        ];
        for (root, name) in roots {
            if let Some(name) = name {
                *root = name.node.to_string();
            }
        }
    }

    /// Introspection's own types, and the built-in scalars and directives the SDL omits.
    fn add_introspection(&mut self, sizes: &SchemaSizes) {
        let each = |total, count| Pricing::Times(average(total, count));
        let s = sizes;
        #[rustfmt::skip]
        let introspection = [
            ("__Schema", "types", "__Type", Pricing::Times(s.types + 13)),
            ("__Schema", "queryType", "__Type", Pricing::Once),
            ("__Schema", "mutationType", "__Type", Pricing::Once),
            ("__Schema", "subscriptionType", "__Type", Pricing::Once),
            ("__Schema", "directives", "__Directive", Pricing::Times(s.directives + 5)),
            ("__Type", "fields", "__Field", each(s.fields, s.with_fields)),
            ("__Type", "interfaces", "__Type", each(s.implements, s.objects)),
            ("__Type", "possibleTypes", "__Type", each(s.members, s.abstracts)),
            ("__Type", "enumValues", "__EnumValue", each(s.enum_values, s.enums)),
            ("__Type", "inputFields", "__InputValue", each(s.input_fields, s.inputs)),
            ("__Type", "ofType", "__Type", Pricing::Once),
            ("__Field", "args", "__InputValue", each(s.args, s.fields)),
            ("__Field", "type", "__Type", Pricing::Once),
            ("__InputValue", "type", "__Type", Pricing::Once),
            ("__Directive", "args", "__InputValue", each(s.directive_args, s.directives)),
        ];
        for (parent, field, ty, pricing) in introspection {
            self.field_map(parent).insert(
                field.into(),
                FieldShape {
                    ty: ty.into(),
                    pricing,
                },
            );
        }
        let query = self.query.clone();
        for (field, ty) in [("__schema", "__Schema"), ("__type", "__Type")] {
            self.field_map(&query).insert(
                field.into(),
                FieldShape {
                    ty: ty.into(),
                    pricing: Pricing::Once,
                },
            );
        }
    }

    fn field_map(&mut self, ty: &str) -> &mut HashMap<String, FieldShape> {
        self.types.entry(ty.to_owned()).or_default()
    }

    fn field(&self, parent: Option<&str>, name: &str) -> Option<&FieldShape> {
        self.types.get(parent?)?.get(name)
    }

    fn root(&self, ty: OperationType) -> &str {
        match ty {
            OperationType::Query => &self.query,
            OperationType::Mutation => &self.mutation,
            OperationType::Subscription => &self.subscription,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Summaries.

/// What a selection set amounts to once its fragment spreads are inlined. Sums saturate: a
/// fan-out of spreads overflows `usize` quickly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Fields, fragment spreads and inline fragments.
    pub selections: usize,
    /// Argument values (list items, object fields, scalars) of fields and directives.
    pub values: usize,
    /// The estimate outside introspection: a connection costs its page times its selection,
    /// any other field one plus its selection.
    pub cost: usize,
    /// The same under `__schema`/`__type`, where lists cost the schema's average length.
    pub introspection_cost: usize,
    /// Fields nested, on paths outside introspection and through it.
    pub depth: usize,
    pub introspection_depth: usize,
    /// Fields at the top (root mutations, for an operation).
    pub root_fields: usize,
    pub aliases: usize,
}

impl Summary {
    /// Siblings in one selection set.
    fn and(self, other: Summary) -> Summary {
        Summary {
            selections: self.selections.saturating_add(other.selections),
            values: self.values.saturating_add(other.values),
            cost: self.cost.saturating_add(other.cost),
            introspection_cost: self
                .introspection_cost
                .saturating_add(other.introspection_cost),
            depth: self.depth.max(other.depth),
            introspection_depth: self.introspection_depth.max(other.introspection_depth),
            root_fields: self.root_fields.saturating_add(other.root_fields),
            aliases: self.aliases.saturating_add(other.aliases),
        }
    }

    /// A spread or inline fragment around this selection, whose directives hold `values`.
    fn wrapped(self, values: usize) -> Summary {
        Summary {
            selections: self.selections.saturating_add(1),
            values: self.values.saturating_add(values),
            ..self
        }
    }
}

/// The summaries of a document: each fragment's, each operation's (in the document's order),
/// and the whole document's inlined size, which async-graphql's validation walks (operations
/// and fragment definitions alike).
#[derive(Debug)]
pub struct Analysis {
    pub fragments: HashMap<Name, Summary>,
    pub operations: Vec<Summary>,
    pub inlined_selections: usize,
    pub inlined_values: usize,
}

/// Summarises every fragment once, those it spreads first, then every operation. Refuses a
/// fragment cycle, fragments nested past `MAX_FRAGMENT_NESTING`, and fields, directives or
/// variables past their caps.
pub fn analyse(
    schema: &SchemaShape,
    document: &ExecutableDocument,
    variables: &Variables,
) -> ServerResult<Analysis> {
    let mut walk = Walk {
        schema,
        variables,
        defaults: defaults(document),
        fragments: HashMap::with_capacity(document.fragments.len()),
    };
    for name in fragment_order(document)? {
        let fragment = &document.fragments[name].node;
        let values = directive_values(&fragment.directives)?;
        let ty = fragment.type_condition.node.on.node.as_str();
        let summary = walk.set(&fragment.selection_set.node, Some(ty))?;
        let summary = Summary {
            values: summary.values.saturating_add(values),
            ..summary
        };
        walk.fragments.insert(name.clone(), summary);
    }
    let mut operations = Vec::new();
    for (_, operation) in document.operations.iter() {
        let operation = &operation.node;
        if operation.variable_definitions.len() > MAX_VARIABLES {
            return Err(too_complex(msg!(
                "graphql.operation_declares_variables_most_allowed",
                variable_definitions = operation.variable_definitions.len(),
                max_variables = MAX_VARIABLES
            )));
        }
        let mut values = directive_values(&operation.directives)?;
        for definition in &operation.variable_definitions {
            values = values.saturating_add(directive_values(&definition.node.directives)?);
        }
        let root = schema.root(operation.ty);
        let summary = walk.set(&operation.selection_set.node, Some(root))?;
        operations.push(Summary {
            values: summary.values.saturating_add(values),
            ..summary
        });
    }
    let everything = operations
        .iter()
        .chain(walk.fragments.values())
        .fold(Summary::default(), |all, s| all.and(*s));
    Ok(Analysis {
        fragments: walk.fragments,
        operations,
        inlined_selections: everything.selections,
        inlined_values: everything.values,
    })
}

/// Default values of variables by name, over all operations (fragments are summarised once for
/// all of them; the largest default is the one that counts).
fn defaults(document: &ExecutableDocument) -> HashMap<&str, Vec<&Value>> {
    let mut defaults: HashMap<&str, Vec<&Value>> = HashMap::new();
    for (_, operation) in document.operations.iter() {
        for definition in &operation.node.variable_definitions {
            if let Some(value) = &definition.node.default_value {
                defaults
                    .entry(definition.node.name.node.as_str())
                    .or_default()
                    .push(&value.node);
            }
        }
    }
    defaults
}

/// Fragments in an order where each comes after those it spreads; a cycle, or a chain of
/// spreads longer than `MAX_FRAGMENT_NESTING`, is refused. Iterative: a long chain cannot
/// exhaust the stack.
fn fragment_order(document: &ExecutableDocument) -> ServerResult<Vec<&Name>> {
    enum Mark {
        Open,
        Done(usize),
    }
    let spreads: HashMap<&Name, Vec<&Name>> = document
        .fragments
        .iter()
        .map(|(name, fragment)| (name, spreads_in(&fragment.node.selection_set.node)))
        .collect();
    let mut marks: HashMap<&Name, Mark> = HashMap::with_capacity(spreads.len());
    let mut order = Vec::with_capacity(spreads.len());
    let mut names: Vec<&Name> = spreads.keys().copied().collect();
    names.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    for start in names {
        if marks.contains_key(start) {
            continue;
        }
        marks.insert(start, Mark::Open);
        let mut stack = vec![(start, 0usize)];
        while let Some((name, next)) = stack.last_mut() {
            let children = &spreads[*name];
            if let Some(child) = children.get(*next) {
                *next += 1;
                if !spreads.contains_key(child) {
                    continue; // unknown: validation reports it
                }
                match marks.get(child) {
                    Some(Mark::Open) => {
                        return Err(refusal(
                            ErrorCode::BadUserInput,
                            msg!("graphql.fragment_spreads_itself", child = child),
                        ));
                    }
                    Some(Mark::Done(_)) => {}
                    None => {
                        marks.insert(child, Mark::Open);
                        stack.push((child, 0));
                    }
                }
                continue;
            }
            let nesting = 1 + children
                .iter()
                .filter_map(|c| match marks.get(c) {
                    Some(Mark::Done(n)) => Some(*n),
                    _ => None,
                })
                .max()
                .unwrap_or(0);
            if nesting > MAX_FRAGMENT_NESTING {
                return Err(too_complex(msg!(
                    "graphql.fragments_spread_fragments_more_than_deep",
                    max_fragment_nesting = MAX_FRAGMENT_NESTING
                )));
            }
            let name = *name;
            marks.insert(name, Mark::Done(nesting));
            order.push(name);
            stack.pop();
        }
    }
    Ok(order)
}

/// The fragments a selection set spreads, at any depth (each fragment once).
fn spreads_in(set: &SelectionSet) -> Vec<&Name> {
    let mut found = Vec::new();
    let mut sets = vec![set];
    while let Some(set) = sets.pop() {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => sets.push(&field.node.selection_set.node),
                Selection::InlineFragment(inline) => sets.push(&inline.node.selection_set.node),
                Selection::FragmentSpread(spread) => found.push(&spread.node.fragment_name.node),
            }
        }
    }
    found.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    found.dedup();
    found
}

/// Value nodes of a directive list, refused past `MAX_DIRECTIVES`.
fn directive_values(directives: &[Positioned<Directive>]) -> ServerResult<usize> {
    if directives.len() > MAX_DIRECTIVES {
        return Err(too_complex(msg!(
            "graphql.directives_one_place_most_allowed",
            directives = directives.len(),
            max_directives = MAX_DIRECTIVES
        )));
    }
    let mut values = 0usize;
    for directive in directives {
        for (_, value) in &directive.node.arguments {
            values = values.saturating_add(nodes_of!(value.node));
        }
    }
    Ok(values)
}

/// Scalars, list items and object fields in a value (without recursion).
fn value_nodes(value: &Value) -> usize {
    let mut count = 0usize;
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        count += 1;
        match value {
            Value::List(items) => stack.extend(items),
            Value::Object(fields) => stack.extend(fields.values()),
            _ => {}
        }
    }
    count
}

struct Walk<'a> {
    schema: &'a SchemaShape,
    variables: &'a Variables,
    defaults: HashMap<&'a str, Vec<&'a Value>>,
    /// Summaries of the fragments done so far.
    fragments: HashMap<Name, Summary>,
}

impl Walk<'_> {
    /// Summarises a selection set on `parent` (`None`: a type the schema does not know). Each
    /// spread is looked up, never walked again. Recursion follows the document's own nesting,
    /// which `MAX_NESTING` bounds.
    fn set(&self, set: &SelectionSet, parent: Option<&str>) -> ServerResult<Summary> {
        let mut summary = Summary::default();
        for item in &set.items {
            let item = match &item.node {
                Selection::Field(field) => self.field(&field.node, parent)?,
                Selection::InlineFragment(inline) => {
                    let inline = &inline.node;
                    let ty = match &inline.type_condition {
                        Some(condition) => Some(condition.node.on.node.as_str()),
                        None => parent,
                    };
                    let values = directive_values(&inline.directives)?;
                    self.set(&inline.selection_set.node, ty)?.wrapped(values)
                }
                Selection::FragmentSpread(spread) => {
                    let values = directive_values(&spread.node.directives)?;
                    self.fragments
                        .get(&spread.node.fragment_name.node)
                        .copied()
                        .unwrap_or_default()
                        .wrapped(values)
                }
            };
            summary = summary.and(item);
        }
        Ok(summary)
    }

    fn field(&self, field: &Field, parent: Option<&str>) -> ServerResult<Summary> {
        let name = field.name.node.as_str();
        if field.arguments.len() > MAX_ARGUMENTS {
            return Err(too_complex(msg!(
                "graphql.has_arguments_most_allowed",
                name = name,
                arguments = field.arguments.len(),
                max_arguments = MAX_ARGUMENTS
            )));
        }
        let mut values = directive_values(&field.directives)?;
        for (_, value) in &field.arguments {
            values = values.saturating_add(nodes_of!(value.node));
        }
        let shape = self.schema.field(parent, name);
        let children = self.set(&field.selection_set.node, shape.map(|s| s.ty.as_str()))?;
        let below = children.cost.saturating_add(children.introspection_cost);
        let each = below.max(1);
        let cost = match shape.map_or(Pricing::Once, |s| s.pricing) {
            Pricing::Once => below.saturating_add(1),
            Pricing::Page => self.page_size(field).max(1).saturating_mul(each),
            Pricing::PerId => self.id_count(field).max(1).saturating_mul(each),
            Pricing::Times(n) => n.saturating_mul(each),
        };
        let introspection = parent.is_some_and(|p| p.starts_with("__"))
            || (name.starts_with("__") && name != "__typename");
        let depth = 1 + children.depth.max(children.introspection_depth);
        let mut summary = Summary {
            selections: children.selections.saturating_add(1),
            values: children.values.saturating_add(values),
            root_fields: 1,
            aliases: children
                .aliases
                .saturating_add(usize::from(field.alias.is_some())),
            ..Summary::default()
        };
        if introspection {
            summary.introspection_cost = cost;
            summary.introspection_depth = depth;
        } else {
            summary.cost = cost;
            summary.depth = depth;
        }
        Ok(summary)
    }

    /// The values an argument may take: its literal, the request's variable, or (not given)
    /// every default the document declares for it.
    fn argument(&self, field: &Field, name: &str) -> Vec<Value> {
        let Some(argument) = field.get_argument(name) else {
            return Vec::new();
        };
        let mut missing = Vec::new();
        let value = argument
            .node
            .clone()
            .into_const_with(|variable| {
                let given = self.variables.get(&variable).cloned();
                if given.is_none() {
                    missing.push(variable);
                }
                Ok::<_, std::convert::Infallible>(given.unwrap_or(Value::Null))
            })
            .unwrap_or(Value::Null);
        if missing.is_empty() || value != Value::Null {
            return vec![value];
        }
        // A bare `$variable` not given: its defaults.
        missing
            .iter()
            .flat_map(|v| self.defaults.get(v.as_str()).into_iter().flatten())
            .map(|v| (*v).clone())
            .collect()
    }

    fn page_size(&self, field: &Field) -> usize {
        let number = |name| {
            self.argument(field, name)
                .iter()
                .filter_map(|v| match v {
                    Value::Number(n) => n.as_u64(),
                    _ => None,
                })
                .max()
        };
        number("first")
            .or_else(|| number("last"))
            .map_or(DEFAULT_PAGE_SIZE, |n| {
                usize::try_from(n).map_or(MAX_PAGE_SIZE, |n| n.min(MAX_PAGE_SIZE))
            })
    }

    fn id_count(&self, field: &Field) -> usize {
        let values = self.argument(field, "ids");
        if values.is_empty() {
            return MAX_IDS;
        }
        values
            .iter()
            .map(|v| match v {
                Value::List(items) => items.len(),
                _ => 1,
            })
            .max()
            .unwrap_or(MAX_IDS)
            .min(MAX_IDS)
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    const SDL: &str = "
        schema { query: Query mutation: Mutation }
        type Query { users(first: Int, last: Int): UserConnection! me: User
                     node(id: ID!): Node nodes(ids: [ID!]!): [Node]! }
        type Mutation { placeOrder: PlaceOrderPayload! }
        interface Node { id: ID! }
        type User implements Node { id: ID! name: String orders(first: Int): OrderConnection! }
        type UserConnection { nodes: [User!]! }
        type Org implements Node { id: ID! members(first: Int): UserConnection! }
        type Order implements Node { id: ID! lines(first: Int): LineConnection! }
        type OrderConnection { nodes: [Order!]! }
        type LineConnection { nodes: [Line!]! }
        type Line { id: ID! }
        type PlaceOrderPayload { orders: [Order!]! }";

    fn analysed(query: &str, variables: serde_json::Value) -> ServerResult<Analysis> {
        let schema = SchemaShape::from_sdl(SDL);
        let document = parse_query(query).expect("query");
        analyse(&schema, &document, &Variables::from_json(variables))
    }

    fn cost(query: &str, variables: serde_json::Value) -> usize {
        analysed(query, variables).expect("analysis").operations[0].cost
    }

    #[test]
    fn connections_are_priced_by_type_not_by_name() {
        let json = serde_json::json!({});
        assert_eq!(
            cost("{ users(first: 10) { nodes { name } } }", json.clone()),
            20
        );
        assert_eq!(cost("{ users { nodes { name } } }", json.clone()), 40);
        // `User.orders` is a connection (20 × …), `PlaceOrderPayload.orders` a list (1 + …).
        assert_eq!(
            cost("{ me { orders { nodes { id } } } }", json.clone()),
            1 + 20 * 2
        );
        assert_eq!(
            cost(
                "mutation { placeOrder { orders { lines(first: 50) { nodes { id } } } } }",
                json.clone()
            ),
            1 + 1 + 50 * 2
        );
        let nested = "query($n: Int) { node(id: 1) { ...F } }
                      fragment F on Org { members(first: $n) { nodes { name } } }";
        assert_eq!(cost(nested, serde_json::json!({ "n": 100 })), 201);
        let defaulted = "query($n: Int = 100) { users(first: $n) { nodes { name } } }";
        assert_eq!(cost(defaulted, json.clone()), 200, "a default counts");
        let ids =
            "{ nodes(ids: [1, 2, 3]) { ... on Org { members(first: 10) { nodes { id } } } } }";
        assert_eq!(cost(ids, json), 3 * 20);
    }

    #[test]
    fn each_fragment_is_summarised_once() {
        // F0 spreads F1 four times, …, F(n-1) is a leaf: 4ⁿ selections once inlined.
        let fan_out = |levels: usize| {
            let mut query = String::from("{ ...F0 }");
            for i in 0..levels {
                let body = if i + 1 == levels {
                    "me { name }".to_owned()
                } else {
                    format!("...F{n} ...F{n} ...F{n} ...F{n}", n = i + 1)
                };
                query.push_str(&format!(" fragment F{i} on Query {{ {body} }}"));
            }
            query
        };
        let analysis = analysed(&fan_out(3), serde_json::json!({})).expect("analysis");
        let leaf = Summary {
            selections: 2,
            cost: 2,
            depth: 2,
            root_fields: 1,
            ..Summary::default()
        };
        assert_eq!(analysis.fragments[&Name::new("F2")], leaf);
        let middle = &analysis.fragments[&Name::new("F1")];
        assert_eq!(
            (
                middle.selections,
                middle.cost,
                middle.depth,
                middle.root_fields
            ),
            (4 * 3, 4 * 2, 2, 4)
        );
        assert_eq!(analysis.operations[0].selections, 1 + 4 * (1 + 4 * 3));
        assert_eq!(analysis.operations[0].cost, 32);

        // 40 levels: 4⁴⁰ overflows, saturates, and takes no time.
        let started = Instant::now();
        let analysis = analysed(&fan_out(40), serde_json::json!({})).expect("analysis");
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(analysis.operations[0].selections, usize::MAX);
        assert_eq!(analysis.inlined_selections, usize::MAX);
    }

    #[test]
    fn cycles_and_deep_chains_are_refused() {
        let json = serde_json::json!({});
        let cycle = "{ ...A } fragment A on Query { ...B } fragment B on Query { me { ...A } }";
        let refused =
            crate::i18n::sync_scope(crate::i18n::Locale::En, || analysed(cycle, json.clone()));
        assert!(refused.is_err_and(|e| e.message.contains("itself")));
        let chain = |n: usize| {
            let mut query = String::from("{ ...F0 }");
            for i in 0..n {
                let body = if i + 1 == n {
                    "me { id }".to_owned()
                } else {
                    format!("...F{}", i + 1)
                };
                query.push_str(&format!(" fragment F{i} on Query {{ {body} }}"));
            }
            query
        };
        assert!(analysed(&chain(MAX_FRAGMENT_NESTING), json.clone()).is_ok());
        assert!(analysed(&chain(MAX_FRAGMENT_NESTING + 1), json).is_err());
    }

    #[test]
    fn introspection_has_its_own_depth_and_cost() {
        let query = "{ __schema { types { fields { type { ofType { name } } } } } me { name } }";
        let analysis = analysed(query, serde_json::json!({})).expect("analysis");
        let op = analysis.operations[0];
        assert_eq!((op.depth, op.introspection_depth), (2, 6));
        assert_eq!(op.cost, 2);
        assert!(op.introspection_cost > 10, "lists multiply: {op:?}");
    }

    #[test]
    fn tokens_and_brackets_are_counted_outside_strings_and_comments() {
        let nesting = |q: &str| scan(q).nesting;
        assert_eq!(nesting("{ a { b(x: [1, [2]]) } }"), 5);
        assert_eq!(nesting("{ a(s: \"{{{[[[\\\"{{\") # {{{{\n }"), 2);
        assert_eq!(nesting("{ a(s: \"\"\"{{{ \\\"\"\" {{\"\"\") }"), 2);
        assert_eq!(nesting(&"[".repeat(1 << 20)), MAX_NESTING + 1);
        let tokens = |q: &str| scan(q).tokens;
        assert_eq!(
            tokens("{ a: b(x: -1.5e3, y: \"s, t\") @d ...F ... on T { __typename } }"),
            23
        );
        assert_eq!(
            tokens("\u{feff}query Q($v: [Int!]! = [1]) { a } # note"),
            20
        );
        assert_eq!(tokens(&"a ".repeat(1 << 20)), MAX_TOKENS + 1);
        let introspection = scan(include_str!(
            "../../tests/api/fixtures/graphql-js-16.graphql"
        ));
        assert!(introspection.tokens < 400, "{introspection:?}");
    }
}
