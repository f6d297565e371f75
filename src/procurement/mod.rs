//! Procurement: orders from buyers to producers, with stock reserved at ordering and every
//! transition recorded.

pub mod agreements;
pub mod agreements_api;
pub mod orders;
pub mod orders_api;
