use sea_orm::entity::prelude::*;

use crate::region::PovertyStatus;

/// One change of a region's poverty status, effective from a date: the ledger classifies a sale
/// by the status its region had on the sale's date.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "region_status_history")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub region_code: String,
    pub status: PovertyStatus,
    pub exit_year: Option<i32>,
    pub effective_from: Date,
    pub recorded_by: Option<Uuid>,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
