#!/usr/bin/env python3
"""Recomputes Beacon's audit hash chain from the audit trail's CSV export, without
Beacon: the check an auditor can run on their own machine.

    curl -s 'https://beacon.example/api/v1/audit?format=csv' \\
         -H "Authorization: Bearer $TOKEN" > audit.csv
    python3 tools/verify_audit_chain.py audit.csv

Each entry's hash is SHA-256 (lowercase hex) over the UTF-8 bytes of a compact JSON
array (no spaces; characters outside ASCII written as themselves):

    ["beacon-audit-v1", seq, at, actor_id, actor, action, entity, entity_id,
     before, after, prev_hash]

`seq` and `actor_id` are numbers (`actor_id` null for Beacon's own commands), `at` is
the time as the export writes it (`2026-11-22T09:30:00.123456Z`), `before` and `after`
are the snapshots' text exactly as exported (null when the column is empty), and
`prev_hash` is the previous entry's hash (64 zeros for the first entry).

Every problem is reported on a line of its own with the sequence number it was found
at, so an edited, a deleted and a reordered row are each named. The last line gives the
head: the last entry's sequence number and hash, to compare with a copy kept outside
Beacon (a shorter chain than the one you kept means entries were removed from its end).
Exit status: 0 when the chain is intact, 1 when it is not, 2 when the file cannot be read.
Standard library only.
"""

import csv
import hashlib
import json
import sys

VERSION = "beacon-audit-v1"
GENESIS = "0" * 64
COLUMNS = ["seq", "at", "actor_id", "actor", "action", "entity", "entity_id",
           "before", "after", "prev_hash", "hash"]


def entry_hash(row, prev_hash):
    """The hash Beacon gives this exported row, chained to `prev_hash`."""
    canonical = [
        VERSION,
        int(row["seq"]),
        row["at"],
        int(row["actor_id"]) if row["actor_id"] else None,
        row["actor"],
        row["action"],
        row["entity"],
        row["entity_id"],
        row["before"] or None,
        row["after"] or None,
        prev_hash,
    ]
    text = json.dumps(canonical, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def problems(rows):
    """Yields (seq, what is wrong) for each problem, and finally (None, head)."""
    last_seq, last_hash, checked = 0, GENESIS, 0
    for row in rows:
        seq = int(row["seq"])
        if seq != last_seq + 1:
            yield seq, (f"expected sequence number {last_seq + 1} here: "
                        "entries were removed or reordered")
        elif row["prev_hash"] != last_hash:
            yield seq, "its prev_hash is not the hash of the entry before it"
        if entry_hash(row, row["prev_hash"]) != row["hash"]:
            yield seq, "its contents do not give its hash: the entry was altered"
        last_seq, last_hash, checked = seq, row["hash"], checked + 1
    yield None, (checked, last_seq, last_hash)


def main(argv):
    if len(argv) != 2:
        print("usage: verify_audit_chain.py AUDIT.csv", file=sys.stderr)
        return 2
    try:
        with open(argv[1], newline="", encoding="utf-8") as export:
            reader = csv.DictReader(export)
            if reader.fieldnames != COLUMNS:
                print(f"{argv[1]}: not Beacon's audit CSV: expected the columns "
                      f"{','.join(COLUMNS)}", file=sys.stderr)
                return 2
            found = 0
            for seq, what in problems(reader):
                if seq is None:
                    checked, head_seq, head_hash = what
                else:
                    found += 1
                    print(f"seq {seq}: {what}")
    except (OSError, ValueError, csv.Error) as error:
        print(f"{argv[1]}: {error}", file=sys.stderr)
        return 2
    if found:
        print(f"broken: {found} problem(s) in {checked} entries")
        return 1
    print(f"intact: {checked} entries; head seq {head_seq} hash {head_hash}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
