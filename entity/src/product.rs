use sea_orm::entity::prelude::*;

/// A product in the catalogue. Region, poverty rank, listing and certification dates are copied
/// from the producer, region and certificate so that search filters and sorts use one table.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub producer_org_id: Uuid,
    pub name: String,
    pub category: ProductCategory,
    pub spec: String,
    pub unit: String,
    pub price_fen: i64,
    pub min_order_quantity: i32,
    pub stock: i64,
    #[sea_orm(column_type = "Text")]
    pub origin_statement: String,
    /// JSON array of image URLs.
    #[sea_orm(column_type = "Text")]
    pub images: String,
    /// Bit set of `QualityMark`s.
    pub quality_marks: i32,
    pub trace_code: Option<String>,
    /// The producer's own code for the product, unique per producer.
    pub sku: Option<String>,
    pub status: ProductStatus,
    pub region_code: String,
    pub poverty_rank: i16,
    pub listed: bool,
    pub price_flag_median_fen: Option<i64>,
    pub certified_from: Option<Date>,
    pub certified_until: Option<Date>,
    /// When it was last ordered: the unsold-produce scan looks for products not ordered lately.
    pub last_ordered_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl Model {
    pub fn certified_on(&self, day: Date) -> bool {
        matches!((self.certified_from, self.certified_until), (Some(from), Some(until)) if from <= day && day <= until)
    }
}

/// The catalogue's categories (seed 000's list).
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
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum ProductCategory {
    /// 粮油
    #[sea_orm(string_value = "GRAIN_OIL")]
    GrainOil,
    /// 蔬菜
    #[sea_orm(string_value = "VEGETABLES")]
    Vegetables,
    /// 水果
    #[sea_orm(string_value = "FRUIT")]
    Fruit,
    /// 肉类
    #[sea_orm(string_value = "MEAT")]
    Meat,
    /// 禽蛋
    #[sea_orm(string_value = "POULTRY_EGGS")]
    PoultryEggs,
    /// 水产
    #[sea_orm(string_value = "AQUATIC")]
    Aquatic,
    /// 食用菌
    #[sea_orm(string_value = "EDIBLE_FUNGI")]
    EdibleFungi,
    /// 中药材
    #[sea_orm(string_value = "HERBAL_MEDICINE")]
    HerbalMedicine,
    /// 茶叶
    #[sea_orm(string_value = "TEA")]
    Tea,
    /// 加工食品
    #[sea_orm(string_value = "PROCESSED_FOOD")]
    ProcessedFood,
    /// 手工艺品
    #[sea_orm(string_value = "HANDICRAFTS")]
    Handicrafts,
    /// 乡村旅游
    #[sea_orm(string_value = "RURAL_TOURISM")]
    RuralTourism,
    /// 劳务 (e.g. domestic work)
    #[sea_orm(string_value = "LABOUR_SERVICES")]
    LabourServices,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, async_graphql::Enum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ProductStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "PUBLISHED")]
    Published,
    #[sea_orm(string_value = "UNPUBLISHED")]
    Unpublished,
}

/// Quality marks: a product's verified, unexpired ones stored as bits (`quality_marks`), each
/// certificate by name (`quality_mark_certificates.mark`).
#[derive(
    Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, async_graphql::Enum,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum QualityMark {
    /// 绿色食品
    #[sea_orm(string_value = "GREEN_FOOD")]
    GreenFood,
    /// 有机
    #[sea_orm(string_value = "ORGANIC")]
    Organic,
    /// 地理标志
    #[sea_orm(string_value = "GEOGRAPHICAL_INDICATION")]
    GeographicalIndication,
    /// 区域性扶贫产品标识
    #[sea_orm(string_value = "REGIONAL_BRAND")]
    RegionalBrand,
}

impl QualityMark {
    pub const ALL: [QualityMark; 4] = [
        Self::GreenFood,
        Self::Organic,
        Self::GeographicalIndication,
        Self::RegionalBrand,
    ];

    pub fn bit(self) -> i32 {
        1 << (self as i32)
    }

    pub fn mask(marks: &[QualityMark]) -> i32 {
        marks.iter().fold(0, |mask, m| mask | m.bit())
    }

    pub fn from_mask(mask: i32) -> Vec<QualityMark> {
        Self::ALL
            .into_iter()
            .filter(|m| mask & m.bit() != 0)
            .collect()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
