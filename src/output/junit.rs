//! JUnit XML as CI systems (GitLab, Jenkins, Azure, CircleCI) render it: one `testsuite` per file,
//! one failing `testcase` per diagnostic; a clean run is one passing test case (as ruff).

use super::Report;

/// Escape text for XML attributes and content, dropping characters XML 1.0 forbids.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

pub fn render(report: &Report<'_>) -> String {
    let diagnostics = report.diagnostics;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let n = diagnostics.len();
    out.push_str(&format!(
        "<testsuites name=\"djperm\" tests=\"{}\" failures=\"{n}\" errors=\"0\">\n",
        n.max(1)
    ));
    if diagnostics.is_empty() {
        out.push_str("  <testsuite name=\"djperm\" tests=\"1\" disabled=\"0\" errors=\"0\" failures=\"0\" package=\"djperm\">\n");
        out.push_str("    <testcase name=\"No errors found\" classname=\"djperm\"/>\n");
        out.push_str("  </testsuite>\n");
        out.push_str("</testsuites>\n");
        return out;
    }
    // Group by file, in the order diagnostics come (sorted by file already).
    let mut files: Vec<(usize, Vec<&crate::diagnostic::Diagnostic>)> = Vec::new();
    for d in diagnostics {
        match files.iter_mut().find(|(f, _)| *f == d.span.file) {
            Some((_, list)) => list.push(d),
            None => files.push((d.span.file, vec![d])),
        }
    }
    for (file, list) in files {
        let path = report.path(file);
        let classname = path.strip_suffix(".py").unwrap_or(&path).replace('/', ".");
        let locator = report.ws.locator(file);
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" disabled=\"0\" errors=\"0\" failures=\"{}\" package=\"djperm\">\n",
            escape(&path),
            list.len(),
            list.len()
        ));
        for d in list {
            let (row, col) = locator.row_col(d.span.start as usize);
            out.push_str(&format!(
                "    <testcase name=\"djperm.{}\" classname=\"{}\" file=\"{}\" line=\"{row}\" column=\"{col}\">\n",
                d.code,
                escape(&classname),
                escape(&path)
            ));
            out.push_str(&format!(
                "      <failure message=\"{}\" type=\"{}\">{}:{row}:{col}: {} {}</failure>\n",
                escape(&d.message),
                d.code,
                escape(&path),
                d.code,
                escape(&d.message)
            ));
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn escape() {
        assert_eq!(
            super::escape("<a href=\"x\">&'\u{1}b"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;b"
        );
    }
}
