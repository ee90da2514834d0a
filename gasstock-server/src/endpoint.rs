//! One endpoint, declared once: its `#[utoipa::path]` attribute gives the method, the path and
//! the OpenAPI operation; its handler's signature gives the wiring (each argument is a
//! [`FromRequest`]). [`Endpoint::new`] joins the two; the warp route, the OpenAPI document and
//! the route list of the tests all come from the resulting [`Endpoint`]s.
//!
//! Path templates use `{id}` for integer segments: the route matches only when the segment
//! is an integer (any other text is a 404, as for an unknown route).

use std::future::Future;

use utoipa::__dev::{SchemaReferences, Tags};
use utoipa::openapi::path::{HttpMethod, Paths};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;
use warp::filters::BoxedFilter;
use warp::reply::Response;
use warp::{Filter, Rejection};

use crate::error::{render, ApiResult};
use crate::extract::{FromRequest, RouteContext};
use crate::state::State;

/// Schemas an endpoint refers to, by name.
pub type SchemaList = Vec<(String, RefOr<Schema>)>;

/// A function that serves requests: `async fn(A, B, ...) -> ApiResult`, each argument taken
/// from the request by its [`FromRequest`] (up to six).
pub trait Handler<Args>: Clone + Send + Sync + 'static {
    /// The filter that takes the arguments from a request and runs the handler.
    fn filter(self, route: &RouteContext<'_>) -> BoxedFilter<(Response,)>;

    /// The error statuses of its arguments ([`FromRequest::responses`]).
    fn responses() -> Vec<(u16, &'static str)>;
}

macro_rules! handler_taking {
    ($($arg:ident),*) => {
        #[allow(non_snake_case, unused_variables)]
        impl<F, Fut, $($arg: FromRequest),*> Handler<($($arg,)*)> for F
        where
            F: Fn($($arg),*) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future<Output = ApiResult> + Send + 'static,
        {
            fn filter(self, route: &RouteContext<'_>) -> BoxedFilter<(Response,)> {
                warp::any()
                    $(.and($arg::filter(route)))*
                    .then(move |$($arg: $arg),*| (self.clone())($($arg),*))
                    .map(render)
                    .boxed()
            }

            fn responses() -> Vec<(u16, &'static str)> {
                let all: [&'static [(u16, &'static str)]; 0 $(+ { let _ = stringify!($arg); 1 })*] = [$($arg::responses()),*];
                all.concat()
            }
        }
    };
}

handler_taking!();
handler_taking!(A);
handler_taking!(A, B);
handler_taking!(A, B, C);
handler_taking!(A, B, C, D);
handler_taking!(A, B, C, D, E);
handler_taking!(A, B, C, D, E, G);

type Wiring = Box<dyn Fn(&RouteContext<'_>) -> BoxedFilter<(Response,)> + Send + Sync>;

/// A route of the API: method, path template, OpenAPI operation and handler.
pub struct Endpoint {
    method: HttpMethod,
    path: String,
    document: fn(&mut Paths, &mut SchemaList),
    /// The error statuses of the handler's arguments.
    responses: Vec<(u16, &'static str)>,
    wiring: Wiring,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Endpoint({} {})", self.method(), self.path)
    }
}

impl Endpoint {
    /// The endpoint of `handler`, documented by `doc`: the `__path_<handler>` value that
    /// `#[utoipa::path]` generates next to it, e.g. `Endpoint::new(__path_get_order, get_order)`.
    pub fn new<P, H, Args>(doc: P, handler: H) -> Endpoint
    where
        P: utoipa::Path + SchemaReferences + for<'t> Tags<'t>,
        H: Handler<Args>,
    {
        let _ = doc;
        let methods = P::methods();
        let [method] = <[HttpMethod; 1]>::try_from(methods).unwrap_or_else(|_| panic!("{}: one method", P::path()));
        debug_assert!(
            short_name::<P>().strip_prefix("__path_") == Some(short_name::<H>()),
            "{} documents another handler than {}",
            std::any::type_name::<P>(),
            std::any::type_name::<H>(),
        );
        Endpoint {
            method,
            path: P::path(),
            document: document::<P>,
            responses: H::responses(),
            wiring: Box::new(move |route| handler.clone().filter(route)),
        }
    }

    /// `get`, `post`, ... as in the OpenAPI document.
    pub fn method(&self) -> &'static str {
        match self.method {
            HttpMethod::Get => "get",
            HttpMethod::Post => "post",
            HttpMethod::Put => "put",
            HttpMethod::Delete => "delete",
            HttpMethod::Options => "options",
            HttpMethod::Head => "head",
            HttpMethod::Patch => "patch",
            HttpMethod::Trace => "trace",
        }
    }

    /// The path template, e.g. `/api/v1/orders/{id}`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether a request `path` (not a template) is this endpoint's path.
    pub fn serves_path(&self, path: &str) -> bool {
        let template: Vec<Option<String>> = template_segments(&self.path);
        matches(&template, path)
    }

    /// Adds this endpoint's operation to `paths` and the schemas it refers to to `schemas`.
    ///
    /// The statuses its arguments answer with (401 without a token, 400 for a malformed body,
    /// ...) are added where the handler's `#[utoipa::path]` does not list them, so that every
    /// operation states every status it returns.
    pub fn document(&self, paths: &mut Paths, schemas: &mut SchemaList) {
        (self.document)(paths, schemas);
        let Some(item) = paths.paths.get_mut(&self.path) else { return };
        let operation = match self.method {
            HttpMethod::Get => item.get.as_mut(),
            HttpMethod::Post => item.post.as_mut(),
            HttpMethod::Put => item.put.as_mut(),
            HttpMethod::Delete => item.delete.as_mut(),
            HttpMethod::Options => item.options.as_mut(),
            HttpMethod::Head => item.head.as_mut(),
            HttpMethod::Patch => item.patch.as_mut(),
            HttpMethod::Trace => item.trace.as_mut(),
        };
        let Some(operation) = operation else { return };
        for (status, description) in &self.responses {
            operation.responses.responses.entry(status.to_string()).or_insert_with(|| error_response(description));
        }
    }

    /// The warp route: path, then method (405 for another one), then the handler's arguments.
    pub fn route(&self, state: &State) -> BoxedFilter<(Response,)> {
        let handler = (self.wiring)(&RouteContext { state, path: &self.path });
        let path = path_filter(&self.path);
        match self.method {
            HttpMethod::Get => path.and(warp::get()).and(handler).boxed(),
            HttpMethod::Post => path.and(warp::post()).and(handler).boxed(),
            HttpMethod::Put => path.and(warp::put()).and(handler).boxed(),
            HttpMethod::Delete => path.and(warp::delete()).and(handler).boxed(),
            HttpMethod::Options => path.and(warp::options()).and(handler).boxed(),
            HttpMethod::Head => path.and(warp::head()).and(handler).boxed(),
            HttpMethod::Patch => path.and(warp::patch()).and(handler).boxed(),
            HttpMethod::Trace => panic!("{}: TRACE is not served", self.path),
        }
    }
}

/// An endpoint's path template, split once, to name the endpoint of a request path (the
/// metrics' `route` label) without splitting the template again for each request.
#[derive(Debug, Clone)]
pub struct Template {
    path: String,
    segments: Vec<Option<String>>,
}

impl Template {
    pub fn of(endpoint: &Endpoint) -> Template {
        Template { path: endpoint.path.clone(), segments: template_segments(&endpoint.path) }
    }

    /// `/api/v1/orders/{id}`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether a request `path` is this template's.
    pub fn matches(&self, path: &str) -> bool {
        matches(&self.segments, path)
    }
}

fn document<P: utoipa::Path + SchemaReferences + for<'t> Tags<'t>>(paths: &mut Paths, schemas: &mut SchemaList) {
    let mut operation = P::operation();
    operation.tags.get_or_insert_with(Vec::new).extend(P::tags().into_iter().map(str::to_owned));
    paths.add_path_operation(P::path(), P::methods(), operation);
    P::schemas(schemas);
}

/// A response with the JSON error body.
fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    let content = utoipa::openapi::ContentBuilder::new()
        .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
        .build();
    RefOr::T(
        utoipa::openapi::ResponseBuilder::new().description(description).content("application/json", content).build(),
    )
}

/// The last segment of a type's name: `get_order` for `gasstock_server::api::orders::get_order`.
fn short_name<T>() -> &'static str {
    let name = std::any::type_name::<T>();
    name.rsplit("::").next().unwrap_or(name)
}

/// Matches the whole request path against `template` (one trailing slash allowed, as warp's
/// `path!` does); `{...}` segments match integers.
fn path_filter(template: &str) -> impl Filter<Extract = (), Error = Rejection> + Clone + Send + Sync + 'static {
    let segments = std::sync::Arc::new(template_segments(template));
    warp::path::full()
        .and_then(move |path: warp::path::FullPath| {
            let matched = matches(&segments, path.as_str());
            async move {
                if matched {
                    Ok(())
                } else {
                    Err(warp::reject::not_found())
                }
            }
        })
        .untuple_one()
}

/// A template's segments: `Some(literal)`, or `None` for an `{id}`.
fn template_segments(template: &str) -> Vec<Option<String>> {
    template
        .trim_start_matches('/')
        .split('/')
        .map(|segment| (!(segment.starts_with('{') && segment.ends_with('}'))).then(|| segment.to_owned()))
        .collect()
}

fn matches(template: &[Option<String>], path: &str) -> bool {
    let path = path.strip_prefix('/').unwrap_or(path);
    let path = path.strip_suffix('/').filter(|rest| !rest.is_empty()).unwrap_or(path);
    let mut segments = path.split('/');
    let all = template.iter().all(|expected| match (expected, segments.next()) {
        (Some(literal), Some(segment)) => literal == segment,
        (None, Some(segment)) => segment.parse::<i64>().is_ok(),
        (_, None) => false,
    });
    all && segments.next().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(text: &str) -> Vec<Option<String>> {
        text.trim_start_matches('/').split('/').map(|s| (!s.starts_with('{')).then(|| s.to_owned())).collect()
    }

    #[test]
    fn paths_match_like_warp_path() {
        let orders = template("/api/v1/orders/{id}/cancel");
        assert!(matches(&orders, "/api/v1/orders/12/cancel"));
        assert!(matches(&orders, "/api/v1/orders/-3/cancel"));
        assert!(matches(&orders, "/api/v1/orders/12/cancel/"), "one trailing slash");
        for other in [
            "/api/v1/orders/x/cancel",
            "/api/v1/orders//cancel",
            "/api/v1/orders/12",
            "/api/v1/orders/12/cancel//",
            "/api/v1/orders/12/cancel/more",
            "/API/v1/orders/12/cancel",
        ] {
            assert!(!matches(&orders, other), "{other}");
        }
        let health = template("/healthz");
        assert!(matches(&health, "/healthz") && matches(&health, "/healthz/"));
        assert!(!matches(&health, "/") && !matches(&health, "/healthz/x"));
    }
}
