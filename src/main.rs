use clap::Parser;

fn main() -> color_eyre::Result<()> {
    aami_tui::runtime::bench_log::mark_process_start();
    color_eyre::install()?;
    // After color-eyre's hook, so the terminal is restored before its report.
    aami_tui::terminal::install_panic_hook();
    let cli = aami_tui::cli::Cli::parse();
    let code = aami_tui::cli::dispatch(cli)?;
    std::process::exit(code);
}
