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

/// Escapes text for Markdown (also inside a table cell): no HTML, no Markdown syntax, no
/// pipes, one line.
pub fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '!' | '(' | ')' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
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
