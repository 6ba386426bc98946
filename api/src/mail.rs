//! Alert messages: what an alert says (subject, plain text and HTML, threading
//! headers) and how it leaves (SMTP through one pooled lettre transport, or .eml files
//! in a folder when no SMTP server is configured).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use beacon_db::alerts::{Details, Kind};
use beacon_db::models::AlertRow;
use lettre::message::{Mailbox, MultiPart};
use lettre::{Message, SmtpTransport, Transport as _};

use secrecy::ExposeSecret;

use crate::settings::{AlertSettings, redact};

/// Why an alert could not be built or delivered; the text is kept as the alert's last
/// error, so it never carries credentials.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("{0}")]
    Settings(String),
    #[error("the alert cannot be written as a message: {0}")]
    Message(String),
    #[error("the SMTP server did not take the message: {0}")]
    Smtp(String),
    #[error("cannot write the message to {path}: {cause}")]
    File { path: String, cause: std::io::Error },
}

enum Transport {
    /// Built once: lettre's pool keeps connections open between messages.
    Smtp(SmtpTransport),
    Folder(PathBuf),
}

pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    /// The part after `@` in Message-IDs: the sender's domain.
    domain: String,
    public_url: String,
    /// Where the transport goes, for logs: no credentials.
    description: String,
}

impl Mailer {
    /// The mailer the settings describe. `default_dir` is where .eml files go when
    /// neither an SMTP URL nor `BEACON_ALERT_DIR` is set.
    pub fn new(settings: &AlertSettings, default_dir: &Path) -> Result<Self, MailError> {
        let from: Mailbox = settings.mail_from.parse().map_err(|e| {
            MailError::Settings(format!(
                "BEACON_MAIL_FROM '{}' is not a mailbox: {e}",
                settings.mail_from
            ))
        })?;
        let domain = from.email.domain().to_string();
        let (transport, description) = match &settings.smtp_url {
            Some(url) => {
                let url = url.expose_secret();
                let builder = SmtpTransport::from_url(url).map_err(|e| {
                    MailError::Settings(format!(
                        "BEACON_SMTP_URL '{}' is not an SMTP URL Beacon can use: {e}",
                        redact(url)
                    ))
                })?;
                // A send must end well inside the worker's lease, or another worker
                // could take the alert while this one is still sending it.
                let timeout = Duration::from_secs(10).min(settings.lease / 2);
                let transport = builder.timeout(Some(timeout)).build();
                (
                    Transport::Smtp(transport),
                    format!("SMTP at {}", redact(url)),
                )
            }
            None => {
                let dir = settings
                    .alert_dir
                    .clone()
                    .unwrap_or_else(|| default_dir.to_path_buf());
                let description = format!(".eml files in {}", dir.display());
                (Transport::Folder(dir), description)
            }
        };
        Ok(Mailer {
            transport,
            from,
            domain,
            public_url: settings.public_url.clone(),
            description,
        })
    }

    pub fn describe(&self) -> &str {
        &self.description
    }

    /// The Message-ID an alert is sent with: the same on every attempt, so a receiving
    /// system can tell a repeat delivery (see the README's exactly-once window).
    pub fn message_id(&self, alert: &AlertRow) -> String {
        format!(
            "<alert-{}-{:016x}@{}>",
            alert.id,
            fnv1a(&alert.unique_key),
            self.domain
        )
    }

    /// The id every message about one programme refers to, so mail clients thread them.
    pub fn thread_id(&self, programme_id: i64) -> String {
        format!("<programme-{programme_id}@{}>", self.domain)
    }

    /// The alert as a message.
    pub fn build(&self, alert: &AlertRow) -> Result<Message, MailError> {
        let kind = alert
            .kind()
            .map_err(|e| MailError::Message(e.to_string()))?;
        let details = alert
            .details()
            .map_err(|e| MailError::Message(e.to_string()))?;
        let to: Mailbox = alert.recipient.parse().map_err(|e| {
            MailError::Message(format!("'{}' is not an address: {e}", alert.recipient))
        })?;
        let link = format!(
            "{}/api/v1/programmes/{}",
            self.public_url, details.programme_code
        );
        let content = compose(kind, &details, &link);
        let thread = self.thread_id(alert.programme_id);
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(content.subject)
            .message_id(Some(self.message_id(alert)))
            .in_reply_to(thread.clone())
            .references(thread)
            .user_agent("Beacon".to_string())
            .multipart(MultiPart::alternative_plain_html(
                content.text,
                content.html,
            ))
            .map_err(|e| MailError::Message(e.to_string()))
    }

    /// Delivers an alert; returns its Message-ID.
    pub fn send(&self, alert: &AlertRow) -> Result<String, MailError> {
        let message = self.build(alert)?;
        let id = self.message_id(alert);
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(&message)
                    .map_err(|e| MailError::Smtp(e.to_string()))?;
            }
            Transport::Folder(dir) => {
                let path = write_eml(dir, alert, &message.formatted())?;
                tracing::info!(
                    alert = alert.id,
                    to = %alert.recipient,
                    file = %path.display(),
                    "no SMTP server configured: wrote the alert as a file"
                );
            }
        }
        Ok(id)
    }
}

/// Writes the message whole or not at all: to a temporary name, then renamed, so a
/// reader of the folder never sees half a message.
fn write_eml(dir: &Path, alert: &AlertRow, bytes: &[u8]) -> Result<PathBuf, MailError> {
    let error = |path: &Path, cause| MailError::File {
        path: path.display().to_string(),
        cause,
    };
    std::fs::create_dir_all(dir).map_err(|e| error(dir, e))?;
    let name = format!("alert-{:08}-{}.eml", alert.id, alert.kind);
    let path = dir.join(&name);
    let partial = dir.join(format!(".{name}.partial"));
    std::fs::write(&partial, bytes).map_err(|e| error(&partial, e))?;
    std::fs::rename(&partial, &path).map_err(|e| error(&path, e))?;
    Ok(path)
}

fn fnv1a(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// What a message says, in both forms.
pub struct Content {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// A rating as people write it.
pub fn rating_label(rating: Option<&str>) -> &'static str {
    match rating {
        Some("red") => "Red",
        Some("amber_red") => "Amber/Red",
        Some("amber") => "Amber",
        Some("amber_green") => "Amber/Green",
        Some("green") => "Green",
        Some(_) => "an unknown rating",
        None => "no rating",
    }
}

/// Whole pence as pounds: 123456789 is £1,234,567.89.
pub fn pounds(pence: i64) -> String {
    let sign = if pence < 0 { "-" } else { "" };
    let abs = pence.unsigned_abs();
    let whole = (abs / 100).to_string();
    let mut grouped = String::new();
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}£{grouped}.{:02}", abs % 100)
}

/// Escapes text for HTML: everything in an alert comes from people.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn when(time: Option<chrono::NaiveDateTime>) -> String {
    time.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| "an unknown time".to_string())
}

/// The subject, and the lines of the body as (label, value) pairs after a lead sentence.
pub fn compose(kind: Kind, d: &Details, link: &str) -> Content {
    let name = &d.programme_name;
    let by = d.by.as_deref().unwrap_or("someone");
    let (subject, lead, mut facts): (String, String, Vec<(&str, String)>) = match kind {
        Kind::TurnedRed => (
            format!("[RED] {name} is now Red"),
            format!(
                "{name} has been reported Red: delivery appears to be unachievable without urgent action."
            ),
            vec![
                (
                    "Previous rating",
                    rating_label(d.previous_rating.as_deref()).to_string(),
                ),
                ("New rating", rating_label(d.rating.as_deref()).to_string()),
            ],
        ),
        Kind::LeftRed => {
            let new = rating_label(d.rating.as_deref());
            (
                format!("[NO LONGER RED] {name} is now {new}"),
                format!("{name} is no longer Red: it has been reported {new}."),
                vec![
                    (
                        "Previous rating",
                        rating_label(d.previous_rating.as_deref()).to_string(),
                    ),
                    ("New rating", new.to_string()),
                ],
            )
        }
        Kind::ReportOverdue => {
            let days = d.cadence_days.unwrap_or_default();
            (
                format!("[REPORT DUE] {name} has had no status report for over {days} days"),
                format!(
                    "{name} has had no status report for more than {days} days. Please report its delivery confidence."
                ),
                vec![
                    (
                        "Last report",
                        match d.last_report_at {
                            Some(at) => when(Some(at)),
                            None => "none yet".to_string(),
                        },
                    ),
                    (
                        "Report was due by",
                        d.due_on.map(|d| d.to_string()).unwrap_or_default(),
                    ),
                ],
            )
        }
        Kind::FundingReduced => {
            let amount = pounds(d.amount_pence.unwrap_or_default().saturating_abs());
            let stream = d.stream_code.as_deref().unwrap_or("a funding stream");
            let year = d.financial_year.as_deref().unwrap_or("");
            (
                format!("[FUNDING REDUCED] {name}: {amount} less from {stream} in {year}"),
                format!("{name}'s funding from {stream} in {year} has been reduced by {amount}."),
                vec![
                    ("Change", d.ledger_kind.clone().unwrap_or_default()),
                    ("Amount", pounds(d.amount_pence.unwrap_or_default())),
                    (
                        "Now allocated from this stream",
                        pounds(d.balance_pence.unwrap_or_default()),
                    ),
                    ("Reason", d.reason.clone().unwrap_or_default()),
                ],
            )
        }
    };
    facts.insert(0, ("Programme", format!("{name} ({})", d.programme_code)));
    if let Some(rationale) = &d.rationale {
        facts.push(("Rationale", rationale.clone()));
    }
    if let Some(period) = d.period_end {
        facts.push(("Period ending", period.to_string()));
    }
    if kind != Kind::ReportOverdue {
        let verb = if kind == Kind::FundingReduced {
            "Recorded by"
        } else {
            "Reported by"
        };
        facts.push((verb, format!("{by} at {}", when(d.at))));
    }
    facts.push(("Programme record", link.to_string()));

    let mut text = format!("{lead}\n\n");
    for (label, value) in &facts {
        let _ = writeln!(text, "{label}: {value}");
    }
    text.push_str("\nYou receive this because you own this programme in Beacon, or your mailbox is set to hear of its alerts.\n");

    let mut html = format!(
        "<!DOCTYPE html>\n<html><body>\n<p>{}</p>\n<table>\n",
        escape_html(&lead)
    );
    for (label, value) in &facts {
        let value = if *label == "Programme record" {
            format!("<a href=\"{0}\">{0}</a>", escape_html(value))
        } else {
            escape_html(value).replace('\n', "<br>")
        };
        let _ = writeln!(
            html,
            "<tr><th align=\"left\">{}</th><td>{value}</td></tr>",
            escape_html(label)
        );
    }
    html.push_str("</table>\n<p>You receive this because you own this programme in Beacon, or your mailbox is set to hear of its alerts.</p>\n</body></html>\n");
    Content {
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_as_pounds() {
        assert_eq!(pounds(123_456_789), "£1,234,567.89");
        assert_eq!(pounds(-5), "-£0.05");
        assert_eq!(pounds(100_000), "£1,000.00");
    }

    #[test]
    fn html_is_escaped() {
        let details = Details {
            programme_code: "x".into(),
            programme_name: "<script>alert(1)</script> & co".into(),
            rating: Some("red".into()),
            rationale: Some("a < b".into()),
            ..Details::default()
        };
        let content = compose(Kind::TurnedRed, &details, "http://b/x");
        assert!(!content.html.contains("<script>"));
        assert!(content.html.contains("&lt;script&gt;"));
        assert!(content.html.contains("a &lt; b"));
        assert!(content.text.contains("<script>"));
    }

    #[test]
    fn passwords_stay_out_of_descriptions() {
        assert_eq!(
            crate::settings::redact("smtp://beacon:s3cret@mail:587?tls=required"),
            "smtp://beacon:***@mail:587?tls=required"
        );
    }
}
