//! The portal's closed sets as typed columns: each is stored as the text its `as_str` gives and read
//! back through its `parse`, on both backends, so that no row reaches the layers above as a bare
//! string to be parsed by hand. A stored value this program never writes is a deserialisation
//! error (the database was changed behind its back), never a silent default.

use diesel::backend::Backend;
use diesel::deserialize::FromSqlRow;
use diesel::deserialize::{self, FromSql};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use diesel::sqlite::{Sqlite, SqliteValue};

use crate::domain::contract::{Action, AmendmentStatus, ContractStatus};
use crate::domain::document::{DocumentKind, MediaType, RecordKind};
use crate::domain::ids::{
    AccountId, AmendmentId, ApiKeyId, ContractId, DocumentId, EntryId, EventId, ExtensionId,
    FacilityId, GroupId, InspectionId, NotificationId, OrganizationId, OutboxId, SeasonId,
    SessionId, TransactionId, UserId, WebhookId,
};
use crate::domain::ledger::{AccountKind, Due, TransactionKind};
use crate::domain::organization::{Dataset, Language, OrgKind, OrgStatus, Role};
use crate::domain::season::{ContractType, FacilityKind, Place, SeasonKind};

use super::names::Edition;
use super::{MultiBackend, MultiRawValue};

/// One closed set or id type stored as text: written as its `as_str` gives, read back through
/// `$read` (of the stored `$text`, borrowed where it lies in the row: nothing is copied to read
/// it), which hands the text back when it is not one this program writes.
macro_rules! text_column {
    ($ty:ident as $column:ident, $text:ident => $read:expr) => {
        #[derive(AsExpression, FromSqlRow)]
        #[diesel(foreign_derive, sql_type = Text)]
        #[allow(dead_code)]
        struct $column($ty);

        impl<DB: Backend> ToSql<Text, DB> for $ty
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                self.as_str().to_sql(out)
            }
        }

        impl $ty {
            fn from_stored_text($text: &str) -> deserialize::Result<$ty> {
                $read.map_err(|text: &str| {
                    format!(
                        concat!(
                            "stored ",
                            stringify!($ty),
                            " {:?} is not one this program writes"
                        ),
                        text
                    )
                    .into()
                })
            }
        }

        impl FromSql<Text, Pg> for $ty {
            fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
                $ty::from_stored_text(std::str::from_utf8(value.as_bytes())?)
            }
        }

        impl FromSql<Text, Sqlite> for $ty {
            fn from_sql(mut value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
                $ty::from_stored_text(value.read_text())
            }
        }

        impl FromSql<Text, MultiBackend> for $ty {
            fn from_sql(value: MultiRawValue<'_>) -> deserialize::Result<Self> {
                value.from_sql::<Self, Text>()
            }
        }
    };
}

macro_rules! text_columns {
    ($($ty:ident as $column:ident),* $(,)?) => {$(
        text_column!($ty as $column, text => $ty::parse(text).ok_or(text));
    )*};
}

text_columns!(
    OrgKind as OrgKindColumn,
    OrgStatus as OrgStatusColumn,
    Role as RoleColumn,
    Language as LanguageColumn,
    Dataset as DatasetColumn,
    SeasonKind as SeasonKindColumn,
    ContractType as ContractTypeColumn,
    FacilityKind as FacilityKindColumn,
    ContractStatus as ContractStatusColumn,
    AmendmentStatus as AmendmentStatusColumn,
    Action as ActionColumn,
    Place as PlaceColumn,
    AccountKind as AccountKindColumn,
    TransactionKind as TransactionKindColumn,
    Due as DueColumn,
    DocumentKind as DocumentKindColumn,
    RecordKind as RecordKindColumn,
    MediaType as MediaTypeColumn,
);

/// Ids are stored as the text they are written as, and read back as the type of the column they
/// come from: a row never hands an id to the layers above as a bare string. The names' edition tag
/// is read the same way (inline, as an id is).
macro_rules! id_columns {
    ($($ty:ident as $column:ident),* $(,)?) => {$(
        text_column!($ty as $column, text => Ok::<_, &str>($ty::from_stored(text)));
    )*};
}

id_columns!(
    OrganizationId as OrganizationIdColumn,
    UserId as UserIdColumn,
    SessionId as SessionIdColumn,
    ApiKeyId as ApiKeyIdColumn,
    SeasonId as SeasonIdColumn,
    ExtensionId as ExtensionIdColumn,
    FacilityId as FacilityIdColumn,
    ContractId as ContractIdColumn,
    AmendmentId as AmendmentIdColumn,
    EventId as EventIdColumn,
    GroupId as GroupIdColumn,
    InspectionId as InspectionIdColumn,
    NotificationId as NotificationIdColumn,
    OutboxId as OutboxIdColumn,
    WebhookId as WebhookIdColumn,
    DocumentId as DocumentIdColumn,
    AccountId as AccountIdColumn,
    TransactionId as TransactionIdColumn,
    EntryId as EntryIdColumn,
    Edition as EditionColumn,
);
