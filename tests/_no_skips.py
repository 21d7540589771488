"""A pytest plugin that turns every skip into a failure: a test that didn't run proves nothing.

Loaded by ``make test`` with ``-p tests._no_skips`` (plain ``pytest`` runs without it).
jupyter-widgets' tutorial once had a test that quietly went stale because CI never ran
it; here a missing Chromium, Node module or optional import must break the run, not
shrink it. What counts as "didn't run":

- ``pytest.skip()`` / ``@pytest.mark.skip`` / ``skipif`` / ``importorskip`` in a test or
  fixture: the report becomes a failure (an *error* when it happened in setup) whose
  message keeps the original reason;
- a module skipped at collection (``pytest.skip(allow_module_level=True)``,
  module-level ``importorskip``): a collection error;
- ``xfail`` (non-strict) that failed as expected: a failure too, since it checks nothing.

A last check at the end of the session fails the run if anything was still counted as
skipped or xfailed (for example by another plugin that makes its own reports).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

_HINT = "skipped tests are not allowed in this run (tests/_no_skips.py); make the test run or delete it"


def _reason(longrepr: Any) -> str:
    # A skip's longrepr is a (path, 1-based lineno, "Skipped: reason") tuple.
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        path, lineno, reason = longrepr
        return f"{str(reason).removeprefix('Skipped: ')} ({path}:{lineno})"
    return str(longrepr)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.skipped:
        wasxfail = getattr(report, "wasxfail", None)
        if wasxfail is not None:
            del report.wasxfail
            what = f"xfail: {wasxfail}" if wasxfail else "xfail"
        else:
            what = f"SKIPPED: {_reason(report.longrepr)}"
        report.outcome = "failed"
        report.longrepr = f"{what}\n{_HINT}"
    return report


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    report = yield
    if report.skipped:
        report.outcome = "failed"
        report.longrepr = f"SKIPPED at collection: {_reason(report.longrepr)}\n{_HINT}"
    return report


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    stats: dict[str, list[Any]] = getattr(reporter, "stats", {}) if reporter is not None else {}
    leftover = len(stats.get("skipped", [])) + len(stats.get("xfailed", []))
    if leftover and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if reporter is not None:
            reporter.write_line(f"{leftover} test(s) skipped or xfailed: {_HINT}", red=True, bold=True)


def pytest_report_header(config: pytest.Config) -> str:
    return "no-skips: any skipped or xfailed test fails this run (tests/_no_skips.py)"
