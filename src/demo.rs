//! The first ministry admin (from `ETRACK_ADMIN_EMAIL` / `ETRACK_ADMIN_PASSWORD`) and the demo data
//! of `serve --demo`: one organisation of every kind, each with a user whose login is printed.

use crate::auth::password;
use crate::config::AdminBootstrap;
use crate::domain::ids::{OrganizationId, UserId};
use crate::domain::organization::{Dataset, Language, OrgKind, OrgStatus, Role};
use crate::domain::text::{Email, NewPassword, search_key};
use crate::storage::models::{OrganizationRow, UserRow};
use crate::storage::{DbConnection, now, organizations, users, write_transaction};

/// The password of every demo login.
pub const DEMO_PASSWORD: &str = "demo-pass-1447";

#[derive(Clone, Debug)]
pub struct DemoLogin {
    pub kind: OrgKind,
    pub organization: String,
    pub email: String,
    pub password: String,
}

fn organization(
    kind: OrgKind,
    name: &str,
    name_ar: &str,
    country: Option<&str>,
    parent: Option<&str>,
) -> OrganizationRow {
    let at = now();
    OrganizationRow {
        id: OrganizationId::generate().into_string(),
        kind: kind.as_str().to_owned(),
        name: name.to_owned(),
        name_ar: name_ar.to_owned(),
        search_key: search_key(&format!("{name} {name_ar}")),
        country: country.map(str::to_owned),
        parent_id: parent.map(str::to_owned),
        status: OrgStatus::Active.as_str().to_owned(),
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

fn user(
    org: &OrganizationRow,
    email: &str,
    full_name: &str,
    role: Role,
    language: Language,
    hash: String,
) -> UserRow {
    let at = now();
    UserRow {
        id: UserId::generate().into_string(),
        organization_id: org.id.clone(),
        email: email.to_owned(),
        full_name: full_name.to_owned(),
        role: role.as_str().to_owned(),
        language: language.as_str().to_owned(),
        password_hash: hash,
        active: true,
        version: 1,
        created_at: at,
        updated_at: at,
    }
}

/// Creates the ministry and its admin when the database has no user yet; otherwise does nothing.
pub fn bootstrap_admin(conn: &mut DbConnection, admin: &AdminBootstrap) -> Result<(), String> {
    let email = Email::parse(&admin.email)
        .map_err(|_| "ETRACK_ADMIN_EMAIL is not a valid email address".to_owned())?;
    let pass = NewPassword::parse(admin.password.expose()).map_err(|e| {
        format!(
            "ETRACK_ADMIN_PASSWORD is refused ({}): use 8 to 128 characters, not a common password",
            e.code
        )
    })?;
    if users::count(conn).map_err(|e| e.to_string())? > 0 {
        return Ok(());
    }
    let hash = password::hash(pass.expose());
    write_transaction(conn, |conn| {
        let ministry = organization(
            OrgKind::Ministry,
            "Ministry of Hajj and Umrah",
            "وزارة الحج والعمرة",
            Some("SA"),
            None,
        );
        organizations::insert(conn, &ministry)?;
        users::insert(
            conn,
            &user(
                &ministry,
                email.as_str(),
                "Administrator",
                Role::Admin,
                Language::English,
                hash,
            ),
        )
    })
    .map_err(|e: diesel::result::Error| e.to_string())?;
    tracing::info!("created the first ministry administrator");
    Ok(())
}

struct DemoOrg {
    kind: OrgKind,
    name: &'static str,
    name_ar: &'static str,
    country: Option<&'static str>,
    email: &'static str,
    full_name: &'static str,
    language: Language,
}

const DEMO: &[DemoOrg] = &[
    DemoOrg {
        kind: OrgKind::Ministry,
        name: "Ministry of Hajj and Umrah (demo)",
        name_ar: "وزارة الحج والعمرة (تجريبي)",
        country: Some("SA"),
        email: "ministry@demo.e-track.sa",
        full_name: "Ministry Reviewer",
        language: Language::Arabic,
    },
    DemoOrg {
        kind: OrgKind::HajjOffice,
        name: "Hajj Affairs Office of Indonesia",
        name_ar: "مكتب شؤون حجاج إندونيسيا",
        country: Some("ID"),
        email: "office@demo.e-track.sa",
        full_name: "Office Administrator",
        language: Language::English,
    },
    DemoOrg {
        kind: OrgKind::Agency,
        name: "Nusantara Travel",
        name_ar: "نوسانتارا للسفر",
        country: Some("ID"),
        email: "agency@demo.e-track.sa",
        full_name: "Agency Administrator",
        language: Language::English,
    },
    DemoOrg {
        kind: OrgKind::ServiceProvider,
        name: "Al-Safwa Towers Housing",
        name_ar: "أبراج الصفوة للإسكان",
        country: Some("SA"),
        email: "provider@demo.e-track.sa",
        full_name: "Provider Administrator",
        language: Language::Arabic,
    },
    DemoOrg {
        kind: OrgKind::Tawafa,
        name: "Tawafa Establishment for South-East Asian Pilgrims",
        name_ar: "مؤسسة طوافة حجاج جنوب شرق آسيا",
        country: Some("SA"),
        email: "tawafa@demo.e-track.sa",
        full_name: "Tawafa Administrator",
        language: Language::Arabic,
    },
    DemoOrg {
        kind: OrgKind::Authority,
        name: "Ministry of Foreign Affairs",
        name_ar: "وزارة الخارجية",
        country: Some("SA"),
        email: "authority@demo.e-track.sa",
        full_name: "Visa Desk",
        language: Language::English,
    },
];

/// Loads the demo organisations and users once (a second start finds them and adds nothing).
pub fn load(conn: &mut DbConnection) -> Result<Vec<DemoLogin>, String> {
    let logins: Vec<DemoLogin> = DEMO
        .iter()
        .map(|d| DemoLogin {
            kind: d.kind,
            organization: d.name.to_owned(),
            email: d.email.to_owned(),
            password: DEMO_PASSWORD.to_owned(),
        })
        .collect();
    if users::find_by_email(conn, DEMO[0].email)
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Ok(logins);
    }
    let hash = password::hash(DEMO_PASSWORD);
    write_transaction(conn, |conn| {
        let mut office_id = None;
        for d in DEMO {
            let parent = if d.kind == OrgKind::Agency {
                office_id.as_deref()
            } else {
                None
            };
            let org = organization(d.kind, d.name, d.name_ar, d.country, parent);
            organizations::insert(conn, &org)?;
            match d.kind {
                OrgKind::HajjOffice => office_id = Some(org.id.clone()),
                OrgKind::Tawafa => organizations::replace_countries(
                    conn,
                    &org.id,
                    &["ID".to_owned(), "MY".to_owned()],
                )?,
                OrgKind::Authority => organizations::replace_grants(
                    conn,
                    &org.id,
                    &[Dataset::VisaEligibility.as_str().to_owned()],
                )?,
                _ => {}
            }
            users::insert(
                conn,
                &user(
                    &org,
                    d.email,
                    d.full_name,
                    Role::Admin,
                    d.language,
                    hash.clone(),
                ),
            )?;
        }
        Ok(())
    })
    .map_err(|e: diesel::result::Error| e.to_string())?;
    Ok(logins)
}
