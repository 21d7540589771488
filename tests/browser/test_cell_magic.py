"""``%%claude`` cells highlighted as the prose they are, not as Python (JupyterLab 4 and Notebook 7).

The package's labextension (``labextension/``, installed into ``share/jupyter/labextensions``)
gives a code cell whose source starts with ``%%claude`` JupyterLab's Markdown language. These
tests read what the editor shows: each CodeMirror token's computed colour and weight, compared
with the theme's keyword and string colours. Without the extension, the prompt's ``for``/``if``
are keyword-coloured and its apostrophe opens a string-coloured run to the end of the cell.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser

PROMPT = ("%%claude\n"
          "Write a loop for me if you can, **in Python**: don't import anything.\n"
          "It's fine to explain what `for x in y` does, or while, or def.")
PYTHON = "for word in ['if', 'in']:\n    print(\"don't\", word)"

# Every styled piece of text in one cell's editor: its text, colour and weight; and the theme's
# colours for Python keywords and strings (probed outside the editor: CodeMirror owns its DOM).
TOKENS_JS = """([panel, cell]) => {
    const content = document.querySelectorAll(panel + ' .jp-Cell')[cell].querySelector('.cm-content');
    const colour = (name) => {
        const probe = document.createElement('span');
        probe.style.color = `var(${name})`;
        document.body.appendChild(probe);
        const c = getComputedStyle(probe).color;
        probe.remove();
        return c;
    };
    const tokens = [];
    const walker = document.createTreeWalker(content, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!node.data.trim()) continue;
        const style = getComputedStyle(node.parentElement);
        tokens.push({text: node.data, color: style.color, bold: Number(style.fontWeight) >= 600});
    }
    return {tokens, keyword: colour('--jp-mirror-editor-keyword-color'),
            string: colour('--jp-mirror-editor-string-color')};
}"""


# What the tests wait for, over ``s``, TOKENS_JS's answer for one cell.
PYTHON_SHOWN = "s.tokens.some(t => t.color === s.keyword)"
PROSE_SHOWN = ("s.tokens.some(t => t.text.includes('in Python') && t.bold)"
               " && !s.tokens.some(t => t.color === s.keyword || t.color === s.string)")


def _tokens(nb: Any, cell: int) -> dict[str, Any]:
    return dict(nb.page.evaluate(TOKENS_JS, [nb.panel, cell]))


def _wait(nb: Any, cell: int, shown: str) -> dict[str, Any]:
    """Wait until cell ``cell``'s editor shows ``shown``; return its tokens, or fail with them."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        nb.page.wait_for_function(
            "([js, panel, cell]) => { const s = eval(js)([panel, cell]); return " + shown + "; }",
            arg=[TOKENS_JS, nb.panel, cell], timeout=30_000)
    except PlaywrightTimeout:
        raise AssertionError(f"cell {cell} never showed `{shown}`; it shows {_tokens(nb, cell)}") from None
    return _tokens(nb, cell)


def _coloured(seen: dict[str, Any], colour: str) -> list[str]:
    return [t["text"] for t in seen["tokens"] if t["color"] == seen[colour]]


def _notebook(request: pytest.FixtureRequest, app: str) -> Any:
    """``make(cells)`` for ``app``'s server, in a page where the extension's plugin is running."""
    make = request.getfixturevalue(f"{app}_notebook")

    def opened(cells: list[str]) -> Any:
        nb = make(cells)
        assert nb.page.evaluate("() => window.jupyterapp.isPluginActivated('claude-widgets:cell-magic')"), (
            "the claude-widgets labextension is not running: install the package (`pip install -e .`, "
            "as `make test` does) so that share/jupyter/labextensions/claude-widgets exists")
        return nb
    return opened


@pytest.mark.parametrize("app", ["lab", "nb7"])
def test_claude_cell_is_markdown_and_python_stays_python(request: pytest.FixtureRequest, app: str) -> None:
    """A notebook opened with a ``%%claude`` first cell: its prompt is Markdown, the Python cell Python."""
    nb = _notebook(request, app)([PROMPT, PYTHON])
    python = _wait(nb, 1, PYTHON_SHOWN)
    assert {"for", "in"} <= set(_coloured(python, "keyword")), python  # (and print: builtins share the colour)
    assert _coloured(python, "string") == ["'if'", "'in'", '"don\'t"'], python
    prose = _wait(nb, 0, PROSE_SHOWN)
    assert "".join(t["text"] for t in prose["tokens"]).startswith("%%claudeWrite a loop for me"), prose


@pytest.mark.parametrize("app", ["lab", "nb7"])
def test_highlighting_follows_the_first_line(request: pytest.FixtureRequest, app: str) -> None:
    """Typed by hand: a new cell is Markdown once it starts with ``%%claude``; breaking the magic's
    name brings Python back, mending it brings Markdown back."""
    nb = _notebook(request, app)(["x = 1"])
    page = nb.page
    page.locator(f"{nb.panel} .jp-Cell").nth(0).locator(".cm-content").click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")  # command mode: a new code cell below; Enter edits it
    page.keyboard.press("Enter")
    page.keyboard.type(PROMPT)
    _wait(nb, 1, PROSE_SHOWN)
    page.keyboard.press("Control+Home")
    for _ in "%%claude":
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Backspace")  # "%%claud": not the magic
    python = _wait(nb, 1, PYTHON_SHOWN)
    assert "for" in _coloured(python, "keyword"), python
    page.keyboard.type("e")
    _wait(nb, 1, PROSE_SHOWN)
