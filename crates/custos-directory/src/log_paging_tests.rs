use super::*;
use crate::filter::{Ops, Property};
use std::cell::RefCell;
use time::OffsetDateTime;

static RECORD: EntityType = EntityType {
    name: "record",
    resource: "Record",
    properties: &["id", "when", "kind"],
    filterable: &[Property::time("when"), Property::text_with("kind", Ops::EQ)],
    queries: &crate::odata::PLAIN,
};

static RECORDS: LogCollection = LogCollection { entity: &RECORD, time_property: "when" };

const AT: LogLocation<'static> = LogLocation { version: "beta", path: "auditLogs/records" };

/// Record `i` happened `i` seconds after the epoch; every third is of kind `rare`.
fn time_of(i: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(i).unwrap()
}

/// A store of `n` records answering like the SQL one (window, order, cursor, limit), counting
/// the rows it returns.
struct FakeLog {
    n: i64,
    queries: RefCell<Vec<LogQuery>>,
}

impl FakeLog {
    fn new(n: i64) -> Self {
        Self { n, queries: RefCell::new(Vec::new()) }
    }

    async fn fetch(&self, query: LogQuery) -> StoreResult<LogPage<i64>> {
        self.queries.borrow_mut().push(query.clone());
        let mut ids: Vec<i64> = (0..self.n)
            .filter(|i| query.since.is_none_or(|s| time_of(*i) >= s))
            .filter(|i| query.until.is_none_or(|u| time_of(*i) <= u))
            .collect();
        if query.order == LogOrder::NewestFirst {
            ids.reverse();
        }
        if let Some(after) = query.after {
            let past = |i: &i64| match query.order {
                LogOrder::NewestFirst => *i < after.sequence,
                LogOrder::OldestFirst => *i > after.sequence,
            };
            ids.retain(past);
        }
        ids.truncate(query.limit as usize);
        let positions: Vec<LogCursor> =
            ids.iter().map(|i| LogCursor { time_micros: i * 1_000_000, sequence: *i }).collect();
        let next = (ids.len() == query.limit as usize).then(|| positions.last().copied()).flatten();
        Ok(LogPage { records: ids, positions, next })
    }
}

fn render(i: &i64) -> Value {
    let when = time_of(*i).format(&time::format_description::well_known::Rfc3339).unwrap();
    json!({"id": i.to_string(), "when": when, "kind": if i % 3 == 0 { "rare" } else { "common" }})
}

fn pager(tenant: TenantId) -> LogPager<'static> {
    LogPager::new(&[7; 32], tenant, "https://h")
}

async fn page(pager: &LogPager<'_>, log: &FakeLog, raw: &str) -> Result<Value, GraphError> {
    let query = LogListQuery::parse(Some(raw), &RECORDS)?;
    pager.page(&RECORDS, AT, &query, |q| log.fetch(q), render).await
}

fn ids(body: &Value) -> Vec<i64> {
    body["value"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().parse().unwrap()).collect()
}

/// The query string of a nextLink, checking it stays on the same origin and path.
fn next_query(body: &Value) -> Option<String> {
    let link = body["@odata.nextLink"].as_str()?;
    Some(link.strip_prefix("https://h/beta/auditLogs/records?").expect(link).to_owned())
}

/// Every page of `raw`: the ids of each.
async fn all_pages(log: &FakeLog, raw: &str) -> Vec<Vec<i64>> {
    let pager = pager(TenantId::new_random());
    let mut pages = Vec::new();
    let mut raw = raw.to_owned();
    loop {
        let body = page(&pager, log, &raw).await.unwrap();
        pages.push(ids(&body));
        match next_query(&body) {
            Some(next) => raw = next,
            None => return pages,
        }
    }
}

#[tokio::test]
async fn pages_newest_first_and_the_last_page_has_no_link() {
    let log = FakeLog::new(5);
    let tenant = TenantId::new_random();
    let body = page(&pager(tenant), &log, "$top=2&$select=id").await.unwrap();
    assert_eq!(body["@odata.context"], "https://h/beta/$metadata#auditLogs/records(id)");
    assert_eq!(body["value"], json!([{"id": "4"}, {"id": "3"}]));
    let next = next_query(&body).unwrap();
    assert!(next.starts_with("$top=2&$select=id&$skiptoken="), "{next}");
    assert_eq!(log.queries.borrow()[0].tenant, Some(tenant));

    assert_eq!(all_pages(&log, "$top=2").await, [vec![4, 3], vec![2, 1], vec![0]]);
    assert_eq!(all_pages(&log, "$orderby=when%20asc&$top=3").await, [vec![0, 1, 2], vec![3, 4]]);
    assert_eq!(all_pages(&log, "$orderby=when desc").await, [vec![4, 3, 2, 1, 0]]);
    let body = page(&pager(tenant), &FakeLog::new(1001), "").await.unwrap();
    assert_eq!(body["value"].as_array().unwrap().len(), 1000, "$top defaults to 1000");
    assert!(next_query(&body).is_some());
}

#[tokio::test]
async fn filtered_pages_read_the_time_window_and_keep_the_filter() {
    let log = FakeLog::new(30);
    let filter = "$filter=kind eq 'rare' and when ge 1970-01-01T00:00:05Z and when lt 1970-01-01T00:00:20Z";
    let pages = all_pages(&log, &format!("{filter}&$top=2")).await;
    assert_eq!(pages, [vec![18, 15], vec![12, 9], vec![6]]);
    let first = log.queries.borrow()[0].clone();
    assert_eq!((first.since, first.until), (Some(time_of(5)), Some(time_of(20))));
    assert_eq!(first.limit, 50, "a filtered read starts small");
    let body = page(&pager(TenantId::new_random()), &log, &format!("{filter}&$top=2")).await.unwrap();
    let next = next_query(&body).unwrap();
    assert!(next.starts_with("$filter=kind+eq+%27rare%27+and+when+ge+1970-01-01T00%3A00%3A05Z"), "{next}");
}

#[tokio::test]
async fn a_page_stops_at_the_scan_budget_and_links_on() {
    // 12,000 records of which only ids 0..3 are rare enough to match: the first page reads the
    // budget, answers nothing and links on; the pages after find the matches.
    let log = FakeLog::new(12_000);
    let pages = all_pages(&log, "$filter=when lt 1970-01-01T00:00:03Z or kind eq 'none'&$top=10").await;
    assert_eq!(pages, [vec![], vec![], vec![2, 1, 0]]);
    let limits: Vec<u32> = log.queries.borrow().iter().map(|q| q.limit).collect();
    assert_eq!(limits[..7], [50, 200, 800, 1000, 1000, 1000, 950], "reads grow fourfold within the budget");
    assert!(limits.iter().all(|l| *l <= MAX_LOG_TOP));
    assert!(limits.iter().map(|l| *l as usize).sum::<usize>() <= 12_000 + 3 * SCAN_BUDGET, "{limits:?}");
}

#[tokio::test]
async fn skiptokens_are_bound_to_tenant_path_filter_and_order() {
    let log = FakeLog::new(10);
    let tenant = TenantId::new_random();
    let body = page(&pager(tenant), &log, "$filter=kind eq 'common'&$top=2").await.unwrap();
    let next = next_query(&body).unwrap();
    let token = next.split("$skiptoken=").nth(1).unwrap();
    let invalid = Err(GraphError::BadRequest("The specified page token value is invalid.".into()));
    assert_eq!(page(&pager(TenantId::new_random()), &log, &next).await, invalid, "other tenant");
    let other_filter = format!("$filter=kind eq 'rare'&$skiptoken={token}");
    assert_eq!(page(&pager(tenant), &log, &other_filter).await, invalid);
    let other_order = format!("{next}&$orderby=when asc");
    assert_eq!(page(&pager(tenant), &log, &other_order).await, invalid);
    let query = LogListQuery::parse(Some(&next), &RECORDS).unwrap();
    let elsewhere = LogLocation { version: "v1.0", ..AT };
    let other_path = pager(tenant).page(&RECORDS, elsewhere, &query, |q| log.fetch(q), render).await;
    assert_eq!(other_path, invalid);
    let mut forged = URL_SAFE_NO_PAD.decode(token).unwrap();
    forged[15] ^= 1;
    let forged = format!("$filter=kind eq 'common'&$skiptoken={}", URL_SAFE_NO_PAD.encode(forged));
    assert_eq!(page(&pager(tenant), &log, &forged).await, invalid);
    assert_eq!(page(&pager(tenant), &log, "$skiptoken=abc").await, invalid);
    let top_changed = next.replace("$top=2", "$top=5");
    assert_eq!(ids(&page(&pager(tenant), &log, &top_changed).await.unwrap()), [5, 4, 2, 1]);
}

#[test]
fn bad_options_are_refused_with_graphs_errors() {
    let parse = |raw: &str| LogListQuery::parse(Some(raw), &RECORDS).map(|_| ());
    for top in ["0", "1001", "-1", "x"] {
        assert_eq!(
            parse(&format!("$top={top}")),
            Err(GraphError::Malformed(format!("Invalid page size specified: '{top}'")))
        );
    }
    assert_eq!(parse("$top=1000"), Ok(()));
    for order in ["id", "when sideways", "when asc desc", "kind asc"] {
        assert_eq!(
            parse(&format!("$orderby={order}")),
            Err(GraphError::UnsupportedQuery(format!(
                "Unsupported $orderby '{order}': only 'when asc' and 'when desc' are supported."
            )))
        );
    }
    for option in ["$count=true", "$search=x", "$expand=x", "$skip=1"] {
        assert!(matches!(parse(option), Err(GraphError::UnsupportedQuery(_))), "{option}");
    }
    assert_eq!(
        parse("$select=id,secret"),
        Err(GraphError::BadRequest(
            "Could not find a property named 'secret' on type 'microsoft.graph.record'.".into()
        ))
    );
    assert!(matches!(parse("$filter=kind eq 'a'&$filter=kind eq 'b'"), Err(GraphError::Malformed(_))));
    assert!(matches!(parse("$filter=kind eq 'x'; DROP TABLE t"), Err(GraphError::Malformed(_))));
}

#[tokio::test]
async fn a_collection_restriction_applies_to_every_page_but_stays_out_of_the_link() {
    let log = FakeLog::new(10);
    let pager = pager(TenantId::new_random());
    let schema = crate::filter::Schema {
        resource: "Record",
        properties: RECORD.filterable,
        logic: crate::filter::Logic::Full,
        advanced: false,
    };
    let restricted = |raw: &str| {
        let mut query = LogListQuery::parse(Some(raw), &RECORDS).unwrap();
        query.restrict(Filter::parse("kind eq 'rare'", &schema).unwrap());
        query.restrict(Filter::parse("when ge 1970-01-01T00:00:01Z", &schema).unwrap());
        query
    };
    let query = restricted("$top=2");
    assert!(query.filter().is_none());
    let body = pager.page(&RECORDS, AT, &query, |q| log.fetch(q), render).await.unwrap();
    assert_eq!(ids(&body), [9, 6]);
    assert_eq!(log.queries.borrow()[0].since, Some(time_of(1)), "the restriction narrows the window");
    let next = next_query(&body).unwrap();
    assert!(next.starts_with("$top=2&$skiptoken="), "{next}");
    let body = pager.page(&RECORDS, AT, &restricted(&next), |q| log.fetch(q), render).await.unwrap();
    assert_eq!(ids(&body), [3], "0 is before the restricted window");
    assert_eq!(next_query(&body), None);

    let query = LogListQuery::parse(Some("$filter=when le 1970-01-01T00:00:05Z"), &RECORDS).unwrap();
    assert!(query.filter().is_some_and(|f| f.time_window("when").until == Some(time_of(5))));
}
