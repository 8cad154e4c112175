//! Building one record from the values bound in the deepest scope.
//!
//! Every field is evaluated even after another failed, so a payload's error lists every problem;
//! the record is pushed only when all of its fields have a value.

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

/// A field's value: computed into a local that is `None` after a problem, or a constant.
enum FieldValue {
    Checked { stmt: TokenStream, var: Ident },
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

/// The statements that build one record in `scope` and push it.
pub fn build(g: &Generator<'_>, scope: usize) -> TokenStream {
    let rt = g.rt;
    let r = &g.plan.record;
    let mut stmts = Vec::new();
    let mut checked: Vec<(Ident, TokenStream)> = Vec::new();
    let record = match g.plan.mapping_type {
        MappingType::Events => {
            let (customer_id, anon_id) = identity(g, scope, &mut stmts, &mut checked);
            let event_name = push_checked(
                field(g, r.event_name.as_ref(), Conversion::Text, "event_name", scope),
                &mut stmts,
                &mut checked,
            );
            let user_time = push_checked(user_time(g, r.user_time.as_ref(), scope), &mut stmts, &mut checked);
            let platform = platform(rt, r.platform);
            let app_version = push_checked(
                field(g, Some(&r.app_version), Conversion::Text, "app_version", scope),
                &mut stmts,
                &mut checked,
            );
            let attr = push_checked(attributes(g, &r.attr, "attr", scope), &mut stmts, &mut checked);
            let user_attributes = push_checked(
                attributes(g, &r.user_attributes, "user_attributes", scope),
                &mut stmts,
                &mut checked,
            );
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
            let customer_id = push_checked(
                field(g, r.customer_id.as_ref(), Conversion::Identifier, "customer_id", scope),
                &mut stmts,
                &mut checked,
            );
            let user_time = match &r.user_time {
                Some(_) => {
                    let t = push_checked(user_time(g, r.user_time.as_ref(), scope), &mut stmts, &mut checked);
                    quote!(::core::option::Option::Some(#t))
                }
                None => quote!(::core::option::Option::None),
            };
            let update_existing_only = match r.update_existing_only {
                Some(b) => quote!(::core::option::Option::Some(#b)),
                None => quote!(::core::option::Option::None),
            };
            let user_attributes = push_checked(
                attributes(g, &r.user_attributes, "user_attributes", scope),
                &mut stmts,
                &mut checked,
            );
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
    let guarded = if checked.is_empty() {
        push
    } else {
        let vars = checked.iter().map(|(v, _)| v);
        let patterns = checked.iter().map(|(_, b)| quote!(::core::option::Option::Some(#b)));
        quote! {
            if let (#(#patterns,)*) = (#(#vars,)*) {
                #push
            }
        }
    };
    quote! {
        #(#stmts)*
        #guarded
    }
}

/// `customer_id` and `anon_id` of an event: at least one must have a value.
fn identity(
    g: &Generator<'_>,
    scope: usize,
    stmts: &mut Vec<TokenStream>,
    checked: &mut Vec<(Ident, TokenStream)>,
) -> (TokenStream, TokenStream) {
    let rt = g.rt;
    let r = &g.plan.record;
    let none = quote!(::core::option::Option::None);
    let some = |t: TokenStream| quote!(::core::option::Option::Some(#t));
    match (&r.customer_id, &r.anon_id) {
        (Some(Input::Literal(l)), _) => {
            (some(literal_text(rt, l)), optional_id(g, r.anon_id.as_ref(), "anon_id", scope, stmts, checked))
        }
        (_, Some(Input::Literal(l))) if r.customer_id.is_none() => (none, some(literal_text(rt, l))),
        (Some(cid), None) => {
            let value = field(g, Some(cid), Conversion::Identifier, "customer_id", scope);
            (some(push_checked(value, stmts, checked)), none)
        }
        (None, Some(aid)) => {
            let value = field(g, Some(aid), Conversion::Identifier, "anon_id", scope);
            (none, some(push_checked(value, stmts, checked)))
        }
        (Some(Input::Read { slot: cs, path: cp }), Some(aid)) => {
            let cid = read_optional(g, *cs, cp, Conversion::Identifier, "customer_id", scope);
            let aid = match aid {
                Input::Read { slot, path } => {
                    read_optional(g, *slot, path, Conversion::Identifier, "anon_id", scope)
                }
                Input::Literal(l) => {
                    let l = literal_text(rt, l);
                    quote!(::core::option::Option::Some(::core::option::Option::Some(#l)))
                }
            };
            let index = index_expr(scope);
            let pointer = g.pointer(*cs);
            stmts.push(quote! {
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
            checked.push((format_ident!("__mapper_ids"), quote!((__mapper_customer_id, __mapper_anon_id))));
            (quote!(__mapper_customer_id), quote!(__mapper_anon_id))
        }
        (None, None) => (none.clone(), none),
    }
}

fn optional_id(
    g: &Generator<'_>,
    input: Option<&Input>,
    field_name: &'static str,
    scope: usize,
    stmts: &mut Vec<TokenStream>,
    checked: &mut Vec<(Ident, TokenStream)>,
) -> TokenStream {
    match input {
        None => quote!(::core::option::Option::None),
        Some(Input::Literal(l)) => {
            let l = literal_text(g.rt, l);
            quote!(::core::option::Option::Some(#l))
        }
        Some(Input::Read { slot, path }) => {
            let expr = read_optional(g, *slot, path, Conversion::Identifier, field_name, scope);
            let var = format_ident!("__mapper_{}", field_name);
            stmts.push(quote!(let #var = #expr;));
            let binding = format_ident!("{}_value", var);
            checked.push((var, quote!(#binding)));
            quote!(#binding)
        }
    }
}

fn push_checked(
    value: FieldValue,
    stmts: &mut Vec<TokenStream>,
    checked: &mut Vec<(Ident, TokenStream)>,
) -> TokenStream {
    match value {
        FieldValue::Checked { stmt, var } => {
            stmts.push(stmt);
            let binding = format_ident!("{}_value", var);
            checked.push((var, quote!(#binding)));
            quote!(#binding)
        }
        FieldValue::Constant(expr) => expr,
    }
}

/// `sink.field(conversion(value), ...)`: `Option<Option<T>>`, outer `None` after a problem.
fn read_optional(
    g: &Generator<'_>,
    slot: Slot,
    path: &str,
    conversion: Conversion,
    field_name: &str,
    scope: usize,
) -> TokenStream {
    let rt = g.rt;
    let value = g.reader.slot(slot);
    let convert = conversion_fn(rt, conversion);
    let index = index_expr(scope);
    let pointer = g.pointer(slot);
    quote!(__mapper_sink.field(#convert(#value), #field_name, #path, #index, #pointer))
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
    input: Option<&Input>,
    conversion: Conversion,
    field_name: &str,
    scope: usize,
) -> FieldValue {
    let rt = g.rt;
    match input {
        None => FieldValue::Constant(quote!(#rt::CowStr::Borrowed(""))),
        Some(Input::Literal(l)) => FieldValue::Constant(literal_text(rt, l)),
        Some(Input::Read { slot, path }) => {
            let value = g.reader.slot(*slot);
            let convert = conversion_fn(rt, conversion);
            let index = index_expr(scope);
            let pointer = g.pointer(*slot);
            let var = format_ident!("__mapper_{}", field_name);
            FieldValue::Checked {
                stmt: quote! {
                    let #var = __mapper_sink.field(#rt::required(#convert(#value)), #field_name, #path, #index, #pointer);
                },
                var,
            }
        }
    }
}

fn user_time(g: &Generator<'_>, time: Option<&TimePlan>, scope: usize) -> FieldValue {
    let rt = g.rt;
    let Some(time) = time else { return FieldValue::Constant(quote!(0)) };
    let index = index_expr(scope);
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
    let stmt = match &time.source {
        TimeInput::Read { slot, path } => {
            let value = g.reader.slot(*slot);
            let pointer = g.pointer(*slot);
            quote! {
                let #var = __mapper_sink.field(
                    #rt::required(#rt::time_input(#value))
                        .and_then(|t| #rt::user_time(t, #unit, #parser, #formats)),
                    "user_time", #path, #index, #pointer,
                );
            }
        }
        TimeInput::Merge { date, time } => {
            let (date_value, date_path, date_pointer) = (g.reader.slot(date.0), &date.1, g.pointer(date.0));
            let (time_value, time_path, time_pointer) = (g.reader.slot(time.0), &time.1, g.pointer(time.0));
            let merged_pointer = g.pointer(date.0);
            quote! {
                let __mapper_date = __mapper_sink.field(
                    #rt::required(#rt::string(#date_value)), "user_time", #date_path, #index, #date_pointer,
                );
                let __mapper_time = __mapper_sink.field(
                    #rt::required(#rt::string(#time_value)), "user_time", #time_path, #index, #time_pointer,
                );
                let #var = match (__mapper_date, __mapper_time) {
                    (::core::option::Option::Some(date), ::core::option::Option::Some(time)) => __mapper_sink.field(
                        #rt::merge(&date, &time, __mapper_parse_user_time, #formats),
                        "user_time", #date_path, #index, #merged_pointer,
                    ),
                    _ => ::core::option::Option::None,
                };
            }
        }
    };
    FieldValue::Checked { stmt, var }
}

fn attributes(g: &Generator<'_>, plan: &AttributesPlan, name: &str, scope: usize) -> FieldValue {
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
    let build = quote! {
        let mut #var = #rt::Attributes::with_capacity(#capacity);
        #(#entries)*
    };
    match &plan.create_all {
        None if plan.entries.is_empty() => FieldValue::Constant(quote!(#rt::Attributes::new())),
        None => FieldValue::Constant(quote!({ #build #var })),
        Some((slot, path)) => {
            let value = g.reader.slot(*slot);
            let field_name = format!("{name}.create_all");
            let index = index_expr(scope);
            let pointer = g.pointer(*slot);
            FieldValue::Checked {
                stmt: quote! {
                    let #var = match __mapper_sink.field(#rt::members(#value), #field_name, #path, #index, #pointer) {
                        ::core::option::Option::Some(members) => {
                            #build
                            if let ::core::option::Option::Some(members) = members {
                                #rt::copy_members(&mut #var, members);
                            }
                            ::core::option::Option::Some(#var)
                        }
                        ::core::option::Option::None => ::core::option::Option::None,
                    };
                },
                var,
            }
        }
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
