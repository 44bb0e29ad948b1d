//! One writer at a time: `check`, `run` and `archive` hold an exclusive lock on
//! `archive/citekeep.lock` while they write. The operating system drops the lock when its
//! holder dies, so a lock left by a killed run is stale by construction and simply taken
//! over; the file only says who held it last.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::Error;

/// The lock file's name inside the archive folder.
pub const FILE_NAME: &str = "citekeep.lock";

/// Held while a command writes the archive; released when dropped (or the process dies).
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

/// Takes the archive's lock, or says who holds it.
pub fn acquire(dir: &Path, command: &str) -> Result<RunLock, Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::Io {
        path: dir.to_path_buf(),
        error: e,
    })?;
    let path = dir.join(FILE_NAME);
    let io = |e| Error::Io {
        path: path.clone(),
        error: e,
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim().replace('\n', ", ");
            return Err(Error::Locked(format!(
                "{} is held by another citekeep ({}); wait for it to finish",
                path.display(),
                if holder.is_empty() {
                    "unknown process".to_string()
                } else {
                    holder
                }
            )));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    file.set_len(0).map_err(io)?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    write!(
        file,
        "pid {}\ncommand {command}\nsince {}\n",
        std::process::id(),
        crate::clock::format(crate::clock::now())
    )
    .map_err(io)?;
    Ok(RunLock { _file: file })
}
