//! `aami-tui bundle create | inspect | verify`: the air-gap bundle.

use std::path::PathBuf;

use clap::Subcommand;

use super::{CliError, output};
use crate::bundle::{self, ComponentSpec, Manifest};

#[derive(Debug, Subcommand)]
pub enum BundleCommand {
    /// Pack binaries and a manifest (name, version, os/arch, size, sha256) into one file.
    Create {
        /// The bundle file to write.
        #[arg(long, short = 'o', value_name = "FILE")]
        output: PathBuf,
        /// `NAME=PATH[@VERSION]`; repeat for more. Without @VERSION, `PATH --version` is read.
        #[arg(
            long = "component",
            required = true,
            value_name = "NAME=PATH[@VERSION]"
        )]
        components: Vec<ComponentSpec>,
    },
    /// List a bundle's manifest.
    Inspect { file: PathBuf },
    /// Check every file of a bundle against its manifest.
    Verify { file: PathBuf },
}

pub fn run(cmd: BundleCommand) -> color_eyre::Result<i32> {
    match cmd {
        BundleCommand::Create { output, components } => {
            let m = bundle::create(&output, &components).map_err(CliError::usage)?;
            output::println(&format!("wrote {}", output.display()))?;
            output::println(&table(&m))?;
            Ok(0)
        }
        BundleCommand::Inspect { file } => {
            let m = bundle::inspect(&file).map_err(|e| CliError::with_code(1, e))?;
            output::println(&table(&m))?;
            Ok(0)
        }
        BundleCommand::Verify { file } => {
            let b = bundle::open_verified(&file).map_err(|e| CliError::with_code(1, e))?;
            output::println(&format!(
                "{}: {} files match the manifest",
                file.display(),
                b.manifest.components.len()
            ))?;
            Ok(0)
        }
    }
}

fn table(m: &Manifest) -> String {
    let mut rows = vec![[
        "NAME".to_string(),
        "VERSION".into(),
        "OS/ARCH".into(),
        "SIZE".into(),
        "SHA256".into(),
    ]];
    for c in &m.components {
        rows.push([
            c.name.clone(),
            c.version.clone(),
            format!("{}/{}", c.os, c.arch),
            c.size.to_string(),
            c.sha256.clone(),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    rows.iter()
        .map(|r| {
            r.iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}
