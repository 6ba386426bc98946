//! Beacon's domain: the vocabulary of the register and the rules that keep it honest.
//!
//! Every type here is built through a constructor or `FromStr` that validates its input
//! and returns a typed error, so a value that exists is a value that is valid. Nothing
//! in this crate does I/O or knows about a database or HTTP.

pub mod alert;
pub mod audit_chain;
pub mod audit_trail;
pub mod checkpoint;
pub mod cut;
pub mod error;
pub mod financial_year;
pub mod force;
pub mod funding;
pub mod money;
pub mod permission;
pub mod programme;
pub mod rating;
pub mod sign_in;
pub mod slug;
pub mod spend;
pub mod status;
pub mod text;
pub mod user;

pub use alert::{AlertDetails, AlertKind, AlertStatus};
pub use error::{FieldError, ParseEnumError, ValidationErrors};
pub use financial_year::{FinancialYear, FinancialYearError};
pub use force::{Force, ForceId};
pub use funding::{
    Envelope, FundingError, FundingStream, HistoryKind, LedgerKind, NewLedgerEntry, StreamCode,
};
pub use money::{MoneyError, Pence};
pub use permission::{Action, Denied};
pub use programme::{CapabilityArea, NewProgramme, ProgrammeCode, RawProgramme, Stage};
pub use rating::Rating;
pub use spend::{NewSpend, SpendCategory};
pub use status::NewStatusReport;
pub use user::{Email, Role};
