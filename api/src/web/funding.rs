//! The funding page (`/funding`): each stream with its envelope for every financial
//! year, what is allocated from it, and the headroom left.

use actix_web::{HttpResponse, get, web};
use maud::{Markup, html};

use super::layout;
use super::page::{self, PageError};
use super::session::Visitor;
use crate::app::funding::{self, StreamEnvelopes};
use crate::rest::state::AppState;

#[get("/funding")]
pub async fn show(state: web::Data<AppState>, visitor: Visitor) -> Result<HttpResponse, PageError> {
    let streams = state.db(|conn| Ok(funding::list_streams(conn)?)).await?;
    let body = html! {
        h1 class="heading-l" { "Funding" }
        p class="lead" {
            "Each funding stream, the envelope it may allocate in each financial year, what is allocated from it, and what is left."
        }
        @for stream in &streams {
            (stream_section(stream))
        }
    };
    Ok(page::ok(layout::page("Funding", &visitor, body)))
}

fn stream_section(stream: &StreamEnvelopes) -> Markup {
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
                            }
                        }
                    }
                }
            }
        }
    }
}
