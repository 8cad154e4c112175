//! Building the records: each field is converted once, in the scope where its value lives (a
//! root value once per payload, an order's value once per order), and each record of the
//! deepest scope takes the converted values it needs.
//!
//! Every field is evaluated even after another failed, so a payload's error lists every problem
//! once; a record is pushed only when all of its fields have a value.

use std::collections::BTreeSet;

use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use super::{Generator, index_expr};
use crate::date::TimeFormat;
use crate::ir::{AttributesPlan, Input, Plan, Slot, TimeInput, TimePlan};
use crate::model::{Literal, MappingType, Platform};

/// Every slot the records read.
pub fn used_slots(plan: &Plan) -> BTreeSet<Slot> {
    let r = &plan.record;
    let mut used = BTreeSet::new();
    let mut inputs: Vec<&Input> = [&r.customer_id, &r.anon_id, &r.event_name].into_iter().flatten().collect();
    let mut attribute_sets = vec![&r.user_attributes];
    if plan.mapping_type == MappingType::Events {
        inputs.push(&r.app_version);
        attribute_sets.push(&r.attr);
    }
    for attributes in attribute_sets {
        inputs.extend(attributes.entries.iter().map(|(_, i)| i));
        used.extend(attributes.create_all.iter().map(|(slot, _)| *slot));
    }
    used.extend(inputs.into_iter().filter_map(|i| match i {
        Input::Read { slot, .. } => Some(*slot),
        Input::Literal(_) => None,
    }));
    match r.user_time.as_ref().map(|t| &t.source) {
        Some(TimeInput::Read { slot, .. }) => {
            used.insert(*slot);
        }
        Some(TimeInput::Merge { date, time }) => used.extend([date.0, time.0]),
        None => {}
    }
    used
}

/// A field's value: a local holding `Option<T>` (`None` after a problem) made in scope `home`,
/// or a constant.
enum FieldValue {
    Checked { var: Ident, home: usize },
    Constant(TokenStream),
}

/// How a read value becomes a field.
#[derive(Clone, Copy)]
enum Conversion {
    /// `customer_id`, `anon_id`: string or integer.
    Identifier,
    /// `event_name`, `app_version`: string.
    Text,
}

/// The statements of each scope and the guard of the record, as they are generated.
struct Emit {
    deepest: usize,
    by_scope: Vec<Vec<TokenStream>>,
    /// For each checked field: its `Option<T>` as seen from the deepest scope, and the binding of
    /// its value in the record.
    guard: Vec<(TokenStream, Ident)>,
}

impl Emit {
    /// `var` as seen from scope `at`: moved where it was made, cloned when it was made in an
    /// enclosing scope (it serves every record below it; borrowed text clones for free).
    fn use_at(var: &Ident, home: usize, at: usize) -> TokenStream {
        if home < at { quote!(::core::clone::Clone::clone(&#var)) } else { quote!(#var) }
    }

    /// The record's value of a field.
    fn value(&mut self, field: FieldValue) -> TokenStream {
        match field {
            FieldValue::Checked { var, home } => {
                let expr = Self::use_at(&var, home, self.deepest);
                let binding = format_ident!("{}_value", var);
                self.guard.push((expr, binding.clone()));
                quote!(#binding)
            }
            FieldValue::Constant(expr) => expr,
        }
    }
}

/// The statements of each scope, outermost first: field conversions where their values live,
/// and in the deepest scope the record itself.
pub fn build(g: &Generator<'_>, deepest: usize) -> Vec<TokenStream> {
    let rt = g.rt;
    let r = &g.plan.record;
    let mut emit = Emit { deepest, by_scope: vec![Vec::new(); deepest + 1], guard: Vec::new() };
    let record = match g.plan.mapping_type {
        MappingType::Events => {
            let (customer_id, anon_id) = identity(g, &mut emit);
            let event_name = field(g, &mut emit, r.event_name.as_ref(), Conversion::Text, "event_name");
            let event_name = emit.value(event_name);
            let user_time = user_time(g, &mut emit, r.user_time.as_ref());
            let user_time = emit.value(user_time);
            let platform = platform(rt, r.platform);
            let app_version = app_version(g, &mut emit);
            let app_version = emit.value(app_version);
            let attr = attributes(g, &mut emit, &r.attr, "attr");
            let user_attributes = attributes(g, &mut emit, &r.user_attributes, "user_attributes");
            quote! {
                #rt::Record::Event(#rt::Event {
                    customer_id: #customer_id,
                    anon_id: #anon_id,
                    event_name: #event_name,
                    user_time: #user_time,
                    platform: #platform,
                    app_version: #app_version,
                    attr: #attr,
                    user_attributes: #user_attributes,
                })
            }
        }
        MappingType::Users => {
            let customer_id =
                field(g, &mut emit, r.customer_id.as_ref(), Conversion::Identifier, "customer_id");
            let customer_id = emit.value(customer_id);
            let user_time = match &r.user_time {
                Some(_) => {
                    let t = user_time(g, &mut emit, r.user_time.as_ref());
                    let t = emit.value(t);
                    quote!(::core::option::Option::Some(#t))
                }
                None => quote!(::core::option::Option::None),
            };
            let update_existing_only = match r.update_existing_only {
                Some(b) => quote!(::core::option::Option::Some(#b)),
                None => quote!(::core::option::Option::None),
            };
            let user_attributes = attributes(g, &mut emit, &r.user_attributes, "user_attributes");
            quote! {
                #rt::Record::User(#rt::Profile {
                    customer_id: #customer_id,
                    user_time: #user_time,
                    update_existing_only: #update_existing_only,
                    user_attributes: #user_attributes,
                })
            }
        }
    };

    let push = quote!(__mapper_records.push(#record););
    let guarded = if emit.guard.is_empty() {
        push
    } else {
        let exprs = emit.guard.iter().map(|(e, _)| e);
        let patterns = emit.guard.iter().map(|(_, b)| quote!(::core::option::Option::Some(#b)));
        quote! {
            if let (#(#patterns,)*) = (#(#exprs,)*) {
                #push
            }
        }
    };
    emit.by_scope[deepest].push(guarded);
    emit.by_scope.into_iter().map(|stmts| quote!(#(#stmts)*)).collect()
}

/// `customer_id` and `anon_id` of an event: at least one must have a value.
fn identity(g: &Generator<'_>, emit: &mut Emit) -> (TokenStream, TokenStream) {
    let rt = g.rt;
    let r = &g.plan.record;
    let none = quote!(::core::option::Option::None);
    let some = |t: TokenStream| quote!(::core::option::Option::Some(#t));
    match (&r.customer_id, &r.anon_id) {
        (Some(Input::Literal(l)), anon) => {
            let anon = match anon {
                Some(Input::Literal(a)) => some(literal_text(rt, a)),
                Some(Input::Read { slot, path }) => {
                    let var = optional_id(g, emit, *slot, path, "anon_id");
                    emit.value(FieldValue::Checked { var, home: slot.scope })
                }
                None => none.clone(),
            };
            (some(literal_text(rt, l)), anon)
        }
        (None, Some(Input::Literal(l))) => (none, some(literal_text(rt, l))),
        (Some(cid), None) => {
            let value = field(g, emit, Some(cid), Conversion::Identifier, "customer_id");
            (some(emit.value(value)), none)
        }
        (None, Some(aid)) => {
            let value = field(g, emit, Some(aid), Conversion::Identifier, "anon_id");
            (none, some(emit.value(value)))
        }
        (Some(Input::Read { slot: cs, path: cp }), Some(aid)) => {
            let cid = optional_id(g, emit, *cs, cp, "customer_id");
            let (aid, aid_home) = match aid {
                Input::Read { slot, path } => {
                    let var = optional_id(g, emit, *slot, path, "anon_id");
                    (quote!(#var), slot.scope)
                }
                Input::Literal(l) => {
                    let l = literal_text(rt, l);
                    (quote!(::core::option::Option::Some(::core::option::Option::Some(#l))), 0)
                }
            };
            let home = cs.scope.max(aid_home);
            let cid = Emit::use_at(&cid, cs.scope, home);
            let aid = if aid_home < home { quote!(::core::clone::Clone::clone(&#aid)) } else { aid };
            let index = index_expr(home);
            let pointer = g.pointer(*cs);
            emit.by_scope[home].push(quote! {
                let __mapper_ids = match (#cid, #aid) {
                    (::core::option::Option::Some(::core::option::Option::None),
                     ::core::option::Option::Some(::core::option::Option::None)) => {
                        __mapper_sink.field::<()>(
                            ::core::result::Result::Err(#rt::Problem::Missing),
                            "customer_id", #cp, #index, #pointer,
                        );
                        ::core::option::Option::None
                    }
                    (::core::option::Option::Some(c), ::core::option::Option::Some(a)) => ::core::option::Option::Some((c, a)),
                    _ => ::core::option::Option::None,
                };
            });
            let ids = emit.value(FieldValue::Checked { var: format_ident!("__mapper_ids"), home });
            (quote!(#ids.0), quote!(#ids.1))
        }
        (None, None) => (none.clone(), none),
    }
}

/// `let __mapper_<field> = sink.field(identifier(value), ...)`: `Option<Option<Cow>>` in the
/// value's scope, outer `None` after a problem.
fn optional_id(g: &Generator<'_>, emit: &mut Emit, slot: Slot, path: &str, field_name: &str) -> Ident {
    let rt = g.rt;
    let value = g.reader.slot(slot);
    let index = index_expr(slot.scope);
    let pointer = g.pointer(slot);
    let var = format_ident!("__mapper_{}", field_name);
    emit.by_scope[slot.scope].push(quote! {
        let #var = __mapper_sink.field(#rt::identifier(#value), #field_name, #path, #index, #pointer);
    });
    var
}

fn conversion_fn(rt: &TokenStream, conversion: Conversion) -> TokenStream {
    match conversion {
        Conversion::Identifier => quote!(#rt::identifier),
        Conversion::Text => quote!(#rt::string),
    }
}

/// A required field.
fn field(
    g: &Generator<'_>,
    emit: &mut Emit,
    input: Option<&Input>,
    conversion: Conversion,
    field_name: &str,
) -> FieldValue {
    let rt = g.rt;
    match input {
        None => FieldValue::Constant(quote!(#rt::CowStr::Borrowed(""))),
        Some(Input::Literal(l)) => FieldValue::Constant(literal_text(rt, l)),
        Some(Input::Read { slot, path }) => {
            let value = g.reader.slot(*slot);
            let convert = conversion_fn(rt, conversion);
            let index = index_expr(slot.scope);
            let pointer = g.pointer(*slot);
            let var = format_ident!("__mapper_{}", field_name);
            emit.by_scope[slot.scope].push(quote! {
                let #var = __mapper_sink.field(#rt::required(#convert(#value)), #field_name, #path, #index, #pointer);
            });
            FieldValue::Checked { var, home: slot.scope }
        }
    }
}

/// `app_version`: optional; a path that finds nothing gives the default, `1.0.0`.
fn app_version(g: &Generator<'_>, emit: &mut Emit) -> FieldValue {
    let rt = g.rt;
    match &g.plan.record.app_version {
        Input::Literal(l) => FieldValue::Constant(literal_text(rt, l)),
        Input::Read { slot, path } => {
            let value = g.reader.slot(*slot);
            let index = index_expr(slot.scope);
            let pointer = g.pointer(*slot);
            let var = format_ident!("__mapper_app_version");
            let default = crate::frontend::DEFAULT_APP_VERSION;
            emit.by_scope[slot.scope].push(quote! {
                let #var = __mapper_sink.field(
                    #rt::string(#value).map(|v| v.unwrap_or(#rt::CowStr::Borrowed(#default))),
                    "app_version", #path, #index, #pointer,
                );
            });
            FieldValue::Checked { var, home: slot.scope }
        }
    }
}

fn user_time(g: &Generator<'_>, emit: &mut Emit, time: Option<&TimePlan>) -> FieldValue {
    let rt = g.rt;
    let Some(time) = time else { return FieldValue::Constant(quote!(0)) };
    let formats = &time.formats_text;
    let unit: i64 = match time.formats.iter().find(|f| !matches!(f, TimeFormat::Pattern(_))) {
        Some(TimeFormat::EpochSeconds) => 1000,
        _ => 1,
    };
    let parser = if time.formats.is_empty() {
        quote!(::core::option::Option::None)
    } else {
        quote!(::core::option::Option::Some(__mapper_parse_user_time))
    };
    let var = format_ident!("__mapper_user_time");
    match &time.source {
        TimeInput::Read { slot, path } => {
            let value = g.reader.slot(*slot);
            let pointer = g.pointer(*slot);
            let index = index_expr(slot.scope);
            emit.by_scope[slot.scope].push(quote! {
                let #var = __mapper_sink.field(
                    #rt::required(#rt::time_input(#value))
                        .and_then(|t| #rt::user_time(t, #unit, #parser, #formats)),
                    "user_time", #path, #index, #pointer,
                );
            });
            FieldValue::Checked { var, home: slot.scope }
        }
        TimeInput::Merge { date, time } => {
            let (date_value, date_path, date_pointer) = (g.reader.slot(date.0), &date.1, g.pointer(date.0));
            let (time_value, time_path, time_pointer) = (g.reader.slot(time.0), &time.1, g.pointer(time.0));
            let (date_home, time_home) = (date.0.scope, time.0.scope);
            let home = date_home.max(time_home);
            let (date_index, time_index, index) =
                (index_expr(date_home), index_expr(time_home), index_expr(home));
            emit.by_scope[date_home].push(quote! {
                let __mapper_date = __mapper_sink.field(
                    #rt::required(#rt::string(#date_value)), "user_time", #date_path, #date_index, #date_pointer,
                );
            });
            emit.by_scope[time_home].push(quote! {
                let __mapper_time = __mapper_sink.field(
                    #rt::required(#rt::string(#time_value)), "user_time", #time_path, #time_index, #time_pointer,
                );
            });
            let date_var = Emit::use_at(&format_ident!("__mapper_date"), date_home, home);
            let time_var = Emit::use_at(&format_ident!("__mapper_time"), time_home, home);
            let merged_pointer = g.pointer(date.0);
            // Which part made the joined text unreadable is not known: name both.
            let merged_path = format!("{date_path} + {time_path}");
            emit.by_scope[home].push(quote! {
                let #var = match (#date_var, #time_var) {
                    (::core::option::Option::Some(date), ::core::option::Option::Some(time)) => __mapper_sink.field(
                        #rt::merge(&date, &time, __mapper_parse_user_time, #formats),
                        "user_time", #merged_path, #index, #merged_pointer,
                    ),
                    _ => ::core::option::Option::None,
                };
            });
            FieldValue::Checked { var, home }
        }
    }
}

/// An attributes object, built per record (explicit values cannot fail); the members
/// `create_all` copies are read once, where the copied object lives.
fn attributes(g: &Generator<'_>, emit: &mut Emit, plan: &AttributesPlan, name: &str) -> TokenStream {
    let rt = g.rt;
    let var = format_ident!("__mapper_{}", name);
    let capacity = proc_macro2::Literal::usize_unsuffixed(plan.entries.len());
    let entries = plan.entries.iter().map(|(key, input)| match input {
        Input::Literal(l) => {
            let value = literal_value(rt, l);
            quote!(#var.push_new(#rt::CowStr::Borrowed(#key), #value);)
        }
        Input::Read { slot, .. } => {
            let value = g.reader.slot(*slot);
            quote! {
                if let ::core::option::Option::Some(value) = #rt::value(#value) {
                    #var.push_new(#rt::CowStr::Borrowed(#key), value);
                }
            }
        }
    });
    let members = plan.create_all.as_ref().map(|(slot, path)| {
        let value = g.reader.slot(*slot);
        let field_name = format!("{name}.create_all");
        let index = index_expr(slot.scope);
        let pointer = g.pointer(*slot);
        let members = format_ident!("__mapper_{}_members", name);
        emit.by_scope[slot.scope].push(quote! {
            let #members = __mapper_sink.field(#rt::members(#value), #field_name, #path, #index, #pointer);
        });
        emit.value(FieldValue::Checked { var: members, home: slot.scope })
    });
    match members {
        None if plan.entries.is_empty() => quote!(#rt::Attributes::new()),
        None => quote!({
            let mut #var = #rt::Attributes::with_capacity(#capacity);
            #(#entries)*
            #var
        }),
        Some(members) => quote!({
            let mut #var = #rt::Attributes::with_capacity(#capacity);
            #(#entries)*
            if let ::core::option::Option::Some(members) = #members {
                #rt::copy_members(&mut #var, members);
            }
            #var
        }),
    }
}

fn platform(rt: &TokenStream, platform: Platform) -> TokenStream {
    match platform {
        Platform::Web => quote!(#rt::Platform::Web),
        Platform::Android => quote!(#rt::Platform::Android),
        Platform::Ios => quote!(#rt::Platform::Ios),
        Platform::Api => quote!(#rt::Platform::Api),
    }
}

fn literal_text(rt: &TokenStream, literal: &Literal) -> TokenStream {
    let text = match literal {
        Literal::String(s) | Literal::Number(s) => s.clone(),
        Literal::Bool(b) => b.to_string(),
    };
    quote!(#rt::CowStr::Borrowed(#text))
}

fn literal_value(rt: &TokenStream, literal: &Literal) -> TokenStream {
    match literal {
        Literal::String(s) => quote!(#rt::Value::String(#rt::CowStr::Borrowed(#s))),
        Literal::Number(n) => quote!(#rt::Value::Number(#rt::CowStr::Borrowed(#n))),
        Literal::Bool(b) => quote!(#rt::Value::Bool(#b)),
    }
}
