//! Choosing a seller over HTTP (issue 13), on every backend: `GET /gas?near=` ordered by
//! distances computed here, `sort`, `max_km`, ratings on browse results, and a seller's
//! public profile and reviews.

use gasstock_core::domain::DISTRICTS;
use gasstock_tests::Backend;
use serde_json::{json, Value};

use crate::support::App;

/// Great-circle km, computed here independently of the server (haversine, R = 6371 km).
fn km(from: &str, to: &str) -> f64 {
    let at = |name: &str| DISTRICTS.iter().find(|d| d.name == name).map(|d| (d.lat, d.lon)).unwrap();
    let ((la1, lo1), (la2, lo2)) = (at(from), at(to));
    let (p1, p2) = (la1.to_radians(), la2.to_radians());
    let a = ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * ((lo2 - lo1).to_radians() / 2.0).sin().powi(2);
    2.0 * 6371.0 * a.sqrt().atan2((1.0 - a).sqrt())
}

/// A delivered order of `item` rated `rating` by `buyer`.
async fn rate(app: &App, buyer: &str, seller: &str, admin: &str, item: i64, rating: i64) {
    let id = app.order(buyer, item, 1).await["id"].as_i64().unwrap();
    app.decide_order(admin, id, true).await;
    let invoice = app.post("/api/v1/seller/invoice", seller, json!({"order_id": id})).await;
    let invoice_id = invoice.expect(201, "invoice")["id"].as_i64().unwrap();
    app.patch(&format!("/api/v1/admin/invoices/{invoice_id}/approve"), admin, Some(json!({"approve": true})))
        .await
        .expect(200, "approve invoice");
    app.patch(&format!("/api/v1/admin/delivery/{id}/confirm"), admin, None).await.expect(200, "confirm");
    app.post("/api/v1/feedback", buyer, json!({"order_id": id, "rating": rating})).await.expect(201, "feedback");
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_near_a_district_sorts_by_distance_price_and_rating() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start(backend).await;
        let (_, admin) = app.admin("admin@gas.rw").await;
        let (_, buyer) = app.user("buyer@gas.rw", "buyer").await;
        let (a_id, a) = app.user("a@gas.rw", "seller").await;
        let (b_id, b) = app.user("b@gas.rw", "seller").await;
        let (_, c) = app.user("c@gas.rw", "seller").await;
        // Locations: districts in any case, and one that is no district (no distance).
        let huye = app.stock(&a, "Jibu", json!(12), "huye", 10, 16000).await;
        let rubavu = app.stock(&b, "Jibu", json!(12), "Rubavu", 10, 14000).await;
        let gasabo = app.stock(&c, "Jibu", json!(12), "GASABO", 10, 15000).await;
        let kigali = app.stock(&c, "Jibu", json!(6), "Kigali", 10, 9000).await;
        rate(&app, &buyer, &a, &admin, huye, 3).await;
        rate(&app, &buyer, &a, &admin, huye, 4).await;
        rate(&app, &buyer, &b, &admin, rubavu, 5).await;

        // near=Huye: nearest first by the distances computed here, the non-district last.
        let page = app.get("/api/v1/gas?near=Huye", &buyer).await.expect(200, "near").clone();
        let mut expected = [(huye, km("Huye", "Huye")), (rubavu, km("Huye", "Rubavu")), (gasabo, km("Huye", "Gasabo"))];
        expected.sort_by(|x, y| x.1.total_cmp(&y.1));
        let mut order: Vec<i64> = expected.iter().map(|(id, _)| *id).collect();
        order.push(kigali);
        assert_eq!(ids(&page), order, "{page}");
        for item in page["items"].as_array().unwrap() {
            let id = item["id"].as_i64().unwrap();
            match expected.iter().find(|(e, _)| *e == id) {
                Some((_, d)) => {
                    let shown = item["distance_km"].as_f64().unwrap();
                    assert!((shown - d).abs() <= 0.051, "item {id}: {shown} km, computed {d}");
                }
                None => assert_eq!(item["distance_km"], Value::Null, "no district, no distance"),
            }
        }
        // Ratings ride along: A 3.5 of 2, B 5.0 of 1, C none.
        let find =
            |page: &Value, id: i64| page["items"].as_array().unwrap().iter().find(|i| i["id"] == id).unwrap().clone();
        assert_eq!(
            (find(&page, huye)["seller_rating"].as_f64(), find(&page, huye)["seller_reviews"].as_i64()),
            (Some(3.5), Some(2))
        );
        assert_eq!(find(&page, rubavu)["seller_rating"].as_f64(), Some(5.0));
        assert_eq!(
            (find(&page, gasabo)["seller_rating"].clone(), find(&page, gasabo)["seller_reviews"].as_i64()),
            (Value::Null, Some(0))
        );

        // max_km keeps what is that close (computed here); the non-district is out.
        let close = app.get("/api/v1/gas?near=huye&max_km=100", &buyer).await.expect(200, "max_km").clone();
        let within: Vec<i64> = expected.iter().filter(|(_, d)| *d <= 100.0).map(|(id, _)| *id).collect();
        assert_eq!(ids(&close), within);
        assert_eq!(close["total"].as_i64(), Some(within.len() as i64));

        // Other orders; the plain browse is unchanged (by id) but carries the ratings too.
        let cheapest = app.get("/api/v1/gas?near=Huye&sort=price", &buyer).await.expect(200, "price").clone();
        assert_eq!(ids(&cheapest), [kigali, rubavu, gasabo, huye]);
        let rated = app.get("/api/v1/gas?sort=rating", &buyer).await.expect(200, "rating").clone();
        assert_eq!(ids(&rated), [rubavu, huye, gasabo, kigali]);
        let plain = app.get("/api/v1/gas", &buyer).await.expect(200, "plain").clone();
        assert_eq!(ids(&plain), [huye, rubavu, gasabo, kigali]);
        assert_eq!(find(&plain, huye)["seller_rating"].as_f64(), Some(3.5));
        assert_eq!(find(&plain, huye)["distance_km"], Value::Null);
        let filtered = app.get("/api/v1/gas?near=Huye&weight=6", &buyer).await.expect(200, "filtered").clone();
        assert_eq!(ids(&filtered), [kigali]);
        let paged = app.get("/api/v1/gas?near=Huye&per_page=2&page=2", &buyer).await.expect(200, "page 2").clone();
        assert_eq!((ids(&paged), paged["total"].as_i64()), (order[2..].to_vec(), Some(4)));
        let past =
            app.get("/api/v1/gas?near=Huye&max_km=100&per_page=2&page=9", &buyer).await.expect(200, "past").clone();
        assert_eq!((ids(&past), past["total"].as_i64()), (vec![], Some(within.len() as i64)), "the true total");
        let rated_near =
            app.get("/api/v1/gas?near=Huye&sort=rating&per_page=3", &buyer).await.expect(200, "rated").clone();
        assert_eq!((ids(&rated_near), rated_near["total"].as_i64()), (vec![rubavu, huye, gasabo], Some(4)));

        // Bad input: 422 with the valid districts listed, or the rule broken.
        let unknown = app.get("/api/v1/gas?near=Butare", &buyer).await;
        unknown.expect_error(422, "invalid", "unknown district");
        assert!(DISTRICTS.iter().all(|d| unknown.text.contains(d.name)), "lists all 30: {}", unknown.text);
        // Without near there is no distance: sort=distance is the default order, max_km limits nothing.
        let no_near = app.get("/api/v1/gas?sort=distance&max_km=5", &buyer).await.expect(200, "no near").clone();
        assert_eq!(ids(&no_near), ids(&plain));
        app.get("/api/v1/gas?near=Huye&sort=best", &buyer).await.expect_error(422, "invalid", "unknown sort");
        app.get("/api/v1/gas?near=Huye&max_km=-1", &buyer).await.expect_error(422, "invalid", "negative max_km");

        // A seller's public profile and reviews.
        app.call(
            "PUT",
            "/api/v1/seller/zones",
            Some(&a),
            Some(json!([{"district": "Nyanza", "fee": 500}, {"district": "Huye", "fee": 0}])),
        )
        .await
        .expect(200, "zones");
        let profile = app.get(&format!("/api/v1/sellers/{a_id}"), &buyer).await.expect(200, "profile").clone();
        assert_eq!(
            profile,
            json!({"id": a_id, "name": "seller a@gas.rw", "location": "Kigali", "rating": 3.5, "reviews": 2, "districts": ["Huye", "Nyanza"]})
        );
        let reviews = app
            .get(&format!("/api/v1/sellers/{a_id}/feedback?per_page=1"), &buyer)
            .await
            .expect(200, "reviews")
            .clone();
        assert_eq!(
            (reviews["total"].as_i64(), reviews["items"][0]["rating"].as_i64()),
            (Some(2), Some(4)),
            "newest first"
        );
        let b_profile = app.get(&format!("/api/v1/sellers/{b_id}"), &a).await.expect(200, "any signed-in user").clone();
        assert_eq!((b_profile["rating"].as_f64(), b_profile["districts"].clone()), (Some(5.0), json!([])));
        let buyer_id = app.get("/api/v1/orders", &buyer).await.body["items"][0]["buyer_id"].as_i64().unwrap();
        app.get(&format!("/api/v1/sellers/{buyer_id}"), &buyer).await.expect_error(
            404,
            "not_found",
            "a buyer is no seller",
        );
        app.get(&format!("/api/v1/sellers/{buyer_id}/feedback"), &buyer).await.expect_error(
            404,
            "not_found",
            "nor has reviews",
        );
        app.call("GET", &format!("/api/v1/sellers/{a_id}"), None, None).await.expect(401, "signed in only");
    }
}
