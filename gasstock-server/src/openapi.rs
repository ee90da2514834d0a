//! The OpenAPI 3 document, generated from the handlers' `#[utoipa::path]` attributes, and the
//! offline `/docs` page that renders it.

use std::sync::OnceLock;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use warp::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use warp::http::HeaderValue;
use warp::reply::Response;
use warp::Reply;

use crate::handlers;

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "gasstock API",
        description = "LPG cylinder distribution: sellers list stock, buyers order, admins approve, \
                       sellers invoice, admins confirm delivery and release payment.\n\n\
                       Every error has the body `{\"error\": {\"code\", \"message\", \"details\"}}`. \
                       Lists are paginated with `page` and `per_page` (at most 100).",
    ),
    paths(
        handlers::healthz,
        handlers::readyz,
        handlers::openapi_json,
        handlers::docs,
        handlers::register,
        handlers::login,
        handlers::logout,
        handlers::browse_stock,
        handlers::place_order,
        handlers::my_orders,
        handlers::get_order,
        handlers::order_history,
        handlers::cancel_order,
        handlers::leave_feedback,
        handlers::seller_inventory,
        handlers::upsert_stock_item,
        handlers::seller_orders,
        handlers::submit_invoice,
        handlers::pending_orders,
        handlers::decide_order,
        handlers::pending_invoices,
        handlers::decide_invoice,
        handlers::confirm_delivery,
        crate::notifications::list,
        crate::notifications::mark_read,
        crate::notifications::mark_all_read,
        crate::notifications::stream,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorDetail)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Sign up, sign in, sign out"),
        (name = "buyer", description = "Browse stock, order, rate"),
        (name = "seller", description = "Stock, orders on it, invoices"),
        (name = "admin", description = "Approvals and delivery"),
        (name = "notifications", description = "The signed-in user's notifications: feed, read marks, live stream (SSE)"),
        (name = "operations", description = "Health checks"),
    )
)]
pub struct ApiDoc;

/// The `bearer` security scheme that the authenticated paths refer to.
#[derive(Debug)]
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// The document as JSON, built once.
pub fn spec_json() -> &'static str {
    static SPEC: OnceLock<String> = OnceLock::new();
    SPEC.get_or_init(|| ApiDoc::openapi().to_pretty_json().expect("the OpenAPI document serializes"))
}

pub fn spec_response() -> Response {
    let mut response = spec_json().to_owned().into_response();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

pub fn docs_page() -> Response {
    let mut response = warp::reply::html(DOCS_HTML).into_response();
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// A self-contained page (no CDN, no external file) that fetches the spec and lists every
/// operation with its parameters, body and responses.
const DOCS_HTML: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>gasstock API</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem 2rem; color: #222; }
  h1 { margin-bottom: 0; } h2 { border-bottom: 1px solid #ccc; margin-top: 2rem; text-transform: capitalize; }
  details { border: 1px solid #ddd; border-radius: 6px; margin: .5rem 0; }
  summary { cursor: pointer; padding: .5rem; }
  details > div { padding: 0 1rem 1rem; }
  .m { display: inline-block; width: 4.5rem; font-weight: bold; font-family: monospace; }
  .get { color: #0a6; } .post { color: #06c; } .patch { color: #c60; } .delete { color: #c00; }
  code, pre { font-family: ui-monospace, monospace; font-size: 13px; }
  pre { background: #f6f6f6; padding: .5rem; overflow-x: auto; }
  .lock { color: #999; }
  table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: .2rem .5rem; text-align: left; vertical-align: top; }
</style>
</head>
<body>
<h1 id="title">gasstock API</h1>
<p id="desc">Loading <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> ...</p>
<div id="ops"></div>
<h2>Schemas</h2>
<div id="schemas"></div>
<script>
"use strict";
const esc = s => String(s ?? "").replace(/[&<>"]/g, c => ({"&":"&amp;","<":"&lt;",">":"&gt;",'"':"&quot;"}[c]));
let spec;
function resolve(schema) {
  if (schema && schema.$ref) { return spec.components.schemas[schema.$ref.split("/").pop()] || {}; }
  return schema || {};
}
function typeName(schema) {
  if (!schema) return "";
  if (schema.$ref) { const n = schema.$ref.split("/").pop(); return `<a href="#schema-${esc(n)}">${esc(n)}</a>`; }
  if (schema.type === "array") return `array of ${typeName(schema.items)}`;
  if (schema.oneOf) return schema.oneOf.map(typeName).join(" | ");
  if (schema.allOf) return schema.allOf.map(typeName).join(" & ");
  if (schema.properties) return `{ ${Object.entries(schema.properties).map(([k, v]) => `${esc(k)}: ${typeName(v)}`).join(", ")} }`;
  const t = Array.isArray(schema.type) ? schema.type.join(" | ") : (schema.type || "any");
  return esc(t) + (schema.format ? ` <small>(${esc(schema.format)})</small>` : "");
}
function schemaTable(schema) {
  const s = resolve(schema);
  if (!s.properties) return `<p>${typeName(schema)}</p>`;
  const req = new Set(s.required || []);
  return "<table><tr><th>field</th><th>type</th><th>required</th><th>description</th></tr>" +
    Object.entries(s.properties).map(([k, v]) =>
      `<tr><td><code>${esc(k)}</code></td><td>${typeName(v)}</td><td>${req.has(k) ? "yes" : ""}</td><td>${esc(v.description)}</td></tr>`).join("") +
    "</table>";
}
function operation(path, method, op) {
  const secured = (op.security || []).length > 0;
  let html = `<details><summary><span class="m ${method}">${method.toUpperCase()}</span> <code>${esc(path)}</code> — ${esc(op.summary || op.description || "")}` +
    (secured ? ` <span class="lock" title="needs Authorization: Bearer">🔒</span>` : "") + `</summary><div>`;
  if (op.description && op.description !== op.summary) html += `<p>${esc(op.description)}</p>`;
  if ((op.parameters || []).length) {
    html += "<h4>Parameters</h4><table><tr><th>name</th><th>in</th><th>type</th><th>description</th></tr>" +
      op.parameters.map(p => `<tr><td><code>${esc(p.name)}</code>${p.required ? " *" : ""}</td><td>${esc(p.in)}</td><td>${typeName(p.schema)}</td><td>${esc(p.description)}</td></tr>`).join("") +
      "</table>";
  }
  const body = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
  if (body) html += `<h4>Request body (application/json)</h4>${schemaTable(body.schema)}`;
  html += "<h4>Responses</h4><table><tr><th>status</th><th>description</th><th>body</th></tr>" +
    Object.entries(op.responses || {}).map(([code, r]) => {
      const c = r.content && r.content["application/json"];
      return `<tr><td>${esc(code)}</td><td>${esc(r.description)}</td><td>${c ? typeName(c.schema) : ""}</td></tr>`;
    }).join("") + "</table></div></details>";
  return html;
}
fetch("/api/v1/openapi.json").then(r => r.json()).then(s => {
  spec = s;
  document.title = s.info.title;
  document.getElementById("title").textContent = `${s.info.title} ${s.info.version}`;
  document.getElementById("desc").innerHTML = `OpenAPI ${esc(s.openapi)} — <a href="/api/v1/openapi.json">raw document</a><br>${esc(s.info.description || "")}`;
  const byTag = {};
  for (const [path, item] of Object.entries(s.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      const tag = (op.tags || ["other"])[0];
      (byTag[tag] = byTag[tag] || []).push(operation(path, method, op));
    }
  }
  document.getElementById("ops").innerHTML = Object.entries(byTag).map(([tag, ops]) => `<h2>${esc(tag)}</h2>${ops.join("")}`).join("");
  document.getElementById("schemas").innerHTML = Object.entries((s.components || {}).schemas || {}).map(([name, schema]) =>
    `<details id="schema-${esc(name)}"><summary><code>${esc(name)}</code></summary><div>${schemaTable(schema)}</div></details>`).join("");
}).catch(e => { document.getElementById("desc").textContent = "Cannot load the OpenAPI document: " + e; });
</script>
</body>
</html>
"##;
