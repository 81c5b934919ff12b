//! Pilgrim groups in the console: an office or agency plans who arrives when, stays where and
//! leaves when (R11), changes a group at the version it saw, or removes it. Every change is the
//! use case the API calls (`usecases::groups`); another client's group is the 404 page.

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::Frame;
use super::pages::{
    Touched, current_season, frame, no_such, page, refusal_text, refused_with, rendered, submit,
};
use super::session::Visitor;
use crate::access;
use crate::domain::Invalid;
use crate::domain::ids::GroupId;
use crate::domain::readiness::Stay;
use crate::domain::season::Place;
use crate::error::{Error, FieldError};
use crate::state::AppState;
use crate::storage::models::SeasonRow;
use crate::usecases::groups::{self as cases, GroupPlan, PlannedGroup};

/// The most groups the list shows (the API pages through more).
const GROUPS_SHOWN: i64 = 500;
/// Stays a form offers; a group's itinerary rarely has more than Madinah, Makkah and the holy sites.
pub const STAY_ROWS: usize = 4;

struct GroupsScreen {
    season: SeasonRow,
    groups: Vec<PlannedGroup>,
    /// The reader plans groups (offices and agencies, never their viewers).
    can_plan: bool,
}

#[derive(Template)]
#[template(path = "console/groups.html")]
struct GroupsPage<'a> {
    f: &'a Frame,
    s: &'a GroupsScreen,
    notice: Option<String>,
    form: GroupFields,
}

/// The reader's pilgrim groups in the current season (an office sees its agencies' too), and the
/// form to plan another.
pub async fn list(state: web::Data<AppState>, visitor: Visitor) -> HttpResponse {
    list_page(&state, &visitor, None, GroupFields::default()).await
}

async fn list_page(
    state: &AppState,
    visitor: &Visitor,
    refused: Option<&Error>,
    form: GroupFields,
) -> HttpResponse {
    let loaded = page(state, visitor, |conn, caller, _| {
        let season = current_season(conn)?.ok_or_else(Error::not_found)?;
        let id = season.id.clone();
        let groups = cases::list(conn, caller, &id, None, None, GROUPS_SHOWN)?;
        Ok(GroupsScreen {
            season,
            groups,
            can_plan: access::file_contracts(caller).is_ok(),
        })
    })
    .await;
    match loaded {
        Ok((me, lang, s)) => {
            let f = frame(visitor, me, lang, "/groups", "groups");
            refused_with(
                rendered(GroupsPage {
                    f: &f,
                    s: &s,
                    notice: refused.map(|e| refusal_text(lang, e)),
                    form,
                }),
                refused,
            )
        }
        Err(answer) => answer,
    }
}

/// A group's fields as a form holds them: what was typed, shown again with a refusal.
#[derive(Deserialize, Default, Clone)]
pub struct GroupFields {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub pilgrims: String,
    #[serde(default)]
    pub arrival_port: String,
    #[serde(default)]
    pub arrival_date: String,
    #[serde(default)]
    pub departure_port: String,
    #[serde(default)]
    pub departure_date: String,
    #[serde(default)]
    pub stay1_city: String,
    #[serde(default)]
    pub stay1_from: String,
    #[serde(default)]
    pub stay1_to: String,
    #[serde(default)]
    pub stay2_city: String,
    #[serde(default)]
    pub stay2_from: String,
    #[serde(default)]
    pub stay2_to: String,
    #[serde(default)]
    pub stay3_city: String,
    #[serde(default)]
    pub stay3_from: String,
    #[serde(default)]
    pub stay3_to: String,
    #[serde(default)]
    pub stay4_city: String,
    #[serde(default)]
    pub stay4_from: String,
    #[serde(default)]
    pub stay4_to: String,
}

impl GroupFields {
    /// The fields of a planned group, to change it.
    fn of(p: &PlannedGroup) -> GroupFields {
        let g = &p.group;
        let mut f = GroupFields {
            name: g.name.clone(),
            pilgrims: g.pilgrims.to_string(),
            arrival_port: g.arrival_port.as_str().to_owned(),
            arrival_date: g.arrival_date.to_string(),
            departure_port: g.departure_port.as_str().to_owned(),
            departure_date: g.departure_date.to_string(),
            ..GroupFields::default()
        };
        for (i, stay) in g.stays.iter().take(STAY_ROWS).enumerate() {
            let (city, from, to) = f.stay_mut(i);
            *city = stay.city.as_str().to_owned();
            *from = stay.from.to_string();
            *to = stay.to.to_string();
        }
        f
    }

    fn stay_mut(&mut self, i: usize) -> (&mut String, &mut String, &mut String) {
        match i {
            0 => (
                &mut self.stay1_city,
                &mut self.stay1_from,
                &mut self.stay1_to,
            ),
            1 => (
                &mut self.stay2_city,
                &mut self.stay2_from,
                &mut self.stay2_to,
            ),
            2 => (
                &mut self.stay3_city,
                &mut self.stay3_from,
                &mut self.stay3_to,
            ),
            _ => (
                &mut self.stay4_city,
                &mut self.stay4_from,
                &mut self.stay4_to,
            ),
        }
    }

    /// Whether `option` is the one chosen (for a select's `selected`).
    pub fn picks(&self, chosen: &str, option: &str) -> bool {
        chosen == option
    }

    /// The stay rows, in order, as (city, from, to) text.
    pub fn stays(&self) -> [(&str, &str, &str); STAY_ROWS] {
        [
            (&self.stay1_city, &self.stay1_from, &self.stay1_to),
            (&self.stay2_city, &self.stay2_from, &self.stay2_to),
            (&self.stay3_city, &self.stay3_from, &self.stay3_to),
            (&self.stay4_city, &self.stay4_from, &self.stay4_to),
        ]
        .map(|(c, f, t)| (c.as_str(), f.as_str(), t.as_str()))
    }

    /// The plan the fields describe, every refused field named (as the API names them); a stay
    /// row left without a city is no stay.
    fn plan(&self) -> Result<GroupPlan, Error> {
        let mut errors = Vec::new();
        let mut place = |field: &str, text: &str, port: bool| {
            let place = Place::parse(text).filter(|p| if port { p.is_port() } else { p.is_city() });
            if place.is_none() {
                errors.push(FieldError::new(field, Invalid::new("invalid_value")));
            }
            place
        };
        let arrival_port = place("arrival.port", &self.arrival_port, true);
        let departure_port = place("departure.port", &self.departure_port, true);
        let cities: Vec<_> = self
            .stays()
            .iter()
            .enumerate()
            .filter(|(_, (city, _, _))| !city.is_empty())
            .map(|(i, (city, _, _))| place(&format!("stays[{i}].city"), city, false))
            .collect();
        let mut date = |field: &str, text: &str| {
            let date = crate::domain::calendar::parse_bounded(text.trim());
            if date.is_none() {
                errors.push(FieldError::new(field, Invalid::new("invalid_date")));
            }
            date
        };
        let arrival_date = date("arrival.date", &self.arrival_date);
        let departure_date = date("departure.date", &self.departure_date);
        let spans: Vec<(Option<NaiveDate>, Option<NaiveDate>)> = self
            .stays()
            .iter()
            .enumerate()
            .filter(|(_, (city, _, _))| !city.is_empty())
            .map(|(i, (_, from, to))| {
                (
                    date(&format!("stays[{i}].from"), from),
                    date(&format!("stays[{i}].to"), to),
                )
            })
            .collect();
        let pilgrims = self.pilgrims.trim().parse::<i64>().ok();
        if pilgrims.is_none() {
            errors.push(FieldError::new("pilgrims", Invalid::new("invalid_value")));
        }
        let stays: Option<Vec<Stay>> = cities
            .into_iter()
            .zip(spans)
            .map(|(city, (from, to))| {
                Some(Stay {
                    city: city?,
                    from: from?,
                    to: to?,
                })
            })
            .collect();
        match (
            pilgrims,
            arrival_port,
            arrival_date,
            departure_port,
            departure_date,
            stays,
        ) {
            (Some(pilgrims), Some(ap), Some(ad), Some(dp), Some(dd), Some(stays))
                if errors.is_empty() =>
            {
                Ok(GroupPlan {
                    name: self.name.clone(),
                    pilgrims,
                    arrival: (ap, ad),
                    departure: (dp, dd),
                    stays,
                })
            }
            _ => Err(Error::invalid(errors)),
        }
    }
}

#[derive(Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    version: String,
    #[serde(flatten)]
    fields: GroupFields,
}

/// Plans a group in the current season (its client), then the list again.
pub async fn create(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<PlanForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let plan = form.fields.plan();
    let typed = form.fields.clone();
    submit(
        &state,
        &visitor,
        &form.csrf,
        move |conn, caller| {
            access::file_contracts(caller)?;
            let season = current_season(conn)?.ok_or_else(Error::not_found)?;
            let id = season.id;
            cases::plan(conn, caller, &id, plan.clone()).map(|g| Touched(g.group.id.into_string()))
        },
        |_| "/groups".to_owned(),
        |e| {
            let (state, visitor) = (&state, &visitor);
            async move { list_page(state, visitor, Some(&e), typed).await }
        },
    )
    .await
}

struct GroupScreen {
    group: PlannedGroup,
    /// The reader changes it (its client's officers and admins).
    can_change: bool,
}

#[derive(Template)]
#[template(path = "console/group.html")]
struct GroupPage<'a> {
    f: &'a Frame,
    s: &'a GroupScreen,
    notice: Option<String>,
    form: GroupFields,
}

pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    let Ok(id) = id.parse::<GroupId>() else {
        return no_such(&visitor);
    };
    group_page(&state, &visitor, id, None, None).await
}

async fn group_page(
    state: &AppState,
    visitor: &Visitor,
    id: GroupId,
    refused: Option<&Error>,
    typed: Option<GroupFields>,
) -> HttpResponse {
    let loaded = page(state, visitor, move |conn, caller, _| {
        let group = cases::find(conn, caller, &id)?;
        Ok(GroupScreen {
            can_change: access::change_own_plan(caller, &group.organization_id).is_ok(),
            group,
        })
    })
    .await;
    match loaded {
        Ok((me, lang, s)) => {
            let mut f = frame(visitor, me, lang, "/groups", "group");
            f.title = s.group.group.name.clone();
            let form = typed.unwrap_or_else(|| GroupFields::of(&s.group));
            refused_with(
                rendered(GroupPage {
                    f: &f,
                    s: &s,
                    notice: refused.map(|e| refusal_text(lang, e)),
                    form,
                }),
                refused,
            )
        }
        Err(answer) => answer,
    }
}

/// Changes a group (its client) at the version the form showed: a change made meanwhile is
/// refused, not overwritten.
pub async fn update(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<PlanForm>,
) -> HttpResponse {
    let Ok(id) = id.parse::<GroupId>() else {
        return no_such(&visitor);
    };
    let form = form.into_inner();
    let plan = form.fields.plan();
    let typed = form.fields.clone();
    let version = form
        .version
        .trim()
        .parse::<i64>()
        .map(Some)
        .map_err(|_| Error::precondition_failed());
    let target = id.clone();
    let path = format!("/groups/{id}");
    submit(
        &state,
        &visitor,
        &form.csrf,
        move |conn, caller| {
            cases::replan(conn, caller, &target, version.clone(), plan.clone())
                .map(|g| Touched(g.group.id.into_string()))
        },
        |_| path,
        |e| {
            let (state, visitor) = (&state, &visitor);
            async move { group_page(state, visitor, id, Some(&e), Some(typed)).await }
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct RemoveForm {
    #[serde(default)]
    csrf: String,
}

/// Removes a group from the plan (its client), then the list.
pub async fn remove(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<RemoveForm>,
) -> HttpResponse {
    let Ok(id) = id.parse::<GroupId>() else {
        return no_such(&visitor);
    };
    let target = id.clone();
    submit(
        &state,
        &visitor,
        &form.csrf,
        move |conn, caller| {
            cases::remove(conn, caller, &target).map(|()| Touched(target.to_string()))
        },
        |_| "/groups".to_owned(),
        |e| {
            let (state, visitor) = (&state, &visitor);
            async move { group_page(state, visitor, id, Some(&e), None).await }
        },
    )
    .await
}
