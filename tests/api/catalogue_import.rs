//! Catalogue import (issue 18): a producer's products from CSV or XLSX by its own SKU; a dry run
//! writes nothing, the real run all or nothing, a re-import changes nothing, a changed price goes
//! through the price history; bad files name row and column; officers import in their scope.

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::{
    harness::Session,
    world::{CREATE_PRODUCT, World, product_input},
};

const HEAD: &str = "商品编码,商品名称,品类,规格,单位,单价(元),库存,起订量,产地说明\n";
const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn count(w: &World, sql: &str) -> i64 {
    let db = w.app.db();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {sql}"),
        ))
        .await
        .expect("count")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("n")
}

async fn import(
    w: &World,
    who: &Session,
    dry_run: bool,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, Value) {
    let response = w
        .app
        .client
        .post(w.app.url("/imports/catalogue"))
        .query(&[
            ("producerId", w.producer_id.as_str()),
            ("dryRun", if dry_run { "true" } else { "false" }),
        ])
        .header("content-type", content_type)
        .bearer_auth(&who.access_token)
        .body(body)
        .send()
        .await
        .expect("import");
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

async fn csv(w: &World, who: &Session, dry_run: bool, text: &str) -> (u16, Value) {
    import(w, who, dry_run, "text/csv", text.as_bytes().to_vec()).await
}

/// (row, column, code) of an error.
type Place = (i64, String, String);

/// (row, column, code) of each error.
fn places(body: &Value) -> Vec<Place> {
    body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap_or_default(),
                e["column"].as_str().unwrap_or_default().to_owned(),
                e["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn place(row: i64, column: &str, code: &str) -> Place {
    (row, column.to_owned(), code.to_owned())
}

fn actions(body: &Value) -> Vec<String> {
    body["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{body}"))
        .iter()
        .map(|r| r["action"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn file() -> String {
    format!(
        "{HEAD}HM-001,高山苹果,水果,5kg/箱,箱,58.00,200,2,XX村合作社\n\
         HM-002,灵寿小米,粮油,2kg/袋,袋,30,50,1,\n\
         HM-003,香菇干,EDIBLE_FUNGI,500g/袋,袋,45.5,0,1,\"签约农户, 32户\"\n"
    )
}

#[tokio::test]
async fn a_dry_run_writes_nothing_the_import_is_idempotent_and_prices_keep_their_history() {
    let w = World::build().await;
    let template = w
        .app
        .client
        .get(w.app.url("/imports/catalogue/template.csv"))
        .send()
        .await
        .expect("template")
        .text()
        .await
        .expect("text");
    assert!(template.contains(HEAD.trim_end()), "{template}");

    let products = count(&w, "products").await;
    let prices = count(&w, "price_history").await;
    let (status, body) = csv(&w, &w.producer_clerk, true, &file()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(actions(&body), ["CREATE", "CREATE", "CREATE"]);
    assert_eq!(
        (body["created"].clone(), body["dryRun"].clone()),
        (json!(3), json!(true))
    );
    assert_eq!(count(&w, "products").await, products);

    let (status, body) = csv(&w, &w.producer_clerk, false, &file()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["created"], json!(3));
    assert_eq!(count(&w, "products").await, products + 3);
    assert_eq!(count(&w, "price_history").await, prices + 3);
    assert_eq!(
        count(
            &w,
            "products WHERE sku = 'HM-003' AND price_fen = 4550 AND status = 'DRAFT'"
        )
        .await,
        1
    );
    let audits = count(&w, "audit_events WHERE action = 'importCatalogue'").await;
    assert_eq!(audits, 1);

    // The same file again: nothing changes, no history, no audit noise.
    let (status, body) = csv(&w, &w.producer_clerk, false, &file()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(actions(&body), ["UNCHANGED", "UNCHANGED", "UNCHANGED"]);
    assert_eq!(body["unchanged"], json!(3));
    assert_eq!(count(&w, "products").await, products + 3);
    assert_eq!(count(&w, "price_history").await, prices + 3);
    assert_eq!(
        count(&w, "audit_events WHERE action = 'importCatalogue'").await,
        1
    );

    // A new price and stock: one UPDATE, through the price history and a stock adjustment.
    let changed = file().replace("58.00,200", "61.50,180");
    let (status, body) = csv(&w, &w.producer_clerk, false, &changed).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(actions(&body), ["UPDATE", "UNCHANGED", "UNCHANGED"]);
    assert_eq!(body["rows"][0]["changes"], json!(["price", "stock"]));
    assert_eq!(count(&w, "price_history").await, prices + 4);
    assert_eq!(
        count(
            &w,
            "stock_adjustments WHERE reason = '导入' AND delta = -20 AND stock_after = 180"
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &w,
            "products WHERE sku = 'HM-001' AND price_fen = 6150 AND stock = 180"
        )
        .await,
        1
    );

    // The SKU is the product's, and another product cannot take it.
    let mut input = product_input(&w.producer_id, "另一个苹果", "10.00");
    input["sku"] = json!("HM-001");
    let taken = w
        .app
        .gql(
            w.producer_clerk.token(),
            CREATE_PRODUCT,
            json!({ "input": input }),
        )
        .await;
    assert_eq!(
        taken["data"]["createProduct"]["errors"][0]["field"],
        json!(["input", "sku"]),
        "{taken}"
    );
    assert_eq!(
        taken["data"]["createProduct"]["errors"][0]["code"],
        "DUPLICATE"
    );
    input["sku"] = json!("HM-009");
    let created = w
        .app
        .gql(
            w.producer_clerk.token(),
            CREATE_PRODUCT,
            json!({ "input": input }),
        )
        .await;
    let id = created["data"]["createProduct"]["product"]["id"].clone();
    let read = w
        .app
        .gql(
            w.producer_clerk.token(),
            "query($id: ID!) { product(id: $id) { sku } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(read["data"]["product"]["sku"], "HM-009", "{read}");
    let renamed = w
        .app
        .gql(
            w.producer_clerk.token(),
            "mutation($input: UpdateProductInput!) { updateProduct(input: $input) { errors { field code } } }",
            json!({ "input": { "id": id, "sku": "HM-002" } }),
        )
        .await;
    assert_eq!(
        renamed["data"]["updateProduct"]["errors"],
        json!([{ "field": ["input", "sku"], "code": "DUPLICATE" }])
    );
}

#[tokio::test]
async fn every_bad_file_names_row_and_column_and_writes_nothing() {
    let w = World::build().await;
    let products = count(&w, "products").await;
    let cases: Vec<(String, Vec<Place>)> = vec![
        (
            "商品编码,商品名,品类,规格,单位,单价(元),库存,起订量\nA1,苹果,水果,5kg,箱,1,1,1\n"
                .into(),
            vec![
                place(1, "商品名", "INVALID_HEADER"),
                place(1, "商品名称", "INVALID_HEADER"),
            ],
        ),
        (
            format!("{HEAD}A1,苹果,水果,5kg,箱,1.234,1,1,\nA2,梨,水果,5kg,箱,2,几个,1,\n"),
            vec![place(2, "单价(元)", "INVALID"), place(3, "库存", "INVALID")],
        ),
        (
            format!(
                "{HEAD}A1,苹果,水果,5kg,箱,1,1,1,\nA2,梨,水果,5kg,箱,2,1,1,\nA1,桃,水果,5kg,箱,3,1,1,\n"
            ),
            vec![place(4, "商品编码", "DUPLICATE")],
        ),
        (
            format!(
                "{HEAD}A1,苹果,石头,5kg,箱,1,1,1,\nA2,梨,水果,5kg,,2,1,1,\nA3,桃,水果,5kg,一个很长很长很长很长很长很长的单位,3,1,1,\n"
            ),
            vec![
                place(2, "品类", "INVALID"),
                place(3, "单位", "INVALID"),
                place(4, "单位", "INVALID"),
            ],
        ),
        (
            format!("{HEAD}A1,苹果,水果,5kg,箱,0,1,1,\nA2,梨,水果,5kg,箱,10000000.01,1,1,\n"),
            vec![
                place(2, "单价(元)", "INVALID"),
                place(3, "单价(元)", "INVALID"),
            ],
        ),
    ];
    for (text, expected) in cases {
        for dry_run in [true, false] {
            let (status, body) = csv(&w, &w.producer_clerk, dry_run, &text).await;
            assert_eq!(status, 422, "{body}");
            assert_eq!(places(&body), expected, "{text}");
            assert_eq!(body["created"], json!(0));
        }
    }
    let (_, body) = csv(
        &w,
        &w.producer_clerk,
        false,
        &format!(
            "{HEAD}A1,苹果,水果,5kg,箱,1,1,1,\nA2,梨,水果,5kg,箱,2,1,1,\nA1,桃,水果,5kg,箱,3,1,1,\n"
        ),
    )
    .await;
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("row 4") && message.contains("row 2"),
        "{message}"
    );
    assert_eq!(
        body["errors"][0]["field"],
        json!(["file", "row", 4, "商品编码"])
    );
    assert_eq!(count(&w, "products").await, products);
}

#[tokio::test]
async fn officers_in_scope_may_import_others_may_not() {
    let w = World::build().await;
    let products = count(&w, "products").await;
    for who in [&w.other_officer, &w.buyer_admin, &w.outsider] {
        for text in [file(), "nonsense".to_owned()] {
            let (status, body) = csv(&w, who, false, &text).await;
            assert_eq!(status, 403, "{body}");
        }
    }
    assert_eq!(count(&w, "products").await, products);
    let (status, body) = csv(&w, &w.officer, false, &file()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["created"], json!(3));
    assert_eq!(count(&w, "products").await, products + 3);
}

fn xlsx(rows: &[Vec<&str>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in (0u32..).zip(rows) {
        for (c, cell) in (0u16..).zip(row) {
            // Numbers as number cells, as a spreadsheet program writes them.
            match cell.parse::<f64>() {
                Ok(n) if r > 0 && c > 4 => sheet.write_number(r, c, n).map(|_| ()),
                _ => sheet.write_string(r, c, *cell).map(|_| ()),
            }
            .expect("cell");
        }
    }
    book.save_to_buffer().expect("xlsx")
}

#[tokio::test]
async fn an_xlsx_file_imports_and_names_its_bad_cells() {
    let w = World::build().await;
    let products = count(&w, "products").await;
    let head: Vec<&str> = HEAD.trim_end().split(',').collect();
    let good = xlsx(&[
        head.clone(),
        vec!["X-1", "核桃", "干果", "1kg", "袋", "40.5", "10", "1", ""],
        vec![
            "X-2",
            "核桃仁",
            "水果",
            "500g",
            "袋",
            "30.125",
            "10",
            "1",
            "",
        ],
    ]);
    let (status, body) = import(&w, &w.producer_admin, false, XLSX_TYPE, good).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        places(&body),
        [place(2, "品类", "INVALID"), place(3, "单价(元)", "INVALID")]
    );
    assert_eq!(count(&w, "products").await, products);
    let good = xlsx(&[
        head,
        vec!["X-1", "核桃", "水果", "1kg", "袋", "40.5", "10", "1", ""],
        vec![
            "X-2",
            "核桃仁",
            "FRUIT",
            "500g",
            "袋",
            "30.12",
            "10",
            "2",
            "山里",
        ],
    ]);
    // Sniffed from its content even when sent as an octet stream.
    let (status, body) = import(
        &w,
        &w.producer_admin,
        false,
        "application/octet-stream",
        good,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(actions(&body), ["CREATE", "CREATE"]);
    assert_eq!(
        count(
            &w,
            "products WHERE sku = 'X-2' AND price_fen = 3012 AND min_order_quantity = 2"
        )
        .await,
        1
    );
}
