//! Who is at the browser: a session cookie, signed and encrypted with the key from
//! BEACON_SESSION_KEY (so any server of one register can read it), holding the
//! signed-in user, when they were last seen, and the token every form carries.

use std::future::Future;
use std::pin::Pin;

use actix_session::config::{BrowserSession, CookieContentSecurity};
use actix_session::storage::CookieSessionStore;
use actix_session::{Session, SessionExt, SessionMiddleware};
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use serde::{Deserialize, Serialize};

use super::page::PageError;
use crate::app::{Caller, users};
use crate::rest::state::AppState;

/// A session unused for this long ends: the next page asks to sign in again.
pub const IDLE_SECONDS: i64 = 30 * 60;

const SIGNED_IN: &str = "signed_in";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";

/// The cookie middleware. `secure` sends the cookie over HTTPS only (production).
pub fn middleware(key: &[u8], secure: bool) -> SessionMiddleware<CookieSessionStore> {
    SessionMiddleware::builder(CookieSessionStore::default(), Key::derive_from(key))
        .cookie_name("beacon_session".into())
        .cookie_secure(secure)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_content_security(CookieContentSecurity::Private)
        .session_lifecycle(BrowserSession::default())
        .build()
}

#[derive(Debug, Serialize, Deserialize)]
struct SignedIn {
    user_id: i64,
    /// The user's token version at sign-in: a new password, role or standing ends it.
    version: i64,
    /// Unix seconds of the last page seen.
    seen: i64,
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The token forms carry, made once per session: a POST must send it back.
pub fn csrf_token(session: &Session) -> String {
    if let Ok(Some(token)) = session.get::<String>(CSRF) {
        return token;
    }
    let token = format!("{:032x}", rand::random::<u128>());
    // A cookie store cannot fail to hold a short string.
    let _ = session.insert(CSRF, &token);
    token
}

/// Refuses a form whose token is not this session's.
pub fn check_csrf(session: &Session, sent: &str) -> Result<(), PageError> {
    match session.get::<String>(CSRF) {
        Ok(Some(token)) if !sent.is_empty() && token == sent => Ok(()),
        _ => Err(PageError::Forbidden(
            "This form has expired or did not come from Beacon. Go back, reload the page and try again."
                .into(),
        )),
    }
}

/// A message for the next page the visitor sees, once: "Your report was recorded".
pub fn flash(session: &Session, message: &str) {
    let _ = session.insert(FLASH, message);
}

/// The message left for this page, if any; it is gone once taken.
pub fn take_flash(session: &Session) -> Option<String> {
    session.remove_as::<String>(FLASH).and_then(Result::ok)
}

/// Starts a signed-in session for `user_id`, with a fresh form token.
pub fn begin(session: &Session, user_id: i64, version: i64) {
    session.renew();
    let _ = session.insert(
        SIGNED_IN,
        SignedIn {
            user_id,
            version,
            seen: now(),
        },
    );
    let _ = session.remove(CSRF);
}

pub fn end(session: &Session) {
    session.purge();
}

/// A signed-in visitor, as stored now, with their session and form token. A page that
/// needs one sends anyone else to sign in, and back here afterwards.
pub struct Visitor {
    pub caller: Caller,
    pub session: Session,
    pub csrf: String,
}

impl FromRequest for Visitor {
    type Error = PageError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, PageError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = req.get_session();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let here = match req.query_string() {
            "" => req.path().to_string(),
            query => format!("{}?{query}", req.path()),
        };
        Box::pin(async move {
            let state = state.ok_or_else(|| PageError::internal("application state missing"))?;
            let sign_in = || PageError::SignIn { next: here.clone() };
            let stored = match session.get::<SignedIn>(SIGNED_IN) {
                Ok(Some(stored)) if now() - stored.seen <= IDLE_SECONDS => stored,
                _ => return Err(sign_in()),
            };
            let (id, version) = (stored.user_id, stored.version);
            let caller = state
                .db(move |conn| Ok(users::signed_in(conn, id, version)?))
                .await?
                .ok_or_else(sign_in)?;
            let _ = session.insert(
                SIGNED_IN,
                SignedIn {
                    seen: now(),
                    ..stored
                },
            );
            let csrf = csrf_token(&session);
            Ok(Visitor {
                caller,
                session,
                csrf,
            })
        })
    }
}
