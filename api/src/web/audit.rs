//! The audit trail (`/audit`), for auditors and admins: every change with who, when,
//! what and the record before and after, filtered, a page at a time; and the check
//! that nobody rewrote it.

use actix_web::{HttpResponse, get, web};
use beacon_core::Action;
use beacon_core::audit_trail::AuditEntity;
use beacon_db::audit::{Filter, Verification};
use beacon_db::records::AuditEntry;
use maud::{Markup, html};
use serde::Deserialize;

use super::page::{self, PageError, url_encode};
use super::session::Visitor;
use super::words::slug_words;
use super::{forms, layout};
use crate::app::audit;
use crate::rest::state::AppState;

const PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct Filters {
    #[serde(default)]
    entity: String,
    #[serde(default)]
    entity_id: String,
    #[serde(default)]
    actor: String,
    /// Where the page starts: after this sequence number.
    after: Option<i64>,
    /// "yes" to recompute the chain.
    verify: Option<String>,
}

impl Filters {
    fn filter(&self) -> Filter {
        let given = |text: &str| Some(text.trim().to_string()).filter(|t| !t.is_empty());
        Filter {
            // A select box sends only the words it offers.
            entity: self.entity.parse().ok(),
            entity_id: given(&self.entity_id),
            actor: given(&self.actor),
            ..Filter::default()
        }
    }

    fn as_query(&self) -> String {
        format!(
            "entity={}&entity_id={}&actor={}",
            url_encode(&self.entity),
            url_encode(&self.entity_id),
            url_encode(&self.actor)
        )
    }
}

#[get("/audit")]
pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    filters: web::Query<Filters>,
) -> Result<HttpResponse, PageError> {
    if visitor.caller.may(Action::ReadAuditTrail).is_err() {
        return Err(PageError::Forbidden(
            "The audit trail is for the roles auditor and admin.".into(),
        ));
    }
    let filters = filters.into_inner();
    let (who, filter, after) = (visitor.caller.clone(), filters.filter(), filters.after);
    let verify = filters.verify.as_deref() == Some("yes");
    let (mut entries, verified) = state
        .db(move |conn| {
            let entries = audit::page(conn, &who, &filter, after, PAGE + 1)?;
            let verified = if verify {
                Some(audit::verify(conn, &who)?)
            } else {
                None
            };
            Ok((entries, verified))
        })
        .await?;
    let more = entries.len() as i64 > PAGE;
    entries.truncate(PAGE as usize);
    let next = entries
        .last()
        .filter(|_| more)
        .and_then(|last| last.seq)
        .map(|seq| format!("/audit?{}&after={seq}", filters.as_query()));
    let body = html! {
        h1 class="heading-l" { "Audit trail" }
        p class="lead" { "Every change, in the order it joined the hash chain, with who made it and the record before and after." }
        (verification(verified.as_ref(), &filters))
        form method="get" action="/audit" class="filters" {
            (forms::select("entity", "Record type", None, &filters.entity,
                AuditEntity::ALL.iter().map(|e| (e.as_str().to_string(), slug_words(e.as_str())))))
            (forms::text_input("entity_id", "Record", None, None, &filters.entity_id))
            (forms::text_input("actor", "Who", Some("An email, or a command"), None, &filters.actor))
            button type="submit" class="button button-secondary" { "Apply" }
        }
        (table(&entries))
        @if let Some(next) = next {
            p class="body" { a href=(next) { "Next page" } }
        }
    };
    Ok(page::ok(layout::page("Audit trail", &visitor, body)))
}

/// The result of checking the chain, or the link that checks it.
fn verification(verified: Option<&Verification>, filters: &Filters) -> Markup {
    html! {
        @if let Some(check) = verified {
            @match &check.first_break {
                None if check.unchained == 0 => div class="notification-banner notification-banner-success" role="status" {
                    p class="notification-banner-heading" {
                        "The chain is intact: " (check.checked) " entries checked"
                        @if let (Some(seq), Some(hash)) = (check.head_seq, &check.head_hash) {
                            ". Head: entry " (seq) ", hash " code { (hash) }
                        }
                    }
                },
                Some((seq, problem)) => div class="error-summary" role="alert" {
                    h2 class="error-summary-title" { "The chain is broken" }
                    p { "First broken at sequence number " (seq) ": " (problem) }
                },
                None => div class="error-summary" role="alert" {
                    h2 class="error-summary-title" { "Entries were taken out of the chain" }
                    p { (check.unchained) " entries have a hash but no sequence number." }
                },
            }
        } @else {
            p class="body" { a href={ "/audit?" (filters.as_query()) "&verify=yes" } { "Check that nobody rewrote the trail" } }
        }
    }
}

fn table(entries: &[AuditEntry]) -> Markup {
    html! {
        @if entries.is_empty() {
            p class="body" { "No entry matches these filters." }
        } @else {
            table class="table" {
                caption class="visually-hidden" { "Audit trail entries in chain order" }
                thead {
                    tr {
                        th scope="col" class="numeric" { "Entry" }
                        th scope="col" { "When (UTC)" }
                        th scope="col" { "Who" }
                        th scope="col" { "What" }
                        th scope="col" { "Record" }
                        th scope="col" { "After" }
                    }
                }
                tbody {
                    @for entry in entries {
                        tr {
                            td class="numeric" { @if let Some(seq) = entry.seq { (seq) } }
                            td { (entry.at.format("%Y-%m-%d %H:%M:%S")) }
                            td { (entry.actor) }
                            td { (entry.action) }
                            td { (entry.entity) " " (entry.entity_id) }
                            td class="audit-record" { (entry.after.as_deref().unwrap_or("")) }
                        }
                    }
                }
            }
        }
    }
}
