//! The notification watcher, hub and feeds of issue 16 at the core's level, on both backends:
//! with concurrent writers (on PostgreSQL, commits in another order than their ids), every
//! feed gets each of its user's notifications exactly once, whether it replays from the
//! start, opens mid-way, or only listens live. And the stream tickets' migration carries the
//! existing data forward.

use std::collections::BTreeSet;
use std::time::Duration;

use gasstock_core::notifications::{NotificationFeed, NotificationWatcher, StreamLimits};
use gasstock_core::Gasstock;
use gasstock_tests::fixtures::{cast, order, order_input, stock};
use gasstock_tests::for_each_backend;

const WAIT: Duration = Duration::from_secs(20);

/// Reads `feed` until it has given every id of `expected` (or fails at the deadline);
/// returns what it gave, in order.
async fn read_until(feed: &mut NotificationFeed, expected: &BTreeSet<i64>, what: &str) -> Vec<i64> {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut got = Vec::new();
    while !expected.iter().all(|id| got.contains(id)) {
        let item = tokio::time::timeout_at(deadline, feed.next())
            .await
            .unwrap_or_else(|_| {
                panic!("{what}: missing {:?}", expected.iter().filter(|id| !got.contains(*id)).collect::<Vec<_>>())
            })
            .expect("the feed goes on")
            .expect("the feed reads");
        got.push(item.notification.id);
    }
    got
}

async fn seller_ids(core: &Gasstock, seller_id: i64) -> BTreeSet<i64> {
    core.store().notifications_after(seller_id, 0, 10_000).await.unwrap().iter().map(|n| n.id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_feed_gets_each_notification_once_while_writers_race() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let item = stock(&core, &c.seller, 100_000, 100).await;
        for _ in 0..5 {
            order(&core, &c.buyer, item.id, 1).await;
        }
        let (hub, watcher) =
            NotificationWatcher::start(core.store(), StreamLimits::default(), Duration::from_millis(200))
                .await
                .unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let watching = tokio::spawn(watcher.run(async move {
            let _ = stopped.await;
        }));
        let history = seller_ids(&core, c.seller.user_id).await;
        let history_end = *history.iter().max().unwrap();
        let mut replaying =
            core.notification_feed(&c.seller, hub.subscribe(&c.seller).unwrap(), Some(0)).await.unwrap();
        let mut live = core.notification_feed(&c.seller, hub.subscribe(&c.seller).unwrap(), None).await.unwrap();
        let mut buyers = core.notification_feed(&c.buyer, hub.subscribe(&c.buyer).unwrap(), None).await.unwrap();

        // Four writers at once, two buyers: every order tells the seller (and the admins).
        let writers: Vec<_> = (0..4)
            .map(|n| {
                let (core, buyer) = (core.clone(), if n % 2 == 0 { c.buyer } else { c.other_buyer });
                tokio::spawn(async move {
                    for _ in 0..15 {
                        core.place_order(&buyer, &order_input(item.id, 1), None).await.expect("order");
                    }
                })
            })
            .collect();
        // A stream opened while they write, resuming mid-history.
        tokio::task::yield_now().await;
        let mid = *history.iter().nth(2).unwrap();
        let mut midway = core.notification_feed(&c.seller, hub.subscribe(&c.seller).unwrap(), Some(mid)).await.unwrap();
        for writer in writers {
            writer.await.unwrap();
        }
        let all = seller_ids(&core, c.seller.user_id).await;
        assert_eq!(all.len(), 5 + 60);

        for (what, feed, expected) in [
            ("replay from 0", &mut replaying, all.clone()),
            ("live from the open", &mut live, all.iter().copied().filter(|id| *id > history_end).collect()),
            ("resumed mid-way", &mut midway, all.iter().copied().filter(|id| *id > mid).collect()),
        ] {
            let got = read_until(feed, &expected, what).await;
            assert_eq!(got.len(), expected.len(), "{what}: nothing twice: {got:?}");
            assert_eq!(got.iter().copied().collect::<BTreeSet<_>>(), expected, "{what}: exactly the seller's");
        }
        // The buyer's feed got none of it (orders tell the seller and the admins only).
        assert!(
            tokio::time::timeout(Duration::from_millis(300), buyers.next()).await.is_err(),
            "nothing for the buyer"
        );
        assert_eq!(hub.open_streams(c.seller.user_id), (4, 3));
        drop((replaying, live, midway, buyers));
        assert_eq!(hub.open_streams(c.seller.user_id), (0, 0), "closed feeds leave the hub");
        stop.send(()).unwrap();
        watching.await.unwrap();
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hub_bounds_streams_per_user_and_per_instance() {
    for_each_backend(|db| async move {
        let core = db.core().await;
        let c = cast(&core).await;
        let limits = StreamLimits { per_user: 2, per_instance: 3 };
        let (hub, _watcher) = NotificationWatcher::start(core.store(), limits, Duration::from_secs(1)).await.unwrap();
        let first = hub.subscribe(&c.buyer).unwrap();
        let _second = hub.subscribe(&c.buyer).unwrap();
        assert_eq!(
            hub.subscribe(&c.buyer).unwrap_err(),
            gasstock_core::notifications::StreamRefused::TooManyForUser { limit: 2 }
        );
        let _seller = hub.subscribe(&c.seller).unwrap();
        assert_eq!(
            hub.subscribe(&c.admin).unwrap_err(),
            gasstock_core::notifications::StreamRefused::InstanceFull { limit: 3 }
        );
        drop(first);
        let again = hub.subscribe(&c.buyer).expect("a closed stream gives its place back");
        // A feed is its own user's only.
        let refused = core.notification_feed(&c.seller, again, None).await;
        assert!(matches!(refused, Err(gasstock_core::Error::Forbidden(_))), "{refused:?}");
    })
    .await;
}

/// Migration 20261202000030 (stream tickets) on a database of the schema before it: the users
/// carry forward and get tickets.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_stored_before_stream_tickets_carry_forward_and_get_tickets() {
    use sqlx::migrate::Migrator;
    fn before_tickets(mut migrator: Migrator) -> Migrator {
        let old: Vec<_> = migrator.migrations.iter().filter(|m| m.version < 20261202000030).cloned().collect();
        migrator.migrations = old.into();
        migrator
    }
    for_each_backend(|db| async move {
        let insert = "INSERT INTO users (email, name, role, password_hash, created_at) \
                      VALUES ('old@example.rw', 'Old', 'buyer', 'x', $1)";
        match db.backend {
            gasstock_tests::Backend::Sqlite => {
                let options: sqlx::sqlite::SqliteConnectOptions = db.url.parse().unwrap();
                let pool = sqlx::SqlitePool::connect_with(options.create_if_missing(true)).await.unwrap();
                before_tickets(sqlx::migrate!("../migrations/sqlite")).run(&pool).await.unwrap();
                sqlx::query(insert).bind(chrono::Utc::now()).execute(&pool).await.unwrap();
                pool.close().await;
            }
            gasstock_tests::Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
                before_tickets(sqlx::migrate!("../migrations/postgres")).run(&pool).await.unwrap();
                sqlx::query(insert).bind(chrono::Utc::now()).execute(&pool).await.unwrap();
                pool.close().await;
            }
        }
        let core = db.core().await;
        let old = core.user_by_email("old@example.rw").await.unwrap().expect("carried forward");
        let actor = gasstock_core::Actor::new(old.id, old.role);
        let expires = chrono::Utc::now() + chrono::Duration::hours(1);
        let ticket = core.issue_stream_ticket(&actor, "jti", expires).await.unwrap();
        let grant = core.redeem_stream_ticket(&ticket.ticket).await.unwrap().expect("redeemed");
        assert_eq!(grant.user_id, old.id);
    })
    .await;
}
