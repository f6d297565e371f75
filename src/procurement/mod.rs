//! Procurement: orders from buyers to producers, with stock reserved at ordering and every
//! transition recorded (`orders`, `orders_api`), and the directed procurement agreements they
//! may be placed under (`agreements`, `agreements_api`).

pub mod agreements;
pub mod agreements_api;
pub mod orders;
pub mod orders_api;
