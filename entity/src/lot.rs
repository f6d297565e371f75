use sea_orm::entity::prelude::*;

/// A lot of a product: what was produced or harvested on one day, where, and how it was
/// inspected; its trace code is printed on the goods and answered in public.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "lots")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub trace_code: String,
    pub product_id: Uuid,
    pub producer_org_id: Uuid,
    /// Harvest or production date.
    pub produced_on: Date,
    pub quantity: i64,
    /// How much of it shipments have named (never more than `quantity`).
    pub shipped_quantity: i64,
    pub origin_village_code: String,
    pub inspection_result: InspectionResult,
    pub inspected_on: Option<Date>,
    /// Who inspected (产地准出 inspection body).
    pub inspection_body: Option<String>,
    pub inspection_report_no: Option<String>,
    pub recorded_by: Uuid,
    pub recorded_at: DateTimeUtc,
}

/// The lot's origin inspection (产地准出).
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[graphql(name = "LotInspectionResult")]
pub enum InspectionResult {
    /// 合格.
    #[sea_orm(string_value = "QUALIFIED")]
    Qualified,
    /// 不合格: the lot is on record, but no shipment may name it.
    #[sea_orm(string_value = "UNQUALIFIED")]
    Unqualified,
    #[sea_orm(string_value = "NOT_INSPECTED")]
    NotInspected,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
