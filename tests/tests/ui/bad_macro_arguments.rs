hookmap::mapper!(pathh = "mappers/lead.json");

fn main() {}
