//! One account, for admins (`/users/{id}`): its role and standing, a new password, and
//! the programmes it owns. Every change is the API's use case, so it is audited and a
//! change of role, standing or password ends the user's earlier sign-ins.

use actix_web::{HttpResponse, get, post, web};
use beacon_core::Role;
use beacon_core::user::validate_password;
use beacon_db::programmes::Filter;
use beacon_db::records::User;
use beacon_db::users::UserChange;
use maud::html;
use serde::Deserialize;

use super::forms::{FieldError, capitalised};
use super::page::{self, PageError};
use super::session::{self, Visitor};
use super::users::{admin_only, role_choices};
use super::{forms, layout};
use crate::app::{programmes, register, users};
use crate::rest::problem::ApiError;
use crate::rest::state::AppState;

/// Programmes as (code, name), for a list or a select box.
type Choices = Vec<(String, String)>;

#[derive(Deserialize, Default)]
pub struct Change {
    #[serde(default)]
    role: String,
    #[serde(default)]
    active: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    programme: String,
    #[serde(default)]
    csrf: String,
}

#[get("/users/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<i64>,
) -> Result<HttpResponse, PageError> {
    admin_only(&visitor)?;
    Ok(page::ok(account_page(&state, &visitor, *id, None).await?))
}

/// Role, standing or password, as the form asks; refused with what to fix.
#[post("/users/{id}")]
pub async fn change(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<i64>,
    form: web::Form<Change>,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&visitor.session, &form.csrf)?;
    admin_only(&visitor)?;
    let id = id.into_inner();
    let form = form.into_inner();
    let mut change = UserChange {
        role: form.role.parse::<Role>().ok(),
        active: match form.active.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
        password_hash: None,
    };
    if !form.password.is_empty() {
        if let Err(problem) = validate_password(&form.password) {
            return refused(
                &state,
                &visitor,
                id,
                FieldError::new("password", capitalised(&problem)),
            )
            .await;
        }
        let hash = state
            .hasher
            .hash(form.password)
            .await
            .map_err(ApiError::from)?;
        change.password_hash = Some(hash);
    }
    let said = if change.password_hash.is_some() {
        "New password set; earlier sign-ins have ended."
    } else if change.active == Some(false) {
        "Deactivated: they cannot sign in and are no longer emailed alerts."
    } else if change.active == Some(true) {
        "Active again: they may sign in."
    } else {
        "Role changed; earlier sign-ins have ended."
    };
    let who = visitor.caller.clone();
    let changed = state
        .db_write(move |conn| Ok(users::update(conn, &who, id, &change)?))
        .await;
    match changed {
        Ok(_) => {
            session::flash(&visitor.session, said);
            Ok(page::see_other(&format!("/users/{id}")))
        }
        Err(ApiError::Conflict(message)) => {
            refused(
                &state,
                &visitor,
                id,
                FieldError::new("role", capitalised(&message)),
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

/// Makes the user an owner of a programme, or (with `remove`) stops them owning it.
#[post("/users/{id}/owns")]
pub async fn owns(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<i64>,
    form: web::Form<Change>,
    query: web::Query<Remove>,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&visitor.session, &form.csrf)?;
    admin_only(&visitor)?;
    let id = id.into_inner();
    let code = form.programme.clone();
    if code.is_empty() {
        return refused(
            &state,
            &visitor,
            id,
            FieldError::new("programme", "Choose a programme"),
        )
        .await;
    }
    let (who, remove) = (visitor.caller.clone(), query.remove.is_some());
    let asked = code.clone();
    state
        .db_write(move |conn| {
            if remove {
                programmes::remove_owner(conn, &who, &asked, id)?;
            } else {
                programmes::add_owner(conn, &who, &asked, id)?;
            }
            Ok(())
        })
        .await?;
    let said = if remove { "No longer owns" } else { "Now owns" };
    session::flash(&visitor.session, &format!("{said} {code}."));
    Ok(page::see_other(&format!("/users/{id}")))
}

#[derive(Deserialize)]
pub struct Remove {
    remove: Option<String>,
}

async fn refused(
    state: &AppState,
    visitor: &Visitor,
    id: i64,
    error: FieldError,
) -> Result<HttpResponse, PageError> {
    let markup = account_page(state, visitor, id, Some(error)).await?;
    Ok(page::unprocessable(markup))
}

/// The account, the programmes it owns, and every programme it could own.
async fn load(
    state: &AppState,
    visitor: &Visitor,
    id: i64,
) -> Result<(User, Choices, Choices), PageError> {
    let (who, cache) = (visitor.caller.clone(), state.owners.clone());
    state
        .db(move |conn| {
            let user = users::get(conn, &who, id)?;
            let pair =
                |d: register::ProgrammeDetail| (d.programme.code.to_string(), d.programme.name);
            let within = Some(register::owned_by(conn, &who, id)?);
            let mine = Filter {
                within,
                ..Filter::default()
            };
            let owned = register::list(conn, &cache, &mine, None, i64::MAX, None)?;
            let all = register::list(conn, &cache, &Filter::default(), None, i64::MAX, None)?;
            Ok((
                user,
                owned.into_iter().map(pair).collect(),
                all.into_iter().map(pair).collect(),
            ))
        })
        .await
        .map_err(|error| match error {
            ApiError::NotFound(_) => PageError::NotFound("No user has this id.".into()),
            other => other.into(),
        })
}

async fn account_page(
    state: &AppState,
    visitor: &Visitor,
    id: i64,
    error: Option<FieldError>,
) -> Result<maud::Markup, PageError> {
    let (user, owned, all) = load(state, visitor, id).await?;
    let errors: Vec<FieldError> = error.into_iter().collect();
    let error_of = |field: &str| forms::error_for(&errors, field);
    let flash = session::take_flash(&visitor.session);
    let action = format!("/users/{id}");
    let body = html! {
        (layout::banner(flash.as_deref()))
        (forms::summary(&errors))
        span class="caption" { "User " (user.id) }
        h1 class="heading-l" { (user.email) }
        p class="body" { "Role: " strong { (user.role) } "; " (if user.active { "active" } else { "deactivated" }) "." }
        h2 class="heading-m" { "Role" }
        form method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(visitor.csrf);
            (forms::select("role", "New role", error_of("role"), user.role.as_str(), role_choices().into_iter()))
            button type="submit" class="button button-secondary" { "Change role" }
        }
        h2 class="heading-m" { "Standing" }
        form method="post" action=(action) {
            input type="hidden" name="csrf" value=(visitor.csrf);
            @if user.active {
                input type="hidden" name="active" value="no";
                button type="submit" class="button button-warning" { "Deactivate" }
            } @else {
                input type="hidden" name="active" value="yes";
                button type="submit" class="button button-secondary" { "Activate" }
            }
        }
        h2 class="heading-m" { "Password" }
        form method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(visitor.csrf);
            (forms::password_input("password", "New password", Some("At least 12 characters, not a common password"), error_of("password")))
            button type="submit" class="button button-secondary" { "Set password" }
        }
        (ownership(visitor, &action, &owned, all, error_of("programme")))
    };
    Ok(layout::page(user.email.as_str(), visitor, body))
}

/// The programmes the user owns, each with a button to stop, and a form to add one.
fn ownership(
    visitor: &Visitor,
    action: &str,
    owned: &[(String, String)],
    all: Choices,
    error: Option<&str>,
) -> maud::Markup {
    html! {
        h2 class="heading-m" { "Programmes owned" }
        @if owned.is_empty() { p class="body" { "None." } }
        ul class="list" {
            @for (code, name) in owned {
                li {
                    form method="post" action={ (action) "/owns?remove=yes" } class="inline-form" {
                        input type="hidden" name="csrf" value=(visitor.csrf);
                        input type="hidden" name="programme" value=(code);
                        a href={ "/programmes/" (code) } { (name) } " "
                        button type="submit" class="link-button link-button-dark" { "Remove " span class="visually-hidden" { (name) } }
                    }
                }
            }
        }
        form method="post" action={ (action) "/owns" } novalidate {
            input type="hidden" name="csrf" value=(visitor.csrf);
            (forms::select("programme", "Make them an owner of", error, "", all.into_iter()))
            button type="submit" class="button button-secondary" { "Add as owner" }
        }
    }
}
