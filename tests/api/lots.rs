//! Issue 18, item 3: lots and trace codes. A producer records a lot with its origin village
//! and inspection; its trace code answers anyone, with public facts only, as `traceCode`, as a
//! page and as a QR image; bad lots are refused by field and write nothing.

use serde_json::{Value, json};

use crate::world::{OTHER_COUNTY, VILLAGE, World};

const RECORD: &str = "mutation($input: RecordLotInput!) { recordLot(input: $input) {
    lot { id traceCode qrCodeUrl producedOn quantity originVillageCode
          inspection { result inspectedOn body reportNo } }
    errors { field code message } } }";
const TRACE: &str = "query($code: String!) { traceCode(code: $code) {
    traceCode productName category spec unit producerName producerRegion { code }
    originVillage { code name povertyStatus } certified certificateNo qualityMarks producedOn quantity
    inspection { result inspectedOn body } } }";

fn lot(product: &str, village: &str) -> Value {
    json!({ "productId": product, "producedOn": "2026-10-20", "quantity": 800,
            "originVillageCode": village, "inspectionResult": "QUALIFIED",
            "inspectedOn": "2026-10-22", "inspectionBody": "灵寿县农产品质量安全检测站",
            "inspectionReportNo": "LSJC-2026-1022" })
}

async fn count_lots(w: &World) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    entity::lot::Entity::find()
        .count(w.app.db())
        .await
        .expect("count")
}

fn fields(payload: &Value) -> Vec<(String, String)> {
    payload["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{payload}"))
        .iter()
        .map(|e| {
            (
                e["field"]
                    .as_array()
                    .map(|f| {
                        f.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(".")
                    })
                    .unwrap_or_default(),
                e["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_recorded_lot_is_traced_by_anyone_with_public_facts_only() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let body = w
        .app
        .gql(
            w.producer_clerk.token(),
            RECORD,
            json!({ "input": lot(&product, VILLAGE) }),
        )
        .await;
    let payload = &body["data"]["recordLot"];
    assert_eq!(payload["errors"], json!([]), "{body}");
    let code = payload["lot"]["traceCode"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
        .to_owned();
    assert!(code.starts_with("FP") && code.len() == 18, "{code}");
    assert_eq!(payload["lot"]["qrCodeUrl"], format!("/trace/{code}.svg"));

    // Anonymous, typed in lower case with hyphens.
    let typed = format!("{}-{}", &code[..6], &code[6..]).to_lowercase();
    let traced = w.app.gql(None, TRACE, json!({ "code": typed })).await;
    assert_eq!(
        traced["data"]["traceCode"],
        json!({
            "traceCode": code, "productName": "灵寿红薯 5kg装", "category": "GRAIN_OIL",
            "spec": "5kg/箱", "unit": "箱", "producerName": "灵寿县青廉红薯种植专业合作社",
            "producerRegion": { "code": VILLAGE },
            "originVillage": { "code": VILLAGE, "name": "青廉村民委员会", "povertyStatus": "NOT_POOR" },
            "certified": false, "certificateNo": null, "qualityMarks": [], "producedOn": "2026-10-20", "quantity": 800,
            "inspection": { "result": "QUALIFIED", "inspectedOn": "2026-10-22",
                            "body": "灵寿县农产品质量安全检测站" }
        }),
        "{traced}"
    );
    // The record has no field that could carry anything private.
    let fields_of = w
        .app
        .gql(
            None,
            "{ __type(name: \"TraceRecord\") { fields { name } } }",
            json!({}),
        )
        .await;
    let names: Vec<String> = fields_of["data"]["__type"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter_map(|f| f["name"].as_str().map(str::to_lowercase))
        .collect();
    for private in [
        "contact", "phone", "price", "buyer", "stock", "user", "licence",
    ] {
        assert!(
            names.iter().all(|n| !n.contains(private)),
            "{private} in {names:?}"
        );
    }

    // The page and the QR images, for anyone.
    let page = w
        .app
        .client
        .get(w.app.url(&format!("/trace/{code}")))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap_or_default()
            .starts_with("default-src 'none'")
    );
    let html = page.text().await.expect("html");
    assert!(html.contains("灵寿红薯 5kg装") && html.contains("青廉村") && html.contains("合格"));
    for (suffix, kind, magic) in [
        ("svg", "image/svg+xml", b"<?xml".as_slice()),
        ("png", "image/png", b"\x89PNG".as_slice()),
    ] {
        let image = w
            .app
            .client
            .get(w.app.url(&format!("/trace/{code}.{suffix}")))
            .send()
            .await
            .expect("image");
        assert_eq!(image.status(), 200);
        assert_eq!(image.headers()["content-type"], kind);
        let bytes = image.bytes().await.expect("bytes");
        assert!(bytes.starts_with(magic), "{suffix}");
    }

    // The producer's members and officers list the product's lots.
    let listed = w
        .app
        .gql(
            w.producer_admin.token(),
            "query($id: ID!) { lots(productId: $id) { traceCode } }",
            json!({ "id": product }),
        )
        .await;
    assert_eq!(listed["data"]["lots"], json!([{ "traceCode": code }]));
}

#[tokio::test]
async fn an_unknown_code_is_not_found_on_its_field() {
    let w = World::build().await;
    for code in ["FP0000000000000000", "not a code", ""] {
        let body = w.app.gql(None, TRACE, json!({ "code": code })).await;
        assert_eq!(body["data"]["traceCode"], Value::Null, "{body}");
        assert_eq!(
            body["errors"][0]["extensions"]["userErrors"],
            json!([{ "field": ["code"], "code": "NOT_FOUND", "message": "no lot has this trace code" }]),
            "{body}"
        );
    }
    let page = w
        .app
        .client
        .get(w.app.url("/trace/FP0000000000000000.png"))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 404);
}

#[tokio::test]
async fn bad_lots_are_refused_by_field_and_write_nothing() {
    let w = World::build().await;
    let product = w.published_product("灵寿红薯 5kg装", "45.00").await;
    let other_village = format!("{OTHER_COUNTY}100001");
    let cases: Vec<(Value, Vec<(&str, &str)>)> = vec![
        (
            json!({ "originVillageCode": other_village }),
            vec![("input.originVillageCode", "OUT_OF_SCOPE")],
        ),
        (
            json!({ "originVillageCode": "130126" }),
            vec![("input.originVillageCode", "WRONG_REGION_LEVEL")],
        ),
        (
            json!({ "originVillageCode": "130126999999" }),
            vec![("input.originVillageCode", "NOT_FOUND")],
        ),
        (
            json!({ "inspectedOn": "2026-10-01" }),
            vec![("input.inspectedOn", "INVALID")],
        ),
        (
            json!({ "quantity": 0, "producedOn": "2999-01-01", "inspectedOn": null }),
            vec![
                ("input.quantity", "INVALID"),
                ("input.producedOn", "INVALID"),
                ("input.inspectedOn", "INVALID"),
            ],
        ),
        (
            json!({ "inspectionResult": "NOT_INSPECTED" }),
            vec![("input.inspectedOn", "INVALID")],
        ),
    ];
    for (change, expected) in cases {
        let mut input = lot(&product, VILLAGE);
        for (key, value) in change.as_object().expect("object") {
            input[key] = value.clone();
        }
        let body = w
            .app
            .gql(w.producer_clerk.token(), RECORD, json!({ "input": input }))
            .await;
        let got = fields(&body["data"]["recordLot"]);
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(f, c)| ((*f).to_owned(), (*c).to_owned()))
            .collect();
        assert_eq!(got, expected, "{change}: {body}");
    }
    // Someone else's product: not theirs to record.
    let body = w
        .app
        .gql(
            w.buyer_admin.token(),
            RECORD,
            json!({ "input": lot(&product, VILLAGE) }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );
    assert_eq!(count_lots(&w).await, 0, "nothing written");
}
