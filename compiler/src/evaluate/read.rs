//! Reaching the values of a scope: members and elements looked up in the captured JSON text,
//! query nodes found in a tree of their base, the elements a batching level keeps, and the JSON
//! pointers of errors, each as the generated code reaches them.

use std::fmt::Write as _;

use hookmap_core::__private::{self as rt, Json, Raw};

use super::Run;
use super::query::Context;
use crate::ir::{Iteration, NodeId, Slot, Step};

/// The values of one scope for one element (or the payload, for scope 0).
pub(super) struct Frame<'a> {
    /// Each node's value, `null` included (the runtime's conversions read `null` as missing).
    pub(super) values: Vec<Option<Raw<'a>>>,
    /// The trees parsed from query bases, kept for the pointers of errors.
    trees: Vec<(NodeId, Json<'a>)>,
}

impl<'a> Frame<'a> {
    fn tree(&self, base: NodeId) -> Option<&Json<'a>> {
        self.trees.iter().find(|(b, _)| *b == base).map(|(_, tree)| tree)
    }
}

impl<'a> Run<'_, '_, 'a> {
    /// Reads the values of scope `scope` from its value.
    pub(super) fn frame(&self, scope: usize, value: Option<Raw<'a>>) -> Frame<'a> {
        let nodes = &self.plan.scopes[scope].nodes;
        let mut values = vec![None; nodes.len()];
        values[0] = value;
        fill(nodes, 0, &mut values);
        let mut trees: Vec<(NodeId, Json<'a>)> = Vec::new();
        for (id, node) in nodes.iter().enumerate() {
            let Some(query) = &node.query else { continue };
            if !trees.iter().any(|(base, _)| *base == query.base) {
                trees.push((query.base, rt::tree(values[query.base])));
            }
            let Some((_, tree)) = trees.iter().find(|(base, _)| *base == query.base) else { continue };
            let context = Context { root: self.root.unwrap_or(tree), known: &[] };
            values[id] = rt::raw(context.first(tree, &query.segments));
            fill(nodes, id, &mut values);
        }
        Frame { values, trees }
    }

    pub(super) fn value(&self, frames: &[Frame<'a>], slot: Slot) -> Option<Raw<'a>> {
        frames[slot.scope].values[slot.node]
    }

    /// The JSON pointer of a slot's value, as the generated code renders it.
    pub(super) fn pointer(&self, slot: Slot, frames: &[Frame<'a>], indices: &[usize]) -> String {
        let mut out = String::new();
        let mut whole = true;
        for (level, index) in indices.iter().enumerate().take(slot.scope) {
            let scope = &self.plan.scopes[level];
            if let Some(array) = scope.array {
                whole = push_steps(&mut out, &scope.nodes[array].steps);
            }
            if !whole {
                break;
            }
            let _ = write!(out, "/{index}");
        }
        let node = &self.plan.scopes[slot.scope].nodes[slot.node];
        if whole {
            whole = push_steps(&mut out, &node.steps);
        }
        if let Some(query) = node.query.as_ref().filter(|_| whole) {
            let frame = &frames[slot.scope];
            let null = Json::null();
            out.push_str(&rt::pointer_within(
                frame.tree(query.base).unwrap_or(&null),
                frame.values[slot.node],
            ));
        }
        out
    }

    /// The elements of scope `scope`'s iterated array that its level keeps, with their positions.
    pub(super) fn kept(&self, scope: usize, items: &[Raw<'a>]) -> Vec<(usize, Raw<'a>)> {
        match &self.plan.scopes[scope].iteration {
            Iteration::All => items.iter().copied().enumerate().collect(),
            Iteration::Slice { start, end, step } => {
                rt::slice_enumerate(items, *start, *end, *step).map(|(i, raw)| (i, *raw)).collect()
            }
            Iteration::Filter { expr, members: Some(members) } => {
                // The compared members were read with the element, not looked up in its tree.
                let keep = |element: Raw<'a>| {
                    let operands: Vec<Option<Json<'a>>> = members
                        .iter()
                        .map(|m| {
                            rt::operand_tree(
                                m.names.iter().try_fold(element, |v, name| rt::member(Some(v), name)),
                            )
                        })
                        .collect();
                    let known: Vec<(Vec<String>, Option<&Json<'a>>)> =
                        members.iter().zip(&operands).map(|(m, o)| (m.names.clone(), o.as_ref())).collect();
                    let null = Json::null();
                    Context { root: &null, known: &known }.test(expr, &null)
                };
                items.iter().copied().enumerate().filter(|(_, element)| keep(*element)).collect()
            }
            Iteration::Filter { expr, members: None } => {
                let keep = |element: Raw<'a>| {
                    let tree = rt::tree(Some(element));
                    Context { root: self.root.unwrap_or(&tree), known: &[] }.test(expr, &tree)
                };
                items.iter().copied().enumerate().filter(|(_, element)| keep(*element)).collect()
            }
        }
    }
}

/// Computes the values of the plain nodes below `id` (members and indexed elements).
fn fill<'a>(nodes: &[crate::ir::Node], id: NodeId, values: &mut [Option<Raw<'a>>]) {
    for (name, child) in &nodes[id].members {
        values[*child] = rt::member(values[id], name);
        fill(nodes, *child, values);
    }
    for (index, child) in &nodes[id].indices {
        values[*child] = rt::element(values[id], *index);
        fill(nodes, *child, values);
    }
}

/// Appends the pointer of `steps`; stops before a negative index (its position is known only
/// to the array) and returns `false` there, as the generated pointers do.
fn push_steps(out: &mut String, steps: &[Step]) -> bool {
    for step in steps {
        match step {
            Step::Index(i) if *i < 0 => return false,
            Step::Index(i) => {
                let _ = write!(out, "/{i}");
            }
            Step::Member(name) => {
                out.push('/');
                out.push_str(&name.replace('~', "~0").replace('/', "~1"));
            }
        }
    }
    true
}
