//! citekeep: finds the citations of a website's sources, checks them, archives them before
//! they rot, and reports what rotted.
//!
//! The pipeline (see `DESIGN.md` in the project notes): [`source`] extracts links with their
//! places, [`link`] judges them, [`scan`] drives extraction over many files and [`output`]
//! prints it; [`check`] and [`run`] check the links and record them in the [`store`];
//! [`archive`] snapshots them; [`report`] renders the history, [`fix`] repairs sources and
//! [`serve`] lets people browse and replay the archive.

pub mod archive;
pub mod check;
pub mod clock;
pub mod config;
pub mod crawl;
mod error;
pub mod exit_codes;
pub mod fetch;
pub mod fix;
pub mod link;
pub mod lock;
pub mod output;
pub mod report;
pub mod run;
pub mod scan;
pub mod serve;
pub mod source;
pub mod store;

pub use error::Error;
