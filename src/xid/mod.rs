//! The Xid catalogue and kernel-log scanner (issue 6).
