use sea_orm::entity::prelude::*;

/// One part of an order on its way: carrier and waybill (none for self-delivery), expected
/// arrival, then its receipt and inspection (验货) by the buyer, and the producer's confirmation
/// that the goods rejected at inspection came back.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "shipments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub order_id: Uuid,
    /// 1, 2, … within the order.
    pub number: i32,
    pub carrier: Option<String>,
    pub waybill_no: Option<String>,
    pub expected_arrival: Option<Date>,
    pub shipped_by: Uuid,
    pub shipped_at: DateTimeUtc,
    pub received_by: Option<Uuid>,
    pub received_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub inspection_report: Option<String>,
    pub rejected_returned_by: Option<Uuid>,
    pub rejected_returned_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
