//! The mappers the `hookmap-gateway` binary serves: every mapper file of `gateway/mappers` and of
//! the seed examples (`examples/mappers`), compiled by `build.rs` with `hookmap_compiler::Builder`.
//! Each is served at `/v1/partner/<partner_name>/<mapping_type>/?configName=<file stem>`; several
//! versions of one partner's mapper are files side by side, each with its own config name.

hookmap::include_mappers!();
