//! The compiled mappers the gateway serves, found by partner, mapping type and config name.

use std::collections::HashMap;
use std::fmt;

use hookmap::{Mapper, MappingType};

/// A partner's mappers by config name, then by mapping type (see [`slot`]).
type ByConfig = HashMap<&'static str, [Option<&'static dyn Mapper>; 2]>;

/// Mappers keyed by `(partner_name, config_name, mapping_type)`.
///
/// Nested by partner first so that an unknown partner and an unknown config get different
/// answers.
#[derive(Default)]
pub struct Registry {
    partners: HashMap<&'static str, ByConfig>,
    len: usize,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter().map(|m| m.info())).finish()
    }
}

/// What a lookup found.
#[derive(Clone, Copy)]
pub enum Lookup {
    /// The mapper for the request.
    Found(&'static dyn Mapper),
    /// No mapper has this partner name.
    UnknownPartner,
    /// The partner exists, but has no mapper of this config name and mapping type.
    UnknownConfig,
}

impl fmt::Debug for Lookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lookup::Found(m) => f.debug_tuple("Found").field(m.info()).finish(),
            Lookup::UnknownPartner => f.write_str("UnknownPartner"),
            Lookup::UnknownConfig => f.write_str("UnknownConfig"),
        }
    }
}

/// Two mappers claim the same partner, config name and mapping type.
#[derive(Debug)]
pub struct DuplicateMapper {
    /// The partner, config name and mapping type claimed twice.
    pub info: hookmap::MapperInfo,
}

impl fmt::Display for DuplicateMapper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "two mappers for partner {:?}, mapping type {}, config name {:?}",
            self.info.partner_name,
            self.info.mapping_type.as_str(),
            self.info.config_name
        )
    }
}

impl std::error::Error for DuplicateMapper {}

fn slot(t: MappingType) -> usize {
    match t {
        MappingType::Events => 0,
        MappingType::Users => 1,
    }
}

impl Registry {
    /// A registry of `mappers`; each (partner, mapping type, config name) at most once.
    pub fn new(mappers: impl IntoIterator<Item = &'static dyn Mapper>) -> Result<Self, DuplicateMapper> {
        let mut registry = Registry::default();
        for mapper in mappers {
            let info = mapper.info();
            let configs = registry.partners.entry(info.partner_name).or_default();
            let entry = &mut configs.entry(info.config_name).or_default()[slot(info.mapping_type)];
            if entry.is_some() {
                return Err(DuplicateMapper { info: *info });
            }
            *entry = Some(mapper);
            registry.len += 1;
        }
        Ok(registry)
    }

    /// The mapper for a request to `/v1/partner/{partner}/{mapping_type}/?configName={config}`.
    pub fn lookup(&self, partner: &str, mapping_type: MappingType, config: &str) -> Lookup {
        let Some(configs) = self.partners.get(partner) else { return Lookup::UnknownPartner };
        match configs.get(config).and_then(|slots| slots[slot(mapping_type)]) {
            Some(mapper) => Lookup::Found(mapper),
            None => Lookup::UnknownConfig,
        }
    }

    /// Every mapper, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &'static dyn Mapper> + '_ {
        self.partners.values().flat_map(|c| c.values()).flat_map(|s| s.iter().flatten().copied())
    }

    /// How many mappers there are.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}
