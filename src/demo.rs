//! The first ministry admin (from `ETRACK_ADMIN_EMAIL` / `ETRACK_ADMIN_PASSWORD`) and the demo data
//! of `serve --demo`: one organisation of every kind, each with a user whose login is printed.

use chrono::NaiveDate;

use crate::access::{Actor, Caller, Standing};
use crate::auth::password;
use crate::config::AdminBootstrap;
use crate::domain::contract::{Action, Booking, Terms};
use crate::domain::ids::{FacilityId, SeasonId, SessionId};
use crate::domain::ids::{OrganizationId, UserId};
use crate::domain::money::Money;
use crate::domain::organization::{Dataset, Language, OrgKind, OrgStatus, Role};
use crate::domain::readiness::Stay;
use crate::domain::season::{FacilityKind, Place, SeasonKind};
use crate::domain::text::{Email, NewPassword, search_key};
use crate::error::Error;
use crate::storage::facilities;
use crate::storage::models::{FacilityRow, SeasonRow};
use crate::storage::models::{OrganizationRow, UserRow};
use crate::storage::seasons::{self, Parent};
use crate::storage::{DbConnection, now, organizations, users, write_transaction};
use crate::usecases::contracts::{self, NewContract};
use crate::usecases::groups::{self, GroupPlan};
use crate::usecases::inspections::NewInspection;

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
    parent: Option<&OrganizationId>,
) -> OrganizationRow {
    let at = now();
    OrganizationRow {
        id: OrganizationId::generate(),
        kind,
        name: name.to_owned(),
        name_ar: name_ar.to_owned(),
        search_key: search_key(&format!("{name} {name_ar}")),
        country: country.map(str::to_owned),
        parent_id: parent.cloned(),
        status: OrgStatus::Active,
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
        id: UserId::generate(),
        organization_id: org.id.clone(),
        email: email.to_owned(),
        full_name: full_name.to_owned(),
        role,
        language,
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
    .map_err(|e: crate::storage::QueryError| e.to_string())?;
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
        let mut callers = Vec::new();
        for d in DEMO {
            let parent = if d.kind == OrgKind::Agency {
                office_id.as_ref()
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
            let admin = user(
                &org,
                d.email,
                d.full_name,
                Role::Admin,
                d.language,
                hash.clone(),
            );
            users::insert(conn, &admin)?;
            callers.push(Caller {
                actor: Actor::User {
                    id: admin.id,
                    session: SessionId::generate(),
                },
                standing: Standing {
                    role: Role::Admin,
                    organization_id: org.id,
                    kind: d.kind,
                    country: org.country,
                    parent_id: org.parent_id,
                },
            });
        }
        season(conn, &callers).map_err(|e| {
            tracing::error!(code = e.code, "the demo season was refused");
            crate::storage::QueryError::RollbackTransaction
        })
    })
    .map_err(|e: crate::storage::QueryError| e.to_string())?;
    Ok(logins)
}

/// Who takes a step, which, and why.
type Step<'a> = (&'a Caller, Action, Option<&'static str>);
/// Client, facility, terms, first and last day, unit price, and the steps it goes through.
type DemoContract<'a> = (
    &'a Caller,
    &'a FacilityId,
    Terms,
    &'static str,
    &'static str,
    &'static str,
    &'a [Step<'a>],
);

/// A one-page PDF showing `lines` (ASCII), as small as a valid PDF gets.
fn one_page_pdf(lines: &[&str]) -> Vec<u8> {
    let mut text = String::from("BT /F1 14 Tf 72 760 Td 20 TL");
    for line in lines {
        let escaped = line
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        text.push_str(&format!(" ({escaped}) '"));
    }
    text.push_str(" ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut pdf = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.push_str(&format!("{} 0 obj\n{object}\nendobj\n", i + 1));
    }
    let xref = pdf.len();
    pdf.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for offset in offsets {
        pdf.push_str(&format!("{offset:010} 00000 n \n"));
    }
    pdf.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    pdf.into_bytes()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap_or_default()
}

/// The demo season's money: every contract type paid 30% at approval, 40% when its service
/// starts and 30% after the season, with a 5% guarantee at submission; the clients' wallets
/// funded by bank transfer.
fn money(
    conn: &mut DbConnection,
    ministry: &Caller,
    season_id: &SeasonId,
    funds: &[(&Caller, &str)],
) -> Result<(), Error> {
    use crate::domain::ledger::{Due, Instalment};
    use crate::usecases::money::{self, Transfer};
    let season_id = season_id.to_owned();
    let instalments = [
        (30, Due::Approval),
        (40, Due::ServiceStart),
        (30, Due::SeasonEnd),
    ]
    .map(|(share_percent, due)| Instalment { share_percent, due })
    .to_vec();
    for contract_type in crate::domain::season::ContractType::ALL {
        money::set_schedule(
            conn,
            ministry,
            &season_id,
            *contract_type,
            Ok((instalments.clone(), 5)),
        )?;
    }
    for (i, (client, amount)) in funds.iter().enumerate() {
        let transfer = Transfer {
            organization_id: client.organization_id.clone(),
            amount: Money::parse(amount).map_err(|_| Error::internal())?,
            bank_reference: format!("DEMO-1448-{:04}", i + 1),
            memo: "Season advance".to_owned(),
        };
        money::fund(conn, ministry, &season_id, Ok(transfer))?;
    }
    Ok(())
}

/// The demo season: Hajj 1448 with quotas, allocations, four facilities and contracts in several
/// states, made through the same code paths as the API's.
fn season(conn: &mut DbConnection, callers: &[Caller]) -> Result<(), Error> {
    let [ministry, office, agency, provider, ..] = callers else {
        return Err(Error::internal());
    };
    let at = now();
    let season = SeasonRow {
        id: SeasonId::generate(),
        kind: SeasonKind::Hajj,
        hijri_year: 1448,
        name: "Hajj 1448 (demo)".to_owned(),
        starts_on: day("2027-04-01"),
        ends_on: day("2027-06-30"),
        housing_deadline: day("2027-03-15"),
        transport_deadline: day("2027-03-31"),
        catering_deadline: day("2027-03-31"),
        version: 1,
        created_at: at,
        updated_at: at,
    };
    seasons::insert(conn, &season)?;
    let fail = |_| Error::internal();
    seasons::set_quota(conn, &season.id, "ID", 20_000).map_err(fail)?;
    seasons::set_quota(conn, &season.id, "MY", 10_000).map_err(fail)?;
    seasons::set_allocation(
        conn,
        &season.id,
        &office.organization_id,
        Parent::Quota { country: "ID" },
        12_000,
    )
    .map_err(|_| Error::internal())?;
    seasons::set_allocation(
        conn,
        &season.id,
        &agency.organization_id,
        Parent::Office {
            office_id: &office.organization_id,
        },
        3_000,
    )
    .map_err(|_| Error::internal())?;
    let facility = |conn: &mut DbConnection,
                    kind: FacilityKind,
                    name: &str,
                    city: Place,
                    capacity: i64|
     -> Result<FacilityId, Error> {
        let (latin, arabic) = name.split_once(" - ").unwrap_or((name, ""));
        let row = FacilityRow {
            id: FacilityId::generate(),
            provider_id: provider.organization_id.clone(),
            kind,
            name: latin.to_owned(),
            name_ar: arabic.to_owned(),
            search_key: search_key(name),
            city,
            licence_no: format!(
                "DEMO-{}-{}",
                kind.as_str().to_uppercase(),
                &FacilityId::generate().as_str()[24..]
            ),
            licence_valid_from: day("2027-01-01"),
            licence_valid_to: day("2027-12-31"),
            capacity,
            version: 1,
            created_at: now(),
            updated_at: now(),
        };
        facilities::insert(conn, &row)?;
        Ok(row.id)
    };
    let makkah = facility(
        conn,
        FacilityKind::Building,
        "Al-Safwa Tower 1 - برج الصفوة",
        Place::Makkah,
        800,
    )?;
    let madinah = facility(
        conn,
        FacilityKind::Building,
        "Al-Madinah Suites - أجنحة المدينة",
        Place::Madinah,
        400,
    )?;
    let fleet = facility(
        conn,
        FacilityKind::Fleet,
        "Al-Safwa Transport - نقل الصفوة",
        Place::Jed,
        300,
    )?;
    let kitchen = facility(
        conn,
        FacilityKind::Kitchen,
        "Al-Safwa Kitchen - مطبخ الصفوة",
        Place::Makkah,
        2_000,
    )?;
    // The tower's licence, as its provider would scan and attach it.
    crate::usecases::documents::attach(
        conn,
        provider,
        &crate::usecases::documents::Record {
            kind: crate::domain::document::RecordKind::Facility,
            id: makkah.to_string(),
        },
        Ok(crate::usecases::documents::Upload {
            kind: Some("licence".to_owned()),
            valid_from: Some("2027-01-01".to_owned()),
            valid_until: Some("2027-12-31".to_owned()),
            file: Some(crate::usecases::documents::File {
                name: "building-licence-al-safwa-tower-1.pdf".to_owned(),
                declared: Some("application/pdf".to_owned()),
                content: std::sync::Arc::new(one_page_pdf(&[
                    "Building licence",
                    "Al-Safwa Tower 1, Makkah: 800 beds",
                    "Valid from 2027-01-01 to 2027-12-31",
                ])),
            }),
        }),
    )?;

    // Each contract: who files it, where, what, when, at what price, and how far it goes.
    use Action::{Accept, Approve, Decline, Return, Submit};
    let transport = |from, to, seats| Terms::Transport { from, to, seats };
    let catering = |pilgrims, meals_per_day| Terms::Catering {
        pilgrims,
        meals_per_day,
    };
    let plan: [DemoContract<'_>; 10] = [
        // The office's Jakarta group is fully covered: a ready client, all visa-eligible.
        (
            office,
            &makkah,
            Terms::Housing { beds: 300 },
            "2027-05-08",
            "2027-05-19",
            "180.00",
            &[
                (office, Submit, None),
                (provider, Accept, None),
                (ministry, Approve, None),
            ],
        ),
        (
            office,
            &kitchen,
            catering(300, 3),
            "2027-05-08",
            "2027-05-19",
            "25.00",
            &[
                (office, Submit, None),
                (provider, Accept, None),
                (ministry, Approve, None),
            ],
        ),
        (
            office,
            &fleet,
            transport(Place::Jed, Place::Makkah, 150),
            "2027-05-08",
            "2027-05-08",
            "45.00",
            &[
                (office, Submit, None),
                (provider, Accept, None),
                (ministry, Approve, None),
            ],
        ),
        (
            office,
            &fleet,
            transport(Place::Makkah, Place::Jed, 150),
            "2027-05-20",
            "2027-05-20",
            "45.00",
            &[
                (office, Submit, None),
                (provider, Accept, None),
                (ministry, Approve, None),
            ],
        ),
        (
            office,
            &fleet,
            transport(Place::Makkah, Place::Mashaer, 150),
            "2027-05-13",
            "2027-05-13",
            "30.00",
            &[(office, Submit, None), (provider, Accept, None)],
        ),
        // The agency's Surabaya group is not: a returned, a declined, a pending and a draft
        // contract, and an approved kitchen that failed its inspection.
        (
            agency,
            &madinah,
            Terms::Housing { beds: 100 },
            "2027-05-21",
            "2027-05-25",
            "140.00",
            &[
                (agency, Submit, None),
                (provider, Accept, None),
                (
                    ministry,
                    Return,
                    Some("The nights do not match the group's stay."),
                ),
            ],
        ),
        (
            agency,
            &kitchen,
            catering(80, 2),
            "2027-05-14",
            "2027-05-20",
            "22.50",
            &[
                (agency, Submit, None),
                (provider, Accept, None),
                (ministry, Approve, None),
            ],
        ),
        (
            agency,
            &kitchen,
            catering(100, 2),
            "2027-05-21",
            "2027-05-25",
            "22.50",
            &[
                (agency, Submit, None),
                (
                    provider,
                    Decline,
                    Some("This kitchen does not serve Madinah."),
                ),
            ],
        ),
        (
            agency,
            &fleet,
            transport(Place::Jed, Place::Makkah, 80),
            "2027-05-14",
            "2027-05-14",
            "45.00",
            &[(agency, Submit, None)],
        ),
        (
            agency,
            &makkah,
            Terms::Housing { beds: 80 },
            "2027-05-14",
            "2027-05-20",
            "175.00",
            &[],
        ),
    ];
    money(
        conn,
        ministry,
        &season.id,
        &[(office, "1500000"), (agency, "450000")],
    )?;
    let mut failed_kitchen = None;
    for (i, (client, facility, terms, from, to, unit_price, steps)) in plan.iter().enumerate() {
        let price = Money::parse(unit_price).map_err(|_| Error::internal())?;
        let booking = Booking {
            terms: *terms,
            starts_on: day(from),
            ends_on: day(to),
        };
        let new = NewContract {
            season_id: season.id.clone(),
            facility_id: FacilityId::from_stored(facility.as_ref()),
            booking,
            unit_price: price,
        };
        let c = contracts::draft(conn, (client, None), Ok(new))?.contract;
        for (by, action, reason) in steps.iter() {
            contracts::act(
                conn,
                (by, None),
                &c.id,
                *action,
                Ok(reason.map(str::to_owned)),
            )?;
        }
        if i == 6 {
            failed_kitchen = Some(c);
        }
    }
    if let (Some(c), Some(tawafa)) = (failed_kitchen, callers.get(4)) {
        crate::usecases::inspections::record(
            conn,
            tawafa,
            Ok(NewInspection {
                contract_id: c.id,
                inspected_on: day("2026-11-01"),
                passed: false,
                findings: "Cold storage above 5 °C; food handlers without certificates.".to_owned(),
            }),
        )?;
    }
    let season_id = season.id.clone();
    let group = |name: &str, pilgrims: i64, from: &str, to: &str| {
        let (from, to) = (day(from), day(to));
        Ok(GroupPlan {
            name: name.to_owned(),
            pilgrims,
            arrival: (Place::Jed, from),
            departure: (Place::Jed, to),
            stays: vec![Stay {
                city: Place::Makkah,
                from,
                to,
            }],
        })
    };
    groups::plan(
        conn,
        office,
        &season_id,
        group("Jakarta 1", 150, "2027-05-08", "2027-05-20"),
    )?;
    groups::plan(
        conn,
        agency,
        &season_id,
        group("Surabaya 1", 80, "2027-05-14", "2027-05-21"),
    )?;
    Ok(())
}
