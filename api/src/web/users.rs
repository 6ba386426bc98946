//! Accounts, for admins (`/users`): every user with their role and standing, and a
//! form to add one. Each user's own page is `account`.

use actix_web::{HttpResponse, get, post, web};
use beacon_core::user::validate_password;
use beacon_core::{Action, Email, Role};
use beacon_db::records::User;
use maud::{Markup, html};
use serde::Deserialize;

use super::forms::{self, FieldError, capitalised};
use super::layout;
use super::page::{self, PageError};
use super::session::{self, Visitor};
use super::words::day;
use crate::app::users;
use crate::rest::problem::ApiError;
use crate::rest::state::AppState;

pub const ADMINS_ONLY: &str = "Accounts are managed by admins.";

/// Refuses anyone who is not an admin, whatever they post.
pub fn admin_only(visitor: &Visitor) -> Result<(), PageError> {
    visitor
        .caller
        .may(Action::ManageUsers)
        .map_err(|_| PageError::Forbidden(ADMINS_ONLY.into()))
}

/// The roles with what each may do, for the role choices.
pub fn role_choices() -> Vec<(String, String)> {
    [
        (
            Role::Admin,
            "admin: everything, including accounts and owners",
        ),
        (
            Role::Finance,
            "finance: funding streams, envelopes, allocations and spend",
        ),
        (Role::Lead, "lead: reports on the programmes they own"),
        (
            Role::Auditor,
            "auditor: reads everything, the audit trail included",
        ),
        (Role::Viewer, "viewer: reads the portfolio and programmes"),
    ]
    .iter()
    .map(|(role, text)| (role.as_str().to_string(), (*text).to_string()))
    .collect()
}

#[derive(Deserialize, Default)]
pub struct NewUserForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
}

#[get("/users")]
pub async fn show(state: web::Data<AppState>, visitor: Visitor) -> Result<HttpResponse, PageError> {
    admin_only(&visitor)?;
    let markup = users_page(&state, &visitor, &NewUserForm::default(), &[]).await?;
    Ok(page::ok(markup))
}

#[post("/users")]
pub async fn create(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<NewUserForm>,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&visitor.session, &form.csrf)?;
    admin_only(&visitor)?;
    let form = form.into_inner();
    let mut errors: Vec<FieldError> = Vec::new();
    let email = Email::parse(form.email.trim()).ok();
    if email.is_none() {
        errors.push(FieldError::new(
            "email",
            "Enter an email address, like name@force.police.uk",
        ));
    }
    let role = form.role.parse::<Role>().ok();
    if role.is_none() {
        errors.push(FieldError::new("role", "Choose a role"));
    }
    if let Err(problem) = validate_password(&form.password) {
        errors.push(FieldError::new("password", capitalised(&problem)));
    }
    let (Some(email), Some(role), true) = (email, role, errors.is_empty()) else {
        return refused(&state, &visitor, &form, &errors).await;
    };
    let hash = state
        .hasher
        .hash(form.password.clone())
        .await
        .map_err(ApiError::from)?;
    let who = visitor.caller.clone();
    let made = state
        .db_write(move |conn| Ok(users::create(conn, &who, &email, role, &hash)?))
        .await;
    match made {
        Ok(user) => {
            session::flash(
                &visitor.session,
                &format!("Added {} as {}.", user.email, user.role),
            );
            Ok(page::see_other("/users"))
        }
        Err(ApiError::Conflict(message)) => {
            refused(
                &state,
                &visitor,
                &form,
                &[FieldError::new("email", capitalised(&message))],
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

async fn refused(
    state: &AppState,
    visitor: &Visitor,
    form: &NewUserForm,
    errors: &[FieldError],
) -> Result<HttpResponse, PageError> {
    let markup = users_page(state, visitor, form, errors).await?;
    Ok(page::unprocessable(markup))
}

async fn users_page(
    state: &AppState,
    visitor: &Visitor,
    form: &NewUserForm,
    errors: &[FieldError],
) -> Result<Markup, PageError> {
    let who = visitor.caller.clone();
    let everyone = state
        .db(move |conn| Ok(users::list(conn, &who, None, i64::MAX)?))
        .await?;
    let error_of = |field: &str| forms::error_for(errors, field);
    let flash = session::take_flash(&visitor.session);
    let body = html! {
        (layout::banner(flash.as_deref()))
        (forms::summary(errors))
        h1 class="heading-l" { "Users" }
        (table(&everyone))
        h2 class="heading-m" { "Add a user" }
        form method="post" action="/users" novalidate {
            input type="hidden" name="csrf" value=(visitor.csrf);
            (forms::text_input("email", "Email address", None, error_of("email"), &form.email))
            (forms::select("role", "Role", error_of("role"), &form.role, role_choices().into_iter()))
            (forms::password_input("password", "Password",
                Some("At least 12 characters and not a common password: a phrase of unrelated words serves well"),
                error_of("password")))
            button type="submit" class="button" { "Add user" }
        }
    };
    Ok(layout::page("Users", visitor, body))
}

fn table(everyone: &[User]) -> Markup {
    html! {
        table class="table" {
            caption class="visually-hidden" { "Every account" }
            thead {
                tr {
                    th scope="col" { "Email" }
                    th scope="col" { "Role" }
                    th scope="col" { "Standing" }
                    th scope="col" { "Added" }
                }
            }
            tbody {
                @for user in everyone {
                    tr {
                        td { a href={ "/users/" (user.id) } { (user.email) } }
                        td { (user.role) }
                        td { @if user.active { "Active" } @else { strong class="tag tag-unrated" { "Deactivated" } } }
                        td { (day(user.created_at.date())) }
                    }
                }
            }
        }
    }
}
