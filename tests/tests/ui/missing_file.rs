hookmap::mapper!("mappers/does_not_exist.json");

fn main() {}
