//! Reading the payload: one struct per object the mapper reads into, and the statements that
//! bind each value the mapper uses to a local.
//!
//! The structs keep only the members the mapper refers to; every other member is skipped by
//! serde without being built. Values are captured as borrowed JSON text (`Raw`), so
//! strings without escapes and numbers are never copied.

use std::collections::BTreeMap;

use proc_macro2::{Ident, Literal, TokenStream};
use quote::{format_ident, quote};

use super::names::{self, Namer};
use crate::ir::{NodeId, Plan, Slot, Step};

/// How a node is held after reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// An object read into a generated struct (`Object<S>`).
    Struct,
    /// The value's JSON text (`Option<Raw>`); members, elements or an iterated array below it
    /// are read again from that text.
    Raw,
    /// The iterated array of a batching mapper (`Option<Seq<T>>`).
    Seq,
    /// An array read by index (`Elements`).
    Elements,
    /// A member a chain filter compares (`Present`): its JSON text, `null` included.
    Present,
    /// An object used whole whose members are read too (`Captured<S>`): read once, into its
    /// struct and its JSON text, rather than captured and read again from the text.
    Captured,
}

/// Types and bindings for one plan.
pub struct Reader<'p> {
    plan: &'p Plan,
    rt: &'p TokenStream,
    kinds: Vec<Vec<Kind>>,
    /// The generated struct of each node that has one.
    structs: Vec<Vec<Option<Ident>>>,
    /// The local holding each value the mapper uses.
    slot_names: BTreeMap<(usize, NodeId), Ident>,
    temps: std::cell::Cell<usize>,
}

impl<'p> Reader<'p> {
    /// Prepares names and kinds for `plan`; `rt` is the runtime's `__private` module path.
    pub fn new(plan: &'p Plan, rt: &'p TokenStream) -> Self {
        let mut kinds = Vec::new();
        for (s, scope) in plan.scopes.iter().enumerate() {
            let mut index_child = vec![false; scope.nodes.len()];
            for node in &scope.nodes {
                for (_, child) in &node.indices {
                    index_child[*child] = true;
                }
            }
            let scope_kinds: Vec<Kind> = scope
                .nodes
                .iter()
                .enumerate()
                .map(|(id, node)| {
                    let is_array = scope.array == Some(id);
                    // An element of an iterated array stays `Raw` when whole: filters parse it.
                    let element = s > 0 && id == 0;
                    let object_only = node.indices.is_empty() && !is_array && !index_child[id] && !element;
                    if node.operand {
                        Kind::Present
                    } else if node.whole && !node.members.is_empty() && object_only {
                        Kind::Captured
                    } else if index_child[id] || node.whole {
                        Kind::Raw
                    } else if is_array {
                        if node.members.is_empty() && node.indices.is_empty() { Kind::Seq } else { Kind::Raw }
                    } else if node.indices.is_empty() {
                        Kind::Struct
                    } else if node.members.is_empty() {
                        Kind::Elements
                    } else {
                        Kind::Raw
                    }
                })
                .collect();
            kinds.push(scope_kinds);
        }

        let mut type_namer = Namer::default();
        let mut structs = Vec::new();
        for (s, scope) in plan.scopes.iter().enumerate() {
            let names = scope
                .nodes
                .iter()
                .enumerate()
                .map(|(id, node)| {
                    let has_struct = kinds[s][id] == Kind::Struct || !node.members.is_empty();
                    has_struct.then(|| {
                        let base = match (s, node.steps.last()) {
                            (_, Some(Step::Member(name))) => names::camel_case(name),
                            (_, Some(Step::Index(_))) => "Element".to_owned(),
                            (0, None) => "Payload".to_owned(),
                            (_, None) => format!("{}Item", names::camel_case(&array_name(plan, s - 1))),
                        };
                        names::ident(&type_namer.unique(&base))
                    })
                })
                .collect();
            structs.push(names);
        }

        let mut value_namer = Namer::default();
        let mut slot_names = BTreeMap::new();
        for (s, scope) in plan.scopes.iter().enumerate() {
            for (id, node) in scope.nodes.iter().enumerate() {
                if node.whole {
                    let mut base: Vec<String> = Vec::new();
                    if s > 0 {
                        base.push(names::snake_case(&array_name(plan, s - 1)));
                    }
                    for step in &node.steps {
                        base.push(match step {
                            Step::Member(name) => names::snake_case(name),
                            Step::Index(i) if *i < 0 => format!("last{}", i.unsigned_abs()),
                            Step::Index(i) => format!("at{i}"),
                        });
                    }
                    if node.query.is_some() {
                        base.push("match".to_owned());
                    } else if base.is_empty() {
                        base.push("payload".to_owned());
                    }
                    // Keyword suffixes (`self_`) next to the joining `_` would make runs of `_`, which
                    // the `non_snake_case` lint flags in the user's crate.
                    let joined =
                        base.join("_").split('_').filter(|w| !w.is_empty()).collect::<Vec<_>>().join("_");
                    let name = value_namer.unique(&format!("__mapper_at_{joined}"));
                    slot_names.insert((s, id), names::ident(&name));
                }
            }
        }
        Reader { plan, rt, kinds, structs, slot_names, temps: std::cell::Cell::new(0) }
    }

    /// The local that holds a slot's value (`Option<Raw>`).
    pub fn slot(&self, slot: Slot) -> &Ident {
        &self.slot_names[&(slot.scope, slot.node)]
    }

    /// Whether a node is held as captured JSON text.
    pub fn is_raw(&self, scope: usize, node: NodeId) -> bool {
        self.kinds[scope][node] == Kind::Raw
    }

    /// The place of a member of scope `scope`'s element, read through its structs, from the
    /// element at `element` (a chain filter's operand; the lowering checked that every node on
    /// the way is a struct).
    pub fn member_place(&self, scope: usize, names: &[String], element: TokenStream) -> TokenStream {
        let nodes = &self.plan.scopes[scope].nodes;
        let mut place = element;
        let mut at = 0;
        for name in names {
            let mut field_namer = Namer::default();
            for (key, child) in &nodes[at].members {
                let field = field_namer.ident(&names::snake_case(key));
                if key == name {
                    place = quote!(#place.0.#field);
                    at = *child;
                    break;
                }
            }
        }
        place
    }

    /// The struct definitions and their `ObjectNode` impls.
    pub fn items(&self) -> Vec<TokenStream> {
        let rt = self.rt;
        let mut items = Vec::new();
        for (s, scope) in self.plan.scopes.iter().enumerate() {
            for (id, node) in scope.nodes.iter().enumerate() {
                let Some(name) = &self.structs[s][id] else { continue };
                let mut field_namer = Namer::default();
                let fields: Vec<(Ident, &str, TokenStream)> = node
                    .members
                    .iter()
                    .map(|(key, child)| {
                        let field = field_namer.ident(&names::snake_case(key));
                        (field, key.as_str(), self.value_type(s, *child, &quote!('de)))
                    })
                    .collect();
                let lifetime = self.struct_needs_lifetime(s, id).then(|| quote!(<'de>));
                let decls = fields.iter().map(|(f, _, ty)| quote!(#f: #ty));
                let arms: Vec<TokenStream> = fields
                    .iter()
                    .map(|(f, key, _)| {
                        let key = Literal::string(key);
                        quote!(#key => self.#f = map.next_value()?,)
                    })
                    .collect();
                // An object read for no member at all (a whole-payload mapper of literals) skips
                // every member; a `match` with one arm would be noise.
                let body = if arms.is_empty() {
                    quote! {
                        let _ = key;
                        #rt::skip(map)?;
                    }
                } else {
                    quote! {
                        match key {
                            #(#arms)*
                            _ => #rt::skip(map)?,
                        }
                    }
                };
                items.push(quote! {
                    #[derive(::core::default::Default)]
                    struct #name #lifetime { #(#decls,)* }

                    impl<'de> #rt::ObjectNode<'de> for #name #lifetime {
                        fn member<A: #rt::serde::de::MapAccess<'de>>(
                            &mut self,
                            key: &str,
                            map: &mut A,
                        ) -> ::core::result::Result<(), A::Error> {
                            #body
                            ::core::result::Result::Ok(())
                        }
                    }
                });
            }
        }
        items
    }

    /// The Rust type a node is read into, with lifetime `lt`.
    pub fn value_type(&self, scope: usize, node: NodeId, lt: &TokenStream) -> TokenStream {
        let rt = self.rt;
        match self.kinds[scope][node] {
            Kind::Raw => quote!(::core::option::Option<#rt::Raw<#lt>>),
            Kind::Captured => {
                let name = &self.structs[scope][node];
                let lifetime = self.struct_needs_lifetime(scope, node).then(|| quote!(<#lt>));
                quote!(#rt::Captured<#lt, #name #lifetime>)
            }
            Kind::Present => quote!(#rt::Present<#lt>),
            Kind::Elements => quote!(#rt::Elements<#lt>),
            Kind::Seq => {
                let element = self.value_type(scope + 1, 0, lt);
                quote!(::core::option::Option<#rt::Seq<#element>>)
            }
            Kind::Struct => {
                let name = &self.structs[scope][node];
                let lifetime = self.struct_needs_lifetime(scope, node).then(|| quote!(<#lt>));
                quote!(#rt::Object<#name #lifetime>)
            }
        }
    }

    fn struct_needs_lifetime(&self, scope: usize, node: NodeId) -> bool {
        self.plan.scopes[scope].nodes[node]
            .members
            .iter()
            .any(|(_, child)| self.needs_lifetime(scope, *child))
    }

    fn needs_lifetime(&self, scope: usize, node: NodeId) -> bool {
        match self.kinds[scope][node] {
            Kind::Raw | Kind::Elements | Kind::Present | Kind::Captured => true,
            Kind::Seq => self.needs_lifetime(scope + 1, 0),
            Kind::Struct => self.struct_needs_lifetime(scope, node),
        }
    }

    /// Statements that bind, in scope `scope` read from `place`, every slot in `wanted` and
    /// the iterated array when `array` is set (returned as a place expression).
    pub fn bind(
        &self,
        scope: usize,
        place: TokenStream,
        wanted: &dyn Fn(Slot) -> bool,
        array: bool,
        out: &mut Vec<TokenStream>,
    ) -> Option<TokenStream> {
        let mut array_place = None;
        self.bind_node(scope, 0, place, wanted, array, out, &mut array_place);
        if scope == 0 && self.plan.root_tree {
            let payload = &self.slot_names[&(0, 0)];
            let rt = self.rt;
            out.push(quote!(let __mapper_root = &#rt::tree(#payload);));
        }
        self.bind_queries(scope, wanted, out);
        array_place
    }

    /// Binds each wanted query node of `scope` to its first match, parsing each base once.
    fn bind_queries(&self, scope: usize, wanted: &dyn Fn(Slot) -> bool, out: &mut Vec<TokenStream>) {
        let rt = self.rt;
        let mut trees: BTreeMap<NodeId, Ident> = BTreeMap::new();
        for (id, node) in self.plan.scopes[scope].nodes.iter().enumerate() {
            let Some(query) = &node.query else { continue };
            if !wanted(Slot { scope, node: id }) {
                continue;
            }
            let tree = match trees.get(&query.base) {
                Some(tree) => tree.clone(),
                None => {
                    let tree = tree_name(scope, query.base);
                    let base = &self.slot_names[&(scope, query.base)];
                    out.push(quote!(let #tree = &#rt::tree(#base);));
                    trees.insert(query.base, tree.clone());
                    tree
                }
            };
            let root = if self.plan.root_tree { format_ident!("__mapper_root") } else { tree.clone() };
            let first = super::query::QueryCompiler::new(rt).first(&tree, &root, &query.segments);
            let name = &self.slot_names[&(scope, id)];
            out.push(quote!(let #name: ::core::option::Option<#rt::Raw<'_>> = #rt::raw(#first);));
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn bind_node(
        &self,
        scope: usize,
        node: NodeId,
        place: TokenStream,
        wanted: &dyn Fn(Slot) -> bool,
        array: bool,
        out: &mut Vec<TokenStream>,
        array_place: &mut Option<TokenStream>,
    ) {
        if !self.is_wanted(scope, node, wanted, array) {
            return;
        }
        let rt = self.rt;
        let data = &self.plan.scopes[scope].nodes[node];
        let is_array = self.plan.scopes[scope].array == Some(node);
        match self.kinds[scope][node] {
            Kind::Struct => {
                let mut field_namer = Namer::default();
                for (key, child) in &data.members {
                    let field = field_namer.ident(&names::snake_case(key));
                    self.bind_node(scope, *child, quote!(#place.0.#field), wanted, array, out, array_place);
                }
            }
            Kind::Elements => {
                for (index, child) in &data.indices {
                    let index = Literal::i64_unsuffixed(*index);
                    self.bind_node(scope, *child, quote!(#place.at(#index)), wanted, array, out, array_place);
                }
            }
            Kind::Seq => *array_place = Some(place),
            Kind::Captured => {
                if data.whole && self.slot_wanted(scope, node, wanted) {
                    let name = &self.slot_names[&(scope, node)];
                    out.push(quote!(let #name: ::core::option::Option<#rt::Raw<'_>> = #place.raw;));
                }
                let mut field_namer = Namer::default();
                for (key, child) in &data.members {
                    let field = field_namer.ident(&names::snake_case(key));
                    let place = quote!(#place.node.0.#field);
                    self.bind_node(scope, *child, place, wanted, array, out, array_place);
                }
            }
            Kind::Present => {
                // Read for a filter; as a field value, `null` is missing all the same.
                if data.whole && self.slot_wanted(scope, node, wanted) {
                    let name = &self.slot_names[&(scope, node)];
                    out.push(quote!(let #name: ::core::option::Option<#rt::Raw<'_>> = #place.0;));
                }
            }
            Kind::Raw => {
                let value = if data.whole && self.slot_wanted(scope, node, wanted) {
                    let name = &self.slot_names[&(scope, node)];
                    out.push(quote!(let #name: ::core::option::Option<#rt::Raw<'_>> = #place;));
                    quote!(#name)
                } else {
                    let temp = self.temp();
                    out.push(quote!(let #temp: ::core::option::Option<#rt::Raw<'_>> = #place;));
                    quote!(#temp)
                };
                let mut field_namer = Namer::default();
                if !data.members.is_empty() && self.any_wanted(scope, &data.members, wanted, array) {
                    let temp = self.temp();
                    let name = &self.structs[scope][node];
                    let lifetime = self.struct_needs_lifetime(scope, node).then(|| quote!(<'_>));
                    out.push(quote! {
                        let #temp: #rt::Object<#name #lifetime> = #rt::reread_or_default(#value)?;
                    });
                    for (key, child) in &data.members {
                        let field = field_namer.ident(&names::snake_case(key));
                        self.bind_node(
                            scope,
                            *child,
                            quote!(#temp.0.#field),
                            wanted,
                            array,
                            out,
                            array_place,
                        );
                    }
                }
                if !data.indices.is_empty() && self.any_wanted(scope, &data.indices, wanted, array) {
                    let temp = self.temp();
                    out.push(quote!(let #temp: #rt::Elements<'_> = #rt::reread_or_default(#value)?;));
                    for (index, child) in &data.indices {
                        let index = Literal::i64_unsuffixed(*index);
                        self.bind_node(
                            scope,
                            *child,
                            quote!(#temp.at(#index)),
                            wanted,
                            array,
                            out,
                            array_place,
                        );
                    }
                }
                if is_array && array {
                    let temp = self.temp();
                    let element = self.value_type(scope + 1, 0, &quote!('_));
                    out.push(quote! {
                        let #temp: ::core::option::Option<#rt::Seq<#element>> = #rt::reread_or_default(#value)?;
                    });
                    *array_place = Some(quote!(#temp));
                }
            }
        }
    }

    /// Whether any of `children` (members or indexed elements) must be bound.
    fn any_wanted<K>(
        &self,
        scope: usize,
        children: &[(K, NodeId)],
        wanted: &dyn Fn(Slot) -> bool,
        array: bool,
    ) -> bool {
        children.iter().any(|(_, c)| self.is_wanted(scope, *c, wanted, array))
    }

    /// Whether a captured node's own value must be bound: the mapper uses it, a wanted query
    /// starts from it, or it is the payload that `$` in filters refers to.
    fn slot_wanted(&self, scope: usize, node: NodeId, wanted: &dyn Fn(Slot) -> bool) -> bool {
        wanted(Slot { scope, node })
            || (scope == 0 && node == 0 && self.plan.root_tree)
            || self.plan.scopes[scope].nodes.iter().enumerate().any(|(id, n)| {
                n.query.as_ref().is_some_and(|q| q.base == node) && wanted(Slot { scope, node: id })
            })
    }

    /// Whether the node or anything below it in its scope must be bound.
    fn is_wanted(&self, scope: usize, node: NodeId, wanted: &dyn Fn(Slot) -> bool, array: bool) -> bool {
        let data = &self.plan.scopes[scope].nodes[node];
        (data.whole && self.slot_wanted(scope, node, wanted))
            || (array && self.plan.scopes[scope].array == Some(node))
            || self.any_wanted(scope, &data.members, wanted, array)
            || self.any_wanted(scope, &data.indices, wanted, array)
    }

    fn temp(&self) -> Ident {
        let n = self.temps.get();
        self.temps.set(n + 1);
        format_ident!("__mapper_read{}", n)
    }
}

/// The tree parsed from a query node's base, named by place so that error pointers can find it.
pub fn tree_name(scope: usize, base: NodeId) -> Ident {
    format_ident!("__mapper_tree{}_{}", scope, base)
}

/// The last member name before the `[*]` of chain level `level`, for naming.
fn array_name(plan: &Plan, level: usize) -> String {
    let scope = &plan.scopes[level];
    scope
        .array
        .and_then(|id| {
            scope.nodes[id].steps.iter().rev().find_map(|s| match s {
                Step::Member(name) => Some(name.clone()),
                Step::Index(_) => None,
            })
        })
        .unwrap_or_else(|| "element".to_owned())
}
