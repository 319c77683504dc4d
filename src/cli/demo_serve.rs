//! `aami-tui demo --serve-only`: the simulated fleet without the TUI, so a
//! benchmark can measure the TUI's process alone against it.

use tokio::signal::unix::{SignalKind, signal};

use super::tui::DemoArgs;

/// Serves until SIGINT or SIGTERM; the config for the fleet goes to
/// `--write-config` (written once every server listens) or stdout.
pub fn run(args: &DemoArgs) -> color_eyre::Result<i32> {
    let rt = super::runtime()?;
    rt.block_on(async move {
        let (sim, config) = super::tui::start_sim(args).await?;
        let text = serde_yaml::to_string(&config)?;
        match &args.write_config {
            Some(path) => {
                // Written whole then renamed, so a reader polling for the
                // file never sees half of it.
                let partial = path.with_extension("partial");
                std::fs::write(&partial, text)?;
                std::fs::rename(&partial, path)?;
            }
            None => {
                use std::io::Write;
                let mut out = super::output::Stdout;
                out.write_all(text.as_bytes())?;
                out.flush()?;
            }
        }
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        drop(sim);
        Ok(0)
    })
}
