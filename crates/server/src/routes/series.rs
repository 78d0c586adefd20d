//! Weekly lesson series, calendar feeds and iCalendar import.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use melody_domain::{ResourceId, SeriesEnd, StudioZone, WeeklyRule, MAX_DURATION_MIN};
use melody_store::feeds::FeedToken;
use melody_store::series::{self, ConflictPolicy, NewSeries, Scope, Series, SeriesChange, SlotReport};
use melody_store::{Booking, Resource, StoreError, Student, Teacher};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use crate::extract::{parse_id, Actor, ApiJson, ApiQuery};
use crate::import::{import_ics, ImportError, ImportReport, ImportRequest};
use crate::{ApiError, AppState};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSeries {
    /// Room or instrument; `primary` when omitted.
    pub resource_id: Option<String>,
    pub teacher_id: i64,
    pub student_id: i64,
    /// The first lesson: a studio wall-clock time (`2027-01-04T17:00`), or
    /// RFC 3339 with an offset, read as the studio time it denotes. Later
    /// lessons keep this wall-clock time across daylight saving changes.
    #[schema(example = "2027-01-04T17:00")]
    pub start: String,
    #[schema(example = 45)]
    pub duration_min: i64,
    /// 1 for weekly (default), 2 for every other week, up to 52.
    pub interval_weeks: Option<u32>,
    /// Last date a lesson may fall on (`YYYY-MM-DD`); give this or `count`.
    pub until: Option<String>,
    /// Number of lessons, up to 260; give this or `until`.
    pub count: Option<u32>,
    /// `none` (default): book nothing when any lesson conflicts.
    /// `free_only`: book the free lessons and report the others.
    pub on_conflict: Option<String>,
    /// Report the lessons and their conflicts without writing anything.
    #[serde(default)]
    pub dry_run: bool,
    pub notes: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesPlan {
    /// The created series; null for a dry run.
    pub series: Option<Series>,
    /// Lessons booked.
    pub booked: usize,
    /// Every planned lesson, with its conflicts, any daylight saving
    /// adjustment, and the booking made for it.
    pub slots: Vec<SlotReport>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesDetail {
    pub series: Series,
    pub lessons: Vec<Booking>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeSeries {
    /// `one`, `following` or `all` (every lesson not started yet).
    pub scope: String,
    /// The lesson the scope starts from; required for `one` and `following`.
    pub booking_id: Option<i64>,
    /// New studio wall-clock time, `HH:MM`.
    pub local_time: Option<String>,
    pub duration_min: Option<i64>,
    pub resource_id: Option<String>,
    pub teacher_id: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelSeries {
    /// `one`, `following` or `all` (every lesson not started yet).
    pub scope: String,
    /// The lesson the scope starts from; required for `one` and `following`.
    pub booking_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SeriesLessons {
    /// The lessons changed or cancelled, as they are now.
    pub lessons: Vec<Booking>,
}

fn series_error(error: StoreError, state: &AppState) -> ApiError {
    match error {
        StoreError::SeriesConflict { slots } => {
            let message = format!(
                "{} lesson(s) of the series overlap confirmed bookings: change the time, resource or teacher, or book only the free lessons (on_conflict: free_only). Nothing was changed.",
                slots.len()
            );
            ApiError::new(StatusCode::CONFLICT, "series_conflict", message)
                .with("slots", serde_json::to_value(slots).unwrap_or_default())
        }
        StoreError::NotInSeries { .. } => ApiError::new(
            StatusCode::BAD_REQUEST,
            "booking_not_in_series",
            error.to_string(),
        )
        .with("field", "booking_id"),
        StoreError::Invalid(message) => ApiError::new(StatusCode::BAD_REQUEST, "series_invalid", message),
        other => crate::error::from_store(other, state.settings.zone),
    }
}

/// Reads the first lesson as a studio wall-clock time.
fn parse_local_start(raw: &str, zone: StudioZone) -> Result<NaiveDateTime, ApiError> {
    let invalid = || {
        ApiError::invalid(
            "start_invalid",
            "start",
            format!("start {raw:?} is not a date and time: use 2027-01-04T17:00 (studio time) or RFC 3339 with an offset"),
        )
    };
    if let Ok(instant) = chrono::DateTime::parse_from_rfc3339(raw.trim()) {
        return Ok(instant.with_timezone(&zone.tz()).naive_local());
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(raw.trim(), format).ok())
        .ok_or_else(invalid)
}

fn parse_scope(raw: &str) -> Result<Scope, ApiError> {
    match raw {
        "one" => Ok(Scope::One),
        "following" => Ok(Scope::Following),
        "all" => Ok(Scope::All),
        other => Err(ApiError::invalid(
            "scope_invalid",
            "scope",
            format!("scope {other:?} is invalid: use one, following or all"),
        )),
    }
}

fn parse_duration(raw: i64) -> Result<u32, ApiError> {
    u32::try_from(raw)
        .ok()
        .filter(|minutes| (1..=MAX_DURATION_MIN).contains(minutes))
        .ok_or_else(|| {
            ApiError::invalid(
                "duration_invalid",
                "duration_min",
                format!("duration_min {raw} is out of range: use whole minutes from 1 to {MAX_DURATION_MIN}"),
            )
        })
}

fn parse_resource(state: &AppState, raw: Option<&str>) -> Result<ResourceId, ApiError> {
    crate::routes::bookings::parse_resource(raw, &state.settings)
}

/// Create a weekly series of lessons.
///
/// Every lesson is checked against the conflict rule. With `on_conflict:
/// none` (the default) a conflict books nothing and returns 409
/// `series_conflict` with every conflicting lesson in `slots`; with
/// `free_only` the free lessons are booked and the others reported. A
/// wall-clock time inside a daylight saving gap moves forward by the gap,
/// a repeated one takes its first instant; each such lesson carries an
/// `adjustment`.
#[utoipa::path(operation_id = "create_series", post, path = "/api/series", request_body = CreateSeries,
    responses((status = 201, body = SeriesPlan), (status = 200, body = SeriesPlan, description = "dry run"),
        (status = 400, description = "start_invalid, duration_invalid, series_invalid, resource_id_invalid"),
        (status = 404, description = "resource, teacher or student not found"), (status = 409, description = "series_conflict")))]
pub(crate) async fn create(
    State(state): State<AppState>,
    Actor(actor): Actor,
    ApiJson(body): ApiJson<CreateSeries>,
) -> Result<(StatusCode, Json<SeriesPlan>), ApiError> {
    let zone = state.settings.zone;
    let resource = parse_resource(&state, body.resource_id.as_deref())?;
    let start = parse_local_start(&body.start, zone)?;
    if start.and_utc().timestamp() % 60 != 0 {
        return Err(ApiError::invalid(
            "start_invalid",
            "start",
            format!(
                "start {:?} has seconds: lessons start on a whole minute, such as 2027-01-04T17:00",
                body.start
            ),
        ));
    }
    let duration_min = parse_duration(body.duration_min)?;
    let end = match (&body.until, body.count) {
        (Some(until), None) => {
            SeriesEnd::Until(NaiveDate::parse_from_str(until.trim(), "%Y-%m-%d").map_err(|_| {
                ApiError::invalid(
                    "until_invalid",
                    "until",
                    format!("until {until:?} is not a date: use YYYY-MM-DD"),
                )
            })?)
        }
        (None, Some(count)) => SeriesEnd::Count(count),
        _ => {
            return Err(ApiError::invalid(
                "series_invalid",
                "until",
                "give exactly one of until (last date, YYYY-MM-DD) and count (number of lessons)",
            ))
        }
    };
    let rule = WeeklyRule {
        first_date: start.date(),
        local_time: start.time(),
        interval_weeks: body.interval_weeks.unwrap_or(1),
        end,
    };
    rule.validate()
        .map_err(|e| ApiError::invalid("series_invalid", "interval_weeks", e.to_string()))?;
    let policy = match body.on_conflict.as_deref() {
        None | Some("none") => ConflictPolicy::AllOrNone,
        Some("free_only") => ConflictPolicy::FreeOnly,
        Some(other) => {
            return Err(ApiError::invalid(
                "on_conflict_invalid",
                "on_conflict",
                format!("on_conflict {other:?} is invalid: use none or free_only"),
            ))
        }
    };
    let notes = body.notes.clone();
    if notes
        .as_ref()
        .is_some_and(|n| n.chars().count() > crate::routes::bookings::MAX_NOTES_CHARS)
    {
        return Err(ApiError::invalid(
            "notes_too_long",
            "notes",
            "notes are longer than 50,000 characters: shorten them",
        ));
    }

    let new = NewSeries {
        resource,
        teacher_id: body.teacher_id,
        student_id: body.student_id,
        rule,
        duration_min,
        zone,
        notes,
        created_by: actor,
    };
    let now = state.now();
    let dry_run = body.dry_run;
    let plan = state
        .store_run(move |store| {
            if dry_run {
                let slots = store.read(|conn| new.plan(conn))?;
                Ok(SeriesPlan {
                    series: None,
                    booked: 0,
                    slots,
                })
            } else {
                let (series, slots) = store.write(|tx| new.insert(tx, policy, now))?;
                let booked = slots.iter().filter(|s| s.booking.is_some()).count();
                Ok(SeriesPlan {
                    series: Some(series),
                    booked,
                    slots,
                })
            }
        })
        .await
        .map_err(|e| series_error(e, &state))?;
    if let Some(series) = &plan.series {
        tracing::info!(
            series_id = series.id,
            booked = plan.booked,
            skipped = plan.slots.len() - plan.booked,
            "series created"
        );
    }
    let status = if dry_run {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(plan)))
}

/// Read a series and its lessons.
#[utoipa::path(operation_id = "get_series", get, path = "/api/series/{id}", params(("id" = i64, Path)),
    responses((status = 200, body = SeriesDetail), (status = 404, description = "series_not_found")))]
pub(crate) async fn get(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<SeriesDetail>, ApiError> {
    let id = parse_id("series", "series_not_found", &raw)?;
    let detail = state
        .store_run(move |store| {
            store.read(|conn| {
                Ok(SeriesDetail {
                    series: Series::get(conn, id)?,
                    lessons: Series::bookings(conn, id)?,
                })
            })
        })
        .await
        .map_err(|e| series_error(e, &state))?;
    Ok(Json(detail))
}

/// Change one lesson, this and the following ones, or all remaining lessons.
///
/// Each lesson keeps its planned date; a new `local_time` is read on that
/// date in the series' time zone (the studio zone when it was created).
/// Every changed lesson is checked against the
/// conflict rule first, and one conflict changes nothing (409
/// `series_conflict` listing them all).
#[utoipa::path(operation_id = "change_series", post, path = "/api/series/{id}/change", params(("id" = i64, Path)), request_body = ChangeSeries,
    responses((status = 200, body = SeriesLessons), (status = 400, description = "scope_invalid, local_time_invalid, booking_not_in_series"),
        (status = 404, description = "series_not_found"), (status = 409, description = "series_conflict or booking_not_confirmed")))]
pub(crate) async fn change(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<ChangeSeries>,
) -> Result<Json<SeriesLessons>, ApiError> {
    let id = parse_id("series", "series_not_found", &raw)?;
    let scope = parse_scope(&body.scope)?;
    let local_time = match &body.local_time {
        Some(raw) => Some(NaiveTime::parse_from_str(raw.trim(), "%H:%M").map_err(|_| {
            ApiError::invalid(
                "local_time_invalid",
                "local_time",
                format!("local_time {raw:?} is not a time: use HH:MM, such as 17:00"),
            )
        })?),
        None => None,
    };
    let duration_min = body.duration_min.map(parse_duration).transpose()?;
    let resource = match body.resource_id.as_deref() {
        Some(raw) => Some(parse_resource(&state, Some(raw))?),
        None => None,
    };
    let request = SeriesChange {
        local_time,
        duration_min,
        resource,
        teacher_id: body.teacher_id,
    };
    let now = state.now();
    let anchor = body.booking_id;
    let lessons = state
        .store_run(move |store| {
            store.write(|tx| series::change(tx, id, anchor, scope, &request, &actor, now))
        })
        .await
        .map_err(|e| series_error(e, &state))?;
    tracing::info!(series_id = id, changed = lessons.len(), "series lessons changed");
    Ok(Json(SeriesLessons { lessons }))
}

/// Cancel one lesson, this and the following ones, or all remaining lessons.
///
/// Each lesson is cancelled by the late-cancel rule on its own start.
#[utoipa::path(operation_id = "cancel_series", post, path = "/api/series/{id}/cancel", params(("id" = i64, Path)), request_body = CancelSeries,
    responses((status = 200, body = SeriesLessons), (status = 400, description = "scope_invalid, booking_not_in_series"),
        (status = 404, description = "series_not_found"), (status = 409, description = "booking_not_confirmed")))]
pub(crate) async fn cancel(
    State(state): State<AppState>,
    Actor(actor): Actor,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<CancelSeries>,
) -> Result<Json<SeriesLessons>, ApiError> {
    let id = parse_id("series", "series_not_found", &raw)?;
    let scope = parse_scope(&body.scope)?;
    let now = state.now();
    let window = state.settings.late_cancel_window;
    let anchor = body.booking_id;
    let lessons = state
        .store_run(move |store| store.write(|tx| series::cancel(tx, id, anchor, scope, &actor, now, window)))
        .await
        .map_err(|e| series_error(e, &state))?;
    tracing::info!(
        series_id = id,
        cancelled = lessons.len(),
        "series lessons cancelled"
    );
    Ok(Json(SeriesLessons { lessons }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFeed {
    /// `teacher`, `resource` or `student`.
    pub kind: String,
    /// The teacher or student id, or the resource id.
    pub id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedCreated {
    pub feed: FeedToken,
    /// Shown once: only its hash is stored.
    pub token: String,
    /// Path of the feed on this server, for a calendar app's "subscribe by URL".
    pub path: String,
}

fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Create a calendar feed of a teacher, resource or student.
///
/// The response contains the token once; the feed is served at
/// `/api/feeds/ics/{token}` to anyone holding it, until revoked.
#[utoipa::path(operation_id = "create_feed", post, path = "/api/feeds", request_body = CreateFeed,
    responses((status = 201, body = FeedCreated), (status = 400, description = "kind_invalid"), (status = 404, description = "target not found")))]
pub(crate) async fn create_feed(
    State(state): State<AppState>,
    Actor(actor): Actor,
    ApiJson(body): ApiJson<CreateFeed>,
) -> Result<(StatusCode, Json<FeedCreated>), ApiError> {
    let kind = body.kind.clone();
    if !matches!(kind.as_str(), "teacher" | "resource" | "student") {
        return Err(ApiError::invalid(
            "kind_invalid",
            "kind",
            format!("kind {kind:?} is invalid: use teacher, resource or student"),
        ));
    }
    // Ids are stored in their canonical form, so "007" and "7" are one
    // teacher for the feed as they are for the database.
    let target = match kind.as_str() {
        "teacher" | "student" => match body.id.trim().parse::<i64>() {
            Ok(id) => id.to_string(),
            Err(_) => {
                return Err(ApiError::invalid(
                    "id_invalid",
                    "id",
                    format!(
                        "id {:?} is not a {kind} id: use the number shown on the {kind}",
                        body.id
                    ),
                ))
            }
        },
        _ => body.id.trim().to_owned(),
    };
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| ApiError::internal(&e))?;
    let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let (hash, hint) = (hash_token(&token), token[..6].to_owned());
    let now = state.now();
    let feed = state
        .store_run(move |store| {
            store.write(|tx| {
                let exists = match kind.as_str() {
                    "teacher" => target
                        .parse()
                        .ok()
                        .and_then(|id| Teacher::find(tx, id).transpose())
                        .transpose()?
                        .is_some(),
                    "student" => target
                        .parse()
                        .ok()
                        .and_then(|id| Student::find(tx, id).transpose())
                        .transpose()?
                        .is_some(),
                    _ => match ResourceId::parse(&target) {
                        Ok(resource) => Resource::find(tx, &resource)?.is_some(),
                        Err(_) => false,
                    },
                };
                if !exists {
                    let kind_name: &'static str = match kind.as_str() {
                        "teacher" => "teacher",
                        "student" => "student",
                        _ => "resource",
                    };
                    return Err(StoreError::not_found(kind_name, &target));
                }
                FeedToken::insert(tx, &hash, &hint, &kind, &target, &actor, now)
            })
        })
        .await
        .map_err(|e| series_error(e, &state))?;
    tracing::info!(feed_id = feed.id, kind = %feed.kind, target = %feed.target, "feed created");
    let path = format!("/api/feeds/ics/{token}");
    Ok((StatusCode::CREATED, Json(FeedCreated { feed, token, path })))
}

/// Feeds that have not been revoked.
#[utoipa::path(operation_id = "list_feeds", get, path = "/api/feeds", responses((status = 200, body = Vec<FeedToken>)))]
pub(crate) async fn list_feeds(State(state): State<AppState>) -> Result<Json<Vec<FeedToken>>, ApiError> {
    Ok(Json(state.run(|store| store.read(FeedToken::list_active)).await?))
}

/// Revoke a feed: its URL stops working at once.
#[utoipa::path(operation_id = "revoke_feed", post, path = "/api/feeds/{id}/revoke", params(("id" = i64, Path)),
    responses((status = 200, body = FeedToken), (status = 404, description = "feed_not_found")))]
pub(crate) async fn revoke_feed(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> Result<Json<FeedToken>, ApiError> {
    let id = parse_id("feed", "feed_not_found", &raw)?;
    let now = state.now();
    let feed = state
        .run(move |store| store.write(|tx| FeedToken::revoke(tx, id, now)))
        .await?;
    tracing::info!(feed_id = id, "feed revoked");
    Ok(Json(feed))
}

/// A calendar feed (`text/calendar`), for calendar apps. Needs no API
/// credential: the token in the path is the credential.
#[utoipa::path(operation_id = "feed_ics", get, path = "/api/feeds/ics/{token}", params(("token" = String, Path)),
    responses((status = 200, content_type = "text/calendar", body = String), (status = 404, description = "feed_not_found")))]
pub(crate) async fn feed_ics(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let token = token.trim_end_matches(".ics").to_owned();
    let hash = hash_token(&token);
    let zone = state.settings.zone;
    let now = state.now();
    let body = state
        .run(move |store| {
            store.read(|conn| match FeedToken::find_active(conn, &hash)? {
                Some(feed) => crate::feed::render(conn, &feed, zone, now).map(Some),
                None => Ok(None),
            })
        })
        .await?;
    let Some(body) = body else {
        tracing::warn!("feed request with an unknown or revoked token");
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "feed_not_found",
            "No feed has this address, or it was revoked: ask the desk for a new link.",
        ));
    };
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// The room or instrument every lesson is booked on.
    pub resource_id: String,
    /// The teacher of every lesson; without it a teacher named after the
    /// calendar is created.
    pub teacher_id: Option<i64>,
    /// The student of every lesson; without it one student per event title
    /// is created.
    pub student_id: Option<i64>,
    /// Also import occurrences before now (moving a studio's history in).
    #[serde(default)]
    pub include_past: bool,
    /// Report what would be created, and every conflict, writing nothing.
    #[serde(default)]
    pub dry_run: bool,
    /// A name for the calendar, used for a created teacher.
    pub name: Option<String>,
}

/// Largest `.ics` file accepted, in bytes.
pub const MAX_ICS_BYTES: usize = 20 * 1024 * 1024;

/// Import an iCalendar file (`.ics`) as bookings.
///
/// The body is the file. Recurring events are expanded (open-ended ones up
/// to 366 days ahead), all-day and cancelled events are skipped with a
/// reason. The import is one transaction: any conflict imports nothing and
/// returns 409 `import_conflict` with the full report.
#[utoipa::path(operation_id = "import_ics", post, path = "/api/import/ics", params(ImportQuery),
    request_body(content = String, content_type = "text/calendar"),
    responses((status = 200, body = ImportReport, description = "dry run"), (status = 201, body = ImportReport),
        (status = 400, description = "ics_invalid, resource_id_invalid"), (status = 404, description = "resource, teacher or student not found"),
        (status = 409, description = "import_conflict"), (status = 413, description = "ics_too_large")))]
pub(crate) async fn import(
    State(state): State<AppState>,
    Actor(actor): Actor,
    ApiQuery(query): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Result<(StatusCode, Json<ImportReport>), ApiError> {
    if body.len() > MAX_ICS_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "ics_too_large",
            format!(
                "the file has {} bytes, more than the {MAX_ICS_BYTES} accepted: export a shorter date range",
                body.len()
            ),
        ));
    }
    let text = String::from_utf8(body.to_vec()).map_err(|_| {
        ApiError::invalid(
            "ics_invalid",
            "body",
            "the file is not UTF-8 text: export it again as iCalendar (.ics)",
        )
    })?;
    let resource = parse_resource(&state, Some(&query.resource_id))?;
    let request = ImportRequest {
        resource,
        teacher_id: query.teacher_id,
        student_id: query.student_id,
        include_past: query.include_past,
        calendar_name: query.name.clone().unwrap_or_else(|| "calendar import".to_owned()),
        actor,
    };
    let (zone, now, dry_run) = (state.settings.zone, state.now(), query.dry_run);
    let store = std::sync::Arc::clone(&state.store);
    let result = tokio::task::spawn_blocking(move || import_ics(&store, &text, &request, zone, now, dry_run))
        .await
        .map_err(|e| ApiError::internal(&e))?;
    match result {
        Ok(report) => {
            tracing::info!(dry_run, created = report.created, skipped = report.skipped.len(), "calendar imported");
            let status = if dry_run { StatusCode::OK } else { StatusCode::CREATED };
            Ok((status, Json(report)))
        }
        Err(ImportError::Parse(message)) => Err(ApiError::invalid("ics_invalid", "body", format!("the file is not a valid iCalendar file: {message}"))),
        Err(ImportError::Conflicts { conflicting, report }) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "import_conflict",
            format!("{conflicting} lesson(s) overlap existing bookings or each other: nothing was imported. Run a dry run to see them, then free those slots or pick another resource or teacher."),
        )
        .with("report", serde_json::to_value(*report).unwrap_or_default())),
        Err(ImportError::Store(error)) => Err(series_error(error, &state)),
    }
}
