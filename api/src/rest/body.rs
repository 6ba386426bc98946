//! Reading a JSON body, and saying what is wrong with one (or with a query string) in
//! the words of the field it is about, not the JSON reader's.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpMessage, HttpRequest, mime};
use serde::de::DeserializeOwned;
use serde_json::error::Category;

use super::input::too_large;
use super::problem::ApiError;

/// A JSON request body of type `T`. The size limit and control characters were checked
/// by `input::refuse_control_characters` before a handler is reached.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T> Body<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Body<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Body<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json =
            req.mime_type().ok().flatten().is_some_and(|mime| {
                mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON)
            });
        let bytes = Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType(
                    "send the body as JSON with Content-Type: application/json".into(),
                ));
            }
            let bytes = bytes.await.map_err(|_| too_large())?;
            read(&bytes).map(Body)
        })
    }
}

/// The body as `T`, or a refusal naming the field at fault.
fn read<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut reader).map_err(|error| {
        let inner = error.inner();
        match inner.classify() {
            Category::Data => {
                let path = error.path().to_string();
                let field = if path == "." { "body" } else { path.as_str() };
                let (field, message) = plain_words(&message_of(inner), field, "field");
                ApiError::field(&field, message)
            }
            Category::Syntax | Category::Eof | Category::Io => not_json(inner),
        }
    })?;
    reader.end().map_err(|e| not_json(&e))?;
    Ok(value)
}

fn not_json(error: &serde_json::Error) -> ApiError {
    ApiError::BadRequest(format!("the body is not valid JSON: {error}"))
}

/// serde_json's message without its "at line 1 column 9", which a field name replaces.
fn message_of(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// serde's wording of a data error turned into what to fix, as (field, message). `kind`
/// is what the reader calls a field: "field" in a body, "parameter" in a query.
pub(crate) fn plain_words(message: &str, field: &str, kind: &str) -> (String, String) {
    let named = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_string)
    };
    // serde lists one choice as "expected `a`", two as "`a` or `b`", more as "one of".
    let choices = |text: &str| {
        text.split_once(", expected ").map(|(_, list)| {
            let list = list.strip_prefix("one of ").unwrap_or(list);
            list.replace("` or `", "`, `").replace('`', "")
        })
    };
    if let Some(unknown) = named("unknown field `") {
        let accepted = match choices(message) {
            Some(list) => format!("the {kind}s accepted here are: {list}"),
            None => format!("this takes no {kind}s"),
        };
        return (
            unknown.clone(),
            format!("'{unknown}' is not a {kind} Beacon knows; {accepted}"),
        );
    }
    if let Some(missing) = named("missing field `") {
        let at = if field == "body" || field == "query" {
            missing
        } else {
            format!("{field}.{missing}")
        };
        return (at, "is required".into());
    }
    if let Some(twice) = named("duplicate field `") {
        return (twice, format!("is given twice; give each {kind} once"));
    }
    if let Some(value) = named("unknown variant `") {
        let list = choices(message).unwrap_or_default();
        return (field.into(), format!("'{value}' is not one of: {list}"));
    }
    let got = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
        .and_then(|rest| rest.split_once(", expected "));
    match got {
        Some((got, expected)) => {
            let got = got
                .trim_start_matches("floating point ")
                .trim_start_matches("integer ")
                .trim_start_matches("string ")
                .trim_start_matches("boolean ")
                .replace('`', "");
            (
                field.into(),
                format!("expected {}, got {got}", wanted(field, expected)),
            )
        }
        None => (field.into(), message.to_string()),
    }
}

/// What a field expects, in a reader's words rather than a Rust type's.
fn wanted(field: &str, expected: &str) -> String {
    let whole = [
        "i64",
        "i32",
        "u64",
        "u32",
        "u16",
        "u8",
        "usize",
        "an integer",
    ];
    if whole.contains(&expected) {
        if field.ends_with("_pence") {
            return "a whole number of pence (£59.5m is 5950000000)".into();
        }
        return "a whole number".into();
    }
    match expected {
        "a string" => "text in quotes".into(),
        "a boolean" => "true or false".into(),
        "a sequence" => "a list in [brackets]".into(),
        other if other.starts_with("struct ") || other == "a map" => "an object in {braces}".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Allocation {
        amount_pence: i64,
        reason: String,
    }

    fn refusal(body: &str) -> (String, String) {
        match read::<Allocation>(body.as_bytes()) {
            Err(ApiError::Invalid(errors)) => {
                let first = &errors.fields()[0];
                (first.field.clone(), first.message.clone())
            }
            other => panic!("expected a field error, got {other:?}"),
        }
    }

    #[test]
    fn money_that_is_not_whole_pence_names_the_field_and_the_unit() {
        let (field, message) = refusal(r#"{"amount_pence": 12.5, "reason": "x"}"#);
        assert_eq!(field, "amount_pence");
        assert_eq!(
            message,
            "expected a whole number of pence (£59.5m is 5950000000), got 12.5"
        );
        let (_, message) = refusal(r#"{"amount_pence": "£5m", "reason": "x"}"#);
        assert!(message.ends_with(r#"got "£5m""#), "{message}");
    }

    #[test]
    fn unknown_and_missing_fields_are_named_with_what_is_accepted() {
        let (field, message) = refusal(r#"{"amount_pence": 1, "reason": "x", "colour": 1}"#);
        assert_eq!(field, "colour");
        assert_eq!(
            message,
            "'colour' is not a field Beacon knows; the fields accepted here are: amount_pence, reason"
        );
        assert_eq!(
            refusal(r#"{"amount_pence": 1}"#),
            ("reason".into(), "is required".into())
        );
        assert_eq!(
            refusal(r#"{"amount_pence": 1, "reason": 7}"#),
            ("reason".into(), "expected text in quotes, got 7".into())
        );
    }

    #[test]
    fn broken_json_is_a_bad_request() {
        assert!(matches!(
            read::<Allocation>(b"{\"amount_pence\": "),
            Err(ApiError::BadRequest(m)) if m.starts_with("the body is not valid JSON")
        ));
    }
}
