//! Role and ownership rules, in one place: which role may run which operation, and whose
//! objects each user may see or change.

use serde::Serialize;

use crate::domain::Role;
use crate::error::{Error, Result};
use crate::models::{CylinderReturn, Dispatch, Driver, Order, StockItem};

/// The signed-in user an operation runs for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub user_id: i64,
    pub role: Role,
}

impl Actor {
    pub fn new(user_id: i64, role: Role) -> Self {
        Actor { user_id, role }
    }
}

/// Every operation that is not open to all signed-in users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    PlaceOrder,
    CancelOrder,
    ListOwnOrders,
    LeaveFeedback,
    ManageInventory,
    ListSellerOrders,
    SubmitInvoice,
    ReviewOrders,
    ReviewInvoices,
    ConfirmDelivery,
    ManageUsers,
    /// Webhooks receive every subscribed event, so only admins manage them.
    ManageWebhooks,
    /// Sales, stock and seller reports.
    ViewReports,
    /// Bulk stock import for a seller.
    ImportStock,
    /// Handing back empties the buyer holds deposits for.
    ReturnCylinders,
    /// A seller's drivers: create, list, disable (issue 13).
    ManageDrivers,
    /// Send an invoiced order out with one of the seller's drivers.
    DispatchOrders,
    /// A driver's own deliveries: list, complete with the code, report failed.
    DeliverOrders,
    /// The districts a seller delivers to, and the fees.
    ManageZones,
}

impl Operation {
    /// The one role allowed to run it.
    pub fn role(self) -> Role {
        match self {
            Operation::PlaceOrder
            | Operation::CancelOrder
            | Operation::ListOwnOrders
            | Operation::LeaveFeedback
            | Operation::ReturnCylinders => Role::Buyer,
            Operation::ManageInventory
            | Operation::ListSellerOrders
            | Operation::SubmitInvoice
            | Operation::ManageDrivers
            | Operation::DispatchOrders
            | Operation::ManageZones => Role::Seller,
            Operation::DeliverOrders => Role::Driver,
            Operation::ReviewOrders
            | Operation::ReviewInvoices
            | Operation::ConfirmDelivery
            | Operation::ManageUsers
            | Operation::ManageWebhooks
            | Operation::ViewReports
            | Operation::ImportStock => Role::Admin,
        }
    }
}

/// `Forbidden` unless the actor's role may run `operation`.
pub fn authorize(actor: &Actor, operation: Operation) -> Result<()> {
    let role = operation.role();
    if actor.role == role {
        Ok(())
    } else {
        let article = if role == Role::Admin { "an" } else { "a" };
        Err(Error::forbidden(format!("only {article} {role} can do this")))
    }
}

/// Whether the actor is an admin (e.g. an operator signing in as one from the CLI).
pub fn is_admin(actor: &Actor) -> bool {
    actor.role == Role::Admin
}

/// An order is visible to its buyer, its seller and admins. Others get `NotFound`, so they
/// cannot even learn that it exists.
pub fn can_see_order(actor: &Actor, order: &Order) -> bool {
    match actor.role {
        Role::Admin => true,
        Role::Buyer => order.buyer_id == actor.user_id,
        Role::Seller => order.seller_id == actor.user_id,
        // A driver sees the deliveries assigned to them (`can_work_dispatch`), not orders.
        Role::Driver => false,
    }
}

/// A seller dispatches its own order, to one of its own drivers only.
pub fn can_dispatch(actor: &Actor, order: &Order, driver: &Driver) -> bool {
    actor.role == Role::Seller && order.seller_id == actor.user_id && driver.seller_id == actor.user_id
}

/// A dispatch is worked (completed, failed) only by the driver it is assigned to.
pub fn can_work_dispatch(actor: &Actor, dispatch: &Dispatch) -> bool {
    actor.role == Role::Driver && dispatch.driver_id == actor.user_id
}

/// A failed delivery is given up (cancelled, stock back) by the order's seller or an admin.
pub fn can_cancel_failed(actor: &Actor, order: &Order) -> bool {
    match actor.role {
        Role::Admin => true,
        Role::Seller => order.seller_id == actor.user_id,
        Role::Buyer | Role::Driver => false,
    }
}

/// The handover code is for the order's buyer alone: the seller and the driver must get it
/// from the buyer at the door, which is the point of it.
pub fn sees_handover_code(actor: &Actor, order: &Order) -> bool {
    actor.role == Role::Buyer && order.buyer_id == actor.user_id
}

/// The order if the actor may see it, else `NotFound`.
pub fn visible_order(actor: &Actor, order: Option<Order>, id: i64) -> Result<Order> {
    order.filter(|order| can_see_order(actor, order)).ok_or_else(|| Error::not_found("order", id))
}

/// A stock item's counts (refill, adjustments) and ledger are its seller's and the admins'.
/// A buyer is told it may not; another seller cannot learn the item's ledger exists.
pub fn managed_stock_item(actor: &Actor, item: Option<StockItem>, id: i64) -> Result<StockItem> {
    match actor.role {
        Role::Buyer | Role::Driver => Err(Error::forbidden("only a seller or an admin can do this")),
        Role::Admin => item.ok_or_else(|| Error::not_found("stock item", id)),
        Role::Seller => {
            item.filter(|item| item.seller_id == actor.user_id).ok_or_else(|| Error::not_found("stock item", id))
        }
    }
}

/// A return is visible to its buyer, its seller and admins (others get `NotFound`).
pub fn visible_return(actor: &Actor, found: Option<CylinderReturn>, id: i64) -> Result<CylinderReturn> {
    let visible = |r: &CylinderReturn| match actor.role {
        Role::Admin => true,
        Role::Buyer => r.buyer_id == actor.user_id,
        Role::Seller => r.seller_id == actor.user_id,
        Role::Driver => false,
    };
    found.filter(visible).ok_or_else(|| Error::not_found("return", id))
}

/// The seller who takes the cylinders back, or an admin, settles a return; not its buyer.
pub fn may_settle_return(actor: &Actor, found: &CylinderReturn) -> Result<()> {
    match actor.role {
        Role::Admin => Ok(()),
        Role::Seller if found.seller_id == actor.user_id => Ok(()),
        _ => Err(Error::forbidden("only the return's seller or an admin can settle it")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_operation_has_exactly_one_role() {
        let all = [
            Operation::PlaceOrder,
            Operation::CancelOrder,
            Operation::ListOwnOrders,
            Operation::LeaveFeedback,
            Operation::ManageInventory,
            Operation::ListSellerOrders,
            Operation::SubmitInvoice,
            Operation::ReviewOrders,
            Operation::ReviewInvoices,
            Operation::ConfirmDelivery,
            Operation::ManageUsers,
            Operation::ManageWebhooks,
            Operation::ViewReports,
            Operation::ImportStock,
            Operation::ReturnCylinders,
            Operation::ManageDrivers,
            Operation::DispatchOrders,
            Operation::DeliverOrders,
            Operation::ManageZones,
        ];
        for operation in all {
            let allowed: Vec<Role> = [Role::Buyer, Role::Seller, Role::Admin, Role::Driver]
                .into_iter()
                .filter(|role| authorize(&Actor::new(1, *role), operation).is_ok())
                .collect();
            assert_eq!(allowed, [operation.role()], "{operation:?}");
        }
    }
}
