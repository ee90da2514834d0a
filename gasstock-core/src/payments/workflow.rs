//! The payment workflows on [`Gasstock`]: who may see an order's payment, who may retry it.

use super::provider::Reference;
use crate::commands::PageRequest;
use crate::domain::{Msisdn, PayoutStatus};
use crate::error::{Error, Result};
use crate::models::{Collection, OrderPayment, Paged, Payout, PayoutReportRow};
use crate::policy::{authorize, Actor, Operation};
use crate::service::Gasstock;

impl Gasstock {
    /// `GET /orders/{id}/payment`: for the order's buyer, its seller and admins.
    pub async fn order_payment(&self, actor: &Actor, order_id: i64) -> Result<OrderPayment> {
        let order = self.order(actor, order_id).await?;
        let attempts = self.store().order_collections(order_id).await?;
        Ok(OrderPayment {
            order_id,
            payment_method: order.payment_method,
            collection: attempts.last().cloned(),
            attempts,
            payment: self.store().order_released_payment(order_id).await?,
            payout: self.store().order_payout(order_id).await?,
        })
    }

    /// `POST /orders/{id}/pay`: the buyer retries a failed mobile-money payment; a new
    /// request-to-pay under a new reference, sent by the collector at once.
    pub async fn retry_payment(&self, actor: &Actor, order_id: i64) -> Result<Collection> {
        let order = self.order(actor, order_id).await?;
        authorize(actor, Operation::PlaceOrder)?;
        if order.buyer_id != actor.user_id {
            return Err(Error::not_found("order", order_id));
        }
        let collection = self.store().retry_collection(order_id, actor.user_id).await?;
        self.wake_payments();
        Ok(collection)
    }

    /// A provider callback named `reference`: only a hint. Unknown or malformed references
    /// are ignored (the provider gets the same answer either way).
    pub fn reference_from_callback(body: &serde_json::Value, query: Option<&str>) -> Option<Reference> {
        let named = [query, body["referenceId"].as_str(), body["externalId"].as_str()];
        named.into_iter().flatten().find_map(|text| text.parse().ok())
    }

    /// `GET /admin/payouts`: admins, newest first, optionally of one status.
    pub async fn payouts(
        &self,
        actor: &Actor,
        status: Option<PayoutStatus>,
        page: PageRequest,
    ) -> Result<Paged<Payout>> {
        authorize(actor, Operation::ViewReports)?;
        self.store().list_payouts(status, page).await
    }

    /// `gasstock payouts retry ID`: an admin queues a failed payout again, under a new
    /// reference (the failed transfer moved no money).
    pub async fn retry_payout(&self, actor: &Actor, id: i64) -> Result<Payout> {
        authorize(actor, Operation::ConfirmDelivery)?;
        let payout = self.store().retry_payout(id).await?;
        self.wake_payments();
        Ok(payout)
    }

    /// `gasstock report payouts`: per seller, collected, commission, paid, failed, outstanding.
    pub async fn payout_report(&self, actor: &Actor) -> Result<Vec<PayoutReportRow>> {
        authorize(actor, Operation::ViewReports)?;
        self.store().payout_report().await
    }

    /// A seller sets (or, with `None`, clears) the mobile-money number payouts go to.
    pub async fn set_payout_phone(&self, actor: &Actor, phone: Option<&str>) -> Result<Option<String>> {
        authorize(actor, Operation::ManageInventory)?;
        let phone = phone
            .map(|text| {
                text.parse::<Msisdn>().map_err(|err| match err {
                    Error::Invalid { message, .. } => Error::invalid("payout_phone", message),
                    other => other,
                })
            })
            .transpose()?
            .map(|phone| phone.as_str().to_owned());
        self.store().set_payout_phone(actor.user_id, phone.clone()).await?;
        self.wake_payments(); // payouts that failed for want of a number wait for an admin's retry
        Ok(phone)
    }

    pub async fn payout_phone(&self, actor: &Actor) -> Result<Option<String>> {
        authorize(actor, Operation::ManageInventory)?;
        self.store().payout_phone(actor.user_id).await
    }
}
