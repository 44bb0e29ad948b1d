//! The one integration test binary (one link step on 2 cores): each module tests one
//! command of the built `citekeep` binary against fixtures written for this project.

mod architecture;
mod archive;
mod browser;
mod check;
mod crawl;
mod editor;
mod faults;
mod nightly;
mod public;
mod report;
mod scan;
mod security;
mod serve;
mod support;
mod verdicts;
