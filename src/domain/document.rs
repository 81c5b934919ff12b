//! Documents: the papers a record carries (docs/domain.md section 12): what kind each is, the
//! records they attach to, which contents are accepted (recognised by their first bytes, never by
//! their name or declared type) and how an uploaded name is cleaned.

use chrono::NaiveDate;

use super::Invalid;
use super::organization::string_enum;

string_enum!(
    /// What a document proves.
    DocumentKind {
        Licence = "licence",
        CivilDefence = "civil_defence",
        Lease = "lease",
        Insurance = "insurance",
        Permit = "permit",
        HealthCertificate = "health_certificate",
        SignedContract = "signed_contract",
        InspectionReport = "inspection_report",
        Other = "other",
    }
);

string_enum!(
    /// The kind of record a document is attached to.
    RecordKind {
        Facility = "facility",
        Contract = "contract",
        Amendment = "amendment",
        Inspection = "inspection",
    }
);

string_enum!(
    /// The contents accepted, as recognised from their first bytes.
    MediaType {
        Pdf = "application/pdf",
        Jpeg = "image/jpeg",
        Png = "image/png",
    }
);

/// The largest document: 10 MiB.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;
/// What the documents of one record may weigh together, withdrawn ones aside: 50 MiB.
pub const MAX_RECORD_BYTES: i64 = 50 * 1024 * 1024;
/// How many documents one record may carry, withdrawn ones aside.
pub const MAX_PER_RECORD: i64 = 50;
/// The longest name kept, in characters.
pub const MAX_NAME_CHARS: usize = 120;

/// A document of a facility that an approved contract relies on, as the lapse check reads it.
#[derive(Clone, Debug)]
pub struct Held {
    pub contract_id: crate::domain::ids::ContractId,
    pub contract_ends_on: NaiveDate,
    pub facility_id: crate::domain::ids::FacilityId,
    /// The facility's name, and in Arabic.
    pub facility_name: (String, String),
    pub document_id: crate::domain::ids::DocumentId,
    pub kind: DocumentKind,
    pub valid_until: Option<NaiveDate>,
}

/// A kind of paper a facility holds that lapses before the end of an approved contract relying on
/// it (R25): the document of that kind valid the longest still ends before the contract does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lapse {
    pub contract_id: crate::domain::ids::ContractId,
    pub contract_ends_on: NaiveDate,
    pub facility_id: crate::domain::ids::FacilityId,
    /// The facility's name, and in Arabic.
    pub facility_name: (String, String),
    /// The document of the kind valid the longest.
    pub document_id: crate::domain::ids::DocumentId,
    pub kind: DocumentKind,
    /// Its last valid day.
    pub valid_until: NaiveDate,
}

/// The lapses among the documents held for contracts (withdrawn ones left out by the caller): per
/// contract and kind, the document valid the longest (one stating no end is valid for good) ends
/// before the contract. By contract, then kind.
pub fn lapses(held: impl IntoIterator<Item = Held>) -> Vec<Lapse> {
    let mut longest: std::collections::BTreeMap<(crate::domain::ids::ContractId, &str), Held> =
        Default::default();
    for h in held {
        let key = (h.contract_id.clone(), h.kind.as_str());
        let longer = |kept: &Held| match (kept.valid_until, h.valid_until) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(a), Some(b)) => (b, &h.document_id) > (a, &kept.document_id),
        };
        if longest.get(&key).is_none_or(longer) {
            longest.insert(key, h);
        }
    }
    longest
        .into_values()
        .filter_map(|h| {
            let until = h.valid_until.filter(|u| *u < h.contract_ends_on)?;
            Some(Lapse {
                contract_id: h.contract_id,
                contract_ends_on: h.contract_ends_on,
                facility_id: h.facility_id,
                facility_name: h.facility_name,
                document_id: h.document_id,
                kind: h.kind,
                valid_until: until,
            })
        })
        .collect()
}

impl MediaType {
    /// The accepted type `content` is, from its first bytes; `None` for anything else (an
    /// executable, an archive, HTML, an empty file).
    pub fn sniff(content: &[u8]) -> Option<MediaType> {
        if content.starts_with(b"%PDF-") {
            Some(MediaType::Pdf)
        } else if content.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(MediaType::Jpeg)
        } else if content.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(MediaType::Png)
        } else {
            None
        }
    }

    /// The extension a name of this type ends with.
    pub fn extension(self) -> &'static str {
        match self {
            MediaType::Pdf => "pdf",
            MediaType::Jpeg => "jpg",
            MediaType::Png => "png",
        }
    }
}

/// What an upload declared of itself: the part's `Content-Type`, if any.
/// A declared type that names another accepted type than the content is is refused
/// (`type_mismatch`): a PDF declared as an image is not what its uploader meant to send. A generic
/// one (`application/octet-stream`) or none is judged by the content alone.
pub fn check_declared(declared: Option<&str>, actual: MediaType) -> Result<(), Invalid> {
    let declared = declared.map(|d| {
        d.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    match declared.as_deref() {
        None | Some("") | Some("application/octet-stream") => Ok(()),
        Some("image/jpg") if actual == MediaType::Jpeg => Ok(()),
        Some(d) if d == actual.as_str() => Ok(()),
        Some(_) => Err(Invalid::new("type_mismatch")),
    }
}

/// An uploaded name made safe to keep and to send back: no directories, no control or quoting
/// characters, at most [`MAX_NAME_CHARS`] characters, and the extension of what the content is (a
/// PNG named `licence.pdf` is kept as `licence.png`). Nothing left: `document.<ext>`.
pub fn clean_name(raw: &str, media: MediaType) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let kept: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | '|' | '*' | '?' | ':'))
        .collect();
    let kept = kept.trim().trim_start_matches('.').trim();
    let stem = match kept.rsplit_once('.') {
        Some((stem, _)) => stem.trim(),
        None => kept,
    };
    let stem: String = stem.chars().take(MAX_NAME_CHARS - 5).collect();
    let stem = if stem.is_empty() { "document" } else { &stem };
    format!("{stem}.{}", media.extension())
}

/// A validity window: either end may be open, and it may not end before it starts.
pub fn check_validity(from: Option<NaiveDate>, until: Option<NaiveDate>) -> Result<(), Invalid> {
    match (from, until) {
        (Some(f), Some(u)) if u < f => Err(Invalid::new("invalid_range")),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{ContractId, DocumentId, FacilityId};

    #[test]
    fn a_kind_lapses_when_its_longest_valid_paper_ends_before_the_contract() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let held = |contract: &str, doc: &str, kind, until: Option<&str>| Held {
            contract_id: ContractId::from_stored(contract),
            contract_ends_on: d("2027-05-20"),
            facility_id: FacilityId::from_stored("f"),
            facility_name: ("Tower".into(), String::new()),
            document_id: DocumentId::from_stored(doc),
            kind,
            valid_until: until.map(d),
        };
        let licence = DocumentKind::Licence;
        let lapsed = lapses([
            // Two licences ending before the contract: the later one is named.
            held("c1", "a", licence, Some("2027-05-01")),
            held("c1", "b", licence, Some("2027-05-19")),
            // A certificate renewed to the contract's last day, one stating no end: neither lapses.
            held("c1", "c", DocumentKind::CivilDefence, Some("2027-05-10")),
            held("c1", "d", DocumentKind::CivilDefence, Some("2027-05-20")),
            held("c2", "e", licence, Some("2027-01-01")),
            held("c2", "f", licence, None),
        ]);
        assert_eq!(lapsed.len(), 1, "{lapsed:?}");
        assert_eq!(
            (
                lapsed[0].contract_id.as_str(),
                lapsed[0].document_id.as_str()
            ),
            ("c1", "b")
        );
        assert_eq!(lapsed[0].valid_until, d("2027-05-19"));
    }

    #[test]
    fn contents_are_recognised_by_their_first_bytes() {
        assert_eq!(MediaType::sniff(b"%PDF-1.7\n..."), Some(MediaType::Pdf));
        assert_eq!(
            MediaType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]),
            Some(MediaType::Jpeg)
        );
        assert_eq!(
            MediaType::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(MediaType::Png)
        );
        for refused in [
            &b"MZ\x90\0\x03"[..],
            b"\x7fELF\x02\x01",
            b"<html><script>",
            b"PK\x03\x04",
            b"",
            b" %PDF-1.7",
        ] {
            assert_eq!(MediaType::sniff(refused), None, "{refused:?}");
        }
    }

    #[test]
    fn a_declared_type_must_agree_with_the_content() {
        assert!(check_declared(None, MediaType::Pdf).is_ok());
        assert!(check_declared(Some("application/octet-stream"), MediaType::Png).is_ok());
        assert!(check_declared(Some("Application/PDF; charset=binary"), MediaType::Pdf).is_ok());
        assert!(check_declared(Some("image/jpg"), MediaType::Jpeg).is_ok());
        assert_eq!(
            check_declared(Some("image/png"), MediaType::Pdf)
                .unwrap_err()
                .code,
            "type_mismatch"
        );
        assert!(check_declared(Some("text/html"), MediaType::Pdf).is_err());
    }

    #[test]
    fn names_are_cleaned() {
        let pdf = MediaType::Pdf;
        assert_eq!(clean_name("licence 2027.pdf", pdf), "licence 2027.pdf");
        assert_eq!(clean_name("../../etc/passwd", pdf), "passwd.pdf");
        assert_eq!(clean_name("C:\\scans\\lease.PDF", pdf), "lease.pdf");
        assert_eq!(clean_name("a\"b\r\nc<d>.pdf", pdf), "abcd.pdf");
        assert_eq!(clean_name("photo.pdf", MediaType::Png), "photo.png");
        assert_eq!(clean_name("", pdf), "document.pdf");
        assert_eq!(clean_name("...", pdf), "document.pdf");
        assert_eq!(clean_name("رخصة البناء.pdf", pdf), "رخصة البناء.pdf");
        let long = "x".repeat(500);
        assert!(clean_name(&long, pdf).chars().count() <= MAX_NAME_CHARS);
    }
}
