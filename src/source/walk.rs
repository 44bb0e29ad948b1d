//! Finding source files: inputs given as files or folders, folders walked in parallel-safe
//! sorted order, honouring `.gitignore` (with or without a git repository) and the
//! configured include/exclude globs.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::Format;
use crate::Error;

/// One file to scan and the format to read it in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceFile {
    /// The path, as reached from the input it was found under.
    pub path: PathBuf,
    /// How to read it.
    pub format: Format,
}

/// Include/exclude globs, matched against paths relative to the folder being walked.
#[derive(Debug)]
pub struct Filter {
    include: Option<GlobSet>,
    exclude: GlobSet,
}

impl Filter {
    /// Builds a filter; an empty include list means every supported file.
    pub fn new(include: &[String], exclude: &[String]) -> Result<Filter, Error> {
        let build = |globs: &[String]| -> Result<GlobSet, Error> {
            let mut set = GlobSetBuilder::new();
            for g in globs {
                let glob =
                    Glob::new(g).map_err(|e| Error::Config(format!("bad glob `{g}`: {e}")))?;
                set.add(glob);
            }
            set.build()
                .map_err(|e| Error::Config(format!("bad globs: {e}")))
        };
        Ok(Filter {
            include: if include.is_empty() {
                None
            } else {
                Some(build(include)?)
            },
            exclude: build(exclude)?,
        })
    }

    fn included(&self, relative: &Path) -> bool {
        self.include
            .as_ref()
            .is_none_or(|set| set.is_match(relative))
    }
}

/// Collects the files to scan under `inputs`, sorted and without duplicates. A missing input
/// or an unreadable folder entry is reported and the walk goes on.
pub fn collect(inputs: &[PathBuf], filter: &Filter) -> (Vec<SourceFile>, Vec<Error>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for input in inputs {
        match std::fs::metadata(input) {
            Err(e) => errors.push(Error::Io {
                path: input.clone(),
                error: e,
            }),
            Ok(meta) if meta.is_file() => files.push(SourceFile {
                path: input.clone(),
                format: Format::from_path(input).unwrap_or(Format::Text),
            }),
            Ok(_) => walk_folder(input, filter, &mut files, &mut errors),
        }
    }
    files.sort();
    files.dedup_by(|a, b| a.path == b.path);
    (files, errors)
}

fn walk_folder(root: &Path, filter: &Filter, files: &mut Vec<SourceFile>, errors: &mut Vec<Error>) {
    let root_owned = root.to_path_buf();
    let exclude = filter.exclude.clone();
    // Each folder's entries sorted by name: the walk then finds files in the order `Path`
    // sorts them, and the final sort only confirms it. Excluded folders are pruned, not
    // walked and then dropped.
    let walker = ignore::WalkBuilder::new(root)
        .require_git(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(move |entry| {
            let relative = entry
                .path()
                .strip_prefix(&root_owned)
                .unwrap_or(entry.path());
            relative.as_os_str().is_empty() || !exclude.is_match(relative)
        })
        .build();
    for entry in walker {
        match entry {
            Err(e) => errors.push(Error::Walk(e.to_string())),
            Ok(entry) => {
                if !entry.file_type().is_some_and(|t| t.is_file()) {
                    continue;
                }
                let path = entry.path();
                let relative = path.strip_prefix(root).unwrap_or(path);
                if !filter.included(relative) {
                    continue;
                }
                if let Some(format) = Format::from_path(path) {
                    files.push(SourceFile {
                        path: path.to_path_buf(),
                        format,
                    });
                }
            }
        }
    }
}
