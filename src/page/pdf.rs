//! What a PDF says, as far as a small reader finds it: its title, its page count and the
//! text its content streams show, for search, drift and the archive browser's PDF page.
//! Strings shown by `Tj`, `TJ`, `'` and `"` inside `BT`…`ET` blocks of its streams (inflated
//! when FlateDecode), in order. Text in fonts with their own encodings (CID fonts) is not
//! read: such a PDF gives little or no text, never wrong text.

use std::io::Read;

/// Bytes a stream may inflate to (a bomb stops here).
const MAX_STREAM: u64 = 16 << 20;

/// Bytes all of a document's streams may inflate to together (many small bombs stop here).
const MAX_INFLATED: u64 = 64 << 20;

/// Text kept at most.
const MAX_TEXT: usize = 256 * 1024;

/// How far before a stream its dictionary is looked for (a dictionary is short; looking
/// further back would make many `stream` words quadratic).
const DICT_REACH: usize = 4096;

/// The document's pages, counted from its page objects (`/Type /Page`, not `/Pages`);
/// none when they sit in compressed object streams.
pub fn page_count(pdf: &[u8]) -> usize {
    let mut pages = 0;
    let mut rest = pdf;
    while let Some(at) = memchr::memmem::find(rest, b"/Type") {
        rest = &rest[at + 5..];
        let name: Vec<u8> = rest
            .iter()
            .skip_while(|b| b.is_ascii_whitespace())
            .take(6)
            .copied()
            .collect();
        if name.starts_with(b"/Page") && !name.starts_with(b"/Pages") {
            pages += 1;
        }
    }
    pages
}

/// The `/Title` of the document's information dictionary, when it is a literal string.
pub fn title(pdf: &[u8]) -> Option<String> {
    let at = memchr::memmem::find(pdf, b"/Title")?;
    let rest = &pdf[at + 6..];
    let start = rest.iter().position(|b| !b.is_ascii_whitespace())?;
    if rest.get(start) != Some(&b'(') {
        return None;
    }
    let (s, _) = literal(&rest[start..])?;
    let title = crate::page::collapse_whitespace(s);
    (!title.is_empty()).then_some(title)
}

/// The text the document shows, whitespace collapsed. Linear in the document's size, and
/// bounded: at most [`MAX_INFLATED`] bytes inflated, [`MAX_TEXT`] bytes of text.
pub fn text(pdf: &[u8]) -> String {
    let mut out = String::new();
    let mut rest = pdf;
    let mut inflated_total = 0u64;
    while let Some(at) = memchr::memmem::find(rest, b"stream") {
        // `endstream` also contains `stream`: only a stream's start counts.
        let is_end = at >= 3 && &rest[at - 3..at] == b"end";
        let reach = at.saturating_sub(DICT_REACH);
        let dict_start =
            memchr::memmem::rfind(&rest[reach..at], b"<<").map_or(reach, |d| reach + d);
        let flate = memchr::memmem::find(&rest[dict_start..at], b"/FlateDecode").is_some();
        let mut body = &rest[at + 6..];
        if is_end {
            rest = body;
            continue;
        }
        // The data starts after the end of the line.
        if body.starts_with(b"\r\n") {
            body = &body[2..];
        } else if body.starts_with(b"\n") || body.starts_with(b"\r") {
            body = &body[1..];
        }
        let end = memchr::memmem::find(body, b"endstream").unwrap_or(body.len());
        let data = &body[..end];
        let content = if flate {
            let budget = MAX_STREAM.min(MAX_INFLATED - inflated_total);
            let mut inflated = Vec::new();
            let _ = flate2::read::ZlibDecoder::new(data)
                .take(budget)
                .read_to_end(&mut inflated);
            inflated_total += inflated.len() as u64;
            inflated
        } else {
            data.to_vec()
        };
        shown_text(&content, &mut out);
        if out.len() >= MAX_TEXT || inflated_total >= MAX_INFLATED {
            break;
        }
        rest = &body[end..];
    }
    crate::page::collapse_whitespace(out)
}

/// Appends the strings a content stream shows inside its text blocks.
fn shown_text(content: &[u8], out: &mut String) {
    let mut in_text = false;
    let mut i = 0;
    while i < content.len() {
        match content[i] {
            b'B' if content[i..].starts_with(b"BT") && boundary(content, i, 2) => {
                in_text = true;
                i += 2;
            }
            b'E' if content[i..].starts_with(b"ET") && boundary(content, i, 2) => {
                in_text = false;
                out.push(' ');
                i += 2;
            }
            b'(' if in_text => match literal(&content[i..]) {
                Some((s, used)) => {
                    out.push_str(&s);
                    i += used;
                }
                // A string never closed runs to the end of the stream: nothing after it
                // is an operator (reading on from the next byte would be quadratic).
                None => break,
            },
            // A line or a show operator ends a run of text: a space between runs.
            b'T' if in_text
                && matches!(content.get(i + 1), Some(b'j' | b'J' | b'*' | b'd' | b'D')) =>
            {
                out.push(' ');
                i += 2;
            }
            _ => i += 1,
        }
    }
}

/// Whether the operator of `len` bytes at `at` stands alone (not inside a longer word).
fn boundary(content: &[u8], at: usize, len: usize) -> bool {
    let before = at == 0 || !content[at - 1].is_ascii_alphanumeric();
    let after = content
        .get(at + len)
        .is_none_or(|b| !b.is_ascii_alphanumeric());
    before && after
}

/// A literal string at the start of `s` (which starts with `(`): its text (escapes undone,
/// bytes read as Latin-1) and the bytes it took.
fn literal(s: &[u8]) -> Option<(String, usize)> {
    let mut depth = 0usize;
    let mut out = String::new();
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        match b {
            b'(' => {
                if depth > 0 {
                    out.push('(');
                }
                depth += 1;
            }
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some((out, i + 1));
                }
                out.push(')');
            }
            b'\\' => {
                i += 1;
                let Some(&e) = s.get(i) else { break };
                match e {
                    b'n' | b'r' | b't' => out.push(' '),
                    b'0'..=b'7' => {
                        let digits: Vec<u8> = s[i..]
                            .iter()
                            .take(3)
                            .take_while(|d| (b'0'..=b'7').contains(d))
                            .copied()
                            .collect();
                        let value = digits.iter().fold(0u32, |v, d| v * 8 + u32::from(d - b'0'));
                        out.push(char::from_u32(value & 0xff).unwrap_or(' '));
                        i += digits.len() - 1;
                    }
                    b'\r' | b'\n' => {}
                    other => out.push(other as char),
                }
            }
            b if b.is_ascii_graphic() || b == b' ' => out.push(b as char),
            b if b >= 0xa0 => out.push(b as char),
            _ => out.push(' '),
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// A small PDF whose second page's content stream is compressed, as most are.
    fn sample() -> Vec<u8> {
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(b"BT /F1 12 Tf 72 700 Td [(Frontier ) -250 (AI) ] TJ ET")
            .unwrap();
        let compressed = z.finish().unwrap();
        let mut pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
            2 0 obj << /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >> endobj\n\
            3 0 obj << /Type /Page /Contents 4 0 R >> endobj\n\
            4 0 obj << /Length 60 >>\nstream\nBT /F1 12 Tf 72 720 Td (The Bletchley \\(2023\\) Declaration) Tj ET\nendstream endobj\n\
            5 0 obj << /Type /Page /Contents 6 0 R >> endobj\n\
            6 0 obj << /Length 40 /Filter /FlateDecode >>\nstream\n"
            .to_vec();
        pdf.extend_from_slice(&compressed);
        pdf.extend_from_slice(
            b"\nendstream endobj\n7 0 obj << /Title (Capabilities and risks) >> endobj\n%%EOF\n",
        );
        pdf
    }

    #[test]
    fn text_title_and_pages_of_a_pdf() {
        let pdf = sample();
        assert_eq!(page_count(&pdf), 2);
        assert_eq!(title(&pdf).as_deref(), Some("Capabilities and risks"));
        assert_eq!(text(&pdf), "The Bletchley (2023) Declaration Frontier AI");
    }

    #[test]
    fn pdf_text_reading_is_linear_on_hostile_streams() {
        // Unclosed strings, `stream` words without dictionaries, bare `BT`s: each once
        // made the reader go back over the rest of the file.
        let mut pdf = b"%PDF-1.4\nstream\nBT ".to_vec();
        pdf.extend(std::iter::repeat_n(b'(', 400_000));
        for _ in 0..50_000 {
            pdf.extend_from_slice(b" stream x");
        }
        let started = std::time::Instant::now();
        let _ = text(&pdf);
        let _ = title(&pdf);
        let _ = page_count(&pdf);
        // Linear work on 850 kB takes milliseconds; the quadratic reader took minutes.
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn what_is_not_a_pdf_gives_nothing() {
        assert_eq!(text(b"<html>not a pdf</html>"), "");
        assert_eq!(page_count(b""), 0);
        assert_eq!(title(b"/Title <FEFF0041>"), None);
    }
}
