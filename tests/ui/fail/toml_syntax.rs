mod metrics {
    geno_metrics::registry!("ui/fail/toml_syntax.toml");
}

fn main() {}
