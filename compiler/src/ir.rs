//! The read plan of a mapper: which parts of the payload are read, into which records.
//!
//! [`crate::lower`] builds it from the typed [`crate::model::Mapper`]; [`crate::generate`] turns it
//! into Rust. Paths are resolved here into a tree of the members and elements the mapper reads, so
//! the generated code reads the payload once and skips everything else.

use crate::date::TimeFormat;
use crate::jsonpath::ast::{LogicalExpr, Segment};
use crate::model::{JsonType, Literal, MappingType, Platform};

/// Index of a node in [`Scope::nodes`].
pub type NodeId = usize;

/// A value read by the generated code: a node captured whole in a scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Slot {
    /// The scope: 0 is the payload, `k` an element of the `k`-th iterated array.
    pub scope: usize,
    /// The node in that scope.
    pub node: NodeId,
}

/// The whole plan.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The Rust type name to generate.
    pub type_name: String,
    /// `partner_name`.
    pub partner_name: String,
    /// `config_name` or the file stem.
    pub config_name: String,
    /// `mapping_type`.
    pub mapping_type: MappingType,
    /// Scope 0 is the payload; scope `k` (k ≥ 1) is one element of the array that
    /// [`Scope::array`] of scope `k - 1` names. Records are made in the last scope.
    pub scopes: Vec<Scope>,
    /// Whether filters compare with `$`, so the payload is also parsed as a tree.
    pub root_tree: bool,
    /// `payload_validations`, checked before mapping.
    pub validations: Vec<Check>,
    /// How each record is built.
    pub record: RecordPlan,
}

/// The members and elements read in one scope, as a tree rooted at node 0.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// The nodes; node 0 is the scope's value itself.
    pub nodes: Vec<Node>,
    /// The node whose elements form the next scope (`[*]` of a batching mapper).
    pub array: Option<NodeId>,
    /// Which of that array's elements form the next scope.
    pub iteration: Iteration,
    /// The JSONPath of that array, up to and including its `[*]`, for messages.
    pub array_path: String,
}

/// How a level of the batching chain selects elements of its array.
#[derive(Clone, Debug, Default)]
pub enum Iteration {
    /// `[*]`: every element.
    #[default]
    All,
    /// `[?expr]`: the elements the filter keeps (objects' member values count too, as in
    /// RFC 9535, but the chain reads arrays only).
    Filter {
        /// The filter.
        expr: LogicalExpr,
        /// When the filter only looks at members of the element (`@.status`, `@.field.ref`):
        /// those members, read with the element's struct, so the element is read once. `None`:
        /// each element is parsed as a tree for the filter, then read again when kept.
        members: Option<Vec<FilterMember>>,
    },
    /// `[start:end:step]`.
    Slice {
        /// Start, if given.
        start: Option<i64>,
        /// End, if given.
        end: Option<i64>,
        /// Step, if given.
        step: Option<i64>,
    },
}

/// One place in the payload the mapper reads.
#[derive(Clone, Debug, Default)]
pub struct Node {
    /// Members read from it when it is an object, in first-use order.
    pub members: Vec<(String, NodeId)>,
    /// Elements read from it by index when it is an array, in first-use order.
    pub indices: Vec<(i64, NodeId)>,
    /// Whether the value itself is used (a field, an attribute, `create_all`, a validation).
    pub whole: bool,
    /// The steps from the scope's value to this node, for JSON pointers in errors. For a
    /// query node, those of its base.
    pub steps: Vec<Step>,
    /// Set for a node that is not read by name or index but found by evaluating the rest of a
    /// path (filters, slices, unions, `..`) on another node of the scope.
    pub query: Option<TailQuery>,
    /// Whether a chain filter compares it: then a `null` is kept apart from a missing member,
    /// which the filter tells apart and the mapper's fields do not.
    pub operand: bool,
}

/// A member path a chain filter compares, read into the element's struct.
#[derive(Clone, Debug)]
pub struct FilterMember {
    /// The member names from the element (`["field", "ref"]` for `@.field.ref`).
    pub names: Vec<String>,
    /// Its node in the element's scope.
    pub node: NodeId,
}

/// The part of a path after its plain prefix, evaluated on the prefix's value; the node is its
/// first match in document order.
#[derive(Clone, Debug)]
pub struct TailQuery {
    /// The node holding the prefix's value (captured whole).
    pub base: NodeId,
    /// The segments left.
    pub segments: Vec<Segment>,
    /// Their text, which identifies equal tails.
    pub text: String,
}

/// One step of a resolved path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A member name.
    Member(String),
    /// An array index (negative from the end).
    Index(i64),
}

/// A `payload_validations` rule.
#[derive(Clone, Debug)]
pub struct Check {
    /// The value checked.
    pub slot: Slot,
    /// The mapper's path, for messages.
    pub path: String,
    /// The type it must have.
    pub ty: JsonType,
}

/// Where a field's value comes from.
#[derive(Clone, Debug)]
pub enum Input {
    /// A constant of the mapper.
    Literal(Literal),
    /// A value of the payload, with the mapper's path for messages.
    Read {
        /// The value.
        slot: Slot,
        /// The mapper's JSONPath.
        path: String,
    },
}

/// How `user_time` is obtained.
#[derive(Clone, Debug)]
pub struct TimePlan {
    /// Where the value comes from.
    pub source: TimeInput,
    /// `formats.user_time`, in order.
    pub formats: Vec<TimeFormat>,
    /// The formats as written, joined for messages.
    pub formats_text: String,
    /// The mapper's time zone, an IANA name.
    pub timezone: Option<String>,
}

/// The value `user_time` is read from.
#[derive(Clone, Debug)]
pub enum TimeInput {
    /// One value.
    Read {
        /// The value.
        slot: Slot,
        /// The mapper's JSONPath.
        path: String,
    },
    /// `#MERGE`: the date, a space, the time.
    Merge {
        /// The date value and its path.
        date: (Slot, String),
        /// The time value and its path.
        time: (Slot, String),
    },
}

/// `attr` or `user_attributes`.
#[derive(Clone, Debug, Default)]
pub struct AttributesPlan {
    /// Explicit keys in mapper order.
    pub entries: Vec<(String, Input)>,
    /// The object `create_all` copies, and its path.
    pub create_all: Option<(Slot, String)>,
}

/// How one record is built.
#[derive(Clone, Debug)]
pub struct RecordPlan {
    /// `customer_id`.
    pub customer_id: Option<Input>,
    /// `anon_id` (events).
    pub anon_id: Option<Input>,
    /// `event_name` (events).
    pub event_name: Option<Input>,
    /// `user_time`.
    pub user_time: Option<TimePlan>,
    /// `platform` (events).
    pub platform: Platform,
    /// `app_version` (events).
    pub app_version: Input,
    /// `update_existing_only` (users).
    pub update_existing_only: Option<bool>,
    /// `attr` (events).
    pub attr: AttributesPlan,
    /// `user_attributes`.
    pub user_attributes: AttributesPlan,
}
