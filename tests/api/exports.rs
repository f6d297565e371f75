//! Ledger exports: CSV and XLSX, raw or grouped, with the ledger's visibility.

use reqwest::StatusCode;
use serde_json::json;

use crate::world::World;

async fn one_sale(w: &World) {
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let placed = w
        .app
        .gql(
            w.buyer_admin.token(),
            "mutation($p: ID!) { placeOrder(input: {lines: [{productId: $p, quantity: 8}], idempotencyKey: \"export-order-1\"}) { orders { id } } }",
            json!({ "p": product }),
        )
        .await;
    let id = placed["data"]["placeOrder"]["orders"][0]["id"].clone();
    for (token, mutation) in [
        (w.producer_clerk.token(), "confirmOrder"),
        (w.producer_clerk.token(), "shipOrder"),
        (w.buyer_admin.token(), "receiveOrder"),
    ] {
        w.app
            .gql(token, &format!("mutation($id: ID!) {{ {mutation}(input: {{orderId: $id}}) {{ errors {{ code }} }} }}"), json!({ "id": id }))
            .await;
    }
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
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][0], "序号");
    assert!(
        rows[1].contains(&"灵寿红薯 5kg装".to_owned()) && rows[1].contains(&"360.00".to_owned()),
        "{:?}",
        rows[1]
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
