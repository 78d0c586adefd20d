//! Teachers and students.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use melody_domain::{Email, PersonName};
use melody_store::{StoreError, Student, Teacher};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::extract::{parse_id, ApiJson};
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeacher {
    #[schema(example = "Ada Lovelace")]
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStudent {
    #[schema(example = "Zoë Park")]
    pub name: String,
    /// The student's or guardian's contact address, used for billing.
    #[schema(example = "guardian@example.com")]
    pub email: String,
}

fn parse_name(raw: &str) -> Result<PersonName, ApiError> {
    PersonName::parse(raw).map_err(|e| ApiError::invalid("name_invalid", "name", e.to_string()))
}

/// Add a teacher.
#[utoipa::path(operation_id = "create_teacher", post, path = "/api/teachers", request_body = CreateTeacher,
    responses((status = 201, body = Teacher), (status = 400, description = "name_invalid")))]
pub(crate) async fn create_teacher(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateTeacher>,
) -> Result<(StatusCode, Json<Teacher>), ApiError> {
    let name = parse_name(&body.name)?;

    let now = state.now();
    let teacher = state
        .run(move |store| store.write(|tx| Teacher::insert(tx, &name, now)))
        .await?;

    tracing::info!(teacher_id = teacher.id, "teacher created");
    Ok((StatusCode::CREATED, Json(teacher)))
}

/// Add a student.
#[utoipa::path(operation_id = "create_student", post, path = "/api/students", request_body = CreateStudent,
    responses((status = 201, body = Student), (status = 400, description = "name_invalid or email_invalid")))]
pub(crate) async fn create_student(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateStudent>,
) -> Result<(StatusCode, Json<Student>), ApiError> {
    let name = parse_name(&body.name)?;
    let email =
        Email::parse(&body.email).map_err(|e| ApiError::invalid("email_invalid", "email", e.to_string()))?;

    let now = state.now();
    let student = state
        .run(move |store| store.write(|tx| Student::insert(tx, &name, &email, now)))
        .await?;

    tracing::info!(student_id = student.id, "student created");
    Ok((StatusCode::CREATED, Json(student)))
}

/// List teachers, ordered by name.
#[utoipa::path(operation_id = "list_teachers", get, path = "/api/teachers", responses((status = 200, body = Vec<Teacher>)))]
pub(crate) async fn list_teachers(State(state): State<AppState>) -> Result<Json<Vec<Teacher>>, ApiError> {
    Ok(Json(state.run(|store| store.read(Teacher::list)).await?))
}

/// List students, ordered by name.
#[utoipa::path(operation_id = "list_students", get, path = "/api/students", responses((status = 200, body = Vec<Student>)))]
pub(crate) async fn list_students(State(state): State<AppState>) -> Result<Json<Vec<Student>>, ApiError> {
    Ok(Json(state.run(|store| store.read(Student::list)).await?))
}

/// Read one teacher.
#[utoipa::path(operation_id = "get_teacher", get, path = "/api/teachers/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = Teacher), (status = 404, description = "teacher_not_found")))]
pub(crate) async fn get_teacher(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Teacher>, ApiError> {
    let id = parse_id("teacher", "teacher_not_found", &raw)?;
    let teacher = state
        .run(move |store| {
            store.read(|conn| Teacher::find(conn, id)?.ok_or_else(|| StoreError::not_found("teacher", id)))
        })
        .await?;
    Ok(Json(teacher))
}

/// Read one student.
#[utoipa::path(operation_id = "get_student", get, path = "/api/students/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = Student), (status = 404, description = "student_not_found")))]
pub(crate) async fn get_student(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<Student>, ApiError> {
    let id = parse_id("student", "student_not_found", &raw)?;
    let student = state
        .run(move |store| {
            store.read(|conn| Student::find(conn, id)?.ok_or_else(|| StoreError::not_found("student", id)))
        })
        .await?;
    Ok(Json(student))
}
