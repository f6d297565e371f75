use sea_orm::entity::prelude::*;

/// An administrative division keyed by its national code (GB/T 2260 and the statistics codes).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "regions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name: String,
    pub level: RegionLevel,
    pub parent_code: Option<String>,
    pub poverty_status: PovertyStatus,
    pub exit_year: Option<i32>,
}

#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))")]
pub enum RegionLevel {
    #[sea_orm(string_value = "PROVINCE")]
    Province,
    #[sea_orm(string_value = "CITY")]
    City,
    #[sea_orm(string_value = "COUNTY")]
    County,
    #[sea_orm(string_value = "TOWNSHIP")]
    Township,
    #[sea_orm(string_value = "VILLAGE")]
    Village,
}

impl RegionLevel {
    /// Every level, top down.
    pub const ALL: [Self; 5] = [
        Self::Province,
        Self::City,
        Self::County,
        Self::Township,
        Self::Village,
    ];

    /// The level a division code of this length names.
    pub fn of_code(code: &str) -> Option<Self> {
        match code.len() {
            2 => Some(Self::Province),
            4 => Some(Self::City),
            6 => Some(Self::County),
            9 => Some(Self::Township),
            12 => Some(Self::Village),
            _ => None,
        }
    }
}

/// Poverty status (贫困县 / 深度贫困县 / 建档立卡贫困村, 摘帽 / 出列).
#[derive(
    Copy,
    Clone,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PovertyStatus {
    #[sea_orm(string_value = "NOT_POOR")]
    NotPoor,
    #[sea_orm(string_value = "POOR")]
    Poor,
    #[sea_orm(string_value = "DEEP_POVERTY")]
    DeepPoverty,
    /// Exited poverty (摘帽 / 出列) in `exitYear`.
    #[sea_orm(string_value = "EXITED")]
    Exited,
}

impl PovertyStatus {
    /// Priority among comparable offers: deep poverty first, then poor, then exited, then the rest.
    pub fn rank(self) -> i16 {
        match self {
            Self::DeepPoverty => 0,
            Self::Poor => 1,
            Self::Exited => 2,
            Self::NotPoor => 3,
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
