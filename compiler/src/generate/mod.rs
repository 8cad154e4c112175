//! Code generation: a read plan becomes a type implementing the runtime's `Mapper` trait.
//!
//! Everything the generated code needs is reached through `#runtime::__private` and fully
//! qualified `::core` paths, so it works under `#![no_implicit_prelude]` and next to user types
//! named `Result` or `Option`. Helper items live inside the `map` function, so a module can hold
//! several mappers without name clashes.

mod names;
pub mod query;
mod read;
mod record;

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

pub use names::camel_case;
use read::Reader;

use crate::ir::{Iteration, Plan, Slot, Step};
use crate::model::MappingType;

/// Generates the mapper type for `plan`. `runtime` is the path of the runtime crate, such as
/// `::hookmap`.
pub fn generate(plan: &Plan, runtime: &TokenStream, origin: &str) -> TokenStream {
    let rt = quote!(#runtime::__private);
    let reader = Reader::new(plan, &rt);
    let generator = Generator { plan, runtime, rt: &rt, reader: &reader };

    let name = names::ident(&plan.type_name);
    let partner = &plan.partner_name;
    let config = &plan.config_name;
    let (mapping_type, kind) = match plan.mapping_type {
        MappingType::Events => (quote!(#rt::MappingType::Events), "events"),
        MappingType::Users => (quote!(#rt::MappingType::Users), "users"),
    };
    let doc =
        format!(" Mapper `{config}` of partner `{partner}` ({kind}), compiled by hookmap from `{origin}`.");

    let items = reader.items();
    let time_parser = generator.time_parser();
    let root_type = reader.value_type(0, 0, &quote!('_));
    let validation_pass = generator.validation_pass();
    let mapping_pass = generator.mapping_pass();

    quote! {
        #[doc = #doc]
        #[derive(
            ::core::clone::Clone,
            ::core::marker::Copy,
            ::core::fmt::Debug,
            ::core::default::Default,
            ::core::cmp::PartialEq,
            ::core::cmp::Eq,
            ::core::hash::Hash
        )]
        pub struct #name;

        impl #name {
            /// The mapper's partner, config name and mapping type.
            pub const INFO: #rt::MapperInfo = #rt::MapperInfo {
                partner_name: #partner,
                config_name: #config,
                mapping_type: #mapping_type,
            };
        }

        impl #rt::Mapper for #name {
            fn info(&self) -> &'static #rt::MapperInfo {
                &Self::INFO
            }

            fn map<'a>(
                &self,
                payload: &'a [u8],
            ) -> ::core::result::Result<#rt::Vec<#rt::Record<'a>>, #rt::MapError> {
                #(#items)*
                #time_parser
                let __mapper_payload: #root_type = #rt::read(payload)?;
                let mut __mapper_sink = #rt::Sink::new();
                #validation_pass
                #mapping_pass
            }
        }
    }
}

struct Generator<'p> {
    plan: &'p Plan,
    runtime: &'p TokenStream,
    rt: &'p TokenStream,
    reader: &'p Reader<'p>,
}

impl Generator<'_> {
    fn time_parser(&self) -> Option<TokenStream> {
        let time = self.plan.record.user_time.as_ref()?;
        if time.formats.is_empty() {
            return None;
        }
        Some(crate::date::generate_parser(
            &format_ident!("__mapper_parse_user_time"),
            &time.formats,
            time.timezone.as_deref(),
            self.runtime,
        ))
    }

    /// `payload_validations`: checked first; when any fails, only those failures are reported.
    fn validation_pass(&self) -> TokenStream {
        if self.plan.validations.is_empty() {
            return TokenStream::new();
        }
        let rt = self.rt;
        let deepest = self.plan.validations.iter().map(|c| c.slot.scope).max().unwrap_or(0);
        let wanted = |slot: Slot| self.plan.validations.iter().any(|c| c.slot == slot);
        let body = |scope: usize| {
            let checks = self.plan.validations.iter().filter(|c| c.slot.scope == scope).map(|c| {
                let value = self.reader.slot(c.slot);
                let ty = json_type(rt, c.ty);
                let path = &c.path;
                let index = index_expr(c.slot.scope);
                let pointer = self.pointer(c.slot);
                quote!(__mapper_sink.check(#rt::check_type(#value, #ty), #path, #index, #pointer);)
            });
            quote!(#(#checks)*)
        };
        let nest = self.nest(0, quote!(__mapper_payload), &wanted, deepest, &body, false);
        quote! {
            #nest
            if !__mapper_sink.is_clean() {
                return __mapper_sink.finish(#rt::Vec::new());
            }
        }
    }

    fn mapping_pass(&self) -> TokenStream {
        let rt = self.rt;
        let deepest = self.plan.scopes.len() - 1;
        let used = record::used_slots(self.plan);
        let wanted = |slot: Slot| used.contains(&slot);
        let code = record::build(self, deepest);
        let body = |scope: usize| code[scope].clone();
        let nest = self.nest(0, quote!(__mapper_payload), &wanted, deepest, &body, true);
        let capacity = if deepest == 0 { quote!(1) } else { quote!(0) };
        quote! {
            let mut __mapper_records = #rt::Vec::with_capacity(#capacity);
            #nest
            __mapper_sink.finish(__mapper_records)
        }
    }

    /// Binds the values of `scope` read from `place` and runs `body` for the scope, then loops
    /// over the scope's iterated array down to the deepest scope.
    fn nest(
        &self,
        scope: usize,
        place: TokenStream,
        wanted: &dyn Fn(Slot) -> bool,
        deepest: usize,
        body: &dyn Fn(usize) -> TokenStream,
        report_arrays: bool,
    ) -> TokenStream {
        let rt = self.rt;
        let mut stmts = Vec::new();
        let array = self.reader.bind(scope, place.clone(), wanted, scope < deepest, &mut stmts);
        stmts.push(body(scope));
        if scope == deepest {
            return quote!(#(#stmts)*);
        }
        let Some(array) = array else {
            // The front end guarantees an iterated array in every scope but the last.
            return quote!(#(#stmts)*);
        };
        // The element reference is the array itself when a scope's value is the next array.
        let array_ref =
            if array.to_string() == place.to_string() && scope > 0 { array } else { quote!(&#array) };
        let items = format_ident!("__mapper_items{}", scope);
        let i = format_ident!("__mapper_i{}", scope);
        let element = format_ident!("__mapper_element{}", scope);
        let element_pattern =
            if self.reader.is_raw(scope + 1, 0) { quote!(&#element) } else { quote!(#element) };
        let inner = self.nest(scope + 1, quote!(#element), wanted, deepest, body, report_arrays);
        let lp = match &self.plan.scopes[scope].iteration {
            Iteration::All => quote! {
                for (#i, #element_pattern) in ::core::iter::Iterator::enumerate(#items.iter()) {
                    #inner
                }
            },
            Iteration::Slice { start, end, step } => {
                let [start, end, step] = [start, end, step].map(|bound| match bound {
                    Some(b) => {
                        let b = Literal::i64_unsuffixed(*b);
                        quote!(::core::option::Option::Some(#b))
                    }
                    None => quote!(::core::option::Option::None),
                });
                quote! {
                    for (#i, #element_pattern) in #rt::slice_enumerate(#items, #start, #end, #step) {
                        #inner
                    }
                }
            }
            Iteration::Filter { expr, members: Some(members) } => {
                // The members the filter compares were read with the element's struct.
                let mut compiler = query::QueryCompiler::new(rt);
                let mut operands = Vec::new();
                for (n, member) in members.iter().enumerate() {
                    let operand = format_ident!("__mapper_operand{}_{}", scope, n);
                    let place = self.reader.member_place(scope + 1, &member.names, quote!(#element));
                    operands.push(quote!(let #operand = #rt::operand_tree(#place.0);));
                    compiler = compiler.with_member(member.names.clone(), quote!(#operand.as_ref()));
                }
                let skip = compiler.skip_unless(expr, &element, &element);
                quote! {
                    for (#i, #element_pattern) in ::core::iter::Iterator::enumerate(#items.iter()) {
                        #(#operands)*
                        #skip
                        #inner
                    }
                }
            }
            Iteration::Filter { expr, members: None } => {
                // The element is parsed as a tree for the filter, and read again into its
                // struct when kept.
                let tree = format_ident!("__mapper_tree{}", scope);
                let root = if self.plan.root_tree { format_ident!("__mapper_root") } else { tree.clone() };
                let skip = query::QueryCompiler::new(rt).skip_unless(expr, &tree, &root);
                quote! {
                    for (#i, #element_pattern) in ::core::iter::Iterator::enumerate(#items.iter()) {
                        let #tree = &#rt::tree(#element);
                        #skip
                        #inner
                    }
                }
            }
        };
        // Each element of the last array makes at most one record: reserve them up front rather
        // than grow the list by doubling (the mapping pass only; all elements kept with `[*]`).
        let lp = if report_arrays
            && scope + 1 == deepest
            && matches!(self.plan.scopes[scope].iteration, Iteration::All)
        {
            quote! {
                __mapper_records.reserve(#items.len());
                #lp
            }
        } else {
            lp
        };
        let lp = if report_arrays {
            let path = &self.plan.scopes[scope].array_path;
            let index = index_expr(scope);
            let array_node = self.plan.scopes[scope].array.unwrap_or(0);
            let pointer = self.pointer(Slot { scope, node: array_node });
            quote! {
                match #rt::elements(#array_ref) {
                    ::core::result::Result::Ok(#items) => { #lp }
                    ::core::result::Result::Err(problem) => {
                        __mapper_sink.check(::core::result::Result::Err(problem), #path, #index, #pointer);
                    }
                }
            }
        } else {
            quote! {
                if let ::core::result::Result::Ok(#items) = #rt::elements(#array_ref) { #lp }
            }
        };
        stmts.push(lp);
        quote!(#(#stmts)*)
    }

    /// A closure that renders the JSON pointer of a slot, with the loop indexes in scope. For
    /// a query node, the pointer of the node it found, looked up in its tree on demand.
    fn pointer(&self, slot: Slot) -> TokenStream {
        let rt = self.rt;
        let mut format = String::new();
        let mut args: Vec<TokenStream> = Vec::new();
        // A negative index's position is known only at run time; the pointer then stops at its
        // array, which is still a valid RFC 6901 pointer to where the problem is.
        let mut whole = true;
        for level in 0..slot.scope {
            let scope = &self.plan.scopes[level];
            if let Some(array) = scope.array {
                whole = push_steps(&mut format, &scope.nodes[array].steps);
            }
            if !whole {
                break;
            }
            format.push_str("/{}");
            let i = format_ident!("__mapper_i{}", level);
            args.push(quote!(#i));
        }
        let node = &self.plan.scopes[slot.scope].nodes[slot.node];
        if whole {
            whole = push_steps(&mut format, &node.steps);
        }
        if let Some(query) = node.query.as_ref().filter(|_| whole) {
            let tree = read::tree_name(slot.scope, query.base);
            let found = self.reader.slot(slot);
            format.push_str("{}");
            args.push(quote!(#rt::pointer_within(#tree, #found)));
        }
        if args.is_empty() {
            let text = format.replace("{{", "{").replace("}}", "}");
            quote!(|| #rt::owned(#text))
        } else {
            let format = Literal::string(&format);
            quote!(|| #rt::format!(#format, #(#args),*))
        }
    }
}

/// Appends the pointer of `steps`; stops before a negative index and returns `false` there.
fn push_steps(format: &mut String, steps: &[Step]) -> bool {
    for step in steps {
        if matches!(step, Step::Index(i) if *i < 0) {
            return false;
        }
        format.push('/');
        match step {
            Step::Member(name) => {
                for c in name.chars() {
                    match c {
                        '~' => format.push_str("~0"),
                        '/' => format.push_str("~1"),
                        '{' => format.push_str("{{"),
                        '}' => format.push_str("}}"),
                        c => format.push(c),
                    }
                }
            }
            Step::Index(i) => format.push_str(&i.to_string()),
        }
    }
    true
}

fn index_expr(scope: usize) -> TokenStream {
    if scope == 0 {
        quote!(::core::option::Option::None)
    } else {
        quote!(::core::option::Option::Some(__mapper_i0))
    }
}

fn json_type(rt: &TokenStream, ty: crate::model::JsonType) -> TokenStream {
    use crate::model::JsonType;
    let variant = match ty {
        JsonType::String => quote!(String),
        JsonType::Number => quote!(Number),
        JsonType::Integer => quote!(Integer),
        JsonType::Boolean => quote!(Boolean),
        JsonType::Object => quote!(Object),
        JsonType::Array => quote!(Array),
    };
    quote!(#rt::JsonType::#variant)
}
