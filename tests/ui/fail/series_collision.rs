mod metrics {
    geno_metrics::registry!("ui/fail/series_collision.toml");
}

fn main() {}
