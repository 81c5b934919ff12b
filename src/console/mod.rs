//! The web console: server-rendered pages for the people who file, sign, review and inspect,
//! served by the same binary at `/` (the API stays under `/api/v1`). Every page calls the same use
//! cases and the same access layer as the API; a record the API would hide is the same 404 page
//! whether it exists or not. Forms work without JavaScript; htmx (vendored, served from the
//! binary) only swaps parts of a page. No inline script or style: the Content-Security-Policy
//! allows the console's own files only.

mod audit;
mod datasets;
pub mod documents;
mod facilities;
pub mod format;
mod groups;
mod inbox;
mod integration;
mod organizations;
mod pages;
mod readiness;
mod session;
pub mod texts;

use std::borrow::Borrow;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::organization::{Language, OrgKind};

pub use session::{CSRF_FIELD, Visitor};

/// The console's pages load their own script and stylesheet, and post only to themselves.
pub const CONSOLE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Whether a path is the console's (it gets [`CONSOLE_CSP`]).
pub fn serves(path: &str) -> bool {
    path == "/"
        || path.starts_with("/sign-")
        || path == "/language"
        || path.starts_with("/contracts")
        || path.starts_with("/amendments")
        || path.starts_with("/readiness")
        || path.starts_with("/groups")
        || path.starts_with("/season")
        || path.starts_with("/datasets")
        || path.starts_with("/facilities")
        || path.starts_with("/documents")
        || path.starts_with("/notifications")
        || path.starts_with("/profile")
        || path.starts_with("/review")
        || path.starts_with("/organizations")
        || path.starts_with("/users")
        || path.starts_with("/webhooks")
        || path.starts_with("/audit")
        || path.starts_with("/static/")
}

#[cfg(test)]
mod tests {
    /// Every page the console routes is served with the console's headers (its CSP lets its own
    /// stylesheet and scripts load); the API's `default-src 'none'` would leave it unstyled.
    #[test]
    fn every_console_route_gets_the_console_headers() {
        for path in [
            "/",
            "/sign-in",
            "/contracts/new",
            "/groups/x",
            "/season",
            "/seasons",
            "/review",
            "/organizations",
            "/organizations/x/users",
            "/users/x",
            "/organizations/x/integration",
            "/webhooks/x",
            "/audit",
            "/readiness/x",
            "/facilities",
            "/documents/x",
            "/datasets",
            "/notifications",
            "/profile",
            "/static/console.css",
        ] {
            assert!(super::serves(path), "{path}");
        }
        assert!(!super::serves("/api/v1/contracts"));
    }
}

const HTMX: &str = include_str!("../../static/htmx.min.js");
const CONSOLE_JS: &str = include_str!("../../static/console.js");
const CSS: &str = include_str!("../../static/console.css");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(pages::home))
        .route("/sign-in", web::get().to(session::sign_in_form))
        .route("/sign-in", web::post().to(session::sign_in))
        .route("/sign-out", web::post().to(session::sign_out))
        .route("/language", web::post().to(session::set_language))
        .route("/contracts", web::get().to(pages::contracts))
        .route("/contracts/new", web::get().to(pages::new_contract))
        .route("/contracts/new", web::post().to(pages::create_contract))
        .route("/contracts/{id}", web::get().to(pages::contract))
        .route("/contracts/{id}/sheet", web::get().to(pages::sheet))
        .route("/contracts/{id}/act", web::post().to(pages::act))
        .route(
            "/contracts/{id}/inspect",
            web::post().to(readiness::inspect),
        )
        .route("/contracts/{id}/amend", web::post().to(pages::amend))
        .route("/contracts/{id}/edit", web::post().to(pages::edit))
        .route("/groups", web::get().to(groups::list))
        .route("/groups", web::post().to(groups::create))
        .route("/groups/{id}", web::get().to(groups::show))
        .route("/groups/{id}", web::post().to(groups::update))
        .route("/groups/{id}/remove", web::post().to(groups::remove))
        .route("/season", web::get().to(readiness::season))
        .route(
            "/season/allocations/{org}",
            web::post().to(readiness::allocate),
        )
        .route("/season/extensions", web::post().to(readiness::extend))
        .route("/amendments/{id}/decide", web::post().to(pages::decide))
        .route("/readiness", web::get().to(readiness::board))
        .route("/readiness/{client}", web::get().to(readiness::client))
        .route("/season/quotas", web::post().to(readiness::set_quota))
        .route("/seasons", web::post().to(readiness::open_season))
        .route("/review", web::get().to(pages::review))
        .route("/organizations", web::get().to(organizations::list))
        .route("/organizations", web::post().to(organizations::create))
        .route("/organizations/{id}", web::get().to(organizations::show))
        .route("/organizations/{id}", web::post().to(organizations::update))
        .route(
            "/organizations/{id}/countries",
            web::post().to(organizations::set_countries),
        )
        .route(
            "/organizations/{id}/grants",
            web::post().to(organizations::set_grants),
        )
        .route(
            "/organizations/{id}/users",
            web::post().to(organizations::add_user),
        )
        .route(
            "/organizations/{id}/integration",
            web::get().to(integration::show),
        )
        .route(
            "/organizations/{id}/api-keys",
            web::post().to(integration::create_key),
        )
        .route(
            "/organizations/{id}/api-keys/{key}/revoke",
            web::post().to(integration::revoke_key),
        )
        .route(
            "/organizations/{id}/webhooks",
            web::post().to(integration::create_hook),
        )
        .route("/webhooks/{id}", web::get().to(integration::hook))
        .route("/webhooks/{id}", web::post().to(integration::update_hook))
        .route(
            "/webhooks/{id}/rotate-secret",
            web::post().to(integration::rotate),
        )
        .route(
            "/webhooks/{id}/remove",
            web::post().to(integration::remove_hook),
        )
        .route(
            "/webhooks/{id}/deliveries/{delivery}/redeliver",
            web::post().to(integration::redeliver),
        )
        .route("/audit", web::get().to(audit::list))
        .route("/users/{id}", web::get().to(organizations::user))
        .route("/users/{id}", web::post().to(organizations::update_user))
        .route("/facilities", web::get().to(facilities::list))
        .route("/facilities/{id}", web::get().to(facilities::show))
        .route(
            "/facilities/{id}/documents",
            web::post().to(documents::attach_to_facility),
        )
        .route(
            "/facilities/{id}/documents/{document}/withdraw",
            web::post().to(documents::withdraw_from_facility),
        )
        .route(
            "/contracts/{id}/documents",
            web::post().to(documents::attach_to_contract),
        )
        .route(
            "/contracts/{id}/documents/{document}/withdraw",
            web::post().to(documents::withdraw_from_contract),
        )
        .route("/documents/{id}", web::get().to(documents::download))
        .route("/datasets", web::get().to(datasets::list))
        .route("/datasets/{dataset}", web::get().to(datasets::show))
        .route("/notifications", web::get().to(inbox::notifications))
        .route("/notifications/{id}/read", web::post().to(inbox::mark_read))
        .route("/profile", web::get().to(inbox::profile))
        .route("/profile/password", web::post().to(inbox::change_password))
        .route(
            "/static/htmx.min.js",
            web::get().to(|| asset(HTMX, "text/javascript")),
        )
        .route(
            "/static/console.js",
            web::get().to(|| asset(CONSOLE_JS, "text/javascript")),
        )
        .route(
            "/static/console.css",
            web::get().to(|| asset(CSS, "text/css")),
        )
        .route(
            "/static/sheet.css",
            web::get().to(|| asset(crate::sheet::CSS, "text/css")),
        );
}

async fn asset(body: &'static str, content_type: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            format!("{content_type}; charset=utf-8"),
        ))
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

/// The words of a page in its reader's language.
#[derive(Clone, Copy)]
pub struct Tr(pub Language);

impl Tr {
    pub fn w<'a>(&self, code: &'a str) -> &'a str {
        texts::word(self.0, code)
    }
    /// A word with `{n}` filled in.
    pub fn n(&self, code: &str, n: impl Borrow<i64>) -> String {
        texts::word(self.0, code).replace("{n}", &format::number(self.0, *n.borrow()))
    }
    /// A step of a contract's history in the past tense ("Submitted"); a step on one of its
    /// amendments says so ("Amendment · Accepted").
    pub fn done(&self, action: &str, on_amendment: bool) -> String {
        let code = format!("done_{action}");
        let word = texts::word(self.0, &code);
        let word = if word == code { action } else { word };
        if on_amendment && action != "amend" {
            format!("{} · {word}", self.w("amendment"))
        } else {
            word.to_owned()
        }
    }
    pub fn num(&self, n: impl Borrow<i64>) -> String {
        format::number(self.0, *n.borrow())
    }
    pub fn money(&self, halalas: impl Borrow<i64>) -> String {
        format::money(self.0, *halalas.borrow())
    }
    pub fn date(&self, day: &chrono::NaiveDate) -> String {
        format::date(self.0, *day)
    }
    pub fn moment(&self, at: &chrono::NaiveDateTime) -> String {
        format::moment(self.0, *at)
    }
    /// The units a contract books and what they are.
    pub fn units(&self, terms: &crate::domain::contract::Terms) -> String {
        use crate::domain::contract::Terms;
        match terms {
            Terms::Housing { beds } => format!("{} {}", self.num(beds), self.w("beds")),
            Terms::Transport { from, to, seats } => format!(
                "{} {} · {} → {}",
                self.num(seats),
                self.w("seats"),
                self.w(from.as_str()),
                self.w(to.as_str())
            ),
            Terms::Catering {
                pilgrims,
                meals_per_day,
            } => format!(
                "{} × {} {}",
                self.num(pilgrims),
                self.num(meals_per_day),
                self.w("meals_per_day")
            ),
        }
    }
    /// The arrow that points forward in the reading direction.
    pub fn arrow(&self) -> &'static str {
        if self.dir() == "rtl" { "←" } else { "→" }
    }
    pub fn code(&self) -> &'static str {
        self.0.as_str()
    }
    pub fn dir(&self) -> &'static str {
        match self.0 {
            Language::Arabic | Language::Persian => "rtl",
            _ => "ltr",
        }
    }
    /// A name in the reader's language: the Arabic one for Arabic and Persian readers, where
    /// there is one.
    pub fn name<'a, A: AsRef<str>>(&self, name: &'a str, arabic: &'a Option<A>) -> &'a str {
        self.either(name, arabic.as_ref().map(A::as_ref).unwrap_or_default())
    }
    /// [`Tr::name`] for a name whose Arabic form is empty where there is none.
    pub fn either<'a>(&self, name: &'a str, arabic: &'a str) -> &'a str {
        match self.0 {
            Language::Arabic | Language::Persian if !arabic.is_empty() => arabic,
            _ => name,
        }
    }
}

/// The signed-in reader, as every page's frame shows them.
#[derive(Clone)]
pub struct Me {
    pub name: String,
    pub organization: String,
    pub kind: OrgKind,
    /// The organisation's unread notifications.
    pub unread: i64,
}

/// What every page's frame needs: the reader's language, who they are, the form token.
pub struct Frame {
    pub tr: Tr,
    pub me: Option<Me>,
    pub csrf: String,
    pub path: String,
    pub title: String,
}

impl Frame {
    pub fn is_client(&self) -> bool {
        self.me.as_ref().is_some_and(|m| m.kind.is_client())
    }
    /// Offices, agencies, the ministry and tawafa establishments read readiness.
    pub fn sees_readiness(&self) -> bool {
        self.me.as_ref().is_some_and(|m| {
            m.kind.is_client() || matches!(m.kind, OrgKind::Ministry | OrgKind::Tawafa)
        })
    }
    /// Every organisation but an authority works with contracts.
    pub fn sees_contracts(&self) -> bool {
        self.me
            .as_ref()
            .is_some_and(|m| m.kind != OrgKind::Authority)
    }
    /// The ministry and clients read the season's quotas, allocations and extensions.
    pub fn sees_season(&self) -> bool {
        self.me
            .as_ref()
            .is_some_and(|m| m.kind.is_client() || m.kind == OrgKind::Ministry)
    }
    /// The ministry reviews contracts.
    pub fn reviews(&self) -> bool {
        self.me
            .as_ref()
            .is_some_and(|m| m.kind == OrgKind::Ministry)
    }
    /// The ministry reads the audit log.
    pub fn reads_audit(&self) -> bool {
        self.reviews()
    }
    /// Providers keep facilities; the ministry sees them all.
    pub fn sees_facilities(&self) -> bool {
        self.me
            .as_ref()
            .is_some_and(|m| matches!(m.kind, OrgKind::ServiceProvider | OrgKind::Ministry))
    }
    /// Authorities read the datasets they are granted; the ministry reads them all.
    pub fn sees_datasets(&self) -> bool {
        self.me
            .as_ref()
            .is_some_and(|m| matches!(m.kind, OrgKind::Authority | OrgKind::Ministry))
    }
    /// The reader's language, named in itself.
    pub fn language_name(&self) -> &'static str {
        self.languages()
            .into_iter()
            .find(|(code, _)| *code == self.tr.code())
            .map_or("", |(_, name)| name)
    }
    pub fn languages(&self) -> [(&'static str, &'static str); 4] {
        [
            ("ar", "العربية"),
            ("en", "English"),
            ("fr", "Français"),
            ("fa", "فارسی"),
        ]
    }
}

/// A facility's use per day as a bar chart (SVG, drawn from numbers only): each bar the share of
/// the day's capacity held; the days of `mark` (a contract's) stand out. A summary in words goes
/// with it for those who do not see it.
pub fn strip(
    tr: &Tr,
    days: &[crate::usecases::facilities::DayUse],
    mark: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
) -> String {
    use std::fmt::Write;
    let peak = days
        .iter()
        .max_by_key(|d| (d.held * 1000) / d.capacity.max(1))
        .map(|d| (d.held, d.capacity, d.date));
    let summary = match peak {
        Some((held, capacity, day)) => format!(
            "{} {} {} · {}",
            tr.num(held),
            tr.n("of_capacity", capacity),
            tr.w("peak_use"),
            tr.date(&day)
        ),
        None => String::new(),
    };
    let width = days.len().max(1) * 12;
    let mut svg = format!(
        "<svg class=\"strip\" viewBox=\"0 0 {width} 60\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{}\">",
        crate::notify::templates::escape(&summary)
    );
    for (i, d) in days.iter().enumerate() {
        let share = (d.held * 58) / d.capacity.max(1);
        let marked = mark.is_some_and(|(from, to)| (from..=to).contains(&d.date));
        let full = d.held >= d.capacity;
        let class = match (marked, full) {
            (_, true) => "full",
            (true, false) => "mark",
            (false, false) => "held",
        };
        let _ = write!(
            svg,
            "<rect class=\"day\" x=\"{}\" y=\"1\" width=\"10\" height=\"58\"></rect>\
             <rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"10\" height=\"{}\"><title>{} · {} / {}</title></rect>",
            i * 12,
            i * 12,
            59 - share,
            share,
            d.date,
            d.held,
            d.capacity,
        );
    }
    svg.push_str("</svg>");
    let _ = write!(
        svg,
        "<p class=\"strip-summary\">{}</p>",
        crate::notify::templates::escape(&summary)
    );
    svg
}

#[derive(Template)]
#[template(path = "console/message.html")]
struct MessagePage<'a> {
    f: &'a Frame,
    heading: &'a str,
    text: &'a str,
}

/// A rendered page with the console's headers.
pub fn html(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ))
        .body(body)
}

/// A page of one heading and one paragraph: not found, refused.
pub fn message(
    frame: &Frame,
    status: actix_web::http::StatusCode,
    heading: &str,
    text: &str,
) -> HttpResponse {
    let page = MessagePage {
        f: frame,
        heading,
        text,
    };
    html(status, page.render().unwrap_or_default())
}
