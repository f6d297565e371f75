//! The catalogue (特色农产品目录): products, their certification as poverty-alleviation products
//! (扶贫产品认定), lots with their trace codes (产品追溯), and the search buyers use. Rules in
//! `products`, `certification`, `lots` and `search`; their resolvers in `products_api`,
//! `certification_api` and `lots_api`.

pub mod certification;
pub mod certification_api;
pub mod import;
pub mod lots;
pub mod lots_api;
pub mod products;
pub mod products_api;
pub mod quality_marks;
pub mod quality_marks_api;
pub mod search;
