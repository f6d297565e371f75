//! The catalogue (特色农产品目录): products, their certification as poverty-alleviation products
//! (扶贫产品认定), and the search buyers use. Rules in `products`, `certification` and `search`;
//! their resolvers in `products_api` and `certification_api`.

pub mod certification;
pub mod certification_api;
pub mod products;
pub mod products_api;
pub mod search;
