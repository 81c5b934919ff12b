//! The audit log in the console, for the ministry: every change and every dataset read, newest
//! first, by the record it touched or the organisation whose user or key acted; and a check of
//! its hash chain. The same access rule and storage as `GET /api/v1/audit` (which lists oldest
//! first, for systems that follow it) and `/audit/verify`.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::Frame;
use super::pages::{frame, page, rendered};
use crate::domain::ids::OrganizationId;
use crate::state::AppState;
use crate::storage::audit::{AuditFilter, AuditRow, Verification};
use crate::storage::organizations;
use crate::usecases::audit as cases;

const PAGE_SIZE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    entity: String,
    #[serde(default)]
    organization: String,
    #[serde(default)]
    before: String,
    #[serde(default)]
    verify: String,
}

struct AuditScreen {
    rows: Vec<AuditRow>,
    /// The acting organisations' names, in English and Arabic.
    names: HashMap<String, (String, String)>,
    next: Option<String>,
    verification: Option<Verification>,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage<'a> {
    f: &'a Frame,
    s: &'a AuditScreen,
    q: &'a AuditQuery,
}

impl AuditPage<'_> {
    fn organization<'a>(&'a self, row: &'a AuditRow) -> &'a str {
        let Some(id) = row.organization_id.as_ref() else {
            return "—";
        };
        match self.s.names.get(id) {
            Some((name, arabic)) => self.f.tr.either(name, arabic),
            None => id,
        }
    }
    /// Who acted: a user or an API key (the end of its id: ids begin with their time, so their
    /// beginnings look alike), or the portal itself.
    fn actor(&self, row: &AuditRow) -> String {
        let short = |id: &str| {
            id.get(id.len().saturating_sub(8)..)
                .unwrap_or(id)
                .to_owned()
        };
        match (&row.actor_user_id, &row.actor_api_key_id) {
            (Some(user), _) => format!("{} {}", self.f.tr.w("user"), short(user)),
            (None, Some(key)) => format!("{} {}", self.f.tr.w("api_key"), short(key)),
            (None, None) => self.f.tr.w("the_portal").to_owned(),
        }
    }
    /// The query of the next page: the same filters, before the last row.
    fn next_query(&self, before: &str) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("entity", &self.q.entity)
            .append_pair("organization", &self.q.organization)
            .append_pair("before", before)
            .finish()
    }
}

pub async fn list(
    state: web::Data<AppState>,
    visitor: super::Visitor,
    query: web::Query<AuditQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let filter = AuditFilter {
        entity_id: Some(query.entity.trim().to_owned()).filter(|e| !e.is_empty()),
        organization_id: Some(query.organization.trim().to_owned()).filter(|o| !o.is_empty()),
    };
    let before = Some(query.before.clone()).filter(|a| !a.is_empty());
    let verify = !query.verify.is_empty();
    let loaded = page(&state, &visitor, move |conn, caller, _| {
        let mut rows = cases::newest(conn, caller, &filter, before.as_deref(), PAGE_SIZE + 1)?;
        let next = (rows.len() as i64 > PAGE_SIZE).then(|| {
            rows.truncate(PAGE_SIZE as usize);
            rows.last().map(|r| r.id.clone()).unwrap_or_default()
        });
        let ids: Vec<OrganizationId> = rows
            .iter()
            .filter_map(|r| r.organization_id.as_deref()?.parse().ok())
            .collect();
        let ids: Vec<&OrganizationId> = ids.iter().collect();
        // Keyed by the text the rows hold, so that each row looks its name up as it is.
        let names = organizations::bilingual_names(conn, &ids)?
            .into_iter()
            .map(|(id, names)| (id.into_string(), names))
            .collect();
        let verification = if verify {
            Some(cases::verify(conn, caller)?)
        } else {
            None
        };
        Ok(AuditScreen {
            rows,
            names,
            next,
            verification,
        })
    })
    .await;
    match loaded {
        Ok((me, lang, s)) => {
            let f = frame(&visitor, me, lang, "/audit", "audit_log");
            rendered(AuditPage {
                f: &f,
                s: &s,
                q: &query,
            })
        }
        Err(answer) => answer,
    }
}
