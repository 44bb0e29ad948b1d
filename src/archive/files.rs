//! The archive's WARC files: opening them (crash recovery cuts each file citekeep made back
//! to its last recorded capture, and leaves alone what it cannot account for), appending
//! captures with rotation at `[archive] max_file_size`, and the CDXJ index rebuilt from
//! the recorded snapshots.

use std::path::{Path, PathBuf};

use super::warc::{self, Placed, WarcWriter};
use super::{Prepared, Stored, cdxj};
use crate::Error;
use crate::store::Store;

/// Appends captures to the archive's WARC files and collects their index lines.
pub struct Archive {
    dir: PathBuf,
    writer: Option<WarcWriter>,
    max_file_size: u64,
    warnings: Vec<String>,
}

pub(super) fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        error: e,
    }
}

/// What opening the archive found in its WARC folder.
struct Recovered {
    /// citekeep's own files, sound and cut back to their recorded captures, by name: the
    /// newest may be appended to.
    ours: Vec<PathBuf>,
    /// Files left alone, each named with the reason.
    warnings: Vec<String>,
}

/// The `*.warc.gz` files in `warc_dir`, by name.
fn warc_files_in(warc_dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(warc_dir)
        .map_err(|e| io_err(warc_dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".warc.gz"))
        .collect();
    files.sort();
    Ok(files)
}

fn mtime(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos() as i64)
}

/// Recovers the WARC folder after whatever happened since the last run: each file citekeep
/// created is cut back to the end of the captures `store` recorded (what a killed run or a
/// full disk left beyond is dropped). A file the history cannot account for (copied in, or
/// left by a database that was lost) is never cut, deleted or appended to (a history that
/// knows no file while the folder holds some is refused earlier, by `Store::open`). A damaged file of ours (shorter than its records,
/// bit-flipped, not gzip) is named, left as it is, and not appended to.
fn recover(dir: &Path, store: &Store) -> Result<Recovered, Error> {
    let warc_dir = dir.join("warc");
    std::fs::create_dir_all(&warc_dir).map_err(|e| io_err(&warc_dir, e))?;
    let known = store.warc_files()?;
    let files = warc_files_in(&warc_dir)?;
    let name_of = |f: &Path| {
        f.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let (ours, foreign): (Vec<PathBuf>, Vec<PathBuf>) = files
        .into_iter()
        .partition(|f| known.contains_key(&name_of(f)));
    let mut warnings: Vec<String> = foreign
        .iter()
        .map(|f| {
            format!(
                "{}: not a WARC file this archive's history knows; left untouched, not indexed",
                f.display()
            )
        })
        .collect();
    let mut sound = Vec::new();
    for file in ours {
        let name = name_of(&file);
        let recorded = store.recorded_end(&name)?;
        let meta = std::fs::metadata(&file).map_err(|e| io_err(&file, e))?;
        let keep = match recorded {
            Some(end) => end,
            // Nothing recorded: keep the warcinfo record alone.
            None => warc::first_record_end(&file).map_err(|e| io_err(&file, e))?,
        };
        if recorded.is_none() && keep == 0 {
            // Ours, and not even its warcinfo survived: start that file afresh.
            std::fs::remove_file(&file).map_err(|e| io_err(&file, e))?;
            continue;
        }
        if meta.len() < keep {
            warnings.push(format!(
                "{}: {} bytes, shorter than the {keep} bytes of captures recorded in it \
                 (truncated outside citekeep); left as it is, not appended to",
                file.display(),
                meta.len()
            ));
            continue;
        }
        // Read through whole when it changed since it was last found sound.
        let unchanged = known.get(&name).copied().flatten() == Some((meta.len(), mtime(&meta)));
        if !unchanged && let Err(e) = warc::verify(&file, keep) {
            warnings.push(format!(
                "{}: damaged ({e}); left as it is, not appended to",
                file.display()
            ));
            continue;
        }
        if meta.len() > keep {
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(&file)
                .map_err(|e| io_err(&file, e))?;
            f.set_len(keep).map_err(|e| io_err(&file, e))?;
            f.sync_all().map_err(|e| io_err(&file, e))?;
        }
        let meta = std::fs::metadata(&file).map_err(|e| io_err(&file, e))?;
        store.warc_file_verified(&name, meta.len(), mtime(&meta))?;
        sound.push(file);
    }
    Ok(Recovered {
        ours: sound,
        warnings,
    })
}

/// Cuts the files `store` knows back to their recorded captures after a failed commit
/// (nothing of the group was recorded, so files, store and index agree again).
pub(super) fn cut_to_recorded(dir: &Path, store: &Store) -> Result<(), Error> {
    recover(dir, store).map(|_| ())
}

impl Archive {
    /// Opens the archive in `dir`, recovering its WARC folder (see [`recover`]), ready to
    /// append to the newest of citekeep's sound files; what it left alone is in
    /// [`Archive::warnings`].
    pub fn open(dir: &Path, max_file_size: u64, store: &Store) -> Result<Archive, Error> {
        let Recovered { ours, warnings } = recover(dir, store)?;
        let writer = match ours.last() {
            Some(last) if std::fs::metadata(last).map_or(0, |m| m.len()) < max_file_size => {
                Some(WarcWriter::open_at_end(last).map_err(|e| io_err(last, e))?)
            }
            _ => None,
        };
        Ok(Archive {
            dir: dir.to_path_buf(),
            writer,
            max_file_size,
            warnings,
        })
    }

    /// The archive folder.
    pub(super) fn dir(&self) -> &Path {
        &self.dir
    }

    /// What opening the archive left alone, each naming its file.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn writer(&mut self, store: &Store, now: i64) -> Result<&mut WarcWriter, Error> {
        let full = self
            .writer
            .as_ref()
            .is_none_or(|w| w.size() >= self.max_file_size);
        if full {
            let warc_dir = self.dir.join("warc");
            let stamp = cdxj::timestamp(now);
            let mut seq = 1;
            let name = loop {
                let name = format!("citekeep-{stamp}-{seq:05}.warc.gz");
                if !warc_dir.join(&name).exists() {
                    // Registered before its first byte: recovery may cut it later.
                    store.register_warc_file(&name, now)?;
                    break name;
                }
                seq += 1;
            };
            let info = format!(
                "software: citekeep/{}\r\nformat: WARC File Format 1.1\r\nconformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n",
                env!("CARGO_PKG_VERSION")
            );
            let w = WarcWriter::create(&warc_dir, &name, now, &info)
                .map_err(|e| io_err(&warc_dir, e))?;
            self.writer = Some(w);
        }
        Ok(self.writer.as_mut().expect("a writer was just opened"))
    }

    /// Appends a prepared capture (response or revisit, then request).
    pub fn append(&mut self, store: &Store, p: &Prepared, now: i64) -> Result<Stored, Error> {
        let writer = self.writer(store, now)?;
        let path = writer.path().to_path_buf();
        let placed = writer
            .write_member(&p.response)
            .map_err(|e| io_err(&path, e))?;
        writer
            .write_member(&p.request)
            .map_err(|e| io_err(&path, e))?;
        Ok(Stored {
            placed,
            record_id: p.record_id.clone(),
            payload_digest: p.payload_digest.clone(),
            revisit: p.revisit,
            end: writer.size(),
        })
    }

    /// Appends one record's gzip member (a resource record): where it went and the offset
    /// after it.
    pub fn append_member(
        &mut self,
        store: &Store,
        member: &[u8],
        now: i64,
    ) -> Result<(Placed, u64), Error> {
        let writer = self.writer(store, now)?;
        let path = writer.path().to_path_buf();
        let placed = writer.write_member(member).map_err(|e| io_err(&path, e))?;
        Ok((placed, writer.size()))
    }

    /// Makes what was written durable (before its snapshots are recorded).
    pub fn sync(&mut self) -> Result<(), Error> {
        if let Some(w) = self.writer.as_mut() {
            let path = w.path().to_path_buf();
            w.sync().map_err(|e| io_err(&path, e))?;
        }
        Ok(())
    }
}

/// Rebuilds `dir/index.cdxj` from the snapshots `store` recorded (written to a new file and
/// renamed over the old, so readers see one index or the other).
pub fn rebuild_index(dir: &Path, store: &Store) -> Result<usize, Error> {
    let mut lines: Vec<String> = Vec::new();
    store.each_snapshot(|s| {
        lines.push(
            cdxj::Entry {
                mime: if s.revisit {
                    Some("warc/revisit".to_string())
                } else {
                    Some(s.mime).filter(|m| !m.is_empty())
                },
                url: s.url,
                time: s.captured_at,
                status: (!s.resource).then_some(s.status),
                digest: s.payload_digest,
                length: s.length,
                offset: s.offset,
                filename: s.filename,
            }
            .line(),
        )
    })?;
    let index = dir.join("index.cdxj");
    cdxj::write_sorted(&index, lines).map_err(|e| io_err(&index, e))
}
