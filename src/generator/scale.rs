//! How much a generated data set holds, and the fixed vocabulary it is drawn from.

use clap::ValueEnum;
use entity::{buyer::BuyerKind, producer::ProducerKind, product::ProductCategory};

/// A named size. `large` is the benchmark's data set; `tiny` fits the demo's embedded division
/// subset, for tests.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScaleName {
    Tiny,
    Small,
    Large,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Scale {
    pub counties: usize,
    pub villages_per_county: usize,
    pub producers: usize,
    pub products_per_producer: usize,
    pub buyers: usize,
    pub orders: usize,
    /// Lines per order are drawn from 1 to this; with ~92% of orders received, 200,000 orders
    /// of up to 10 lines give about 1,000,000 ledger entries.
    pub max_lines: usize,
}

impl ScaleName {
    pub fn scale(self) -> Scale {
        match self {
            Self::Tiny => Scale {
                counties: 5,
                villages_per_county: 10,
                producers: 60,
                products_per_producer: 5,
                buyers: 20,
                orders: 400,
                max_lines: 4,
            },
            Self::Small => Scale {
                counties: 20,
                villages_per_county: 30,
                producers: 1_000,
                products_per_producer: 10,
                buyers: 500,
                orders: 20_000,
                max_lines: 10,
            },
            Self::Large => Scale {
                counties: 100,
                villages_per_county: 30,
                producers: 10_000,
                products_per_producer: 10,
                buyers: 5_000,
                orders: 200_000,
                max_lines: 10,
            },
        }
    }
}

/// Picks an index with probability proportional to its weight.
pub fn weighted(rng: &mut impl rand::Rng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut at = rng.random_range(0..total.max(1));
    for (i, w) in weights.iter().enumerate() {
        if at < *w {
            return i;
        }
        at -= w;
    }
    weights.len() - 1
}

/// A category, its share of products, its price range in fen and what is sold under it.
pub struct CategoryKind {
    pub category: ProductCategory,
    pub weight: u32,
    pub price_fen: (i64, i64),
    pub items: &'static [(&'static str, &'static str, &'static str)],
}

/// (item, spec, unit) per category; names get the county's name in front, as local brands do.
pub const CATEGORIES: [CategoryKind; 13] = [
    CategoryKind {
        category: ProductCategory::GrainOil,
        weight: 15,
        price_fen: (1_500, 12_000),
        items: &[
            ("小米", "5kg/袋", "袋"),
            ("大米", "10kg/袋", "袋"),
            ("荞麦面", "2.5kg/袋", "袋"),
            ("菜籽油", "5L/桶", "桶"),
            ("燕麦片", "1kg/袋", "袋"),
        ],
    },
    CategoryKind {
        category: ProductCategory::Vegetables,
        weight: 15,
        price_fen: (300, 2_500),
        items: &[
            ("土豆", "1kg", "kg"),
            ("大白菜", "1kg", "kg"),
            ("辣椒", "500g", "斤"),
            ("白萝卜", "1kg", "kg"),
            ("生姜", "500g", "斤"),
        ],
    },
    CategoryKind {
        category: ProductCategory::Fruit,
        weight: 15,
        price_fen: (800, 9_000),
        items: &[
            ("苹果", "5kg/箱", "箱"),
            ("猕猴桃", "3kg/箱", "箱"),
            ("红枣", "1kg/袋", "袋"),
            ("核桃", "1kg/袋", "袋"),
            ("脐橙", "5kg/箱", "箱"),
        ],
    },
    CategoryKind {
        category: ProductCategory::Meat,
        weight: 10,
        price_fen: (3_000, 16_000),
        items: &[
            ("黑猪肉", "1kg", "kg"),
            ("牛肉", "1kg", "kg"),
            ("羊肉", "1kg", "kg"),
            ("腊肉", "500g/袋", "袋"),
        ],
    },
    CategoryKind {
        category: ProductCategory::PoultryEggs,
        weight: 8,
        price_fen: (1_500, 12_000),
        items: &[
            ("土鸡蛋", "30枚/盒", "盒"),
            ("散养鸡", "1.5kg/只", "只"),
            ("鸭蛋", "20枚/盒", "盒"),
        ],
    },
    CategoryKind {
        category: ProductCategory::Aquatic,
        weight: 4,
        price_fen: (1_500, 8_000),
        items: &[
            ("鲤鱼", "1kg", "kg"),
            ("草鱼", "1kg", "kg"),
            ("小龙虾", "1kg", "kg"),
        ],
    },
    CategoryKind {
        category: ProductCategory::EdibleFungi,
        weight: 8,
        price_fen: (2_000, 15_000),
        items: &[
            ("香菇", "500g/袋", "袋"),
            ("黑木耳", "250g/袋", "袋"),
            ("羊肚菌", "100g/盒", "盒"),
        ],
    },
    CategoryKind {
        category: ProductCategory::HerbalMedicine,
        weight: 6,
        price_fen: (2_000, 20_000),
        items: &[
            ("黄芪", "500g/袋", "袋"),
            ("党参", "500g/袋", "袋"),
            ("枸杞", "500g/袋", "袋"),
        ],
    },
    CategoryKind {
        category: ProductCategory::Tea,
        weight: 5,
        price_fen: (5_000, 40_000),
        items: &[
            ("绿茶", "250g/罐", "罐"),
            ("红茶", "250g/罐", "罐"),
            ("苦荞茶", "500g/盒", "盒"),
        ],
    },
    CategoryKind {
        category: ProductCategory::ProcessedFood,
        weight: 10,
        price_fen: (800, 6_000),
        items: &[
            ("红薯粉条", "2.5kg/袋", "袋"),
            ("手工挂面", "2kg/箱", "箱"),
            ("豆瓣酱", "1kg/瓶", "瓶"),
            ("腐竹", "500g/袋", "袋"),
        ],
    },
    CategoryKind {
        category: ProductCategory::Handicrafts,
        weight: 2,
        price_fen: (3_000, 30_000),
        items: &[("竹编篮", "1个", "个"), ("刺绣挎包", "1个", "个")],
    },
    CategoryKind {
        category: ProductCategory::RuralTourism,
        weight: 1,
        price_fen: (10_000, 60_000),
        items: &[("农家乐套餐", "4人", "份")],
    },
    CategoryKind {
        category: ProductCategory::LabourServices,
        weight: 1,
        price_fen: (15_000, 50_000),
        items: &[("保洁服务", "1人天", "人天")],
    },
];

pub const PRODUCER_KINDS: [(ProducerKind, u32); 6] = [
    (ProducerKind::Cooperative, 40),
    (ProducerKind::FamilyFarm, 20),
    (ProducerKind::LeadingEnterprise, 10),
    (ProducerKind::PovertyWorkshop, 10),
    (ProducerKind::VillageCollective, 10),
    (ProducerKind::Household, 10),
];

pub const BUYER_KINDS: [(BuyerKind, u32, &str); 7] = [
    (BuyerKind::Agency, 40, "机关食堂"),
    (BuyerKind::School, 15, "学校"),
    (BuyerKind::Hospital, 10, "医院"),
    (BuyerKind::StateEnterprise, 10, "国有企业"),
    (BuyerKind::Canteen, 10, "食堂"),
    (BuyerKind::Supermarket, 10, "超市"),
    (BuyerKind::ArmyUnit, 5, "部队"),
];

/// Provinces whose cities help (东西部协作 and 京津冀 partners); poor counties come from the rest.
pub const HELPER_PROVINCES: [&str; 8] = ["11", "12", "31", "32", "33", "35", "37", "44"];
