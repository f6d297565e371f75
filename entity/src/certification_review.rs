use sea_orm::entity::prelude::*;

/// One reviewer's decision at one stage ("whoever reviews is responsible").
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certification_reviews")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub certification_id: Uuid,
    pub stage: ReviewStage,
    pub reviewer_id: Uuid,
    pub decision: ReviewDecision,
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
    pub reviewed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReviewStage {
    /// Township (or sector) first review.
    #[sea_orm(string_value = "FIRST")]
    First,
    /// The county office's decision.
    #[sea_orm(string_value = "COUNTY")]
    County,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ReviewDecision {
    #[sea_orm(string_value = "APPROVE")]
    Approve,
    #[sea_orm(string_value = "REJECT")]
    Reject,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
