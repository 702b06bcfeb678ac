//! The Activity API's vocabulary, parsed once: content types, the time formats it reads and writes,
//! the content window rules (`audit-and-activity.md` §3.3), content ids and `nextPage` cursors.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, UtcOffset};

use super::error::AfError;

/// How long a blob stays retrievable, counted from the start of its window (§3.3: expiration =
/// first stamp + 7 days).
pub const RETENTION: Duration = Duration::days(7);
/// The widest window `content` and `notifications` accept.
pub const MAX_WINDOW: Duration = Duration::hours(24);
/// How far back a window may start (7 days, plus the hour Microsoft was seen to tolerate).
pub const MAX_LOOKBACK: Duration = Duration::hours(7 * 24 + 1);
/// Listing page size (§3.3, infer).
pub const PAGE_SIZE: i64 = 200;
/// The region segment of the sample's content ids.
const REGION: &str = "cus0001";

/// The five content types (case-sensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ContentType {
    /// Entra audit and sign-in records: the tenant's own custos logs.
    AzureActiveDirectory,
    /// Generated Exchange events.
    Exchange,
    /// Generated SharePoint events.
    SharePoint,
    /// Generated other-workload events.
    General,
    /// Generated DLP events.
    DlpAll,
}

impl ContentType {
    /// Every content type, in the order `list` shows them.
    pub const ALL: [Self; 5] =
        [Self::AzureActiveDirectory, Self::Exchange, Self::SharePoint, Self::General, Self::DlpAll];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AzureActiveDirectory => "Audit.AzureActiveDirectory",
            Self::Exchange => "Audit.Exchange",
            Self::SharePoint => "Audit.SharePoint",
            Self::General => "Audit.General",
            Self::DlpAll => "DLP.All",
        }
    }

    /// Parses a wire name exactly; anything else is AF20020.
    pub fn parse(raw: &str) -> Result<Self, AfError> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw).ok_or(AfError::InvalidContentType)
    }

    /// The `contentType` query parameter: AF20001 when absent, AF20020 when unknown.
    pub fn from_query(raw: Option<&str>) -> Result<Self, AfError> {
        Self::parse(raw.ok_or(AfError::MissingParameter("contentType"))?)
    }

    /// The two content-id segments naming the type (`audit_azureactivedirectory$Audit_AzureActiveDirectory`).
    fn id_segments(self) -> (String, String) {
        let upper = self.as_str().replace('.', "_");
        (upper.to_ascii_lowercase(), upper)
    }
}

/// `yyyy-MM-ddTHH:mm:ss.fffZ`, as `contentCreated` and `contentExpiration` are written.
pub fn format_listing_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    at.format(format).unwrap_or_default()
}

/// `yyyy-MM-ddTHH:mm:ss`, UTC without zone or fraction, as record `CreationTime` and window
/// parameters in `NextPageUri` are written.
pub fn format_record_time(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    at.format(format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]")).unwrap_or_default()
}

/// The 23 digits of a content-id stamp: `yyyyMMddHHmmss` and nine sub-second digits.
fn id_stamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(UtcOffset::UTC);
    at.format(format_description!("[year][month][day][hour][minute][second][subsecond digits:9]"))
        .unwrap_or_default()
}

/// Parses a window bound: `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM`, `YYYY-MM-DDTHH:MM:SS`, with optional
/// fraction, as UTC unless a `Z` or offset says otherwise (then converted). AF20002 otherwise.
pub fn parse_time(name: &'static str, raw: &str) -> Result<OffsetDateTime, AfError> {
    let invalid = || AfError::InvalidParameterType { name, expected: "datetime" };
    let raw = raw.trim();
    if !raw.is_ascii() || raw.len() < 10 {
        return Err(invalid());
    }
    let (date, rest) = raw.split_at(10);
    let mut text = date.to_owned();
    text.push('T');
    let rest = rest.strip_prefix(['T', 't', ' ']).unwrap_or(rest);
    let (clock, zone) = match rest.find(['Z', 'z', '+', '-']) {
        Some(at) => rest.split_at(at),
        None => (rest, ""),
    };
    match clock.len() {
        0 => text.push_str("00:00:00"),
        5 => {
            text.push_str(clock);
            text.push_str(":00");
        }
        _ => text.push_str(clock),
    }
    text.push_str(if zone.is_empty() { "Z" } else { zone });
    OffsetDateTime::parse(&text, &Rfc3339).map(|t| t.to_offset(UtcOffset::UTC)).map_err(|_| invalid())
}

/// A checked content window: `start` inclusive, `end` exclusive, on the blobs' `contentCreated`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Inclusive start.
    pub start: OffsetDateTime,
    /// Exclusive end.
    pub end: OffsetDateTime,
}

impl Window {
    /// Applies §3.3 to the query's `startTime`/`endTime`: both or neither (neither = the last 24 h),
    /// start before end, at most 24 h apart, start at most 7 days (+1 h) back; end may be in the future.
    pub fn from_query(start: Option<&str>, end: Option<&str>, now: OffsetDateTime) -> Result<Self, AfError> {
        let (start, end) = match (start, end) {
            (None, None) => return Ok(Self { start: now - MAX_WINDOW, end: now }),
            (Some(start), Some(end)) => (parse_time("startTime", start)?, parse_time("endTime", end)?),
            _ => return Err(AfError::InvalidWindow),
        };
        if start >= end || end - start > MAX_WINDOW || start < now - MAX_LOOKBACK {
            return Err(AfError::InvalidWindow);
        }
        Ok(Self { start, end })
    }
}

/// A content id: `<start 23 digits>$<end 23 digits>$<type lower>$<Type_Upper>$<region>`.
pub fn content_id(content_type: ContentType, start: OffsetDateTime, end: OffsetDateTime) -> String {
    let (lower, upper) = content_type.id_segments();
    format!("{}${}${lower}${upper}${REGION}", id_stamp(start), id_stamp(end))
}

/// Checks a content id's shape (AF20052 otherwise); whether it exists is the store's business.
pub fn check_content_id(raw: &str) -> Result<(), AfError> {
    let invalid = || AfError::InvalidContentId(raw.to_owned());
    let parts: Vec<&str> = raw.split('$').collect();
    let [start, end, lower, upper, region] = parts.as_slice() else {
        return Err(invalid());
    };
    let stamp = |s: &str| s.len() == 23 && s.bytes().all(|b| b.is_ascii_digit());
    let known =
        ContentType::ALL.into_iter().any(|t| t.id_segments() == ((*lower).to_owned(), (*upper).to_owned()));
    if stamp(start)
        && stamp(end)
        && known
        && !region.is_empty()
        && region.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        Ok(())
    } else {
        Err(invalid())
    }
}

/// Where a listing page resumes: after the row with this sequence number (opaque to clients;
/// written like Microsoft's example `2015101900R022885001761`, a date stamp, `R`, the sequence).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageCursor(pub i64);

impl PageCursor {
    /// The `nextPage` value for resuming after row `seq` created at `at`.
    pub fn encode(at: OffsetDateTime, seq: i64) -> String {
        let stamp = at
            .to_offset(UtcOffset::UTC)
            .format(format_description!("[year][month][day][hour]"))
            .unwrap_or_default();
        format!("{stamp}R{seq:015}")
    }

    /// Parses a `nextPage` value (AF20031 unless it is one [`encode`](Self::encode) could write).
    pub fn decode(raw: &str) -> Result<Self, AfError> {
        let invalid = || AfError::InvalidNextPage(raw.to_owned());
        let (stamp, seq) = raw.split_once('R').ok_or_else(invalid)?;
        if stamp.len() != 10 || !stamp.bytes().all(|b| b.is_ascii_digit()) || seq.is_empty() || seq.len() > 18
        {
            return Err(invalid());
        }
        if !seq.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        seq.parse().map(Self).map_err(|_| invalid())
    }
}

/// Where the API is reached from outside (`--public-url`): the origin of `contentUri` and
/// `NextPageUri`, always with `/api/v1.0/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicBase(String);

impl PublicBase {
    /// `base` without a trailing slash.
    pub fn new(base: &str) -> Self {
        Self(base.trim_end_matches('/').to_owned())
    }

    /// `{base}/api/v1.0/{tenant}/activity/feed/{rest}`.
    pub fn feed(&self, tenant: &str, rest: &str) -> String {
        format!("{}/api/v1.0/{tenant}/activity/feed/{rest}", self.0)
    }

    /// The `contentUri` of a blob (`$` unescaped).
    pub fn content_uri(&self, tenant: &str, content_id: &str) -> String {
        self.feed(tenant, &format!("audit/{content_id}"))
    }
}

/// A blob's listing fields: `contentType`, `contentId`, `contentUri`, `contentCreated`,
/// `contentExpiration` (what listings answer and notifications carry, with `tenantId`/`clientId`).
pub fn blob_fields(
    base: &PublicBase,
    tenant: &str,
    blob: &super::store::blobs::BlobEntry,
) -> serde_json::Map<String, serde_json::Value> {
    let mut fields = serde_json::Map::new();
    let mut put = |key: &str, value: String| {
        fields.insert(key.to_owned(), serde_json::Value::String(value));
    };
    put("contentType", blob.content_type.as_str().to_owned());
    put("contentId", blob.content_id.clone());
    put("contentUri", base.content_uri(tenant, &blob.content_id));
    put("contentCreated", format_listing_time(super::store::from_millis(blob.created_ms)));
    put("contentExpiration", format_listing_time(super::store::from_millis(blob.expires_ms)));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-12-07 12:00 UTC);

    #[test]
    fn content_types_are_case_sensitive() {
        assert_eq!(ContentType::parse("DLP.All"), Ok(ContentType::DlpAll));
        assert_eq!(ContentType::parse("audit.general"), Err(AfError::InvalidContentType));
        assert_eq!(ContentType::from_query(None), Err(AfError::MissingParameter("contentType")));
    }

    #[test]
    fn every_documented_time_format_parses() {
        let at = datetime!(2026-12-07 10:30 UTC);
        for raw in [
            "2026-12-07T10:30",
            "2026-12-07T10:30:00",
            "2026-12-07T10:30:00Z",
            "2026-12-07T10:30:00.000Z",
            "2026-12-07T11:30:00+01:00",
            "2026-12-07T10:30:00.000000000Z",
        ] {
            assert_eq!(parse_time("startTime", raw), Ok(at), "{raw}");
        }
        assert_eq!(parse_time("startTime", "2026-12-07"), Ok(datetime!(2026-12-07 0:00 UTC)));
        for raw in ["yesterday", "2026-13-01", "2026-12-07T25:00", "", "07/12/2026"] {
            assert_eq!(
                parse_time("startTime", raw),
                Err(AfError::InvalidParameterType { name: "startTime", expected: "datetime" }),
                "{raw}"
            );
        }
    }

    #[test]
    fn window_rules() {
        assert_eq!(Window::from_query(None, None, NOW), Ok(Window { start: NOW - MAX_WINDOW, end: NOW }));
        let exactly_24h = Window::from_query(Some("2026-12-06T12:00"), Some("2026-12-07T12:00"), NOW);
        assert!(exactly_24h.is_ok());
        let future_end = Window::from_query(Some("2026-12-07T11:00"), Some("2026-12-08T09:00"), NOW);
        assert!(future_end.is_ok());
        for (start, end) in [
            (Some("2026-12-06T11:59"), Some("2026-12-07T12:00")), // wider than 24 h
            (Some("2026-12-07T12:00"), Some("2026-12-07T12:00")), // empty
            (Some("2026-12-07T12:00"), Some("2026-12-07T11:00")), // reversed
            (Some("2026-11-30T10:00"), Some("2026-11-30T12:00")), // more than 7 d + 1 h back
            (Some("2026-12-07T11:00"), None),
            (None, Some("2026-12-07T11:00")),
        ] {
            assert_eq!(Window::from_query(start, end, NOW), Err(AfError::InvalidWindow), "{start:?} {end:?}");
        }
        assert!(Window::from_query(Some("2026-11-30T11:30"), Some("2026-11-30T12:00"), NOW).is_ok());
    }

    #[test]
    fn content_ids_look_like_microsofts() {
        let id = content_id(
            ContentType::AzureActiveDirectory,
            datetime!(2026-12-07 10:00:00.5 UTC),
            datetime!(2026-12-07 10:01 UTC),
        );
        assert_eq!(
            id,
            "20261207100000500000000$20261207100100000000000$audit_azureactivedirectory$Audit_AzureActiveDirectory$cus0001"
        );
        assert_eq!(check_content_id(&id), Ok(()));
        assert_eq!(check_content_id(&content_id(ContentType::DlpAll, NOW, NOW)), Ok(()));
        for bad in
            ["x", "1$2$audit_azureactivedirectory$Audit_AzureActiveDirectory$r", &id.replace("cus0001", "")]
        {
            assert_eq!(check_content_id(bad), Err(AfError::InvalidContentId(bad.to_owned())), "{bad}");
        }
    }

    #[test]
    fn page_cursors_round_trip_and_refuse_anything_else() {
        let raw = PageCursor::encode(NOW, 42);
        assert_eq!(raw, "2026120712R000000000000042");
        assert_eq!(PageCursor::decode(&raw), Ok(PageCursor(42)));
        for bad in ["", "R1", "2026120712R", "2026120712Rx", "abc"] {
            assert_eq!(PageCursor::decode(bad), Err(AfError::InvalidNextPage(bad.to_owned())), "{bad}");
        }
        assert_eq!(format_listing_time(datetime!(2026-12-07 10:00:00.1234 UTC)), "2026-12-07T10:00:00.123Z");
        assert_eq!(format_record_time(datetime!(2026-12-07 10:00:00.9 UTC)), "2026-12-07T10:00:00");
    }
}
