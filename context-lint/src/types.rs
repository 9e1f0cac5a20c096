//! Knowing a `Context` by its name: `Context`, the names it was imported
//! under (`use context::Context as Ctx;`, the rules crate's `Names`), and
//! the `type` aliases that hold one (`type Shared = Arc<Context>;`),
//! collected over the whole crate.

use std::collections::BTreeSet;

use syn::visit::{self, Visit};
use syn::{GenericArgument, Item, PathArguments, Type, TypePath};

#[derive(Debug, Default)]
pub struct Names {
    /// Names that mean `context::Context`.
    pub context: context_rules::names::Names,
    /// Type aliases whose type holds a context.
    pub holders: BTreeSet<String>,
}

impl Names {
    /// Collects renames and aliases from every parsed file, to a fixpoint
    /// (an alias of an alias).
    pub fn collect(files: &[&syn::File]) -> Names {
        let mut names = Names::default();
        let mut aliases = Vec::new();
        for f in files {
            let mut c = Collect {
                renames: &mut names.context,
                aliases: &mut aliases,
            };
            c.visit_file(f);
        }
        loop {
            let before = names.holders.len();
            for (name, ty) in &aliases {
                if names.holds(ty).is_some() {
                    names.holders.insert(name.clone());
                }
            }
            if names.holders.len() == before {
                return names;
            }
        }
    }

    /// `Context`, `&Context`, `&mut Context`, under any of its names.
    pub fn is_context(&self, ty: &Type) -> bool {
        self.context.is_context(ty)
    }

    fn is_context_path(&self, p: &TypePath) -> bool {
        self.context.is_context_path(p)
    }

    /// The part of `ty` that stores a context, if any: through references,
    /// tuples, arrays, slices and generic arguments, but not `PhantomData`,
    /// fn pointers or `Fn(..)` arguments, which only mention one.
    pub fn holds<'a>(&self, ty: &'a Type) -> Option<&'a Type> {
        match ty {
            Type::Path(p) if self.is_context_path(p) => Some(ty),
            Type::Path(p)
                if p.path
                    .segments
                    .last()
                    .is_some_and(|s| self.holders.contains(&s.ident.to_string())) =>
            {
                Some(ty)
            }
            Type::Path(p) => {
                let last = p.path.segments.last()?;
                if last.ident == "PhantomData" {
                    return None;
                }
                p.path.segments.iter().find_map(|s| match &s.arguments {
                    PathArguments::AngleBracketed(a) => a.args.iter().find_map(|g| match g {
                        GenericArgument::Type(t) => self.holds(t),
                        _ => None,
                    }),
                    _ => None,
                })
            }
            Type::Reference(r) => self.holds(&r.elem),
            Type::Paren(p) => self.holds(&p.elem),
            Type::Group(g) => self.holds(&g.elem),
            Type::Array(a) => self.holds(&a.elem),
            Type::Slice(s) => self.holds(&s.elem),
            Type::Ptr(p) => self.holds(&p.elem),
            Type::Tuple(t) => t.elems.iter().find_map(|t| self.holds(t)),
            _ => None,
        }
    }
}

struct Collect<'a> {
    renames: &'a mut context_rules::names::Names,
    aliases: &'a mut Vec<(String, Type)>,
}

impl<'ast> Visit<'ast> for Collect<'_> {
    fn visit_item(&mut self, i: &'ast Item) {
        match i {
            Item::Type(t) => self.aliases.push((t.ident.to_string(), (*t.ty).clone())),
            Item::Use(u) => self.renames.add_use(&u.tree),
            _ => {}
        }
        visit::visit_item(self, i);
    }
}
