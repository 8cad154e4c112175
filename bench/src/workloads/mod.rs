//! The workloads: a mapper file and a payload each. The seven seed examples come from
//! `examples/`; the larger payloads are generated here, deterministically, so every run and
//! every machine measures the same bytes.

mod orders;
mod profile;
mod rng;
mod survey;
mod vendor;

/// A mapper and the payload it maps.
#[derive(Debug)]
pub struct Workload {
    /// The name, also the mapper's file stem (and so the generated mapper's config name).
    pub name: &'static str,
    /// The mapper file's JSON text.
    pub mapper: &'static str,
    /// The request body.
    pub payload: Vec<u8>,
}

macro_rules! seed {
    ($name:literal) => {
        Workload {
            name: $name,
            mapper: include_str!(concat!("../../../examples/mappers/", $name, ".json")),
            payload: include_bytes!(concat!("../../../examples/payloads/", $name, ".json")).to_vec(),
        }
    };
}

macro_rules! generated {
    ($name:literal, $payload:expr) => {
        Workload {
            name: $name,
            mapper: include_str!(concat!("../../mappers/", $name, ".json")),
            payload: $payload,
        }
    };
}

/// Every workload, seeds first.
pub fn all() -> Vec<Workload> {
    vec![
        seed!("seed_1_simple_form"),
        seed!("seed_2_bulk_orders"),
        seed!("seed_3_merge_date_time"),
        seed!("seed_4_users_only"),
        seed!("seed_5_anonymous"),
        seed!("seed_6_create_all_users"),
        seed!("seed_7_create_all_events"),
        generated!("orders_batch", orders::payload(1000)),
        generated!("profile_create_all", profile::payload()),
        generated!("survey_filter", survey::payload()),
        generated!("vendor_nested", vendor::payload()),
    ]
}
