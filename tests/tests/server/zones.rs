//! Delivery zones and fees over HTTP (issue 13), on every backend.

use gasstock_tests::Backend;
use serde_json::json;

use crate::support::App;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zones_refuse_other_districts_and_set_the_default_fee() {
    for backend in Backend::available() {
        eprintln!("-- backend: {backend:?}");
        let app = App::start(backend).await;
        let m = app.market().await;

        // The seller declares zones; names are matched in any case and stored officially.
        let put = app
            .call(
                "PUT",
                "/api/v1/seller/zones",
                Some(&m.seller),
                Some(json!([{"district": "nyanza", "fee": 0}, {"district": "Huye", "fee": 700}])),
            )
            .await;
        assert_eq!(
            put.expect(200, "put zones").clone(),
            json!([{"district": "Huye", "fee": 700}, {"district": "Nyanza", "fee": 0}])
        );
        assert_eq!(app.get("/api/v1/seller/zones", &m.seller).await.expect(200, "get zones").clone(), put.body);
        let unknown = app
            .call("PUT", "/api/v1/seller/zones", Some(&m.seller), Some(json!([{"district": "Butare", "fee": 1}])))
            .await;
        unknown.expect_error(422, "invalid", "unknown district");
        assert!(
            unknown.text.contains("Gasabo") && unknown.text.contains("Rutsiro"),
            "lists the valid: {}",
            unknown.text
        );
        let twice = json!([{"district": "Huye", "fee": 1}, {"district": "HUYE", "fee": 2}]);
        app.call("PUT", "/api/v1/seller/zones", Some(&m.seller), Some(twice)).await.expect_error(
            409,
            "duplicate_district",
            "twice",
        );
        let negative = json!([{"district": "Huye", "fee": -1}]);
        app.call("PUT", "/api/v1/seller/zones", Some(&m.seller), Some(negative))
            .await
            .expect_error(422, "invalid", "fee");
        app.call("PUT", "/api/v1/seller/zones", Some(&m.buyer), Some(json!([]))).await.expect_error(
            403,
            "forbidden",
            "buyer",
        );
        assert_eq!(app.get("/api/v1/seller/zones", &m.seller).await.body, put.body, "refused puts changed nothing");

        // Orders: a district the seller does not serve is refused (its reservation undone);
        // one it serves is recorded; none is today's behaviour.
        let before = app.quantity(&m.seller, m.item).await;
        let order = |district: Option<&str>| {
            let mut body = json!({"inventory_id": m.item, "quantity": 1});
            if let Some(district) = district {
                body["delivery_district"] = json!(district);
            }
            app.post("/api/v1/orders", &m.buyer, body)
        };
        let refused = order(Some("Musanze")).await;
        refused.expect_error(422, "invalid", "not served");
        assert!(refused.text.contains("Huye, Nyanza"), "{}", refused.text);
        order(Some("Atlantis")).await.expect_error(422, "invalid", "unknown district");
        assert_eq!(app.quantity(&m.seller, m.item).await, before, "nothing reserved");
        let served = order(Some("huye")).await.expect(201, "served").clone();
        assert_eq!(served["delivery_district"], "Huye");
        let plain = order(None).await.expect(201, "no district").clone();
        assert_eq!(plain["delivery_district"], serde_json::Value::Null);
        let free = order(Some("Nyanza")).await.expect(201, "free zone").clone();

        // Invoices: the fee defaults to the zone's; an explicit one wins; no district, 0.
        let invoice = |order: &serde_json::Value, fee: Option<i64>| {
            let id = order["id"].as_i64().unwrap();
            let (app, m) = (&app, &m);
            async move {
                app.decide_order(&m.admin, id, true).await;
                let mut body = json!({"order_id": id});
                if let Some(fee) = fee {
                    body["delivery_fee"] = json!(fee);
                }
                app.post("/api/v1/seller/invoice", &m.seller, body).await.expect(201, "invoice").clone()
            }
        };
        let zone_fee = invoice(&served, None).await;
        assert_eq!((zone_fee["delivery_fee"].as_i64(), zone_fee["amount"].as_i64()), (Some(700), Some(1000 + 700)));
        assert_eq!(invoice(&plain, None).await["delivery_fee"], 0);
        assert_eq!(invoice(&free, Some(250)).await["delivery_fee"], 250, "an explicit fee wins");

        // Clearing the zones: a district-less order still works, a district is refused.
        let cleared = app.call("PUT", "/api/v1/seller/zones", Some(&m.seller), Some(json!([]))).await;
        assert_eq!(cleared.expect(200, "clear").clone(), json!([]));
        let none = order(Some("Huye")).await;
        none.expect_error(422, "invalid", "no zones");
        assert!(none.text.contains("none declared"), "{}", none.text);
        order(None).await.expect(201, "still orderable without a district");
    }
}
