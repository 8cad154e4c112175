//! The workload mappers as compiled by hookmap in `build.rs`.

use hookmap::Mapper;

hookmap::include_mappers!();
include!(concat!(env!("OUT_DIR"), "/rejected.rs"));

/// The compiled mapper of a workload, or why the compiler rejected it.
pub fn find(workload: &str) -> Result<&'static dyn Mapper, &'static str> {
    if let Some(mapper) = MAPPERS.iter().find(|m| m.info().config_name == workload) {
        return Ok(*mapper);
    }
    Err(REJECTED.iter().find(|(name, _)| *name == workload).map_or("no such mapper", |(_, why)| why))
}
