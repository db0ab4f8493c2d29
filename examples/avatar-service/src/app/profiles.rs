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

/// Characters that change the direction of the text around them: embeddings, overrides,
/// isolates and their terminators (U+202A–U+202E, U+2066–U+2069) and the direction marks
/// (U+200E, U+200F, U+061C). In a name they can make other text shown beside it read
/// backwards ("moc.elgoog" shown as "google.com").
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Characters that show as nothing: zero-width space, (non-)joiners, word joiner, invisible
/// operators, the byte-order mark, the Mongolian vowel separator. They let two names that
/// look the same differ.
fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{180E}')
}

/// Why a display name cannot be used, beyond its length; `None` when it can.
///
/// A zero-width joiner between two symbols (the emoji sequences 👩‍💻, 👨‍👩‍👧) is allowed;
/// anywhere else it is refused with the other invisible characters.
fn display_name_problem(name: &str) -> Option<&'static str> {
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_control() {
            return Some("control characters");
        }
        if is_bidi_control(c) {
            return Some("characters that change the text direction");
        }
        let emoji_joiner = c == '\u{200D}'
            && i > 0
            && chars.get(i + 1).is_some_and(|next| !next.is_alphanumeric() && !next.is_whitespace())
            && !chars[i - 1].is_alphanumeric()
            && !chars[i - 1].is_whitespace();
        if is_invisible(c) && !emoji_joiner {
            return Some("invisible characters");
        }
    }
    None
}

/// Why a bio cannot be used, beyond its length: control characters other than line breaks
/// and tabs, or text-direction overrides; `None` when it can.
fn bio_problem(bio: &str) -> Option<&'static str> {
    if bio.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Some("control characters (other than line breaks and tabs)");
    }
    if bio.chars().any(|c| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')) {
        return Some("text-direction overrides");
    }
    None
}

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
    } else if display_name.chars().count() > MAX_DISPLAY_NAME_CHARS {
        problems.push((
            "display_name_too_long",
            format!("the display name must be at most {MAX_DISPLAY_NAME_CHARS} characters"),
        ));
    } else if let Some(what) = display_name_problem(display_name) {
        problems.push(("display_name_invalid", format!("the display name must not contain {what}")));
    }
    let bio = update.bio.as_deref().map(str::trim).filter(|b| !b.is_empty());
    if bio.is_some_and(|b| b.chars().count() > MAX_BIO_CHARS) {
        problems.push(("bio_too_long", format!("the bio must be at most {MAX_BIO_CHARS} characters")));
    } else if let Some(what) = bio.and_then(bio_problem) {
        problems.push(("bio_invalid", format!("the bio must not contain {what}")));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_refuse_direction_controls_and_invisible_characters() {
        for ok in ["Ada Lovelace", "Grace 🚀", "👩\u{200D}💻 Ada", "José Ñúñez", "محمد", "李小龙"] {
            assert_eq!(display_name_problem(ok), None, "{ok:?}");
        }
        for (bad, what) in [
            ("evil\u{202E}moc.elgoog", "direction"),
            ("a\u{2066}b", "direction"),
            ("a\u{200F}b", "direction"),
            ("ad\u{200B}a", "invisible"),
            ("a\u{200D}b", "invisible"),
            ("\u{FEFF}ada", "invisible"),
            ("nul\u{0}", "control"),
            ("esc\u{1b}[31m", "control"),
        ] {
            assert!(display_name_problem(bad).is_some_and(|p| p.contains(what)), "{bad:?}");
        }
    }

    #[test]
    fn bios_keep_line_breaks_and_refuse_other_controls() {
        assert_eq!(bio_problem("line one\nline two\r\n\tindented, مرحبا \u{200F}"), None);
        for bad in ["nul\u{0}byte", "escape \u{1b}[2J", "del\u{7f}", "c1\u{85}", "flip\u{202E}txt", "iso\u{2067}late"] {
            assert!(bio_problem(bad).is_some(), "{bad:?}");
        }
    }
}
