//! The process exit codes, the contract with cron jobs and CI.

/// How a command ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    /// Success: nothing new is rotten.
    Ok = 0,
    /// Rot was found (which rot counts is configurable).
    Rot = 1,
    /// An error: bad configuration, an unreadable source, our own network down.
    Error = 2,
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}
