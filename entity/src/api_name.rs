//! The one mapping between an enumeration's variants and the text that is stored, hashed,
//! exported and shown: the value each variant declares with `#[sea_orm(string_value = …)]`.
//! Never `format!("{:?}")` (it follows the Rust name, so renaming a variant would change stored
//! data and every ledger hash) and never serde's defaults. A test checks every variant's declared
//! value equals its GraphQL enum value, so the database, the ledger and the API cannot drift.

use sea_orm::ActiveEnum;

/// A variant's stable name (`CANTEEN`, `GRAIN_OIL`, `SALE`), and parsing it back.
pub trait ApiName: ActiveEnum<Value = String> + Copy {
    /// The declared value: what the database stores and GraphQL calls the variant.
    fn api_name(self) -> String {
        self.to_value()
    }

    /// The variant with this declared value, if any.
    fn from_api_name(name: &str) -> Option<Self> {
        Self::try_from_value(&name.to_owned()).ok()
    }
}

impl<T: ActiveEnum<Value = String> + Copy> ApiName for T {}

/// The GraphQL value of an enumeration that is not stored in a column of its own (roles,
/// summary dimensions): the name async-graphql serves for it.
pub fn graphql_name<T: async_graphql::resolver_utils::EnumType>(value: T) -> &'static str {
    T::items()
        .iter()
        .find(|item| item.value == value)
        .map_or("", |item| item.name)
}

#[cfg(test)]
mod tests {
    use super::ApiName;
    use async_graphql::resolver_utils::EnumType;
    use sea_orm::Iterable;
    use std::fmt::Debug;

    /// Every variant's declared value is its GraphQL value and parses back to it.
    fn declared_equals_graphql<T>()
    where
        T: ApiName + EnumType + Iterable + Debug,
    {
        let items = T::items();
        assert_eq!(
            items.len(),
            T::iter().count(),
            "{}: GraphQL and the database list the same variants",
            std::any::type_name::<T>()
        );
        for variant in T::iter() {
            let graphql = items
                .iter()
                .find(|item| item.value == variant)
                .map(|item| item.name);
            assert_eq!(
                Some(variant.api_name().as_str()),
                graphql,
                "{}::{variant:?}",
                std::any::type_name::<T>()
            );
            assert_eq!(T::from_api_name(&variant.api_name()), Some(variant));
        }
        assert_eq!(T::from_api_name("not a variant"), None);
        for item in items {
            assert_eq!(super::graphql_name(item.value), item.name);
        }
    }

    #[test]
    fn every_stored_enum_declares_its_graphql_value() {
        use crate::*;
        declared_equals_graphql::<agreement::AgreementStatus>();
        declared_equals_graphql::<buyer::BuyerKind>();
        declared_equals_graphql::<certification_review::ReviewStage>();
        declared_equals_graphql::<certification_review::ReviewDecision>();
        declared_equals_graphql::<ledger_entry::LedgerEntryKind>();
        declared_equals_graphql::<ledger_entry::LedgerChannel>();
        declared_equals_graphql::<ledger_entry::Purpose>();
        declared_equals_graphql::<membership::MemberRole>();
        declared_equals_graphql::<order::OrderStatus>();
        declared_equals_graphql::<order::PaymentTerms>();
        declared_equals_graphql::<organization::OrganizationKind>();
        declared_equals_graphql::<pairing::PairingKind>();
        declared_equals_graphql::<payment::PaymentMethod>();
        declared_equals_graphql::<payment::PaymentStatus>();
        declared_equals_graphql::<procurement_declaration::CanteenArrangement>();
        declared_equals_graphql::<producer::ProducerKind>();
        declared_equals_graphql::<producer::VerificationStatus>();
        declared_equals_graphql::<producer::CreditStatus>();
        declared_equals_graphql::<product::ProductCategory>();
        declared_equals_graphql::<product::ProductStatus>();
        declared_equals_graphql::<product::QualityMark>();
        declared_equals_graphql::<region::RegionLevel>();
        declared_equals_graphql::<region::PovertyStatus>();
        declared_equals_graphql::<role_grant::PlatformRole>();
        declared_equals_graphql::<unsold_alert::UnsoldKind>();
        declared_equals_graphql::<unsold_alert::UnsoldStatus>();
        declared_equals_graphql::<user::UserStatus>();
    }
}
