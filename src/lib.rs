//! citekeep: finds the citations of a website's sources, checks them, archives them before
//! they rot, and reports what rotted.
//!
//! # The pipeline
//!
//! ```text
//! sources ──scan──▶ citations ──links──▶ due checks ──▶ verdicts ──▶ snapshots ──▶ reports
//!  source/, crawl    scan            run, check     store      archive      report, fix, serve
//! ```
//!
//! [`pipeline`] runs it: one function per command (`pipeline::nightly` is the nightly job),
//! called by the `citekeep` binary, by tests, or by any other front end.
//!
//! # The layers, bottom up
//!
//! No module imports a module that imports it back (`tests/architecture.rs` holds this):
//!
//! - [`clock`], [`config`], [`link`] (a URL as cited), [`store`] (the history database;
//!   it defines the rows it stores), [`page`] (what is known about a fetched page: title,
//!   text, main text, similarity, requisites);
//! - [`fetch`] (the one HTTP layer: client, address guard, politeness, transport kinds),
//!   [`browser`] (a headless Chromium for pages built by script, behind the same guard),
//!   [`source`] (citations in Markdown, HTML and URL lists), [`lock`];
//! - [`scan`] (extraction over many files), [`check`] (one link's check and its
//!   classification), [`archive`] (WARC capture, index, WACZ);
//! - [`crawl`] (a live site as a source), [`run`] (the check phase with its history),
//!   [`public`] (public archives' copies, verified);
//! - [`report`] (the rot report and check output), [`output`] (scan output), [`fix`]
//!   (rewriting sources), [`serve`] (the archive browser), [`init`] (a newcomer's set-up);
//! - [`pipeline`] (the commands).

pub mod archive;
pub mod browser;
pub mod check;
pub mod clock;
pub mod config;
pub mod crawl;
mod error;
pub mod exit_codes;
pub mod fetch;
pub mod fix;
pub mod init;
pub mod link;
pub mod lock;
pub mod output;
pub mod page;
pub mod pipeline;
pub mod public;
pub mod report;
pub mod run;
pub mod scan;
pub mod serve;
pub mod source;
pub mod store;

pub use error::Error;
