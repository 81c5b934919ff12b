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
