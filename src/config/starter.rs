//! The commented starter file written by `aami-tui config init`.

/// Valid as written: parses to a config with no nodes.
pub const STARTER: &str = r##"# aami-tui configuration (AAMI's config.yaml shape; an AAMI file loads unchanged).
# ${VAR} expands from the environment when the file is read and is never
# written back expanded; ${VAR:-default} gives a default.

cluster:
  name: gpu-cluster

# Nodes to watch. `aami-tui nodes add NAME --ip IP` and `aami-tui nodes import hosts.txt`
# edit this list and keep your comments.
nodes: []
#  - name: gpu-node-01
#    ip: 10.0.0.11
#    ssh_user: root
#    ssh_key: ~/.ssh/id_ed25519
#    ssh_port: 22
#    labels:
#      rack: r1
#      gpu_type: h100
#    exporters:              # defaults: dcgm 9400, node 9100
#      dcgm: 9400
#      node: 9100
#      all_smi: 9090          # optional
#      nvidia_gpu_exporter: 9835
#      custom_json: http://10.0.0.11:8080/v1/collect
#      dialect: dcgm          # pin instead of detecting: dcgm | all_smi | nvidia_gpu_exporter | custom_json

alerts:
  presets: []                 # e.g. [gpu-basic, gpu-thermal]
  custom: []
#    - name: GpuHot
#      expr: DCGM_FI_DEV_GPU_TEMP > 85
#      for: 5m
#      severity: warning

notifications: {}
#  slack:
#    enabled: true
#    webhook_url: ${SLACK_WEBHOOK_URL}
#    channel: "#gpu-alerts"

prometheus:
  retention: 15d
  storage_path: /var/lib/aami/prometheus
  port: 9090
  scrape_interval: 15s        # the stack's scrape and rule evaluation interval
#  url: http://prometheus:9090   # query mode: read the fleet from Prometheus / VictoriaMetrics
#  auth:
#    bearer_token: ${PROM_TOKEN}

alertmanager:
  port: 9093                  # where `aami-tui stack install` runs it
  storage_path: /var/lib/aami/alertmanager
#  url: http://alertmanager:9093

# The monitoring stack (`aami-tui stack render|install|status`).
stack:
  shard_above: 500            # past this many nodes: shard servers
  layout: federated           # or remote_write (into victoria_metrics)
#  host: monitor              # a node's name or ssh-config host; unset: this machine
#  dir: /opt/aami/stack       # its live configuration; default <install.prefix>/stack
#  shards: 4                  # default: nodes / shard_above, rounded up
#  victoria_metrics: http://vm:8428

ssh:
  max_parallel: 100
  connect_timeout: 10         # seconds
  command_timeout: 300        # seconds
  retry:
    max_attempts: 3
    backoff_base: 1
    backoff_max: 30

grafana:
  enabled: false
  port: 3000

tui:
  refresh: 2s
  theme: dark
  history: 15m
  max_concurrent_scrapes: 64
  max_body_mib: 16
"##;

#[cfg(test)]
mod tests {
    #[test]
    fn starter_parses_to_defaults() {
        let c = crate::config::parse_str(super::STARTER, std::path::Path::new("starter")).unwrap();
        assert!(c.nodes.is_empty());
        assert_eq!(c, crate::config::Config::default());
    }
}
