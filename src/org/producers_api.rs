//! Producers in the API: the `Producer` type, the `producers` query, and `createProducer`,
//! `updateProducer`, `verifyProducer`, `suspendProducer`, `reinstateProducer` with their payload.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, SimpleObject};
use entity::{
    organization,
    producer::{self, CreditStatus, LinkageMode, ProducerKind, VerificationStatus},
    product::ProductStatus,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::{
    organizations_api::Organization,
    producers::{self, ProducerChanges, ProducerInput, ProducerRecord, StandingAction},
    reputation::{self as rules_reputation, ProducerOrder},
};
use crate::{
    auth::{Role, RoleGuard, Viewer, visibility::Sight},
    catalogue::{
        products_api::{Product, ProductFilterInput, product_page},
        search::ProductSort,
    },
    error::{Result, payload},
    graphql::{
        context::services,
        context::{caller, loaders},
        scalars::DateTime,
    },
    ids::{self, NodeKind},
    loaders::{ProducerById, RegionByCode},
    pagination::{self, Page, PageArgs},
    region::{regions_api::Region, subtree},
};

/// A producer (经营主体): an organisation that sells, with its benefit linkage and standing.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Producer {
    #[graphql(owned)]
    pub id: ID,
    pub name: String,
    pub kind: ProducerKind,
    /// Unified social credit code (统一社会信用代码).
    pub licence_no: Option<String>,
    pub linkage: BenefitLinkage,
    pub verification_status: VerificationStatus,
    pub verified_at: Option<DateTime>,
    pub credit_status: CreditStatus,
    /// Why it was last suspended or reinstated.
    pub credit_reason: Option<String>,
    /// Verified and in good standing: its products are listed and may be ordered.
    pub in_good_standing: bool,
    /// Its public track record with buyers.
    pub reputation: Reputation,
    #[graphql(skip)]
    pub org: organization::Model,
    #[graphql(skip)]
    pub profile: producer::Model,
}

/// A producer's track record with buyers, for anyone who can see the producer. Rates are
/// between 0 and 1, null while there is nothing to count.
#[derive(SimpleObject)]
pub struct Reputation {
    /// The average of buyers' ratings (1–5, `rateOrder`).
    pub rating_average: Option<f64>,
    pub rating_count: i64,
    /// Of the orders it shipped, the share whose first shipment left within 3 days of
    /// confirmation.
    pub on_time_shipment_rate: Option<f64>,
    pub shipped_orders: i64,
    /// Of the orders received, the share with an after-sales request escalated to an officer
    /// (`escalateReturn`).
    pub dispute_rate: Option<f64>,
    pub received_orders: i64,
}

impl From<&rules_reputation::Reputation> for Reputation {
    fn from(r: &rules_reputation::Reputation) -> Self {
        Self {
            rating_average: r.rating_average,
            rating_count: r.rating_count,
            on_time_shipment_rate: r.on_time_rate,
            shipped_orders: r.shipped_orders,
            dispute_rate: r.dispute_rate,
            received_orders: r.received_orders,
        }
    }
}

impl From<ProducerRecord> for Producer {
    fn from((org, profile): ProducerRecord) -> Self {
        Self {
            id: NodeKind::Producer.id(org.id),
            name: org.name.clone(),
            kind: profile.kind,
            licence_no: profile.licence_no.clone(),
            linkage: BenefitLinkage {
                modes: LinkageMode::parse_list(&profile.linkage_modes),
                poor_households_linked: profile.poor_households_linked,
                profit_share_percent: profile.profit_share_percent,
            },
            verification_status: profile.verification_status,
            verified_at: profile.verified_at.map(Into::into),
            credit_status: profile.credit_status,
            credit_reason: profile.credit_reason.clone(),
            in_good_standing: profile.in_good_standing(),
            reputation: Reputation::from(&rules_reputation::Reputation::from(&profile)),
            org,
            profile,
        }
    }
}

/// How a producer lifts registered poor households (利益联结).
#[derive(SimpleObject)]
pub struct BenefitLinkage {
    pub modes: Vec<LinkageMode>,
    /// Registered poor households employed, bought from, or sharing profit (带动贫困户数).
    pub poor_households_linked: i32,
    pub profit_share_percent: i32,
}

#[derive(SimpleObject)]
pub struct Contact {
    pub name: String,
    pub phone: String,
}

#[ComplexObject]
impl Producer {
    async fn region(&self, ctx: &Context<'_>) -> Result<Option<Region>> {
        let loaders = loaders(ctx)?;
        Ok(loaders
            .load_one(RegionByCode(self.profile.region_code.clone()))
            .await?
            .map(Region::from))
    }

    /// For signed-in users only.
    async fn contact(&self, ctx: &Context<'_>) -> Option<Contact> {
        ctx.data_opt::<Viewer>().map(|_| Contact {
            name: self.profile.contact_name.clone(),
            phone: self.profile.contact_phone.clone(),
        })
    }

    async fn organization(&self) -> Organization {
        Organization::from(self.org.clone())
    }

    /// Its licences, commitment letters and other files, oldest first: for its members and
    /// staff over its region (empty for others).
    async fn files(&self, ctx: &Context<'_>) -> Result<Vec<crate::files::files_api::File>> {
        crate::files::files_api::files_of(ctx, NodeKind::Producer, self.org.id).await
    }

    /// Its products: listed ones for everyone; with `includeUnlisted`, drafts too (its members
    /// and platform staff).
    #[graphql(complexity = "pagination::complexity(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn products(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] include_unlisted: bool,
        statuses: Option<Vec<ProductStatus>>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Product>> {
        let filter = ProductFilterInput {
            producer_id: Some(self.id.clone()),
            include_unlisted,
            statuses,
            ..ProductFilterInput::default()
        };
        product_page(
            ctx,
            filter,
            Some(ProductSort::Newest),
            PageArgs::new(first, after, last, before),
        )
        .await
    }
}

impl Producer {
    /// The producer registered for organisation `id`, through the request's batch loader.
    pub async fn load(ctx: &Context<'_>, id: uuid::Uuid) -> Result<Option<Self>> {
        Ok(loaders(ctx)?
            .load_one(ProducerById(id))
            .await?
            .map(Producer::from))
    }
}

#[derive(InputObject, Default)]
pub struct ProducerFilter {
    /// Division code: this region and everything below it.
    pub region_code: Option<String>,
    pub kinds: Option<Vec<ProducerKind>>,
    /// Staff only; others see verified producers in good standing.
    pub verification_status: Option<VerificationStatus>,
    /// Staff only.
    pub credit_status: Option<CreditStatus>,
    /// Part of the name. At most 100 characters; `%` and `_` match only themselves.
    pub text: Option<String>,
}

#[derive(Default)]
pub struct ProducerQuery;

#[Object]
impl ProducerQuery {
    /// The producer registry: verified producers in good standing for everyone; the others only
    /// for their own members and for staff whose region covers them (as `node` does).
    #[graphql(complexity = "pagination::complexity(first, last, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn producers(
        &self,
        ctx: &Context<'_>,
        filter: Option<ProducerFilter>,
        #[graphql(desc = "By ID unless asked: by rating, on-time shipment or fewest disputes.")]
        sort: Option<ProducerOrder>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Page<Producer>> {
        let filter = filter.unwrap_or_default();
        let sort = sort.unwrap_or_default();
        let viewer = ctx.data_opt::<Viewer>();
        let sight = Sight::of(&services(ctx)?.db, viewer).await?;
        // The same rule as `node`: verified producers in good standing, plus the viewer's own
        // and, for staff, those of their region.
        let mut select = producer::Entity::find()
            .filter(sight.producers())
            .find_also_related(organization::Entity);
        if viewer.is_some_and(Viewer::is_staff) {
            if let Some(status) = filter.verification_status {
                select = select.filter(producer::Column::VerificationStatus.eq(status));
            }
            if let Some(status) = filter.credit_status {
                select = select.filter(producer::Column::CreditStatus.eq(status));
            }
        }
        if let Some(code) = &filter.region_code {
            select = select.filter(subtree(producer::Column::RegionCode, code));
        }
        if let Some(kinds) = filter.kinds {
            select = select.filter(producer::Column::Kind.is_in(kinds));
        }
        if let Some(text) = crate::text::filter_text(filter.text.as_deref())? {
            select = select.filter(crate::text::contains(organization::Column::Name, text));
        }
        let page = pagination::paginate_pairs(
            &services(ctx)?.db,
            select,
            &rules_reputation::sort_keys(sort),
            &PageArgs::new(first, after, last, before),
            |(p, _)| rules_reputation::sort_values(sort, p),
            |(profile, org)| org.map(|org| Producer::from((org, profile))),
        )
        .await?;
        Ok(page)
    }
}

#[derive(InputObject)]
pub struct CreateProducerInput {
    /// An existing producer organisation you administer (from `register`); omit to create one.
    pub organization_id: Option<ID>,
    pub name: String,
    pub kind: ProducerKind,
    /// Where it produces: a county, township or village code.
    pub region_code: String,
    pub licence_no: Option<String>,
    pub contact_name: String,
    pub contact_phone: String,
    pub linkage_modes: Vec<LinkageMode>,
    pub poor_households_linked: i32,
    #[graphql(default)]
    pub profit_share_percent: i32,
}

#[derive(InputObject)]
pub struct UpdateProducerInput {
    pub id: ID,
    pub name: Option<String>,
    pub kind: Option<ProducerKind>,
    /// Moving sends the producer back to verification.
    pub region_code: Option<String>,
    pub licence_no: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub linkage_modes: Option<Vec<LinkageMode>>,
    pub poor_households_linked: Option<i32>,
    pub profit_share_percent: Option<i32>,
}

#[derive(InputObject)]
pub struct ProducerStandingInput {
    pub producer_id: ID,
    /// Required to suspend or reinstate.
    pub reason: Option<String>,
}

crate::payload! {
    ProducerPayload {
        producer: Option<Producer>
    } from ProducerRecord => |record: ProducerRecord| Some(record.into())
}

#[derive(Default)]
pub struct ProducerMutation;

impl ProducerMutation {
    async fn standing(
        ctx: &Context<'_>,
        input: ProducerStandingInput,
        action: StandingAction,
    ) -> Result<ProducerPayload> {
        let id = ids::expect(&input.producer_id, NodeKind::Producer, "producerId")?;
        payload(producers::change_standing(caller(ctx)?, id, action, input.reason).await)
    }
}

#[Object]
impl ProducerMutation {
    /// Registers a producer with its benefit linkage; it sells once an officer verifies it.
    #[graphql(guard = "RoleGuard::signed_in()")]
    async fn create_producer(
        &self,
        ctx: &Context<'_>,
        input: CreateProducerInput,
    ) -> Result<ProducerPayload> {
        let organization_id = input
            .organization_id
            .as_ref()
            .map(|id| ids::expect(id, NodeKind::Organization, "organizationId"))
            .transpose()?;
        let producer = ProducerInput {
            name: input.name,
            kind: input.kind,
            region_code: input.region_code,
            licence_no: input.licence_no,
            contact_name: input.contact_name,
            contact_phone: input.contact_phone,
            linkage_modes: input.linkage_modes,
            poor_households_linked: input.poor_households_linked,
            profit_share_percent: input.profit_share_percent,
        };
        payload(producers::create(caller(ctx)?, organization_id, producer).await)
    }

    /// Changes a producer's registry entry (its admins).
    #[graphql(guard = "RoleGuard::any(&[Role::Producer, Role::Admin])")]
    async fn update_producer(
        &self,
        ctx: &Context<'_>,
        input: UpdateProducerInput,
    ) -> Result<ProducerPayload> {
        let id = ids::expect(&input.id, NodeKind::Producer, "id")?;
        let changes = ProducerChanges {
            name: input.name,
            kind: input.kind,
            region_code: input.region_code,
            licence_no: input.licence_no,
            contact_name: input.contact_name,
            contact_phone: input.contact_phone,
            linkage_modes: input.linkage_modes,
            poor_households_linked: input.poor_households_linked,
            profit_share_percent: input.profit_share_percent,
        };
        payload(producers::update(caller(ctx)?, id, changes).await)
    }

    /// Verifies a producer (officers whose region covers it).
    #[graphql(guard = "RoleGuard::any(&[Role::Officer, Role::Admin])")]
    async fn verify_producer(
        &self,
        ctx: &Context<'_>,
        input: ProducerStandingInput,
    ) -> Result<ProducerPayload> {
        Self::standing(ctx, input, StandingAction::Verify).await
    }

    /// Suspends a producer, with a reason: its products leave the catalogue.
    #[graphql(guard = "RoleGuard::any(&[Role::Officer, Role::Admin])")]
    async fn suspend_producer(
        &self,
        ctx: &Context<'_>,
        input: ProducerStandingInput,
    ) -> Result<ProducerPayload> {
        Self::standing(ctx, input, StandingAction::Suspend).await
    }

    /// Restores a suspended producer's good standing, with a reason.
    #[graphql(guard = "RoleGuard::any(&[Role::Officer, Role::Admin])")]
    async fn reinstate_producer(
        &self,
        ctx: &Context<'_>,
        input: ProducerStandingInput,
    ) -> Result<ProducerPayload> {
        Self::standing(ctx, input, StandingAction::Reinstate).await
    }
}
