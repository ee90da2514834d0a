//! The last mile (issue 13): a seller's drivers, dispatch, and the handover by code. Each
//! workflow authorizes through `policy`, validates through `commands`, then calls the store;
//! a driver's completion is the store's one delivery operation (`confirm_delivery`) from
//! `out_for_delivery`, so whatever a delivery does (payment, and more as it grows) happens on
//! both paths alike.

use crate::commands::driver::{CompleteInput, DispatchInput, DriverInput, FailInput};
use crate::commands::PageRequest;
use crate::domain::{hash_password, HandoverCode, OrderStatus, OrderTransition, MAX_WRONG_CODES};
use crate::error::{Error, Result};
use crate::models::{Delivery, Dispatch, Driver, Order, OrderView, Paged};
use crate::policy::{
    authorize, can_cancel_failed, can_dispatch, can_work_dispatch, sees_handover_code, Actor, Operation,
};
use crate::store::{DispatchScope, HandoverCheck, NewUserRecord};
use crate::Gasstock;

impl Gasstock {
    /// A seller creates a driver account of its own (`POST /seller/drivers`).
    pub async fn create_driver(&self, actor: &Actor, input: &DriverInput) -> Result<Driver> {
        authorize(actor, Operation::ManageDrivers)?;
        self.insert_driver(input, actor.user_id).await
    }

    /// An admin creates a driver for the seller with this email (the CLI's
    /// `users create-driver`).
    pub async fn create_driver_for(&self, actor: &Actor, seller_email: &str, input: &DriverInput) -> Result<Driver> {
        authorize(actor, Operation::ManageUsers)?;
        let seller = self.user_by_email(seller_email).await?.ok_or_else(|| Error::not_found("user", seller_email))?;
        if seller.role != crate::domain::Role::Seller {
            return Err(Error::invalid("seller", format!("{seller_email} is not a seller")));
        }
        self.insert_driver(input, seller.id).await
    }

    async fn insert_driver(&self, input: &DriverInput, seller_id: i64) -> Result<Driver> {
        let valid = input.validate()?;
        let password = valid.password;
        let password_hash = self.password_job(move || hash_password(&password)).await??;
        let user = NewUserRecord {
            email: valid.email.as_str().to_owned(),
            name: valid.name.into_string(),
            role: valid.role,
            phone: valid.phone.map(|p| p.into_string()),
            location: None,
            password_hash,
        };
        self.store().insert_driver(user, seller_id).await
    }

    pub async fn seller_drivers(&self, actor: &Actor, page: PageRequest) -> Result<Paged<Driver>> {
        authorize(actor, Operation::ManageDrivers)?;
        self.store().list_drivers(actor.user_id, page).await
    }

    /// Disables (or enables again) one of the seller's drivers; another seller's is a 404.
    pub async fn set_driver_disabled(&self, actor: &Actor, driver_id: i64, disabled: bool) -> Result<Driver> {
        authorize(actor, Operation::ManageDrivers)?;
        self.store()
            .set_driver_disabled(driver_id, actor.user_id, disabled)
            .await?
            .ok_or_else(|| Error::not_found("driver", driver_id))
    }

    /// The seller sends an invoiced (invoice approved), failed or locked order out with one
    /// of its enabled drivers and a fresh handover code, which only the buyer is told.
    pub async fn dispatch(&self, actor: &Actor, order_id: i64, input: &DispatchInput) -> Result<Dispatch> {
        authorize(actor, Operation::DispatchOrders)?;
        let order = self.order(actor, order_id).await?;
        let driver = self
            .store()
            .get_driver(input.driver_id)
            .await?
            .ok_or_else(|| Error::not_found("driver", input.driver_id))?;
        if !can_dispatch(actor, &order, &driver) {
            // Another seller's driver: as if it did not exist.
            return Err(Error::not_found("driver", input.driver_id));
        }
        if driver.disabled {
            return Err(Error::conflict("driver_disabled", "the driver is disabled"));
        }
        self.store().dispatch_order(order_id, driver.id, HandoverCode::generate(), actor.user_id).await
    }

    /// The seller's dispatches, newest first.
    pub async fn seller_dispatches(&self, actor: &Actor, page: PageRequest) -> Result<Paged<Dispatch>> {
        authorize(actor, Operation::DispatchOrders)?;
        self.store().list_dispatches(DispatchScope::Seller(actor.user_id), page).await
    }

    /// The deliveries assigned to the calling driver, newest first.
    pub async fn driver_deliveries(&self, actor: &Actor, page: PageRequest) -> Result<Paged<Dispatch>> {
        self.working_driver(actor).await?;
        self.store().list_dispatches(DispatchScope::Driver(actor.user_id), page).await
    }

    /// The driver completes the handover with the buyer's code. A wrong code is a 422 and
    /// counts (the count commits although the request fails); after
    /// [`MAX_WRONG_CODES`] the delivery is locked (409) until the seller re-dispatches.
    pub async fn complete_delivery(&self, actor: &Actor, order_id: i64, input: &CompleteInput) -> Result<Delivery> {
        let live = self.assigned_dispatch(actor, order_id).await?;
        let code = input.code()?;
        match self.store().check_handover(order_id, live.id, code).await? {
            HandoverCheck::Right => {
                let delivery = self
                    .store()
                    .confirm_delivery(order_id, actor.user_id, OrderStatus::OutForDelivery, input.empties_received)
                    .await?;
                self.wake_payments(); // a mobile-money order's payout is now owed
                Ok(delivery)
            }
            HandoverCheck::Wrong { remaining } => Err(Error::invalid(
                "code",
                format!("wrong handover code: {remaining} of {MAX_WRONG_CODES} attempts left"),
            )),
            HandoverCheck::Locked => Err(Error::conflict(
                "delivery_locked",
                "too many wrong handover codes: the seller must re-dispatch this delivery",
            )),
        }
    }

    /// The driver could not hand the order over: it becomes `failed`, for the seller to
    /// re-dispatch or cancel.
    pub async fn fail_delivery(&self, actor: &Actor, order_id: i64, input: &FailInput) -> Result<Dispatch> {
        let live = self.assigned_dispatch(actor, order_id).await?;
        let reason = input.reason()?;
        self.store().fail_dispatch(order_id, live.id, reason, actor.user_id).await
    }

    /// The order's seller or an admin gives up on a failed delivery: `cancelled`, stock back.
    pub async fn cancel_failed_delivery(&self, actor: &Actor, order_id: i64, input: &FailInput) -> Result<Order> {
        let order = self.order(actor, order_id).await?;
        if !can_cancel_failed(actor, &order) {
            return Err(Error::forbidden("only the order's seller or an admin can cancel a failed delivery"));
        }
        let reason = input.reason()?;
        self.store().transition_order(order_id, OrderTransition::CancelFailed, actor.user_id, Some(reason)).await
    }

    /// `GET /orders/{id}`: the order, with the live handover code for its buyer alone.
    pub async fn order_view(&self, actor: &Actor, order_id: i64) -> Result<OrderView> {
        let order = self.order(actor, order_id).await?;
        let handover_code = if sees_handover_code(actor, &order) && order.status == OrderStatus::OutForDelivery {
            self.store().buyer_handover_code(order_id, actor.user_id).await?
        } else {
            None
        };
        Ok(OrderView { order, handover_code })
    }

    /// `report deliveries`: per seller and driver, dispatched, delivered, failed and the
    /// median time to deliver. Admins.
    pub async fn deliveries_report(&self, actor: &Actor) -> Result<Vec<crate::store::DeliveryReportRow>> {
        authorize(actor, Operation::ViewReports)?;
        self.store().deliveries_report().await
    }

    /// The calling driver's record: enabled, or `Forbidden`.
    async fn working_driver(&self, actor: &Actor) -> Result<Driver> {
        authorize(actor, Operation::DeliverOrders)?;
        let driver = self.store().get_driver(actor.user_id).await?.ok_or_else(|| Error::forbidden("not a driver"))?;
        if driver.disabled {
            return Err(Error::forbidden("this driver account is disabled"));
        }
        Ok(driver)
    }

    /// The order's live dispatch if it is assigned to the calling driver; any other is a 404,
    /// so that a driver cannot even learn that another's delivery exists.
    async fn assigned_dispatch(&self, actor: &Actor, order_id: i64) -> Result<Dispatch> {
        self.working_driver(actor).await?;
        let live = self.store().current_dispatch(order_id).await?;
        live.filter(|d| can_work_dispatch(actor, d)).ok_or_else(|| Error::not_found("delivery", order_id))
    }
}
