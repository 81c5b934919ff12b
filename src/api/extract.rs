//! Request parsing at the edge: JSON bodies, `If-Match`, pagination and ids in paths.
//! Whatever is wrong with a request becomes a problem document here, before any handler runs.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header::{CONTENT_TYPE, IF_MATCH};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::StreamExt;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;

use crate::domain::Invalid;
use crate::error::{Error, FieldError};
use crate::state::AppState;

/// A JSON request body: `application/json` only, size-limited, and every refusal a problem:
/// 415 wrong content type, 413 too large, 400 not JSON, 422 wrong types or unknown fields (by path).
///
/// The refusal waits until the handler asks for the body ([`Json::into_inner`]), after it has
/// checked who may see and do what: a stranger gets its 404 and a viewer its 403 whatever it sent.
pub struct Json<T> {
    parsed: Result<T, Error>,
    fingerprint: String,
}

impl<T> Json<T> {
    pub fn into_inner(self) -> Result<T, Error> {
        self.parsed
    }

    /// The body, for a change that may run more than once (see `AppState::write`).
    pub fn get(&self) -> Result<T, Error>
    where
        T: Clone,
    {
        self.parsed.clone()
    }

    /// A hash of the body as JSON (key order and spacing do not matter), for `Idempotency-Key`.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Json<T>, Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = media_type(req)
            .map(|mime| {
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map(|s| s.settings.max_body_bytes)
            .unwrap_or(64 * 1024);
        let payload = payload.take();
        Box::pin(async move {
            Ok(match read_limited(payload, limit, "malformed_json").await {
                Err(refused) => Json::refused(refused),
                Ok(_) if !is_json => Json::refused(Error::unsupported_media_type()),
                Ok(body) => Json::parse(&body),
            })
        })
    }
}

/// The request's media type, lower case, without its parameters.
pub(crate) fn media_type(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| mime.trim().to_ascii_lowercase())
}

/// Reads a body of at most `limit` bytes: too large is 413 (the rest is not read), a broken
/// stream is 400 `broken`.
async fn read_limited(
    mut payload: Payload,
    limit: usize,
    broken: &'static str,
) -> Result<web::BytesMut, Error> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| Error::bad_request(broken))?;
        if body.len() + chunk.len() > limit {
            return Err(Error::payload_too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The largest CSV upload (a bank statement): 1 MiB.
pub const MAX_CSV_BYTES: usize = 1024 * 1024;

/// A CSV upload (`Content-Type: text/csv`, UTF-8, a byte-order mark allowed), up to
/// [`MAX_CSV_BYTES`]; its refusal waits, as [`Json`]'s does, until the caller may make the change.
pub struct CsvBody(Result<String, Error>);

impl CsvBody {
    pub fn get(&self) -> Result<String, Error> {
        self.0.clone()
    }
}

impl FromRequest for CsvBody {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<CsvBody, Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_csv = media_type(req).is_some_and(|mime| mime == "text/csv");
        let payload = payload.take();
        Box::pin(async move {
            let text = match read_limited(payload, MAX_CSV_BYTES, "malformed_csv").await {
                Err(refused) => Err(refused),
                Ok(_) if !is_csv => Err(Error::unsupported_media_type()),
                Ok(body) => String::from_utf8(body.to_vec())
                    .map(|t| t.trim_start_matches('\u{feff}').to_owned())
                    .map_err(|_| Error::bad_request("malformed_csv")),
            };
            Ok(CsvBody(text))
        })
    }
}

impl<T: DeserializeOwned> Json<T> {
    fn refused(e: Error) -> Json<T> {
        Json {
            parsed: Err(e),
            fingerprint: String::new(),
        }
    }

    fn parse(body: &[u8]) -> Json<T> {
        match serde_json::from_slice::<serde_json::Value>(body) {
            Err(_) => Json::refused(Error::bad_request("malformed_json")),
            Ok(value) if let Some(field) = control_characters(&value, String::new()) => {
                Json::refused(Error::invalid_field(
                    &field,
                    Invalid::new("invalid_characters"),
                ))
            }
            Ok(value) => Json {
                // Objects are kept sorted by key, so equal documents hash alike.
                fingerprint: format!(
                    "{:x}",
                    Sha256::digest(serde_json::to_vec(&value).unwrap_or_default())
                ),
                parsed: from_value(value).map_err(|e| every_missing::<T>(e, body)),
            },
        }
    }
}

/// An optional JSON body: none at all (no content, no content type) is `None`; anything sent is
/// parsed as strictly as [`Json`], and its refusal waits the same way.
pub struct OptionalJson<T>(Result<Option<T>, Error>);

impl<T> OptionalJson<T> {
    pub fn into_inner(self) -> Result<Option<T>, Error> {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<OptionalJson<T>, Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // No body at all, with or without a content type: as a generated client sends "nothing".
        let chunked = req
            .headers()
            .get(actix_web::http::header::TRANSFER_ENCODING)
            .is_some();
        let empty = !chunked
            && req
                .headers()
                .get(actix_web::http::header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .is_none_or(|v| v.trim() == "0");
        if empty {
            return Box::pin(async { Ok(OptionalJson(Ok(None))) });
        }
        // A JSON `null` is no body too.
        let inner = Json::<Option<T>>::from_request(req, payload);
        Box::pin(async move { inner.await.map(|json| OptionalJson(json.into_inner())) })
    }
}

/// Whether a character has no place in any text the portal takes: control characters, but for
/// the line breaks and tabs of multi-line text (single-line fields refuse those themselves).
fn forbidden_character(c: char) -> bool {
    c.is_control() && !matches!(c, '\n' | '\r' | '\t')
}

/// The path of the first text in a document (a value or a key) holding a forbidden character.
fn control_characters(value: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(text) => text.chars().any(forbidden_character).then_some(path),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| control_characters(v, format!("{path}[{i}]"))),
        Value::Object(fields) => fields.iter().find_map(|(key, v)| {
            let at = join_path(&path, key);
            if key.chars().any(forbidden_character) {
                Some(at)
            } else {
                control_characters(v, at)
            }
        }),
        _ => None,
    }
}

/// A query string's first parameter whose name or value, once decoded, holds a forbidden
/// character (NUL and the like, which no search or filter means and PostgreSQL refuses).
pub fn query_control_characters(query: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes()).find_map(|(name, value)| {
        (name.chars().any(forbidden_character) || value.chars().any(forbidden_character))
            .then(|| name.into_owned())
    })
}

/// Syntax first (400), then shape and types (422, naming the field by its path).
/// Documents nested deeper than serde_json's limit (128 levels) are refused as malformed.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Error> {
    Json::<T>::parse(body).into_inner()
}

fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, Error> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        Error::invalid(vec![refused_field(&path, &e.into_inner().to_string())])
    })
}

/// A body missing several required fields is told all of them, not only the first serde met:
/// each missing field of the top-level object gets a stand-in its type takes, and the document is
/// read again, until no field is missing or one has no stand-in. Only on the error path.
fn every_missing<T: DeserializeOwned>(first: Error, body: &[u8]) -> Error {
    let top_level = |e: &Error| match e.errors.as_slice() {
        [only] => only.invalid.code == "required" && !only.field.contains(['.', '[']),
        _ => false,
    };
    if !top_level(&first) {
        return first;
    }
    let Ok(mut root @ serde_json::Value::Object(_)) = serde_json::from_slice(body) else {
        return first;
    };
    let mut missing = vec![first.errors[0].field.clone()];
    while missing.len() < 64 {
        let field = missing[missing.len() - 1].clone();
        if !stand_in::<T>(&mut root, &[field], 0) {
            break;
        }
        match serde_path_to_error::deserialize::<_, T>(root.clone()) {
            Err(e) if e.path().to_string() == "." => {
                let message = e.into_inner().to_string();
                if !message.starts_with("missing field") {
                    break;
                }
                missing.push(quoted(&message).to_owned());
            }
            _ => break,
        }
    }
    Error::invalid(
        missing
            .into_iter()
            .map(|f| FieldError::new(f, Invalid::new("required")))
            .collect(),
    )
}

/// Puts at `at` (a path of object keys) a value of whatever type the field there takes, if one of
/// a few common shapes (or an enumeration's first variant, or an object with its own required
/// fields filled the same way) is accepted.
fn stand_in<T: DeserializeOwned>(
    root: &mut serde_json::Value,
    at: &[String],
    depth: usize,
) -> bool {
    use serde_json::{Value, json};
    let here = at.join(".");
    let mut candidates: Vec<Value> = vec![
        json!(""),
        json!("00000000-0000-4000-8000-000000000000"),
        json!("2027-01-01"),
        json!(1),
        json!(false),
        json!({}),
        json!([]),
    ];
    let mut tried = 0;
    while tried < candidates.len() && tried < 12 {
        set(root, at, candidates[tried].clone());
        tried += 1;
        let Err(e) = serde_path_to_error::deserialize::<_, T>(root.clone()) else {
            return true;
        };
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        if path != here && !path.starts_with(&format!("{here}.")) {
            // The stand-in passed; what fails now is elsewhere.
            return true;
        }
        if path == here && message.starts_with("missing field") && depth < 4 {
            // An object is what the field takes: fill its own required fields, one by one.
            let mut message = message;
            for _ in 0..32 {
                let inner = [at, &[quoted(&message).to_owned()]].concat();
                if !stand_in::<T>(root, &inner, depth + 1) {
                    break;
                }
                let Err(e) = serde_path_to_error::deserialize::<_, T>(root.clone()) else {
                    return true;
                };
                let path = e.path().to_string();
                message = e.into_inner().to_string();
                if path != here && !path.starts_with(&format!("{here}.")) {
                    return true;
                }
                if path != here || !message.starts_with("missing field") {
                    break;
                }
            }
            unset(root, at);
            return false;
        }
        if message.starts_with("unknown variant")
            && let Some(variant) = message.split('`').nth(3)
        {
            candidates.push(json!(variant));
        }
    }
    unset(root, at);
    false
}

fn set(root: &mut serde_json::Value, at: &[String], value: serde_json::Value) {
    let mut here = root;
    for key in &at[..at.len().saturating_sub(1)] {
        here = &mut here[key.as_str()];
    }
    if let (Some(object), Some(last)) = (here.as_object_mut(), at.last()) {
        object.insert(last.clone(), value);
    }
}

fn unset(root: &mut serde_json::Value, at: &[String]) {
    let mut here = root;
    for key in &at[..at.len().saturating_sub(1)] {
        here = &mut here[key.as_str()];
    }
    if let (Some(object), Some(last)) = (here.as_object_mut(), at.last()) {
        object.remove(last);
    }
}

/// Query parameters, read as strictly as bodies: an unknown parameter is refused (a misspelt
/// filter would otherwise list everything), and a bad one is named with what it accepts
/// (400 `invalid_query`). Query structs carry `#[serde(deny_unknown_fields)]`.
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = Error;
    type Future = std::future::Ready<Result<Query<T>, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

/// A query string as `T`, or the first parameter refused, named, with what it accepts. `format`
/// belongs to every list and is read by `api::csv`, not by `T` (its value is checked for every
/// request in `startup::screen_request`).
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, Error> {
    let pairs = form_urlencoded::parse(query.as_bytes());
    if pairs.clone().any(|(name, _)| name == "format") {
        let rest: String = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.filter(|(name, _)| name != "format"))
            .finish();
        return parse_query(&rest);
    }
    let parameters = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(parameters).map_err(|e| {
        let path = e.path().to_string();
        let mut refused = refused_field(&path, &e.into_inner().to_string());
        if refused.invalid.code == "unknown_field" {
            refused.invalid = Invalid::new("unknown_parameter");
        }
        Error::refused_query(refused)
    })
}

/// What serde's message about a value at `path` means for the caller: which field, which code,
/// and what would have been accepted (the variants of an enumeration, the fields of an object,
/// a date's format).
fn refused_field(path: &str, message: &str) -> FieldError {
    let names = || {
        message
            .split('`')
            .skip(1)
            .step_by(2)
            .skip(1)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let here = match path {
        "." => String::new(),
        _ => path.to_owned(),
    };
    let (field, code, expected) = if message.starts_with("missing field") {
        // serde names a missing field in its message; the path is its container's.
        (join_path(path, quoted(message)), "required", None)
    } else if message.starts_with("unknown field") {
        let known = names();
        let known = (!known.is_empty()).then_some(known);
        // The path of an unknown field is the field itself.
        let field = match path {
            "." | "" => quoted(message).to_owned(),
            _ => path.to_owned(),
        };
        (field, "unknown_field", known)
    } else if message.starts_with("unknown variant") {
        (here, "invalid_value", Some(names()))
    } else if message.starts_with("invalid type") {
        (here, "invalid_type", None)
    } else if message.starts_with("invalid length") {
        (here, "too_many", None)
    } else if message.starts_with(crate::domain::calendar::OUT_OF_RANGE) {
        (
            here,
            "out_of_range",
            Some("2000-01-01 to 2100-12-31".to_owned()),
        )
    } else if CHRONO_PARSE_ERRORS.iter().any(|m| message.starts_with(m)) {
        (here, "invalid_date", None)
    } else if INTEGER_PARSE_ERRORS.iter().any(|m| message.starts_with(m)) {
        (here, "invalid_number", None)
    } else if message.starts_with("provided string was not `true` or `false`") {
        (here, "invalid_value", Some("true, false".to_owned()))
    } else {
        (here, "invalid_value", None)
    };
    let refused = FieldError::new(field, Invalid::new(code));
    match expected {
        Some(expected) => refused.expecting(expected),
        None => refused,
    }
}

/// How chrono says a date did not parse.
const CHRONO_PARSE_ERRORS: [&str; 5] = [
    "input contains invalid characters",
    "premature end of input",
    "trailing input",
    "input is out of range",
    "input is not enough for unique date and time",
];

/// How the standard library says a number did not parse.
const INTEGER_PARSE_ERRORS: [&str; 4] = [
    "invalid digit found in string",
    "cannot parse integer from empty string",
    "number too large to fit in target type",
    "number too small to fit in target type",
];

fn quoted(message: &str) -> &str {
    message.split('`').nth(1).unwrap_or("")
}

fn join_path(path: &str, field: &str) -> String {
    if path == "." || path.is_empty() {
        field.to_owned()
    } else {
        format!("{path}.{field}")
    }
}

/// The version named by `If-Match` (`"3"`, `W/"3"` or `3`); `None` for `*`, which matches whatever
/// version is current (RFC 9110). Missing: 428. Unreadable: 400 `invalid_header`.
pub fn if_match(req: &HttpRequest) -> Result<Option<i64>, Error> {
    let value = req
        .headers()
        .get(IF_MATCH)
        .ok_or_else(Error::precondition_required)?;
    let value = value
        .to_str()
        .map_err(|_| Error::bad_request("invalid_header"))?
        .trim();
    if value == "*" {
        return Ok(None);
    }
    let tag = value.trim_start_matches("W/").trim_matches('"');
    if tag.is_empty() || !tag.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::bad_request("invalid_header"));
    }
    // A version too large to be stored cannot be the current one.
    Ok(Some(tag.parse::<i64>().unwrap_or(-1)))
}

/// The `ETag` of a versioned resource.
pub fn etag(version: i64) -> (actix_web::http::header::HeaderName, String) {
    (actix_web::http::header::ETAG, format!("\"{version}\""))
}

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;

/// `?limit=&cursor=` of every list.
#[derive(Deserialize, IntoParams, Debug, Default)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Rows per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A checked page request: how many rows, and the id to continue after.
#[derive(Clone, Debug)]
pub struct Page {
    pub limit: u32,
    pub after: Option<String>,
}

/// The page a list request asks for: `?limit=` and `?cursor=`, checked.
pub fn page(limit: Option<u32>, cursor: Option<String>) -> Result<Page, Error> {
    PageQuery { limit, cursor }.parse()
}

impl PageQuery {
    pub fn parse(&self) -> Result<Page, Error> {
        let limit = self.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(Error::invalid_query("limit", Invalid::new("out_of_range")));
        }
        let after = match self.cursor.as_deref().map(str::trim) {
            // An empty cursor asks for the first page, as no cursor does.
            None | Some("") => None,
            Some(c) => Some(
                URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .filter(|id| uuid::Uuid::try_parse(id).is_ok())
                    .ok_or_else(|| {
                        Error::invalid_query("cursor", Invalid::new("invalid_cursor"))
                    })?,
            ),
        };
        Ok(Page { limit, after })
    }
}

impl Page {
    /// Rows to fetch: one more than shown, to know whether another page follows.
    pub fn fetch(&self) -> i64 {
        i64::from(self.limit) + 1
    }

    /// The id to continue after, as the type of the list's ids (a cursor is checked to be an id
    /// when the request is read).
    fn after_id<T: std::str::FromStr>(&self) -> Option<T> {
        self.after.as_deref().and_then(|id| id.parse().ok())
    }

    /// Reads the rows of this page (one more than shown): `read` gets the id to continue after
    /// and how many rows to fetch.
    pub fn read<T: std::str::FromStr, R, E>(
        &self,
        read: impl FnOnce(Option<&T>, i64) -> Result<R, E>,
    ) -> Result<R, E> {
        read(self.after_id().as_ref(), self.fetch())
    }

    /// Cuts the extra row off and makes the cursor of the next page from the last id shown.
    pub fn finish<R, K: AsRef<str> + ?Sized>(
        &self,
        mut rows: Vec<R>,
        id: impl Fn(&R) -> &K,
    ) -> (Vec<R>, Option<String>) {
        let more = rows.len() > self.limit as usize;
        rows.truncate(self.limit as usize);
        let next = if more {
            rows.last().map(|r| URL_SAFE_NO_PAD.encode(id(r).as_ref()))
        } else {
            None
        };
        (rows, next)
    }

    /// [`Page::show`] with views that may fail.
    pub fn try_show<R, V: utoipa::ToSchema, E, K: AsRef<str> + ?Sized>(
        &self,
        rows: Vec<R>,
        id: impl Fn(&R) -> &K,
        view: impl FnMut(R) -> Result<V, E>,
    ) -> Result<super::Page<V>, E> {
        let (rows, next_cursor) = self.finish(rows, id);
        Ok(super::Page {
            items: rows.into_iter().map(view).collect::<Result<_, E>>()?,
            next_cursor,
        })
    }

    /// The page to answer: the rows shown, each as its view, and the next page's cursor.
    pub fn show<R, V: utoipa::ToSchema, K: AsRef<str> + ?Sized>(
        &self,
        rows: Vec<R>,
        id: impl Fn(&R) -> &K,
        view: impl FnMut(R) -> V,
    ) -> super::Page<V> {
        let (rows, next_cursor) = self.finish(rows, id);
        super::Page {
            items: rows.into_iter().map(view).collect(),
            next_cursor,
        }
    }
}

/// An id from the path. Anything that is not an id names nothing: 404.
pub fn path_id<T: std::str::FromStr>(raw: &str) -> Result<T, Error> {
    raw.parse().map_err(|_| Error::not_found())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        stays: Vec<Stay>,
    }
    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Stay {
        nights: u32,
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Group {
        name: String,
        kind: Kind,
        arrival: Arrival,
        size: u32,
        note: Option<String>,
    }
    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields, rename_all = "snake_case")]
    enum Kind {
        Hajj,
        Umrah,
    }
    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Arrival {
        port: Kind,
        #[serde(deserialize_with = "crate::domain::calendar::bounded")]
        date: chrono::NaiveDate,
    }

    #[test]
    fn every_missing_field_is_named() {
        let missing = |body: &str| -> Vec<String> {
            parse_json::<Group>(body.as_bytes())
                .unwrap_err()
                .errors
                .iter()
                .map(|f| format!("{}:{}", f.field, f.invalid.code))
                .collect()
        };
        assert_eq!(
            missing("{}"),
            [
                "name:required",
                "kind:required",
                "arrival:required",
                "size:required"
            ]
        );
        assert_eq!(
            missing(r#"{"kind": "umrah", "size": 3}"#),
            ["name:required", "arrival:required"]
        );
        // A nested object's missing field is named by its path.
        assert_eq!(
            missing(r#"{"name": "a", "kind": "hajj", "size": 1, "arrival": {"port": "hajj"}}"#),
            ["arrival.date:required"]
        );
    }

    #[test]
    fn refusals_say_what_is_accepted() {
        let refused = |body: &str| {
            let e = parse_json::<Group>(body.as_bytes()).unwrap_err();
            let f = e.errors[0].clone();
            (f.field, f.invalid.code, f.expected)
        };
        assert_eq!(
            refused(
                r#"{"name": "a", "kind": "HAJJ", "size": 1, "arrival": {"port": "hajj", "date": "2027-05-01"}}"#
            ),
            ("kind".into(), "invalid_value", Some("hajj, umrah".into()))
        );
        assert_eq!(
            refused(
                r#"{"name": "a", "kind": "hajj", "size": 1, "arrival": {"port": "hajj", "date": "01/05/2027"}}"#
            ),
            ("arrival.date".into(), "invalid_date", None)
        );
        assert_eq!(
            crate::i18n::field_expects("invalid_date"),
            Some("YYYY-MM-DD")
        );
    }

    #[derive(Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Filter {
        status: Option<Kind>,
        limit: Option<u32>,
        from: Option<chrono::NaiveDate>,
    }

    #[test]
    fn query_parameters_are_named_with_what_they_accept() {
        let refused = |query: &str| {
            let e = parse_query::<Filter>(query).unwrap_err();
            assert_eq!(e.code, "invalid_query");
            let f = e.errors[0].clone();
            (f.field, f.invalid.code, f.expected)
        };
        assert_eq!(
            refused("status=HAJJ"),
            ("status".into(), "invalid_value", Some("hajj, umrah".into()))
        );
        assert_eq!(
            refused("stauts=hajj"),
            (
                "stauts".into(),
                "unknown_parameter",
                Some("status, limit, from".into())
            )
        );
        assert_eq!(
            refused("limit=ten"),
            ("limit".into(), "invalid_number", None)
        );
        assert_eq!(
            refused("from=2027-13-01"),
            ("from".into(), "invalid_date", None)
        );
        assert!(parse_query::<Filter>("status=umrah&limit=5&from=2027-05-01").is_ok());
        assert!(parse_query::<Filter>("").is_ok());
    }

    fn field_of(body: &str) -> (u16, String, String) {
        let e = parse_json::<Body>(body.as_bytes()).unwrap_err();
        let (field, code) = e
            .errors
            .first()
            .map(|f| (f.field.clone(), f.invalid.code.to_owned()))
            .unwrap_or_default();
        (crate::api::problem::status(e.kind).as_u16(), field, code)
    }

    #[test]
    fn json_errors_name_the_field() {
        assert_eq!(field_of("{"), (400, String::new(), String::new()));
        assert_eq!(field_of("{} x"), (400, String::new(), String::new()));
        assert_eq!(
            field_of(r#"{"stays": []}"#),
            (422, "name".into(), "required".into())
        );
        assert_eq!(
            field_of(r#"{"name": 3, "stays": []}"#),
            (422, "name".into(), "invalid_type".into())
        );
        assert_eq!(
            field_of(r#"{"name": "a", "stays": [{"nights": 1}, {"nights": -1}]}"#),
            (422, "stays[1].nights".into(), "invalid_value".into())
        );
        assert_eq!(
            field_of(r#"{"name": "a", "stays": [], "admin": true}"#),
            (422, "admin".into(), "unknown_field".into())
        );
        assert_eq!(
            field_of(r#"{"name": "a", "stays": [{"nights": 1, "x": 1}]}"#),
            (422, "stays[0].x".into(), "unknown_field".into())
        );
    }

    #[test]
    fn deep_nesting_is_malformed_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(
            parse_json::<serde_json::Value>(deep.as_bytes())
                .unwrap_err()
                .kind,
            crate::error::Kind::BadRequest
        );
    }

    #[test]
    fn pages_are_bounded_and_cursors_checked() {
        let q = |limit, cursor: Option<&str>| PageQuery {
            limit,
            cursor: cursor.map(str::to_owned),
        };
        assert_eq!(q(None, None).parse().unwrap().limit, 50);
        assert!(q(Some(0), None).parse().is_err());
        assert!(q(Some(201), None).parse().is_err());
        assert!(q(Some(200), None).parse().is_ok());
        assert!(q(None, Some("!!")).parse().is_err());
        assert!(q(None, Some(&URL_SAFE_NO_PAD.encode("x"))).parse().is_err());
        let page = q(Some(2), None).parse().unwrap();
        let ids = [
            "0190f3b2-7c4a-7d3e-9a1b-2c3d4e5f6a7b",
            "0190f3b2-7c4a-7d3e-9a1b-2c3d4e5f6a7c",
            "0190f3b2-7c4a-7d3e-9a1b-2c3d4e5f6a7d",
        ];
        let (rows, next) = page.finish(ids.to_vec(), |s| s);
        assert_eq!(rows.len(), 2);
        let after = q(None, next.as_deref()).parse().unwrap().after;
        assert_eq!(after.as_deref(), Some(ids[1]));
    }
}
