//! WARC/1.1 records (ISO 28500:2017), written one gzip member per record so any record can
//! be read with one seek, and read back for indexing, recovery and tests.
//!
//! A few hundred lines with flate2, sha1 and data-encoding: no maintained crate writes
//! per-record gzip with block and payload digests.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::{Compress, FlushCompress, Status};
use sha1::{Digest, Sha1};

/// `sha1:` and the base32 SHA-1 of `bytes`, as WARC digests are written.
pub fn sha1_digest(bytes: &[u8]) -> String {
    format!(
        "sha1:{}",
        data_encoding::BASE32.encode(&Sha1::digest(bytes))
    )
}

/// A new `<urn:uuid:...>` record id.
pub fn record_id() -> String {
    format!("<urn:uuid:{}>", uuid::Uuid::new_v4())
}

/// A WARC date (`2026-11-27T06:00:00Z`) from Unix seconds.
pub fn warc_date(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// One record: its type, named fields (beyond those computed here) and its block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// `warcinfo`, `request`, `response`, `revisit`...
    pub kind: String,
    /// Fields in order, e.g. `WARC-Target-URI`. `WARC-Type`, `Content-Length` and
    /// `WARC-Block-Digest` are added when writing.
    pub fields: Vec<(String, String)>,
    /// The block (for HTTP records: the message head and body as sent).
    pub block: Vec<u8>,
}

impl Record {
    /// The first field named `name` (case-insensitive).
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// For an HTTP record, its block split into the message head (without the blank line
    /// that ends it) and the body; `None` when the block has no complete head.
    pub fn http_message(&self) -> Option<(&[u8], &[u8])> {
        let end = memchr::memmem::find(&self.block, b"\r\n\r\n")?;
        Some((&self.block[..end], &self.block[end + 4..]))
    }

    /// The record serialized (uncompressed): version line, fields, blank line, block, and
    /// the two CRLFs that end a record.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = head(&self.kind, &self.fields, &[&self.block]);
        out.reserve(self.block.len() + 4);
        out.extend_from_slice(&self.block);
        out.extend_from_slice(b"\r\n\r\n");
        out
    }
}

/// A record's version line and fields, with `WARC-Block-Digest` (unless given) and
/// `Content-Length` of the block made of `parts`, and the blank line before the block.
fn head(kind: &str, fields: &[(String, String)], parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(b"WARC/1.1\r\n");
    out.extend_from_slice(format!("WARC-Type: {kind}\r\n").as_bytes());
    let mut has_digest = false;
    for (k, v) in fields {
        // Field values never carry line breaks (header injection).
        let v: String = v.chars().filter(|c| *c != '\r' && *c != '\n').collect();
        out.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
        has_digest |= k.eq_ignore_ascii_case("WARC-Block-Digest");
    }
    if !has_digest {
        use sha1::Digest;
        let mut hasher = sha1::Sha1::new();
        for p in parts {
            hasher.update(p);
        }
        let digest = data_encoding::BASE32.encode(&hasher.finalize());
        out.extend_from_slice(format!("WARC-Block-Digest: sha1:{digest}\r\n").as_bytes());
    }
    let length: usize = parts.iter().map(|p| p.len()).sum();
    out.extend_from_slice(format!("Content-Length: {length}\r\n\r\n").as_bytes());
    out
}

/// A record as one gzip member, ready to append.
pub fn member(record: &Record) -> io::Result<Vec<u8>> {
    member_of_parts(&record.kind, &record.fields, &[&record.block])
}

/// A record whose block is `parts` in order, as one gzip member, compressed straight from
/// the parts (a large body is never copied into a block first).
pub fn member_of_parts(
    kind: &str,
    fields: &[(String, String)],
    parts: &[&[u8]],
) -> io::Result<Vec<u8>> {
    let length: usize = parts.iter().map(|p| p.len()).sum();
    let head = head(kind, fields, parts);
    let mut out = Vec::with_capacity(length / 4 + 1024);
    // The gzip header as flate2 writes it: deflate, no name, no time, unknown system.
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    let mut crc = flate2::Crc::new();
    DEFLATE.with_borrow_mut(|deflate| -> io::Result<()> {
        deflate.reset();
        let end: &[u8] = b"\r\n\r\n";
        for part in std::iter::once(head.as_slice()).chain(parts.iter().copied()) {
            crc.update(part);
            deflate_into(deflate, part, &mut out, FlushCompress::None)?;
        }
        crc.update(end);
        deflate_into(deflate, end, &mut out, FlushCompress::Finish)
    })?;
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&crc.amount().to_le_bytes());
    Ok(out)
}

/// The deflate level of records. Level 5 rather than zlib's default 6: on the archiving
/// benchmark's pages it compresses 22% faster for 7% more bytes (benches/archive.sh).
const LEVEL: u32 = 5;

thread_local! {
    /// Each thread's deflate state, reset for every record: a new one costs a few hundred
    /// kilobytes of freshly zeroed memory, more than compressing a small record.
    static DEFLATE: std::cell::RefCell<Compress> =
        std::cell::RefCell::new(Compress::new(Compression::new(LEVEL), false));
}

/// Compresses `input` onto the end of `out`; with [`FlushCompress::Finish`], ends the stream.
fn deflate_into(
    deflate: &mut Compress,
    mut input: &[u8],
    out: &mut Vec<u8>,
    flush: FlushCompress,
) -> io::Result<()> {
    loop {
        if out.capacity() - out.len() < 4096 {
            out.reserve(out.capacity().max(4096));
        }
        let before = deflate.total_in();
        let status = deflate
            .compress_vec(input, out, flush)
            .map_err(io::Error::other)?;
        input = &input[(deflate.total_in() - before) as usize..];
        let done = match flush {
            FlushCompress::Finish => status == Status::StreamEnd,
            _ => input.is_empty() && out.capacity() > out.len(),
        };
        if done {
            return Ok(());
        }
    }
}

/// Where a record landed: the file, the offset of its gzip member and the member's length.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    /// The WARC file's name (not path).
    pub filename: String,
    /// Offset of the record's gzip member.
    pub offset: u64,
    /// Length of the gzip member.
    pub length: u64,
}

/// Appends records to one WARC file, each as its own gzip member.
pub struct WarcWriter {
    file: File,
    path: PathBuf,
    name: String,
    size: u64,
}

impl WarcWriter {
    /// Creates `dir/name` and writes its `warcinfo` record.
    pub fn create(dir: &Path, name: &str, now: i64, info: &str) -> io::Result<WarcWriter> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(name);
        let file = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)?;
        let mut writer = WarcWriter {
            file,
            path,
            name: name.to_string(),
            size: 0,
        };
        writer.write(&Record {
            kind: "warcinfo".into(),
            fields: vec![
                ("WARC-Record-ID".into(), record_id()),
                ("WARC-Date".into(), warc_date(now)),
                ("WARC-Filename".into(), name.to_string()),
                ("Content-Type".into(), "application/warc-fields".into()),
            ],
            block: info.as_bytes().to_vec(),
        })?;
        Ok(writer)
    }

    /// Opens an existing file to append, after cutting off a partial trailing record (found
    /// by reading the whole file; the archive instead cuts files back to what its database
    /// recorded, see `Archive::open`).
    pub fn append(path: &Path) -> io::Result<WarcWriter> {
        let good = complete_length(path)?;
        OpenOptions::new().write(true).open(path)?.set_len(good)?;
        WarcWriter::open_at_end(path)
    }

    /// Opens an existing file to append at its end, trusting that it ends on a record
    /// boundary (the archive cuts files back to their recorded captures first).
    pub fn open_at_end(path: &Path) -> io::Result<WarcWriter> {
        let file = OpenOptions::new().append(true).open(path)?;
        let size = file.metadata()?.len();
        Ok(WarcWriter {
            file,
            path: path.to_path_buf(),
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            size,
        })
    }

    /// Writes one record as a gzip member; returns where it landed.
    pub fn write(&mut self, record: &Record) -> io::Result<Placed> {
        self.write_member(&member(record)?)
    }

    /// Appends a record already compressed by [`member`] (so compression can happen on
    /// other threads); returns where it landed.
    pub fn write_member(&mut self, member: &[u8]) -> io::Result<Placed> {
        if let Err(e) = self.file.write_all(member) {
            // A full disk leaves part of the member: cut it off, so the file stays a whole
            // WARC (cutting frees space, so it works on a full disk too).
            let _ = self.file.set_len(self.size);
            return Err(e);
        }
        let placed = Placed {
            filename: self.name.clone(),
            offset: self.size,
            length: member.len() as u64,
        };
        self.size += member.len() as u64;
        Ok(placed)
    }

    /// Makes what was written durable.
    pub fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }

    /// Bytes in the file.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Reads the record whose gzip member starts at `offset` of `path`.
pub fn read_at(path: &Path, offset: u64) -> io::Result<Record> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut reader = BufReader::new(GzDecoder::new(BufReader::new(file)));
    parse_record(&mut reader)?
        .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "no record"))
}

/// Every record of a WARC file with its member offset and length, in order.
pub fn read_all(path: &Path) -> io::Result<Vec<(Placed, Record)>> {
    let bytes = std::fs::read(path)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = Vec::new();
    let mut offset = 0usize;
    while offset < bytes.len() {
        let (record, used) = read_member(&bytes[offset..])?;
        let mut reader = BufReader::new(&record[..]);
        let Some(rec) = parse_record(&mut reader)? else {
            break;
        };
        out.push((
            Placed {
                filename: name.clone(),
                offset: offset as u64,
                length: used as u64,
            },
            rec,
        ));
        offset += used;
    }
    Ok(out)
}

/// The length of the file's leading complete records (a partial last record is excluded).
pub fn complete_length(path: &Path) -> io::Result<u64> {
    let bytes = std::fs::read(path)?;
    let mut offset = 0usize;
    while offset < bytes.len() {
        match read_member(&bytes[offset..]) {
            Ok((record, used))
                if parse_record(&mut BufReader::new(&record[..])).is_ok_and(|r| r.is_some()) =>
            {
                offset += used;
            }
            _ => break,
        }
    }
    Ok(offset as u64)
}

/// Reads the file's records from its start up to byte `upto` (a record boundary) and says
/// whether they are sound: every gzip member whole, its checksum right, and a WARC record
/// inside. Streams the file; the error says at which offset it went wrong.
pub fn verify(path: &Path, upto: u64) -> io::Result<()> {
    let mut reader = Counting {
        inner: BufReader::with_capacity(1 << 16, File::open(path)?),
        pos: 0,
    };
    let mut member = Vec::new();
    while reader.pos < upto {
        let at = reader.pos;
        let bad = |what: String| io::Error::new(io::ErrorKind::InvalidData, what);
        member.clear();
        flate2::bufread::GzDecoder::new(&mut reader)
            .read_to_end(&mut member)
            .map_err(|e| bad(format!("the record at byte {at}: {e}")))?;
        if reader.pos == at {
            return Err(bad(format!(
                "the file ends at byte {at}, before byte {upto}"
            )));
        }
        if !member.starts_with(b"WARC/") {
            return Err(bad(format!(
                "the gzip member at byte {at} holds no WARC record"
            )));
        }
    }
    if reader.pos != upto {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a record runs past byte {upto}"),
        ));
    }
    Ok(())
}

/// A buffered reader that counts the bytes consumed from it.
struct Counting<R> {
    inner: R,
    pos: u64,
}

impl<R: BufRead> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counting<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.pos += amt as u64;
        self.inner.consume(amt);
    }
}

/// Where the file's first record (its `warcinfo`) ends; 0 when it has no complete record.
pub fn first_record_end(path: &Path) -> io::Result<u64> {
    // A warcinfo record is small: the file's first megabyte holds it.
    let mut bytes = Vec::new();
    File::open(path)?.take(1 << 20).read_to_end(&mut bytes)?;
    match read_member(&bytes) {
        Ok((record, used))
            if parse_record(&mut BufReader::new(&record[..])).is_ok_and(|r| r.is_some()) =>
        {
            Ok(used as u64)
        }
        _ => Ok(0),
    }
}

/// Decompresses the gzip member at the start of `bytes`: its content and compressed length.
fn read_member(bytes: &[u8]) -> io::Result<(Vec<u8>, usize)> {
    let mut decoder = flate2::bufread::GzDecoder::new(bytes);
    let mut out = Vec::new();
    decoder.read_to_end(&mut out)?;
    let rest = decoder.into_inner();
    Ok((out, bytes.len() - rest.len()))
}

/// Parses one uncompressed record; `None` at a clean end.
fn parse_record(reader: &mut impl BufRead) -> io::Result<Option<Record>> {
    let Some((kind, fields, length)) = parse_fields(reader)? else {
        return Ok(None);
    };
    let bad = |m: &str| io::Error::new(io::ErrorKind::InvalidData, m.to_string());
    let mut block = vec![0; length];
    reader.read_exact(&mut block)?;
    let mut end = [0u8; 4];
    reader.read_exact(&mut end)?;
    if &end != b"\r\n\r\n" {
        return Err(bad("record not ended by two CRLFs"));
    }
    Ok(Some(Record {
        kind,
        fields,
        block,
    }))
}

/// A record whose block is read as it is needed (a large body is never held whole).
pub struct OpenRecord {
    /// Its `WARC-Type`.
    pub kind: String,
    /// Its other fields.
    pub fields: Vec<(String, String)>,
    /// Its block, from the start, to its end.
    pub block: Box<dyn BufRead + Send>,
}

/// Opens the record whose gzip member starts at `offset` of the WARC file `path`.
pub fn open_at(path: &Path, offset: u64) -> io::Result<OpenRecord> {
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut reader = BufReader::new(GzDecoder::new(BufReader::new(file)));
    let (kind, fields, length) = parse_fields(&mut reader)?
        .ok_or_else(|| io::Error::new(io::ErrorKind::UnexpectedEof, "no record"))?;
    Ok(OpenRecord {
        kind,
        fields,
        block: Box::new(reader.take(length as u64)),
    })
}

/// A record's type, fields and block length; `None` at a clean end.
#[allow(clippy::type_complexity)]
fn parse_fields(
    reader: &mut impl BufRead,
) -> io::Result<Option<(String, Vec<(String, String)>, usize)>> {
    let bad = |m: &str| io::Error::new(io::ErrorKind::InvalidData, m.to_string());
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    if !line.starts_with("WARC/") {
        return Err(bad("not a WARC record"));
    }
    let mut kind = String::new();
    let mut fields = Vec::new();
    let mut length = None;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(bad("record ends inside its fields"));
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':').ok_or_else(|| bad("malformed field"))?;
        let (k, v) = (k.trim().to_string(), v.trim().to_string());
        if k.eq_ignore_ascii_case("WARC-Type") {
            kind = v;
        } else if k.eq_ignore_ascii_case("Content-Length") {
            length = Some(v.parse::<usize>().map_err(|_| bad("bad Content-Length"))?);
        } else {
            fields.push((k, v));
        }
    }
    let length = length.ok_or_else(|| bad("no Content-Length"))?;
    Ok(Some((kind, fields, length)))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// Any record written as a gzip member reads back the same (fields without line
        /// breaks), and any bytes fed to the reader give an error, never a panic.
        #[test]
        fn records_round_trip(
            kind in "[a-z]{1,10}",
            uri in "[ -~]{0,60}",
            block in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2000),
            junk in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let rec = Record {
                kind: kind.clone(),
                fields: vec![("WARC-Target-URI".into(), uri.clone())],
                block: block.clone(),
            };
            let member = member(&rec).unwrap();
            let (raw, used) = read_member(&member).unwrap();
            proptest::prop_assert_eq!(used, member.len());
            let back = parse_record(&mut std::io::BufReader::new(&raw[..])).unwrap().unwrap();
            proptest::prop_assert_eq!(&back.kind, &kind);
            proptest::prop_assert_eq!(back.field("WARC-Target-URI"), Some(uri.trim()));
            proptest::prop_assert_eq!(&back.block, &block);
            let _ = read_member(&junk);
            let _ = parse_record(&mut std::io::BufReader::new(&junk[..]));
        }
    }

    #[test]
    fn digests_are_base32_sha1() {
        // SHA-1 of "" is da39a3ee5e6b4b0d3255bfef95601890afd80709.
        assert_eq!(sha1_digest(b""), "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ");
    }

    #[test]
    fn write_read_and_recover() {
        let dir = tempfile::tempdir().unwrap();
        let mut w =
            WarcWriter::create(dir.path(), "t.warc.gz", 0, "software: citekeep\r\n").unwrap();
        let rec = Record {
            kind: "resource".into(),
            fields: vec![(
                "WARC-Target-URI".into(),
                "https://e.com/\r\nX-Injected: 1".into(),
            )],
            block: b"hello".to_vec(),
        };
        let placed = w.write(&rec).unwrap();
        let back = read_at(w.path(), placed.offset).unwrap();
        assert_eq!(back.block, b"hello");
        assert_eq!(
            back.field("WARC-Target-URI"),
            Some("https://e.com/X-Injected: 1")
        );
        assert_eq!(
            back.field("WARC-Block-Digest"),
            Some(sha1_digest(b"hello").as_str())
        );
        let all = read_all(w.path()).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].1.kind, "warcinfo");
        assert_eq!(all[1].0, placed);
        // A partial trailing record is cut off when appending again.
        let path = w.path().to_path_buf();
        drop(w);
        let good = std::fs::metadata(&path).unwrap().len();
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[0x1f, 0x8b, 8, 0, 0, 0]).unwrap();
        drop(f);
        let mut again = WarcWriter::append(&path).unwrap();
        assert_eq!(again.size(), good);
        again.write(&rec).unwrap();
        assert_eq!(read_all(&path).unwrap().len(), 3);
    }
}
