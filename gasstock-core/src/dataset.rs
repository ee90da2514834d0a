//! A realistic, reproducible data set for demos and benchmarks: sellers and buyers, stock
//! across brands, weights and locations, and a year of orders in every status with their
//! invoices, payments and status events, all consistent with the workflow rules.
//!
//! Rows are generated here, deterministically from a seed, by pure functions below the
//! store; the store (`Store::bulk().seed`) inserts them in chunks of multi-row `INSERT`s, one
//! transaction per chunk, and the seed module runs it for the CLI.

use chrono::{DateTime, Duration, Utc};

use crate::domain::{InvoiceStatus, OrderKind, OrderStatus, OrderTransition, PaymentStatus, Role, StatusChange};
use crate::error::Result;

pub const BRANDS: &[&str] = &["Jibu", "Total", "Oryx", "Kobil", "SP", "Meru", "Hashi"];
pub const WEIGHTS_KG: &[i64] = &[3, 6, 12, 13, 15, 50];
pub const LOCATIONS: &[&str] = &[
    "Nyarugenge",
    "Gasabo",
    "Kicukiro",
    "Nyanza",
    "Gisagara",
    "Nyaruguru",
    "Huye",
    "Nyamagabe",
    "Ruhango",
    "Muhanga",
    "Kamonyi",
    "Karongi",
    "Rutsiro",
    "Rubavu",
    "Nyabihu",
    "Ngororero",
    "Rusizi",
    "Nyamasheke",
    "Rulindo",
    "Gakenke",
    "Musanze",
    "Burera",
    "Gicumbi",
    "Rwamagana",
    "Nyagatare",
    "Gatsibo",
    "Kayonza",
    "Kirehe",
    "Ngoma",
    "Bugesera",
];

/// Spreads each seller's keys over the key space; coprime with 7 x 6 x 30 = 1,260 keys.
const KEY_STRIDE: u64 = 601;

/// The oldest a seeded pending order is: two days, well inside the default pending TTL
/// (`ExpiryConfig::default`, 72 h), so that a seed stays a live market for a day.
const PENDING_AGE: Duration = Duration::days(2);

/// How much to generate.
#[derive(Debug, Clone)]
pub struct SeedPlan {
    pub sellers: u32,
    pub buyers: u32,
    pub items: u32,
    pub orders: u32,
    /// Everyone's password (seeded accounts are for demos and benchmarks).
    pub password: String,
    /// Same seed, same data.
    pub seed: u64,
}

impl SeedPlan {
    /// Distinct (brand, weight, location) keys one seller can hold.
    pub fn keys_per_seller() -> u32 {
        (BRANDS.len() * WEIGHTS_KG.len() * LOCATIONS.len()) as u32
    }

    pub fn validate(&self) -> Result<()> {
        use crate::error::Error;
        if self.sellers == 0 || self.buyers == 0 {
            return Err(Error::invalid("sellers", "at least one seller and one buyer"));
        }
        if self.orders > 0 && self.items == 0 {
            return Err(Error::invalid("items", "orders need at least one stock item"));
        }
        if u64::from(self.items) > u64::from(self.sellers) * u64::from(Self::keys_per_seller()) {
            return Err(Error::invalid("items", format!("at most {} items per seller", Self::keys_per_seller())));
        }
        Ok(())
    }
}

/// A seeded user; `id` is assigned by the caller's id base.
#[derive(Debug, Clone)]
pub struct SeedUser {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub location: &'static str,
}

#[derive(Debug, Clone)]
pub struct SeedItem {
    pub id: i64,
    pub seller_id: i64,
    pub brand: &'static str,
    pub weight_g: i64,
    pub location: &'static str,
    pub quantity: i64,
    pub unit_price: i64,
    pub empties: i64,
    pub deposit: i64,
}

#[derive(Debug, Clone)]
pub struct SeedOrder {
    pub id: i64,
    pub buyer_id: i64,
    pub item: usize,
    pub quantity: i64,
    pub kind: OrderKind,
    /// Part of `total`: the deposits of a new-cylinder order.
    pub deposit_amount: i64,
    pub total: i64,
    pub status: OrderStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct SeedInvoice {
    pub id: i64,
    pub order_id: i64,
    pub seller_id: i64,
    pub amount: i64,
    pub delivery_fee: i64,
    pub status: InvoiceStatus,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct SeedPayment {
    pub id: i64,
    pub order_id: i64,
    pub invoice_id: i64,
    pub seller_id: i64,
    pub amount: i64,
    pub released_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct SeedEvent {
    pub change: StatusChange,
    pub entity_id: i64,
    pub order_id: i64,
    pub created_at: DateTime<Utc>,
}

/// One chunk of orders with everything that hangs off them.
#[derive(Debug, Default)]
pub struct OrderChunk {
    pub orders: Vec<SeedOrder>,
    pub invoices: Vec<SeedInvoice>,
    pub payments: Vec<SeedPayment>,
    pub events: Vec<SeedEvent>,
}

/// splitmix64: small, fast and good enough for test data.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// Generates rows; ids start after `base` ids that already exist in the database.
#[derive(Debug, Clone)]
pub struct SeedGenerator {
    plan: SeedPlan,
    now: DateTime<Utc>,
    user_base: i64,
    item_base: i64,
}

impl SeedGenerator {
    pub fn new(plan: SeedPlan, now: DateTime<Utc>, user_base: i64, item_base: i64) -> Self {
        SeedGenerator { plan, now, user_base, item_base }
    }

    pub fn plan(&self) -> &SeedPlan {
        &self.plan
    }

    /// Sellers first, then buyers; emails carry the first id so reruns don't collide.
    pub fn users(&self) -> Vec<SeedUser> {
        let run = self.user_base + 1;
        let total = i64::from(self.plan.sellers) + i64::from(self.plan.buyers);
        (0..total)
            .map(|n| {
                let seller = n < i64::from(self.plan.sellers);
                let (role, kind, index) = if seller {
                    (Role::Seller, "seller", n)
                } else {
                    (Role::Buyer, "buyer", n - i64::from(self.plan.sellers))
                };
                SeedUser {
                    id: self.user_base + 1 + n,
                    email: format!("{kind}{index}.{run}@seed.gasstock.rw"),
                    name: format!("Seed {kind} {index}"),
                    role,
                    location: LOCATIONS[(n as usize) % LOCATIONS.len()],
                }
            })
            .collect()
    }

    fn seller_id(&self, n: u64) -> i64 {
        self.user_base + 1 + (n % u64::from(self.plan.sellers)) as i64
    }

    fn buyer_id(&self, n: u64) -> i64 {
        self.user_base + 1 + i64::from(self.plan.sellers) + (n % u64::from(self.plan.buyers)) as i64
    }

    /// Item `i` of the run: seller `i % sellers`, and a key that is unique for that seller.
    pub fn item(&self, i: u32) -> SeedItem {
        let mut rng = Rng::new(self.plan.seed ^ (u64::from(i) << 20) ^ 0x17E4);
        let per_seller = u64::from(i) / u64::from(self.plan.sellers);
        // The seller's n-th key is n times a stride coprime with the number of keys, modulo
        // that number: a bijection (so keys stay unique per seller) that spreads even a few
        // hundred items per seller over every brand, weight and location. Counting keys in
        // order filled 12 of the 30 districts, and browse filters drawn from all 30 matched
        // nothing 60% of the time (issue 10).
        // Each seller starts at its own offset, spread evenly, so that together the sellers
        // hold every key and not all the same few hundred.
        let keys = u64::from(SeedPlan::keys_per_seller());
        let seller = u64::from(i) % u64::from(self.plan.sellers);
        let offset = seller * keys / u64::from(self.plan.sellers);
        let combo = (((per_seller + offset) % keys) * KEY_STRIDE % keys) as usize;
        let location = LOCATIONS[combo % LOCATIONS.len()];
        let brand = BRANDS[(combo / LOCATIONS.len()) % BRANDS.len()];
        let weight_kg = WEIGHTS_KG[(combo / (LOCATIONS.len() * BRANDS.len())) % WEIGHTS_KG.len()];
        SeedItem {
            id: self.item_base + 1 + i64::from(i),
            seller_id: self.seller_id(u64::from(i)),
            brand,
            weight_g: weight_kg * 1000,
            location,
            // A few empty items, most with plenty of stock.
            quantity: if rng.below(20) == 0 { 0 } else { 50 + rng.below(5_000) as i64 },
            unit_price: weight_kg * 1_200 + rng.below(40) as i64 * 50,
            empties: rng.below(100) as i64,
            deposit: weight_kg * 2_500,
        }
    }

    /// Orders `range` of the run; ids continue from the given bases (the largest ids in the
    /// database before the chunk).
    pub fn orders(
        &self,
        range: std::ops::Range<u32>,
        order_base: i64,
        invoice_base: i64,
        payment_base: i64,
    ) -> OrderChunk {
        let mut chunk = OrderChunk::default();
        let year = Duration::days(365).num_seconds();
        for n in range {
            let mut rng = Rng::new(self.plan.seed ^ (u64::from(n) << 24) ^ 0x0DE5);
            let item_index = rng.below(u64::from(self.plan.items)) as u32;
            let item = self.item(item_index);
            let quantity = 1 + rng.below(4) as i64;
            // One order in four sells new cylinders (its own draw: the others stay as they were).
            let new = Rng::new(self.plan.seed ^ (u64::from(n) << 24) ^ 0x0C71).below(4) == 0;
            let (kind, deposit_amount) =
                if new { (OrderKind::New, item.deposit * quantity) } else { (OrderKind::Refill, 0) };
            let total = item.unit_price * quantity + deposit_amount;
            let age = 1 + rng.below(year as u64) as i64;
            let status = match rng.below(100) {
                0..=59 => OrderStatus::Delivered,
                60..=69 => OrderStatus::Pending,
                70..=74 => OrderStatus::Approved,
                75..=79 => OrderStatus::Invoiced,
                80..=89 => OrderStatus::Rejected,
                _ => OrderStatus::Cancelled,
            };
            // A running market has no pending order older than its pending TTL (the sweep
            // expires them): pending ones are placed within the last PENDING_AGE, so that a
            // server started on the seed does not spend its first minutes expiring them.
            let age = if status == OrderStatus::Pending { 1 + age % PENDING_AGE.num_seconds() } else { age };
            let created_at = self.now - Duration::seconds(age);
            let id = order_base + 1 + chunk.orders.len() as i64;
            let step = |k: i64| created_at + Duration::hours(k);
            let event = |change, entity_id: i64, at| SeedEvent { change, entity_id, order_id: id, created_at: at };
            let placed = StatusChange::Order { from: None, to: OrderStatus::Pending };
            chunk.events.push(event(placed, id, created_at));
            let mut updated_at = created_at;
            match status {
                // The generator draws no dispatched order (see above).
                OrderStatus::Pending | OrderStatus::OutForDelivery | OrderStatus::Failed => {}
                OrderStatus::Rejected | OrderStatus::Cancelled | OrderStatus::Expired => {
                    updated_at = step(1);
                    let change = StatusChange::Order { from: Some(OrderStatus::Pending), to: status };
                    chunk.events.push(event(change, id, updated_at));
                }
                OrderStatus::Approved | OrderStatus::Invoiced | OrderStatus::Delivered => {
                    chunk.events.push(event(StatusChange::order(OrderTransition::Approve), id, step(1)));
                    updated_at = step(1);
                    if status != OrderStatus::Approved {
                        let fee = if rng.below(2) == 0 { 0 } else { 500 + rng.below(10) as i64 * 100 };
                        let invoice_id = invoice_base + 1 + chunk.invoices.len() as i64;
                        let delivered = status == OrderStatus::Delivered;
                        // Invoiced orders wait half on the admin, half approved for delivery.
                        let approved = delivered || rng.below(2) == 0;
                        chunk.events.push(event(StatusChange::order(OrderTransition::Invoice), id, step(2)));
                        let submitted = StatusChange::Invoice { from: None, to: InvoiceStatus::Pending };
                        chunk.events.push(event(submitted, invoice_id, step(2)));
                        updated_at = step(2);
                        if approved {
                            let approval = StatusChange::Invoice {
                                from: Some(InvoiceStatus::Pending),
                                to: InvoiceStatus::Approved,
                            };
                            chunk.events.push(event(approval, invoice_id, step(3)));
                        }
                        chunk.invoices.push(SeedInvoice {
                            id: invoice_id,
                            order_id: id,
                            seller_id: item.seller_id,
                            amount: total + fee,
                            delivery_fee: fee,
                            status: if approved { InvoiceStatus::Approved } else { InvoiceStatus::Pending },
                            created_at: step(2),
                        });
                        if delivered {
                            updated_at = step(4);
                            chunk.events.push(event(StatusChange::order(OrderTransition::Deliver), id, updated_at));
                            let payment_id = payment_base + 1 + chunk.payments.len() as i64;
                            let released = StatusChange::Payment { from: None, to: PaymentStatus::Released };
                            chunk.events.push(event(released, payment_id, updated_at));
                            chunk.payments.push(SeedPayment {
                                id: payment_id,
                                order_id: id,
                                invoice_id,
                                seller_id: item.seller_id,
                                amount: total + fee,
                                released_at: updated_at,
                            });
                        }
                    }
                }
            }
            chunk.orders.push(SeedOrder {
                id,
                buyer_id: self.buyer_id(rng.next_u64()),
                item: item_index as usize,
                quantity,
                kind,
                deposit_amount,
                total,
                status,
                created_at,
                updated_at,
            });
        }
        chunk
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::is_legal_order_path;

    fn generator() -> SeedGenerator {
        let plan = SeedPlan { sellers: 3, buyers: 5, items: 40, orders: 500, password: "x".repeat(8), seed: 7 };
        SeedGenerator::new(plan, DateTime::<Utc>::UNIX_EPOCH + Duration::days(800), 10, 100)
    }

    #[test]
    fn item_keys_are_unique_per_seller() {
        let g = generator();
        let mut keys: Vec<_> =
            (0..40).map(|i| g.item(i)).map(|it| (it.seller_id, it.brand, it.weight_g, it.location)).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 40);
    }

    #[test]
    fn a_few_items_per_seller_cover_every_brand_weight_and_location() {
        // The benchmark's shape: 500 items per seller. Every key the browse filters draw
        // from must exist, or a "matching" filter answers an empty page.
        let plan = SeedPlan { sellers: 2, buyers: 1, items: 1_000, orders: 0, password: "x".repeat(8), seed: 7 };
        let g = SeedGenerator::new(plan, DateTime::<Utc>::UNIX_EPOCH, 0, 0);
        let items: Vec<_> = (0..1_000).map(|i| g.item(i)).collect();
        for location in LOCATIONS {
            assert!(items.iter().any(|it| it.location == *location), "{location} has stock");
        }
        for brand in BRANDS {
            assert!(items.iter().any(|it| it.brand == *brand), "{brand} has stock");
        }
        for kg in WEIGHTS_KG {
            assert!(items.iter().any(|it| it.weight_g == kg * 1000), "{kg} kg has stock");
        }
        let mut keys: Vec<_> = items.iter().map(|it| (it.seller_id, it.brand, it.weight_g, it.location)).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 1_000, "keys stay unique per seller");
    }

    #[test]
    fn sellers_together_hold_every_key_so_every_browse_filter_matches() {
        // The benchmark's shape, scaled down: 500 items per seller, fewer sellers.
        let sellers = 20;
        let plan = SeedPlan { sellers, buyers: 1, items: sellers * 500, orders: 0, password: "x".repeat(8), seed: 7 };
        let g = SeedGenerator::new(plan, DateTime::<Utc>::UNIX_EPOCH, 0, 0);
        let mut held: Vec<_> =
            (0..sellers * 500).map(|i| g.item(i)).map(|it| (it.brand, it.weight_g, it.location)).collect();
        held.sort();
        held.dedup();
        assert_eq!(held.len(), SeedPlan::keys_per_seller() as usize, "every brand+weight+location has a seller");
    }

    #[test]
    fn every_key_of_a_seller_is_used_once_when_the_seller_is_full() {
        let keys = SeedPlan::keys_per_seller();
        let plan = SeedPlan { sellers: 1, buyers: 1, items: keys, orders: 0, password: "x".repeat(8), seed: 7 };
        let g = SeedGenerator::new(plan, DateTime::<Utc>::UNIX_EPOCH, 0, 0);
        let mut seen: Vec<_> = (0..keys).map(|i| g.item(i)).map(|it| (it.brand, it.weight_g, it.location)).collect();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), keys as usize);
    }

    #[test]
    fn orders_are_consistent_with_the_workflow() {
        let g = generator();
        let chunk = g.orders(0..500, 1000, 2000, 3000);
        assert_eq!(chunk.orders.len(), 500);
        for order in &chunk.orders {
            let path: Vec<OrderStatus> = chunk
                .events
                .iter()
                .filter(|e| e.order_id == order.id)
                .filter_map(|e| match e.change {
                    StatusChange::Order { to, .. } => Some(to),
                    _ => None,
                })
                .collect();
            assert!(is_legal_order_path(&path), "{path:?}");
            assert_eq!(path.last(), Some(&order.status));
            let item = g.item(order.item as u32);
            assert_eq!(order.total, item.unit_price * order.quantity + order.deposit_amount);
            assert_eq!(
                order.deposit_amount,
                if order.kind == OrderKind::New { item.deposit * order.quantity } else { 0 }
            );
        }
        let delivered = chunk.orders.iter().filter(|o| o.status == OrderStatus::Delivered).count();
        assert_eq!(chunk.payments.len(), delivered);
        for payment in &chunk.payments {
            let invoice = chunk.invoices.iter().find(|i| i.id == payment.invoice_id).unwrap();
            assert_eq!((invoice.status, invoice.amount), (InvoiceStatus::Approved, payment.amount));
        }
        // Not `expired`, which only the expiry sweep makes (the seed writes history), and no
        // dispatched order: the generated market has no drivers (issue 13).
        let drawn = OrderStatus::ALL
            .iter()
            .filter(|s| !matches!(s, OrderStatus::Expired | OrderStatus::OutForDelivery | OrderStatus::Failed));
        for status in drawn {
            assert!(chunk.orders.iter().any(|o| o.status == *status), "{status} present");
        }
        let oldest_pending =
            chunk.orders.iter().filter(|o| o.status == OrderStatus::Pending).map(|o| g.now - o.created_at);
        assert!(oldest_pending.max().is_some_and(|age| age <= PENDING_AGE), "no pending order the sweep would expire");
        assert_eq!(chunk.orders[0].id, 1001);
        assert_eq!(chunk.invoices[0].id, 2001);
        assert_eq!(chunk.payments[0].id, 3001);
    }
}
