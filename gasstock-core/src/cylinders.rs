//! Cylinders as LPG is sold, on top of orders: the stock ledger, refills and adjustments,
//! empty returns against deposits, deposit balances and price history.

use serde::Serialize;
use utoipa::ToSchema;

use crate::commands::{AdjustmentInput, PageRequest, RefillInput, ReturnDecision, ReturnInput};
use crate::domain::Role;
use crate::error::{Error, Result};
use crate::models::{CylinderReturn, DepositBalance, DepositEntry, Paged, PriceChange, StockItem, StockMovement};
use crate::policy::{authorize, managed_stock_item, may_settle_return, visible_return, Actor, Operation};
use crate::store::DepositScope;
use crate::Gasstock;

/// The result of a refill or an adjustment: the item as it now is and its new ledger line.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StockChange {
    pub item: StockItem,
    pub movement: StockMovement,
}

/// `GET /deposits`: the balances the caller may see, a page of their entries and the total
/// held.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Deposits {
    /// Sum of `amount` over `balances`: what is owed back.
    pub total: i64,
    /// Sum of `cylinders` over `balances`.
    pub cylinders: i64,
    /// Per buyer and stock item (hence per seller).
    pub balances: Vec<DepositBalance>,
    /// The changes of those balances, newest first, one page at a time (`page`, `per_page`;
    /// `entries.total` counts them all).
    pub entries: Paged<DepositEntry>,
}

impl Gasstock {
    async fn managed_item(&self, actor: &Actor, id: i64) -> Result<StockItem> {
        managed_stock_item(actor, self.store().get_stock_item(id).await?, id)
    }

    /// An item's stock ledger, newest first: its seller's and the admins'.
    pub async fn stock_movements(&self, actor: &Actor, id: i64, page: PageRequest) -> Result<Paged<StockMovement>> {
        self.managed_item(actor, id).await?;
        self.store().list_movements(id, page).await
    }

    /// The seller came back from the depot: `quantity` empties become full cylinders.
    /// `Conflict("insufficient_stock")` when the item holds fewer empties.
    pub async fn refill(&self, actor: &Actor, id: i64, input: &RefillInput) -> Result<StockChange> {
        let draft = input.validate(id)?;
        self.managed_item(actor, id).await?;
        let (item, movement) = self.store().adjust_stock(draft, actor.user_id).await?;
        Ok(StockChange { item, movement })
    }

    /// A correction of the counts with its reason; no count goes below zero (409).
    pub async fn adjust_stock(&self, actor: &Actor, id: i64, input: &AdjustmentInput) -> Result<StockChange> {
        let draft = input.validate(id)?;
        self.managed_item(actor, id).await?;
        let (item, movement) = self.store().adjust_stock(draft, actor.user_id).await?;
        Ok(StockChange { item, movement })
    }

    /// A buyer returns empties they hold deposits for (pending until the seller settles it).
    pub async fn create_return(&self, actor: &Actor, input: &ReturnInput) -> Result<CylinderReturn> {
        authorize(actor, Operation::ReturnCylinders)?;
        let draft = input.validate(actor.user_id)?;
        self.store().create_return(draft).await
    }

    pub async fn cylinder_return(&self, actor: &Actor, id: i64) -> Result<CylinderReturn> {
        visible_return(actor, self.store().get_return(id).await?, id)
    }

    /// The seller (or an admin) accepts a return, saying how many came back good and
    /// damaged, or rejects it.
    pub async fn settle_return(&self, actor: &Actor, id: i64, decision: &ReturnDecision) -> Result<CylinderReturn> {
        let found = self.cylinder_return(actor, id).await?;
        may_settle_return(actor, &found)?;
        let settlement = decision.validate(found.quantity)?;
        self.store().settle_return(id, settlement, actor.user_id).await
    }

    /// Returns the caller may see, newest first.
    pub async fn returns(&self, actor: &Actor, page: PageRequest) -> Result<Paged<CylinderReturn>> {
        self.store().list_returns(deposit_scope(actor)?, page).await
    }

    /// A buyer's balances with every seller, a seller's deposits held, or (admin) all, with
    /// one page of their entries.
    pub async fn deposits(&self, actor: &Actor, page: PageRequest) -> Result<Deposits> {
        let (balances, entries) = self.store().deposit_balances(deposit_scope(actor)?, page).await?;
        let sum = |f: fn(&DepositBalance) -> i64| -> Result<i64> {
            balances
                .iter()
                .try_fold(0_i64, |total, b| total.checked_add(f(b)))
                .ok_or_else(|| Error::internal("deposit total overflows"))
        };
        Ok(Deposits { total: sum(|b| b.amount)?, cylinders: sum(|b| b.cylinders)?, balances, entries })
    }

    /// Every unit price and deposit the item had, oldest first; any signed-in user (like the item).
    pub async fn price_history(&self, id: i64) -> Result<Vec<PriceChange>> {
        self.stock_item(id).await?;
        self.store().list_prices(id).await
    }
}

/// Whose returns and deposits the actor sees. A driver carries cylinders but holds no
/// deposit and settles no return: refused.
fn deposit_scope(actor: &Actor) -> Result<DepositScope> {
    match actor.role {
        Role::Buyer => Ok(DepositScope::Buyer(actor.user_id)),
        Role::Seller => Ok(DepositScope::Seller(actor.user_id)),
        Role::Admin => Ok(DepositScope::All),
        Role::Driver => Err(Error::forbidden("drivers hold no deposits")),
    }
}
