//! The committed `schema.graphql` is what the code serves.

#[test]
fn committed_schema_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql at the repository root");
    let current = fupin_market::graphql::sdl();
    assert!(
        committed == current,
        "schema.graphql is out of date: run `cargo run -- export-schema` and commit the result"
    );
}
