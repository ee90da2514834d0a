//! Any text a client sends reaches the database intact or is refused as invalid input, on
//! both backends: never an internal error (PostgreSQL refuses NUL bytes that SQLite stores),
//! never half-written data.

use proptest::prelude::*;

use gasstock_core::domain::Role;
use gasstock_core::{Error, Gasstock};
use gasstock_tests::fixtures::{order_input, stock_input, user};
use gasstock_tests::{Backend, TestDb};

/// Arbitrary Unicode, weighted towards what breaks stores: control characters, NUL, line
/// breaks, surrogate-adjacent and combining characters, spaces at the ends.
fn text() -> impl Strategy<Value = String> {
    let special = prop_oneof![
        Just('\u{0}'),
        Just('\u{1b}'),
        Just('\u{7f}'),
        Just('\u{85}'),
        Just('\n'),
        Just('\t'),
        Just(' '),
        Just('\u{200b}'),
        Just('\u{301}'),
        Just('\u{feff}'),
        Just('\u{fffd}'),
        Just('\u{10ffff}'),
    ];
    proptest::collection::vec(prop_oneof![3 => any::<char>(), 1 => special], 0..24)
        .prop_map(|chars| chars.into_iter().collect())
}

async fn round_trip(backend: Backend, label: String, note: String, address: String) {
    let db = TestDb::new(backend).await;
    let core = Gasstock::new(db.store(2).await);
    let seller = user(&core, Role::Seller, "seller").await;
    let buyer = user(&core, Role::Buyer, "buyer").await;

    let stocked = core.upsert_stock_item(&seller, &stock_input(&label, "12kg", &label, 5, 1_000)).await;
    let item = match stocked {
        Ok((item, _)) => {
            assert_eq!((item.brand.as_str(), item.location.as_str()), (label.trim(), label.trim()), "stored as sent");
            let again = core.store().get_stock_item(item.id).await.unwrap().unwrap();
            assert_eq!(again, item, "read back as stored");
            item
        }
        Err(Error::Invalid { field, .. }) => {
            assert!(["brand", "location"].contains(&field.as_ref()), "{field}");
            let none = core.store().list_stock(Default::default(), Default::default()).await.unwrap();
            assert_eq!(none.total, 0, "a refused item wrote nothing");
            core.upsert_stock_item(&seller, &stock_input("Jibu", "12kg", "Kigali", 5, 1_000)).await.unwrap().0
        }
        Err(other) => panic!("{backend:?}: {label:?} gave {other:?}"),
    };

    let mut input = order_input(item.id, 1);
    (input.note, input.delivery_address) = (Some(note.clone()), Some(address.clone()));
    match core.place_order(&buyer, &input, None).await {
        Ok((order, _)) => {
            let stored = core.store().get_order(order.id).await.unwrap().unwrap();
            let expected = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
            assert_eq!((stored.note.clone(), stored.delivery_address.clone()), (expected(&note), expected(&address)));
            assert_eq!(stored, order);
        }
        Err(Error::Invalid { field, .. }) => {
            assert!(["note", "delivery_address"].contains(&field.as_ref()), "{field}");
            let left = core.store().get_stock_item(item.id).await.unwrap().unwrap();
            assert_eq!(left.quantity, item.quantity, "a refused order reserved nothing");
        }
        Err(other) => panic!("{backend:?}: note {note:?}, address {address:?} gave {other:?}"),
    }
}

fn run(backend: Backend, label: String, note: String, address: String) {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(round_trip(backend, label, note, address));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, max_shrink_iters: 100, ..ProptestConfig::default() })]

    #[test]
    fn any_text_is_stored_intact_or_refused_on_sqlite(label in text(), note in text(), address in text()) {
        run(Backend::Sqlite, label, note, address);
    }

    #[test]
    fn any_text_is_stored_intact_or_refused_on_postgres(label in text(), note in text(), address in text()) {
        if Backend::available().contains(&Backend::Postgres) {
            run(Backend::Postgres, label, note, address);
        }
    }
}
