"""What resume does on each model, fault by fault: the fault matrix of issue 11 as a table.

Runs ``tests/resilient/test_every_model.py`` (the real SDK against the offline server) and
turns its results into two tables: models × faults (each cell: runs passed, the strategy of
each attempt, resets) and the imperfect continuations (each mode the server can play × where
the drop falls: reconciled or reset). Every figure comes from the tests' own assertions — a
cell passes only if the merged answer is exactly the uninterrupted one, what the reader saw
equals it, and a fault inside text did not reset — and from the properties they record
(``record_property``: the attempts' strategies, the resets, how a seam was reconciled).

    python bench/resume_matrix.py          # prints the tables, writes results/resume.md
"""

from __future__ import annotations

import collections
import datetime
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEST = "tests/resilient/test_every_model.py"
CASE = re.compile(r"^(claude-[a-z]+-\d+-\d+)-(text|tools|thinking)-(.+)-vary(\d)$")
SEAM = re.compile(r"^(text-[a-z]+)-([a-z]+)-(claude-[a-z]+-\d+-\d+)$")


def run_tests() -> tuple[list[dict[str, str]], float]:
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "junit.xml"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts=", "-q",
                        "--timeout", "300", f"--junitxml={xml}", TEST], cwd=REPO, check=False)
        seconds = time.perf_counter() - started
        cases = []
        for tc in ET.parse(xml).iter("testcase"):
            props = {p.get("name", ""): p.get("value", "") for p in tc.iter("property")}
            failed = any(tc.find(tag) is not None for tag in ("failure", "error", "skipped"))
            cases.append({"name": tc.get("name", ""), "ok": "" if failed else "1", **props})
    return cases, seconds


def _param(name: str) -> tuple[str, str]:
    test, _, param = name.partition("[")
    return test, param.rstrip("]")


def _strategies(runs: list[dict[str, str]]) -> str:
    seen = sorted({" → ".join(r.get("strategies", "?").split()) for r in runs})
    return "; ".join(seen)


def matrix(cases: list[dict[str, str]]) -> list[str]:
    cells: dict[tuple[str, str], list[dict[str, str]]] = collections.defaultdict(list)
    models: list[str] = []
    faults: list[str] = []
    for case in cases:
        test, param = _param(case["name"])
        found = CASE.match(param)
        if test != "test_resume_on_every_model" or not found:
            continue
        model, scenario, fault, _ = found.groups()
        row = f"{scenario}: {fault}"
        models += [model] if model not in models else []
        faults += [row] if row not in faults else []
        cells[(row, model)].append(case)
    out = ["| scenario: fault | " + " | ".join(f"`{m}`" for m in models) + " |",
           "|---|" + "---|" * len(models)]
    for row in faults:
        parts = []
        for model in models:
            runs = cells.get((row, model), [])
            if not runs:
                parts.append("–")
                continue
            passed = sum(1 for r in runs if r["ok"])
            resets = sum(int(r.get("resets") or 0) for r in runs)
            mark = "✓" if passed == len(runs) else "✗"
            parts.append(f"{mark} {passed}/{len(runs)} · {_strategies(runs)} · resets {resets}")
        out.append(f"| {row} | " + " | ".join(parts) + " |")
    return out


def continuations(cases: list[dict[str, str]]) -> list[str]:
    rows: dict[str, dict[str, dict[str, str]]] = collections.defaultdict(dict)
    columns: list[str] = []
    for case in cases:
        test, param = _param(case["name"])
        seam = SEAM.match(param)
        if test == "test_imperfect_continuations_are_reconciled" and seam:
            where, mode, model = seam.groups()
            col = f"`{model}` {where}"
        elif test == "test_a_model_that_starts_over_differently_resets_honestly":
            mode, col = "restart with other words", f"`claude-sonnet-4-6` {param}"
        else:
            continue
        columns += [col] if col not in columns else []
        rows[mode][col] = case
    out = ["| the model continues by… | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for mode, by_col in rows.items():
        parts = []
        for col in columns:
            case = by_col.get(col)
            if case is None:
                parts.append("–")
                continue
            mark = "✓" if case["ok"] else "✗"
            how = case.get("reconciled") or ("an explicit reset, then the new answer whole"
                                              if int(case.get("resets") or 0) else "")
            parts.append(f"{mark} {how}".strip())
        out.append(f"| {mode} | " + " | ".join(parts) + " |")
    return out


def main() -> int:
    cases, seconds = run_tests()
    passed = sum(1 for c in cases if c["ok"])
    lines = [
        "# Resume on every model: the fault matrix",
        "",
        (f"Measured by `python bench/resume_matrix.py` on {datetime.date.today().isoformat()}: "
        f"`{TEST}`, {passed} of {len(cases)} tests passed in {seconds:.0f} s."),
        "",
        "## Models × faults",
        "",
        ("Each cell: runs passed (answers varying between attempts: `vary=0` and `vary=2` first attempts, later "
        "attempts other variants, so a restart cannot pass by reproducing the same words) · the strategy of each "
        "attempt (`fresh`: the first, or a retry before any byte; `prefill`: the partial answer sent as an assistant "
        "turn; `continuation`: the documented user message quoting how the answer ended; `restart`: starting over) "
        "· resets the reader saw. A run passes only if the merged answer and what the reader saw are exactly the "
        "uninterrupted answer, and a fault inside text leaves no reset."),
        "",
        *matrix(cases),
        "",
        ("Faults: `529`/`429`/`500` before the stream; `error-after`/`drop-after` after the first, second, middle and "
        "last text delta; a stall mid-text; faults inside a tool call and inside thinking (a thinking block alone "
        "cannot be continued: the next attempt starts over before any text was shown); `several` in a row. Claude "
        "Haiku 4.5 takes a prefill; Sonnet 4.6 and Opus 4.8 refuse it (400); Sonnet 5.5 refuses it and thinks "
        "adaptively by default (its text and tools scenarios already think)."),
        "",
        "## Imperfect continuations",
        "",
        ("The offline server continues as a model may (`x-offline-fault: continue=MODE`), after a drop at the second, "
        "middle or last text delta; ✓ means no character twice or missing. The note is how the seam was reconciled."),
        "",
        *continuations(cases),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    (REPO / "bench" / "results" / "resume.md").write_text(text, encoding="utf-8")
    return 0 if passed == len(cases) else 1


if __name__ == "__main__":
    raise SystemExit(main())
