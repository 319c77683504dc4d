//! The Xid knowledge base and kernel-log scanner (issue 6).
//!
//! [`Catalogue`] explains every NVIDIA Xid code (embedded from
//! `xid-db/xids.yaml`, optionally overridden by `<config dir>/xids.yaml`);
//! [`scan`] finds Xid events and other `NVRM:` lines in kernel logs.
//! Plain Rust: no terminal, no network. `aami-tui explain xid N` and
//! `aami-tui xid scan` (in `cli::xid`) are thin layers over this module.

pub mod catalogue;
pub mod document;
pub mod scan;

pub use crate::domain::pci::{gpu_index_for_bus, normalize_bus};
pub use catalogue::{
    Catalogue, CatalogueError, Generations, LookupError, Related, XidEntry, parse_code,
};
pub use scan::{CodeSummary, GpuSummary, NvrmLine, ScanReport, XidEvent, scan, scan_with};
