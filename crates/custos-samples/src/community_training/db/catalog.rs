//! Read-only queries on the seeded catalogue: course categories with their courses, learning paths.

use super::Db;
use crate::community_training::shapes::{Course, CourseCategory, LearningPath};

impl Db {
    /// Every category (by id) with its courses (by id), as seen by a service caller: not
    /// registered, no progress.
    pub async fn course_catalogue(&self) -> Result<Vec<CourseCategory>, sqlx::Error> {
        let categories: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, name FROM categories ORDER BY id").fetch_all(&self.pool).await?;
        let courses: Vec<(i64, i64, String, String, String, String)> = sqlx::query_as(
            "SELECT id, category_id, name, description, language, image FROM courses ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(categories
            .into_iter()
            .map(|(category_id, category_name)| CourseCategory {
                category_id,
                category_name,
                courses: courses
                    .iter()
                    .filter(|course| course.1 == category_id)
                    .map(|(id, _, name, description, language, image)| Course {
                        product_id: *id,
                        course_name: name.clone(),
                        course_description: description.clone(),
                        content_language: language.clone(),
                        course_image: image.clone(),
                        is_registered: false,
                        completion_percentage: 0.0,
                    })
                    .collect(),
            })
            .collect())
    }

    /// Every learning path (by id) with its courses in order.
    pub async fn learning_paths(&self) -> Result<Vec<LearningPath>, sqlx::Error> {
        let paths: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, name, description FROM learning_paths ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        let steps: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT learning_path_id, course_id FROM learning_path_courses ORDER BY learning_path_id, position",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(paths
            .into_iter()
            .map(|(id, name, description)| LearningPath {
                id,
                name,
                description,
                course_ids: steps.iter().filter(|(path, _)| *path == id).map(|(_, course)| *course).collect(),
            })
            .collect())
    }
}
