"""Hostile Markdown never takes the kernel down, and the record keeps all of its text (issue 13.1).

markdown-it-pyrs overflows its native stack on ~50,000 nested list or quote markers: the
process dies with SIGSEGV, which nothing can catch. So these run in a subprocess (exit
code) and in a real kernel finishing a StreamView, not in the test process.
"""

from __future__ import annotations

import html
import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from claude_widgets._view import StreamView
from tests._kernel import Kernel

from ._factory import raw_events

DEEP = {
    "list": "- " * 50000 + "x",
    "quote": ">" * 90000,
    "ordered": "1. " * 40000 + "x",
    "quote-list": "> - " * 30000 + "x",
    "emphasis": "_a " * 30000 + "a_ " * 30000,
    "fenced-then-deep": "- ```\n" + "- " * 50000 + "x",
    "indented": "".join("  " * i + "- x\n" for i in range(2000)),
}
NOTE = "Shown as plain text: nesting too deep to render"


def record_of(text: str) -> str:
    view = StreamView()
    view.consume(iter(raw_events([{"type": "text", "text": text}], size=4096)))
    view.wait(timeout=60)
    return str(view._repr_mimebundle_()[0]["text/html"])


@pytest.mark.parametrize("name", sorted(DEEP))
def test_deep_nesting_does_not_kill_the_process(name: str) -> None:
    code = ("import json, sys\n"
            "from tests.widget.test_hostile_render import DEEP, record_of\n"
            f"page = record_of(DEEP[{name!r}])\n"
            "print(json.dumps(page))")
    proc = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    page = json.loads(proc.stdout)
    assert NOTE in page
    assert html.escape(DEEP[name], quote=False) in page  # every character, escaped
    assert '<span class="cw-fallback">1 block shown as plain text</span>' in page


def test_nesting_within_the_bound_still_renders() -> None:
    page = record_of("- " * 19 + "x\n\n> > > quoted *and **strong** text*")
    assert "Shown as plain text" not in page and "cw-fallback" not in page.split("</style>")[1]
    assert page.count("<ul>") == 19 and page.count("<blockquote>") == 3


def test_code_with_stars_and_prices_is_not_too_deep() -> None:
    text = ("It costs $5 and *.py *.js " * 40 + "\n\n```python\n" + "def f(*args, **kw): return g(*args)\n" * 60
            + "```\n\n" + "snake_case_word " * 100)
    page = record_of(text)
    assert "Shown as plain text" not in page
    assert "<pre><code" in page


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    k = Kernel(block=False)
    k.check("from claude_widgets._view import StreamView\nfrom tests.widget._factory import raw_events\n"
            "from IPython.display import display")
    yield k
    k.close()


@pytest.mark.kernel
@pytest.mark.parametrize("name", ["list", "quote"])
def test_kernel_survives_a_stream_view_finishing_on_deep_nesting(kernel: Kernel, name: str) -> None:
    run = kernel.execute(
        "from tests.widget.test_hostile_render import DEEP\n"
        "view = StreamView()\n"
        "display(view)\n"
        f"view.consume(iter(raw_events([{{'type': 'text', 'text': DEEP[{name!r}]}}], size=4096)))\n"
        "view.wait(timeout=60)\n"
        "print(view.status['state'], len(view.text))",
        timeout=90,
    )
    assert kernel.km.is_alive(), "the kernel died rendering the record"
    assert run.ok, run.reply["content"]
    assert run.stdout.split() == ["done", str(len(DEEP[name]))]
    updates = [m for m in run.messages if m["msg_type"] == "update_display_data"]
    assert updates, [m["msg_type"] for m in run.messages]
    page = updates[-1]["content"]["data"]["text/html"]
    assert NOTE in page and html.escape(DEEP[name], quote=False) in page
    assert kernel.check("print(6 * 7)").stdout.strip() == "42"


def test_a_crafted_long_line_is_plain_text_at_once() -> None:
    """1 MB of ``[x`` on one line: not given to the parser (superlinear inline parsing), all text kept."""
    import html
    import time

    from claude_widgets._static import render_markdown

    text = "[x" * 500_000
    t0 = time.monotonic()
    out, reason = render_markdown(text)
    assert time.monotonic() - t0 < 2.0
    assert reason == "a line too long to render as Markdown"
    assert html.unescape(out).count("[x") == 500_000
