//! The library's one error type; the binary adds context with anyhow.

use std::path::PathBuf;

/// Everything that can go wrong in the library, each naming the thing it concerns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or folder could not be read or written.
    /// (What the system said is part of the message, not a separate cause: printed once.)
    #[error("{}: {error}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        error: std::io::Error,
    },
    /// A folder walk failed on an entry (the message names it).
    #[error("{0}")]
    Walk(String),
    /// The configuration file is malformed (the message names the file, line and key).
    #[error("{path}: {message}", path = path.display())]
    ConfigFile {
        /// The configuration file.
        path: PathBuf,
        /// What is wrong, with its line.
        message: String,
    },
    /// The history database failed (the message names the file).
    #[error("history database: {0}")]
    Store(String),
    /// Another citekeep holds the archive's lock (the message says which).
    #[error("{0}")]
    Locked(String),
    /// A source file is larger than `[site] max_file_size`: not read.
    #[error(
        "{}: {size} bytes, larger than [site] max_file_size ({limit} bytes); not scanned",
        path.display()
    )]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The archive browser could not start or stopped (the message says why).
    #[error("archive browser: {0}")]
    Serve(String),
    /// A source file was left as it was (the message names it and says why).
    #[error("{0}")]
    Refused(String),
    /// There is nothing to work on yet (the message says what makes it).
    #[error("{0}")]
    Nothing(String),
    /// A configuration value is wrong (the message names the key).
    #[error("configuration: {0}")]
    Config(String),
}
