//! How each row of `models` is read: one line per struct, the same for both backends. A
//! field named as its column needs nothing; `= "column"` reads another column, `: T` reads a
//! `T` and converts it into the domain type (statuses and currencies from text, weights from
//! grams), refusing what the domain never writes.

use super::row::record;
use crate::models::{
    Collection, CylinderReturn, DepositBalance, DepositEntry, Dispatch, Driver, Feedback, Invoice, Notification, Order,
    Payment, Payout, PayoutReportRow, PriceChange, StatusEvent, StockItem, StockMovement, User, Webhook,
    WebhookAttempt, WebhookDelivery, Zone,
};

record!(User { id, email, name, role: String, phone, location, created_at });

record!(StockItem {
    id,
    seller_id,
    seller_name,
    brand,
    weight_kg = "weight_g": i64,
    location,
    quantity,
    empties,
    unit_price,
    deposit,
    low_stock_threshold,
    currency: String,
    created_at,
    updated_at,
});

record!(Order {
    id,
    buyer_id,
    seller_id,
    inventory_id,
    brand,
    weight_kg = "weight_g": i64,
    location,
    quantity,
    kind: String,
    unit_price,
    total_amount,
    deposit_amount,
    currency: String,
    status: String,
    delivery_address,
    note,
    delivery_district,
    created_at,
    updated_at,
    payment_method: String,
    payer_phone,
});

record!(Invoice {
    id,
    order_id,
    seller_id,
    amount,
    delivery_fee,
    deposit_amount,
    currency: String,
    status: String,
    notes,
    created_at,
    updated_at
});

record!(Payment { id, order_id, invoice_id, seller_id, amount, currency: String, status: String, released_at });

record!(Collection {
    id,
    order_id,
    reference,
    amount,
    currency: String,
    payer_phone,
    status: String,
    reason,
    provider_transaction_id,
    requested_at,
    sent_at,
    decided_at,
});

record!(Payout {
    id,
    order_id,
    seller_id,
    reference,
    collected,
    commission,
    deposit_held,
    amount,
    currency: String,
    status: String,
    attempts,
    next_attempt_at,
    last_error,
    provider_transaction_id,
    created_at,
    updated_at,
});

record!(PayoutReportRow { seller_id, seller_email, collected, commission, paid, failed, outstanding });

record!(Feedback { id, order_id, buyer_id, seller_id, rating, comment, created_at });

record!(StatusEvent { id, entity, entity_id, order_id, actor_id, from_status, to_status, reason, created_at });

record!(Notification {
    id,
    event,
    order_id,
    inventory_id,
    invoice_id,
    payment_id,
    title,
    message,
    created_at,
    read_at
});

record!(Webhook { id, url, events, secret, created_at, allow_private_host });

record!(WebhookDelivery {
    id,
    webhook_id,
    event_id,
    event,
    status: String,
    attempts,
    next_attempt_at,
    last_error,
    created_at,
    finished_at,
});

record!(WebhookAttempt {
    id,
    delivery_id,
    webhook_id,
    event_id,
    event,
    attempt,
    status_code,
    error,
    duration_ms,
    created_at
});

record!(StockMovement {
    id,
    inventory_id,
    full_delta,
    empty_delta,
    reason: String,
    order_id,
    return_id,
    actor_id,
    note,
    created_at
});

record!(CylinderReturn {
    id,
    buyer_id,
    seller_id,
    inventory_id,
    quantity,
    status: String,
    good,
    damaged,
    deposit_released,
    refund_amount,
    decided_by,
    created_at,
    updated_at,
});

record!(PriceChange { id, inventory_id, unit_price, deposit, currency: String, actor_id, created_at });

record!(DepositBalance { buyer_id, seller_id, inventory_id, cylinders, amount, pending, updated_at });

record!(DepositEntry { id, buyer_id, seller_id, inventory_id, cylinders, amount, order_id, return_id, created_at });

record!(Driver { id, email, name, role: String, phone, seller_id, disabled, created_at });

record!(Dispatch {
    id,
    order_id,
    seller_id,
    driver_id,
    status: String,
    brand,
    weight_kg = "weight_g": i64,
    quantity,
    delivery_address,
    dispatched_at,
    wrong_codes,
    locked,
    failed_at,
    fail_reason,
});

record!(Zone { district, fee });
