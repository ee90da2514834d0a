//! The whole server: every endpoint's route, every rejection rendered as the JSON error body,
//! and one log line per request.

use std::convert::Infallible;
use std::time::Instant;

use warp::filters::BoxedFilter;
use warp::http::HeaderValue;
use warp::reply::Response;
use warp::{Filter, Reply};

use crate::endpoint::Template;
use crate::error;
use crate::state::State;

/// The routes of every endpoint of [`crate::api::endpoints`], tried in turn.
pub fn api(state: &State) -> BoxedFilter<(Response,)> {
    crate::api::endpoints()
        .iter()
        .map(|endpoint| endpoint.route(state))
        .reduce(|all, route| all.or(route).unify().boxed())
        .expect("at least one endpoint")
}

/// Every route, every rejection rendered as the JSON error body, and one log line per
/// request with its id (`X-Request-Id`, taken from the request or generated).
pub fn routes(state: &State) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static {
    // CORS outside the error rendering: error answers carry its headers too.
    let api = crate::cors::wrap(state.cors_origins.clone(), api(state).recover(error::recover).unify());
    // For the `Allow` header of a 405.
    let endpoints = std::sync::Arc::new(crate::api::endpoints());
    let templates: std::sync::Arc<Vec<Template>> = std::sync::Arc::new(endpoints.iter().map(Template::of).collect());
    warp::any()
        .map(Instant::now)
        .and(warp::method())
        .and(warp::path::full())
        .and(warp::header::optional::<String>("x-request-id").or(warp::any().map(|| None)).unify())
        .and(api)
        .map(move |started: Instant, method: warp::http::Method, path: warp::path::FullPath, id: Option<String>, reply: Response| {
            let mut response = reply.into_response();
            if response.status() == warp::http::StatusCode::METHOD_NOT_ALLOWED {
                if let Ok(value) = HeaderValue::from_str(&allowed_methods(&endpoints, path.as_str())) {
                    response.headers_mut().insert(warp::http::header::ALLOW, value);
                }
            }
            let id = id
                .filter(|id| crate::serve::valid_request_id(id))
                .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
            let status = response.status().as_u16();
            let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
            if crate::metrics::enabled() {
                crate::metrics::request(&method, route_template(&templates, path.as_str()), status, started.elapsed());
            }
            tracing::info!(target: "gasstock_server::request", %method, path = path.as_str(), status, latency_ms, request_id = %id, "request");
            if let Ok(value) = HeaderValue::from_str(&id) {
                response.headers_mut().insert("x-request-id", value);
            }
            response
        })
}

/// The template of the endpoint serving `path` (`/api/v1/orders/{id}`), for the metrics'
/// `route` label: raw paths would make a series per order.
fn route_template<'a>(templates: &'a [Template], path: &str) -> &'a str {
    templates.iter().find(|template| template.matches(path)).map_or("unmatched", Template::path)
}

/// `GET, POST`: the methods of the endpoints at `path`.
fn allowed_methods(endpoints: &[crate::endpoint::Endpoint], path: &str) -> String {
    let mut methods: Vec<String> = endpoints
        .iter()
        .filter(|endpoint| endpoint.serves_path(path))
        .map(|endpoint| endpoint.method().to_ascii_uppercase())
        .collect();
    methods.sort();
    methods.dedup();
    methods.join(", ")
}
