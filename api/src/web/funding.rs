//! The funding page (`/funding`): each stream with its envelope for every financial
//! year, what is allocated from it, and the headroom left.

use actix_web::{HttpResponse, get, web};
use maud::{Markup, html};

use beacon_core::{Action, ValidationErrors};
use beacon_db::programmes::Filter;

use super::allocate::AllocationForm;
use super::forms::{FieldError, capitalised};
use super::page::{self, PageError};
use super::session::{self, Visitor};
use super::{forms, layout};
use crate::app::funding::{self, StreamEnvelopes};
use crate::app::{AppError, register};
use crate::rest::problem::ApiError;
use crate::rest::state::AppState;

/// What a funding use case's refusal asks of its form: the field to fix, in words for
/// people (`not_found` when a stream or programme chosen is gone, `field_of` for a
/// field rule); anything else is the page's error.
pub fn field_error(
    error: AppError,
    not_found: FieldError,
    field_of: impl Fn(&ValidationErrors) -> FieldError,
) -> Result<FieldError, ApiError> {
    match error {
        AppError::Funding(refusal) => {
            Ok(FieldError::new("amount", capitalised(&refusal.to_string())))
        }
        AppError::Invalid(invalid) => Ok(field_of(&invalid)),
        AppError::NotFound(_) => Ok(not_found),
        other => Err(ApiError::from(other)),
    }
}

/// Refuses anyone but `finance` and `admin`, whatever they post.
pub fn may_manage(visitor: &Visitor) -> Result<(), PageError> {
    visitor.caller.may(Action::ManageFunding).map_err(|_| {
        PageError::Forbidden("Only the roles finance and admin may record funding.".into())
    })
}

/// What the page shows: the streams, and the programmes the form may allocate to.
struct Register {
    streams: Vec<StreamEnvelopes>,
    programmes: Vec<(String, String)>,
}

async fn load(state: &AppState) -> Result<Register, PageError> {
    let cache = state.owners.clone();
    Ok(state
        .db(move |conn| {
            let streams = funding::list_streams(conn)?;
            let programmes =
                register::list(conn, &cache, &Filter::default(), None, i64::MAX, None)?
                    .into_iter()
                    .map(|d| (d.programme.code.to_string(), d.programme.name))
                    .collect();
            Ok(Register {
                streams,
                programmes,
            })
        })
        .await?)
}

#[get("/funding")]
pub async fn show(state: web::Data<AppState>, visitor: Visitor) -> Result<HttpResponse, PageError> {
    let register = load(&state).await?;
    let form = AllocationForm {
        kind: "allocation".into(),
        ..AllocationForm::default()
    };
    Ok(page::ok(funding_page(&visitor, &register, &form, &[])))
}

/// The page again, with what to fix in the form and what was typed (422).
pub async fn refused(
    state: &AppState,
    visitor: &Visitor,
    form: &AllocationForm,
    errors: &[FieldError],
) -> Result<HttpResponse, PageError> {
    let register = load(state).await?;
    let markup = funding_page(visitor, &register, form, errors);
    Ok(page::unprocessable(markup))
}

fn funding_page(
    visitor: &Visitor,
    register: &Register,
    form: &AllocationForm,
    errors: &[FieldError],
) -> Markup {
    let flash = session::take_flash(&visitor.session);
    let manages = may_manage(visitor).is_ok();
    let body = html! {
        (layout::banner(flash.as_deref()))
        (forms::summary(errors))
        h1 class="heading-l" { "Funding" }
        p class="lead" {
            "Each funding stream, the envelope it may allocate in each financial year, what is allocated from it, and what is left."
        }
        @if manages {
            div class="button-group" {
                a href="/funding/envelopes" class="button button-secondary" role="button" draggable="false" { "Set an envelope" }
                a href="/funding/spend" class="button button-secondary" role="button" draggable="false" { "Record spend" }
                a href="#allocate" class="button button-secondary" role="button" draggable="false" { "Allocate" }
            }
        }
        @for stream in &register.streams {
            (stream_section(stream, manages))
        }
        @if manages {
            (allocation_form(visitor, register, form, errors))
        }
    };
    layout::page("Funding", visitor, body)
}

fn allocation_form(
    visitor: &Visitor,
    register: &Register,
    form: &AllocationForm,
    errors: &[FieldError],
) -> Markup {
    let error_of = |field: &str| forms::error_for(errors, field);
    html! {
        h2 class="heading-m" id="allocate" { "Allocate, adjust or withdraw" }
        form method="post" action="/funding/allocations" novalidate {
            input type="hidden" name="csrf" value=(visitor.csrf);
            (forms::select("stream", "Funding stream", error_of("stream"), &form.stream,
                register.streams.iter().map(|s| (s.stream.code.to_string(), s.stream.name.clone()))))
            (forms::select("programme", "Programme", error_of("programme"), &form.programme,
                register.programmes.iter().cloned()))
            (forms::text_input("financial_year", "Financial year", Some("Like 2025-26"), error_of("financial_year"), &form.financial_year))
            (forms::radios("kind", "What to record", error_of("kind"), &form.kind, &[
                ("allocation", "Allocate", "New money for the programme from the stream"),
                ("adjustment", "Adjust", "Correct an earlier allocation: a negative amount reduces it"),
                ("withdrawal", "Withdraw", "Take money back into the stream: type the sum withdrawn"),
            ]))
            (forms::text_input("amount", "Amount in pounds", Some("Like 1,250,000 or 1250000.50"), error_of("amount"), &form.amount))
            (forms::textarea("reason", "Reason", None, error_of("reason"), &form.reason))
            (forms::text_input("effective_on", "Day it took effect (optional)", Some("When the money was decided or withdrawn, like 2025-04-01; leave empty for today"), error_of("effective_on"), &form.effective_on))
            button type="submit" class="button" { "Record" }
        }
    }
}

fn stream_section(stream: &StreamEnvelopes, manages: bool) -> Markup {
    let id = format!("stream-{}", stream.stream.code);
    html! {
        section aria-labelledby=(id) {
            h2 id=(id) class="heading-m" { (stream.stream.name) }
            p class="hint" { (stream.stream.code) }
            @if !stream.stream.description.is_empty() {
                p class="body" { (stream.stream.description) }
            }
            @if stream.envelopes.is_empty() {
                p class="body" { "No envelope has been set yet." }
            } @else {
                table class="table" {
                    caption class="visually-hidden" { "Envelopes of " (stream.stream.name) " by financial year" }
                    thead {
                        tr {
                            th scope="col" { "Financial year" }
                            th scope="col" class="numeric" { "Envelope" }
                            th scope="col" class="numeric" { "Allocated" }
                            th scope="col" class="numeric" { "Headroom" }
                            th scope="col" { "Basis" }
                            @if manages { th scope="col" { span class="visually-hidden" { "Change" } } }
                        }
                    }
                    tbody {
                        @for envelope in &stream.envelopes {
                            tr {
                                td { (envelope.year) }
                                td class="numeric" { (envelope.amount) }
                                td class="numeric" { (envelope.allocated) }
                                td class="numeric" {
                                    @match beacon_core::funding::headroom(envelope.amount, envelope.allocated) {
                                        Ok(left) => (left),
                                        Err(_) => "over the envelope",
                                    }
                                }
                                td { (envelope.basis) }
                                @if manages {
                                    td {
                                        a href={ "/funding/envelopes?stream=" (stream.stream.code) "&financial_year=" (envelope.year) } {
                                            "Change" span class="visually-hidden" { " the " (envelope.year) " envelope of " (stream.stream.name) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
