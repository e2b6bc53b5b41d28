mod metrics {
    geno_metrics::registry!("ui/fail/const_labels_not_a_table.toml");
}

fn main() {}
