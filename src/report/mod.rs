//! Printing the results of a check run, one function per format.

mod check;

pub use check::{CheckFormat, summary_line, write_check};
