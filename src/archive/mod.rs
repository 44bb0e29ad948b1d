//! The archive: WARC files of snapshots and their CDXJ index.

pub mod cdxj;
pub mod warc;
