//! The demo data inserted on the first start: a course catalogue in two categories, two learning
//! paths, one organization of the configured tenant and three learners. A marker row in
//! `sample_meta` makes it happen once, so deleting demo rows sticks across restarts.

use sqlx::SqlitePool;
use uuid::Uuid;

const SEEDED: &str = "seeded";

/// `(id, name)`.
const CATEGORIES: [(i64, &str); 2] = [(1, "Digital Literacy"), (2, "Health and Safety")];

/// `(id, category, name, description, language)`.
const COURSES: [(i64, i64, &str, &str, &str); 5] = [
    (101, 1, "Getting Started with Computers", "Use a mouse, a keyboard and files.", "en"),
    (102, 1, "Internet Basics", "Browse, search and stay safe online.", "en"),
    (103, 1, "Email Essentials", "Send, receive and organise e-mail.", "en"),
    (201, 2, "First Aid Fundamentals", "Respond to common emergencies.", "en"),
    (202, 2, "Workplace Safety", "Spot and report hazards at work.", "en"),
];

/// `(id, name, description, courses in order)`.
const LEARNING_PATHS: [(i64, &str, &str, &[i64]); 2] = [
    (1, "Digital Skills Starter", "From the first click to the first e-mail.", &[101, 102, 103]),
    (2, "Safe at Work", "Safety essentials for every employee.", &[202, 201]),
];

/// `(first name, last name, contact, contact type)`.
const USERS: [(&str, &str, &str, &str); 3] = [
    ("Ada", "Lovelace", "ada@contoso.example", "Email"),
    ("Grace", "Hopper", "grace@contoso.example", "Email"),
    ("Alan", "Turing", "+15550100", "Phone"),
];

/// Inserts the demo data unless it was inserted before.
pub(super) async fn ensure(pool: &SqlitePool, tenant: Uuid) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    let seeded: Option<String> = sqlx::query_scalar("SELECT value FROM sample_meta WHERE key = ?")
        .bind(SEEDED)
        .fetch_optional(&mut *tx)
        .await?;
    if seeded.is_some() {
        return Ok(());
    }
    for (id, name) in CATEGORIES {
        sqlx::query("INSERT INTO categories (id, name) VALUES (?, ?)")
            .bind(id)
            .bind(name)
            .execute(&mut *tx)
            .await?;
    }
    for (id, category, name, description, language) in COURSES {
        sqlx::query(
            "INSERT INTO courses (id, category_id, name, description, language) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(category)
        .bind(name)
        .bind(description)
        .bind(language)
        .execute(&mut *tx)
        .await?;
    }
    for (id, name, description, courses) in LEARNING_PATHS {
        sqlx::query("INSERT INTO learning_paths (id, name, description) VALUES (?, ?, ?)")
            .bind(id)
            .bind(name)
            .bind(description)
            .execute(&mut *tx)
            .await?;
        for (position, course) in (0_i64..).zip(courses) {
            sqlx::query(
                "INSERT INTO learning_path_courses (learning_path_id, position, course_id) VALUES (?, ?, ?)",
            )
            .bind(id)
            .bind(position)
            .bind(course)
            .execute(&mut *tx)
            .await?;
        }
    }
    let organization = Uuid::new_v4();
    sqlx::query("INSERT INTO organizations (id, name, description, tenant_id) VALUES (?, ?, ?, ?)")
        .bind(organization.to_string())
        .bind("Contoso Learning")
        .bind("The demo organization.")
        .bind(tenant.to_string())
        .execute(&mut *tx)
        .await?;
    for (first, last, contact, kind) in USERS {
        sqlx::query(
            "INSERT INTO users (id, first_name, last_name, contact, contact_type, organization_id) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(Uuid::new_v4().to_string())
        .bind(first)
        .bind(last)
        .bind(contact)
        .bind(kind)
        .bind(organization.to_string())
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("INSERT INTO sample_meta (key, value) VALUES (?, '1')")
        .bind(SEEDED)
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}
