"""Python code in the record: tree-sitter's spans, in highlight.js's classes (``_pyhighlight``).

The record must colour what the live view colours (highlight.js in the browser), keep every
character of the code, and stay inert whatever the code holds, since it is added after the
sanitiser. Compared here with the live view's own highlight.js, run by Node.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from claude_widgets._mathcode import highlight
from claude_widgets._pyhighlight import highlight_python

HLJS = Path(__file__).resolve().parents[2] / "claude_widgets/static/vendor/highlightjs/highlight.min.js"

SAMPLE = '''import os
from typing import Any, Optional

@dataclass
class Point(Base):
    """A point."""
    x: int = 0

    def norm(self, other: "Point", *args) -> Optional[float]:
        # the length
        if self.x is not None and not False:
            return abs(self.x) + len(args) ** 2 + 0x1F + 1.5e3
        print(b'bytes', r'\\d', sorted([3, 1]))
        return NotImplemented, ...

async def main():
    await asyncio.sleep(1)
    match x:
        case [1, 2]:
            pass
'''


def _spans(markup: str) -> list[tuple[str, str]]:
    """(class, text) of each span that holds no other span, in order."""
    return [(cls, html.unescape(text))
            for cls, text in re.findall(r'<span class="([^"]+)">([^<]*)</span>', markup)]


def _hljs(code: str) -> str:
    node = shutil.which("node")
    assert node, "Node.js is required (make test installs it)"
    script = (f"import hljs from {json.dumps(str(HLJS))};"
              "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>"
              "process.stdout.write(hljs.highlight(s,{language:'python'}).value));")
    return subprocess.run([node, "--input-type=module", "-e", script], input=code, capture_output=True,
                          text=True, check=True, timeout=60).stdout


def test_python_is_coloured_as_the_live_view_colours_it() -> None:
    ours = _spans(highlight_python(SAMPLE))
    live = _spans(_hljs(SAMPLE))
    # highlight.js wraps a decorator and a def's parameter list in spans of their own; the
    # tokens in them are what both colour
    live = [s for s in live if s[0] != "hljs-params"]
    assert ours == live
    kinds = {c for c, _ in ours}
    assert {"hljs-keyword", "hljs-built_in", "hljs-literal", "hljs-number", "hljs-string", "hljs-comment",
            "hljs-title function_", "hljs-title class_", "hljs-meta", "hljs-variable language_", "hljs-type",
            "hljs-title class_ inherited__"} <= kinds


def test_an_f_string_holds_its_substitutions() -> None:
    out = highlight_python('s = f"a {b!r} c"\n')
    assert out == ('s = <span class="hljs-string">f"a <span class="hljs-subst">{b!r}</span> c"</span>\n')


def test_the_record_routes_python_fences_here() -> None:
    for lang in ("python", "py", "Python", "python3", "py3"):
        assert highlight("def f(): pass", lang) == highlight_python("def f(): pass")
    assert highlight("fn main() {}", "rust") is not None  # other languages: Pygments
    assert highlight("x", "no-such-language") is None


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.text: list[str] = []
        self.bad: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "span" or len(attrs) != 1 or attrs[0][0] != "class" or not (attrs[0][1] or "").startswith("hljs-"):
            self.bad.append(tag)
        self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        self.depth -= 1
        if tag != "span" or self.depth < 0:
            self.bad.append("/" + tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _check(code: str) -> None:
    out = highlight_python(code)
    tags = _Tags()
    tags.feed(out)
    tags.close()
    assert not tags.bad and tags.depth == 0, (code, out)
    assert "".join(tags.text) == code, (code, out)


def test_hostile_and_broken_code_stays_text() -> None:
    for code in ("x = '</code></pre><script>alert(1)</script>'\n",
                 "a = 1 & 2 < 3 > 4  # <b>&amp;</b>\n",
                 'def f(:\n    """unterminated\n',  # what a stopped answer leaves
                 "s = 'héllo 🎉'  # ü\nπ = 3.14\n",
                 "\x00\x01 \ufeff", "", "\n\n", "@", "f'{", "class"):
        _check(code)
    out = highlight_python("x = '</code></pre><script>'\n")
    assert "<script" not in out and "&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;" in out


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("defclass if \n\t'\"{}()[]:#@\\fbr0x1.e<>&;é🎉_ATrue")), max_size=80))
def test_any_text_comes_back_whole_in_well_formed_spans(code: str) -> None:
    _check(code)
