//! Checking the audit trail from the command line: the whole chain, and whether it
//! still holds a signed checkpoint taken earlier.

use std::path::Path;

use beacon_core::checkpoint::CheckpointKey;
use beacon_db::PooledConnection;
use beacon_db::audit::Verification;
use secrecy::ExposeSecret;

use super::Failure;
use super::args::{RegisterKey, VerifyArgs};
use crate::app::{Caller, audit};
use crate::outln;
use crate::rest::audit::CheckpointView;

pub(super) fn verify(
    out: &mut String,
    conn: &mut PooledConnection,
    args: &VerifyArgs,
) -> Result<(), Failure> {
    let who = Caller::system("beacon audit verify");
    let started = std::time::Instant::now();
    let Some(path) = &args.against else {
        let check = audit::verify(conn, &who)?;
        return report(out, &check, started);
    };
    let trusted = trusted_key(&args.key)?;
    let signed = read_checkpoint(path)?;
    let head = signed.checkpoint();
    let parts = (&head, signed.public_key.as_str(), signed.signature.as_str());
    let (check, held) = audit::verify_against(conn, &who, &trusted, parts)?;
    let chain = report(out, &check, started);
    outln!(
        out,
        "checkpoint: sequence number {} taken at {}: {held}",
        head.seq,
        head.at
    );
    chain?;
    if held != audit::Held::Yes {
        return Err(Failure(format!(
            "the audit trail does not hold the checkpoint: {held}"
        )));
    }
    Ok(())
}

/// Prints the chain's head now, signed, as the JSON `GET /api/v1/audit/checkpoint`
/// gives, for an auditor to keep outside Beacon.
pub(super) fn checkpoint(
    out: &mut String,
    conn: &mut PooledConnection,
    key: &RegisterKey,
) -> Result<(), Failure> {
    let secret = key.jwt_secret.as_ref().ok_or_else(|| {
        Failure(
            "set BEACON_JWT_SECRET to the secret Beacon's servers share: a checkpoint is signed with the key it gives".into(),
        )
    })?;
    let key = CheckpointKey::derive(secret.expose_secret().as_bytes());
    let (checkpoint, signature) =
        audit::checkpoint(conn, &Caller::system("beacon audit checkpoint"), &key)?;
    let view = CheckpointView::signed(checkpoint, key.public_key(), signature);
    let json = serde_json::to_string_pretty(&view).map_err(|e| Failure(e.to_string()))?;
    outln!(out, "{json}");
    Ok(())
}

/// The register's public key: given, or derived from the servers' shared secret.
fn trusted_key(key: &RegisterKey) -> Result<String, Failure> {
    match (&key.public_key, &key.jwt_secret) {
        (Some(public_key), _) => Ok(public_key.trim().to_string()),
        (None, Some(secret)) => {
            Ok(CheckpointKey::derive(secret.expose_secret().as_bytes()).public_key())
        }
        (None, None) => Err(Failure(
            "to check the checkpoint's signature, pass --public-key with the key from GET /api/v1/audit/public-key, or set BEACON_JWT_SECRET to the secret Beacon's servers share".into(),
        )),
    }
}

fn read_checkpoint(path: &Path) -> Result<CheckpointView, Failure> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure(format!("cannot read the checkpoint {shown}: {e}")))?;
    serde_json::from_str(&text).map_err(|e| {
        Failure(format!(
            "{shown} is not a checkpoint as GET /api/v1/audit/checkpoint gives it (seq, hash, at, public_key, signature): {e}"
        ))
    })
}

fn report(
    out: &mut String,
    check: &Verification,
    started: std::time::Instant,
) -> Result<(), Failure> {
    outln!(
        out,
        "checked:   {} entries in {:.1} s",
        check.checked,
        started.elapsed().as_secs_f64()
    );
    match (&check.head_seq, &check.head_hash) {
        (Some(seq), Some(hash)) => outln!(out, "head:      {seq} {hash}"),
        _ => outln!(out, "head:      none (the trail is empty)"),
    }
    if check.unchained > 0 {
        outln!(
            out,
            "unchained: {} entries were taken out of the chain (a hash but no sequence number)",
            check.unchained
        );
    }
    match &check.first_break {
        None if check.unchained == 0 => {
            outln!(out, "intact:    yes");
            Ok(())
        }
        None => Err(Failure(format!(
            "the audit trail is not intact: {} entries were taken out of the chain",
            check.unchained
        ))),
        Some((seq, problem)) => {
            outln!(
                out,
                "intact:    no; first broken at sequence number {seq}: {problem}"
            );
            Err(Failure(format!(
                "the audit trail is broken at sequence number {seq}: {problem}"
            )))
        }
    }
}
