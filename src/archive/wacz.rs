//! Export as WACZ 1.1.1 (Web Archive Collection Zipped): the WARC files, the CDXJ index, a
//! pages list and a data package manifest with SHA-256 hashes, in one ZIP that
//! ReplayWeb.page and other archive tools open and `wacz validate` accepts.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde_json::json;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

use crate::Error;
use crate::store::Store;

/// What an export wrote.
#[derive(Clone, Debug, Default)]
pub struct Exported {
    /// WARC files packed.
    pub warcs: usize,
    /// Pages listed.
    pub pages: usize,
    /// Bytes of the WACZ file.
    pub bytes: u64,
}

fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    format!("sha256:{out}")
}

/// Writes the archive in `dir` (with the snapshots `store` recorded) to `out` as WACZ.
pub fn export(dir: &Path, store: &Store, out: &Path) -> Result<Exported, Error> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |e: io::Error| Error::Io { path, error: e }
    };
    let zip_err = |e: zip::result::ZipError| Error::Io {
        path: out.to_path_buf(),
        error: io::Error::other(e.to_string()),
    };
    let warc_dir = dir.join("warc");
    let mut warcs: Vec<PathBuf> = match std::fs::read_dir(&warc_dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".warc.gz"))
            .collect(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(io(&warc_dir)(e)),
    };
    // Only the files the history accounts for (the index covers no other), each read
    // through: a damaged one would make a package validators reject, so none is written.
    let known = store.warc_files()?;
    warcs.retain(|w| {
        w.file_name()
            .is_some_and(|n| known.contains_key(n.to_string_lossy().as_ref()))
    });
    warcs.sort();
    for warc in &warcs {
        let len = std::fs::metadata(warc).map_err(io(warc))?.len();
        super::warc::verify(warc, len).map_err(|e| {
            Error::Refused(format!(
                "{}: damaged ({e}); no package written (restore the file from a backup)",
                warc.display()
            ))
        })?;
    }
    if warcs.is_empty() {
        return Err(Error::Nothing(format!(
            "nothing to export yet: {} holds no snapshot (`citekeep run` or `citekeep archive` \
             makes them)",
            dir.display()
        )));
    }

    // Pages: each captured HTML page (not requisites, not revisits), first capture first.
    let mut snapshots = store.snapshots()?;
    snapshots.sort_by_key(|s| s.captured_at);
    let mut seen = std::collections::HashSet::new();
    let mut pages = String::from(
        "{\"format\": \"json-pages-1.0\", \"id\": \"pages\", \"title\": \"All Pages\"}\n",
    );
    let mut page_count = 0;
    for s in snapshots
        .iter()
        .filter(|s| s.text_hash.is_some() && (200..300).contains(&s.status))
    {
        if seen.insert(s.url.clone()) {
            let ts = crate::clock::format(s.captured_at);
            // Every page has a title (its URL when it has none of its own, as a PDF may
            // not): a row that shares no field with the header line is "blank" to validators.
            let title = s
                .title
                .as_deref()
                .filter(|t| !t.is_empty())
                .unwrap_or(&s.url);
            let page = json!({"url": s.url, "ts": ts, "title": title});
            pages.push_str(&page.to_string());
            pages.push('\n');
            page_count += 1;
        }
    }
    let index_path = dir.join("index.cdxj");
    let index = std::fs::read(&index_path).unwrap_or_default();

    let tmp = out.with_extension("wacz.tmp");
    let file = File::create(&tmp).map_err(io(&tmp))?;
    let mut zip = zip::ZipWriter::new(file);
    let stored = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true);
    let mut resources = Vec::new();
    let mut add = |zip: &mut zip::ZipWriter<File>, name: &str, bytes: &[u8]| -> Result<(), Error> {
        zip.start_file(name, stored).map_err(zip_err)?;
        zip.write_all(bytes).map_err(io(out))?;
        resources.push(json!({
            "name": Path::new(name).file_name().map(|n| n.to_string_lossy().into_owned()),
            "path": name,
            "hash": sha256_hex(bytes),
            "bytes": bytes.len(),
        }));
        Ok(())
    };
    for warc in &warcs {
        let bytes = std::fs::read(warc).map_err(io(warc))?;
        let name = format!(
            "archive/{}",
            warc.file_name().unwrap_or_default().to_string_lossy()
        );
        add(&mut zip, &name, &bytes)?;
    }
    add(&mut zip, "indexes/index.cdxj", &index)?;
    add(&mut zip, "pages/pages.jsonl", pages.as_bytes())?;
    let package = json!({
        "profile": "data-package",
        "wacz_version": "1.1.1",
        "title": "citekeep archive",
        "created": crate::clock::format(crate::clock::now()),
        "software": format!("citekeep {}", env!("CARGO_PKG_VERSION")),
        "resources": resources,
    });
    let package = serde_json::to_vec_pretty(&package).unwrap_or_default();
    zip.start_file("datapackage.json", stored)
        .map_err(zip_err)?;
    zip.write_all(&package).map_err(io(out))?;
    let digest = json!({"path": "datapackage.json", "hash": sha256_hex(&package)});
    zip.start_file("datapackage-digest.json", stored)
        .map_err(zip_err)?;
    zip.write_all(digest.to_string().as_bytes())
        .map_err(io(out))?;
    zip.finish().map_err(zip_err)?;
    std::fs::rename(&tmp, out).map_err(io(out))?;
    Ok(Exported {
        warcs: warcs.len(),
        pages: page_count,
        bytes: std::fs::metadata(out).map_or(0, |m| m.len()),
    })
}
