//! The profile API: the caller's own profile (created on first use), profiles by handle,
//! and profile updates.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path as UrlPath, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::json;

use super::api_error::json_body;
use super::caller::Caller;
use super::{ApiError, AppState};
use crate::auth::Claims;
use crate::db::User;

/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 64;
/// Longest bio, in characters.
pub const MAX_BIO_CHARS: usize = 500;

/// A new user's handle: their user name, lower-cased and cleaned, or `user-<sub prefix>`.
fn handle_from(username: Option<&str>, sub: &str) -> String {
    let cleaned: String = username
        .unwrap_or_default()
        .chars()
        .filter_map(|c| {
            let c = c.to_ascii_lowercase();
            (c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.').then_some(c)
        })
        .take(32)
        .collect();
    if cleaned.is_empty() { format!("user-{}", &sub[..sub.len().min(8)]) } else { cleaned }
}

impl AppState {
    /// The caller's row, created from the token's claims on first use.
    async fn caller_user(&self, claims: &Claims) -> Result<User, ApiError> {
        let handle = handle_from(claims.username.as_deref(), &claims.sub);
        let display_name = self
            .dev
            .as_ref()
            .and_then(|d| d.users().iter().find(|u| u.sub == claims.sub))
            .map_or_else(|| claims.username.clone().unwrap_or_else(|| handle.clone()), |u| u.display_name.to_owned());
        Ok(self.db.ensure_user(&claims.sub, &handle, &display_name).await?)
    }

    /// A profile as the API shows it, with the avatar URL.
    async fn profile_json(&self, user: &User) -> Result<serde_json::Value, ApiError> {
        Ok(json!({
            "uuid": user.uuid,
            "handle": user.handle,
            "display_name": user.display_name,
            "bio": user.bio,
            "avatar_url": self.avatar_url(&user.cognito_user_id).await?,
        }))
    }
}

/// `GET /api/me`: the caller's profile, created on first use.
pub(super) async fn me(
    State(state): State<Arc<AppState>>,
    Caller(claims): Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let user = state.caller_user(&claims).await?;
    Ok(Json(state.profile_json(&user).await?))
}

/// `GET /api/profile/@<handle>`: anyone's public profile.
pub(super) async fn profile_by_handle(
    State(state): State<Arc<AppState>>,
    handle: Result<UrlPath<String>, PathRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let UrlPath(handle) = handle.map_err(|_| ApiError::not_found("no such profile"))?;
    let handle =
        handle.strip_prefix('@').ok_or_else(|| ApiError::not_found("profiles are at /api/profile/@<handle>"))?;
    let user =
        state.db.user_by_handle(handle).await?.ok_or_else(|| ApiError::not_found(format!("no user @{handle}")))?;
    Ok(Json(state.profile_json(&user).await?))
}

#[derive(Deserialize)]
struct ProfileUpdate {
    display_name: String,
    #[serde(default)]
    bio: Option<String>,
}

/// `POST /api/profile/update`: changes the caller's display name and bio.
pub(super) async fn update_profile(
    State(state): State<Arc<AppState>>,
    Caller(claims): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let update: ProfileUpdate = json_body(&headers, &body)?;
    // Every problem at once, so that a form can mark all its fields.
    let mut problems = Vec::new();
    let display_name = update.display_name.trim();
    if display_name.is_empty() {
        problems.push(("display_name_blank", "the display name must not be blank".to_string()));
    } else if display_name.chars().count() > MAX_DISPLAY_NAME_CHARS || display_name.chars().any(char::is_control) {
        problems.push((
            "display_name_too_long",
            format!("the display name must be at most {MAX_DISPLAY_NAME_CHARS} characters, without control characters"),
        ));
    }
    let bio = update.bio.as_deref().map(str::trim).filter(|b| !b.is_empty());
    if bio.is_some_and(|b| b.chars().count() > MAX_BIO_CHARS) {
        problems.push(("bio_too_long", format!("the bio must be at most {MAX_BIO_CHARS} characters")));
    }
    if let Some(error) = ApiError::unprocessable_all(problems) {
        return Err(error);
    }
    state.caller_user(&claims).await?;
    let user = state
        .db
        .update_profile(&claims.sub, display_name, bio)
        .await?
        .ok_or_else(|| ApiError::not_found("the user disappeared"))?;
    Ok(Json(state.profile_json(&user).await?))
}
