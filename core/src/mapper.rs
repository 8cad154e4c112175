use crate::{MapError, Record};

/// What a mapper produces: events (with profile updates) or profile updates only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MappingType {
    /// `"events"`: one [`crate::Event`] per payload or batch item.
    Events,
    /// `"users"`: one [`crate::Profile`] per payload or batch item.
    Users,
}

impl MappingType {
    /// The name used in mapper files and in the webhook URL (`events` or `users`).
    pub fn as_str(self) -> &'static str {
        match self {
            MappingType::Events => "events",
            MappingType::Users => "users",
        }
    }
}

/// Static facts about a compiled mapper.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MapperInfo {
    /// `partner_name` of the mapper file.
    pub partner_name: &'static str,
    /// `config_name` of the mapper file, or the file's stem when it has none.
    pub config_name: &'static str,
    /// `mapping_type` of the mapper file.
    pub mapping_type: MappingType,
}

/// A mapper compiled from a mapper file: raw payload bytes in, records out.
///
/// Implemented by the code that `mapper!` and the `Builder` generate.
pub trait Mapper: Send + Sync + 'static {
    /// The mapper's partner, config name and mapping type.
    fn info(&self) -> &'static MapperInfo;

    /// Maps one request body.
    ///
    /// Returns every record of the payload, in payload order, or an error that names each
    /// problem; never a partial result. Records borrow from `payload` where they can.
    fn map<'a>(&self, payload: &'a [u8]) -> Result<Vec<Record<'a>>, MapError>;
}
