//! Knowing our `Context` by its name: `Context`, and the names a `use` gave
//! it (`use context::Context as Ctx;`), never `std::task::Context`. The
//! lint collects renames over the whole crate; the macro over the item it
//! is on (it sees nothing else).

use std::collections::BTreeSet;

use syn::visit::Visit;
use syn::{Expr, ExprCall, Item, Type, TypePath, UseTree};

/// The names that mean our `Context`.
#[derive(Clone, Debug)]
pub struct Names {
    context: BTreeSet<String>,
}

impl Default for Names {
    fn default() -> Self {
        Names {
            context: BTreeSet::from(["Context".to_owned()]),
        }
    }
}

impl Names {
    /// Adds the renames of a `use` tree: `use a::Context as Ctx;` (not
    /// `std::task::Context as ..`).
    pub fn add_use(&mut self, tree: &UseTree) {
        self.add_use_in(tree, false);
    }

    fn add_use_in(&mut self, tree: &UseTree, in_task: bool) {
        match tree {
            UseTree::Path(p) => self.add_use_in(&p.tree, in_task || p.ident == "task"),
            UseTree::Rename(r) if r.ident == "Context" && !in_task => {
                self.context.insert(r.rename.to_string());
            }
            UseTree::Group(g) => g.items.iter().for_each(|t| self.add_use_in(t, in_task)),
            _ => {}
        }
    }

    /// Adds the renames of every `use` inside `item` (the macro's view:
    /// the item it is on, with the `use`s in its fn bodies and modules).
    pub fn add_uses_in(&mut self, item: &Item) {
        struct Uses<'n>(&'n mut Names);
        impl<'ast> Visit<'ast> for Uses<'_> {
            fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
                self.0.add_use(&u.tree);
            }
        }
        Uses(self).visit_item(item);
    }

    /// Whether `name` is one of the names.
    pub fn is_name(&self, name: &str) -> bool {
        self.context.contains(name)
    }

    /// `Context`, `&Context`, `&mut Context`, under any of its names.
    pub fn is_context(&self, ty: &Type) -> bool {
        match ty {
            Type::Reference(r) => self.is_context(&r.elem),
            Type::Paren(p) => self.is_context(&p.elem),
            Type::Group(g) => self.is_context(&g.elem),
            Type::Path(p) => self.is_context_path(p),
            _ => false,
        }
    }

    /// A path whose last segment is one of the names, without generic
    /// arguments (`std::task::Context<'_>` has one), and not under `task`.
    pub fn is_context_path(&self, p: &TypePath) -> bool {
        let segs: Vec<_> = p.path.segments.iter().collect();
        p.qself.is_none()
            && segs
                .last()
                .is_some_and(|s| self.is_name(&s.ident.to_string()) && s.arguments.is_none())
            && !segs.iter().any(|s| s.ident == "task")
    }

    /// Another crate's `Context`: a path (behind any references) whose
    /// first segment is neither ours (`context`, `context_core`, or `krate`,
    /// the head of `#[ctx_aware(crate = ..)]`) nor local (`crate`, `self`,
    /// `super`): `lambda::Context`, `opentelemetry::Context`. Such a type
    /// is a parameter like any other (M1, M2).
    pub fn is_foreign(&self, ty: &Type, krate: Option<&str>) -> bool {
        let ty = match ty {
            Type::Reference(r) => &*r.elem,
            t => t,
        };
        let Type::Path(p) = ty else { return false };
        let segs = &p.path.segments;
        if segs.len() < 2
            || !segs
                .last()
                .is_some_and(|s| self.is_name(&s.ident.to_string()))
        {
            return false;
        }
        let head = segs[0].ident.to_string();
        let ours = ["context", "context_core", "crate", "self", "super"];
        !(ours.contains(&head.as_str()) || krate == Some(head.as_str()))
    }

    /// `Context::background()` or `Context::todo()`, under any of the
    /// names (SPEC M7; ctx-lint's `fresh-root`).
    pub fn is_fresh_root(&self, call: &ExprCall) -> bool {
        let Expr::Path(p) = &*call.func else {
            return false;
        };
        let segs: Vec<_> = p.path.segments.iter().collect();
        segs.len() >= 2
            && call.args.is_empty()
            && self.is_name(&segs[segs.len() - 2].ident.to_string())
            && matches!(
                segs[segs.len() - 1].ident.to_string().as_str(),
                "background" | "todo"
            )
    }
}
