use sea_orm::entity::prelude::*;

/// A fair or matchmaking event (产销对接大会) with free exhibition space: a sales channel whose
/// orders and accepted on-site sales the ledger counts toward it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "fairs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub venue_region_code: String,
    pub starts_on: Date,
    pub ends_on: Date,
    /// The buyer organisation that answers for on-site sales as the buyer side.
    pub organiser_org_id: Uuid,
    pub target_fen: Option<i64>,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
}

impl Model {
    /// Whether the fair runs on `day`.
    pub fn runs_on(&self, day: Date) -> bool {
        self.starts_on <= day && day <= self.ends_on
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
