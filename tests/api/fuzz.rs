//! Generated input: every argument of every query and mutation in `schema.graphql` (and of the
//! fields one level inside their results) gets arbitrary values of its type: huge, negative and
//! overflowing integers, `i64::MIN` as text, control characters, 100,000-character strings, `%_`,
//! malformed IDs, cursors, dates and amounts, nulls, real IDs of other types. Sent over HTTP as
//! nobody, an admin, a buyer and a producer. No answer may be a 5xx or carry `INTERNAL` (or no
//! code at all). Deterministic: the same seed sends the same requests.

use std::collections::HashMap;

use async_graphql::parser::{
    parse_schema,
    types::{
        BaseType, FieldDefinition, InputValueDefinition, Type, TypeKind, TypeSystemDefinition,
    },
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use crate::{harness::Session, world::World};

const SEED: u64 = 2026_1113;
/// Hostile values tried on each leaf of a plausible request.
const HOSTILE_PER_LEAF: usize = 4;
/// Requests per field with several leaves spoilt at random.
const RANDOM_ROUNDS: usize = 6;

/// splitmix64: small, deterministic, good enough to pick values.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// True with probability `percent`%.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}

enum Named {
    Scalar,
    Enum(Vec<String>),
    Input(Vec<InputValueDefinition>),
    Output(Vec<FieldDefinition>),
    Abstract,
}

struct Schema {
    types: HashMap<String, Named>,
}

impl Schema {
    fn load() -> Schema {
        let sdl = include_str!("../../schema.graphql");
        let document = parse_schema(sdl).expect("schema.graphql parses");
        let mut types = HashMap::new();
        for definition in document.definitions {
            let TypeSystemDefinition::Type(ty) = definition else {
                continue;
            };
            let ty = ty.node;
            let named = match ty.kind {
                TypeKind::Scalar => Named::Scalar,
                TypeKind::Enum(e) => Named::Enum(
                    e.values
                        .iter()
                        .map(|v| v.node.value.node.to_string())
                        .collect(),
                ),
                TypeKind::InputObject(input) => {
                    Named::Input(input.fields.into_iter().map(|f| f.node).collect())
                }
                TypeKind::Object(object) => {
                    Named::Output(object.fields.into_iter().map(|f| f.node).collect())
                }
                TypeKind::Interface(_) | TypeKind::Union(_) => Named::Abstract,
            };
            types.insert(ty.name.node.to_string(), named);
        }
        Schema { types }
    }

    fn fields(&self, name: &str) -> &[FieldDefinition] {
        match self.types.get(name) {
            Some(Named::Output(fields)) => fields,
            _ => &[],
        }
    }

    /// A selection that makes the field run: `__typename`, plus `totalCount` and payload errors
    /// where there are (counting runs the filter a second time).
    fn selection(&self, ty: &Type) -> String {
        let name = base_name(ty);
        match self.types.get(name) {
            Some(Named::Output(fields)) => {
                let mut parts = vec!["__typename".to_owned()];
                for field in fields {
                    match field.name.node.as_str() {
                        "totalCount" => parts.push("totalCount".into()),
                        "errors" => parts.push("errors { code field }".into()),
                        _ => {}
                    }
                }
                format!("{{ {} }}", parts.join(" "))
            }
            Some(Named::Abstract) => "{ __typename }".into(),
            _ => String::new(),
        }
    }
}

fn base_name(ty: &Type) -> &str {
    let mut base = &ty.base;
    loop {
        match base {
            BaseType::Named(name) => return name.as_str(),
            BaseType::List(inner) => base = &inner.base,
        }
    }
}

/// IDs the world really has, by type, so generated requests get past "not found".
struct Known {
    ids: HashMap<String, Vec<String>>,
}

impl Known {
    fn new(ids: &[String]) -> Known {
        let mut by_kind: HashMap<String, Vec<String>> = HashMap::new();
        for id in ids {
            let decoded = URL_SAFE_NO_PAD.decode(id).unwrap_or_default();
            let text = String::from_utf8_lossy(&decoded).to_string();
            let kind = text.split(':').next().unwrap_or_default().to_owned();
            by_kind.entry(kind).or_default().push(id.clone());
        }
        Known { ids: by_kind }
    }

    /// A real ID of the type an argument's name suggests (`productId`: a Product), else any.
    fn plausible(&self, rng: &mut Rng, arg: &str) -> String {
        let stem = arg.trim_end_matches("Ids").trim_end_matches("Id");
        let kind = match stem {
            "contractor" | "sharesCanteenOf" | "parent" | "buyer" => "Buyer".to_owned(),
            "organization" => "Organization".to_owned(),
            "line" | "lines" => "OrderLine".to_owned(),
            other => {
                let mut chars = other.chars();
                chars
                    .next()
                    .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            }
        };
        match self.ids.get(&kind) {
            Some(ids) if rng.chance(85) => rng.pick(ids),
            _ => {
                let all: Vec<String> = self.ids.values().flatten().cloned().collect();
                rng.pick(&all)
            }
        }
    }
}

fn encoded(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

fn cursor(values: Value) -> String {
    encoded(&values.to_string())
}

const UUID: &str = "0190f0a0b1c27d3e8f9a0b1c2d3e4f50";

/// Hostile values by scalar, the likeliest to break something first (a leaf made hostile takes
/// them in turn).
fn hostile(scalar: &str, arg: &str) -> Vec<Value> {
    let huge = "x".repeat(100_000);
    match scalar {
        "Int" => vec![
            json!(i64::MIN),
            json!(i64::MAX),
            json!(-1),
            json!(i32::MAX),
            json!(i32::MIN),
            json!(2_147_483_648i64),
            json!(0),
            json!(101),
            json!(u64::MAX),
            json!(1.5),
            json!(1e308),
            json!("-9223372036854775808"),
            Value::Null,
        ],
        "Money" => [
            "-9223372036854775808",
            "9999999999999.99",
            "-9999999999999.99",
            "92233720368547758.07",
            "0",
            "-0.01",
            "NaN",
            "1e3",
            "12.345",
            " 1",
            "",
            "007",
            "+5",
        ]
        .iter()
        .map(|s| json!(s))
        .chain([json!(12.5), Value::Null])
        .collect(),
        "Date" => [
            "26-01-01",
            "2026-1-1",
            "2026-02-30",
            "0000-01-01",
            "9999-12-31",
            "-2026-01-01",
            "+275760-09-13",
            "2026-13-01",
            "",
            "2026-01-01T00:00:00Z",
        ]
        .iter()
        .map(|s| json!(s))
        .collect(),
        "DateTime" => [
            "2026-01-01 00:00:00Z",
            "9999-12-31T23:59:59Z",
            "0000-01-01T00:00:00Z",
            "2026-01-01T00:00:00+14:00",
            "garbage",
            "2026-01-01",
        ]
        .iter()
        .map(|s| json!(s))
        .collect(),
        "Boolean" => vec![json!("true"), json!(1), Value::Null],
        "ID" => vec![
            json!(""),
            json!("not-an-id"),
            json!(encoded(&format!("Product:{UUID}\u{0}"))),
            json!(encoded("Region:13\u{0}")),
            json!(encoded("Region:红薯")),
            json!(encoded("User:42")),
            json!(encoded(&format!("Order:{UUID}"))),
            json!(encoded(&format!("OrderLine:{UUID}"))),
            json!(encoded("Nope:x")),
            json!("-9223372036854775808"),
            json!("%"),
            json!(42),
        ],
        _ if arg == "after" || arg == "before" => vec![
            json!(cursor(
                json!([{ "u": "0190f0a0-b1c2-7d3e-8f9a-0b1c2d3e4f50" }])
            )),
            json!(cursor(json!([{ "s": "x" }]))),
            json!(cursor(json!([{ "s": "\u{0}" }]))),
            json!(cursor(json!([{ "i": i64::MIN }]))),
            json!(cursor(json!([{ "t": "2026-01-01T00:00:00Z" }]))),
            json!(cursor(json!([{ "s": "x" }, { "s": "y" }]))),
            json!(cursor(json!([{ "i": 1 }, { "i": 2 }]))),
            json!(cursor(
                json!([{ "i": 1 }, { "u": "0190f0a0-b1c2-7d3e-8f9a-0b1c2d3e4f50" }])
            )),
            json!(cursor(
                json!([{ "s": "1" }, { "s": "2" }, { "s": "3" }, { "s": "4" }])
            )),
            json!(cursor(
                json!([{ "i": 0 }, { "i": 0 }, { "s": "0" }, { "i": 0 }, { "t": "2026-01-01T00:00:00Z" }])
            )),
            json!(cursor(json!({ "s": "x" }))),
            json!("garbage!"),
            json!(""),
        ],
        _ => {
            let mut strings: Vec<Value> = [
                "a\0b",
                huge.as_str(),
                "%_",
                "\u{1b}[31m",
                "红薯红",
                "13\u{0}",
                "%",
                "_",
                "-9223372036854775808",
                "",
                " ",
                "\\",
                "\u{7f}",
                "\u{85}",
                "\u{202e}",
                "\u{feff}",
                "'; DROP TABLE users; --",
                "1301261",
                "999999",
                "NaN",
                "=HYPERLINK(\"x\")",
            ]
            .iter()
            .map(|s| json!(s))
            .collect();
            strings.push(json!("薯".repeat(4_001)));
            strings.push(json!("%".repeat(3_000)));
            strings.push(json!(7));
            strings
        }
    }
}

/// A leaf of generated variables: where it is, its scalar type and its field's name.
struct Leaf {
    pointer: String,
    scalar: String,
    arg: String,
}

struct Generator<'a> {
    schema: &'a Schema,
    known: &'a Known,
    rng: Rng,
    /// How often each leaf (by target and path) was made hostile: it takes the values in turn.
    turns: HashMap<String, usize>,
}

impl Generator<'_> {
    /// An ordinary value for a scalar, as a front-end would send.
    fn plausible(&mut self, scalar: &str, arg: &str) -> Value {
        let lower = arg.to_ascii_lowercase();
        match scalar {
            "Int" if lower == "first" || lower == "last" => json!(1 + self.rng.below(20)),
            "Int" if lower.contains("year") => json!(2025 + self.rng.below(2)),
            "Int" if lower.contains("percent") => json!(self.rng.below(40)),
            "Int" if lower == "delta" => json!(self.rng.below(20) as i64 - 5),
            "Int" => json!(1 + self.rng.below(10)),
            "Float" => json!(1.5),
            "Boolean" => json!(self.rng.chance(50)),
            "ID" => json!(self.known.plausible(&mut self.rng, arg)),
            "Money" => json!(self.rng.pick(&["12.50", "0.01", "100", "3800.00"])),
            "Date" => json!(self.rng.pick(&["2026-01-01", "2026-06-30", "2025-12-31"])),
            "DateTime" => json!("2026-06-01T08:00:00Z"),
            _ if lower.contains("code") || lower == "within" => {
                json!(
                    self.rng
                        .pick(&["130126", "1301", "13", "130126204207", "4406"])
                )
            }
            _ if lower == "username" => json!(self.rng.pick(&["canteen.admin", "fuzz.user"])),
            _ if lower == "password" => json!(crate::harness::PASSWORD),
            _ if lower == "idempotencykey" => json!(format!("fuzz-{:016x}", self.rng.next())),
            // No real cursor is at hand: any sent is a forged one.
            _ if lower == "after" || lower == "before" => {
                let forged = hostile("String", arg);
                self.rng.pick(&forged)
            }
            _ if lower == "text" => json!(self.rng.pick(&["红薯", "灵寿", "a"])),
            _ => json!(
                self.rng
                    .pick(&["灵寿红薯 5kg装", "a reason long enough", "刘采购"])
            ),
        }
    }

    fn value(&mut self, ty: &Type, arg: &str, pointer: &str, leaves: &mut Vec<Leaf>) -> Value {
        match &ty.base {
            BaseType::List(inner) => {
                let n = 1 + self.rng.below(2);
                (0..n)
                    .map(|i| self.value(inner, arg, &format!("{pointer}/{i}"), leaves))
                    .collect()
            }
            BaseType::Named(name) => match self.schema.types.get(name.as_str()) {
                Some(Named::Enum(values)) => {
                    leaves.push(Leaf {
                        pointer: pointer.to_owned(),
                        scalar: "Enum".into(),
                        arg: arg.to_owned(),
                    });
                    json!(self.rng.pick(values))
                }
                Some(Named::Input(fields)) => {
                    let mut object = serde_json::Map::new();
                    for field in fields {
                        let required = !field.ty.node.nullable && field.default_value.is_none();
                        if required || self.rng.chance(75) {
                            let name = field.name.node.to_string();
                            let at = format!("{pointer}/{name}");
                            let value = self.value(&field.ty.node, &name, &at, leaves);
                            object.insert(name, value);
                        }
                    }
                    Value::Object(object)
                }
                _ => {
                    leaves.push(Leaf {
                        pointer: pointer.to_owned(),
                        scalar: name.to_string(),
                        arg: arg.to_owned(),
                    });
                    self.plausible(name.as_str(), arg)
                }
            },
        }
    }

    /// Variables for `arguments` named `$<prefix><i>`, and the `(…)` that passes them. Optional
    /// arguments mostly; a cursor only when one is given (with `last` when it is `before`), so
    /// that a forged cursor or `first` with `last` does not hide what the other values do.
    fn arguments(
        &mut self,
        arguments: &[InputValueDefinition],
        prefix: &str,
        cursor: Option<(&str, &Value)>,
        call: &mut Call,
    ) -> String {
        let mut passed = Vec::new();
        for (i, arg) in arguments.iter().enumerate() {
            let ty = &arg.ty.node;
            let name = arg.name.node.to_string();
            let required = !ty.nullable && arg.default_value.is_none();
            let variable = format!("{prefix}{i}");
            let value = match (name.as_str(), cursor) {
                ("after" | "before", Some((which, value))) if which == name => value.clone(),
                ("last", Some(("before", _))) => json!(5),
                ("first", Some(("before", _))) => continue,
                ("after" | "before" | "last", _) => continue,
                _ if !required && !self.rng.chance(75) => continue,
                _ => self.value(ty, &name, &format!("/{variable}"), &mut call.leaves),
            };
            call.declared.push(format!("${variable}: {ty}"));
            passed.push(format!("{name}: ${variable}"));
            call.variables.insert(variable, value);
        }
        if passed.is_empty() {
            String::new()
        } else {
            format!("({})", passed.join(", "))
        }
    }

    /// The next hostile value for a leaf: the likeliest breakers first, then the rest in turn.
    fn hostile_for(&mut self, target: &str, leaf: &Leaf) -> Value {
        let values = match leaf.scalar.as_str() {
            "Enum" => vec![json!("NOT_A_VALUE"), json!(1), Value::Null],
            scalar => hostile(scalar, &leaf.arg),
        };
        let turn = self
            .turns
            .entry(format!("{target}{}", leaf.pointer))
            .or_default();
        let value = values[*turn % values.len()].clone();
        *turn += 1;
        value
    }
}

/// The parts of one request being generated.
#[derive(Default)]
struct Call {
    declared: Vec<String>,
    variables: serde_json::Map<String, Value>,
    leaves: Vec<Leaf>,
}

/// One generated request: the document, its variables and what it exercises.
struct Case {
    label: String,
    query: String,
    variables: Value,
    mutation: bool,
}

/// A field to aim at: a root field, or a field with arguments one level inside its result
/// (inside `nodes` for a connection).
struct Target<'a> {
    keyword: &'static str,
    root: &'a FieldDefinition,
    inner: Option<(Option<&'a str>, &'a FieldDefinition)>,
}

impl Target<'_> {
    fn label(&self) -> String {
        match self.inner {
            None => self.root.name.node.to_string(),
            Some((_, child)) => format!("{}.{}", self.root.name.node, child.name.node),
        }
    }

    fn aimed(&self) -> &FieldDefinition {
        self.inner.map_or(self.root, |(_, child)| child)
    }

    /// Builds the request; the leaves recorded are those of the aimed field's arguments.
    fn build(
        &self,
        generator: &mut Generator<'_>,
        schema: &Schema,
        cursor: Option<(&str, &Value)>,
    ) -> (String, Call) {
        let args_of = |field: &FieldDefinition| -> Vec<InputValueDefinition> {
            field.arguments.iter().map(|a| a.node.clone()).collect()
        };
        let mut call = Call::default();
        let root_cursor = if self.inner.is_none() { cursor } else { None };
        let args = generator.arguments(&args_of(self.root), "a", root_cursor, &mut call);
        let body = match self.inner {
            None => schema.selection(&self.root.ty.node),
            Some((via, child)) => {
                call.leaves.clear();
                let passed = generator.arguments(&args_of(child), "b", cursor, &mut call);
                let leaf = format!(
                    "{}{passed} {}",
                    child.name.node,
                    schema.selection(&child.ty.node)
                );
                match via {
                    Some(via) => format!("{{ {via} {{ {leaf} }} }}"),
                    None => format!("{{ {leaf} }}"),
                }
            }
        };
        let declared = if call.declared.is_empty() {
            String::new()
        } else {
            format!("({})", call.declared.join(", "))
        };
        let query = format!(
            "{} Fuzz{declared} {{ {}{args} {body} }}",
            self.keyword, self.root.name.node
        );
        (query, call)
    }
}

fn targets(schema: &Schema) -> Vec<Target<'_>> {
    let mut targets = Vec::new();
    for (keyword, root) in [("query", "Query"), ("mutation", "Mutation")] {
        for field in schema.fields(root) {
            targets.push(Target {
                keyword,
                root: field,
                inner: None,
            });
            if keyword == "mutation" {
                continue;
            }
            for child in schema.fields(base_name(&field.ty.node)) {
                if child.name.node == "nodes" {
                    for grandchild in schema.fields(base_name(&child.ty.node)) {
                        if !grandchild.arguments.is_empty() {
                            targets.push(Target {
                                keyword,
                                root: field,
                                inner: Some((Some("nodes"), grandchild)),
                            });
                        }
                    }
                } else if !child.arguments.is_empty() {
                    targets.push(Target {
                        keyword,
                        root: field,
                        inner: Some((None, child)),
                    });
                }
            }
        }
    }
    targets
}

/// For every target: one plausible request with each leaf in turn given each of its likeliest
/// breakers, then every forged cursor, then random requests with several leaves spoilt.
fn cases(schema: &Schema, known: &Known) -> Vec<Case> {
    let mut generator = Generator {
        schema,
        known,
        rng: Rng(SEED),
        turns: HashMap::new(),
    };
    let mut cases = Vec::new();
    for target in targets(schema) {
        let label = target.label();
        let mutation = target.keyword == "mutation";
        let mut push = |query: &str, variables: serde_json::Map<String, Value>| {
            cases.push(Case {
                label: label.clone(),
                query: query.to_owned(),
                variables: Value::Object(variables),
                mutation,
            });
        };
        let (query, base) = target.build(&mut generator, schema, None);
        for leaf in &base.leaves {
            for _ in 0..HOSTILE_PER_LEAF {
                let mut variables = Value::Object(base.variables.clone());
                let value = generator.hostile_for(&label, leaf);
                if let Some(slot) = variables.pointer_mut(&leaf.pointer) {
                    *slot = value;
                }
                if let Value::Object(variables) = variables {
                    push(&query, variables);
                }
            }
        }
        let pages = target
            .aimed()
            .arguments
            .iter()
            .any(|a| a.node.name.node == "after");
        if pages {
            for (i, forged) in hostile("String", "after").iter().enumerate() {
                let which = if i % 3 == 2 { "before" } else { "after" };
                let (query, call) = target.build(&mut generator, schema, Some((which, forged)));
                push(&query, call.variables);
            }
        }
        for _ in 0..RANDOM_ROUNDS {
            let (query, call) = target.build(&mut generator, schema, None);
            let mut variables = Value::Object(call.variables);
            for _ in 0..3 {
                if call.leaves.is_empty() {
                    break;
                }
                let leaf = &call.leaves[generator.rng.below(call.leaves.len())];
                let values = match leaf.scalar.as_str() {
                    "Enum" => vec![json!("NOT_A_VALUE")],
                    scalar => hostile(scalar, &leaf.arg),
                };
                let value = generator.rng.pick(&values);
                if let Some(slot) = variables.pointer_mut(&leaf.pointer) {
                    *slot = value;
                }
            }
            if let Value::Object(variables) = variables {
                push(&query, variables);
            }
        }
    }
    cases
}

/// What is wrong with an answer, if anything.
fn defect(status: reqwest::StatusCode, body: &Value) -> Option<String> {
    if status.is_server_error() {
        return Some(format!("HTTP {status}"));
    }
    for error in body["errors"].as_array().into_iter().flatten() {
        match error["extensions"]["code"].as_str() {
            Some("INTERNAL") => return Some("INTERNAL".into()),
            None => return Some("an error without a code".into()),
            Some(_) => {}
        }
    }
    None
}

fn shortened(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 400 {
        let cut = (0..=400)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        format!("{}…", &text[..cut])
    } else {
        text
    }
}

/// IDs of everything the world has: organisations, users, a product with a certification
/// application, an order and its line.
async fn known_ids(w: &World) -> Vec<String> {
    let product = w.published_product("灵寿红薯 5kg装", "38.00").await;
    let mut ids = vec![
        w.producer_id.clone(),
        w.buyer_id.clone(),
        w.admin.user_id.clone(),
        w.buyer_admin.user_id.clone(),
        w.producer_admin.user_id.clone(),
        product.clone(),
        encoded("Region:130126"),
        encoded("Region:1301"),
    ];
    for session in [&w.buyer_admin, &w.producer_admin] {
        let me = w
            .app
            .gql(session.token(), "{ me { organization { id } } }", json!({}))
            .await;
        ids.extend(
            me["data"]["me"]["organization"]["id"]
                .as_str()
                .map(str::to_owned),
        );
    }
    let applied = w
        .app
        .gql(
            w.producer_admin.token(),
            "mutation($input: ApplyCertificationInput!) { applyCertification(input: $input) {
                certification { id } errors { code } } }",
            json!({ "input": { "productId": product,
                "evidence": "吸纳建档立卡贫困户23户务工, 按保护价收购贫困户红薯" } }),
        )
        .await;
    ids.extend(
        applied["data"]["applyCertification"]["certification"]["id"]
            .as_str()
            .map(str::to_owned),
    );
    let placed = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
                orders { id lines { nodes { id } } } errors { code message } } }",
            json!({ "input": { "lines": [{ "productId": product, "quantity": 2 }],
                "idempotencyKey": "fuzz-setup-0001" } }),
        )
        .await;
    let order = &placed["data"]["placeOrder"]["orders"][0];
    assert!(order["id"].is_string(), "placeOrder: {placed}");
    ids.extend(order["id"].as_str().map(str::to_owned));
    ids.extend(order["lines"]["nodes"][0]["id"].as_str().map(str::to_owned));
    ids
}

#[tokio::test]
async fn no_generated_input_reaches_a_5xx_or_internal() {
    let w = World::build_with(|s| {
        s.request_quota_user = None;
        s.request_quota_ip = None;
        s.login_quota_account = fupin_market::rate_limit::Quota::per_minute(100_000);
        s.login_quota_ip = fupin_market::rate_limit::Quota::per_minute(100_000);
    })
    .await;
    let known = Known::new(&known_ids(&w).await);
    let schema = Schema::load();
    let cases = cases(&schema, &known);
    let actors: [(&str, Option<&Session>); 4] = [
        ("anonymous", None),
        ("admin", Some(&w.admin)),
        ("buyer", Some(&w.buyer_admin)),
        ("producer", Some(&w.producer_admin)),
    ];
    let mut found = Vec::new();
    let mut sent = 0;
    for case in &cases {
        for (who, session) in actors {
            // Anonymous mutations stop at `UNAUTHENTICATED` (tested elsewhere).
            if case.mutation && session.is_none() {
                continue;
            }
            sent += 1;
            let mut request = w
                .app
                .client
                .post(w.app.url("/graphql"))
                .header("accept", "application/graphql-response+json")
                .json(&json!({ "query": case.query, "variables": case.variables }));
            if let Some(session) = session {
                request = request.bearer_auth(&session.access_token);
            }
            let problem = match request.send().await {
                Err(error) => Some(format!("no answer: {error}")),
                Ok(response) => {
                    let status = response.status();
                    let body: Value = response.json().await.unwrap_or(Value::Null);
                    if std::env::var("FUZZ_TRACE").is_ok_and(|t| t == case.label) {
                        eprintln!(
                            "{who} {status} {} => {}",
                            shortened(&case.variables),
                            shortened(&body)
                        );
                    }
                    defect(status, &body).map(|d| format!("{d}: {}", shortened(&body)))
                }
            };
            if let Some(problem) = problem {
                found.push((
                    case.label.clone(),
                    format!(
                        "{} as {who}: {problem}\n    {}\n    variables: {}",
                        case.label,
                        case.query,
                        shortened(&case.variables)
                    ),
                ));
            }
        }
    }
    // One example per field keeps the report readable.
    let mut examples: Vec<&String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (label, example) in &found {
        if seen.insert(label) {
            examples.push(example);
        }
    }
    assert!(
        found.is_empty(),
        "{} of {sent} generated requests failed, in {} fields:\n{}",
        found.len(),
        examples.len(),
        examples
            .iter()
            .map(|e| e.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(
        sent > 3_000,
        "the generator covers too little: {sent} requests"
    );
}
