//! The card's rules against a real (in-memory) database, and the `apps` commands' output.

use custos_core::FixedClock;
use time::macros::datetime;

use super::cli::{AppsArgs, AppsCommand, Assignment, OutputFormat, run};
use super::*;
use crate::business_central::db::Db;

const ID: &str = "6a7b8c9d-0000-4000-8000-000000000001";

async fn db(clock: &FixedClock) -> Db {
    Db::open_in_memory(clock).await.unwrap()
}

fn clock() -> FixedClock {
    FixedClock::new(datetime!(2026-11-26 10:00 UTC))
}

fn id() -> ClientId {
    ID.parse().unwrap()
}

fn args(output: OutputFormat) -> AppsArgs {
    AppsArgs { data_dir: "unused".into(), output }
}

#[tokio::test]
async fn new_cards_start_disabled_with_an_application_user() {
    let clock = clock();
    let db = db(&clock).await;
    let store = Applications::new(db.pool(), &clock);
    let card = store.add(id(), &Description::parse("Contoso integration").unwrap()).await.unwrap();
    assert_eq!(card.state, "Disabled");
    assert_eq!(card.user_name, "CONTOSO INTEGRATION");
    assert!(card.permission_sets.is_empty());
    let license: String = sqlx::query_scalar("SELECT licenseType FROM users WHERE userSecurityId = ?")
        .bind(&card.user_security_id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(license, "Application");
    let again = store.add(id(), &Description::parse("x").unwrap()).await.unwrap_err();
    assert_eq!(
        again.to_string(),
        format!(
            "The Microsoft Entra Application already exists. Identification fields and values: Client ID='{ID}'"
        )
    );
}

#[tokio::test]
async fn fields_change_only_while_disabled_and_state_mirrors_to_the_user() {
    let clock = clock();
    let db = db(&clock).await;
    let store = Applications::new(db.pool(), &clock);
    let card = store.add(id(), &Description::parse("Old").unwrap()).await.unwrap();
    store.set_state(id(), AppState::Enabled).await.unwrap();
    let user_state: String = sqlx::query_scalar("SELECT state FROM users WHERE userSecurityId = ?")
        .bind(&card.user_security_id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(user_state, "Enabled");
    let refused = store.set_description(id(), &Description::parse("New").unwrap()).await.unwrap_err();
    assert_eq!(
        refused.to_string(),
        "You must set the State field to Disabled before you can make changes to this app."
    );
    assert!(matches!(store.delete(id()).await, Err(AppError::MustBeDisabled)));
    store.set_state(id(), AppState::Disabled).await.unwrap();
    let renamed = store.set_description(id(), &Description::parse("New").unwrap()).await.unwrap();
    assert_eq!((renamed.description.as_str(), renamed.user_name.as_str()), ("New", "NEW"));
    store.delete(id()).await.unwrap();
    assert!(matches!(store.get(id()).await, Err(AppError::NotFound(_))));
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE userSecurityId = ?")
        .bind(&card.user_security_id)
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(users, 0);
}

#[tokio::test]
async fn permission_sets_follow_bcs_rules() {
    let clock = clock();
    let db = db(&clock).await;
    let store = Applications::new(db.pool(), &clock);
    store.add(id(), &Description::parse("App").unwrap()).await.unwrap();
    store.set_state(id(), AppState::Enabled).await.unwrap();
    // Assigning while Enabled is allowed: seed 001 enables first, then assigns.
    let card = store.grant(id(), "d365 read", "").await.unwrap();
    assert_eq!(card.permission_sets, ["D365 READ"]);
    let card = store.grant(id(), "D365 AUTOMATION", "CRONUS US").await.unwrap();
    assert_eq!(card.permission_sets, ["D365 AUTOMATION (CRONUS US)", "D365 READ"]);
    let super_set = store.grant(id(), "SUPER", "").await.unwrap_err();
    assert_eq!(super_set.to_string(), "Applications can't be assigned the SUPER permission set.");
    assert!(matches!(store.grant(id(), "D365 READ", "").await, Err(AppError::AlreadyGranted(_))));
    assert!(matches!(store.grant(id(), "NO SUCH SET", "").await, Err(AppError::UnknownPermissionSet(_))));
    assert!(matches!(store.revoke(id(), "D365 BASIC", "").await, Err(AppError::NotGranted(_))));
    let card = store.revoke(id(), "D365 READ", "").await.unwrap();
    assert_eq!(card.permission_sets, ["D365 AUTOMATION (CRONUS US)"]);
    let access = store.caller_access(id()).await.unwrap().unwrap();
    assert_eq!(access.state, AppState::Enabled);
    assert_eq!(access.assignments, [("D365 AUTOMATION".to_owned(), "CRONUS US".to_owned())]);
    let unknown: ClientId = "6a7b8c9d-0000-4000-8000-000000000099".parse().unwrap();
    assert_eq!(store.caller_access(unknown).await.unwrap(), None);
    assert!(matches!(store.grant(unknown, "D365 READ", "").await, Err(AppError::NotFound(_))));
}

#[tokio::test]
async fn register_is_idempotent_and_enables() {
    let clock = clock();
    let db = db(&clock).await;
    let store = Applications::new(db.pool(), &clock);
    let sets = ["D365 BUS FULL ACCESS".to_owned()];
    let first = store.register(id(), &sets).await.unwrap();
    assert_eq!((first.state.as_str(), first.permission_sets.as_slice()), ("Enabled", &sets[..]));
    store.set_state(id(), AppState::Disabled).await.unwrap();
    let second = store.register(id(), &["D365 AUTOMATION".to_owned(), sets[0].clone()]).await.unwrap();
    assert_eq!(second.state, "Enabled");
    assert_eq!(second.permission_sets, ["D365 AUTOMATION", "D365 BUS FULL ACCESS"]);
    assert_eq!(second.user_security_id, first.user_security_id);
    assert!(matches!(store.register(id(), &["SUPER".to_owned()]).await, Err(AppError::SuperNotAllowed)));
}

#[tokio::test]
async fn commands_answer_rows_and_json() {
    let clock = clock();
    let db = db(&clock).await;
    let add = AppsCommand::Add {
        client_id: ID.to_owned(),
        description: "Contoso".to_owned(),
        args: args(OutputFormat::Table),
    };
    let added = run(&add, db.pool(), &clock).await.unwrap();
    assert_eq!(added.rows, [[ID, "Contoso", "Disabled", "-"].map(str::to_owned)]);
    assert_eq!(added.json["state"], "Disabled");
    let grant = AppsCommand::Grant(Assignment {
        client_id: ID.to_owned(),
        permission_set: "D365 BUS FULL ACCESS".to_owned(),
        company: String::new(),
        args: args(OutputFormat::Json),
    });
    let granted = run(&grant, db.pool(), &clock).await.unwrap().json;
    assert_eq!(granted["permissionSets"], serde_json::json!(["D365 BUS FULL ACCESS"]));
    let enable = AppsCommand::Enable {
        client_id: format!("{{{}}}", ID.to_uppercase()),
        args: args(OutputFormat::Json),
    };
    assert_eq!(run(&enable, db.pool(), &clock).await.unwrap().json["state"], "Enabled");
    let list = AppsCommand::List { args: args(OutputFormat::Json) };
    let listed = run(&list, db.pool(), &clock).await.unwrap();
    assert_eq!(listed.json.as_array().map(Vec::len), Some(1));
    assert_eq!(listed.rows, [[ID, "Contoso", "Enabled", "D365 BUS FULL ACCESS"].map(str::to_owned)]);
    let bad = AppsCommand::Add {
        client_id: "not-a-guid".to_owned(),
        description: "x".to_owned(),
        args: args(OutputFormat::Table),
    };
    assert!(matches!(run(&bad, db.pool(), &clock).await, Err(AppError::InvalidClientId(_))));
    let long = AppsCommand::Set {
        client_id: ID.to_owned(),
        description: "d".repeat(51),
        args: args(OutputFormat::Table),
    };
    assert!(matches!(run(&long, db.pool(), &clock).await, Err(AppError::DescriptionTooLong(51))));
    let delete = AppsCommand::Delete { client_id: ID.to_owned(), args: args(OutputFormat::Table) };
    assert!(matches!(run(&delete, db.pool(), &clock).await, Err(AppError::MustBeDisabled)));
    let disable = AppsCommand::Disable { client_id: ID.to_owned(), args: args(OutputFormat::Table) };
    run(&disable, db.pool(), &clock).await.unwrap();
    let deleted = run(&delete, db.pool(), &clock).await.unwrap();
    assert_eq!(deleted.json, serde_json::json!({ "deleted": ID }));
    assert_eq!((deleted.rows.len(), deleted.instead), (0, format!("deleted {ID}")));
}
