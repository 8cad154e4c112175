//! Runs a mapper's read plan on a payload without compiling it: the engine of `hookmap run`,
//! `hookmap test`, `hookmap diff` and of the sample checks at build time.
//!
//! It is not a second implementation of the mapper format. It walks the same [`Plan`] that
//! [`crate::generate`] turns into Rust, in the same order (validations first, then each scope's
//! fields where their values live, then each record), and it converts every value and reports
//! every problem through the same functions of `hookmap::__private` that the generated code
//! calls. What differs is only how values are reached: the generated code reads the payload once
//! into structs; the evaluator looks members and elements up in the captured JSON text.
//! The agreement tests (`tests/tests/evaluator.rs`) hold the two to the same records JSON and the
//! same errors, byte for byte, on the conformance suite, the JSONPath compliance suite and random
//! payloads. Production code keeps running the compiled mapper; this is for tools.

mod query;
mod read;
mod record;

use hookmap_core::__private::{self as rt, Json, Raw};
use hookmap_core::{MapError, Record};

pub use query::nodelist;
use read::Frame;
use record::Fields;

use crate::ir::{Plan, Slot};

/// Maps `payload` with `plan`: the records, or the error, that the compiled mapper returns.
pub fn evaluate<'a>(plan: &Plan, payload: &'a [u8]) -> Result<Vec<Record<'a>>, MapError> {
    let root: Raw<'a> = rt::read(payload)?;
    let root_tree = plan.root_tree.then(|| rt::tree(Some(root)));
    let run = Run { plan, root: root_tree.as_ref() };
    let mut problems = rt::Sink::new();
    let mut frames = vec![run.frame(0, Some(root))];
    let mut indices = Vec::new();

    if !plan.validations.is_empty() {
        let deepest = plan.validations.iter().map(|c| c.slot.scope).max().unwrap_or(0);
        run.validate(0, deepest, &mut frames, &mut indices, &mut problems);
        if !problems.is_clean() {
            return problems.finish(Vec::new());
        }
    }

    let mut records = Vec::new();
    run.map(0, Fields::default(), &mut frames, &mut indices, &mut problems, &mut records);
    problems.finish(records)
}

/// One evaluation: the plan, and what filters mean by `$`.
struct Run<'p, 'r, 'a> {
    plan: &'p Plan,
    /// The payload as a tree, when filters compare with `$`.
    root: Option<&'r Json<'a>>,
}

/// The batch index of a problem in scope `scope`: the element of the outermost array.
fn index_of(scope: usize, indices: &[usize]) -> Option<usize> {
    if scope == 0 { None } else { indices.first().copied() }
}

impl<'a> Run<'_, '_, 'a> {
    /// `payload_validations`, scope by scope, down to the deepest scope a rule reads.
    fn validate(
        &self,
        scope: usize,
        deepest: usize,
        frames: &mut Vec<Frame<'a>>,
        indices: &mut Vec<usize>,
        problems: &mut rt::Sink,
    ) {
        for check in self.plan.validations.iter().filter(|c| c.slot.scope == scope) {
            let result = rt::check_type(self.value(frames, check.slot), check.ty);
            problems.check(result, check.path.clone(), index_of(scope, indices), || {
                self.pointer(check.slot, frames, indices)
            });
        }
        if scope == deepest {
            return;
        }
        let Some(array) = self.plan.scopes[scope].array else { return };
        let Ok(items) = rt::iterated(frames[scope].values[array]) else { return };
        for (i, element) in self.kept(scope, &items) {
            frames.push(self.frame(scope + 1, Some(element)));
            indices.push(i);
            self.validate(scope + 1, deepest, frames, indices, problems);
            indices.pop();
            frames.pop();
        }
    }

    /// The mapping pass: the fields of `scope`, then the record (deepest scope) or the elements.
    fn map(
        &self,
        scope: usize,
        mut fields: Fields<'a>,
        frames: &mut Vec<Frame<'a>>,
        indices: &mut Vec<usize>,
        problems: &mut rt::Sink,
        records: &mut Vec<Record<'a>>,
    ) {
        self.fields(scope, &mut fields, frames, indices, problems);
        let deepest = self.plan.scopes.len() - 1;
        if scope == deepest {
            records.extend(self.record(&fields, frames));
            return;
        }
        let level = &self.plan.scopes[scope];
        let Some(array) = level.array else { return };
        match rt::iterated(frames[scope].values[array]) {
            Ok(items) => {
                for (i, element) in self.kept(scope, &items) {
                    frames.push(self.frame(scope + 1, Some(element)));
                    indices.push(i);
                    self.map(scope + 1, fields.clone(), frames, indices, problems, records);
                    indices.pop();
                    frames.pop();
                }
            }
            Err(problem) => {
                let slot = Slot { scope, node: array };
                problems.check(Err(problem), level.array_path.clone(), index_of(scope, indices), || {
                    self.pointer(slot, frames, indices)
                });
            }
        }
    }
}
