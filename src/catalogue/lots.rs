//! Lots and trace codes (产品追溯): a producer records each lot of a product (harvest or
//! production date, quantity, origin village, origin inspection 产地准出); each lot gets a trace
//! code printed on the goods. Anyone may look a code up (`trace`): the product, its producer, the
//! origin village with its poverty status, the certification and the lot's inspection, and
//! nothing private (no contacts, prices paid, buyers or people).

use chrono::{NaiveDate, Utc};
use entity::{
    certification,
    lot::{self, InspectionResult},
    organization, product,
    region::{self, RegionLevel},
};
use rand::Rng;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde_json::json;
use uuid::Uuid;

use super::{
    certification::{county_of, status_on},
    products,
};
use crate::{
    audit::Change,
    auth::{Caller, Viewer, visibility::Sight},
    error::{AppError, AppResult, Checks, ErrorCode, UserError},
    ids::new_uuid,
    region::regions,
};

const MAX_QUANTITY: i64 = 1_000_000_000;
/// Crockford's base-32 alphabet: no I, L, O or U, so a code read aloud or typed is unambiguous.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Every trace code starts so (扶贫), then 16 characters: 80 random bits.
const PREFIX: &str = "FP";
const CODE_CHARS: usize = 16;

/// What a producer records about a lot.
#[derive(Clone, Debug)]
pub struct LotInput {
    pub product_id: Uuid,
    pub produced_on: NaiveDate,
    pub quantity: i64,
    pub origin_village_code: String,
    pub inspection_result: InspectionResult,
    pub inspected_on: Option<NaiveDate>,
    pub inspection_body: Option<String>,
    pub inspection_report_no: Option<String>,
}

/// Checks that need no database: the dates in order and not in the future, an inspection's
/// date and body when there was one and none when there was not.
pub fn check(input: &LotInput, today: NaiveDate) -> Checks {
    let mut checks = Checks::default();
    checks
        .require(
            (1..=MAX_QUANTITY).contains(&input.quantity),
            "quantity",
            ErrorCode::Invalid,
            msg!("lots.lot_holds_1_1_000_000"),
        )
        .require(
            input.produced_on <= today,
            "producedOn",
            ErrorCode::Invalid,
            msg!("lots.lot_recorded_once_produced_not_before"),
        );
    let inspected = input.inspection_result != InspectionResult::NotInspected;
    match (inspected, input.inspected_on) {
        (true, None) => {
            checks.push(UserError::on(
                "inspectedOn",
                ErrorCode::Invalid,
                msg!("lots.give_date_inspection"),
            ));
        }
        (false, Some(_)) => {
            checks.push(UserError::on(
                "inspectedOn",
                ErrorCode::Invalid,
                msg!("lots.lot_not_inspected_has_no_inspection"),
            ));
        }
        (true, Some(on)) => {
            checks.require(
                input.produced_on <= on && on <= today,
                "inspectedOn",
                ErrorCode::Invalid,
                msg!("lots.inspection_falls_between_production_today"),
            );
        }
        (false, None) => {}
    }
    match input.inspection_body.as_deref() {
        Some(body) => {
            checks.length(body, "inspectionBody", 1, 100);
        }
        None => {
            checks.require(
                !inspected,
                "inspectionBody",
                ErrorCode::Invalid,
                msg!("lots.name_who_inspected_lot"),
            );
        }
    }
    if let Some(number) = input.inspection_report_no.as_deref() {
        checks.length(number, "inspectionReportNo", 1, 64);
    }
    checks
}

/// A fresh trace code: the prefix and 16 random characters of [`ALPHABET`].
pub fn new_code() -> String {
    let mut rng = rand::rng();
    let mut code = String::with_capacity(PREFIX.len() + CODE_CHARS);
    code.push_str(PREFIX);
    for _ in 0..CODE_CHARS {
        code.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
    }
    code
}

/// A code as someone typed or scanned it, in the stored form: case, spaces and hyphens do not
/// matter, and O, I and L read as 0, 1 and 1 (Crockford). `None` when it cannot be a code.
pub fn normalize(text: &str) -> Option<String> {
    let mut code = String::with_capacity(PREFIX.len() + CODE_CHARS);
    for c in text.trim().chars().filter(|c| !matches!(c, ' ' | '-')) {
        let c = c.to_ascii_uppercase();
        code.push(match c {
            'O' if code.len() >= PREFIX.len() => '0',
            'I' | 'L' if code.len() >= PREFIX.len() => '1',
            _ => c,
        });
        if code.len() > PREFIX.len() + CODE_CHARS {
            return None;
        }
    }
    let body = code.strip_prefix(PREFIX)?;
    (body.len() == CODE_CHARS && body.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// The origin village: a village in the producer's county.
async fn origin_village(
    conn: &impl ConnectionTrait,
    code: &str,
    producer_region: &str,
) -> AppResult<region::Model> {
    let village =
        regions::require(conn, code, "originVillageCode", &[RegionLevel::Village]).await?;
    let county = county_of(producer_region);
    if !village.code.starts_with(&county) {
        return Err(AppError::field(
            "originVillageCode",
            ErrorCode::OutOfScope,
            msg!("lots.not_producer_s_county", name = village.name),
        ));
    }
    Ok(village)
}

/// `recordLot`: a member of the product's producer records a lot; it gets a new trace code.
pub async fn record(caller: Caller<'_>, input: LotInput) -> AppResult<lot::Model> {
    let db = caller.db();
    let today = Utc::now().date_naive();
    let mut checks = check(&input, today);
    let found = products::load_managed(db, caller.viewer, input.product_id).await;
    let product = match found {
        Ok(product) => Some(product),
        Err(AppError::User(errors)) => {
            for error in errors {
                checks.push(error);
            }
            None
        }
        Err(error) => return Err(error),
    };
    checks.finish()?;
    let product = product.ok_or(AppError::NotFound("not_found.product"))?;
    let producer_region = producer_region(db, product.producer_org_id).await?;
    origin_village(db, &input.origin_village_code, &producer_region).await?;
    let row = lot::Model {
        id: new_uuid(),
        trace_code: new_code(),
        product_id: product.id,
        producer_org_id: product.producer_org_id,
        produced_on: input.produced_on,
        quantity: input.quantity,
        shipped_quantity: 0,
        origin_village_code: input.origin_village_code.clone(),
        inspection_result: input.inspection_result,
        inspected_on: input.inspected_on,
        inspection_body: input.inspection_body.map(|b| b.trim().to_owned()),
        inspection_report_no: input.inspection_report_no.map(|n| n.trim().to_owned()),
        recorded_by: caller.viewer.user_id,
        recorded_at: Utc::now(),
    };
    let txn = db.begin().await?;
    let saved = row.clone().into_active_model().insert(&txn).await?;
    caller
        .audit(
            &txn,
            Change {
                action: "recordLot",
                target_type: "Lot",
                target_id: Some(saved.id),
                summary: json!({
                    "product": product.id, "traceCode": saved.trace_code,
                    "quantity": saved.quantity, "inspection": saved.inspection_result.to_value(),
                }),
            },
        )
        .await?;
    txn.commit().await?;
    Ok(saved)
}

async fn producer_region(conn: &impl ConnectionTrait, producer: Uuid) -> AppResult<String> {
    organization::Entity::find_by_id(producer)
        .one(conn)
        .await?
        .and_then(|o| o.region_code)
        .ok_or(AppError::NotFound("not_found.producer"))
}

/// A product's lots, newest first, for those who may see the product.
pub async fn of_product(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    product_id: Uuid,
    limit: u64,
) -> AppResult<Vec<lot::Model>> {
    crate::auth::visibility::require_visible(
        conn,
        viewer,
        product::Entity::find_by_id(product_id),
        Sight::products,
        "not_found.product",
    )
    .await?;
    Ok(lot::Entity::find()
        .filter(lot::Column::ProductId.eq(product_id))
        .order_by_desc(lot::Column::ProducedOn)
        .order_by_desc(lot::Column::RecordedAt)
        .limit(limit)
        .all(conn)
        .await?)
}

/// What a trace code answers, all of it public.
#[derive(Clone, Debug)]
pub struct Trace {
    pub lot: lot::Model,
    pub product: product::Model,
    pub producer_name: String,
    pub producer_region: region::Model,
    pub origin_village: region::Model,
    /// The product's certification as a poverty-alleviation product, if it ever had one
    /// decided: the latest.
    pub certification: Option<certification::Model>,
}

impl Trace {
    /// Whether the product is a certified poverty-alleviation product on `day`.
    pub fn certified_on(&self, day: NaiveDate) -> bool {
        self.certification.as_ref().is_some_and(|c| {
            status_on(c, day) == crate::catalogue::certification::CertificationStatus::Certified
        })
    }
}

/// `traceCode(code)`: the lot a code names and its public facts. An unknown code is
/// `NOT_FOUND` on `code`, like one that cannot be a code at all.
pub async fn trace(conn: &impl ConnectionTrait, code: &str) -> AppResult<Trace> {
    // The query's own argument, not an input object's field.
    let unknown = || {
        AppError::user(UserError {
            field: Some(vec!["code".to_owned()]),
            code: ErrorCode::NotFound,
            message: msg!("lots.no_lot_has_trace_code"),
        })
    };
    let code = normalize(code).ok_or_else(unknown)?;
    let lot = lot::Entity::find()
        .filter(lot::Column::TraceCode.eq(code))
        .one(conn)
        .await?
        .ok_or_else(unknown)?;
    let product = products::load(conn, lot.product_id).await?;
    let producer = organization::Entity::find_by_id(lot.producer_org_id)
        .one(conn)
        .await?
        .ok_or(AppError::NotFound("not_found.producer"))?;
    let producer_region = match producer.region_code.as_deref() {
        Some(code) => regions::find(conn, code).await?,
        None => None,
    }
    .ok_or(AppError::NotFound("not_found.region"))?;
    let origin_village = regions::find(conn, &lot.origin_village_code)
        .await?
        .ok_or(AppError::NotFound("not_found.region"))?;
    let certification = certification::Entity::find()
        .filter(certification::Column::ProductId.eq(lot.product_id))
        .filter(certification::Column::DecidedAt.is_not_null())
        .order_by_desc(certification::Column::DecidedAt)
        .one(conn)
        .await?;
    Ok(Trace {
        lot,
        product,
        producer_name: producer.name,
        producer_region,
        origin_village,
        certification,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap_or_default()
    }

    fn input() -> LotInput {
        LotInput {
            product_id: Uuid::nil(),
            produced_on: day(1),
            quantity: 500,
            origin_village_code: "130126204207".into(),
            inspection_result: InspectionResult::Qualified,
            inspected_on: Some(day(2)),
            inspection_body: Some("灵寿县农产品质量安全检测站".into()),
            inspection_report_no: Some("LSJC-2026-1102".into()),
        }
    }

    fn fields(checks: Checks) -> Vec<String> {
        checks
            .into_errors()
            .into_iter()
            .filter_map(|e| e.field.and_then(|f| f.last().cloned()))
            .collect()
    }

    #[test]
    fn an_inspected_lot_names_its_date_and_body_in_order() {
        assert!(fields(check(&input(), day(5))).is_empty());
        let late = LotInput {
            inspected_on: Some(day(6)),
            ..input()
        };
        assert_eq!(fields(check(&late, day(5))), ["inspectedOn"]);
        let before = LotInput {
            produced_on: day(3),
            ..input()
        };
        assert_eq!(fields(check(&before, day(5))), ["inspectedOn"]);
        let silent = LotInput {
            inspected_on: None,
            inspection_body: None,
            ..input()
        };
        assert_eq!(
            fields(check(&silent, day(5))),
            ["inspectedOn", "inspectionBody"]
        );
        let future = LotInput {
            produced_on: day(9),
            inspected_on: Some(day(9)),
            quantity: 0,
            ..input()
        };
        assert_eq!(
            fields(check(&future, day(5))),
            ["quantity", "producedOn", "inspectedOn"]
        );
    }

    #[test]
    fn a_lot_not_inspected_has_no_inspection_date() {
        let none = LotInput {
            inspection_result: InspectionResult::NotInspected,
            inspected_on: None,
            inspection_body: None,
            inspection_report_no: None,
            ..input()
        };
        assert!(fields(check(&none, day(5))).is_empty());
        let dated = LotInput {
            inspected_on: Some(day(2)),
            ..none
        };
        assert_eq!(fields(check(&dated, day(5))), ["inspectedOn"]);
    }

    #[test]
    fn codes_are_read_as_typed_or_scanned() {
        let code = new_code();
        assert_eq!(code.len(), 18);
        assert_eq!(normalize(&code).as_deref(), Some(code.as_str()));
        assert_ne!(new_code(), code, "random");
        assert_eq!(
            normalize(" fp0123-4567-89ab-cdef ").as_deref(),
            Some("FP0123456789ABCDEF")
        );
        assert_eq!(
            normalize("FPO1IL456789ABCDEF").as_deref(),
            Some("FP0111456789ABCDEF")
        );
        assert_eq!(normalize("FP0123456789ABCDE"), None, "too short");
        assert_eq!(normalize("FP0123456789ABCDEFG"), None, "too long");
        assert_eq!(
            normalize("FP0123456789ABCDEU"),
            None,
            "U is not in the alphabet"
        );
        assert_eq!(normalize("XX0123456789ABCDEF"), None, "wrong prefix");
        assert_eq!(normalize(""), None);
    }
}
