//! The message catalogue: every text a caller reads, in English and Arabic, keyed by stable codes.
//! Codes never change; texts may. A missing Arabic text falls back to English.

use actix_web::http::header::ACCEPT_LANGUAGE;
use actix_web::{HttpMessage, HttpRequest};

use crate::domain::organization::Language;

/// The signed-in user's saved language, as its access token carries it (put on the request by the
/// credentials extractor): the language of its answers when it asks for none.
#[derive(Clone, Copy, Debug)]
pub struct SavedLanguage(pub Language);

/// The language of a request: the one `Accept-Language` asks for (`ar` or `en`), else the signed-in
/// user's saved one, else English.
pub fn request_language(req: &HttpRequest) -> Language {
    asked_language(req)
        .or_else(|| req.extensions().get::<SavedLanguage>().map(|l| l.0))
        .unwrap_or(Language::English)
}

/// The language `Accept-Language` asks for, if it names one the portal speaks.
pub fn asked_language(req: &HttpRequest) -> Option<Language> {
    req.headers()
        .get(ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(accepted_language)
}

/// Picks the supported language with the highest quality; ties go to the first listed.
pub fn parse_accept_language(header: &str) -> Language {
    accepted_language(header).unwrap_or(Language::English)
}

/// The supported language with the highest quality, if any.
fn accepted_language(header: &str) -> Option<Language> {
    let mut best: Option<(f32, Language)> = None;
    for part in header.split(',') {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let quality = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let primary = tag.split('-').next().unwrap_or("");
        let lang = match primary {
            "ar" => Language::Arabic,
            "en" => Language::English,
            "fr" => Language::French,
            "fa" => Language::Persian,
            _ => continue,
        };
        if quality > 0.0 && best.is_none_or(|(q, _)| quality > q) {
            best = Some((quality, lang));
        }
    }
    best.map(|(_, l)| l)
}

struct Problem {
    code: &'static str,
    en: (&'static str, &'static str),
    ar: (&'static str, &'static str),
}

const PROBLEMS: &[Problem] = &[
    Problem {
        code: "malformed_json",
        en: ("Malformed JSON", "The request body is not valid JSON."),
        ar: ("صيغة JSON غير صحيحة", "محتوى الطلب ليس بصيغة JSON صحيحة."),
    },
    Problem {
        code: "invalid_query",
        en: (
            "Invalid query",
            "A query parameter is missing, malformed or out of range.",
        ),
        ar: (
            "معاملات الاستعلام غير صحيحة",
            "أحد معاملات الاستعلام مفقود أو غير صحيح أو خارج النطاق.",
        ),
    },
    Problem {
        code: "invalid_header",
        en: ("Invalid header", "A request header is malformed."),
        ar: ("ترويسة غير صحيحة", "إحدى ترويسات الطلب غير صحيحة."),
    },
    Problem {
        code: "unauthorized",
        en: (
            "Authentication required",
            "The credentials are missing, invalid, expired or revoked.",
        ),
        ar: (
            "المصادقة مطلوبة",
            "بيانات الاعتماد مفقودة أو غير صحيحة أو منتهية أو ملغاة.",
        ),
    },
    Problem {
        code: "invalid_credentials",
        en: (
            "Invalid credentials",
            "The email address or the password is wrong.",
        ),
        ar: (
            "بيانات الدخول غير صحيحة",
            "البريد الإلكتروني أو كلمة المرور غير صحيحة.",
        ),
    },
    Problem {
        code: "forbidden",
        en: ("Not allowed", "Your role does not allow this action."),
        ar: ("غير مسموح", "دورك لا يسمح بهذا الإجراء."),
    },
    Problem {
        code: "not_found",
        en: ("Not found", "There is no such resource."),
        ar: ("غير موجود", "المورد المطلوب غير موجود."),
    },
    Problem {
        code: "method_not_allowed",
        en: (
            "Method not allowed",
            "This resource does not accept that method.",
        ),
        ar: ("الطريقة غير مسموحة", "هذا المورد لا يقبل هذه الطريقة."),
    },
    Problem {
        code: "email_taken",
        en: (
            "Email already registered",
            "Another user already has this email address.",
        ),
        ar: (
            "البريد الإلكتروني مسجل",
            "يوجد مستخدم آخر بهذا البريد الإلكتروني.",
        ),
    },
    Problem {
        code: "office_exists",
        en: (
            "Office already exists",
            "This country already has a hajj affairs office.",
        ),
        ar: ("المكتب موجود", "لهذه الدولة مكتب شؤون حجاج بالفعل."),
    },
    Problem {
        code: "self_lockout",
        en: (
            "Cannot lock yourself out",
            "You cannot deactivate, demote or suspend your own account or organisation.",
        ),
        ar: (
            "لا يمكنك إيقاف حسابك",
            "لا يمكنك تعطيل حسابك أو منظمتك أو خفض صلاحياتك بنفسك.",
        ),
    },
    Problem {
        code: "own_password",
        en: (
            "Change your own password with your current one",
            "Your own password changes through POST /me/password, which asks for the current password.",
        ),
        ar: (
            "غيّر كلمة مرورك بكلمة المرور الحالية",
            "تتغير كلمة مرورك عبر POST /me/password الذي يطلب كلمة المرور الحالية.",
        ),
    },
    Problem {
        code: "wrong_organization_kind",
        en: (
            "Wrong kind of organisation",
            "This setting does not apply to this kind of organisation.",
        ),
        ar: (
            "نوع المنظمة غير مناسب",
            "هذا الإعداد لا ينطبق على هذا النوع من المنظمات.",
        ),
    },
    Problem {
        code: "season_exists",
        en: (
            "Season already exists",
            "There is already a season of this kind for this Hijri year.",
        ),
        ar: ("الموسم موجود", "يوجد موسم من هذا النوع لهذه السنة الهجرية."),
    },
    Problem {
        code: "capacity_exceeded",
        en: (
            "Capacity exceeded",
            "The facility has not enough free capacity on some day of the contract.",
        ),
        ar: (
            "السعة غير كافية",
            "لا توجد سعة كافية في المنشأة في أحد أيام العقد.",
        ),
    },
    Problem {
        code: "quota_exceeded",
        en: (
            "Quota exceeded",
            "This would exceed the pilgrims allocated (the country's quota, the office's allocation or the client's own).",
        ),
        ar: (
            "تجاوز الحصة",
            "هذا يتجاوز عدد الحجاج المخصص (حصة الدولة أو تخصيص المكتب أو تخصيص الجهة).",
        ),
    },
    Problem {
        code: "deadline_passed",
        en: (
            "Deadline passed",
            "The filing deadline for this contract type has passed and no extension covers today.",
        ),
        ar: (
            "انتهى الموعد النهائي",
            "انتهى الموعد النهائي لتقديم هذا النوع من العقود ولا يوجد تمديد ساري.",
        ),
    },
    Problem {
        code: "invalid_transition",
        en: (
            "Not possible now",
            "The contract is not in a state that allows this action.",
        ),
        ar: ("غير ممكن الآن", "حالة العقد لا تسمح بهذا الإجراء."),
    },
    Problem {
        code: "no_allocation",
        en: (
            "No allocation",
            "The client holds no allocation of pilgrims in this season.",
        ),
        ar: (
            "لا يوجد تخصيص",
            "لا يوجد للجهة تخصيص من الحجاج في هذا الموسم.",
        ),
    },
    Problem {
        code: "no_quota",
        en: (
            "No quota",
            "The country (or the office) has no quota in this season to allocate from.",
        ),
        ar: (
            "لا توجد حصة",
            "لا توجد حصة للدولة أو للمكتب في هذا الموسم للتخصيص منها.",
        ),
    },
    Problem {
        code: "allocation_in_use",
        en: (
            "Allocation in use",
            "The allocation cannot go below what is passed on to agencies or held by contracts.",
        ),
        ar: (
            "التخصيص مستخدم",
            "لا يمكن أن يقل التخصيص عما وزع على الشركات أو حجزته العقود.",
        ),
    },
    Problem {
        code: "below_allocated",
        en: (
            "Below allocated",
            "The quota cannot go below what is already allocated to the country's office.",
        ),
        ar: (
            "أقل من المخصص",
            "لا يمكن أن تقل الحصة عما خصص بالفعل لمكتب الدولة.",
        ),
    },
    Problem {
        code: "licence_exists",
        en: (
            "Licence already registered",
            "A facility of this kind with this licence number is already registered.",
        ),
        ar: ("الترخيص مسجل", "توجد منشأة من هذا النوع بنفس رقم الترخيص."),
    },
    Problem {
        code: "capacity_in_use",
        en: (
            "Capacity in use",
            "The capacity cannot go below what contracts hold on some day.",
        ),
        ar: (
            "السعة مستخدمة",
            "لا يمكن أن تقل السعة عما تحجزه العقود في أحد الأيام.",
        ),
    },
    Problem {
        code: "too_many_subscriptions",
        en: (
            "Too many webhooks",
            "An organisation keeps at most ten webhooks; remove one first.",
        ),
        ar: (
            "عدد إشعارات الويب كبير",
            "تحتفظ الجهة بعشرة إشعارات ويب على الأكثر؛ احذفوا أحدها أولاً.",
        ),
    },
    Problem {
        code: "amendment_open",
        en: (
            "Amendment pending",
            "This contract already has an amendment awaiting decision.",
        ),
        ar: ("يوجد تعديل معلق", "لهذا العقد تعديل بانتظار القرار."),
    },
    Problem {
        code: "idempotency_key_reused",
        en: (
            "Idempotency key reused",
            "This Idempotency-Key was already used with a different request body.",
        ),
        ar: (
            "مفتاح مكرر",
            "استخدم مفتاح Idempotency-Key هذا مع محتوى طلب مختلف.",
        ),
    },
    Problem {
        code: "provider_inactive",
        en: (
            "Provider suspended",
            "The contract's service provider is suspended.",
        ),
        ar: ("المزود موقوف", "مزود الخدمة في هذا العقد موقوف."),
    },
    Problem {
        code: "precondition_required",
        en: (
            "If-Match required",
            "Send the version you are changing in an If-Match header.",
        ),
        ar: (
            "ترويسة If-Match مطلوبة",
            "أرسل رقم الإصدار الذي تعدله في ترويسة If-Match.",
        ),
    },
    Problem {
        code: "precondition_failed",
        en: (
            "Stale version",
            "The resource changed since you read it; read it again and retry.",
        ),
        ar: (
            "إصدار قديم",
            "تغير المورد منذ قراءتك له؛ أعد قراءته ثم حاول مرة أخرى.",
        ),
    },
    Problem {
        code: "payload_too_large",
        en: (
            "Request too large",
            "The request body is larger than allowed.",
        ),
        ar: ("الطلب كبير جداً", "حجم محتوى الطلب أكبر من المسموح."),
    },
    Problem {
        code: "unsupported_media_type",
        en: (
            "Unsupported media type",
            "Send the body as application/json.",
        ),
        ar: (
            "نوع المحتوى غير مدعوم",
            "أرسل المحتوى بصيغة application/json.",
        ),
    },
    Problem {
        code: "validation_failed",
        en: (
            "Invalid values",
            "Some fields have invalid values; see errors.",
        ),
        ar: (
            "قيم غير صحيحة",
            "بعض الحقول تحتوي على قيم غير صحيحة؛ راجع قائمة الأخطاء.",
        ),
    },
    Problem {
        code: "not_acceptable",
        en: (
            "Not acceptable",
            "This resource cannot be returned in the requested format.",
        ),
        ar: ("غير مقبول", "لا يمكن إرجاع هذا المورد بالصيغة المطلوبة."),
    },
    Problem {
        code: "rate_limited",
        en: (
            "Too many requests",
            "Slow down and retry after the time given in Retry-After.",
        ),
        ar: (
            "طلبات كثيرة",
            "تمهل وأعد المحاولة بعد المدة المحددة في Retry-After.",
        ),
    },
    Problem {
        code: "headers_too_large",
        en: (
            "Request headers too large",
            "The request's headers are larger than the server accepts.",
        ),
        ar: (
            "ترويسات الطلب كبيرة جدًا",
            "ترويسات الطلب أكبر مما يقبله الخادم.",
        ),
    },
    Problem {
        code: "service_unavailable",
        en: (
            "Service unavailable",
            "The service is busy or its database is unreachable; retry shortly.",
        ),
        ar: (
            "الخدمة غير متاحة",
            "الخدمة مشغولة أو قاعدة البيانات غير متاحة؛ أعد المحاولة بعد قليل.",
        ),
    },
    Problem {
        code: "contention",
        en: (
            "Busy, try again",
            "Many requests changed the same records at once and this one could not be completed; \
             nothing was changed. Send it again.",
        ),
        ar: (
            "الخدمة مشغولة، أعد المحاولة",
            "عدّلت طلبات كثيرة السجلات نفسها في الوقت ذاته فتعذّر إتمام هذا الطلب، ولم يتغيّر شيء. أرسله مرة أخرى.",
        ),
    },
    Problem {
        code: "internal_error",
        en: (
            "Internal error",
            "Something went wrong on our side; the error was logged.",
        ),
        ar: ("خطأ داخلي", "حدث خطأ من جهتنا وتم تسجيله."),
    },
];

/// The language of the API's and the emails' texts for a reader of `lang`: these are written in
/// Arabic and English; French and Persian readers get them in English (the console speaks all four).
pub fn catalogued(lang: Language) -> Language {
    match lang {
        Language::Arabic => Language::Arabic,
        _ => Language::English,
    }
}

/// Title and detail of a problem code, in the requested language.
pub fn problem_text(code: &str, lang: Language) -> (&'static str, &'static str) {
    let found = PROBLEMS.iter().find(|p| p.code == code);
    match (found, lang) {
        (Some(p), Language::Arabic) => p.ar,
        (Some(p), _) => p.en,
        (None, _) => ("Error", "The request could not be completed."),
    }
}

/// Every problem code the portal answers with (the closed set the OpenAPI document lists).
pub fn problem_codes() -> impl Iterator<Item = &'static str> {
    PROBLEMS.iter().map(|p| p.code)
}

/// Whether the catalogue has texts for a problem code.
pub fn knows_problem(code: &str) -> bool {
    PROBLEMS.iter().any(|p| p.code == code)
}

/// The message of a field error; `{n}` is replaced by the bound where there is one.
/// What a field takes, where its code alone implies it (a list or a format is given by the
/// refusal itself).
pub fn field_expects(code: &str) -> Option<&'static str> {
    match code {
        "invalid_date" => Some("YYYY-MM-DD"),
        "invalid_amount" => Some("a decimal string with at most two decimals, such as \"150.00\""),
        "invalid_number" => Some("a whole number"),
        "invalid_country" => Some("an ISO 3166-1 alpha-2 code, such as ID"),
        "invalid_id" => Some("a UUID"),
        _ => None,
    }
}

pub fn field_message(code: &str, limit: Option<usize>, lang: Language) -> String {
    let (en, ar) = match code {
        "required" => ("is required", "حقل مطلوب"),
        "invalid_type" => ("has the wrong type", "نوع القيمة غير صحيح"),
        "unknown_field" => ("is not a known field", "حقل غير معروف"),
        "unknown_parameter" => (
            "is not a parameter of this list",
            "ليس من معاملات هذه القائمة",
        ),
        "invalid_number" => ("is not a whole number", "ليس عدداً صحيحاً"),
        "invalid_value" => ("is not an accepted value", "قيمة غير مقبولة"),
        "too_short" => (
            "must have at least {n} characters",
            "يجب ألا يقل عن {n} حرفاً",
        ),
        "too_long" => (
            "must have at most {n} characters",
            "يجب ألا يزيد عن {n} حرفاً",
        ),
        "out_of_range" => ("is out of range", "القيمة خارج النطاق المسموح"),
        "too_many" => ("has more than {n} items", "عدد العناصر أكثر من {n}"),
        "invalid_email" => ("is not a valid email address", "بريد إلكتروني غير صحيح"),
        "invalid_country" => (
            "is not an ISO 3166-1 alpha-2 country code",
            "ليس رمز دولة صحيحاً وفق ISO 3166-1",
        ),
        "invalid_characters" => (
            "contains control characters",
            "يحتوي على محارف تحكم غير مسموحة",
        ),
        "invalid_id" => ("is not a valid id", "معرّف غير صحيح"),
        "invalid_token" => (
            "is not a live link: it is unknown, used or expired; ask for a new one",
            "رابط غير صالح: غير معروف أو مستخدم أو منتهي الصلاحية؛ اطلبوا رابطاً جديداً",
        ),
        "invalid_cursor" => ("is not a cursor this server issued", "مؤشر صفحات غير صحيح"),
        "invalid_url" => (
            "is not an https URL without credentials",
            "ليس عنوان https صحيحاً خالياً من بيانات الدخول",
        ),
        "target_not_allowed" => (
            "names a loopback, private or link-local address, which deliveries may not go to",
            "يشير إلى عنوان محلي أو خاص لا يُسمح بالإرسال إليه",
        ),
        "common_password" => (
            "is one of the most common passwords",
            "كلمة المرور من أكثر الكلمات شيوعاً",
        ),
        "wrong_password" => ("is not your current password", "ليست كلمة المرور الحالية"),
        "not_allowed" => ("is not allowed here", "غير مسموح هنا"),
        "not_a_parent" => (
            "must be the hajj affairs office of the same country",
            "يجب أن يكون مكتب شؤون الحجاج لنفس الدولة",
        ),
        "country_mismatch" => (
            "must be the country of the parent office",
            "يجب أن تكون دولة المكتب الأم",
        ),
        "unknown_reference" => (
            "names nothing you can use",
            "يشير إلى عنصر غير موجود أو غير متاح لك",
        ),
        "facility_kind_mismatch" => (
            "is not a facility of the kind this contract type needs",
            "نوع المنشأة لا يناسب نوع العقد",
        ),
        "outside_season" => ("lies outside the season's dates", "خارج تواريخ الموسم"),
        "outside_licence" => (
            "lies outside the facility's licence",
            "خارج مدة ترخيص المنشأة",
        ),
        "before_start" => ("is before the start", "قبل تاريخ البداية"),
        "span_too_long" => ("spans more than {n} days", "المدة أطول من {n} يوماً"),
        "same_place" => (
            "must join two different places",
            "يجب أن يربط بين مكانين مختلفين",
        ),
        "invalid_amount" => (
            "is not an amount like 1250.00",
            "ليس مبلغاً صحيحاً مثل 1250.00",
        ),
        "invalid_currency" => ("must be SAR", "يجب أن تكون العملة SAR"),
        "invalid_date" => (
            "is not a date (YYYY-MM-DD)",
            "ليس تاريخاً صحيحاً (YYYY-MM-DD)",
        ),
        "hajj_days_outside" => (
            "must contain the hajj days (8-13 Dhu al-Hijjah)",
            "يجب أن يشمل أيام الحج (8-13 ذو الحجة)",
        ),
        "after_season_end" => ("is after the season's end", "بعد نهاية الموسم"),
        "not_contiguous" => (
            "must start on the day the previous stay ends",
            "يجب أن تبدأ في يوم انتهاء الإقامة السابقة",
        ),
        "not_first_stay" => (
            "must be the first stay's first day",
            "يجب أن يكون أول يوم في الإقامة الأولى",
        ),
        "not_last_stay" => (
            "must be the last stay's last day",
            "يجب أن يكون آخر يوم في الإقامة الأخيرة",
        ),
        "over_allocation" => (
            "would plan more pilgrims than allocated",
            "يتجاوز عدد الحجاج المخصص",
        ),
        "in_future" => ("cannot be in the future", "لا يمكن أن يكون في المستقبل"),
        "not_for_type" => (
            "does not apply to this contract type",
            "لا ينطبق على هذا النوع من العقود",
        ),
        _ => ("is invalid", "قيمة غير صحيحة"),
    };
    let text = match lang {
        Language::Arabic => ar,
        _ => en,
    };
    match limit {
        Some(n) => text.replace("{n}", &n.to_string()),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported() {
        assert_eq!(parse_accept_language("ar"), Language::Arabic);
        assert_eq!(parse_accept_language("ar-SA,en;q=0.8"), Language::Arabic);
        assert_eq!(
            parse_accept_language("de, en;q=0.5, ar;q=0.9"),
            Language::Arabic
        );
        assert_eq!(parse_accept_language("fr-FR, ar;q=0.9"), Language::French);
        assert_eq!(parse_accept_language("de, fa;q=0.4"), Language::Persian);
        assert_eq!(parse_accept_language("de, it"), Language::English);
        assert_eq!(parse_accept_language("ar;q=0, en"), Language::English);
        assert_eq!(parse_accept_language(";;;,,q=x"), Language::English);
    }

    #[test]
    fn every_problem_has_both_languages_and_is_unique() {
        let mut codes: Vec<_> = PROBLEMS.iter().map(|p| p.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), PROBLEMS.len());
        for p in PROBLEMS {
            for text in [p.en.0, p.en.1, p.ar.0, p.ar.1] {
                assert!(!text.is_empty(), "{}", p.code);
            }
        }
    }

    #[test]
    fn field_messages_fill_in_bounds() {
        assert_eq!(
            field_message("too_short", Some(8), Language::English),
            "must have at least 8 characters"
        );
        assert!(field_message("too_short", Some(8), Language::Arabic).contains('8'));
    }
}
