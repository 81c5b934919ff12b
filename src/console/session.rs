//! Signing in and out of the console, its cookies and its form tokens.
//!
//! The session cookie carries a random secret; the sessions table keeps only its hash, beside the
//! API's sessions, so revoking, deactivating or suspending ends a console session at its next
//! request exactly as it ends an API session. The cookie is HttpOnly, SameSite=Lax, and Secure
//! when the portal's public address is https. Every form carries a token derived from the
//! session's secret (before sign-in: from a cookie of its own), which a page of another site cannot
//! read; a form without it changes nothing.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, web};
use askama::Template;
use serde::Deserialize;
use std::future::{Ready, ready};

use super::{Frame, Tr, html, message};
use crate::auth::credentials::Authenticated;
use crate::auth::secret;
use crate::domain::organization::Language;
use crate::error::Kind;
use crate::state::AppState;
use crate::usecases::sign_in::{self, Opening};

pub const SESSION_COOKIE: &str = "etrack_session";
const LANGUAGE_COOKIE: &str = "etrack_lang";
const FORM_COOKIE: &str = "etrack_form";
pub const CSRF_FIELD: &str = "csrf";
const SECRET_PREFIX: &str = "ecs_";

/// Whoever opened a console page: their session's secret if they have one, and the language to
/// speak to them before their saved one is known.
pub struct Visitor {
    secret: Option<String>,
    form_secret: Option<String>,
    pub lang: Language,
    secure: bool,
    pub address: String,
}

impl FromRequest for Visitor {
    type Error = actix_web::Error;
    type Future = Ready<Result<Visitor, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>();
        let secure = state.is_some_and(|s| s.settings.public_url.starts_with("https://"));
        let behind_proxy = state.is_some_and(|s| s.settings.behind_proxy);
        let cookie = |name| req.cookie(name).map(|c| c.value().to_owned());
        let lang = cookie(LANGUAGE_COOKIE)
            .and_then(|l| Language::parse(&l))
            .or_else(|| crate::i18n::asked_language(req))
            .unwrap_or(Language::Arabic);
        ready(Ok(Visitor {
            secret: cookie(SESSION_COOKIE).filter(|s| s.starts_with(SECRET_PREFIX)),
            form_secret: cookie(FORM_COOKIE),
            lang,
            secure,
            address: crate::api::auth::client_address(req, behind_proxy),
        }))
    }
}

impl Visitor {
    /// The credentials the session cookie stands for, if there is one.
    pub fn auth(&self) -> Option<Authenticated> {
        self.secret.as_ref().map(|s| Authenticated::Console {
            hash: secret::hash(s),
        })
    }

    /// The token every form of this session carries.
    pub fn csrf(&self) -> String {
        match &self.secret {
            Some(s) => secret::hash(&format!("form:{s}")),
            None => self
                .form_secret
                .as_deref()
                .map(|s| secret::hash(&format!("form:{s}")))
                .unwrap_or_default(),
        }
    }

    /// Whether a posted form carries this session's token.
    pub fn form_is_ours(&self, token: &str) -> bool {
        let expected = self.csrf();
        !expected.is_empty() && constant_time_eq(expected.as_bytes(), token.as_bytes())
    }

    fn cookie<'a>(&self, name: &'a str, value: String, max_age: Option<i64>) -> Cookie<'a> {
        let mut c = Cookie::build(name, value)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .finish();
        if let Some(seconds) = max_age {
            c.set_max_age(CookieDuration::seconds(seconds));
        }
        c
    }

    /// The frame of a page for someone not signed in.
    pub fn anonymous_frame(&self, path: &str, title: &str) -> Frame {
        Frame {
            tr: Tr(self.lang),
            me: None,
            csrf: self.csrf(),
            path: path.to_owned(),
            title: title.to_owned(),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The answer to a form that did not come from the console (no or a wrong token): 403, nothing
/// changed.
pub fn refused_form(visitor: &Visitor) -> HttpResponse {
    let frame = visitor.anonymous_frame("/", Tr(visitor.lang).w("forbidden"));
    message(
        &frame,
        StatusCode::FORBIDDEN,
        frame.tr.w("forbidden"),
        frame.tr.w("csrf_refused"),
    )
}

/// Where a signed-out visitor is sent.
pub fn to_sign_in() -> HttpResponse {
    see_other("/sign-in")
}

/// Post, redirect, get: the page to show after a change, so that a reload repeats nothing.
pub fn see_other(path: impl Into<String>) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, path.into()))
        .finish()
}

/// The session a posted form acts for, or the answer instead: 403 for a form without its token
/// (nothing changes), the sign-in page without a session.
pub fn form_session(visitor: &Visitor, token: &str) -> Result<Authenticated, Box<HttpResponse>> {
    if !visitor.form_is_ours(token) {
        return Err(Box::new(refused_form(visitor)));
    }
    visitor.auth().ok_or_else(|| Box::new(to_sign_in()))
}

#[derive(Template)]
#[template(path = "console/sign_in.html")]
struct SignInPage<'a> {
    f: &'a Frame,
    email: &'a str,
    error: Option<String>,
}

fn sign_in_page(
    visitor: &Visitor,
    status: StatusCode,
    email: &str,
    error: Option<String>,
) -> HttpResponse {
    let frame = visitor.anonymous_frame("/sign-in", Tr(visitor.lang).w("sign_in"));
    let page = SignInPage {
        f: &frame,
        email,
        error,
    };
    html(status, page.render().unwrap_or_default())
}

pub async fn sign_in_form(visitor: Visitor) -> HttpResponse {
    if visitor.form_secret.is_some() {
        return sign_in_page(&visitor, StatusCode::OK, "", None);
    }
    // A first visit: the form's token comes from a cookie of its own.
    let form_secret = secret::generate("ecf_");
    let visitor = Visitor {
        form_secret: Some(form_secret.clone()),
        ..visitor
    };
    let mut response = sign_in_page(&visitor, StatusCode::OK, "", None);
    let _ = response.add_cookie(&visitor.cookie(FORM_COOKIE, form_secret, None));
    response
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

pub async fn sign_in(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<SignInForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !visitor.form_is_ours(&form.csrf) {
        return refused_form(&visitor);
    }
    let tr = Tr(visitor.lang);
    let console_secret = secret::generate(SECRET_PREFIX);
    let opening = Opening::Console {
        secret_hash: secret::hash(&console_secret),
    };
    match sign_in::sign_in(
        &state,
        &form.email,
        form.password,
        &visitor.address,
        opening,
    )
    .await
    {
        Ok(signed_in) => {
            let max_age = state.settings.session_max_age.as_secs() as i64;
            let mut response = HttpResponse::SeeOther()
                .insert_header((header::LOCATION, "/"))
                .finish();
            let _ =
                response.add_cookie(&visitor.cookie(SESSION_COOKIE, console_secret, Some(max_age)));
            let _ = response.add_cookie(&visitor.cookie(
                LANGUAGE_COOKIE,
                signed_in.language.as_str().to_owned(),
                Some(max_age),
            ));
            response
        }
        Err(e) if e.kind == Kind::TooManyRequests => {
            let wait = e.retry_after_seconds.unwrap_or(1) as i64;
            let mut response = sign_in_page(
                &visitor,
                StatusCode::TOO_MANY_REQUESTS,
                &form.email,
                Some(tr.n("wait_retry", wait)),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(wait));
            response
        }
        Err(e) if e.kind == Kind::Unauthorized => sign_in_page(
            &visitor,
            StatusCode::UNAUTHORIZED,
            &form.email,
            Some(tr.w("wrong_credentials").to_owned()),
        ),
        Err(e) => super::pages::failed(&visitor.anonymous_frame("/sign-in", tr.w("sign_in")), &e),
    }
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    csrf: String,
}

pub async fn sign_out(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<TokenForm>,
) -> HttpResponse {
    if !visitor.form_is_ours(&form.csrf) {
        return refused_form(&visitor);
    }
    if let Some(auth) = visitor.auth() {
        // Ending a session that has already ended is no error.
        let _ = state.write(auth, crate::usecases::sign_in::sign_out).await;
    }
    let mut response = to_sign_in();
    let mut gone = visitor.cookie(SESSION_COOKIE, String::new(), Some(0));
    gone.make_removal();
    let _ = response.add_cookie(&gone);
    response
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: String,
    #[serde(default)]
    back: String,
}

/// Switches the language: saved to the user's profile when signed in, and to a cookie.
pub async fn set_language(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<LanguageForm>,
) -> HttpResponse {
    if !visitor.form_is_ours(&form.csrf) {
        return refused_form(&visitor);
    }
    let Some(lang) = Language::parse(&form.lang) else {
        return refused_form(&visitor);
    };
    if let Some(auth) = visitor.auth() {
        let saved = state
            .write(auth, move |conn, caller| {
                crate::usecases::accounts::set_language(conn, caller, lang)
            })
            .await;
        if let Err(e) = saved
            && e.kind == Kind::Unauthorized
        {
            return to_sign_in();
        }
    }
    // Back to the page the switch was on, never to another site.
    let back = if form.back.starts_with('/') && !form.back.starts_with("//") {
        form.back.clone()
    } else {
        "/".to_owned()
    };
    let mut response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, back))
        .finish();
    let _ = response.add_cookie(&visitor.cookie(
        LANGUAGE_COOKIE,
        lang.as_str().to_owned(),
        Some(365 * 24 * 3600),
    ));
    response
}
