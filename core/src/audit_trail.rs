//! What the audit trail records: the kinds of record it tells of and what was done to
//! them, one word each, so a filter on the trail can say which words it knows.

use crate::vocabulary;

vocabulary! {
    /// The kind of record an audit entry is about.
    AuditEntity, "kind of record" {
        Programme => "programme",
        StatusReport => "status_report",
        User => "user",
        ProgrammeOwner => "programme_owner",
        FundingStream => "funding_stream",
        Envelope => "envelope",
        LedgerEntry => "ledger_entry",
        SpendEntry => "spend_entry",
        Force => "force",
        Alert => "alert",
    }
}

vocabulary! {
    /// What was done to the record.
    AuditAction, "audit action" {
        Create => "create",
        Update => "update",
        AddOwner => "add_owner",
        RemoveOwner => "remove_owner",
        ResetPassword => "reset_password",
        LiftSignInThrottle => "lift_sign_in_throttle",
        Retry => "retry",
    }
}
