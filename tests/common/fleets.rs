//! Reading a fleet once (scraped directly, or through query mode when the
//! config names `prometheus.url`) and comparing two readings field by field.

use std::time::{Duration, Instant};

use aami_tui::cli::tui::fleet_from_config;
use aami_tui::config::Config;
use aami_tui::domain::Fleet;
use aami_tui::sources::FleetSource;

/// One refresh of `config`'s fleet through the source it selects.
pub async fn read(config: &Config) -> Fleet {
    let source = FleetSource::from_config(config).unwrap();
    let mut fleet = fleet_from_config(config);
    fleet.apply_refresh(source.refresh().await, Instant::now(), Duration::ZERO);
    fleet
}

/// Every field of every GPU (the whole `GpuSample`, MIG instances
/// included) and every host figure, node by node.
pub fn assert_same_fleet(direct: &Fleet, queried: &Fleet) {
    assert_eq!(direct.nodes.len(), queried.nodes.len());
    for (d, q) in direct.nodes.iter().zip(&queried.nodes) {
        assert_eq!(d.status, q.status, "{}", d.spec.name);
        assert_eq!(d.gpus, q.gpus, "{}: GPUs through the API", d.spec.name);
        assert_eq!(
            d.host, q.host,
            "{}: host figures through the API",
            d.spec.name
        );
    }
}
