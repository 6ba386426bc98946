//! A page as an HTTP answer, and what a visitor sees when a page cannot be shown.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpResponse, ResponseError};
use maud::{Markup, html};

use super::layout;
use super::session::Visitor;
use crate::rest::problem::ApiError;

/// A rendered page, 200 OK.
pub fn ok(markup: Markup) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string())
}

/// A form shown again with what to fix, 422.
pub fn unprocessable(markup: Markup) -> HttpResponse {
    HttpResponse::UnprocessableEntity()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(markup.into_string())
}

/// After a form is handled: on to the page that shows its result (POST, then GET).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Why a page was not shown.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// Not signed in (or the session ended): sign in, then come back to `next`.
    #[error("sign in to see this page")]
    SignIn { next: String },
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Api(#[from] ApiError),
}

impl PageError {
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        PageError::Api(ApiError::internal(cause))
    }
}

impl From<crate::app::AppError> for PageError {
    fn from(error: crate::app::AppError) -> Self {
        PageError::Api(error.into())
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn { .. } => StatusCode::SEE_OTHER,
            PageError::Forbidden(_) => StatusCode::FORBIDDEN,
            PageError::NotFound(_) => StatusCode::NOT_FOUND,
            PageError::Api(error) => error.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let PageError::SignIn { next } = self {
            let next: String = url_encode(next);
            return see_other(&format!("/sign-in?next={next}"));
        }
        if let PageError::Api(ApiError::Internal(cause)) = self {
            tracing::error!(%cause, "page failed");
        }
        let (title, detail) = match self {
            PageError::Api(error) => {
                let problem = error.problem();
                (problem.title, problem.detail)
            }
            PageError::Forbidden(detail) => ("Not allowed".to_string(), detail.clone()),
            other => ("Page not found".to_string(), other.to_string()),
        };
        let body = html! {
            h1 class="heading-l" { (title) }
            p class="body" { (detail) }
            p class="body" { a href="/" { "Go to the portfolio" } }
        };
        let mut response = HttpResponse::build(self.status_code())
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(layout::bare(&title, body.clone()).into_string());
        response.extensions_mut().insert(ErrorPage { title, body });
        response
    }
}

/// What an error page says, kept beside its answer so that `framed` can show it to a
/// signed-in visitor with their menu, which the error alone cannot know.
#[derive(Clone)]
struct ErrorPage {
    title: String,
    body: Markup,
}

/// Gives an error page the header of a signed-in visitor's pages: their name, menu and
/// sign-out, so a wrong turn is one click from where they were.
pub async fn framed(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let response = next.call(request).await?.map_into_boxed_body();
    let Some(shown) = response.response().extensions().get::<ErrorPage>().cloned() else {
        return Ok(response);
    };
    let Ok(visitor) = Visitor::extract(response.request()).await else {
        return Ok(response);
    };
    let page = layout::page(&shown.title, &visitor, shown.body).into_string();
    Ok(response.map_body(|_, _| BoxBody::new(page)))
}

/// What a value in a query string must not hold as it is; a path's slashes may stay.
const QUERY_VALUE: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'&')
    .add(b'+')
    .add(b'<')
    .add(b'=')
    .add(b'>')
    .add(b'?')
    .add(b'\\')
    .add(b'`')
    .add(b'{')
    .add(b'}');

/// Text made safe to put in a query string as one value.
pub fn url_encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, QUERY_VALUE).to_string()
}
