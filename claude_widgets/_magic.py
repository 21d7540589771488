"""``%%claude`` / ``%claude``: a cell is a prompt, its answer streams into a StreamView.

Load with ``%load_ext claude_widgets``. Each named chat (``--chat NAME``; one default
per kernel) is a :class:`~claude_widgets.Chat`, so the conversation carries over from
cell to cell and re-running a cell replaces that cell's turn instead of appending a
duplicate. The turn's key is the ``cellId`` that JupyterLab, Notebook 7 and VS Code send
with each execute request; where none comes (nbclient, nbval, a terminal), it is the
cell's text, so re-running an unchanged cell still replaces its turn.

Bad input (an unknown option, a missing tool, an undefined variable in the prompt, an
empty prompt) is a ``UsageError``: one line, no traceback. API errors end in the view's
error state with the partial answer kept, and the conversation stays as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand

if TYPE_CHECKING:
    # IPython.core.magic_arguments is untyped; these are its signatures (each decorator
    # returns the function it was given).
    import argparse
    from collections.abc import Callable
    from typing import TypeVar

    from IPython.core.interactiveshell import InteractiveShell

    _F = TypeVar("_F", bound=Callable[..., Any])

    def magic_arguments(name: str | None = None) -> Callable[[_F], _F]: ...
    def argument(*args: Any, **kwds: Any) -> Callable[[_F], _F]: ...
    def parse_argstring(magic_func: Callable[..., Any], argstring: str, *,
                        partial: bool = False) -> argparse.Namespace: ...
else:
    from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from IPython.utils.text import DollarFormatter

from ._chat import Chat
from ._frontend import cell_id

__all__ = ["ClaudeMagics"]

DEFAULT_CHAT = "default"


def _unquote(value: str | None) -> str | None:
    """IPython's ``parse_argstring`` keeps quotes around values (``-s 'Be brief.'``): drop them."""
    if value and len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


@magics_class
class ClaudeMagics(Magics):
    """The ``%claude`` / ``%%claude`` magics and the chats they keep."""

    if TYPE_CHECKING:
        shell: InteractiveShell  # always given one (load_ipython_extension); Magics allows None

    def __init__(self, shell: Any) -> None:
        super().__init__(shell)
        self.chats: dict[str, Chat] = {}
        self._client: Any = None
        self._pending: dict[str, Any] = {}  # -o NAME → its view, until NAME is set
        self._pending_lock = threading.Lock()

    @property
    def client(self) -> Any:
        if self._client is None:
            from ._client import client

            self._client = client()
        return self._client

    def chat(self, name: str) -> Chat:
        if name not in self.chats:
            self.chats[name] = Chat(self.client)
        return self.chats[name]

    def _expand(self, text: str) -> str:
        """``{expr}`` and ``$name`` from the user's namespace, as IPython expands command lines."""
        try:
            return DollarFormatter().vformat(text, args=[], kwargs=self.shell.user_ns)
        except NameError as err:
            name = getattr(err, "name", None) or str(err)
            raise UsageError(f"%%claude: the prompt uses `{name}`, which is not defined; define it first, "
                             "or write {{ and }} for literal braces") from None
        except KeyError as err:
            raise UsageError(f"%%claude: the prompt uses `{err.args[0]}`, which is not defined; define it "
                             "first, or write {{ and }} for literal braces") from None
        except Exception as err:  # noqa: BLE001 - a template error is the user's to fix: say what it was
            raise UsageError(f"%%claude: cannot fill in the prompt template: {type(err).__name__}: {err} "
                             "(write {{ and }} for literal braces)") from None

    def _tools(self, names: str | None) -> list[Any]:
        if not names:
            return []
        tools = []
        for name in (n.strip() for n in names.split(",")):
            if not name:
                continue
            if name not in self.shell.user_ns:
                raise UsageError(f"%%claude --tools: there is no function named {name!r} in the notebook")
            fn = self.shell.user_ns[name]
            if not callable(fn):
                raise UsageError(f"%%claude --tools: {name!r} is a {type(fn).__name__}, not a function")
            tools.append(fn)
        return tools

    @magic_arguments()
    @argument("-m", "--model", help="the model (default: claude_widgets.DEFAULT_MODEL)")
    @argument("-s", "--system", help="a system prompt for this conversation (kept for its later turns)")
    @argument("--max-tokens", type=int, help="the answer's token limit (default 1024)")
    @argument("--temperature", type=float, help="sampling temperature (models that accept it)")
    @argument("--thinking", metavar="BUDGET",
              help="extended thinking: a token budget (e.g. 2048), or 'adaptive' for models that take it")
    @argument("--tools", metavar="F,G", help="Python functions from the notebook that Claude may call")
    @argument("--chat", default=DEFAULT_CHAT, metavar="NAME", help="which conversation (default: 'default')")
    @argument("--new", action="store_true", help="start this conversation afresh")
    @argument("-o", "--out", metavar="NAME", help="store the final Message in this variable")
    @argument("--no-resume", action="store_true",
              help="a plain SDK stream: no retry or resume when the stream fails")
    @argument("prompt", nargs="*", help="the prompt (line form); in the cell form, the cell body")
    @no_var_expand
    @line_cell_magic
    def claude(self, line: str, cell: str | None = None) -> None:
        """Ask Claude; the answer streams into a StreamView below the cell.

        Cell form: the cell body is the prompt. Line form: ``%claude your question``.
        ``{expr}`` and ``$name`` are filled in from the notebook's variables (``{{``/``}}``
        for literal braces). Turns of one ``--chat`` form one conversation; re-running a
        cell replaces its own turn. The last answer is also ``claude_widgets.last_message``.
        """
        # IPython types line_cell_magic as returning `_F | Callable[[_F], _F]`; it returns _F
        args = parse_argstring(self.claude, line)  # type: ignore[misc]
        for name in ("model", "system", "thinking", "tools", "chat", "out"):
            setattr(args, name, _unquote(getattr(args, name)))
        raw = cell if cell is not None else " ".join(args.prompt)
        if cell is not None and args.prompt:
            raise UsageError("%%claude: put the prompt in the cell body, not on the magic line "
                             f"(unexpected: {' '.join(args.prompt)!r})")
        prompt = self._expand(raw).strip()
        if not prompt:
            raise UsageError("%%claude: the prompt is empty; write it in the cell, below the %%claude line")
        tools = self._tools(args.tools)
        chat = self.chat(args.chat)
        if args.new:
            chat.reset()
        if args.system is not None:
            chat.system = self._expand(args.system)
        chat.add_tools(tools)
        overrides: dict[str, Any] = {"model": args.model, "max_tokens": args.max_tokens}
        if args.thinking:
            if args.thinking == "adaptive":
                overrides["thinking"] = {"type": "adaptive"}
            else:
                try:
                    budget = int(args.thinking)
                except ValueError:
                    raise UsageError("%%claude --thinking: give a token budget (e.g. 2048) or 'adaptive'") from None
                overrides["thinking"] = {"type": "enabled", "budget_tokens": budget}
                if args.max_tokens is None:
                    overrides["max_tokens"] = max(chat.max_tokens, budget + 1024)
        if args.temperature is not None:
            overrides["extra_body"] = {"temperature": args.temperature}
        key = cell_id(self.shell) or "text:" + hashlib.sha256(f"{line}\n{cell}".encode()).hexdigest()[:16]
        view = chat.stream(prompt, key=key, resume=not args.no_resume, **overrides)
        self._when_done(view, args.out)

    def _when_done(self, view: Any, out: str | None) -> None:
        if out:
            with self._pending_lock:
                self._pending[out] = view

        def record() -> None:
            try:
                message = view.wait()
            except BaseException:  # noqa: BLE001 - the view shows the error; nothing to store
                message = None
            self._store(view, out, message)

        if view.state in ("done", "stopped", "error"):
            record()  # the cell waited for the answer (unattended, terminal): store it before the cell ends
        else:
            threading.Thread(target=record, name="claude-magic-result", daemon=True).start()

    def _store(self, view: Any, out: str | None, message: Any) -> None:
        with self._pending_lock:
            if out and self._pending.get(out) is not view:
                return  # a later `-o` with the same name took over, or stored already
            if out:
                del self._pending[out]
            if message is None:
                return
            import claude_widgets

            claude_widgets.last_message = message
            if out:
                self.shell.user_ns[out] = message

    def wait_for_outputs(self, info: Any) -> None:
        """Before a cell runs: if it uses a ``-o`` name whose answer is still streaming, wait.

        Why: the answer streams in the background (so Stop works), and ``-o`` stores it at the
        end; under Run All the next cell would otherwise run first and find no variable. A
        kernel interrupt ends the wait (the stream is stopped and its partial answer kept).
        """
        cell = getattr(info, "raw_cell", "") or ""
        with self._pending_lock:
            waiting = [(name, view) for name, view in self._pending.items()
                       if re.search(rf"(?<![\w.]){re.escape(name)}\b", cell)]
        for name, view in waiting:
            message = None
            with contextlib.suppress(Exception):  # the view shows the error; the name stays unset
                message = view.wait()
            self._store(view, name, message)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext claude_widgets``: register the magics (loading twice is harmless)."""
    if not any(isinstance(m, ClaudeMagics) for m in ipython.magics_manager.registry.values()):
        magics = ClaudeMagics(ipython)
        ipython.register_magics(magics)
        ipython.events.register("pre_run_cell", magics.wait_for_outputs)


def unload_ipython_extension(ipython: Any) -> None:
    """``%unload_ext claude_widgets``: remove the magics (their chats go with them)."""
    manager = ipython.magics_manager
    magics = manager.registry.pop("ClaudeMagics", None)
    if magics is not None:
        with contextlib.suppress(ValueError):
            ipython.events.unregister("pre_run_cell", magics.wait_for_outputs)
    for kind in ("line", "cell"):
        manager.magics[kind].pop("claude", None)
