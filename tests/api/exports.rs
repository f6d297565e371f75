//! Ledger exports: CSV and XLSX, raw or grouped, with the ledger's visibility.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::world::World;

async fn one_sale(w: &World) {
    sale_of(w, "灵寿红薯 5kg装", "export-order-1").await;
}

/// Places, ships and receives 8 of a new product named `name` at 45.00; the order's ID.
async fn sale_of(w: &World, name: &str, key: &str) -> Value {
    let product = w.published_product(name, "45.00").await;
    let placed = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($p: ID!, $k: String!) { placeOrder(input: {lines: [{productId: $p, quantity: 8}], idempotencyKey: $k}) { orders { id } } }",
            json!({ "p": product, "k": key }),
        )
        .await;
    let id = placed["data"]["placeOrder"]["orders"][0]["id"].clone();
    assert!(id.is_string(), "{placed}");
    for (token, mutation) in [
        (w.producer_clerk.token(), "confirmOrder"),
        (w.producer_clerk.token(), "shipOrder"),
        (w.buyer_admin.token(), "receiveOrder"),
    ] {
        crate::live::step(&w.app, token, mutation, id.as_str().expect("order id")).await;
    }
    id
}

#[tokio::test]
async fn the_ledger_exports_as_csv_and_xlsx_to_those_who_may_read_it() {
    let w = World::build().await;
    one_sale(&w).await;
    let get = |path: &str, token: Option<&str>| {
        let mut request = w.app.client.get(w.app.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let raw = get("/exports/ledger.csv", w.auditor.token())
        .await
        .expect("csv");
    assert_eq!(raw.status(), StatusCode::OK);
    assert!(
        raw.headers()["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/csv")
    );
    let text = raw.text().await.expect("text");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].contains("序号") && lines[0].contains("金额(元)"),
        "Chinese headers: {}",
        lines[0]
    );
    assert_eq!(lines.len(), 2);
    assert!(
        lines[1].contains("灵寿红薯 5kg装")
            && lines[1].contains("360.00")
            && lines[1].contains("石家庄市机关事务管理局机关食堂")
    );

    let grouped = get(
        "/exports/ledger.csv?groupBy=COUNTY,MONTH&lang=en",
        w.auditor.token(),
    )
    .await
    .expect("csv");
    let text = grouped.text().await.expect("text");
    assert!(
        text.lines()
            .next()
            .is_some_and(|h| h.contains("amount (yuan)"))
    );
    assert!(
        text.contains("130126,") && text.contains("360.00"),
        "{text}"
    );

    let xlsx = get("/exports/ledger.xlsx", w.auditor.token())
        .await
        .expect("xlsx");
    assert_eq!(xlsx.status(), StatusCode::OK);
    let bytes = xlsx.bytes().await.expect("bytes");
    assert!(bytes.starts_with(b"PK"), "an XLSX file is a zip");
    // Read it back as a spreadsheet program would.
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec()))
            .expect("a readable workbook");
    assert_eq!(workbook.sheet_names(), ["消费扶贫台账"]);
    let sheet = workbook.worksheet_range("消费扶贫台账").expect("the sheet");
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(std::string::ToString::to_string).collect())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][0], "序号");
    assert!(
        rows[1].contains(&"灵寿红薯 5kg装".to_owned()),
        "{:?}",
        rows[1]
    );
    let amount = rows[0]
        .iter()
        .position(|h| h == "金额(元)")
        .expect("amount");
    assert_eq!(
        sheet.get((1, amount)),
        Some(&calamine::Data::Float(360.0)),
        "amounts are numbers"
    );

    assert_eq!(
        get("/exports/ledger.csv", None)
            .await
            .expect("anon")
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get("/exports/ledger.csv", w.outsider.token())
            .await
            .expect("outsider")
            .status(),
        StatusCode::FORBIDDEN
    );
    let other = get("/exports/ledger.csv", w.other_officer.token())
        .await
        .expect("other")
        .text()
        .await
        .expect("text");
    assert_eq!(
        other.lines().count(),
        1,
        "another county's officer gets the headers only"
    );
    let bad = get("/exports/ledger.csv?groupBy=WEATHER", w.auditor.token())
        .await
        .expect("bad");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

const FORMULA: &str = "=HYPERLINK(\"http://evil.example/\",\"点击领取补贴\")";

async fn get(w: &World, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = w.app.client.get(w.app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("response")
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes())
        .records()
        .map(|r| r.expect("a CSV record").iter().map(str::to_owned).collect())
        .collect()
}

fn xlsx(bytes: &[u8]) -> calamine::Xlsx<std::io::Cursor<Vec<u8>>> {
    calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("a workbook")
}

#[tokio::test]
async fn a_formula_in_a_name_comes_out_inert_and_refunds_stay_numbers() {
    let w = World::build().await;
    let order = sale_of(&w, FORMULA, "export-formula-1").await;
    let refunded = w
        .app
        .gql(
            w.producer_clerk.token(),
            "mutation($input: RefundOrderInput!) { refundOrder(input: $input) { errors { code } } }",
            json!({ "input": { "orderId": order, "reason": "两箱破损", "lines": [] } }),
        )
        .await;
    assert_eq!(
        refunded["data"]["refundOrder"]["errors"],
        json!([]),
        "{refunded}"
    );

    let text = get(&w, "/exports/ledger.csv", w.auditor.token())
        .await
        .text()
        .await
        .expect("csv");
    let rows = csv_rows(&text);
    let product = rows[0].iter().position(|h| h == "产品").expect("product");
    let amount = rows[0]
        .iter()
        .position(|h| h == "金额(元)")
        .expect("amount");
    assert_eq!(rows.len(), 3, "{text}");
    for row in &rows[1..] {
        assert_eq!(row[product], format!("'{FORMULA}"), "neutralised");
    }
    assert_eq!(
        (rows[1][amount].as_str(), rows[2][amount].as_str()),
        ("360.00", "-360.00"),
        "amounts are bare numbers, a refund's negative"
    );
    for row in &rows {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '@', '\t', '\r'])
                    && (!cell.starts_with('-') || cell.parse::<f64>().is_ok()),
                "a cell a spreadsheet would evaluate: {cell:?}"
            );
        }
    }

    let bytes = get(&w, "/exports/ledger.xlsx", w.auditor.token())
        .await
        .bytes()
        .await
        .expect("xlsx");
    use calamine::Reader;
    let mut workbook = xlsx(&bytes);
    let sheet = workbook.worksheet_range("消费扶贫台账").expect("sheet");
    assert_eq!(
        sheet.get((1, product)),
        Some(&calamine::Data::String(format!("'{FORMULA}")))
    );
    assert_eq!(sheet.get((2, amount)), Some(&calamine::Data::Float(-360.0)));
    let formulas = workbook
        .worksheet_formula("消费扶贫台账")
        .expect("formulas");
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no cell holds a formula"
    );
}

#[tokio::test]
async fn grouped_exports_name_what_their_codes_and_ids_stand_for() {
    let w = World::build().await;
    one_sale(&w).await;
    let text = get(
        &w,
        "/exports/ledger.csv?groupBy=COUNTY,BUYER",
        w.auditor.token(),
    )
    .await
    .text()
    .await
    .expect("csv");
    let rows = csv_rows(&text);
    assert_eq!(
        rows,
        [
            [
                "县代码",
                "县",
                "采购单位ID",
                "采购单位",
                "金额(元)",
                "数量",
                "笔数"
            ]
            .map(str::to_owned)
            .to_vec(),
            [
                "130126",
                "灵寿县",
                w.buyer_id.as_str(),
                "石家庄市机关事务管理局机关食堂",
                "360.00",
                "8",
                "1"
            ]
            .map(str::to_owned)
            .to_vec(),
        ]
    );
    let month = format!("{}", chrono::Utc::now().format("%Y-%m"));
    for (query, header) in [
        (
            "groupBy=MONTH,CATEGORY",
            vec!["月份", "品类", "金额(元)", "数量", "笔数"],
        ),
        (
            "groupBy=MONTH,CATEGORY&lang=en",
            vec!["month", "category", "amount (yuan)", "quantity", "entries"],
        ),
    ] {
        let text = get(
            &w,
            &format!("/exports/ledger.csv?{query}"),
            w.auditor.token(),
        )
        .await
        .text()
        .await
        .expect("csv");
        let rows = csv_rows(&text);
        assert_eq!(rows[0], header);
        assert_eq!(rows[1][..2], [month.clone(), "GRAIN_OIL".to_owned()]);
    }
    let bytes = get(
        &w,
        "/exports/ledger.xlsx?groupBy=PRODUCER,BUYER_KIND&lang=en",
        w.auditor.token(),
    )
    .await
    .bytes()
    .await
    .expect("xlsx");
    use calamine::Reader;
    let mut workbook = xlsx(&bytes);
    let sheet = workbook.worksheet_range("ledger").expect("sheet");
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(std::string::ToString::to_string).collect())
        .collect();
    assert_eq!(
        rows[0],
        [
            "producer ID",
            "producer",
            "buyer kind",
            "amount (yuan)",
            "quantity",
            "entries"
        ]
    );
    assert_eq!(
        rows[1][..3],
        [
            w.producer_id.clone(),
            "灵寿县青廉红薯种植专业合作社".to_owned(),
            "CANTEEN".to_owned()
        ]
    );
    assert_eq!(sheet.get((1, 3)), Some(&calamine::Data::Float(360.0)));
}

/// The body and status `/graphql` would give: `errors[0].extensions.code`.
async fn refusal(response: reqwest::Response) -> (StatusCode, String, Value) {
    let status = response.status();
    let media = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.expect("body");
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, media, body)
}

#[tokio::test]
async fn exports_refuse_bad_parameters_like_graphql_does() {
    let w = World::build().await;
    let buyer = w.buyer_id.clone();
    let producer = w.producer_id.clone();
    let bad = [
        "from=2026-02-30",
        "from=26-01-01",
        "to=2026-1-1",
        "from=2026-12-01&to=2026-01-01",
        "groupBy=WEATHER",
        "groupBy=COUNTY,COUNTY",
        "groupBy=COUNTY,MONTH,BUYER",
        "regionCode=1301x",
        "regionCode=%25",
        "buyerId=nonsense",
        &format!("buyerId={producer}"),
        &format!("producerId={buyer}"),
        "certifiedOnly=yes",
        "pairedOnly=1",
        "lang=fr",
        "form=2026-01-01",
        "lang=en&lang=zh",
        "from=%FF",
        "%FF=1",
        "from",
        "groupBy=%00",
    ];
    for path in ["/exports/ledger.csv", "/exports/ledger.xlsx"] {
        for query in bad {
            let (status, media, body) =
                refusal(get(&w, &format!("{path}?{query}"), w.auditor.token()).await).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
            assert!(media.starts_with("application/json"), "{query}: {media}");
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
                "{query}: {body}"
            );
            assert!(body["errors"][0]["message"].is_string(), "{body}");
        }
        // The good forms of each parameter pass.
        let good = format!(
            "{path}?from=2026-01-01&to=2026-12-31&regionCode=130126&buyerId={buyer}&producerId={producer}&certifiedOnly=false&pairedOnly=false&lang=en"
        );
        assert_eq!(
            get(&w, &good, w.auditor.token()).await.status(),
            StatusCode::OK
        );
        for (token, status, code) in [
            (None, StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"),
            (
                Some("not-a-token"),
                StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
            ),
            (w.outsider.token(), StatusCode::FORBIDDEN, "FORBIDDEN"),
        ] {
            let (got, media, body) = refusal(get(&w, path, token).await).await;
            assert_eq!(
                (got, body["errors"][0]["extensions"]["code"].clone()),
                (status, json!(code)),
                "{body}"
            );
            assert!(media.starts_with("application/json"), "{media}");
        }
    }
}
