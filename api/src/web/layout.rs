//! The frame every page sits in: the skip link, the header with who is signed in, and
//! the main column, after the GOV.UK Design System's page template.

use beacon_core::Action;
use maud::{DOCTYPE, Markup, html};

use super::session::Visitor;

/// A page for a signed-in visitor: the header names them and offers sign-out.
pub fn page(title: &str, visitor: &Visitor, body: Markup) -> Markup {
    let who = html! {
        nav class="header-nav" aria-label="Menu" {
            ul {
                li { a href="/" { "Portfolio" } }
                li { a href="/funding" { "Funding" } }
                li { a href="/history" { "History" } }
                @if visitor.caller.may(Action::ReadAuditTrail).is_ok() {
                    li { a href="/audit" { "Audit trail" } }
                }
                @if visitor.caller.may(Action::ReadAlerts).is_ok() {
                    li { a href="/alerts" { "Alerts" } }
                }
                @if visitor.caller.may(Action::ManageUsers).is_ok() {
                    li { a href="/users" { "Users" } }
                }
            }
        }
        div class="header-account" {
            span { (visitor.caller.actor.label) " (" (visitor.caller.role) ")" }
            form method="post" action="/sign-out" {
                input type="hidden" name="csrf" value=(visitor.csrf);
                button type="submit" class="link-button" { "Sign out" }
            }
        }
    };
    document(title, who, body)
}

/// The green banner that confirms what the visitor just did, when there is news.
pub fn banner(message: Option<&str>) -> Markup {
    html! {
        @if let Some(message) = message {
            div class="notification-banner notification-banner-success" role="alert"
                aria-labelledby="notification-title" {
                h2 id="notification-title" class="notification-banner-title" { "Success" }
                p class="notification-banner-heading" { (message) }
            }
        }
    }
}

/// A page for anyone: sign-in, and the pages that say something went wrong.
pub fn bare(title: &str, body: Markup) -> Markup {
    document(title, html! {}, body)
}

fn document(title: &str, header: Markup, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " – Beacon" }
                link rel="stylesheet" href="/assets/beacon.css";
            }
            body {
                a href="#main" class="skip-link" { "Skip to main content" }
                header class="header" {
                    div class="width-container header-row" {
                        a href="/" class="header-service" { "Beacon" }
                        (header)
                    }
                }
                div class="width-container" {
                    main id="main" class="main" { (body) }
                }
                footer class="footer" {
                    div class="width-container" {
                        p { "Beacon: the national register of police technology programmes in England and Wales." }
                    }
                }
            }
        }
    }
}
