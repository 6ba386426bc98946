//! Form fields after the GOV.UK Design System: a label on every input, a hint where it
//! helps, and an error message beside the field and in the summary at the top.

use maud::{Markup, html};

/// A field and what to do about it, in the words of the GOV.UK error messages.
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        FieldError {
            field,
            message: message.into(),
        }
    }
}

/// The message for `field`, if it has one.
pub fn error_for<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|e| e.field == field)
        .map(|e| e.message.as_str())
}

/// The summary of `errors`.
pub fn summary(errors: &[FieldError]) -> Markup {
    error_summary(errors.iter().map(|e| (e.field, e.message.as_str())))
}

/// A message from the rules, as the first words of a sentence.
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// "There is a problem", linking to each field to fix; nothing when there is none.
fn error_summary<'a>(errors: impl Iterator<Item = (&'a str, &'a str)>) -> Markup {
    let errors: Vec<(&str, &str)> = errors.collect();
    html! {
        @if !errors.is_empty() {
            div class="error-summary" role="alert" tabindex="-1" aria-labelledby="error-summary-title" {
                h2 id="error-summary-title" class="error-summary-title" { "There is a problem" }
                ul class="error-summary-list" {
                    @for (field, message) in &errors {
                        li { a href={ "#" (field) } { (message) } }
                    }
                }
            }
        }
    }
}

fn group(error: Option<&str>) -> &'static str {
    if error.is_some() {
        "form-group form-group-error"
    } else {
        "form-group"
    }
}

fn error_message(name: &str, error: Option<&str>) -> Markup {
    html! {
        @if let Some(message) = error {
            p id={ (name) "-error" } class="error-message" {
                span class="visually-hidden" { "Error: " } (message)
            }
        }
    }
}

/// What a field's `aria-describedby` names: its hint and its error, when it has them.
fn described_by(name: &str, hint: bool, error: Option<&str>) -> Option<String> {
    let mut ids = Vec::new();
    if hint {
        ids.push(format!("{name}-hint"));
    }
    if error.is_some() {
        ids.push(format!("{name}-error"));
    }
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// The day a funding entry takes effect, as typed: empty for today.
pub fn effective_day(typed: &str) -> Result<Option<chrono::NaiveDate>, FieldError> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    chrono::NaiveDate::parse_from_str(typed, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            FieldError::new(
                "effective_on",
                "Enter the day it took effect like 2025-04-01, or leave it empty for today",
            )
        })
}

/// The field a refusal from a funding use case is about: the date it takes effect,
/// or else the amount.
pub fn funding_field(invalid: &beacon_core::ValidationErrors) -> FieldError {
    let first = invalid.fields().first();
    let message = first.map_or_else(String::new, |e| capitalised(&e.message));
    match first.map(|e| e.field.as_str()) {
        Some("effective_on") => FieldError::new("effective_on", message),
        Some("programme") => FieldError::new("programme", message),
        Some("financial_year") => FieldError::new("financial_year", message),
        _ => FieldError::new("amount", message),
    }
}

pub fn text_input(
    name: &str,
    label: &str,
    hint: Option<&str>,
    error: Option<&str>,
    value: &str,
) -> Markup {
    input(name, label, hint, error, ("text", value))
}

/// A password, never shown again after a refusal.
pub fn password_input(name: &str, label: &str, hint: Option<&str>, error: Option<&str>) -> Markup {
    input(name, label, hint, error, ("password", ""))
}

/// A one-line field of `kind` (text, password, date) holding `value`.
fn input(
    name: &str,
    label: &str,
    hint: Option<&str>,
    error: Option<&str>,
    (kind, value): (&str, &str),
) -> Markup {
    let autocomplete = (kind == "password").then_some("new-password");
    let class = if kind == "date" {
        "input input-date"
    } else {
        "input"
    };
    html! {
        div class=(group(error)) {
            label class="label" for=(name) { (label) }
            @if let Some(hint) = hint { p id={ (name) "-hint" } class="hint" { (hint) } }
            (error_message(name, error))
            input class=(class) id=(name) name=(name) type=(kind) value=(value)
                autocomplete=[autocomplete]
                aria-describedby=[described_by(name, hint.is_some(), error)];
        }
    }
}

pub fn textarea(
    name: &str,
    label: &str,
    hint: Option<&str>,
    error: Option<&str>,
    value: &str,
) -> Markup {
    html! {
        div class=(group(error)) {
            label class="label" for=(name) { (label) }
            @if let Some(hint) = hint { p id={ (name) "-hint" } class="hint" { (hint) } }
            (error_message(name, error))
            textarea class="textarea" id=(name) name=(name) rows="5"
                aria-describedby=[described_by(name, hint.is_some(), error)] { (value) }
        }
    }
}

/// A day, with the browser's date picker where it has one.
pub fn date_input(name: &str, label: &str, error: Option<&str>, value: &str) -> Markup {
    input(name, label, None, error, ("date", value))
}

/// A choice from a list of (value, text), the typed value chosen again.
pub fn select(
    name: &str,
    label: &str,
    error: Option<&str>,
    chosen: &str,
    options: impl Iterator<Item = (String, String)>,
) -> Markup {
    html! {
        div class=(group(error)) {
            label class="label" for=(name) { (label) }
            (error_message(name, error))
            select class="select" id=(name) name=(name) aria-describedby=[described_by(name, false, error)] {
                option value="" { "Choose" }
                @for (value, text) in options {
                    option value=(value) selected[value == chosen] { (text) }
                }
            }
        }
    }
}

/// One of a few choices, each (value, label, hint); the first radio carries the
/// field's id, so the error summary's link lands on it.
pub fn radios(
    name: &str,
    legend: &str,
    error: Option<&str>,
    chosen: &str,
    choices: &[(&str, &str, &str)],
) -> Markup {
    let id = |i: usize, value: &str| {
        if i == 0 {
            name.to_string()
        } else {
            format!("{name}-{value}")
        }
    };
    html! {
        div class=(group(error)) {
            fieldset class="fieldset" aria-describedby=[described_by(name, false, error)] {
                legend class="label" { (legend) }
                (error_message(name, error))
                @for (i, (value, label, hint)) in choices.iter().enumerate() {
                    div class="radio" {
                        input type="radio" name=(name) value=(value) id=(id(i, value))
                            aria-describedby={ (id(i, value)) "-hint" } checked[*value == chosen];
                        label class="radio-label" for=(id(i, value)) { (label) }
                        p id={ (id(i, value)) "-hint" } class="hint radio-hint" { (hint) }
                    }
                }
            }
        }
    }
}
