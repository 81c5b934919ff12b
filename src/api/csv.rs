//! `Accept: text/csv` on lists: the same rows as the JSON pages, as one CSV document.

use actix_web::HttpRequest;
use actix_web::http::header::ACCEPT;

/// The most rows one CSV export carries.
pub const MAX_ROWS: usize = 100_000;

/// Whether the caller asked for CSV rather than JSON.
pub fn wanted(req: &HttpRequest) -> bool {
    req.headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|t| {
                t.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/csv"))
            })
        })
}

/// One CSV line (RFC 4180), with a newline. Cells a spreadsheet would run as a formula are
/// prefixed with `'`.
pub fn line(cells: &[String]) -> String {
    let mut out = String::new();
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let cell =
            if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && cell.parse::<f64>().is_err() {
                format!("'{cell}")
            } else {
                cell.clone()
            };
        if cell.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&cell.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&cell);
        }
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_defuses() {
        let cells = [
            "plain",
            "a,b",
            "say \"hi\"",
            "=SUM(A1)",
            "-12.50",
            "سطر\nجديد",
        ]
        .map(str::to_owned);
        assert_eq!(
            line(&cells),
            "plain,\"a,b\",\"say \"\"hi\"\"\",'=SUM(A1),-12.50,\"سطر\nجديد\"\r\n"
        );
    }
}
