//! The subscription root (`orderEvents`, `unsoldAlerts`, `redWarnings`, `demandPosted`,
//! `paymentOverdue`, `qualityMarkExpiring`, `webhookEndpointDisabled`, `ledgerTally`). Each subscription
//! checks the viewer's rights once when it starts and filters every event by them; what an
//! event shows is read fresh from the database.

use std::sync::Arc;

use async_graphql::{Context, Subscription};
use entity::{ledger_entry, ledger_head, red_warning, unsold_alert};
use futures_util::{Stream, StreamExt, future, stream};
use sea_orm::{
    ColumnTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, sea_query::Expr,
};

use super::events::Event;
use crate::{
    auth::{scope, viewer, visibility::Sight},
    catalogue::{
        quality_marks,
        quality_marks_api::{QualityMarkCertificate, QualityMarkWarning},
    },
    error::{AppError, AppResult, Result},
    graphql::{
        context::services,
        scalars::{Date, DateTime, Money},
    },
    ledger::ledger_api::LedgerTally,
    org::membership::membership_of,
    procurement::{
        orders_api::{Order, OrderEvent, PaymentWarning},
        overdue,
    },
    region::subtree,
    reporting::{reach::WarningReach, warnings_api::RedWarning},
    trade::{demands, demands_api::Demand},
    unsold::{reach::AlertReach, unsold_api::UnsoldAlert},
    webhooks::{endpoints as webhook_rules, webhooks_api::WebhookEndpoint},
};

#[derive(Default)]
pub struct LiveSubscription;

#[Subscription(name = "Subscription")]
impl LiveSubscription {
    /// Every state change of orders the viewer's organisation is party to.
    async fn order_events(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = OrderEvent> + use<>> {
        let services = services(ctx)?;
        let viewer = viewer(ctx)?;
        let organization = membership_of(&services.db, viewer.user_id)
            .await?
            .map(|m| m.organization_id)
            .ok_or(AppError::Forbidden(
                "forbidden.order_events_members_buyer_unit_producer",
            ))?;
        Ok(services.bus.subscribe().filter_map(move |event| {
            future::ready(match &*event {
                Event::OrderChanged(changed) if changed.concerns(organization) => {
                    changed.to_row().map(OrderEvent::from)
                }
                _ => None,
            })
        }))
    }

    /// New unsold-produce warnings the viewer may see, optionally in one region's subtree.
    async fn unsold_alerts(
        &self,
        ctx: &Context<'_>,
        region_code: Option<String>,
    ) -> Result<impl Stream<Item = UnsoldAlert> + use<>> {
        let services = services(ctx)?.clone();
        let reach = AlertReach::of(&services.db, viewer(ctx)?).await?;
        reach.condition()?;
        let wanted = move |code: &str, producer| {
            reach.allows(code, producer)
                && region_code.as_deref().is_none_or(|r| code.starts_with(r))
        };
        Ok(services.bus.subscribe().filter_map(move |event| {
            let services = services.clone();
            let flagged = match &*event {
                Event::UnsoldFlagged(f) if wanted(&f.region_code, f.producer_org_id) => {
                    Some(f.alert_id)
                }
                _ => None,
            };
            async move {
                let id = flagged?;
                match unsold_alert::Entity::find_by_id(id).one(&services.db).await {
                    Ok(found) => found.map(UnsoldAlert::from),
                    Err(error) => {
                        tracing::warn!(%error, "cannot load a flagged warning");
                        None
                    }
                }
            }
        }))
    }

    /// Red warnings as the periodic check opens, updates and closes them: those of places the
    /// viewer's staff scope covers and the viewer's own unit's, optionally in one subtree.
    async fn red_warnings(
        &self,
        ctx: &Context<'_>,
        region_code: Option<String>,
    ) -> Result<impl Stream<Item = RedWarning> + use<>> {
        let services = services(ctx)?.clone();
        let reach = WarningReach::of(&services.db, viewer(ctx)?).await?;
        reach.condition()?;
        Ok(services.bus.subscribe().filter_map(move |event| {
            let services = services.clone();
            let changed = match &*event {
                Event::RedWarningChanged(w)
                    if reach.allows(&w.region_code, w.buyer_id)
                        && region_code
                            .as_deref()
                            .is_none_or(|r| w.region_code.starts_with(r)) =>
                {
                    Some(w.warning_id)
                }
                _ => None,
            };
            async move {
                let id = changed?;
                match red_warning::Entity::find_by_id(id).one(&services.db).await {
                    Ok(found) => found.map(RedWarning::from),
                    Err(error) => {
                        tracing::warn!(%error, "cannot load a red warning");
                        None
                    }
                }
            }
        }))
    }

    /// Needs as buyers post them, for a producer's members: those of a category the producer
    /// has listed products in, optionally delivered in one region's subtree.
    async fn demand_posted(
        &self,
        ctx: &Context<'_>,
        region_code: Option<String>,
    ) -> Result<impl Stream<Item = Demand> + use<>> {
        let services = services(ctx)?.clone();
        let producer = demands::watching_producer(&services.db, viewer(ctx)?).await?;
        Ok(services.bus.subscribe().filter_map(move |event| {
            let services = services.clone();
            let posted = match &*event {
                Event::DemandPosted(p)
                    if region_code
                        .as_deref()
                        .is_none_or(|r| p.region_code.starts_with(r)) =>
                {
                    Some(p.demand_id)
                }
                _ => None,
            };
            async move {
                let id = posted?;
                match demands::posted_for(&services.db, producer, id).await {
                    Ok(found) => found.map(Demand::from),
                    Err(error) => {
                        tracing::warn!(error = %error.message(), "cannot load a posted need");
                        None
                    }
                }
            }
        }))
    }

    /// Warnings that an order's payment is overdue, as the periodic check finds them (once
    /// per due date): for the order's two parties, the units supervising the buyer, and
    /// officers whose scope covers either party, as `overduePayments` lists them.
    async fn payment_overdue(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = PaymentWarning> + use<>> {
        let services = services(ctx)?.clone();
        let visible = Sight::of(&services.db, Some(viewer(ctx)?))
            .await?
            .payment_follow_up();
        Ok(services.bus.subscribe().filter_map(move |event| {
            let (services, visible) = (services.clone(), visible.clone());
            let warned = match &*event {
                Event::PaymentOverdue(w) => Some(w.clone()),
                _ => None,
            };
            async move {
                let w = warned?;
                match overdue::warned_order(&services.db, visible, w.order_id).await {
                    Ok(found) => found.map(|order| PaymentWarning {
                        order: Order::from(order),
                        due_on: Date(w.due_on),
                        amount_due: Money(w.due_fen),
                    }),
                    Err(error) => {
                        tracing::warn!(error = %error.message(), "cannot load an overdue order");
                        None
                    }
                }
            }
        }))
    }

    /// Warnings that a verified quality-mark certificate expires within 30 days, and then that
    /// it expired and its mark was taken off the product (once each): for the producer's
    /// members and officers whose scope covers the product's place.
    async fn quality_mark_expiring(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = QualityMarkWarning> + use<>> {
        let services = services(ctx)?.clone();
        let visible = Sight::of(&services.db, Some(viewer(ctx)?))
            .await?
            .quality_mark_certificates();
        Ok(services.bus.subscribe().filter_map(move |event| {
            let (services, visible) = (services.clone(), visible.clone());
            let warned = match &*event {
                Event::QualityMarkExpiring(w) => Some(w.clone()),
                _ => None,
            };
            async move {
                let w = warned?;
                let found =
                    quality_marks::warned_certificate(&services.db, visible, w.certificate_id)
                        .await;
                match found {
                    Ok(found) => found.map(|row| QualityMarkWarning {
                        certificate: QualityMarkCertificate::from(row),
                        valid_until: Date(w.valid_until),
                        expired: w.expired,
                    }),
                    Err(error) => {
                        tracing::warn!(error = %error.message(), "cannot load a warned certificate");
                        None
                    }
                }
            }
        }))
    }

    /// Warnings that the dispatcher disabled one of the organisation's webhook endpoints because
    /// its deliveries kept failing for a day: for the organisation's admins.
    async fn webhook_endpoint_disabled(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = WebhookEndpoint> + use<>> {
        let services = services(ctx)?.clone();
        // Refuses anyone but an organisation's admin, as the endpoints themselves do.
        webhook_rules::list(&services.db, viewer(ctx)?).await?;
        let viewer = viewer(ctx)?.clone();
        Ok(services.bus.subscribe().filter_map(move |event| {
            let (services, viewer) = (services.clone(), viewer.clone());
            let disabled = match &*event {
                Event::WebhookEndpointDisabled(d) => Some(d.endpoint_id),
                _ => None,
            };
            async move {
                let found =
                    webhook_rules::endpoint_of_admin(&services.db, &viewer, disabled?).await;
                found.ok().map(WebhookEndpoint::from)
            }
        }))
    }

    /// Running totals of a region subtree's ledger (staff of that region): the totals now,
    /// then again each time a receipt or refund lands there.
    async fn ledger_tally(
        &self,
        ctx: &Context<'_>,
        region_code: String,
    ) -> Result<impl Stream<Item = LedgerTally> + use<>> {
        let services = services(ctx)?;
        let viewer = viewer(ctx)?;
        if !scope::reading(&services.db, viewer)
            .await?
            .covers(&region_code)
        {
            return Err(AppError::Forbidden(
                "forbidden.region_s_ledger_outside_your_scope",
            ));
        }
        crate::region::regions::require(
            &services.db,
            &region_code,
            "regionCode",
            &entity::region::RegionLevel::ALL,
        )
        .await?;
        // Subscribe before reading the totals: nothing lands between the two unseen.
        let events = services.bus.subscribe();
        let start = totals_now(&services.db, &region_code).await?;
        let first = stream::once(future::ready(start.clone()));
        let updates = events.scan(start, move |tally, event| {
            future::ready(Some(tally.apply(&event, &region_code)))
        });
        Ok(first.chain(updates.filter_map(future::ready)))
    }
}

#[derive(FromQueryResult)]
struct Sums {
    amount_fen: i64,
    quantity: i64,
    entries: i64,
}

/// The subtree's totals as of the ledger's current tip.
async fn totals_now(db: &sea_orm::DatabaseConnection, code: &str) -> AppResult<LedgerTally> {
    let head = ledger_head::Entity::find_by_id(1)
        .one(db)
        .await?
        .map_or(0, |h| h.seq);
    let sums = ledger_entry::Entity::find()
        .select_only()
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT)"),
            "amount_fen",
        )
        .expr_as(
            Expr::cust("CAST(COALESCE(SUM(quantity), 0) AS BIGINT)"),
            "quantity",
        )
        .expr_as(Expr::cust("COUNT(*)"), "entries")
        .filter(subtree(ledger_entry::Column::RegionCode, code))
        .filter(ledger_entry::Column::Seq.lte(head))
        .into_model::<Sums>()
        .one(db)
        .await?;
    let sums = sums.unwrap_or(Sums {
        amount_fen: 0,
        quantity: 0,
        entries: 0,
    });
    Ok(LedgerTally {
        region_code: code.to_owned(),
        amount: Money(sums.amount_fen),
        quantity: sums.quantity,
        entries: sums.entries,
        change: Money(0),
        base_seq: head,
        at: DateTime(chrono::Utc::now()),
    })
}

impl LedgerTally {
    /// The totals after an event, if the event adds anything to this subtree.
    fn apply(&mut self, event: &Arc<Event>, code: &str) -> Option<LedgerTally> {
        let Event::LedgerAppended(appended) = &**event else {
            return None;
        };
        let mut change = 0;
        let mut touched = false;
        for entry in &appended.entries {
            // Entries up to the tip the totals were read at are counted already.
            if entry.seq <= self.base_seq || !entry.region_code.starts_with(code) {
                continue;
            }
            touched = true;
            change += entry.amount_fen;
            self.amount.0 += entry.amount_fen;
            self.quantity += entry.quantity;
            self.entries += 1;
        }
        touched.then(|| LedgerTally {
            change: Money(change),
            at: DateTime(appended.at),
            ..self.clone()
        })
    }
}
