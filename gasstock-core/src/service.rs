//! The workflows of docs/api.md over the [`Store`]: validate, authorize, compute, then one atomic
//! store operation. The server and the CLI call only this.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;

use crate::commands::{
    Decision, FeedbackDraft, FeedbackInput, InvoiceDraft, InvoiceInput, OrderFilter, OrderInput, PageRequest,
    Registration, StockItemInput, StockQuery,
};
use crate::domain::{
    dummy_hash, hash_password, verify_password, Amount, Email, InvoiceStatus, Msisdn, OrderStatus, OrderTransition,
    Password, PaymentMethod, Role,
};
use crate::error::{Error, Result};
use crate::models::{Delivery, Feedback, Invoice, Order, Paged, RatingSummary, StatusEvent, StockItem, User};
use crate::policy::{authorize, is_admin, visible_order, Actor, Operation};
use crate::store::{NewUserRecord, Store};

/// The gasstock application core. Cheap to clone; share one per process.
#[derive(Debug, Clone)]
pub struct Gasstock {
    store: Store,
    /// argon2 takes ~20 MiB and tens of milliseconds per hash: bounding how many run at once
    /// keeps a login storm from starving every other request of CPU and memory.
    password_slots: Arc<Semaphore>,
    /// Wakes the payment collector (`payments::Collector::run`) when a request-to-pay is due.
    payments_wake: Arc<tokio::sync::Notify>,
}

impl Gasstock {
    pub fn new(store: Store) -> Self {
        let slots = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        let payments_wake = Arc::new(tokio::sync::Notify::new());
        Gasstock { store, password_slots: Arc::new(Semaphore::new(slots)), payments_wake }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// What the payment collector waits on between rounds.
    pub fn payments_wake(&self) -> Arc<tokio::sync::Notify> {
        self.payments_wake.clone()
    }

    pub(crate) fn wake_payments(&self) {
        self.payments_wake.notify_one();
    }

    /// Runs a CPU-heavy password job on the blocking pool, a bounded number at a time.
    pub(crate) async fn password_job<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let _slot = self.password_slots.acquire().await.map_err(Error::internal)?;
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(job)).await.map_err(Error::internal)
    }

    // --- accounts -------------------------------------------------------------------------

    /// Self-service sign-up for buyers and sellers. A taken email is a `duplicate_email`
    /// conflict (the contract's 409) whose message does not repeat the address: the answer
    /// goes to whoever asked, who may not own it (docs/api.md, "Auth").
    pub async fn register(&self, registration: Registration) -> Result<User> {
        let valid = registration.validate()?;
        let created = self
            .create_user(
                valid.email,
                valid.password,
                valid.name.into_string(),
                valid.role,
                valid.phone.map(|p| p.into_string()),
                valid.location.map(|l| l.into_string()),
            )
            .await;
        created.map_err(|err| match err {
            Error::Conflict { code: "duplicate_email", .. } => {
                Error::conflict("duplicate_email", "this email is already registered")
            }
            other => other,
        })
    }

    /// Creates an admin (the CLI's `users create-admin`).
    pub async fn create_admin(&self, email: &str, name: Option<&str>, password: &str) -> Result<User> {
        let registration = Registration {
            email: email.to_owned(),
            password: password.to_owned(),
            name: name.unwrap_or("Administrator").to_owned(),
            role: Role::Admin.as_str().to_owned(),
            phone: None,
            location: None,
        };
        let valid = registration.validate_any_role(Role::Admin)?;
        self.create_user(valid.email, valid.password, valid.name.into_string(), Role::Admin, None, None).await
    }

    async fn create_user(
        &self,
        email: Email,
        password: Password,
        name: String,
        role: Role,
        phone: Option<String>,
        location: Option<String>,
    ) -> Result<User> {
        let password_hash = self.password_job(move || hash_password(&password)).await??;
        self.store
            .insert_user(NewUserRecord { email: email.as_str().to_owned(), name, role, phone, location, password_hash })
            .await
    }

    /// The user with these credentials. A wrong email and a wrong password give the same
    /// error and cost the same time.
    pub async fn verify_credentials(&self, email: &str, password: &str) -> Result<User> {
        let wrong = || Error::Unauthenticated("wrong email or password".into());
        let found = self.store.find_credentials(&Email::sign_in_key(email)).await?;
        let candidate = password.to_owned();
        let (user, hash) = match found {
            Some((user, hash)) => (Some(user), hash),
            None => (None, dummy_hash().to_owned()),
        };
        let matches = self.password_job(move || verify_password(&candidate, &hash)).await?;
        match user {
            Some(user) if matches => Ok(user),
            _ => Err(wrong()),
        }
    }

    pub async fn user(&self, id: i64) -> Result<Option<User>> {
        self.store.get_user(id).await
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<User>> {
        let email: Email = email.parse()?;
        self.store.find_user_by_email(email.as_str()).await
    }

    pub async fn list_users(&self, actor: &Actor, role: Option<Role>, page: PageRequest) -> Result<Paged<User>> {
        authorize(actor, Operation::ManageUsers)?;
        self.store.list_users(role, page).await
    }

    /// An admin acting from the CLI: the account must exist and be an admin.
    pub async fn admin_actor(&self, email: &str) -> Result<Actor> {
        let user = self.user_by_email(email).await?.ok_or_else(|| Error::not_found("user", email))?;
        let actor = Actor::new(user.id, user.role);
        if !is_admin(&actor) {
            return Err(Error::forbidden(format!("{email} is not an admin")));
        }
        Ok(actor)
    }

    pub async fn revoke_token(&self, jti: &str, expires_at: DateTime<Utc>) -> Result<()> {
        self.store.revoke_token(jti, expires_at).await
    }

    pub async fn is_token_revoked(&self, jti: &str) -> Result<bool> {
        self.store.is_token_revoked(jti).await
    }

    /// Every revoked, unexpired token id: one statement, for a cache of revocations.
    pub async fn revoked_token_ids(&self) -> Result<Vec<String>> {
        self.store.revoked_token_ids().await
    }

    pub async fn ready(&self) -> Result<()> {
        self.store.ping().await
    }

    // --- stock ----------------------------------------------------------------------------

    /// Adds or updates one of the seller's items; `true` when it was created.
    pub async fn upsert_stock_item(&self, actor: &Actor, input: &StockItemInput) -> Result<(StockItem, bool)> {
        authorize(actor, Operation::ManageInventory)?;
        let draft = input.validate()?;
        self.store.upsert_stock_item(actor.user_id, draft).await
    }

    /// What buyers can order: items in stock, filtered case-insensitively.
    pub async fn browse_stock(&self, query: &StockQuery, page: PageRequest) -> Result<Paged<StockItem>> {
        self.store.list_stock(query.validate()?, page).await
    }

    /// One stock item by id, for any signed-in user, including when it is out of stock (a
    /// buyer's app shows an item it linked to before); 404 when there is none.
    pub async fn stock_item(&self, id: i64) -> Result<StockItem> {
        self.store.get_stock_item(id).await?.ok_or_else(|| Error::not_found("stock item", id))
    }

    /// A seller's own items, including those at quantity 0.
    pub async fn seller_inventory(&self, actor: &Actor, page: PageRequest) -> Result<Paged<StockItem>> {
        authorize(actor, Operation::ManageInventory)?;
        let filter =
            crate::commands::StockFilter { seller_id: Some(actor.user_id), in_stock_only: false, ..Default::default() };
        self.store.list_stock(filter, page).await
    }

    // --- orders ---------------------------------------------------------------------------

    /// Reserves the stock and creates a pending order; `false` when an idempotent retry
    /// returned the order the key first created.
    pub async fn place_order(
        &self,
        actor: &Actor,
        input: &OrderInput,
        idempotency_key: Option<&str>,
    ) -> Result<(Order, bool)> {
        authorize(actor, Operation::PlaceOrder)?;
        let mut draft = input.validate(actor.user_id, idempotency_key)?;
        if draft.payment_method == PaymentMethod::MobileMoney && draft.payer_phone.is_none() {
            draft.payer_phone = Some(self.account_payer_phone(actor.user_id).await?);
        }
        self.store.place_order(draft).await
    }

    /// Mobile money with no `payer_phone`: the buyer's account phone, when it is a
    /// mobile-money number. Otherwise the account has none to use: a conflict with its state,
    /// not a malformed request.
    async fn account_payer_phone(&self, buyer_id: i64) -> Result<Msisdn> {
        let phone = self.store.get_user(buyer_id).await?.and_then(|user| user.phone);
        phone.and_then(|phone| phone.parse::<Msisdn>().ok()).ok_or_else(|| {
            Error::conflict(
                "payer_phone_required",
                "mobile money needs a payer_phone: give one, or a mobile-money number as the account's phone",
            )
        })
    }

    pub async fn order(&self, actor: &Actor, id: i64) -> Result<Order> {
        visible_order(actor, self.store.get_order(id).await?, id)
    }

    pub async fn my_orders(&self, actor: &Actor, page: PageRequest) -> Result<Paged<Order>> {
        authorize(actor, Operation::ListOwnOrders)?;
        self.store.list_orders(OrderFilter { buyer_id: Some(actor.user_id), ..Default::default() }, page).await
    }

    pub async fn seller_orders(
        &self,
        actor: &Actor,
        status: Option<OrderStatus>,
        page: PageRequest,
    ) -> Result<Paged<Order>> {
        authorize(actor, Operation::ListSellerOrders)?;
        self.store.list_orders(OrderFilter { seller_id: Some(actor.user_id), status, ..Default::default() }, page).await
    }

    /// Admin queue, oldest first.
    pub async fn pending_orders(&self, actor: &Actor, page: PageRequest) -> Result<Paged<Order>> {
        authorize(actor, Operation::ReviewOrders)?;
        let filter = OrderFilter { status: Some(OrderStatus::Pending), oldest_first: true, ..Default::default() };
        self.store.list_orders(filter, page).await
    }

    /// Any orders, for admins (reports, the CLI's listings).
    pub async fn all_orders(&self, actor: &Actor, filter: OrderFilter, page: PageRequest) -> Result<Paged<Order>> {
        authorize(actor, Operation::ReviewOrders)?;
        self.store.list_orders(filter, page).await
    }

    /// The buyer cancels a pending order; its stock goes back.
    pub async fn cancel_order(&self, actor: &Actor, id: i64) -> Result<Order> {
        let order = self.order(actor, id).await?;
        authorize(actor, Operation::CancelOrder)?;
        if order.buyer_id != actor.user_id {
            return Err(Error::not_found("order", id));
        }
        self.store.transition_order(id, OrderTransition::Cancel, actor.user_id, None).await
    }

    /// An admin approves or rejects a pending order; a rejection gives the stock back.
    pub async fn decide_order(&self, actor: &Actor, id: i64, decision: &Decision) -> Result<Order> {
        authorize(actor, Operation::ReviewOrders)?;
        let reason = decision.reason()?;
        let transition = if decision.approve { OrderTransition::Approve } else { OrderTransition::Reject };
        self.store.transition_order(id, transition, actor.user_id, reason).await
    }

    /// The order's status history: for its buyer, its seller and admins.
    pub async fn order_history(&self, actor: &Actor, id: i64) -> Result<Vec<StatusEvent>> {
        self.order(actor, id).await?;
        self.store.order_events(id).await
    }

    // --- invoices and payment -------------------------------------------------------------

    /// The seller invoices its own approved order: amount = the order's total (quantity x
    /// frozen unit price, plus the frozen deposits of new cylinders) + delivery fee, computed
    /// here and never taken from the client.
    pub async fn submit_invoice(&self, actor: &Actor, input: &InvoiceInput) -> Result<Invoice> {
        authorize(actor, Operation::SubmitInvoice)?;
        let order = self.order(actor, input.order_id).await?;
        let (delivery_fee, notes) = input.checked_fields()?;
        let delivery_fee = self.zone_fee_or(&order, input.delivery_fee, delivery_fee).await?;
        // The frozen price as stored: an order placed before prices were bounded is still invoiced.
        let gas = Amount::stored(order.unit_price, "unit_price")?.times(order.quantity)?;
        let amount = gas.plus(Amount::stored(order.deposit_amount, "deposit_amount")?)?.plus(delivery_fee)?;
        let draft = InvoiceDraft {
            order_id: order.id,
            seller_id: order.seller_id,
            amount,
            delivery_fee,
            currency: order.currency,
            notes,
        };
        self.store.submit_invoice(draft, actor.user_id).await
    }

    pub async fn pending_invoices(&self, actor: &Actor, page: PageRequest) -> Result<Paged<Invoice>> {
        authorize(actor, Operation::ReviewInvoices)?;
        self.store.list_invoices(Some(InvoiceStatus::Pending), None, page).await
    }

    /// An admin approves or rejects a pending invoice; a rejection sends the order back to
    /// approved so that the seller can invoice again.
    pub async fn decide_invoice(&self, actor: &Actor, id: i64, decision: &Decision) -> Result<Invoice> {
        authorize(actor, Operation::ReviewInvoices)?;
        let reason = decision.reason()?;
        let invoice = self.store.decide_invoice(id, decision.approve, actor.user_id, reason).await?;
        if decision.approve {
            self.wake_payments(); // a mobile-money order's request-to-pay is due
        }
        Ok(invoice)
    }

    /// An admin confirms delivery of an order whose invoice is approved, releasing its one
    /// payment to the seller.
    pub async fn confirm_delivery(&self, actor: &Actor, order_id: i64) -> Result<Delivery> {
        authorize(actor, Operation::ConfirmDelivery)?;
        let delivery = self.store.confirm_delivery(order_id, actor.user_id, OrderStatus::Invoiced, None).await?;
        self.wake_payments(); // a mobile-money order's payout is now owed
        Ok(delivery)
    }

    // --- feedback -------------------------------------------------------------------------

    /// The buyer rates a delivered order, once.
    pub async fn leave_feedback(&self, actor: &Actor, input: &FeedbackInput) -> Result<Feedback> {
        authorize(actor, Operation::LeaveFeedback)?;
        let (rating, comment) = input.checked_fields()?;
        let order = self.order(actor, input.order_id).await?;
        if order.status != OrderStatus::Delivered {
            return Err(Error::conflict_with(
                "invalid_state",
                format!("order is {}: feedback is for {} orders", order.status, OrderStatus::Delivered),
                serde_json::json!({ "status": order.status.as_str(), "required": OrderStatus::Delivered.as_str() }),
            ));
        }
        let draft =
            FeedbackDraft { order_id: order.id, buyer_id: actor.user_id, seller_id: order.seller_id, rating, comment };
        self.store.insert_feedback(draft).await
    }

    pub async fn seller_rating(&self, seller_id: i64) -> Result<RatingSummary> {
        self.store.seller_rating(seller_id).await
    }
}
