mod metrics {
    geno_metrics::registry!("ui/fail/non_base_unit.toml");
}

fn main() {}
