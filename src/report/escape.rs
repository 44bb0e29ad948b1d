//! Escaping what reports echo (link texts, URLs, details all come from the web or from
//! users), so nothing echoed can inject markup into HTML, XML or Markdown.

/// Escapes text for HTML and XML content and quoted attribute values.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newline are not allowed in XML 1.0.
            c if c.is_control() && c != '\t' && c != '\n' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Whether a character must not reach a terminal as it is: control characters (ESC
/// starts colour and cursor sequences; C1's CSI does too on some terminals) and the
/// bidirectional overrides that make text read differently from what it is.
fn unsafe_on_a_terminal(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text for a terminal or a plain-text file: every character that could drive the
/// terminal replaced by U+FFFD. Text that has none (nearly all) is borrowed as it is.
pub fn terminal(s: &str) -> std::borrow::Cow<'_, str> {
    // Only these bytes can start such a character: a quick pass rules the rest out.
    let maybe = s
        .bytes()
        .any(|b| b < 0x20 || b == 0x7f || b == 0xc2 || b == 0xe2);
    if !maybe || !s.chars().any(unsafe_on_a_terminal) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(
        s.chars()
            .map(|c| {
                if unsafe_on_a_terminal(c) {
                    '\u{FFFD}'
                } else {
                    c
                }
            })
            .collect(),
    )
}

/// Escapes text for Markdown (also inside a table cell): no HTML, no Markdown syntax, no
/// pipes, one line, nothing that drives a terminal.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '!' | '(' | ')' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c if unsafe_on_a_terminal(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A URL as a Markdown autolink `<...>`, with the characters that would end it or break a
/// table cell percent-encoded.
pub fn md_url(url: &str) -> String {
    let mut out = String::with_capacity(url.len() + 2);
    out.push('<');
    for c in url.chars() {
        match c {
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            '|' => out.push_str("%7C"),
            ' ' => out.push_str("%20"),
            '\n' | '\r' => {}
            c if unsafe_on_a_terminal(c) => out.push_str("%EF%BF%BD"),
            c => out.push(c),
        }
    }
    out.push('>');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_echoed_stays_markup() {
        assert_eq!(
            html("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(
            md("[x](javascript:y) <b>|"),
            "\\[x\\]\\(javascript:y\\) \\<b\\>\\|"
        );
        assert_eq!(
            md_url("https://a.org/x>y|z w"),
            "<https://a.org/x%3Ey%7Cz%20w>"
        );
    }
}
