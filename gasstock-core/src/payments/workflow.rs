//! The payment workflows on [`Gasstock`]: who may see an order's payment, who may retry it.

use super::provider::Reference;
use crate::error::{Error, Result};
use crate::models::{Collection, OrderPayment};
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
}
