//! GitHub Actions workflow commands: `::error title=…,file=…,line=…::message`, one per diagnostic,
//! which the runner turns into annotations on the pull request.

use super::Report;
use crate::diagnostic::Severity;

/// Escape the message part of a workflow command.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escape a property value (`title=`, `file=`): the data escapes plus `:` and `,`.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(report: &Report<'_>) -> String {
    let mut out = String::new();
    for d in report.diagnostics {
        let locator = report.ws.locator(d.span.file);
        let (row, col) = locator.row_col(d.span.start as usize);
        let (end_row, end_col) = locator.row_col(d.span.end as usize);
        let path = report.path(d.span.file);
        let level = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // Columns only make sense on one line: GitHub ignores (or misplaces) them otherwise.
        let position = if row == end_row {
            format!("line={row},col={col},endLine={end_row},endColumn={end_col}")
        } else {
            format!("line={row},endLine={end_row}")
        };
        out.push_str(&format!(
            "::{level} title={},file={},{position}::{}\n",
            escape_property(&format!("djperm ({})", d.code)),
            escape_property(&path),
            escape_data(&format!("{path}:{row}:{col}: {} {}", d.code, d.message)),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(escape_data("100% a\r\nb: c,d"), "100%25 a%0D%0Ab: c,d");
        assert_eq!(escape_property("a: b,c%\n"), "a%3A b%2Cc%25%0A");
    }
}
