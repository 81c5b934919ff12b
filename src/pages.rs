//! The page a browser opens from an invitation or reset email: a form to set a password, served
//! by the binary, with no script, in the browser's language (Arabic right to left). It calls the
//! same use case as `POST /api/v1/auth/set-password`.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::api::auth::set_password_with_link;
use crate::domain::organization::Language;
use crate::error::Error;
use crate::i18n;
use crate::notify::templates::escape;
use crate::state::AppState;
use crate::usecases::accounts;

/// Forms post to this page only; nothing else loads but its own stylesheet.
pub const PAGE_CSP: &str =
    "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'";

const STYLE: &str = "body{font-family:system-ui,'Noto Sans Arabic','Segoe UI',sans-serif;\
background:#f4f6f5;color:#1d2a24;margin:0}main{max-width:26rem;margin:4rem auto;background:#fff;\
padding:2rem;border-radius:.5rem;box-shadow:0 1px 4px rgba(0,0,0,.12)}h1{font-size:1.1rem;\
color:#0b6b46;margin:0 0 1rem}h2{font-size:1.4rem;margin:0 0 1.5rem}label{display:block;\
margin:0 0 1rem}input{display:block;width:100%;box-sizing:border-box;padding:.6rem;margin-top:.3rem;\
font-size:1rem;border:1px solid #9aa7a0;border-radius:.3rem}button{background:#0b6b46;color:#fff;\
border:0;padding:.7rem 1.2rem;font-size:1rem;border-radius:.3rem;cursor:pointer}\
.error{background:#fdecea;color:#8a1c12;padding:.7rem;border-radius:.3rem;margin:0 0 1rem}\
.done{background:#e7f5ee;color:#0b6b46;padding:.7rem;border-radius:.3rem}";

#[derive(Deserialize)]
pub struct LinkQuery {
    token: Option<String>,
}

#[derive(Deserialize)]
pub struct PasswordForm {
    token: String,
    new_password: String,
    confirm: String,
}

struct Words {
    title: &'static str,
    new_password: &'static str,
    confirm: &'static str,
    submit: &'static str,
    done: &'static str,
    dead_link: &'static str,
    mismatch: &'static str,
    wait: &'static str,
}

fn words(lang: Language) -> Words {
    match lang {
        Language::Arabic => Words {
            title: "تعيين كلمة المرور",
            new_password: "كلمة المرور الجديدة (8 أحرف على الأقل)",
            confirm: "أعيدوا كتابتها",
            submit: "تعيين كلمة المرور",
            done: "عُيّنت كلمة المرور. سجّلوا الدخول بها؛ انتهت جلساتكم السابقة.",
            dead_link: "هذا الرابط غير صالح: غير معروف أو مستخدم أو منتهي الصلاحية. اطلبوا رابطاً جديداً.",
            mismatch: "كلمتا المرور غير متطابقتين.",
            wait: "محاولات كثيرة. انتظروا قليلاً ثم أعيدوا المحاولة.",
        },
        _ => Words {
            title: "Set your password",
            new_password: "New password (at least 8 characters)",
            confirm: "Type it again",
            submit: "Set password",
            done: "Your password is set. Sign in with it; your earlier sessions have ended.",
            dead_link: "This link does not work: it is unknown, used or expired. Ask for a new one.",
            mismatch: "The two passwords differ.",
            wait: "Too many attempts. Wait a little, then try again.",
        },
    }
}

fn page(lang: Language, body: &str) -> HttpResponse {
    let w = words(lang);
    let (code, dir) = match lang {
        Language::Arabic => ("ar", "rtl"),
        _ => ("en", "ltr"),
    };
    let html = format!(
        "<!DOCTYPE html><html lang=\"{code}\" dir=\"{dir}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · e-track</title><link rel=\"stylesheet\" href=\"/password.css\"></head>\
         <body><main><h1>e-track</h1><h2>{title}</h2>{body}</main></body></html>",
        title = w.title,
    );
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(html)
}

fn form(lang: Language, token: &str, error: Option<&str>) -> HttpResponse {
    let w = words(lang);
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    page(
        lang,
        &format!(
            "{error}<form method=\"post\" action=\"/password\">\
             <input type=\"hidden\" name=\"token\" value=\"{token}\">\
             <label>{new}<input type=\"password\" name=\"new_password\" autocomplete=\"new-password\" \
             minlength=\"8\" maxlength=\"128\" required></label>\
             <label>{confirm}<input type=\"password\" name=\"confirm\" autocomplete=\"new-password\" \
             minlength=\"8\" maxlength=\"128\" required></label>\
             <button type=\"submit\">{submit}</button></form>",
            token = escape(token),
            new = w.new_password,
            confirm = w.confirm,
            submit = w.submit,
        ),
    )
}

fn message(lang: Language, class: &str, text: &str) -> HttpResponse {
    page(lang, &format!("<p class=\"{class}\">{}</p>", escape(text)))
}

/// `GET /password?token=...`: the form, or why the link does not work.
pub async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<LinkQuery>,
) -> HttpResponse {
    let lang = i18n::request_language(&req);
    let token = query.into_inner().token.unwrap_or_default();
    let check = token.clone();
    let live = !token.is_empty()
        && state
            .db(move |conn| accounts::link_is_live(conn, &check))
            .await
            .unwrap_or(false);
    if live {
        form(lang, &token, None)
    } else {
        message(lang, "error", words(lang).dead_link)
    }
}

/// `POST /password`: sets the password, or shows the form again with what went wrong.
pub async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Form<PasswordForm>,
) -> HttpResponse {
    let lang = i18n::request_language(&req);
    let w = words(lang);
    let PasswordForm {
        token,
        new_password,
        confirm,
    } = body.into_inner();
    if new_password != confirm {
        return form(lang, &token, Some(w.mismatch));
    }
    let address = crate::api::auth::client_address(&req, state.settings.behind_proxy);
    match set_password_with_link(&state, &address, token.clone(), &new_password).await {
        Ok(()) => message(lang, "done", w.done),
        Err(e) => match refusal(&e) {
            Refusal::DeadLink => message(lang, "error", w.dead_link),
            Refusal::Wait => form(lang, &token, Some(w.wait)),
            Refusal::Field(code, limit) => form(
                lang,
                &token,
                Some(&format!(
                    "{}: {}",
                    w.new_password,
                    i18n::field_message(code, limit, lang)
                )),
            ),
            Refusal::Other => message(lang, "error", i18n::problem_text(e.code, lang).1),
        },
    }
}

enum Refusal {
    DeadLink,
    Wait,
    Field(&'static str, Option<usize>),
    Other,
}

fn refusal(e: &Error) -> Refusal {
    match e.errors.first() {
        Some(f) if f.field == "token" => Refusal::DeadLink,
        Some(f) => Refusal::Field(f.invalid.code, f.invalid.limit),
        None if e.code == "rate_limited" => Refusal::Wait,
        None => Refusal::Other,
    }
}

/// `GET /password.css`.
pub async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/css; charset=utf-8"))
        .body(STYLE)
}
