//! How an alert leaves: as an email message (what it says is `message`'s) with
//! threading headers, through one pooled lettre SMTP transport, or as .eml files in a
//! folder when no SMTP server is configured.

use std::path::{Path, PathBuf};
use std::time::Duration;

use beacon_db::records::Alert;
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
            public_url: settings.link_base(),
            description,
        })
    }

    pub fn describe(&self) -> &str {
        &self.description
    }

    /// The Message-ID an alert is sent with: the same on every attempt, so a receiving
    /// system can tell a repeat delivery (see the README's "Email alerts").
    pub fn message_id(&self, alert: &Alert) -> String {
        format!(
            "<alert-{}-{:016x}@{}>",
            alert.id,
            fnv1a(&alert.key),
            self.domain
        )
    }

    /// The id every message about one programme refers to, so mail clients thread them.
    pub fn thread_id(&self, programme_id: i64) -> String {
        format!("<programme-{programme_id}@{}>", self.domain)
    }

    /// The alert as a message.
    pub fn build(&self, alert: &Alert) -> Result<Message, MailError> {
        let to: Mailbox = alert.recipient.parse().map_err(|e| {
            MailError::Message(format!("'{}' is not an address: {e}", alert.recipient))
        })?;
        let link = format!(
            "{}/programmes/{}",
            self.public_url,
            alert.details.programme().programme_code
        );
        let content = crate::message::compose(&alert.details, &link);
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
    pub fn send(&self, alert: &Alert) -> Result<String, MailError> {
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

/// Writes the message whole or not at all: to a temporary name, then linked under its
/// own, so a reader of the folder never sees half a message. A name already taken (by
/// another server writing to the same folder, whose alerts number from 1 too) is never
/// overwritten: the file gets the next free `-2`, `-3` … instead.
fn write_eml(dir: &Path, alert: &Alert, bytes: &[u8]) -> Result<PathBuf, MailError> {
    let error = |path: &Path, cause| MailError::File {
        path: path.display().to_string(),
        cause,
    };
    std::fs::create_dir_all(dir).map_err(|e| error(dir, e))?;
    let stem = format!("alert-{:08}-{}", alert.id, alert.kind());
    let partial = dir.join(format!(".{stem}-{:016x}.partial", rand::random::<u64>()));
    std::fs::write(&partial, bytes).map_err(|e| error(&partial, e))?;
    let linked = (1..=10_000)
        .map(|n| match n {
            1 => dir.join(format!("{stem}.eml")),
            n => dir.join(format!("{stem}-{n}.eml")),
        })
        .find_map(|path| match std::fs::hard_link(&partial, &path) {
            Ok(()) => Some(Ok(path)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => None,
            Err(e) => Some(Err(error(&path, e))),
        });
    let _ = std::fs::remove_file(&partial);
    linked.unwrap_or_else(|| Err(error(dir, std::io::ErrorKind::AlreadyExists.into())))
}

fn fnv1a(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_stay_out_of_descriptions() {
        assert_eq!(
            crate::settings::redact("smtp://beacon:s3cret@mail:587?tls=required"),
            "smtp://beacon:***@mail:587?tls=required"
        );
    }
}
