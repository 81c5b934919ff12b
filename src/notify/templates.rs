//! Every notification's words, in English, Arabic, French and Persian, in one place.

use crate::domain::organization::Language;

/// What happened, for whom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Template {
    ContractSubmitted,
    ContractAccepted,
    ContractDeclined,
    ContractApproved,
    ContractReturned,
    ContractRejected,
    ContractCancelled,
    InspectionFailed,
    DeadlineReminder,
    WalletShort,
    DocumentExpiring,
    WebhookDisabled,
}

impl Template {
    pub const ALL: [Template; 12] = [
        Template::ContractSubmitted,
        Template::ContractAccepted,
        Template::ContractDeclined,
        Template::ContractApproved,
        Template::ContractReturned,
        Template::ContractRejected,
        Template::ContractCancelled,
        Template::InspectionFailed,
        Template::DeadlineReminder,
        Template::WalletShort,
        Template::DocumentExpiring,
        Template::WebhookDisabled,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Template::ContractSubmitted => "contract_submitted",
            Template::ContractAccepted => "contract_accepted",
            Template::ContractDeclined => "contract_declined",
            Template::ContractApproved => "contract_approved",
            Template::ContractReturned => "contract_returned",
            Template::ContractRejected => "contract_rejected",
            Template::ContractCancelled => "contract_cancelled",
            Template::InspectionFailed => "inspection_failed",
            Template::DeadlineReminder => "deadline_reminder",
            Template::WalletShort => "wallet_short",
            Template::DocumentExpiring => "document_expiring",
            Template::WebhookDisabled => "webhook_disabled",
        }
    }

    pub fn parse(key: &str) -> Option<Template> {
        Template::ALL.into_iter().find(|t| t.key() == key)
    }

    /// The subject line in English, Arabic, French and Persian.
    fn subject(self) -> [&'static str; 4] {
        match self {
            Template::ContractSubmitted => [
                "New {type} contract from {client}",
                "عقد {type} جديد من {client}",
                "Nouveau contrat de {type} de {client}",
                "قرارداد {type} تازه از {client}",
            ],
            Template::ContractAccepted => [
                "{provider} accepted your {type} contract",
                "قبل {provider} عقد {type} الخاص بكم",
                "{provider} a accepté votre contrat de {type}",
                "{provider} قرارداد {type} شما را پذیرفت",
            ],
            Template::ContractDeclined => [
                "{provider} declined your {type} contract",
                "رفض {provider} عقد {type} الخاص بكم",
                "{provider} a refusé votre contrat de {type}",
                "{provider} قرارداد {type} شما را نپذیرفت",
            ],
            Template::ContractApproved => [
                "The ministry approved the {type} contract",
                "اعتمدت الوزارة عقد {type}",
                "Le ministère a approuvé le contrat de {type}",
                "وزارت قرارداد {type} را تأیید کرد",
            ],
            Template::ContractReturned => [
                "The ministry returned your {type} contract",
                "أعادت الوزارة عقد {type} الخاص بكم",
                "Le ministère vous a renvoyé le contrat de {type}",
                "وزارت قرارداد {type} شما را برای اصلاح بازگرداند",
            ],
            Template::ContractRejected => [
                "The ministry rejected the {type} contract",
                "رفضت الوزارة عقد {type}",
                "Le ministère a rejeté le contrat de {type}",
                "وزارت قرارداد {type} را رد کرد",
            ],
            Template::ContractCancelled => [
                "The {type} contract was cancelled",
                "ألغي عقد {type}",
                "Le contrat de {type} a été annulé",
                "قرارداد {type} لغو شد",
            ],
            Template::InspectionFailed => [
                "Failed inspection: {facility}",
                "إخفاق في التفتيش: {facility}",
                "Inspection non conforme : {facility}",
                "بازرسی مردود: {facility}",
            ],
            Template::WebhookDisabled => [
                "Webhook deliveries stopped after a day of failures",
                "توقف إرسال إشعارات الويب بعد يوم من الإخفاق",
                "Envois du webhook arrêtés après un jour d’échecs",
                "ارسال‌های وب‌هوک پس از یک روز ناکامی متوقف شد",
            ],
            Template::WalletShort => [
                "Your {season} wallet is {amount} SAR short of contracts starting within {days}",
                "ينقص محفظتكم لموسم {season} مبلغ {amount} ريال لعقود تبدأ خلال {days}",
                "Il manque {amount} SAR à votre portefeuille de {season} pour des contrats qui commencent d’ici {days}",
                "کیف پول شما در فصل {season} برای قراردادهایی که تا {days} دیگر آغاز می‌شوند {amount} ریال کم دارد",
            ],
            Template::DocumentExpiring => [
                "The {document} of {facility} lapses in {days}, before a contract ends",
                "تنتهي صلاحية {document} لـ{facility} خلال {days}، قبل انتهاء عقد",
                "Le document « {document} » de {facility} expire d’ici {days}, avant la fin d’un contrat",
                "اعتبار {document} {facility} تا {days} دیگر پیش از پایان یک قرارداد به سر می‌رسد",
            ],
            Template::DeadlineReminder => [
                "{days} left to file {type} contracts for {season}",
                "بقي {days} على إغلاق تقديم عقود {type_the} لموسم {season}",
                "Plus que {days} pour déposer les contrats de {type} de {season}",
                "{days} تا پایان مهلت ثبت قراردادهای {type} فصل {season} مانده است",
            ],
        }
    }
}

/// The text of `lang` among the four.
fn pick(texts: [&'static str; 4], lang: Language) -> &'static str {
    match lang {
        Language::English => texts[0],
        Language::Arabic => texts[1],
        Language::French => texts[2],
        Language::Persian => texts[3],
    }
}

/// The writing direction of `lang`.
pub fn direction(lang: Language) -> &'static str {
    match lang {
        Language::Arabic | Language::Persian => "rtl",
        Language::English | Language::French => "ltr",
    }
}

fn label(key: &str, lang: Language) -> &'static str {
    let texts = match key {
        "contract" => ["Contract", "العقد", "Contrat", "قرارداد"],
        "facility" => ["Facility", "المنشأة", "Établissement", "مرکز"],
        "client" => ["Client", "الجهة", "Client", "متقاضی"],
        "provider" => ["Provider", "مزود الخدمة", "Prestataire", "ارائه‌دهندهٔ خدمت"],
        "status" => ["Status", "الحالة", "Statut", "وضعیت"],
        "dates" => ["Dates", "التواريخ", "Dates", "تاریخ‌ها"],
        "reason" => ["Reason", "السبب", "Motif", "دلیل"],
        "link" => ["Open", "فتح", "Ouvrir", "باز کردن"],
        "season" => ["Season", "الموسم", "Saison", "فصل"],
        "deadline" => ["Deadline", "الموعد النهائي", "Date limite", "مهلت"],
        "readiness" => ["Readiness", "الجاهزية", "Préparation", "آمادگی"],
        "webhook" => ["Webhook", "إشعار الويب", "Webhook", "وب‌هوک"],
        "falling_due" => [
            "Contracts awaiting approval (SAR)",
            "عقود تنتظر الاعتماد (ريال)",
            "Contrats en attente d’approbation (SAR)",
            "قراردادهای در انتظار تأیید (ریال)",
        ],
        "wallet" => [
            "In the wallet (SAR)",
            "رصيد المحفظة (ريال)",
            "Dans le portefeuille (SAR)",
            "موجودی کیف پول (ریال)",
        ],
        "first_day" => [
            "The first of them starts on",
            "يبدأ أولها في",
            "Le premier commence le",
            "نخستین آن‌ها آغاز می‌شود در",
        ],
        "document" => ["Document", "المستند", "Document", "سند"],
        "valid_until" => ["Valid until", "صالح حتى", "Valable jusqu’au", "معتبر تا"],
        "lapsing" => [
            "renew it before the contract ends: until then the client is not ready",
            "جدّدوه قبل انتهاء العقد: إلى ذلك الحين لا تكون الجهة جاهزة",
            "renouvelez-le avant la fin du contrat : d’ici là le client n’est pas prêt",
            "پیش از پایان قرارداد آن را تمدید کنید: تا آن زمان متقاضی آماده نیست",
        ],
        "doc_licence" => ["licence", "الترخيص", "licence", "پروانه"],
        "doc_civil_defence" => [
            "civil defence certificate",
            "شهادة الدفاع المدني",
            "certificat de la protection civile",
            "گواهی دفاع مدنی",
        ],
        "doc_lease" => ["lease", "عقد الإيجار", "bail", "اجاره‌نامه"],
        "doc_insurance" => [
            "insurance policy",
            "وثيقة التأمين",
            "police d’assurance",
            "بیمه‌نامه",
        ],
        "doc_permit" => [
            "operating permit",
            "تصريح التشغيل",
            "permis d’exploitation",
            "مجوز بهره‌برداری",
        ],
        "doc_health_certificate" => [
            "health certificate",
            "الشهادة الصحية",
            "certificat sanitaire",
            "گواهی بهداشت",
        ],
        "doc_signed_contract" => [
            "signed contract",
            "العقد الموقع",
            "contrat signé",
            "قرارداد امضاشده",
        ],
        "doc_inspection_report" => [
            "inspection report",
            "تقرير التفتيش",
            "rapport d’inspection",
            "گزارش بازرسی",
        ],
        "doc_other" => ["document", "مستند", "document", "سند"],
        "webhook_disabled" => [
            "disabled: turn it back on once the receiver answers again",
            "موقوف: أعيدوا تفعيله حين يستجيب المستقبِل",
            "désactivé : réactivez-le quand le récepteur répond de nouveau",
            "غیرفعال: وقتی گیرنده دوباره پاسخ داد، آن را فعال کنید",
        ],
        "incomplete" => [
            "incomplete: some nights, trips or meals are not covered",
            "غير مكتملة: بعض الليالي أو التنقلات أو الوجبات غير مغطاة",
            "incomplète : des nuits, trajets ou repas ne sont pas couverts",
            "ناقص: برخی شب‌ها، سفرها یا وعده‌ها پوشش داده نشده‌اند",
        ],
        "housing" => ["housing", "إسكان", "logement", "اسکان"],
        "transport" => ["transport", "نقل", "transport", "حمل‌ونقل"],
        "catering" => ["catering", "إعاشة", "restauration", "تغذیه"],
        "housing_the" => ["housing", "الإسكان", "logement", "اسکان"],
        "transport_the" => ["transport", "النقل", "transport", "حمل‌ونقل"],
        "catering_the" => ["catering", "الإعاشة", "restauration", "تغذیه"],
        "draft" => ["draft", "مسودة", "brouillon", "پیش‌نویس"],
        "pending_provider" => [
            "awaiting the provider",
            "بانتظار مزود الخدمة",
            "en attente du prestataire",
            "در انتظار ارائه‌دهنده",
        ],
        "pending_review" => [
            "awaiting the ministry's review",
            "بانتظار مراجعة الوزارة",
            "en attente de la revue du ministère",
            "در انتظار بررسی وزارت",
        ],
        "approved" => ["approved", "معتمد", "approuvé", "تأییدشده"],
        "returned" => [
            "returned for changes",
            "معاد للتعديل",
            "renvoyé pour modification",
            "بازگشته برای اصلاح",
        ],
        "declined" => [
            "declined",
            "مرفوض من المزود",
            "refusé par le prestataire",
            "ردشده از سوی ارائه‌دهنده",
        ],
        "rejected" => ["rejected", "مرفوض", "rejeté", "ردشده"],
        "cancelled" => ["cancelled", "ملغى", "annulé", "لغوشده"],
        _ => return "",
    };
    pick(texts, lang)
}

/// What a notification is about.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Params {
    pub contract_id: String,
    pub contract_type: String,
    pub status: String,
    pub facility: String,
    pub client: String,
    pub provider: String,
    /// The same names in Arabic, for Arabic readers (empty where none was given).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub facility_ar: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_ar: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub provider_ar: String,
    pub dates: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Where to see it.
    pub link: String,
    /// Reminders: the season and the days left before the deadline.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub season: String,
    #[serde(default)]
    pub days_left: i64,
    /// A webhook's target URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub target: String,
    /// Wallet reminders: what the wallet lacks, what falls due and what it holds (SAR).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub amount: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub falling_due: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub wallet: String,
    /// Expiry reminders: the kind of the lapsing paper.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub document: String,
}

/// A rendered message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A name in the reader's language: the Arabic one for Arabic and Persian readers, where there
/// is one (as the console shows them).
fn named<'a>(name: &'a str, arabic: &'a str, lang: Language) -> &'a str {
    match lang {
        Language::Arabic | Language::Persian if !arabic.is_empty() => arabic,
        _ => name,
    }
}

/// "n days" as each language says it (Arabic: يوم واحد، يومان، 3-10 أيام، 11 يوماً فأكثر).
fn days(n: i64, lang: Language) -> String {
    match (lang, n) {
        (Language::English, 1) => "1 day".to_owned(),
        (Language::English, _) => format!("{n} days"),
        (Language::Arabic, 1) => "يوم واحد".to_owned(),
        (Language::Arabic, 2) => "يومان".to_owned(),
        (Language::Arabic, 3..=10) => format!("{n} أيام"),
        (Language::Arabic, _) => format!("{n} يوماً"),
        (Language::French, 1) => "1 jour".to_owned(),
        (Language::French, _) => format!("{n} jours"),
        (Language::Persian, _) => format!("{n} روز"),
    }
}

fn fill(pattern: &str, params: &Params, lang: Language) -> String {
    pattern
        .replace("{type}", label(&params.contract_type, lang))
        .replace(
            "{type_the}",
            label(&format!("{}_the", params.contract_type), lang),
        )
        .replace("{client}", named(&params.client, &params.client_ar, lang))
        .replace(
            "{provider}",
            named(&params.provider, &params.provider_ar, lang),
        )
        .replace(
            "{facility}",
            named(&params.facility, &params.facility_ar, lang),
        )
        .replace("{season}", &params.season)
        .replace("{days}", &days(params.days_left, lang))
        .replace("{amount}", &params.amount)
        .replace("{document}", document_word(params, lang))
}

/// The kind of the paper a reminder is about, in words.
fn document_word(params: &Params, lang: Language) -> &'static str {
    label(&format!("doc_{}", params.document), lang)
}

/// HTML-escapes text that users wrote (names, reasons).
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub fn render(template: Template, params: &Params, lang: Language) -> Rendered {
    let pattern = pick(template.subject(), lang);
    // Subjects are one line: whatever a name holds, no line break reaches the header.
    let subject: String = fill(pattern, params, lang)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut lines: Vec<(&str, String)> = if template == Template::WebhookDisabled {
        vec![
            ("webhook", params.target.clone()),
            ("status", label("webhook_disabled", lang).to_owned()),
        ]
    } else if template == Template::DocumentExpiring {
        vec![
            ("contract", params.contract_id.clone()),
            (
                "facility",
                named(&params.facility, &params.facility_ar, lang).to_owned(),
            ),
            ("document", document_word(params, lang).to_owned()),
            ("valid_until", params.dates.clone()),
            ("status", label("lapsing", lang).to_owned()),
        ]
    } else if template == Template::WalletShort {
        vec![
            ("season", params.season.clone()),
            ("falling_due", params.falling_due.clone()),
            ("wallet", params.wallet.clone()),
            ("first_day", params.dates.clone()),
        ]
    } else if template == Template::DeadlineReminder {
        vec![
            ("season", params.season.clone()),
            ("deadline", params.dates.clone()),
            ("readiness", label("incomplete", lang).to_owned()),
        ]
    } else {
        vec![
            ("contract", params.contract_id.clone()),
            (
                "facility",
                named(&params.facility, &params.facility_ar, lang).to_owned(),
            ),
            (
                "client",
                named(&params.client, &params.client_ar, lang).to_owned(),
            ),
            (
                "provider",
                named(&params.provider, &params.provider_ar, lang).to_owned(),
            ),
            ("dates", params.dates.clone()),
            ("status", label(&params.status, lang).to_owned()),
        ]
    };
    if let Some(reason) = &params.reason {
        lines.push(("reason", reason.clone()));
    }
    let mut text = format!("{subject}\n\n");
    let mut rows = String::new();
    for (key, value) in &lines {
        text.push_str(&format!("{}: {value}\n", label(key, lang)));
        rows.push_str(&format!(
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(label(key, lang)),
            escape(value)
        ));
    }
    text.push_str(&format!("\n{}: {}\n", label("link", lang), params.link));
    let (dir, code) = (direction(lang), lang.as_str());
    let html = format!(
        "<!DOCTYPE html><html lang=\"{code}\" dir=\"{dir}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body><h1>{title}</h1><table>{rows}</table><p><a href=\"{link}\">{open}</a></p></body></html>",
        title = escape(&subject),
        link = escape(&params.link),
        open = escape(label("link", lang)),
    );
    Rendered {
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> Params {
        Params {
            contract_id: "c1".into(),
            contract_type: "housing".into(),
            status: "returned".into(),
            facility: "Tower <1>".into(),
            client: "Office \"A\"\r\nBcc: evil@example.com".into(),
            provider: "Safwa & Co".into(),
            dates: "2027-05-10 – 2027-05-12".into(),
            reason: Some("<script>alert(1)</script>".into()),
            link: "http://127.0.0.1:8080/contracts/c1".into(),
            season: "Hajj 1448".into(),
            days_left: 7,
            ..Params::default()
        }
    }

    #[test]
    fn arabic_readers_get_arabic_names_and_natural_numbers() {
        let mut p = params();
        p.client = "Nusantara Travel".into();
        p.client_ar = "نوسانتارا للسفر".into();
        let ar = render(Template::ContractSubmitted, &p, Language::Arabic);
        assert!(ar.subject.contains("نوسانتارا للسفر"), "{}", ar.subject);
        let en = render(Template::ContractSubmitted, &p, Language::English);
        assert!(en.subject.contains("Nusantara Travel"));
        // Without an Arabic name, the name as given.
        p.client_ar.clear();
        let ar = render(Template::ContractSubmitted, &p, Language::Arabic);
        assert!(ar.subject.contains("Nusantara Travel"));
        for (days, words) in [
            (1, "يوم واحد"),
            (2, "يومان"),
            (7, "7 أيام"),
            (14, "14 يوماً"),
        ] {
            p.days_left = days;
            p.contract_type = "housing".into();
            let reminder = render(Template::DeadlineReminder, &p, Language::Arabic);
            assert!(reminder.subject.contains(words), "{}", reminder.subject);
            assert!(reminder.subject.contains("الإسكان"), "{}", reminder.subject);
        }
    }

    #[test]
    fn every_template_speaks_four_languages() {
        for t in Template::ALL {
            assert_eq!(Template::parse(t.key()), Some(t));
            let subjects: Vec<String> = [
                Language::English,
                Language::Arabic,
                Language::French,
                Language::Persian,
            ]
            .into_iter()
            .map(|lang| {
                let r = render(t, &params(), lang);
                assert!(!r.subject.trim().is_empty() && !r.text.is_empty() && !r.html.is_empty());
                assert!(r.html.contains(&format!("lang=\"{}\"", lang.as_str())));
                r.subject
            })
            .collect();
            for (i, a) in subjects.iter().enumerate() {
                for b in &subjects[i + 1..] {
                    assert_ne!(a, b, "{t:?}");
                }
            }
        }
        let fa = render(Template::ContractReturned, &params(), Language::Persian);
        assert!(fa.html.contains("dir=\"rtl\"") && fa.text.contains("بازگشته برای اصلاح"));
        let mut p = params();
        p.days_left = 1;
        let fr = render(Template::DeadlineReminder, &p, Language::French);
        assert!(fr.subject.starts_with("Plus que 1 jour "), "{}", fr.subject);
    }

    #[test]
    fn arabic_mail_reads_right_to_left() {
        let r = render(Template::ContractReturned, &params(), Language::Arabic);
        assert!(r.html.contains("dir=\"rtl\"") && r.html.contains("lang=\"ar\""));
        assert!(r.subject.contains("إسكان"));
        assert!(r.text.contains("معاد للتعديل"));
    }

    #[test]
    fn user_text_is_escaped_and_cannot_break_headers() {
        let r = render(Template::ContractSubmitted, &params(), Language::English);
        assert!(!r.subject.contains('\r') && !r.subject.contains('\n'));
        assert!(!r.html.contains("<script>") && r.html.contains("&lt;script&gt;"));
        assert!(r.html.contains("Safwa &amp; Co"));
    }

    #[test]
    fn unknown_labels_are_empty() {
        assert_eq!(label("contract", Language::Arabic), "العقد");
        assert_eq!(label("unknown-key", Language::French), "");
        assert!(
            pick(Template::ContractApproved.subject(), Language::English)
                .starts_with("The ministry")
        );
    }
}
