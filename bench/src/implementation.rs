//! The four ways of mapping a workload behind one interface, for the harness and the tests.

use hookmap::Mapper;
use serde::de::IgnoredAny;
use serde_json::Value;

use crate::handwritten::{self, Handwritten};
use crate::interpreted::Interpreter;
use crate::workloads::Workload;
use crate::{compare, generated};

/// One way of mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The mapper compiled by hookmap.
    Generated,
    /// `serde_json::Value` and `serde_json_path` at run time.
    Interpreted,
    /// serde derive with borrowed fields, written for the workload.
    Handwritten,
    /// `serde_json::from_slice::<IgnoredAny>`: reads the bytes, keeps nothing.
    Floor,
}

impl Kind {
    /// In the order of the `bench:` lines.
    pub const ALL: [Kind; 4] = [Kind::Generated, Kind::Interpreted, Kind::Handwritten, Kind::Floor];

    /// The name in the `bench:` lines.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Generated => "generated",
            Kind::Interpreted => "interpreted",
            Kind::Handwritten => "handwritten",
            Kind::Floor => "floor",
        }
    }
}

/// The implementations of one workload.
pub struct Implementations {
    generated: Result<&'static dyn Mapper, String>,
    interpreter: Result<Interpreter, String>,
    handwritten: Option<Handwritten>,
}

impl std::fmt::Debug for Implementations {
    // `dyn Mapper` has no `Debug`; its config name says which mapper it is.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Implementations")
            .field("generated", &self.generated.as_ref().map(|m| m.info().config_name))
            .field("interpreter", &self.interpreter)
            .field("handwritten", &self.handwritten.is_some())
            .finish()
    }
}

impl Implementations {
    /// Loads the interpreter and finds the compiled and hand-written mappers of `workload`.
    pub fn new(workload: &Workload) -> Implementations {
        Implementations {
            generated: generated::find(workload.name).map_err(|why| why.to_owned()),
            interpreter: Interpreter::new(workload.mapper),
            handwritten: handwritten::find(workload.name),
        }
    }

    /// Whether `kind` exists for this workload, or why not.
    pub fn available(&self, kind: Kind) -> Result<(), String> {
        match kind {
            Kind::Generated => self.generated.as_ref().map(|_| ()).map_err(Clone::clone),
            Kind::Interpreted => self.interpreter.as_ref().map(|_| ()).map_err(Clone::clone),
            Kind::Handwritten => self.handwritten.map(|_| ()).ok_or_else(|| "none written".to_owned()),
            Kind::Floor => Ok(()),
        }
    }

    /// Parses and maps `payload`, drops the records and returns how many there were (the floor
    /// produces none).
    pub fn run(&self, kind: Kind, payload: &[u8]) -> Result<usize, String> {
        match kind {
            Kind::Generated => {
                let mapper = self.generated.as_ref().map_err(Clone::clone)?;
                mapper.map(payload).map(|r| r.len()).map_err(|e| e.to_string())
            }
            Kind::Interpreted => {
                let interpreter = self.interpreter.as_ref().map_err(Clone::clone)?;
                interpreter.map(payload).map(|r| r.len())
            }
            Kind::Handwritten => {
                let map = self.handwritten.ok_or("none written")?;
                map(payload).map(|r| r.len())
            }
            Kind::Floor => {
                serde_json::from_slice::<IgnoredAny>(payload).map(|_| 0).map_err(|e| e.to_string())
            }
        }
    }

    /// The records JSON that `kind` produces for `payload` (see [`compare::records_json`]);
    /// `None` for the floor, which produces none.
    pub fn records(&self, kind: Kind, payload: &[u8]) -> Result<Option<Value>, String> {
        let records = match kind {
            Kind::Generated => {
                let mapper = self.generated.as_ref().map_err(Clone::clone)?;
                return mapper
                    .map(payload)
                    .map_err(|e| e.to_string())
                    .and_then(|r| compare::records_json(&r))
                    .map(Some);
            }
            Kind::Interpreted => self.interpreter.as_ref().map_err(Clone::clone)?.map(payload)?,
            Kind::Handwritten => {
                let map = self.handwritten.ok_or("none written")?;
                return map(payload).and_then(|r| compare::records_json(&r)).map(Some);
            }
            Kind::Floor => return self.run(kind, payload).map(|_| None),
        };
        compare::records_json(&records).map(Some)
    }
}
