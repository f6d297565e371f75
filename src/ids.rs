//! Opaque global IDs: `base64url("<Type>:<uuid>")`. Clients must not parse them; the type prefix
//! lets `node(id)` dispatch, and UUIDv7 keys leak no counts (sequential IDs would tell competing
//! producers each other's order volumes).

use async_graphql::ID;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Every type that implements `Node`.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum NodeKind {
    User,
    Organization,
    Region,
    Pairing,
    Producer,
    Buyer,
    Product,
    Certification,
    Order,
    OrderLine,
    LedgerEntry,
    Agreement,
    UnsoldAlert,
    PurchaseDrive,
    UnitLink,
    TaskAllocation,
    RedWarning,
    ClosedPeriod,
    Fair,
    FairSalesReport,
    Demand,
    Quote,
    Outlet,
    OutletReport,
    OutletReportLine,
    Payment,
    Lot,
    File,
    Shipment,
    ReturnRequest,
    Invoice,
    QualityMarkCertificate,
    WebhookEndpoint,
    WebhookDelivery,
}

impl NodeKind {
    pub const ALL: [NodeKind; 34] = [
        NodeKind::User,
        NodeKind::Organization,
        NodeKind::Region,
        NodeKind::Pairing,
        NodeKind::Producer,
        NodeKind::Buyer,
        NodeKind::Product,
        NodeKind::Certification,
        NodeKind::Order,
        NodeKind::OrderLine,
        NodeKind::LedgerEntry,
        NodeKind::Agreement,
        NodeKind::UnsoldAlert,
        NodeKind::PurchaseDrive,
        NodeKind::UnitLink,
        NodeKind::TaskAllocation,
        NodeKind::RedWarning,
        NodeKind::ClosedPeriod,
        NodeKind::Fair,
        NodeKind::FairSalesReport,
        NodeKind::Demand,
        NodeKind::Quote,
        NodeKind::Outlet,
        NodeKind::OutletReport,
        NodeKind::OutletReportLine,
        NodeKind::Payment,
        NodeKind::Lot,
        NodeKind::File,
        NodeKind::Shipment,
        NodeKind::ReturnRequest,
        NodeKind::Invoice,
        NodeKind::QualityMarkCertificate,
        NodeKind::WebhookEndpoint,
        NodeKind::WebhookDelivery,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Organization => "Organization",
            Self::Region => "Region",
            Self::Pairing => "Pairing",
            Self::Producer => "Producer",
            Self::Buyer => "Buyer",
            Self::Product => "Product",
            Self::Certification => "Certification",
            Self::Order => "Order",
            Self::OrderLine => "OrderLine",
            Self::LedgerEntry => "LedgerEntry",
            Self::Agreement => "Agreement",
            Self::UnsoldAlert => "UnsoldAlert",
            Self::PurchaseDrive => "PurchaseDrive",
            Self::UnitLink => "UnitLink",
            Self::TaskAllocation => "TaskAllocation",
            Self::RedWarning => "RedWarning",
            Self::ClosedPeriod => "ClosedPeriod",
            Self::Fair => "Fair",
            Self::FairSalesReport => "FairSalesReport",
            Self::Demand => "Demand",
            Self::Quote => "Quote",
            Self::Outlet => "Outlet",
            Self::OutletReport => "OutletReport",
            Self::OutletReportLine => "OutletReportLine",
            Self::Payment => "Payment",
            Self::Lot => "Lot",
            Self::File => "File",
            Self::Shipment => "Shipment",
            Self::ReturnRequest => "ReturnRequest",
            Self::Invoice => "Invoice",
            Self::QualityMarkCertificate => "QualityMarkCertificate",
            Self::WebhookEndpoint => "WebhookEndpoint",
            Self::WebhookDelivery => "WebhookDelivery",
        }
    }

    pub fn id(self, uuid: Uuid) -> ID {
        self.keyed(&uuid.simple().to_string())
    }

    /// An ID over a natural key (a region's division code).
    pub fn keyed(self, key: &str) -> ID {
        ID(URL_SAFE_NO_PAD.encode(format!("{}:{key}", self.name())))
    }
}

/// Decodes any global ID into its kind and key; `None` when it is not one of ours. Keys are what
/// we issue (a UUID's hex digits, a division code), so nothing else inside an ID (a NUL byte,
/// say) ever reaches a query.
pub fn decode_key(id: &str) -> Option<(NodeKind, String)> {
    if id.len() > 128 {
        return None;
    }
    let raw = URL_SAFE_NO_PAD.decode(id).ok()?;
    let text = std::str::from_utf8(&raw).ok()?;
    let (name, key) = text.split_once(':')?;
    let kind = NodeKind::ALL.into_iter().find(|k| k.name() == name)?;
    let issued =
        !key.is_empty() && key.len() <= 36 && key.bytes().all(|b| b.is_ascii_alphanumeric());
    issued.then(|| (kind, key.to_owned()))
}

/// Decodes a UUID-keyed global ID.
pub fn decode(id: &str) -> Option<(NodeKind, Uuid)> {
    let (kind, key) = decode_key(id)?;
    Some((kind, Uuid::try_parse(&key).ok()?))
}

/// A region's division code from its ID.
pub fn expect_region(id: &ID, field: &str) -> AppResult<String> {
    match decode_key(id) {
        Some((NodeKind::Region, code)) => Ok(code),
        _ => Err(AppError::BadInput(msg!(
            "ids.not_valid_region_id",
            field = field
        ))),
    }
}

/// Decodes an ID that must be of `kind`; `field` names the argument in the error.
pub fn expect(id: &ID, kind: NodeKind, field: &str) -> AppResult<Uuid> {
    match decode(id) {
        Some((found, uuid)) if found == kind => Ok(uuid),
        _ => Err(AppError::BadInput(msg!(
            "ids.not_valid_id",
            field = field,
            kind = kind.name()
        ))),
    }
}

/// A fresh time-ordered key.
pub fn new_uuid() -> Uuid {
    Uuid::now_v7()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_foreign_ids() {
        let uuid = new_uuid();
        let id = NodeKind::User.id(uuid);
        assert_eq!(decode(&id), Some((NodeKind::User, uuid)));
        assert!(!id.contains(&uuid.simple().to_string()), "the ID is opaque");
        assert!(expect(&id, NodeKind::Organization, "id").is_err());
        assert_eq!(decode("not-an-id"), None);
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode("User:42")), None);
        assert_eq!(decode_key(&URL_SAFE_NO_PAD.encode("Region:13\0")), None);
        assert_eq!(decode_key(&URL_SAFE_NO_PAD.encode("Region:红薯")), None);
        assert_eq!(
            decode_key(&NodeKind::Region.keyed("130126")),
            Some((NodeKind::Region, "130126".to_owned()))
        );
    }
}
