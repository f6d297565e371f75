use sea_orm::entity::prelude::*;

/// One product's sales in an outlet report. A correction's line names the line it reduces
/// (`corrects_line_id`) and holds the corrected figures. `counted_*` is what enters (or
/// entered) the ledger: the quantity beyond what the operator's own platform orders already
/// counted, and its amount pro rata.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outlet_report_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub report_id: Uuid,
    /// Position in the report (1-based; a spreadsheet's data row).
    pub row_no: i32,
    pub product_id: Uuid,
    pub producer_org_id: Uuid,
    pub quantity: i64,
    pub amount_fen: i64,
    pub sold_on: Date,
    /// Whether the product was a certified poverty-alleviation product on `sold_on`.
    pub certified: bool,
    pub corrects_line_id: Option<Uuid>,
    pub already_counted_quantity: i64,
    pub counted_quantity: i64,
    pub counted_amount_fen: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
