use sea_orm::entity::prelude::*;

/// A link that moves one buying unit's purchases into another unit's count (an outsourced
/// canteen's contractor, a shared canteen, a canteen, union or staff below a unit). Declared by
/// one side, it counts nothing until the other side confirms it; either side may revoke it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "unit_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: UnitLinkKind,
    /// The unit whose count the purchases join.
    pub unit_org_id: Uuid,
    /// The unit whose purchases count toward `unit_org_id`.
    pub counted_org_id: Uuid,
    /// The declaration year for contractor and shared-canteen links; null for standing links.
    pub year: Option<i32>,
    pub status: UnitLinkStatus,
    pub proposed_by: Option<Uuid>,
    pub proposed_at: DateTimeUtc,
    pub confirmed_by: Option<Uuid>,
    pub confirmed_at: Option<DateTimeUtc>,
    pub revoked_by: Option<Uuid>,
    pub revoked_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub revoke_reason: Option<String>,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum UnitLinkKind {
    /// The unit's outsourced canteen contractor buys on its account (declared by the unit for a
    /// year; the contractor confirms).
    #[sea_orm(string_value = "CONTRACTOR")]
    Contractor,
    /// A unit eats at the unit's canteen, which declares for both (declared by the sharing unit
    /// for a year; the unit confirms).
    #[sea_orm(string_value = "SHARED_CANTEEN")]
    SharedCanteen,
    /// The unit's own canteen, registered as a buyer below it (declared by the canteen through
    /// its parent; the unit confirms). Counts in years the unit declares `OWN_CANTEEN`.
    #[sea_orm(string_value = "CANTEEN")]
    Canteen,
    /// The unit's trade union, registered below it.
    #[sea_orm(string_value = "UNION")]
    Union,
    /// The unit's staff, registered below it as individuals.
    #[sea_orm(string_value = "STAFF")]
    Staff,
    /// Any other unit below it (a subsidiary with its own budget): counts nothing.
    #[sea_orm(string_value = "SUBUNIT")]
    Subunit,
}

impl UnitLinkKind {
    /// Whether the unit that receives the count declared the link (so the counted unit confirms
    /// it); otherwise the counted unit declared it and the receiving unit confirms.
    pub fn declared_by_unit(self) -> bool {
        self == Self::Contractor
    }

    /// Links made by naming a parent unit (`parentId`), as opposed to a year's declaration.
    pub fn is_parent_link(self) -> bool {
        matches!(
            self,
            Self::Canteen | Self::Union | Self::Staff | Self::Subunit
        )
    }
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum UnitLinkStatus {
    /// Declared by one side, awaiting the other: counts nothing.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "CONFIRMED")]
    Confirmed,
    /// Refused or ended by either side (or replaced by a new declaration): counts nothing.
    #[sea_orm(string_value = "REVOKED")]
    Revoked,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
