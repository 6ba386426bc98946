"""Rows of the interleaved steady comparison in bench/api.sh, as Markdown table rows.

    python3 bench/interleaved.py TURNS_DIR BACKEND WHAT

TURNS_DIR holds a folder per server (off, control, on) of wrk latency histograms, one
file per turn named ROUND-CYCLE with lines "latency_µs count"; `slices` with a line
"SIDE ROUND CYCLE STEAL% NON2XX SOCKET_ERRORS" per turn; and `alerts` with a line
"WRITTEN SENT UNSENT" per round. Percentiles are of all the requests of the turns
taken together, read from their added histograms.
"""

import statistics
import sys
from collections import Counter
from pathlib import Path

SIDES = ("off", "control", "on")
# Turns per block: each block has every order of the three servers once.
BLOCK = 6


def lines(path):
    """The file's lines, split into fields; blank lines left out."""
    return [line.split() for line in path.read_text().split("\n") if line.strip()]


def histogram(path):
    counts = Counter()
    for value, count in lines(path):
        counts[int(value)] += int(count)
    return counts


def percentile(counts, pct):
    """The smallest latency (µs) with at least pct% of the requests at or below it."""
    total = sum(counts.values())
    need = total * pct / 100
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if seen >= need:
            return value
    return 0


def added(histograms):
    total = Counter()
    for counts in histograms:
        total.update(counts)
    return total


def compared(by_side, pct):
    """That percentile of each side's turns added up, and of both alerts-off servers'."""
    p = {side: percentile(added(by_side[side]), pct) for side in SIDES}
    return p, percentile(added([*by_side["off"], *by_side["control"]]), pct)


def change(on, off):
    return f"{(on / off - 1) * 100:+.1f}%"


def ms(us):
    return f"{us / 1000:.1f}"


def main():
    turns_dir, backend, what = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    # turns[side][(round, cycle)] = histogram
    turns = {
        side: {
            tuple(int(n) for n in path.name.split("-")): histogram(path)
            for path in (turns_dir / side).iterdir()
        }
        for side in SIDES
    }

    def row(request, figures):
        print(f"| {backend} | {what}, {request} | {figures} | | | |")

    for pct in (50, 99):
        p, both = compared({side: turns[side].values() for side in SIDES}, pct)
        row(
            f"p{pct} of all reports: alerts off / off again / on",
            f"{ms(p['off'])} / {ms(p['control'])} / {ms(p['on'])} ms: "
            f"on against both off **{change(p['on'], both)}** ({ms(p['on'])} / {ms(both)} ms); "
            f"off again against off {change(p['control'], p['off'])}",
        )

    # Blocks of six turns per server, each block every order of the three once: the
    # same comparison within each, to show how much it moves from block to block.
    keys = sorted(turns["on"])
    blocks = [keys[i : i + BLOCK] for i in range(0, len(keys), BLOCK)]
    on_changes, control_changes = [], []
    for block in blocks:
        p, both = compared({side: [turns[side][key] for key in block if key in turns[side]] for side in SIDES}, 99)
        on_changes.append((p["on"] / both - 1) * 100)
        control_changes.append((p["control"] / p["off"] - 1) * 100)

    def listed(changes):
        return ", ".join(f"{c:+.1f}%" for c in changes) + f"; median {statistics.median(changes):+.1f}%"

    row(f"p99 in each block of {BLOCK} turns per server, on against both off", listed(on_changes))
    row(f"p99 in each block of {BLOCK} turns per server, off again against off", listed(control_changes))

    slices = lines(turns_dir / "slices")
    # The same, from the turns where the host took under 1% of the machine: a turn's
    # p99 follows the host's steal, by up to tenfold in a few seconds.
    quiet = {
        side: [turns[side][(int(s[1]), int(s[2]))] for s in slices if s[0] == side and float(s[3]) < 1]
        for side in SIDES
    }
    if all(quiet.values()):
        p, both = compared(quiet, 99)
        row(
            "p99 of the turns where the host took under 1%: alerts off / off again / on",
            f"{ms(p['off'])} / {ms(p['control'])} / {ms(p['on'])} ms "
            f"({len(quiet['off'])}, {len(quiet['control'])} and {len(quiet['on'])} turns): "
            f"on against both off {change(p['on'], both)} ({ms(p['on'])} / {ms(both)} ms); "
            f"off again against off {change(p['control'], p['off'])}",
        )
    steal = []
    errors = []
    for side in SIDES:
        mine = [s for s in slices if s[0] == side]
        stolen = [float(s[3]) for s in mine]
        steal.append(f"{side} {sum(stolen) / len(stolen):.1f}% ({max(stolen):.1f}%)")
        errors.append(f"{side} {sum(int(s[4]) for s in mine)} / {sum(int(s[5]) for s in mine)}")
    row("the machine's CPU the host took during each server's turns, mean (highest turn)", ", ".join(steal))
    row("non-2xx answers / socket errors", ", ".join(errors))
    alerts = lines(turns_dir / "alerts")
    row(
        "alerts written / sent over SMTP when each round's turns end; left unsent once the worker had up to two minutes alone",
        "; ".join(f"{w} / {s}, {u} unsent" for w, s, u in alerts),
    )


if __name__ == "__main__":
    main()
