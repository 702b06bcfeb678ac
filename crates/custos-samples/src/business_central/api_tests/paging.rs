//! Server-driven paging: `Prefer: odata.maxpagesize`, `@odata.nextLink`, `Preference-Applied`
//! and the validation of `$skiptoken`.

use super::Harness;
use http::StatusCode;

/// Follows `@odata.nextLink` from `first`, returning every page's numbers.
async fn walk(h: &Harness, first: &str, page_size: &str) -> Vec<Vec<String>> {
    let prefer = format!("odata.maxpagesize={page_size}");
    let mut pages = Vec::new();
    let mut next = Some(first.to_owned());
    while let Some(url) = next {
        let reply = h.send("GET", &url, &[("prefer", &prefer)], None).await;
        assert_eq!(reply.status, StatusCode::OK, "{url}: {}", reply.text);
        assert_eq!(reply.headers["preference-applied"], prefer.as_str());
        pages.push(
            reply.json["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v["number"].as_str().unwrap().to_owned())
                .collect(),
        );
        next = reply.json["@odata.nextLink"]
            .as_str()
            .map(|link| link.strip_prefix("http://bc.test").unwrap().to_owned());
        assert!(pages.len() < 10, "paging must end");
    }
    pages
}

#[tokio::test]
async fn max_page_size_pages_through_everything_once() {
    let h = Harness::new().await;
    let pages = walk(&h, &format!("{}/customers", h.company_url()), "2").await;
    assert_eq!(pages, [vec!["C00010", "C00020"], vec!["C00030", "C00040"], vec!["C00050"]]);
}

#[tokio::test]
async fn next_links_keep_the_other_options() {
    let h = Harness::new().await;
    let url = format!(
        "{}/customers?$filter=creditLimit%20eq%200&$orderby=number%20desc&$select=number",
        h.company_url()
    );
    let pages = walk(&h, &url, "2").await;
    assert_eq!(pages, [vec!["C00050", "C00030"], vec!["C00010"]]);

    let first = h.send("GET", &url, &[("prefer", "odata.maxpagesize=2")], None).await;
    let link = first.json["@odata.nextLink"].as_str().unwrap();
    assert!(
        link.starts_with(&format!(
            "http://bc.test{}/customers?$filter=creditLimit%20eq%200&$orderby=number%20desc&$select=number&$skiptoken=",
            h.company_url()
        )),
        "{link}"
    );
}

#[tokio::test]
async fn top_bounds_the_pages() {
    let h = Harness::new().await;
    let pages = walk(&h, &format!("{}/customers?$top=3", h.company_url()), "2").await;
    assert_eq!(pages, [vec!["C00010", "C00020"], vec!["C00030"]]);
    let pages = walk(&h, &format!("{}/customers?$skip=1&$top=4", h.company_url()), "2").await;
    assert_eq!(pages, [vec!["C00020", "C00030"], vec!["C00040", "C00050"]]);
}

#[tokio::test]
async fn no_next_link_without_more_and_no_preference_applied_without_preference() {
    let h = Harness::new().await;
    let reply = h.get(&format!("{}/customers", h.company_url())).await;
    assert!(reply.json.get("@odata.nextLink").is_none());
    assert!(!reply.headers.contains_key("preference-applied"));
    let reply = h
        .send("GET", &format!("{}/customers", h.company_url()), &[("prefer", "odata.maxpagesize=5")], None)
        .await;
    assert!(reply.json.get("@odata.nextLink").is_none(), "exactly one full page");
}

#[tokio::test]
async fn forged_skip_tokens_are_refused() {
    let h = Harness::new().await;
    for token in ["abc", "MTA", "Y3VzdG9zLXBhZ2U6LTE"] {
        let reply = h.get(&format!("{}/customers?$skiptoken={token}", h.company_url())).await;
        reply.assert_error(
            StatusCode::BAD_REQUEST,
            "BadRequest_InvalidRequestUrl",
            "The $skiptoken query option value is not valid.",
        );
    }
}
