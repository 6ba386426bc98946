//! Signing in and out of the web pages, with the same accounts and throttle as the
//! API's tokens.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use maud::{Markup, html};
use serde::Deserialize;

use super::forms::{self, FieldError};
use super::layout;
use super::page::{self, PageError};
use super::session::{self, Visitor};
use crate::rest::problem::ApiError;
use crate::rest::sign_in::authenticate;
use crate::rest::state::AppState;

#[derive(Deserialize)]
pub struct Next {
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: String,
}

/// Only a path on this site: never an address elsewhere, which would make the sign-in
/// page a way to send someone to another site.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/"
    }
}

#[get("/sign-in")]
pub async fn show(session: Session, query: web::Query<Next>) -> HttpResponse {
    let next = safe_next(query.next.as_deref().unwrap_or("/"));
    page::ok(sign_in_page(&session::csrf_token(&session), next, "", None))
}

#[post("/sign-in")]
pub async fn submit(
    state: web::Data<AppState>,
    request: HttpRequest,
    session: Session,
    form: web::Form<SignInForm>,
) -> Result<HttpResponse, PageError> {
    let form = form.into_inner();
    session::check_csrf(&session, &form.csrf)?;
    let next = safe_next(&form.next).to_string();
    match authenticate(&state, &request, &form.email, form.password).await {
        Ok(user) => {
            session::begin(&session, user.id, user.token_version);
            Ok(page::see_other(&next))
        }
        Err(ApiError::BadCredentials) => Ok(refused(
            &session,
            &next,
            &form.email,
            "The email or password is wrong",
        )),
        Err(ApiError::TooManyRequests { retry_after }) => Ok(refused(
            &session,
            &next,
            &form.email,
            &format!(
                "Too many failed sign-ins: try again in {} minutes",
                retry_after.div_ceil(60)
            ),
        )),
        Err(other) => Err(other.into()),
    }
}

fn refused(session: &Session, next: &str, email: &str, message: &str) -> HttpResponse {
    let markup = sign_in_page(&session::csrf_token(session), next, email, Some(message));
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string())
}

#[derive(Deserialize)]
pub struct SignOutForm {
    #[serde(default)]
    csrf: String,
}

#[post("/sign-out")]
pub async fn sign_out(
    visitor: Visitor,
    form: web::Form<SignOutForm>,
) -> Result<HttpResponse, PageError> {
    session::check_csrf(&visitor.session, &form.csrf)?;
    session::end(&visitor.session);
    Ok(page::see_other("/sign-in"))
}

fn sign_in_page(csrf: &str, next: &str, email: &str, error: Option<&str>) -> Markup {
    let errors: Vec<FieldError> = error
        .map(|e| FieldError::new("email", e))
        .into_iter()
        .collect();
    let body = html! {
        (forms::summary(&errors))
        h1 class="heading-l" { "Sign in to Beacon" }
        form method="post" action="/sign-in" novalidate {
            input type="hidden" name="csrf" value=(csrf);
            input type="hidden" name="next" value=(next);
            div class=(if error.is_some() { "form-group form-group-error" } else { "form-group" }) {
                label class="label" for="email" { "Email address" }
                input class="input" id="email" name="email" type="email" autocomplete="username"
                    spellcheck="false" value=(email);
            }
            div class="form-group" {
                label class="label" for="password" { "Password" }
                input class="input" id="password" name="password" type="password"
                    autocomplete="current-password";
            }
            button type="submit" class="button" { "Sign in" }
        }
    };
    layout::bare("Sign in", body)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_paths_on_this_site_are_followed_after_sign_in() {
        assert_eq!(safe_next("/programmes/esn?x=1"), "/programmes/esn?x=1");
        for elsewhere in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "",
        ] {
            assert_eq!(safe_next(elsewhere), "/");
        }
    }
}
