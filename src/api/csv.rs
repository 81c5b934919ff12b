//! Every list and dataset as a spreadsheet: `Accept: text/csv` or `?format=csv` gives the same rows
//! as the JSON answer (every page of a paged list, up to [`MAX_ROWS`]) as one CSV download, UTF-8
//! with a byte-order mark so that spreadsheets read Arabic text right.

use actix_web::http::header::{ACCEPT, CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess};

/// The most rows one CSV export carries.
pub const MAX_ROWS: usize = 100_000;

/// Whether the caller asked for CSV rather than JSON: `Accept: text/csv`, or `?format=csv` (for a
/// link in a browser, which cannot set headers).
pub fn wanted(req: &HttpRequest) -> bool {
    let asked = req
        .headers()
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',').any(|t| {
                t.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("text/csv"))
            })
        });
    asked
        || form_urlencoded::parse(req.query_string().as_bytes())
            .any(|(name, value)| name == "format" && value == "csv")
}

/// A CSV document as a download: `text/csv` in UTF-8 with a byte-order mark, and a file name of
/// `name` and today's date.
pub fn download(body: String, name: &str) -> HttpResponse {
    let today = crate::domain::calendar::today_in_makkah();
    let mut out = String::with_capacity(body.len() + 3);
    out.push('\u{feff}');
    out.push_str(&body);
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}-{today}.csv\""),
        ))
        .body(out)
}

/// Rows as a grid: one column per field, in the order the fields are written; nested objects
/// become `outer.inner` columns, lists a JSON text in one cell. (The console shows the same grid.)
pub fn grid<V: Serialize>(rows: &[V]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut columns: Vec<String> = Vec::new();
    let flat: Vec<Vec<(String, String)>> = rows
        .iter()
        .map(|row| {
            let mut cells = Vec::new();
            // Read back from the JSON text, which keeps the fields in their written order.
            let cell = serde_json::to_string(row)
                .ok()
                .and_then(|text| serde_json::from_str::<Cell>(&text).ok())
                .unwrap_or(Cell::Text(String::new()));
            cell.flatten("", &mut cells);
            for (column, _) in &cells {
                if !columns.contains(column) {
                    columns.push(column.clone());
                }
            }
            cells
        })
        .collect();
    let body = flat
        .into_iter()
        .map(|cells| {
            columns
                .iter()
                .map(|c| {
                    cells
                        .iter()
                        .find(|(name, _)| name == c)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect();
    (columns, body)
}

/// Rows as CSV text, a header line first (see [`grid`]).
pub fn table<V: Serialize>(rows: &[V]) -> String {
    let (columns, body) = grid(rows);
    text(&columns, &body)
}

/// A grid as CSV text, its columns as the header line.
pub fn text(columns: &[String], body: &[Vec<String>]) -> String {
    let mut out = line(columns);
    for row in body {
        out.push_str(&line(row));
    }
    out
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

/// A JSON value with its object fields in written order.
enum Cell {
    Fields(Vec<(String, Cell)>),
    Text(String),
}

impl Cell {
    fn flatten(self, prefix: &str, cells: &mut Vec<(String, String)>) {
        match self {
            Cell::Fields(fields) => {
                for (key, cell) in fields {
                    let name = if prefix.is_empty() {
                        key
                    } else {
                        format!("{prefix}.{key}")
                    };
                    cell.flatten(&name, cells);
                }
            }
            Cell::Text(text) => cells.push((prefix.to_owned(), text)),
        }
    }
}

impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Cell, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Cell;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Cell, A::Error> {
                let mut fields = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, Cell>()? {
                    fields.push((key, value));
                }
                Ok(Cell::Fields(fields))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Cell, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<serde_json::Value>()? {
                    items.push(item);
                }
                Ok(Cell::Text(serde_json::Value::Array(items).to_string()))
            }
            fn visit_str<E>(self, v: &str) -> Result<Cell, E> {
                Ok(Cell::Text(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Cell, E> {
                Ok(Cell::Text(v))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Cell, E> {
                Ok(Cell::Text(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Cell, E> {
                Ok(Cell::Text(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Cell, E> {
                Ok(Cell::Text(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Cell, E> {
                Ok(Cell::Text(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<Cell, E> {
                Ok(Cell::Text(String::new()))
            }
            fn visit_none<E>(self) -> Result<Cell, E> {
                Ok(Cell::Text(String::new()))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_a_table() {
        #[derive(Serialize)]
        struct Port {
            port: &'static str,
            date: &'static str,
        }
        #[derive(Serialize)]
        struct Row {
            id: &'static str,
            arrival: Option<Port>,
            stays: Vec<i64>,
            note: Option<&'static str>,
        }
        let rows = [
            Row {
                id: "a",
                arrival: Some(Port {
                    port: "jed",
                    date: "2027-05-10",
                }),
                stays: vec![1, 2],
                note: None,
            },
            Row {
                id: "b",
                arrival: None,
                stays: vec![],
                note: Some("مكة, المكرمة"),
            },
        ];
        // Fields keep their written order; a missing nested object leaves its cells empty.
        assert_eq!(
            table(&rows),
            "id,arrival.port,arrival.date,stays,note,arrival\r\n\
             a,jed,2027-05-10,\"[1,2]\",,\r\n\
             b,,,[],\"مكة, المكرمة\",\r\n"
        );
    }

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
