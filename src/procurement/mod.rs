//! Procurement: orders from buyers to producers, with stock reserved at ordering and every
//! transition recorded (`orders`, `orders_api`), and the directed procurement agreements they
//! may be placed under (`agreements`, `agreements_api`), and paying for them (`accounts`, `payments`,
//! `payments_api`, and the overdue check `overdue`), shipping them in parts and receiving them
//! part by part (`shipments`, `shipments_api`).

pub mod accounts;
pub mod after_sales;
pub mod after_sales_api;
pub mod agreements;
pub mod agreements_api;
pub mod invoices;
pub mod orders;
pub mod orders_api;
pub mod overdue;
pub mod payments;
pub mod payments_api;
pub mod shipments;
pub mod shipments_api;
