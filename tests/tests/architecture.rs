//! Architecture fitness test: the shape rules of ARCHITECTURE.md, checked on every `cargo test`.
//!
//! It parses (with `syn`) the sources of gasstock-core, gasstock-server and gasstock-cli,
//! following `mod` declarations from each crate root, and asserts:
//!
//! 1. **No import cycle** among the modules of gasstock-core and of gasstock-server (library and
//!    binary are separate crates). A module is one `.rs` file, named by its path (`store::orders`;
//!    inline modules such as `mod dialect { .. }` belong to their file). An edge `a -> b` comes
//!    from a `use` (groups `crate::{a, b::c}` flattened, `self::`/`super::` resolved, and
//!    re-exports followed to the module that defines the item) or from a `crate::`/`super::`/
//!    `self::`/`$crate::` path written in code or inside a macro's tokens. Parent and child: a
//!    `mod child;` declaration is no edge, and a `pub use` (a re-export) of a descendant's item
//!    is no edge either, so a parent that declares and re-exports its children is not in a cycle
//!    with them. A private `use` of a descendant's item is an edge, so
//!    child -> parent -> child through real imports is a cycle.
//! 2. **No long file**: no non-test Rust file of the three crates over 400 lines, counting the
//!    file's lines minus its `#[cfg(test)]` items (inline unit tests do not count; files under
//!    `tests/` or declared by `#[cfg(test)] mod x;` are not checked).
//! 3. **No long macro**: no `macro_rules!` definition over 40 lines, from the `macro_rules!` line
//!    to its closing brace.
//! 4. **No status literal** outside `gasstock-core/src/domain/status.rs`: the values of
//!    `OrderStatus`, `InvoiceStatus` and `PaymentStatus` (taken from their `ALL` and `as_str`,
//!    so the test follows the enums) neither as a whole Rust string literal (`"pending"`) nor
//!    quoted inside one (SQL's `'pending'`), in non-test code, including string literals inside
//!    macro calls and attributes. Doc comments and the URL segments of `path!(..)` are not code
//!    values and are skipped; deliberate exceptions are listed in [`ALLOWED_STATUS_LITERALS`].
//!
//! Failures name the file and line of each violation (for a cycle: each edge and the `use`
//! that makes it). Test code is skipped everywhere: `#[cfg(test)]` items, `#[test]` functions.
//!
//! `GASSTOCK_ARCHITECTURE_GRAPH=1 cargo test -p gasstock-tests --test architecture -- --nocapture`
//! also prints each crate's module graph; `GASSTOCK_ARCHITECTURE_ROOT=DIR` checks another
//! checkout (the status values still come from this build's enums).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use gasstock_core::domain::{InvoiceStatus, OrderStatus, PaymentStatus};
use proc_macro2::{Spacing, Span, TokenStream, TokenTree};
use syn::visit::{self, Visit};

const MAX_FILE_LINES: usize = 400;
const MAX_MACRO_LINES: usize = 40;
/// The one file allowed to spell statuses.
const STATUS_FILE: &str = "gasstock-core/src/domain/status.rs";
/// String literals equal to a status value that are deliberately something else:
/// (file, literal, why).
const ALLOWED_STATUS_LITERALS: &[(&str, &str, &str)] = &[
    ("gasstock-cli/src/report.rs", "delivered", "a column header of the sellers report (a count of orders)"),
    ("gasstock-cli/src/drivers.rs", "delivered", "a column header of the deliveries report (a count of dispatches)"),
    ("gasstock-cli/src/drivers.rs", "failed", "a column header of the deliveries report (a count of dispatches)"),
    ("gasstock-cli/src/payouts.rs", "failed", "a column header of the payouts report (an amount)"),
    ("gasstock-core/src/webhooks/worker.rs", "failed", "a metrics label: a webhook attempt that will be retried"),
];

/// Crate roots: (name shown in reports, root file relative to the workspace, checked for cycles).
const CRATES: &[(&str, &str, bool)] = &[
    ("gasstock-core", "gasstock-core/src/lib.rs", true),
    ("gasstock-server (lib)", "gasstock-server/src/lib.rs", true),
    ("gasstock-server (bin)", "gasstock-server/src/main.rs", true),
    ("gasstock-cli", "gasstock-cli/src/main.rs", false),
];
/// Every Rust file under these folders must be reachable from a crate root (or is reported).
const SOURCE_DIRS: &[&str] = &["gasstock-core/src", "gasstock-server/src", "gasstock-cli/src"];

/// A module path below the crate root: `[]` is the root, `["store", "orders"]` is `store::orders`.
type ModPath = Vec<String>;

fn show(path: &[String]) -> String {
    if path.is_empty() {
        "crate".to_string()
    } else {
        path.join("::")
    }
}

// ---------------------------------------------------------------------------------------------
// Loading: files, modules, imports.

/// Where sources come from: the disk for the real check, a map for the checker's own tests.
trait Sources {
    fn read(&self, rel: &str) -> Option<String>;
}

struct Disk;

impl Sources for Disk {
    fn read(&self, rel: &str) -> Option<String> {
        std::fs::read_to_string(workspace().join(rel)).ok()
    }
}

impl Sources for BTreeMap<&str, &str> {
    fn read(&self, rel: &str) -> Option<String> {
        self.get(rel).map(|s| s.to_string())
    }
}

/// The workspace checked: this one, or another checkout named by `GASSTOCK_ARCHITECTURE_ROOT`
/// (to try the rules on a branch without building it).
fn workspace() -> &'static Path {
    static ROOT: LazyLock<PathBuf> = LazyLock::new(|| match std::env::var_os("GASSTOCK_ARCHITECTURE_ROOT") {
        Some(root) => PathBuf::from(root),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf(),
    });
    &ROOT
}

struct SourceFile {
    rel: String,
    module: ModPath,
    line_count: usize,
    ast: syn::File,
}

#[derive(Default)]
struct Module {
    /// The module of the file this module's code is written in (itself unless inline).
    file_module: ModPath,
    /// Names this module brings into scope with `use`: alias -> absolute path (or `None` when the
    /// path leaves the crate).
    imports: BTreeMap<String, Option<ModPath>>,
    /// `use x::*` targets (absolute).
    globs: Vec<ModPath>,
    /// Items defined here by name (struct, fn, trait, ...).
    defined: BTreeSet<String>,
    /// Child modules (inline or file).
    children: BTreeSet<String>,
}

struct Crate {
    name: String,
    files: Vec<SourceFile>,
    /// Files declared by `#[cfg(test)] mod x;` (never parsed).
    test_files: BTreeSet<String>,
    modules: BTreeMap<ModPath, Module>,
    /// `#[macro_export]` macros: named at the crate root, defined in this file module.
    exported_macros: BTreeMap<String, ModPath>,
    problems: Vec<String>,
}

/// A `use` leaf: `alias` names `path` (relative, as written); `glob` for `path::*`.
struct UseLeaf {
    alias: String,
    path: Vec<String>,
    glob: bool,
    span: Span,
}

fn flatten_use(tree: &syn::UseTree, prefix: &mut Vec<String>, out: &mut Vec<UseLeaf>) {
    match tree {
        syn::UseTree::Path(p) => {
            prefix.push(p.ident.to_string());
            flatten_use(&p.tree, prefix, out);
            prefix.pop();
        }
        syn::UseTree::Name(n) => {
            let mut path = prefix.clone();
            let alias = if n.ident == "self" {
                prefix.last().cloned().unwrap_or_default()
            } else {
                path.push(n.ident.to_string());
                n.ident.to_string()
            };
            out.push(UseLeaf { alias, path, glob: false, span: n.ident.span() });
        }
        syn::UseTree::Rename(r) => {
            let mut path = prefix.clone();
            if r.ident != "self" {
                path.push(r.ident.to_string());
            }
            out.push(UseLeaf { alias: r.rename.to_string(), path, glob: false, span: r.rename.span() });
        }
        syn::UseTree::Glob(g) => {
            out.push(UseLeaf { alias: String::new(), path: prefix.clone(), glob: true, span: g.star_token.span })
        }
        syn::UseTree::Group(g) => {
            for t in &g.items {
                flatten_use(t, prefix, out);
            }
        }
    }
}

fn item_attrs(item: &syn::Item) -> &[syn::Attribute] {
    use syn::Item::*;
    match item {
        Const(i) => &i.attrs,
        Enum(i) => &i.attrs,
        ExternCrate(i) => &i.attrs,
        Fn(i) => &i.attrs,
        ForeignMod(i) => &i.attrs,
        Impl(i) => &i.attrs,
        Macro(i) => &i.attrs,
        Mod(i) => &i.attrs,
        Static(i) => &i.attrs,
        Struct(i) => &i.attrs,
        Trait(i) => &i.attrs,
        TraitAlias(i) => &i.attrs,
        Type(i) => &i.attrs,
        Union(i) => &i.attrs,
        Use(i) => &i.attrs,
        _ => &[],
    }
}

/// `#[cfg(test)]` (or a cfg needing `test` without `not`), `#[test]`, `#[tokio::test]`.
fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let path = a.path();
        if path.segments.last().is_some_and(|s| s.ident == "test") {
            return true;
        }
        if !path.is_ident("cfg") {
            return false;
        }
        let Ok(list) = a.meta.require_list() else { return false };
        let mut idents = Vec::new();
        collect_idents(list.tokens.clone(), &mut idents);
        idents.iter().any(|i| i == "test") && !idents.iter().any(|i| i == "not")
    })
}

fn collect_idents(tokens: TokenStream, out: &mut Vec<String>) {
    for t in tokens {
        match t {
            TokenTree::Ident(i) => out.push(i.to_string()),
            TokenTree::Group(g) => collect_idents(g.stream(), out),
            _ => {}
        }
    }
}

fn item_name(item: &syn::Item) -> Option<String> {
    use syn::Item::*;
    Some(match item {
        Const(i) => i.ident.to_string(),
        Enum(i) => i.ident.to_string(),
        Fn(i) => i.sig.ident.to_string(),
        Macro(i) => i.ident.as_ref()?.to_string(),
        Static(i) => i.ident.to_string(),
        Struct(i) => i.ident.to_string(),
        Trait(i) => i.ident.to_string(),
        TraitAlias(i) => i.ident.to_string(),
        Type(i) => i.ident.to_string(),
        Union(i) => i.ident.to_string(),
        _ => return None,
    })
}

/// `mod x;` lives in `x.rs` or `x/mod.rs`: the file that exists, with its text.
fn locate(rel: &str, sources: &dyn Sources) -> Option<(String, String)> {
    if let Some(text) = sources.read(rel) {
        return Some((rel.to_string(), text));
    }
    let alt = format!("{}/mod.rs", rel.strip_suffix(".rs")?);
    sources.read(&alt).map(|text| (alt, text))
}

/// The folder holding the files of `file`'s child modules.
fn child_dir(file: &str) -> String {
    let path = Path::new(file);
    let dir = path.parent().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    if matches!(stem.as_ref(), "lib" | "main" | "mod") {
        dir
    } else {
        format!("{dir}/{stem}")
    }
}

impl Crate {
    fn load(name: &str, root: &str, sources: &dyn Sources) -> Crate {
        let mut krate = Crate {
            name: name.to_string(),
            files: Vec::new(),
            test_files: BTreeSet::new(),
            modules: BTreeMap::new(),
            exported_macros: BTreeMap::new(),
            problems: Vec::new(),
        };
        krate.load_file(root, Vec::new(), sources);
        krate.resolve_imports();
        krate
    }

    fn load_file(&mut self, rel: &str, module: ModPath, sources: &dyn Sources) {
        let Some((rel, text)) = locate(rel, sources) else {
            self.problems.push(format!("{}: module `{}` has no file {rel}", self.name, show(&module)));
            return;
        };
        let rel = rel.as_str();
        let ast = match syn::parse_file(&text) {
            Ok(ast) => ast,
            Err(e) => {
                self.problems.push(format!("{rel}: does not parse: {e}"));
                return;
            }
        };
        let mut pending = Vec::new();
        self.register(&ast.items, &module, &module, &child_dir(rel), &mut pending);
        self.files.push(SourceFile { rel: rel.to_string(), module, line_count: text.lines().count(), ast });
        for (file, module, test) in pending {
            if test {
                self.test_files.insert(locate(&file, sources).map_or(file, |(f, _)| f));
            } else {
                self.load_file(&file, module, sources);
            }
        }
    }

    /// Records the module `path` (written in `file_module`'s file) and its items; file modules
    /// it declares go to `pending` as (file, module, test-only).
    fn register(
        &mut self,
        items: &[syn::Item],
        path: &ModPath,
        file_module: &ModPath,
        dir: &str,
        pending: &mut Vec<(String, ModPath, bool)>,
    ) {
        let mut module = Module { file_module: file_module.clone(), ..Module::default() };
        for item in items {
            let test = is_test_only(item_attrs(item));
            match item {
                syn::Item::Mod(m) => {
                    let name = m.ident.to_string();
                    let mut child = path.clone();
                    child.push(name.clone());
                    match &m.content {
                        Some((_, inner)) if !test => {
                            module.children.insert(name.clone());
                            self.register(inner, &child, file_module, &format!("{dir}/{name}"), pending);
                        }
                        Some(_) => {}
                        None => {
                            let explicit = m.attrs.iter().find_map(|a| match &a.meta {
                                syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
                                    syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value()),
                                    _ => None,
                                },
                                _ => None,
                            });
                            let file = match explicit {
                                Some(p) => format!("{dir}/{p}"),
                                None => format!("{dir}/{name}.rs"),
                            };
                            if !test {
                                module.children.insert(name.clone());
                            }
                            pending.push((file, child, test));
                        }
                    }
                }
                syn::Item::Use(_) => {}
                syn::Item::Macro(m) if !test && m.attrs.iter().any(|a| a.path().is_ident("macro_export")) => {
                    if let Some(name) = &m.ident {
                        self.exported_macros.insert(name.to_string(), file_module.clone());
                    }
                }
                other if !test => {
                    if let Some(n) = item_name(other) {
                        module.defined.insert(n);
                    }
                }
                _ => {}
            }
        }
        self.modules.insert(path.clone(), module);
    }

    /// Second pass, once every module is known: absolute targets of each module's `use`s.
    fn resolve_imports(&mut self) {
        let mut found: Vec<(ModPath, Vec<UseLeaf>)> = Vec::new();
        for file in &self.files {
            collect_module_uses(&file.ast.items, &file.module, &mut found);
        }
        for (module, leaves) in found {
            for leaf in leaves {
                let abs = self.absolute(&module, &leaf.path);
                let entry = self.modules.get_mut(&module).expect("registered");
                if leaf.glob {
                    entry.globs.extend(abs);
                } else {
                    entry.imports.insert(leaf.alias, abs);
                }
            }
        }
    }

    /// The absolute path of `path` written in module `scope`, or `None` if it leaves the crate.
    /// Uses only module structure and the `crate`/`self`/`super` keywords, plus imported names of
    /// `scope` once imports are known.
    fn absolute(&self, scope: &ModPath, path: &[String]) -> Option<ModPath> {
        let first = path.first()?;
        let mut out;
        let rest;
        match first.as_str() {
            "crate" | "$crate" => {
                out = Vec::new();
                rest = &path[1..];
            }
            "self" => {
                out = scope.clone();
                rest = &path[1..];
            }
            "super" => {
                out = scope.clone();
                let supers = path.iter().take_while(|s| *s == "super").count();
                for _ in 0..supers {
                    out.pop()?;
                }
                rest = &path[supers..];
            }
            name => {
                let module = self.modules.get(scope)?;
                if module.children.contains(name) {
                    out = scope.clone();
                    rest = path;
                } else if let Some(target) = module.imports.get(name) {
                    out = target.clone()?;
                    rest = &path[1..];
                } else {
                    return None;
                }
            }
        }
        out.extend(rest.iter().cloned());
        Some(out)
    }

    /// The file module that defines what the absolute `path` names, following re-exports.
    fn target(&self, path: &[String], depth: usize) -> Option<ModPath> {
        let mut k = path.len();
        while k > 0 && !self.modules.contains_key(&path[..k]) {
            k -= 1;
        }
        let module = self.modules.get(&path[..k])?;
        if k == path.len() || depth > 16 {
            return Some(module.file_module.clone());
        }
        let name = &path[k];
        if k == 0 {
            if let Some(defined_in) = self.exported_macros.get(name) {
                return Some(defined_in.clone());
            }
        }
        if module.defined.contains(name) {
            return Some(module.file_module.clone());
        }
        if let Some(import) = module.imports.get(name) {
            let mut next = import.clone()?;
            next.extend(path[k + 1..].iter().cloned());
            return self.target(&next, depth + 1);
        }
        for glob in &module.globs {
            if let Some(m) = self.modules.get(glob) {
                if m.defined.contains(name) || m.imports.contains_key(name) {
                    let mut next = glob.clone();
                    next.extend(path[k..].iter().cloned());
                    return self.target(&next, depth + 1);
                }
            }
        }
        // Defined here by a macro, or an enum variant of an item defined here.
        Some(module.file_module.clone())
    }
}

/// Module-level `use` items of `items` (and of inline non-test modules), with their module.
fn collect_module_uses(items: &[syn::Item], module: &ModPath, out: &mut Vec<(ModPath, Vec<UseLeaf>)>) {
    let mut leaves = Vec::new();
    for item in items {
        if is_test_only(item_attrs(item)) {
            continue;
        }
        match item {
            syn::Item::Use(u) if u.leading_colon.is_none() => flatten_use(&u.tree, &mut Vec::new(), &mut leaves),
            syn::Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    let mut child = module.clone();
                    child.push(m.ident.to_string());
                    collect_module_uses(inner, &child, out);
                }
            }
            _ => {}
        }
    }
    out.push((module.clone(), leaves));
}

// ---------------------------------------------------------------------------------------------
// Scanning a file: edges, long macros, test lines, status literals.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum EdgeKind {
    /// A private `use` or a path in code: the module needs the target.
    Use,
    /// A `pub use` re-export: ignored towards the module's own descendants.
    Reexport,
}

#[derive(Clone)]
struct Edge {
    from: ModPath,
    to: ModPath,
    kind: EdgeKind,
    at: String,
}

#[derive(Default)]
struct Scan {
    edges: Vec<Edge>,
    /// (name, first line, lines) of each `macro_rules!`.
    macros: Vec<(String, usize, usize)>,
    /// Line ranges of test-only items.
    test_lines: Vec<(usize, usize)>,
    /// (line, literal value) of every string literal in non-test code, outside doc comments and
    /// `path!` segments.
    strings: Vec<(usize, String)>,
}

struct Scanner<'a> {
    krate: &'a Crate,
    rel: &'a str,
    file_module: ModPath,
    scope: Vec<ModPath>,
    out: Scan,
}

fn line(span: Span) -> usize {
    span.start().line
}

impl Scanner<'_> {
    fn scope(&self) -> &ModPath {
        self.scope.last().expect("a scope")
    }

    fn edge(&mut self, path: &[String], kind: EdgeKind, span: Span, what: impl FnOnce() -> String) {
        let Some(abs) = self.krate.absolute(self.scope(), path) else { return };
        let Some(to) = self.krate.target(&abs, 0) else { return };
        if to != self.file_module {
            let at = format!("{}:{} `{}`", self.rel, line(span), what());
            self.out.edges.push(Edge { from: self.file_module.clone(), to, kind, at });
        }
    }

    fn test_item(&mut self, attrs: &[syn::Attribute], end: Option<Span>) {
        let start = attrs.first().map(|a| line(a.pound_token.span)).unwrap_or(0);
        let end = end.map(|s| s.end().line).unwrap_or(start);
        self.out.test_lines.push((start, end));
    }

    /// Paths (`crate::a::b`, `super::x`, `$crate::y`) and string literals inside macro tokens.
    fn tokens(&mut self, tokens: TokenStream, literals: bool) {
        let tokens: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < tokens.len() {
            match &tokens[i] {
                TokenTree::Group(g) => self.tokens(g.stream(), literals),
                TokenTree::Literal(l) if literals => {
                    if let syn::Lit::Str(s) = syn::Lit::new(l.clone()) {
                        self.out.strings.push((line(l.span()), s.value()));
                    }
                }
                TokenTree::Punct(p) if p.as_char() == '$' => {
                    if let Some(TokenTree::Ident(id)) = tokens.get(i + 1) {
                        if id == "crate" {
                            let (path, next) = token_path("$crate", &tokens, i + 2);
                            self.edge(&path, EdgeKind::Use, id.span(), || path.join("::"));
                            i = next;
                            continue;
                        }
                    }
                }
                // `use crate::{a, b::c};` written inside a macro (as in a `macro_rules!` body).
                TokenTree::Ident(id) if id == "use" => {
                    let end = tokens[i..]
                        .iter()
                        .position(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ';'))
                        .map(|n| i + n);
                    if let Some(end) = end {
                        let item: TokenStream = tokens[i..=end].iter().cloned().collect();
                        if let Ok(item) = syn::parse2::<syn::ItemUse>(item) {
                            self.use_item(&item, EdgeKind::Use);
                            i = end + 1;
                            continue;
                        }
                    }
                }
                TokenTree::Ident(id) if id == "crate" || id == "super" || id == "self" => {
                    let preceded_by_colons =
                        i > 0 && matches!(&tokens[i - 1], TokenTree::Punct(p) if p.as_char() == ':');
                    if !preceded_by_colons {
                        let (path, next) = token_path(&id.to_string(), &tokens, i + 1);
                        if path.len() > 1 {
                            self.edge(&path, EdgeKind::Use, id.span(), || path.join("::"));
                        }
                        i = next;
                        continue;
                    }
                }
                _ => {}
            }
            i += 1;
        }
    }
}

impl Scanner<'_> {
    /// The edges of one `use` item: one per leaf of its tree.
    fn use_item(&mut self, u: &syn::ItemUse, kind: EdgeKind) {
        if u.leading_colon.is_some() {
            return;
        }
        let mut leaves = Vec::new();
        flatten_use(&u.tree, &mut Vec::new(), &mut leaves);
        for leaf in leaves {
            let star = if leaf.glob { "::*" } else { "" };
            let shown = format!("use {}{star}", leaf.path.join("::"));
            self.edge(&leaf.path, kind, leaf.span, || shown);
        }
    }
}

/// Reads `first :: a :: b ...` from `tokens[start..]` (start is just after `first`).
fn token_path(first: &str, tokens: &[TokenTree], mut i: usize) -> (Vec<String>, usize) {
    let mut path = vec![first.to_string()];
    loop {
        let colons = matches!(tokens.get(i), Some(TokenTree::Punct(p)) if p.as_char() == ':' && p.spacing() == Spacing::Joint)
            && matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == ':');
        match (colons, tokens.get(i + 2)) {
            (true, Some(TokenTree::Ident(id))) => {
                path.push(id.to_string());
                i += 3;
            }
            _ => return (path, i),
        }
    }
}

impl<'ast> Visit<'ast> for Scanner<'_> {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs = item_attrs(item);
        if is_test_only(attrs) {
            let end = match item {
                syn::Item::Mod(m) => m.content.as_ref().map(|(b, _)| b.span.close()),
                syn::Item::Fn(f) => Some(f.block.brace_token.span.close()),
                syn::Item::Impl(i) => Some(i.brace_token.span.close()),
                syn::Item::Use(u) => Some(u.semi_token.span),
                _ => None,
            };
            self.test_item(attrs, end);
            return;
        }
        visit::visit_item(self, item);
    }

    fn visit_impl_item(&mut self, item: &'ast syn::ImplItem) {
        if let syn::ImplItem::Fn(f) = item {
            if is_test_only(&f.attrs) {
                self.test_item(&f.attrs, Some(f.block.brace_token.span.close()));
                return;
            }
        }
        visit::visit_impl_item(self, item);
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if let Some((_, items)) = &m.content {
            let mut inner = self.scope().clone();
            inner.push(m.ident.to_string());
            self.scope.push(inner);
            for item in items {
                self.visit_item(item);
            }
            self.scope.pop();
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let kind = if matches!(u.vis, syn::Visibility::Inherited) { EdgeKind::Use } else { EdgeKind::Reexport };
        self.use_item(u, kind);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let path: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        // A single name counts when this module imports it (`pub use child::Item;` then `Item`
        // in code is a real use of the child).
        let imported =
            path.len() == 1 && self.krate.modules.get(self.scope()).is_some_and(|m| m.imports.contains_key(&path[0]));
        if p.leading_colon.is_none() && (path.len() > 1 || imported) {
            let span = p.segments[0].ident.span();
            self.edge(&path, EdgeKind::Use, span, || path.join("::"));
        }
        visit::visit_path(self, p);
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        let name = m.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
        // `path!("api" / "v1" / "orders" / "pending")`: URL segments, not status values.
        self.tokens(m.tokens.clone(), name != "path");
        visit::visit_macro(self, m);
    }

    fn visit_item_macro(&mut self, m: &'ast syn::ItemMacro) {
        if m.mac.path.is_ident("macro_rules") {
            let start = line(m.mac.path.segments[0].ident.span());
            let end = match &m.mac.delimiter {
                syn::MacroDelimiter::Brace(b) => b.span.close().end().line,
                syn::MacroDelimiter::Paren(p) => p.span.close().end().line,
                syn::MacroDelimiter::Bracket(b) => b.span.close().end().line,
            };
            let name = m.ident.as_ref().map(|i| i.to_string()).unwrap_or_default();
            self.out.macros.push((name, start, end - start + 1));
        }
        visit::visit_item_macro(self, m);
    }

    fn visit_attribute(&mut self, a: &'ast syn::Attribute) {
        if a.path().is_ident("doc") {
            return;
        }
        if let syn::Meta::List(list) = &a.meta {
            self.tokens(list.tokens.clone(), true);
            return;
        }
        visit::visit_attribute(self, a);
    }

    fn visit_lit_str(&mut self, s: &'ast syn::LitStr) {
        self.out.strings.push((line(s.span()), s.value()));
    }
}

fn scan(krate: &Crate, file: &SourceFile) -> Scan {
    let mut scanner = Scanner {
        krate,
        rel: &file.rel,
        file_module: file.module.clone(),
        scope: vec![file.module.clone()],
        out: Scan::default(),
    };
    for item in &file.ast.items {
        scanner.visit_item(item);
    }
    scanner.out
}

// ---------------------------------------------------------------------------------------------
// The module graph and its cycles.

#[derive(Default)]
struct Graph {
    /// from -> to -> evidence (first place seen).
    edges: BTreeMap<String, BTreeMap<String, String>>,
}

impl Graph {
    /// The graph of real dependencies: re-exports of a module's own descendants are dropped.
    fn from_edges(edges: &[Edge]) -> Graph {
        let mut graph = Graph::default();
        for e in edges {
            let descendant = e.to.len() > e.from.len() && e.to.starts_with(&e.from);
            if e.kind == EdgeKind::Reexport && descendant {
                continue;
            }
            graph.add(&show(&e.from), &show(&e.to), &e.at);
        }
        graph
    }

    fn add(&mut self, from: &str, to: &str, at: &str) {
        if from != to {
            self.edges.entry(from.to_string()).or_default().entry(to.to_string()).or_insert_with(|| at.to_string());
        }
    }

    fn nodes(&self) -> BTreeSet<&str> {
        self.edges
            .iter()
            .flat_map(|(f, tos)| std::iter::once(f.as_str()).chain(tos.keys().map(|t| t.as_str())))
            .collect()
    }

    fn successors<'a>(&'a self, node: &str) -> impl Iterator<Item = &'a str> + 'a {
        self.edges.get(node).into_iter().flat_map(|tos| tos.keys().map(|t| t.as_str()))
    }

    /// Strongly connected components with more than one module (Tarjan), sorted.
    fn cycles(&self) -> Vec<Vec<String>> {
        struct Tarjan<'g> {
            graph: &'g Graph,
            index: BTreeMap<&'g str, usize>,
            low: BTreeMap<&'g str, usize>,
            stack: Vec<&'g str>,
            on_stack: BTreeSet<&'g str>,
            out: Vec<Vec<String>>,
        }
        impl<'g> Tarjan<'g> {
            fn connect(&mut self, v: &'g str) {
                let i = self.index.len();
                self.index.insert(v, i);
                self.low.insert(v, i);
                self.stack.push(v);
                self.on_stack.insert(v);
                for w in self.graph.successors(v) {
                    if !self.index.contains_key(w) {
                        self.connect(w);
                        let low = self.low[v].min(self.low[w]);
                        self.low.insert(v, low);
                    } else if self.on_stack.contains(w) {
                        let low = self.low[v].min(self.index[w]);
                        self.low.insert(v, low);
                    }
                }
                if self.low[v] == self.index[v] {
                    let mut component = Vec::new();
                    while let Some(w) = self.stack.pop() {
                        self.on_stack.remove(w);
                        component.push(w.to_string());
                        if w == v {
                            break;
                        }
                    }
                    if component.len() > 1 {
                        component.sort();
                        self.out.push(component);
                    }
                }
            }
        }
        let mut t = Tarjan {
            graph: self,
            index: BTreeMap::new(),
            low: BTreeMap::new(),
            stack: Vec::new(),
            on_stack: BTreeSet::new(),
            out: Vec::new(),
        };
        for v in self.nodes() {
            if !t.index.contains_key(v) {
                t.connect(v);
            }
        }
        t.out.sort();
        t.out
    }

    /// A shortest cycle through `start` staying inside `component`, as its list of modules.
    fn shortest_cycle(&self, start: &str, component: &[String]) -> Vec<String> {
        let inside: BTreeSet<&str> = component.iter().map(|s| s.as_str()).collect();
        let mut previous: BTreeMap<&str, &str> = BTreeMap::new();
        let mut queue = VecDeque::from([start]);
        while let Some(v) = queue.pop_front() {
            for w in self.successors(v).filter(|w| inside.contains(w)) {
                if w == start {
                    let mut path = vec![v.to_string()];
                    let mut at = v;
                    while at != start {
                        at = previous[at];
                        path.push(at.to_string());
                    }
                    path.reverse();
                    return path;
                }
                if !previous.contains_key(w) {
                    previous.insert(w, v);
                    queue.push_back(w);
                }
            }
        }
        Vec::new()
    }

    /// A readable account of every cycle: the modules, then one shortest cycle edge by edge with
    /// the line that makes each edge.
    fn describe_cycles(&self, crate_name: &str) -> Vec<String> {
        self.cycles()
            .iter()
            .map(|component| {
                let mut text = format!(
                    "{crate_name}: import cycle among {} modules: {}\n  one cycle:\n",
                    component.len(),
                    component.join(", ")
                );
                let cycle = self.shortest_cycle(&component[0], component);
                for (i, from) in cycle.iter().enumerate() {
                    let to = &cycle[(i + 1) % cycle.len()];
                    let _ = writeln!(text, "    {from} -> {to}   ({})", self.edges[from][to]);
                }
                let _ = writeln!(text, "  every edge inside it (break enough of them to leave no cycle):");
                for from in component {
                    for (to, at) in self.edges.get(from).into_iter().flatten() {
                        if component.contains(to) {
                            let _ = writeln!(text, "    {from} -> {to}   ({at})");
                        }
                    }
                }
                text
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// The workspace, loaded once for the four checks.

struct Checked {
    rel: String,
    module: String,
    line_count: usize,
    scan: Scan,
}

/// What the checks need of a crate (the syntax trees are not `Sync`, so they are dropped).
struct CrateReport {
    name: String,
    check_cycles: bool,
    problems: Vec<String>,
    files: Vec<Checked>,
}

struct Workspace {
    crates: Vec<CrateReport>,
    unreached: Vec<String>,
}

static WORKSPACE: LazyLock<Workspace> = LazyLock::new(|| load_workspace(&Disk, CRATES, SOURCE_DIRS));

fn load_workspace(sources: &dyn Sources, crates: &[(&str, &str, bool)], dirs: &[&str]) -> Workspace {
    let mut reached = BTreeSet::new();
    let crates: Vec<_> = crates
        .iter()
        .map(|(name, root, cycles)| {
            let krate = Crate::load(name, root, sources);
            let checked = krate
                .files
                .iter()
                .map(|f| Checked {
                    rel: f.rel.clone(),
                    module: show(&f.module),
                    line_count: f.line_count,
                    scan: scan(&krate, f),
                })
                .collect();
            reached.extend(krate.files.iter().map(|f| f.rel.clone()));
            reached.extend(krate.test_files.iter().cloned());
            CrateReport { name: krate.name, check_cycles: *cycles, problems: krate.problems, files: checked }
        })
        .collect();
    let mut unreached = Vec::new();
    for dir in dirs {
        for file in rust_files(&workspace().join(dir)) {
            let rel = file.strip_prefix(workspace()).expect("inside").to_string_lossy().into_owned();
            if !reached.contains(&rel) {
                unreached.push(rel);
            }
        }
    }
    Workspace { crates, unreached }
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "tests") {
                out.extend(rust_files(&path));
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

fn non_test_lines(c: &Checked) -> usize {
    let test: usize = c.scan.test_lines.iter().map(|(a, b)| b + 1 - a).sum();
    c.line_count.saturating_sub(test)
}

fn statuses() -> BTreeSet<&'static str> {
    let mut all = BTreeSet::new();
    all.extend(OrderStatus::ALL.iter().map(|s| s.as_str()));
    all.extend(InvoiceStatus::ALL.iter().map(|s| s.as_str()));
    all.extend(PaymentStatus::ALL.iter().map(|s| s.as_str()));
    all
}

/// Which statuses the literal `value` spells: as a whole, or quoted SQL-style inside it.
fn status_hits(value: &str, statuses: &BTreeSet<&str>) -> Vec<String> {
    statuses
        .iter()
        .filter_map(|s| {
            if value == *s {
                Some(format!("\"{s}\""))
            } else if value.contains(&format!("'{s}'")) {
                Some(format!("'{s}'"))
            } else {
                None
            }
        })
        .collect()
}

fn fail(what: &str, rule: &str, violations: &[String]) {
    assert!(
        violations.is_empty(),
        "{what}: {} violation(s) of \"{rule}\":\n{}",
        violations.len(),
        violations.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// The checks.

#[test]
fn sources_load_from_every_crate_root() {
    let ws = &*WORKSPACE;
    let mut problems: Vec<String> = ws.crates.iter().flat_map(|k| k.problems.iter().cloned()).collect();
    problems.extend(ws.unreached.iter().map(|f| format!("{f}: not declared by any `mod` (dead file?)")));
    fail("loading", "every source file parses and is part of a crate", &problems);
    for krate in &ws.crates {
        assert!(!krate.files.is_empty(), "{} has no files", krate.name);
    }
}

#[test]
fn no_import_cycle_between_modules() {
    let mut violations = Vec::new();
    for krate in WORKSPACE.crates.iter().filter(|k| k.check_cycles) {
        let edges: Vec<Edge> = krate.files.iter().flat_map(|f| f.scan.edges.iter().cloned()).collect();
        let graph = Graph::from_edges(&edges);
        if std::env::var_os("GASSTOCK_ARCHITECTURE_GRAPH").is_some() {
            println!("{}: module -> modules it depends on", krate.name);
            for (from, tos) in &graph.edges {
                println!("  {from} -> {}", tos.keys().cloned().collect::<Vec<_>>().join(", "));
            }
        }
        violations.extend(graph.describe_cycles(&krate.name));
    }
    fail("modules", "no import cycle inside gasstock-core or gasstock-server", &violations);
}

#[test]
fn no_long_source_file() {
    let violations: Vec<String> = WORKSPACE
        .crates
        .iter()
        .flat_map(|k| &k.files)
        .filter(|c| non_test_lines(c) > MAX_FILE_LINES)
        .map(|c| {
            format!(
                "{}: {} lines without tests ({} in all; module {})",
                c.rel,
                non_test_lines(c),
                c.line_count,
                c.module
            )
        })
        .collect();
    fail("files", &format!("no non-test Rust file over {MAX_FILE_LINES} lines"), &violations);
}

#[test]
fn no_long_macro() {
    let violations: Vec<String> = WORKSPACE
        .crates
        .iter()
        .flat_map(|k| &k.files)
        .flat_map(|c| c.scan.macros.iter().map(move |m| (c, m)))
        .filter(|(_, (_, _, lines))| *lines > MAX_MACRO_LINES)
        .map(|(c, (name, start, lines))| format!("{}:{start}: macro_rules! {name} is {lines} lines", c.rel))
        .collect();
    fail("macros", &format!("no macro_rules! over {MAX_MACRO_LINES} lines"), &violations);
}

#[test]
fn no_status_literal_outside_status_rs() {
    let statuses = statuses();
    assert!(
        statuses.contains("pending") && statuses.contains("released"),
        "statuses read from the enums: {statuses:?}"
    );
    let mut violations = Vec::new();
    for c in WORKSPACE.crates.iter().flat_map(|k| &k.files) {
        if c.rel == STATUS_FILE {
            continue;
        }
        for (line, value) in &c.scan.strings {
            let allowed = ALLOWED_STATUS_LITERALS.iter().any(|(f, v, _)| *f == c.rel && v == value);
            for hit in status_hits(value, &statuses) {
                if !allowed {
                    violations.push(format!("{}:{line}: {hit}", c.rel));
                }
            }
        }
    }
    violations.dedup();
    fail("statuses", &format!("no status literal in Rust outside {STATUS_FILE}"), &violations);
}

// ---------------------------------------------------------------------------------------------
// The checker's own tests, on small crates held in memory.

fn in_memory(files: &[(&'static str, &'static str)]) -> (Crate, Vec<Edge>) {
    let sources: BTreeMap<&str, &str> = files.iter().copied().collect();
    let krate = Crate::load("demo", files[0].0, &sources);
    assert!(krate.problems.is_empty(), "{:?}", krate.problems);
    let edges = krate.files.iter().flat_map(|f| scan(&krate, f).edges).collect();
    (krate, edges)
}

fn cycles_of(files: &[(&'static str, &'static str)]) -> Vec<Vec<String>> {
    Graph::from_edges(&in_memory(files).1).cycles()
}

#[test]
fn checker_graph_finds_a_cycle_and_names_its_edges() {
    let mut graph = Graph::default();
    graph.add("a", "b", "a.rs:1");
    graph.add("b", "c", "b.rs:1");
    graph.add("c", "a", "c.rs:1");
    graph.add("c", "d", "c.rs:2");
    assert_eq!(graph.cycles(), vec![vec!["a".to_string(), "b".into(), "c".into()]]);
    let text = graph.describe_cycles("demo").join("");
    assert!(text.contains("a -> b   (a.rs:1)") && text.contains("c -> a   (c.rs:1)"), "{text}");

    let mut dag = Graph::default();
    dag.add("a", "b", "");
    dag.add("b", "c", "");
    dag.add("a", "c", "");
    assert!(dag.cycles().is_empty());
}

#[test]
fn checker_sees_a_cycle_through_use_groups_and_super() {
    let cycles = cycles_of(&[
        ("src/lib.rs", "mod store; mod feature; pub use store::Store;"),
        ("src/store.rs", "use crate::{feature::Row, other};\npub trait Store {}\nmod other {}"),
        ("src/feature/mod.rs", "mod part;\npub struct Row;"),
        ("src/feature/part.rs", "use super::super::Store;\nfn f() {}"),
    ]);
    // part -> store (through the root's re-export), store -> feature (Row); feature -> part is
    // only a `mod`, so no cycle yet.
    assert!(cycles.is_empty(), "{cycles:?}");

    let cycles = cycles_of(&[
        ("src/lib.rs", "mod store; mod feature; pub use store::Store;"),
        ("src/store.rs", "use crate::{feature::{self, Row}};\npub trait Store {}"),
        ("src/feature.rs", "pub struct Row;\nfn f(s: &dyn crate::Store) {}"),
    ]);
    assert_eq!(cycles, vec![vec!["feature".to_string(), "store".into()]]);
}

#[test]
fn checker_parent_reexporting_children_is_no_cycle_but_real_use_is() {
    let parent_reexports = [
        ("src/lib.rs", "mod webhooks;"),
        ("src/webhooks/mod.rs", "mod worker;\npub use worker::Worker;\npub fn sign() {}"),
        ("src/webhooks/worker.rs", "use super::sign;\npub struct Worker;"),
    ];
    assert!(cycles_of(&parent_reexports).is_empty());

    let parent_uses_reexport = [
        ("src/lib.rs", "mod webhooks;"),
        (
            "src/webhooks/mod.rs",
            "mod worker;\npub use worker::Worker;\npub fn sign() {}\nfn start() -> Worker { todo!() }",
        ),
        ("src/webhooks/worker.rs", "use super::sign;\npub struct Worker;"),
    ];
    assert_eq!(cycles_of(&parent_uses_reexport).len(), 1, "a re-exported item used in the parent's code");

    let parent_uses_child = [
        ("src/lib.rs", "mod webhooks;"),
        ("src/webhooks/mod.rs", "mod worker;\nuse worker::Worker;\npub fn sign() {}"),
        ("src/webhooks/worker.rs", "use super::sign;\npub struct Worker;"),
    ];
    assert_eq!(cycles_of(&parent_uses_child), vec![vec!["webhooks".to_string(), "webhooks::worker".into()]]);

    let in_code = [
        ("src/lib.rs", "mod webhooks;"),
        ("src/webhooks/mod.rs", "mod worker;\npub fn sign() { self::worker::run() }"),
        ("src/webhooks/worker.rs", "pub fn run() { super::sign() }"),
    ];
    assert_eq!(cycles_of(&in_code).len(), 1);
}

#[test]
fn checker_follows_paths_in_macros_and_skips_tests() {
    let (_, edges) = in_memory(&[
        ("src/lib.rs", "mod a; mod b;"),
        ("src/a.rs", "macro_rules! m { () => { $crate::b::f() } }\n#[cfg(test)]\nmod tests { use crate::b::g; }"),
        ("src/b.rs", "pub fn f() {}\npub fn g() { let _ = format!(\"{}\", crate::a::X); }\npub const X: u8 = 1;"),
    ]);
    let shown: Vec<String> = edges.iter().map(|e| format!("{} -> {}", show(&e.from), show(&e.to))).collect();
    assert_eq!(shown, vec!["a -> b", "b -> a"], "{:?}", edges.iter().map(|e| &e.at).collect::<Vec<_>>());
}

#[test]
fn checker_measures_macros_tests_and_literals() {
    let sources: BTreeMap<&str, &str> = [(
        "src/lib.rs",
        "/// 'pending' in a doc comment is fine\nmacro_rules! m {\n    () => {};\n}\nconst S: &str = \"UPDATE o SET status = 'approved'\";\nfn f() { g!(\"pending\"); }\n#[cfg(test)]\nmod tests {\n    const T: &str = \"pending\";\n}\n",
    )]
    .into_iter()
    .collect();
    let krate = Crate::load("demo", "src/lib.rs", &sources);
    let scan = scan(&krate, &krate.files[0]);
    assert_eq!(scan.macros, vec![("m".to_string(), 2, 3)]);
    assert_eq!(scan.test_lines, vec![(7, 10)]);
    let statuses = statuses();
    let hits: Vec<(usize, Vec<String>)> =
        scan.strings.iter().map(|(l, v)| (*l, status_hits(v, &statuses))).filter(|(_, h)| !h.is_empty()).collect();
    assert_eq!(hits, vec![(5, vec!["'approved'".to_string()]), (6, vec!["\"pending\"".to_string()])]);
}

#[test]
fn checker_reads_use_groups_inside_macro_bodies() {
    let cycles = cycles_of(&[
        ("src/lib.rs", "mod store; mod feature;"),
        (
            "src/store.rs",
            "macro_rules! ops { ($db:ty) => { use crate::{feature::{Row}, store as _}; } }\npub struct Store;",
        ),
        ("src/feature.rs", "use crate::store::Store;\npub struct Row;"),
    ]);
    assert_eq!(cycles, vec![vec!["feature".to_string(), "store".into()]]);
}

#[test]
fn checker_places_exported_macros_where_they_are_written() {
    let cycles = cycles_of(&[
        ("src/lib.rs", "mod config; mod duration; pub use config::Config;\npub fn start(c: config::Config) {}"),
        ("src/duration.rs", "#[macro_export]\nmacro_rules! seconds { ($n:expr) => { $n } }"),
        ("src/config.rs", "use crate::seconds;\npub struct Config;"),
    ]);
    assert!(cycles.is_empty(), "{cycles:?}");
}
