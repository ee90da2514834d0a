//! Embeds gasstock-core on SQLite and walks one order from placement to payment, with no
//! server in between.
//!
//! ```sh
//! cargo run -p gasstock-core --example embed_core            # uses ./embed-demo.db
//! cargo run -p gasstock-core --example embed_core -- sqlite://other.db
//! ```

use gasstock_core::commands::{Decision, FeedbackInput, InvoiceInput, OrderInput, Registration, StockItemInput};
use gasstock_core::models::Delivery;
use gasstock_core::{Actor, Gasstock, Store};

/// The whole story on the database at `url`: a seller stocks 12 kg cylinders, a buyer orders
/// two, an admin approves, the seller invoices with a delivery fee, the admin approves the
/// invoice and confirms delivery, and the buyer rates the seller.
pub async fn walk_one_order(url: &str) -> gasstock_core::Result<Delivery> {
    let core = Gasstock::new(Store::open(url).await?);
    let tag = std::process::id();
    let register = |email: String, role: &str| Registration {
        email,
        password: "a long passphrase".into(),
        name: format!("Demo {role}"),
        role: role.into(),
        phone: None,
        location: Some("Kigali".into()),
    };
    let seller = core.register(register(format!("seller-{tag}@demo.rw"), "seller")).await?;
    let buyer = core.register(register(format!("buyer-{tag}@demo.rw"), "buyer")).await?;
    let admin = core.create_admin(&format!("admin-{tag}@demo.rw"), None, "a long passphrase").await?;
    let (seller, buyer, admin) =
        (Actor::new(seller.id, seller.role), Actor::new(buyer.id, buyer.role), Actor::new(admin.id, admin.role));

    let stock = StockItemInput {
        brand: "Jibu".into(),
        weight: "12 kg".into(),
        location: "Kigali".into(),
        quantity: 20,
        unit_price: 15_000,
        currency: None,
        empties: None,
        deposit: None,
        low_stock_threshold: None,
    };
    let (item, _) = core.upsert_stock_item(&seller, &stock).await?;
    let order_input = OrderInput {
        inventory_id: item.id,
        quantity: 2,
        delivery_address: Some("KN 5 Rd".into()),
        note: None,
        payment_method: None,
        payer_phone: None,
        kind: None,
        delivery_district: None,
    };
    let (order, _) = core.place_order(&buyer, &order_input, Some("demo-order-1")).await?;
    println!(
        "order {} placed: {} x {} = {} {}",
        order.id, order.quantity, order.unit_price, order.total_amount, order.currency
    );

    let yes = Decision { approve: true, reason: None };
    core.decide_order(&admin, order.id, &yes).await?;
    let invoice = core
        .submit_invoice(&seller, &InvoiceInput { order_id: order.id, delivery_fee: Some(1_000), notes: None })
        .await?;
    println!("invoice {} for {} {}", invoice.id, invoice.amount, invoice.currency);
    core.decide_invoice(&admin, invoice.id, &yes).await?;
    let delivery = core.confirm_delivery(&admin, order.id).await?;
    println!(
        "delivered; payment {} of {} released to seller {}",
        delivery.payment.id, delivery.payment.amount, delivery.payment.seller_id
    );

    core.leave_feedback(&buyer, &FeedbackInput { order_id: order.id, rating: 5, comment: Some("On time".into()) })
        .await?;
    for event in core.order_history(&admin, order.id).await? {
        println!("  {} {} {:?} -> {}", event.created_at, event.entity, event.from_status, event.to_status);
    }
    Ok(delivery)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = std::env::args().nth(1).unwrap_or_else(|| "sqlite://embed-demo.db".to_owned());
    walk_one_order(&url).await?;
    Ok(())
}
