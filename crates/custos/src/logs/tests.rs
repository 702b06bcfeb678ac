use super::follow::{LAG, Watermark};
use super::*;
use clap::Parser;
use custos_core::FixedClock;
use serde_json::json;
use time::macros::datetime;

#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    command: LogsCommand,
}

fn args(line: &[&str]) -> LogArgs {
    let mut all = vec!["logs"];
    all.extend_from_slice(line);
    match Cli::try_parse_from(all).unwrap().command {
        LogsCommand::Audits(args) | LogsCommand::Signins(args) => args,
    }
}

fn audit(id: &str, time: &str, user: Option<&str>) -> Value {
    let by = match user {
        Some(upn) => json!({"user": {"id": "u1", "userPrincipalName": upn}, "app": null}),
        None => json!({"user": null, "app": {"appId": "a1", "displayName": "custos admin"}}),
    };
    json!({
        "id": id,
        "activityDateTime": time,
        "activityDisplayName": "Add application",
        "result": "success",
        "initiatedBy": by,
        "targetResources": [
            {"id": "t1", "displayName": "Payroll", "type": "Application"},
            {"id": "t2", "displayName": null, "type": "ServicePrincipal"}
        ],
    })
}

#[test]
fn options_become_one_filter() {
    let source = &audits::AUDITS;
    let clock = FixedClock::new(datetime!(2026-03-01 12:00 UTC));
    let all = args(&["audits", "--since", "90m", "--app", "O'Brien's app", "--failed"]);
    assert_eq!(
        source.filter(&all, since(&all, &clock)).unwrap(),
        "(activityDateTime ge 2026-03-01T10:30:00Z) and (initiatedBy/app/displayName eq 'O''Brien''s app') \
         and (not (result eq 'success'))"
    );
    let by_id = args(&["audits", "--app", "6731de76-14a6-49ae-97bc-6eba6914391e"]);
    assert_eq!(
        source.filter(&by_id, since(&by_id, &clock)).unwrap(),
        "initiatedBy/app/appId eq '6731de76-14a6-49ae-97bc-6eba6914391e'"
    );
    let none = args(&["audits"]);
    assert_eq!(source.filter(&none, since(&none, &clock)), None);
}

#[test]
fn audits_print_as_a_table() {
    let records = [
        audit("2", "2026-03-01T12:00:01Z", Some("carol@a.example")),
        audit("1", "2026-03-01T12:00:00Z", None),
    ];
    assert_eq!(
        audits::AUDITS.table(&records).render_or("none"),
        "TIME                  ACTIVITY         RESULT   INITIATED BY     TARGET\n\
         2026-03-01T12:00:01Z  Add application  success  carol@a.example  Application Payroll (+1)\n\
         2026-03-01T12:00:00Z  Add application  success  custos admin     Application Payroll (+1)\n"
    );
    assert_eq!(audits::AUDITS.table(&[]).render_or(audits::AUDITS.empty), "no directory audits\n");
}

#[test]
fn the_watermark_prints_each_record_once_even_when_it_arrives_late() {
    let source = &audits::AUDITS;
    let mut mark = Watermark::new(Some(datetime!(2026-03-01 12:00 UTC)));
    assert_eq!(mark.poll_from(), Some(datetime!(2026-03-01 12:00 UTC)));
    let first = vec![
        audit("old", "2026-03-01T11:59:59Z", None),
        audit("a", "2026-03-01T12:00:00Z", None),
        audit("b", "2026-03-01T12:00:10Z", None),
    ];
    let ids = |records: Vec<Value>| {
        records.iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    assert_eq!(ids(mark.admit(source, first.clone())), ["a", "b"], "nothing before --since");
    assert_eq!(mark.poll_from(), Some(datetime!(2026-03-01 12:00:10 UTC) - LAG));
    // The next poll overlaps: b again, and c written late with a time before b.
    let second = vec![
        audit("c", "2026-03-01T12:00:08Z", None),
        audit("b", "2026-03-01T12:00:10Z", None),
        audit("d", "2026-03-01T12:00:20Z", None),
    ];
    assert_eq!(ids(mark.admit(source, second.clone())), ["c", "d"]);
    assert!(mark.admit(source, second).is_empty(), "a repeated poll prints nothing");
    assert_eq!(mark.poll_from(), Some(datetime!(2026-03-01 12:00:15 UTC)));

    let mut from_start = Watermark::new(None);
    assert_eq!(from_start.poll_from(), None);
    assert_eq!(ids(from_start.admit(source, first)), ["old", "a", "b"]);
}

#[test]
fn sign_in_options_read_every_kind() {
    let source = &sign_ins::SIGN_INS;
    let clock = FixedClock::new(datetime!(2026-03-01 12:00 UTC));
    let all = args(&["signins", "--since", "1h", "--app", "Nightly", "--failed"]);
    assert_eq!(
        source.filter(&all, since(&all, &clock)).unwrap(),
        "(signInEventTypes/any(t: t ne 'unknownFutureValue')) and (createdDateTime ge 2026-03-01T11:00:00Z) \
         and (appDisplayName eq 'Nightly') and (not (status/errorCode eq 0))"
    );
    let none = args(&["signins"]);
    assert_eq!(
        source.filter(&none, since(&none, &clock)).as_deref(),
        Some("signInEventTypes/any(t: t ne 'unknownFutureValue')")
    );
    let record = json!({
        "createdDateTime": "2026-03-01T11:59:00Z", "signInEventTypes": ["servicePrincipal"],
        "appId": "a1", "appDisplayName": "Nightly", "userPrincipalName": "",
        "resourceDisplayName": "Microsoft Graph", "status": {"errorCode": 7000215}, "ipAddress": "198.51.100.7",
    });
    let text = source.table(&[record]).render_or(source.empty);
    assert!(text.contains("servicePrincipal") && text.contains("AADSTS7000215"), "{text}");
    assert!(text.contains("Nightly") && text.contains("198.51.100.7"), "{text}");
}
