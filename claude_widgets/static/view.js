// StreamView, browser side: shows a Claude answer while it streams.
//
// Wire format: docs/widget-protocol.md. In short: numbered "ops" custom messages
// (start / append / stop / status / reset) while streaming, a zlib-compressed
// `snapshot` trait at the end and on request, a `status` trait on state changes.
//
// How this module gets its libraries (marked, DOMPurify) with no CDN and no network:
// anywidget imports `_esm` from a blob: URL, so relative imports cannot resolve.
// claude_widgets/_esm.py:build_esm() therefore replaces the VENDOR placeholder below
// with the vendored files (static/vendor/, unmodified), zlib-compressed and base64'd
// (~3x fewer bytes in every comm_open and in saved widget state). At run time each
// file is inflated with DecompressionStream and imported from its own blob: URL —
// the same mechanism anywidget itself uses for `_esm`, so it works wherever anywidget
// works (JupyterLab 4, Notebook 7, VS Code, saved HTML). The imported modules are
// cached on globalThis per vendor build, so a page with many answers loads them once.
// Loaded unbuilt (VENDOR null, e.g. `_esm` served as a URL in development), the
// relative imports of ./vendor/ are used instead.

const VENDOR = /*@@CLAUDE_WIDGETS_VENDOR@@*/ null;

const ACTIVE = new Set(["connecting", "streaming", "retrying"]);
const FINAL = new Set(["done", "stopped", "error"]);
const STATE_LABEL = {
  idle: "Waiting",
  connecting: "Connecting…",
  streaming: "Streaming",
  retrying: "Retrying",
  done: "Done",
  stopped: "Stopped",
  error: "Error",
};

// Rendering work budget for the open (tail) Markdown block of one text block: lexing
// plus re-rendering the tail may cost at most TAIL_WORK_PER_CHAR × the block's length
// + TAIL_WORK_BASE characters. Committed blocks are rendered once (≤ 1× the text), so
// the total Markdown rendering stays ≤ ~3× the text however slowly it trickles in.
// Over budget, new text is shown as plain text until the budget allows a re-render,
// the stream pauses (SETTLE_MS), the block ends, or the stream ends.
const TAIL_WORK_PER_CHAR = 3;
const TAIL_WORK_BASE = 3000;
const SETTLE_MS = 300;

// A backlog (an unpaced burst that arrived while the page was busy, a snapshot, the end
// of a stream) is taken as if it were streaming in: a step of characters at a time, and no
// more steps once the frame's flushes have spent FRAME_WORK_MS; the rest waits for the next
// frame. So no task renders a whole long answer at once (Markdown, sanitising and then
// layout of tens of thousands of elements: hundreds of ms), and each frame adds a bounded
// amount of DOM, whose layout is then incremental. A live stream's flushes are smaller
// than one step: they are not affected.
// A step is sized by time, not by a fixed count: after each step the next is set to what
// STEP_MS of work takes at the rate just measured, within [STEP_MIN, STEP_MAX]. A fixed
// 4 KB step cost 130 ms on a slow machine's first flush (marked and the sanitiser not yet
// compiled by the JIT: bench/profile_burst.py), where a warm, fast page takes 4 KB in ~10.
const STEP_START = 1024;
const STEP_MIN = 256;
const STEP_MAX = 8192;
const STEP_MS = 6;
const FRAME_WORK_MS = 16;
// The budget is the page's per frame, not each flush's: a flush outside the frame's callback
// (the end of a stream laid in at once, a snapshot's end: Answer.onStatus), the frame's own
// flush after it, and the flushes of two views of one answer spend from one FRAME_WORK_MS.
// With a budget each, such a frame ran two budgets' work (39-49 ms of script seen on 2
// cores, where a frame with one flush runs 18-35). Work done in tasks before a frame's
// callbacks is that frame's (it is laid out with it); a frame's callbacks share its
// timestamp; with no frames (a hidden tab), the ledger starts over after LEDGER_STALE_MS.
const LEDGER_STALE_MS = 100;
const LEDGER = { frame: null, start: -Infinity, spent: 0 };

/** What is left of this frame's work budget, in ms (≥ 0). `frameTs`: a frame callback's timestamp. */
function frameBudget(budgetMs, now, frameTs) {
  const laidOut = LEDGER.frame !== null && LEDGER.frame !== frameTs; // a frame ended since
  if (laidOut || now - LEDGER.start > LEDGER_STALE_MS) {
    LEDGER.start = now;
    LEDGER.spent = 0;
  }
  LEDGER.frame = frameTs;
  return Math.max(0, budgetMs - LEDGER.spent);
}

// The record that replaces a finished view lays out the middle of a long text lazily, in
// chunks sized by an estimate until first shown (claude_widgets/_chunks.py). A reader at
// the end of the answer has every chunk above the screen: an estimate off by a few percent
// moves what they read by thousands of pixels when the record comes in. So a finished view
// measures its text's blocks and, when its record appears where it was, gives each chunk
// its measured height (the live view and the record lay out box for box:
// tests/browser/test_look_lab.py). Shorter texts are not measured: their records have a
// chunk or two at most (chunks start at _chunks.MIN_CHARS of HTML, ~3x the Markdown of
// prose), whose estimates can move the reader little.
const SWAP_MIN_CHARS = 4000;
const SWAP_WAIT_MS = 60000; // a view kept live (inside another widget) is never replaced

// ------------------------------------------------------------------ stats (for tests)

const STATS = (globalThis.__claudeWidgetsStats ??= {
  renderedChars: 0, // Markdown source characters turned into HTML (marked + DOMPurify)
  renders: 0, // calls of the Markdown renderer
  lexedChars: 0, // characters given to marked's lexer
  plainChars: 0, // characters appended as text nodes (no Markdown work)
  previews: 0, // appends shown as plain text because the tail was over budget
  relexes: 0, // re-lexings of the open block (step 3 below)
  chunksSized: 0, // record chunks given their measured heights (sizeChunks)
  openRenders: 0, // re-renderings of an open inline part (step 2 below)
  moved: 0, // finished tail blocks committed as they were (no rendering)
  resyncs: 0, // resync requests sent
  snapshots: 0, // snapshots applied
});

// ------------------------------------------------------------------ vendored libraries

function b64ToBytes(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

async function inflate(bytes) {
  // zlib (RFC 1950) = the "deflate" format of the Compression Streams API.
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return await new Response(stream).text();
}

async function importSource(source) {
  const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
  try {
    return await import(/* webpackIgnore: true */ /* @vite-ignore */ url);
  } finally {
    URL.revokeObjectURL(url);
  }
}

function loadVendor() {
  const key = VENDOR ? VENDOR.key : "unbuilt";
  const cache = (globalThis.__claudeWidgetsVendor ??= new Map());
  let promise = cache.get(key);
  if (!promise) {
    promise = (async () => {
      const names = ["marked", "dompurify", "temml", "hljs"];
      let mods;
      if (VENDOR) {
        mods = [];
        for (const name of names) {
          // one library a frame: evaluated together, on a loaded machine their
          // evaluation made one long frame (as WARM_UP's samples did: see there)
          await new Promise(nextFrame);
          const v = VENDOR[name];
          const source = await inflate(b64ToBytes(v.z));
          // a classic-script build (Temml's): its global, exported
          mods.push(await importSource(v.export ? `${source}\nexport default ${v.export};` : source));
        }
      } else {
        const temmlSource = await (await fetch(new URL("./vendor/temml/temml.min.js", import.meta.url))).text();
        mods = await Promise.all([
          import("./vendor/marked/marked.esm.js"),
          import("./vendor/dompurify/purify.es.mjs"),
          importSource(`${temmlSource}\nexport default temml;`),
          import("./vendor/highlightjs/highlight.min.js"),
        ]);
      }
      const [markedMod, purifyMod, temmlMod, hljsMod] = mods;
      await new Promise(nextFrame); // not in the last library's frame (13-15 ms there)
      const md = makeMarkdown(markedMod, purifyMod.default, temmlMod.default, hljsMod.default);
      await warmUp(md, hljsMod.default); // before the first text is laid in: its first frames would compile all this
      return md;
    })();
    cache.set(key, promise);
    promise.then((md) => { promise.md = md; }, () => cache.delete(key)); // md: ready, for render(); failed: a later widget tries again
  }
  return promise;
}

// Samples of what answers hold, rendered once when the renderer loads, each in a frame of
// its own: a page's first rendering of each kind compiles the code for it (marked's
// lexer, the sanitiser, Highlight.js, Temml), and that made the first frame of the first
// answer on a page cost 50-140 ms (a paced stream's first frame in JupyterLab: 74 ms of
// script). A task each was not enough: on a loaded machine three samples ran between two
// frames, 49 ms of script in one frame (CI, test_browser_costs): so a step a frame (nextFrame).
// The first view's text waits for it (~20 frames; its status is live meanwhile: render()).
const WARM_UP = [
  "# Title\n\nA paragraph.\n",
  "A paragraph with **bold**, *em*, `code`, a [link](https://example.com) and www.example.com.\n",
  "- one\n- two\n  1. three\n\n> a quote\n\n| a | b |\n|---|:-:|\n| 1 | 2 |\n",
  "```python\ndef f(x: int) -> int:\n    return x * 2  # twice\n```\n",
  "```js\nconst y = [1, 2].map((v) => v + 1);\n```\n",
  "Inline $a^2 + b^2 = c^2$ and\n\n$$\\sum_{k=1}^{n} k = \\frac{n(n+1)}{2}$$\n",
];

// After the next frame: one piece of the renderer's preparation a frame, so no frame holds
// two. Not an idle period (requestIdleCallback): a page busy with a stream is never idle, so
// each wait ran to its 200 ms timeout, eight of them. The timer lets a hidden tab, which has
// no frames, go on.
function nextFrame(resolve) {
  let done = false;
  const go = () => {
    if (!done) {
      done = true;
      resolve();
    }
  };
  if (typeof globalThis.requestAnimationFrame === "function") {
    globalThis.requestAnimationFrame(() => setTimeout(go, 0)); // a task after that frame's paint
  }
  setTimeout(go, 100);
}

async function warmUp(md, hljs) {
  // Small steps, one a frame (steps under 4 ms share one): a whole sample took up to 54 ms
  // (the code sample: Highlight.js compiling two grammars); split, the largest step is
  // marked's first lex, 21-25 ms (measured in JupyterLab in headless Chromium, 2 cores)
  const steps = [];
  for (const name of ["python", "javascript"]) {
    if (hljs) steps.push(() => hljs.highlight("", { language: name })); // a grammar compiles on first use
  }
  for (const src of WARM_UP) {
    let tokens = null;
    steps.push(() => { tokens = md.lex(src); });
    steps.push(() => md.render(tokens, tokens.links, src.length));
    steps.push(() => md.renderInline(src.slice(0, 80)));
  }
  let frameStart = -Infinity;
  for (const step of steps) {
    if (performance.now() - frameStart > 4) {
      await new Promise(nextFrame); // no long task, no long frame; cheap steps share one
      frameStart = performance.now();
    }
    const counts = { ...STATS }; // not the answers' work: leave the counters as they were
    try {
      step();
    } catch (err) {
      console.warn("[claude-widgets] warm-up:", err);
    }
    Object.assign(STATS, counts);
  }
  await new Promise(nextFrame); // the first text laid in: a frame of its own
}

// ------------------------------------------------------------------ Markdown → safe DOM

const ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ESC[c]);

const SAFE_PROTOCOLS = new Set(["http:", "https:", "mailto:"]);

function safeHref(href) {
  // Only http(s), mailto and relative references survive. Parsing the way the browser
  // will (tabs/newlines stripped, entities already decoded) defeats "jav&#x09;ascript:".
  if (!href) return null;
  try {
    const url = new URL(href, "https://relative.invalid/");
    return SAFE_PROTOCOLS.has(url.protocol) ? href : null;
  } catch {
    return null;
  }
}

// ---- math: $…$, $$…$$, \(…\), \[…\] (the record: _static.py, with mdit-py-plugins'
// dollarmath and texmath rules, which these mirror). A "$" opens inline math only when
// no space follows it and no digit precedes it, and closes only after a non-space and
// before a non-digit ("$5 and $6" stay prices); a "\$" is a dollar.
const MATH_DISPLAY_DOLLAR = /^ {0,3}\$\$/;
const MATH_BRACKET_BLOCK = /^ {0,3}\\\[([\s\S]+?)\\\][ \t]*(?:\n|$)/;
const MATH_BRACKET_INLINE = /^\\\(([\s\S]+?)\\\)/;
const MATH_OPEN = /\$|\\[([]/; // where math may start: the source of an open region
const MATHML_NS = "http://www.w3.org/1998/Math/MathML";

function escapedAt(src, i) {
  let n = 0;
  while (i - 1 - n >= 0 && src[i - 1 - n] === "\\") n++;
  return n % 2 === 1;
}

function mathBlockDollar(src) {
  // dollarmath's block rule, without labels and without blank lines inside
  if (!MATH_DISPLAY_DOLLAR.test(src)) return null;
  const lines = src.split("\n");
  const first = lines[0];
  const start = first.indexOf("$$");
  const firstTrim = first.trim();
  if (firstTrim.length > 3) {
    if (firstTrim.endsWith("$$")) {
      const raw = first + (lines.length > 1 ? "\n" : "");
      return { raw, text: first.slice(start + 2, first.lastIndexOf("$$")) };
    }
    if (first.slice(start + 2).includes("$$")) return null;
  }
  const body = [first.slice(start + 2)];
  for (let k = 1; k < lines.length; k++) {
    const t = lines[k].trim();
    if (t.endsWith("$$")) {
      body.push(lines[k].slice(0, lines[k].lastIndexOf("$$")));
      const raw = lines.slice(0, k + 1).join("\n") + (k + 1 < lines.length ? "\n" : "");
      return { raw, text: body.join("\n") };
    }
    if (t === "") return null;
    body.push(lines[k]);
  }
  return null;
}

function mathInlineDollar(src, prev) {
  // dollarmath's inline rule with allow_space=False, allow_digits=False, double_inline=True
  if (src[0] !== "$" || src.length < 2 || /\s/.test(src[1]) || /[0-9]/.test(prev)) return null;
  const dbl = src[1] === "$";
  let pos = dbl ? 2 : 1;
  for (;;) {
    let end = src.indexOf("$", pos);
    if (end < 0) return null;
    if (escapedAt(src, end)) {
      pos = end + 1;
      continue;
    }
    if (dbl) {
      if (src[end + 1] !== "$") {
        pos = end + 1;
        continue;
      }
      end += 1;
    }
    if (/\s/.test(src[end - 1]) || /[0-9]/.test(src[end + 1] || "")) return null;
    const text = dbl ? src.slice(2, end - 1) : src.slice(1, end);
    return text ? { raw: src.slice(0, end + 1), text, display: dbl } : null;
  }
}

function mathExtensions(renderMath) {
  const block = (raw, text) => ({ type: "mathBlock", raw, text });
  return [
    {
      name: "mathBlock",
      level: "block",
      // no start(): a math block does not interrupt a paragraph (as in markdown-it)
      tokenizer(src) {
        const d = mathBlockDollar(src);
        if (d) return block(d.raw, d.text);
        const m = MATH_BRACKET_BLOCK.exec(src);
        return m ? block(m[0], m[1]) : undefined;
      },
      renderer: (t) => renderMath(t.text, true, "div"),
    },
    {
      name: "mathInline",
      level: "inline",
      start(src) {
        const m = /\$|\\\(/.exec(src);
        return m ? m.index : undefined;
      },
      tokenizer(src, tokens) {
        const last = tokens && tokens.length ? tokens[tokens.length - 1].raw : "";
        const d = mathInlineDollar(src, last ? last[last.length - 1] : "");
        if (d) return { type: "mathInline", raw: d.raw, text: d.text, display: d.display };
        const m = MATH_BRACKET_INLINE.exec(src);
        return m ? { type: "mathInline", raw: m[0], text: m[1], display: false } : undefined;
      },
      renderer: (t) => renderMath(t.text, t.display, "span"),
    },
  ];
}

function makeMarkdown(markedMod, createDOMPurify, temml, hljs) {
  const md = new markedMod.Marked({ gfm: true, breaks: false, async: false });
  // TeX → MathML (no \href, \url, \includegraphics…: Temml's trust is off); a formula
  // that does not parse shows as its source, in code. _static.py renders the same markup.
  const renderMath = (tex, display, tag) => {
    const src = tex.trim();
    let out;
    try {
      out = temml ? temml.renderToString(src, { displayMode: display, throwOnError: true, trust: false }) : null;
    } catch {
      out = null;
    }
    const cls = display ? "cw-math cw-math-display" : "cw-math";
    if (out === null) return `<${tag} class="${cls} cw-math-error"><code>${escapeHtml(src)}</code></${tag}>`;
    return `<${tag} class="${cls}">${out}</${tag}>`;
  };
  md.use({ extensions: mathExtensions(renderMath) });
  md.use({
    renderer: {
      // Code blocks are highlighted (highlight.js, for a language it knows by the fence's
      // name; the record: Pygments, with the same class names and colours).
      code({ text, lang }) {
        const name = (lang || "").match(/^\S*/)[0];
        const known = name && hljs && hljs.getLanguage(name);
        let body = escapeHtml(text);
        if (known) {
          try {
            body = hljs.highlight(text, { language: name, ignoreIllegals: true }).value;
          } catch {
            body = escapeHtml(text);
          }
        }
        const cls = name ? ` class="${known ? "hljs " : ""}language-${escapeHtml(name)}"` : "";
        return `<pre><code${cls}>${body}${text.endsWith("\n") || !text ? "" : "\n"}</code></pre>\n`;
      },
      // Raw HTML in the model's output is shown as text, never interpreted: what a
      // reader asked about ("use the <details> tag") stays visible, and an injected
      // payload is inert text (DOMPurify below is the second line of defence).
      html({ text, block }) {
        const t = escapeHtml(text);
        return block ? `<p class="cw-raw-html">${t}</p>\n` : t;
      },
      // Images are not fetched: a URL chosen by the model (or by a prompt injection)
      // could carry data out. The reader gets a link instead.
      image({ href, text }) {
        return `<a class="cw-image-link" href="${escapeHtml(href || "")}">[image: ${escapeHtml(text || href || "")}]</a>`;
      },
      checkbox({ checked }) {
        return checked ? "☑ " : "☐ ";
      },
    },
  });

  const purify = createDOMPurify(window); // our own instance: hooks stay ours
  purify.addHook("afterSanitizeAttributes", (node) => {
    if (node.nodeName === "A") {
      const href = safeHref(node.getAttribute("href"));
      if (href === null) node.removeAttribute("href");
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer");
    } else if (node.namespaceURI === MATHML_NS) {
      // MathML comes from Temml only (raw HTML is text): no links, no actions in it
      for (const name of ["href", "xlink:href", "actiontype", "src"]) node.removeAttribute(name);
    }
  });
  // Set once on our instance (DOMPurify's setConfig): sanitize(html, config) would parse the
  // config again for every block rendered, building its tag and attribute sets each time.
  purify.setConfig({
    USE_PROFILES: { html: true, mathMl: true }, // MathML for math (Temml's output); no SVG
    FORBID_TAGS: [
      "style", "script", "iframe", "frame", "frameset", "object", "embed", "form", "input",
      "button", "textarea", "select", "option", "base", "link", "meta", "img", "picture",
      "video", "audio", "source", "track", "svg", "template", "noscript", "maction",
      "annotation-xml", "mglyph", "malignmark",
    ],
    FORBID_ATTR: ["style", "srcset", "action", "formaction", "background", "poster", "xlink:href"],
    ALLOW_DATA_ATTR: false,
    ALLOWED_URI_REGEXP: /^(?:(?:https?|mailto):|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i,
    RETURN_DOM_FRAGMENT: true,
  });

  return {
    lex(src) {
      STATS.lexedChars += src.length;
      return md.lexer(src);
    },
    /** Inline Markdown (one paragraph's content) → sanitized DocumentFragment. */
    renderInline(src) {
      STATS.renderedChars += src.length;
      STATS.renders += 1;
      const frag = purify.sanitize(md.parseInline(src));
      if (MARKS.test(src)) citeMarks(frag);
      return frag;
    },
    /** tokens → sanitized DocumentFragment; `chars`: the source length, for the stats. */
    render(tokens, links, chars) {
      STATS.renderedChars += chars;
      STATS.renders += 1;
      tokens.links = links || tokens.links || Object.create(null);
      const html = md.parser(tokens);
      const frag = purify.sanitize(html);
      if (MARKS.test(html)) citeMarks(frag);
      for (const pre of frag.querySelectorAll("pre")) pre.prepend(copyButton("Copy code"));
      return frag;
    },
  };
}

// ------------------------------------------------------------------ citations

// A citation's mark in a run's text: one Private Use Area character, U+F000 + its index in
// the answer (claude_widgets/_sources.py: why, and the record's side of the same rules).
const MARK_BASE = 0xf000;
const MARK_COUNT = 0x900;
const MARKS = /[\uF000-\uF8FF]/;
const MARKS_G = /[\uF000-\uF8FF]/g;
const mark = (n) => (n < MARK_COUNT ? String.fromCharCode(MARK_BASE + n) : "");
const stripMarks = (s) => s.replace(MARKS_G, "");

/** Each mark in `root`'s text → <sup class="cw-cite">[n]</sup> (as _sources.py: marks_html). */
function citeMarks(root) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const found = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) if (MARKS.test(n.data)) found.push(n);
  for (const node of found) {
    const parts = [];
    let last = 0;
    for (const m of node.data.matchAll(MARKS_G)) {
      if (m.index > last) parts.push(node.data.slice(last, m.index));
      parts.push(h("sup", "cw-cite", `[${m[0].charCodeAt(0) - MARK_BASE + 1}]`));
      last = m.index + 1;
    }
    if (last < node.data.length) parts.push(node.data.slice(last));
    node.replaceWith(...parts);
  }
}

/**
 * Adjacent text blocks, shown as one Markdown text (a TextItem reads it as its block):
 * the API splits an answer into text blocks where citations start and end, often mid-
 * sentence. Each done block is followed by its citations' marks; `text` only grows while
 * the members do (a member changed otherwise bumps its rev: the run is rebuilt). `done`
 * once the run can no longer grow: a block of another kind follows, or the answer ended.
 */
class TextRun {
  constructor(members, start) {
    this.type = "text";
    this.start = start; // citations before the run, in the answer
    this.members = members;
    this.revs = members.map((m) => m.rev);
    this.rev = 0;
    this.text = "";
    this.chars = 0; // the members' own characters (the text less its marks)
    this.done = false;
    this.citations = [];
    this.sources = { type: "sources", run: this, rev: 0, text: "" };
  }

  fits(members, start) {
    return start === this.start && members.length >= this.members.length
      && this.members.every((m, k) => members[k] === m && m.rev === this.revs[k]);
  }

  sync(members, closed) {
    this.members = members;
    this.revs = members.map((m) => m.rev);
    let text = "";
    let chars = 0;
    let n = this.start;
    const cites = [];
    for (const m of members) {
      text += m.text.replace(MARKS_G, "\uFFFD");
      chars += m.text.length;
      if (m.done) for (let k = 0; k < m.citations.length; k++) text += mark(n + k);
      n += m.citations.length;
      cites.push(...m.citations);
    }
    this.text = text;
    this.chars = chars;
    this.citations = cites;
    this.done = closed && members[members.length - 1].done;
  }
}

/** The numbered sources of a run (the record: _sources.py sources_html, the same markup). */
class SourcesItem {
  constructor(view, seg) {
    this.block = seg;
    this.rev = seg.rev;
    this.el = h("div", "cw-block cw-sources");
    this.list = h("ol", "cw-sources-list");
    this.el.append(this.list);
    this.shown = 0;
  }

  update() {
    const run = this.block.run;
    this.list.start = run.start + 1;
    for (const info of run.citations.slice(this.shown)) {
      const li = h("li");
      const href = info.url ? safeHref(info.url) : null;
      const title = h(href ? "a" : "span", "cw-source-title", info.title || "");
      if (href) {
        title.href = href;
        title.target = "_blank";
        title.rel = "noopener noreferrer";
      }
      li.append(title);
      if (info.where) li.append(h("span", "cw-source-where", info.where));
      li.append(h("span", "cw-source-quote", info.quote || ""));
      this.list.append(li);
    }
    this.shown = run.citations.length;
  }
}

// ------------------------------------------------------------------ copying

/** A copy button: its label is CSS (::after), so it adds nothing to the text it sits in. */
function copyButton(title) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "cw-copy";
  b.title = title;
  b.setAttribute("aria-label", title);
  return b;
}

/**
 * Put `text` on the clipboard: the async Clipboard API where the page may use it, else a
 * selected textarea and execCommand("copy") (older hosts, iframes without permission).
 */
async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const ta = document.createElement("textarea");
    ta.value = text;
    ta.setAttribute("readonly", "");
    ta.style.position = "fixed";
    ta.style.opacity = "0";
    document.body.append(ta);
    ta.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    ta.remove();
    return ok;
  }
}

// ------------------------------------------------------------------ model-level state

function toBytes(value) {
  if (!value) return null;
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (typeof value === "string") return b64ToBytes(value);
  return null;
}

/**
 * A structured output's block ("format": "json") stays JSON only if its text starts with
 * "{" or "[" once some came: a preamble before a tool call is Markdown, as any text
 * (_static.py: `_is_json`). False: the block stopped being JSON (its format was dropped).
 */
function checkJson(b) {
  if (b.format !== "json") return true;
  const first = b.text.trimStart()[0];
  if (first === undefined || first === "{" || first === "[") return true;
  b.format = null;
  return false;
}

function newBlock(b) {
  const block = {
    type: b.type || "text",
    name: b.name ?? null,
    id: b.id ?? null,
    text: b.text || "",
    input: b.input ?? null,
    done: !!b.done,
    isError: !!b.is_error, // a tool_result that reports a failure
    citations: Array.isArray(b.citations) ? b.citations : [], // display fields (_sources.py: cite_info)
    format: b.format || null, // "json": a structured output's text (JsonItem), not Markdown
    rev: 0, // bumped when the block changes other than by appending: views rebuild it
  };
  checkJson(block);
  return block;
}

/**
 * One per model: the answer as the browser knows it, kept by initialize() so that
 * views created later (a second view, a re-render) start from it.
 */
class Answer {
  constructor(model) {
    this.model = model;
    this.blocks = [];
    this.status = { state: "idle", ...(model.get("status") || {}) };
    this.statusAt = performance.now(); // when `status.elapsed` was last set
    this.seq = 0; // last op seq applied (or the snapshot's seq)
    this.waiting = false; // a resync was asked for; ops wait for the next snapshot
    this.held = []; // ops received while waiting
    this.queue = Promise.resolve(); // snapshots inflate asynchronously: keep order
    this.pending = 0; // functions in the queue
    this.pendingOps = 0; // …of which ops messages
    this.views = new Set();
    this.stopSent = false;
  }

  enqueue(fn, ops = false) {
    this.pending += 1;
    this.pendingOps += ops ? 1 : 0;
    this.queue = this.queue.then(fn).catch((err) => console.error("[claude-widgets]", err))
      .finally(() => {
        this.pending -= 1;
        this.pendingOps -= ops ? 1 : 0;
      });
  }

  notify(force = false) {
    for (const v of this.views) v.schedule(force);
  }

  onStatus() {
    const status = this.model.get("status") || {};
    this.status = { ...this.status, ...status };
    this.statusAt = performance.now();
    if (!ACTIVE.has(this.status.state)) this.stopSent = false;
    if (!FINAL.has(this.status.state)) return this.notify();
    // The end is laid in now, in this task: the kernel's next message may replace the view
    // with its record before the next frame, and the view measures its text for that
    // record as it ends (watchSwap). The ops that came before this status are applied (in
    // the microtasks after their message); the snapshot the kernel sends with its end (the
    // same answer, unless ops were lost) is still inflating (a real async step): whatever
    // it changes is laid in after it. Ops still queued (behind a resync) are waited for.
    const end = () => {
      for (const v of this.views) v.flushNow();
    };
    if (!this.pendingOps) end();
    if (this.pending) this.enqueue(end);
  }

  onSnapshot() {
    const bytes = toBytes(this.model.get("snapshot"));
    if (!bytes || bytes.length === 0) return;
    const copy = bytes.slice(); // the trait's buffer may be reused
    this.enqueue(async () => this.applySnapshot(JSON.parse(await inflate(copy))));
  }

  onMessage(msg) {
    if (!msg || msg.k !== "ops") return;
    this.enqueue(() => this.receiveOps(msg), true);
  }

  receiveOps(msg) {
    if (this.waiting) {
      this.held.push(msg);
      return;
    }
    if (msg.seq <= this.seq) return; // already in the snapshot
    if (msg.seq !== this.seq + 1) {
      this.held.push(msg);
      this.resync();
      return;
    }
    this.applyOps(msg);
    this.notify();
  }

  applyOps(msg) {
    for (const op of msg.ops) {
      if (!this.applyOp(op)) {
        this.resync();
        return;
      }
    }
    this.seq = msg.seq;
  }

  /** Apply one op; false if it does not fit what we have (a lost message). */
  applyOp(op) {
    const blocks = this.blocks;
    switch (op[0]) {
      case "start": {
        const [, i, info] = op;
        if (i !== blocks.length) return false;
        blocks.push(newBlock(info || {}));
        return true;
      }
      case "append": {
        const [, i, offset, text] = op;
        const b = blocks[i];
        if (!b || offset !== b.text.length) return false;
        b.text += text;
        if (!checkJson(b)) b.rev++; // shown as Markdown from now on: rebuild
        if (b.done) {
          b.done = false; // a resumed attempt continues the block
          b.rev++;
        }
        return true;
      }
      case "stop": {
        const [, i, input] = op;
        const b = blocks[i];
        if (!b) return false;
        b.done = true;
        b.input = input ?? null;
        return true;
      }
      case "cite": {
        const [, i, info] = op;
        const b = blocks[i];
        if (!b) return false;
        b.citations.push(info || {});
        if (b.done) b.rev++; // its marks are already placed: rebuild
        return true;
      }
      case "status": {
        const partial = op[1] || {};
        this.status = { ...this.status, ...partial };
        if ("elapsed" in partial) this.statusAt = performance.now();
        return true;
      }
      case "reset":
        this.blocks = [];
        return true;
      default:
        return true; // unknown op: newer kernel; ignore
    }
  }

  resync() {
    if (this.waiting) return;
    this.waiting = true;
    STATS.resyncs += 1;
    this.model.send({ k: "resync", have_seq: this.seq });
    this.notify();
  }

  applySnapshot(snap) {
    const seq = snap.seq | 0;
    if (seq < this.seq) return; // older than what we applied: keep waiting if we are
    STATS.snapshots += 1;
    this.reconcile((snap.blocks || []).map(newBlock));
    this.seq = seq;
    this.waiting = false;
    const held = this.held.sort((a, b) => a.seq - b.seq);
    this.held = [];
    for (const msg of held) {
      if (msg.seq <= this.seq) continue;
      if (this.waiting) {
        this.held.push(msg);
      } else if (msg.seq !== this.seq + 1) {
        this.held.push(msg);
        this.resync();
      } else {
        this.applyOps(msg);
      }
    }
    this.notify();
  }

  /** Take the snapshot's blocks, keeping the blocks (and their DOM) that it extends. */
  reconcile(fresh) {
    const old = this.blocks;
    const out = [];
    let i = 0;
    for (; i < fresh.length && i < old.length; i++) {
      const o = old[i];
      const n = fresh[i];
      if (o.type !== n.type || o.name !== n.name || o.id !== n.id || !n.text.startsWith(o.text)) break;
      if (o.done && (!n.done || n.text.length !== o.text.length || n.citations.length !== o.citations.length)) o.rev++;
      o.text = n.text;
      o.citations = n.citations;
      if (o.format !== n.format) {
        o.format = n.format; // a structured output's preamble: Markdown after all
        o.rev++;
      }
      o.done = n.done;
      o.input = n.input;
      out.push(o);
    }
    for (; i < fresh.length; i++) out.push(fresh[i]);
    this.blocks = out;
  }

  /** Elapsed seconds, ticking locally between kernel updates while active. */
  elapsed() {
    const s = this.status;
    const base = Number(s.elapsed) || 0;
    return ACTIVE.has(s.state) ? base + (performance.now() - this.statusAt) / 1000 : base;
  }
}

// ------------------------------------------------------------------ nesting guard

// Markdown parsers recurse once per nesting level: marked throws RangeError at ~3,000
// nested list or quote markers (and spends time quadratic in the depth before that),
// markdown-it-pyrs kills the kernel. A text nested deeper than MAX_NESTING is shown as
// plain text, with a note, live and in the record alike. The rules are
// claude_widgets/_mdguard.py's, line for line (see its docstring for why each is so);
// here they run incrementally: each complete line is checked once, as it arrives.
const MAX_NESTING = 20;
const TOO_DEEP = "nesting too deep to render";
const RENDER_FAILED = "the Markdown renderer failed";
const NO_RENDERER = "the Markdown renderer could not load";
const TOO_SLOW = "too slow to render as Markdown";
// A line longer than this is not given to marked (claude_widgets/_mdguard.py: MAX_LINE):
// inline parsing is superlinear on crafted lines, and the tail is re-rendered as it grows.
const MAX_LINE = 20000;
const TOO_LONG = "a line too long to render as Markdown";
// Time a text block may spend in the Markdown renderer, in all: TIME_BASE_MS plus
// TIME_PER_CHAR_MS a character (10 s for 1 MB). Normal answers use a tenth of it; text
// built to be slow (1 MB of "[x", marked's links being quadratic) is shown as plain text
// past it, instead of holding the page for minutes.
const TIME_BASE_MS = 3000;
const TIME_PER_CHAR_MS = 0.01;
const G_PREFIX = /[ \t]*(?:>|[-+*](?=[ \t]|$)|[0-9]{1,9}[.)](?=[ \t]|$))[ \t]*/y;
const G_LEAD = /[ \t]*/y;
const G_QUOTE = /[ \t]{0,3}> ?/y;
const G_FENCE = /^[ \t]{0,3}(`{3,}|~{3,})([^\n]*)/;
const G_RUNS = /\*+|_+|~+/g;
const G_WS = new Set([..." \t\r\n\f\v"]);
const G_PUNCT = new Set([..."!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"]);
const G_BLANK = /^[ \t\r\f\v]*$/;

function gColumns(ws) {
  let col = 0;
  for (const c of ws) col = c === "\t" ? col + 4 - (col % 4) : col + 1;
  return col;
}

function gSticky(re, s, pos) {
  re.lastIndex = pos;
  const m = re.exec(s);
  return m ? re.lastIndex : -1;
}

/** [container depth, where the content starts] of one line. */
function gPrefix(line) {
  let markers = 0;
  let pos = 0;
  while (markers <= MAX_NESTING) {
    const end = gSticky(G_PREFIX, line, pos);
    if (end < 0) break;
    markers += 1;
    pos = end;
  }
  const lead = gSticky(G_LEAD, line, 0);
  if (!markers) return [0, lead];
  return [markers + Math.floor(gColumns(line.slice(0, lead)) / 2), pos];
}

function gQuotes(line, want) {
  let n = 0;
  let pos = 0;
  while (n < want) {
    const end = gSticky(G_QUOTE, line, pos);
    if (end < 0) break;
    n += 1;
    pos = end;
  }
  return [n, pos];
}

/** [can open, can close] for a run of `ch` between `prev` and `next` (CommonMark's flanking). */
function gFlanks(ch, prev, next) {
  const left = !G_WS.has(next) && (!G_PUNCT.has(next) || G_WS.has(prev) || G_PUNCT.has(prev));
  const right = !G_WS.has(prev) && (!G_PUNCT.has(prev) || G_WS.has(next) || G_PUNCT.has(next));
  if (ch === "_") return [left && (!right || G_PUNCT.has(prev)), right && (!left || G_PUNCT.has(next))];
  return [left, right];
}

class NestingGuard {
  constructor() {
    this.pos = 0; // text[0:pos] is checked, whole lines
    this.fence = null; // [char, length, quotes, content indent]
    this.openRuns = 0;
    this.verdict = null;
  }

  /** The reason `text` cannot be rendered, or null; `final`: its last line is complete. */
  check(text, final) {
    let nl;
    while (!this.verdict && (nl = text.indexOf("\n", this.pos)) !== -1) {
      this.line(text.slice(this.pos, nl));
      this.pos = nl + 1;
    }
    if (this.verdict) return this.verdict;
    if (final) {
      this.line(text.slice(this.pos));
      this.pos = text.length;
    } else {
      this.partial(text);
    }
    return this.verdict;
  }

  /**
   * The last, incomplete line: its markers, and its emphasis runs as far as they are
   * known (a run at the very end may still grow), resumed where the last call stopped,
   * so a long line costs no more than its new text. The complete line is checked again
   * by line(), from scratch: the verdict at the end is _mdguard.py's.
   */
  partial(text) {
    const at = this.pos;
    if (this.fence) return; // code until the line is complete
    if (!this.pl || this.pl.at !== at) this.pl = { at, scanned: -1, runs: this.openRuns, deepest: 0 };
    const pl = this.pl;
    if (pl.scanned < 0) {
      const [depth, start] = gPrefix(text.slice(at, at + 2048) + "x"); // "x": only markers a space follows
      if (depth > MAX_NESTING) {
        this.verdict = TOO_DEEP;
        return;
      }
      if (at + start >= text.length || start >= 2048) return; // the line's prefix is not settled yet
      if (/[`~]/.test(text[at + start])) return; // maybe a fence: wait for the whole line
      pl.scanned = at + start;
    }
    G_RUNS.lastIndex = pl.scanned;
    for (let r = G_RUNS.exec(text); r; r = G_RUNS.exec(text)) {
      const i = r.index;
      const j = i + r[0].length;
      if (j >= text.length) break; // what follows the run is not known yet
      const [open, close] = gFlanks(r[0][0], i > at ? text[i - 1] : "\n", text[j]);
      if (close && pl.runs) {
        pl.deepest = Math.max(pl.deepest, pl.runs);
        pl.runs -= 1;
      } else if (open) {
        pl.runs += 1;
      }
      pl.scanned = j;
    }
    if (pl.deepest > MAX_NESTING) this.verdict = TOO_DEEP;
  }

  line(line) {
    const [depth, start] = gPrefix(line);
    if (depth > MAX_NESTING) {
      this.verdict = TOO_DEEP;
      return;
    }
    if (this.fence) {
      const [ch, length, quotes, indent] = this.fence;
      const [n, pos] = gQuotes(line, quotes);
      const rest = line.slice(pos);
      if (G_BLANK.test(rest) || (n === quotes && gColumns(rest.slice(0, gSticky(G_LEAD, rest, 0))) >= indent)) {
        const run = rest.replace(/^[ \t\r]+|[ \t\r]+$/g, "");
        if (run && run[0] === ch && run === ch.repeat(run.length) && run.length >= length) this.fence = null;
        return;
      }
      this.fence = null; // the line left the fence's container: it ends there
    }
    const content = line.slice(start);
    const m = G_FENCE.exec(content);
    if (m && !(m[1][0] === "`" && m[2].includes("`"))) {
      const [quotes, pos] = gQuotes(line, MAX_NESTING + 1);
      const indent = depth > quotes ? gColumns(line.slice(pos, start)) : 0;
      this.fence = [m[1][0], m[1].length, quotes, indent];
      this.openRuns = 0;
      return;
    }
    if (G_BLANK.test(content)) {
      this.openRuns = 0;
      return;
    }
    let depthRuns = this.openRuns;
    let deepest = 0;
    G_RUNS.lastIndex = start;
    for (let r = G_RUNS.exec(line); r; r = G_RUNS.exec(line)) {
      const i = r.index;
      const j = i + r[0].length;
      const [canOpen, canClose] = gFlanks(r[0][0], i > 0 ? line[i - 1] : "\n", j < line.length ? line[j] : "\n");
      if (canClose && depthRuns) {
        deepest = Math.max(deepest, depthRuns);
        depthRuns -= 1;
      } else if (canOpen) {
        depthRuns += 1;
      }
    }
    this.openRuns = depthRuns;
    if (deepest > MAX_NESTING) this.verdict = TOO_DEEP;
  }
}

/** What the status line says when `n` blocks are shown as plain text (_static.py: the same). */
function fallbackLabel(n) {
  return !n ? "" : n === 1 ? "1 block shown as plain text" : `${n} blocks shown as plain text`;
}

// ------------------------------------------------------------------ views

const h = (tag, cls, text) => {
  const el = document.createElement(tag);
  if (cls) el.className = cls;
  if (text != null) el.textContent = text;
  return el;
};

// How the open (last, still growing) Markdown block is kept up to date, cheapest first:
//  1. New text that cannot change any markup is appended to the DOM as a text node
//     (render(shown + add) === render(shown) + add; see plainAppendable).
//  2. Inside a paragraph, list item, heading or cell, the inline content is split into
//     a frozen part and an open part, at a space after which nothing can reach back
//     (no emphasis or link left open before it). Other new text re-renders only the
//     open part, as inline Markdown.
//  3. Otherwise (a newline, a table pipe…) the open block is lexed again: blocks that
//     can no longer change are committed (rendered once, never touched again) and the
//     rest is re-rendered.
// Steps 2 and 3 spend from a work budget; over it, text is shown as plain text until
// a re-render is affordable (or the stream pauses, or the block ends).

// Characters that may start, end or change Markdown syntax inside a line.
// Emphasis/code delimiters and brackets are allowed where they can only *open*.
const SPECIAL = /[\n\r<>\\&|#:@]/;
const PAIRED = /[*_~`[\]()$]/;
const DELIM_RUNS = /[*_~`]+/g;
const OPEN_MARKS = /[*_~`[$]/; // shown as text, these mean "something may still close"

/** Does `src` open a \( or \[ that it does not close? (Rendered, the backslash is gone.) */
function openMath(src) {
  return src.lastIndexOf("\\(") > src.lastIndexOf("\\)") || src.lastIndexOf("\\[") > src.lastIndexOf("\\]");
}
const ONLY_WS = /^\s*$/;
// (not <pre><code>: marked ends a code block's text with a newline of its own)
const TEXT_SINKS = new Set(["P", "LI", "H1", "H2", "H3", "H4", "H5", "H6", "TD", "TH"]);
const DESCEND = new Set(["UL", "OL", "BLOCKQUOTE", ...TEXT_SINKS]);
const FENCE_OPEN = /^(`{3,}|~{3,})([^\n]*)\n/;
const MAYBE_FENCE_CLOSE = /^ {0,3}(`+|~+)[ \t]*$/;
const AUTOLINK_START = /www\.|(?:https?|ftp):/i;

const HOLD_MAX = 16;
const ROW_MAX = 400;
// A line's kind is settled once it has a first word *and* the start of a second: "- "
// alone may still be a setext underline ("para\n- " is a heading), "- x" is an item.
// ("<tag …>" on a line of its own is an HTML block: a line starting with "<" never is.)
const LINE_READY = /^(?! {0,3}<)[^]*\S\s+\S/;

/** Can no text that follows change how token `t` renders? (`next`: the token after it) */
function isFinal(t, next) {
  switch (t.type) {
    case "heading":
    case "hr":
      return t.raw.endsWith("\n") || !!next;
    case "code": {
      const open = FENCE_OPEN.exec(t.raw);
      if (!open || !(t.raw.endsWith("\n") || next)) return false;
      const lines = t.raw.replace(/\n$/, "").split("\n");
      const m = lines.length > 1 && MAYBE_FENCE_CLOSE.exec(lines[lines.length - 1]);
      return !!m && m[1][0] === open[1][0] && m[1].length >= open[1].length;
    }
    case "paragraph":
    case "table":
    case "blockquote":
      return !!next && next.type === "space" && next.raw.includes("\n\n");
    default:
      return false;
  }
}

/** The element new plain text goes into: the deepest last paragraph/item/cell. */
function textSink(root) {
  let node = root;
  for (;;) {
    let last = node.lastChild;
    while (last && last.nodeType === 3 && ONLY_WS.test(last.data)) last = last.previousSibling;
    if (!last || last.nodeType !== 1 || !DESCEND.has(last.nodeName)) break;
    node = last;
  }
  return node !== root && TEXT_SINKS.has(node.nodeName) ? node : null;
}

/** Do the nodes (from `first` on) show a delimiter or bracket as text, outside code? */
function showsOpenMarks(first) {
  for (let node = first; node; node = node.nextSibling) {
    if (node.nodeType === 3) {
      if (OPEN_MARKS.test(node.data)) return true;
    } else if (node.nodeType === 1 && node.nodeName !== "CODE") {
      const walk = document.createTreeWalker(node, NodeFilter.SHOW_TEXT);
      for (let t = walk.nextNode(); t; t = walk.nextNode()) {
        if (OPEN_MARKS.test(t.data) && !t.parentElement.closest("code")) return true;
      }
    }
  }
  return false;
}

/** The last word of `s` (after its last whitespace), scanning back from the end. */
function lastWord(s) {
  let i = s.length;
  while (i > 0 && !/\s/.test(s[i - 1])) i--;
  return s.slice(i);
}

/**
 * Is render(shown + add) === render(shown) + add as text? `word`: the last word of
 * what is shown; `pending`: the open part shows a delimiter or bracket as text (which
 * `add` could close); `lineReady`: the current line's first word is complete (so its
 * block type — list item, heading… — is settled).
 */
function plainAppendable(word, add, pending, lineReady) {
  if (!lineReady || SPECIAL.test(add)) return false;
  if (PAIRED.test(add)) {
    if (pending || (add.match(/`+/g) || []).length > 1 || /[\])]/.test(add)) return false;
    // every delimiter run must follow whitespace: then it can open but not close
    const joined = word.slice(-1) + add;
    for (const m of joined.matchAll(DELIM_RUNS)) {
      if (m.index === 0 ? word.length > 0 : !/\s/.test(joined[m.index - 1])) return false;
    }
  }
  if (AUTOLINK_START.test(word + add)) return false;
  // `add` continuing the last word: that word must not hold markup it could change
  return /^\s/.test(add) || !(SPECIAL.test(word) || PAIRED.test(word));
}

class TextItem {
  constructor(view, block) {
    this.view = view;
    this.block = block;
    this.rev = block.rev;
    this.el = h("div", "cw-block cw-text cw-md jp-RenderedHTMLCommon");
    this.committed = h("div", "cw-committed");
    this.tail = h("div", "cw-tail");
    this.el.append(this.committed, this.tail);
    this.committedLen = 0; // block.text[0:committedLen] is in `committed`, rendered once
    this.shownLen = 0; // block.text[committedLen:committedLen+shownLen] is in `tail`
    this.exact = true; // `tail` is exactly the rendering of what it shows
    this.open = null; // {sink, marker, start}: inline content after `marker` renders text[start:]
    this.pending = false; // the open part shows an unmatched * _ ~ ` or [ as text
    this.lineReady = false; // the last line's first word is complete
    this.work = 0; // tail lexing + rendering spent, against the budget
    this.fence = null; // an open ``` block shown by appending text
    this.tailKind = null; // the token type, when the tail is a single block
    this.seenLen = -1;
    this.seenDone = null;
    this.guard = new NestingGuard();
    this.plain = null; // why the block is shown as plain text, once it is
    this.lineStart = 0; // where the block's last line starts (lines are checked against MAX_LINE)
    this.spent = 0; // ms spent rendering Markdown, against TIME_BASE_MS + TIME_PER_CHAR_MS × length
    this.lastMarked = null; // the element marked .cw-last (markLast)
  }

  /**
   * Show the block as plain text from now on: a note saying why, then ALL of its text,
   * appended as text nodes (never HTML). The record builds the same markup
   * (_static.py: plain_html). Never less than was received, whatever failed.
   */
  toPlain(reason) {
    this.plain = reason;
    this.el.classList.add("cw-plain");
    const note = h("p", "cw-render-note", `Shown as plain text: ${reason}`);
    note.setAttribute("role", "note");
    this.plainEl = h("div", "cw-plain-text");
    this.plainShown = 0;
    this.fence = null;
    this.open = null;
    this.el.replaceChildren(note, this.plainEl);
  }

  plainUpdate() {
    const text = this.block.text;
    if (text.length > this.plainShown) {
      this.plainEl.append(stripMarks(text.slice(this.plainShown)));
      STATS.plainChars += text.length - this.plainShown;
      this.plainShown = text.length;
    }
  }

  /** TOO_LONG once a line is longer than MAX_LINE; each character is looked at once. */
  longLine(text) {
    for (;;) {
      const nl = text.indexOf("\n", this.lineStart);
      const end = nl < 0 ? text.length : nl;
      if (end - this.lineStart > MAX_LINE) return TOO_LONG;
      if (nl < 0) return null;
      this.lineStart = nl + 1;
    }
  }

  affordable(cost) {
    return this.work + cost <= TAIL_WORK_PER_CHAR * this.block.text.length + TAIL_WORK_BASE;
  }

  update(force) {
    const b = this.block;
    const md = this.view.md;
    if (!force && b.text.length === this.seenLen && b.done === this.seenDone && !this.behind) return;
    this.seenLen = b.text.length;
    this.seenDone = b.done;
    if (!this.plain && !md) this.toPlain(NO_RENDERER);
    if (!this.plain) {
      const t0 = performance.now();
      try {
        this.markdownUpdate(force);
        if (this.plain) return this.plainUpdate(); // the nesting guard or a long line said so
        this.markLast();
        this.spent += performance.now() - t0;
        if (this.spent > TIME_BASE_MS + TIME_PER_CHAR_MS * b.text.length) this.toPlain(TOO_SLOW);
        else return;
      } catch (err) {
        // e.g. RangeError (a stack overflow in a parser, a regex on a 10 MB line)
        console.warn("[claude-widgets] showing a block as plain text:", err);
        this.toPlain(RENDER_FAILED);
      }
    }
    this.plainUpdate();
  }

  markdownUpdate(force) {
    const b = this.block;
    this.behind = false;
    if (!this.catchUp()) {
      this.behind = true; // more next frame (View.flush schedules it)
      return;
    }
    if (this.plain || this.vet(b.text, b.done)) return;
    if (b.done) {
      this.commitAll();
      return;
    }
    if (this.fence && this.fenceUpdate(b.text.length)) return;
    let text = b.text;
    if (!force) {
      // Hold back the start of a new line while it is short: until it has a second
      // word, the line's kind ("#", "-", "1.", "```py"…) is unknown, and showing it raw
      // for a moment would flicker.
      // A table row is held back whole (its pipes would each re-render the table).
      const ls = text.lastIndexOf("\n") + 1;
      const line = text.slice(ls);
      const hold = line.length <= ROW_MAX && /^ {0,3}\|/.test(line)
        || line.length <= HOLD_MAX && !LINE_READY.test(line);
      if (hold && ls >= this.committedLen) {
        if (ls < text.length) this.view.settleLater();
        text = text.slice(0, ls);
      }
    }
    this.advance(text, force);
  }

  /** Bring the tail up to `text` (the block's text, less a held-back line start). */
  advance(text, force) {
    const shownEnd = this.committedLen + this.shownLen;
    const add = text.slice(shownEnd);
    if (!add && (this.exact || !force)) return;
    const nl = add.indexOf("\n");
    if (!force && this.exact && nl > 0 && shownEnd > this.committedLen && text[shownEnd - 1] !== "\n"
      && !ONLY_WS.test(add.slice(0, nl))) {
      // the end of a shown line, then what follows it: two steps, each on its cheap path
      this.advance(text.slice(0, shownEnd + nl), false);
      if (this.committedLen + this.shownLen > shownEnd) {
        this.advance(text, force);
        return;
      } // no progress (a closing fence held back): take it all at once
    }
    if (!force && this.exact && add && ONLY_WS.test(add)) {
      // blanks render as nothing at the end of a block: no work until text follows
      const sink = textSink(this.tail);
      if (sink) sink.append(add);
      this.shownLen += add.length;
      if (add.includes("\n")) {
        this.lineReady = false;
        this.open = null;
        this.commitTailIfEnded(text);
      } else {
        this.freeze();
      }
      return;
    }
    if (!force && this.exact && add) {
      if (!this.lineReady) this.lineReady = LINE_READY.test(text.slice(text.lastIndexOf("\n", shownEnd - 1) + 1, shownEnd));
      const word = lastWord(text.slice(Math.max(this.committedLen, shownEnd - 200), shownEnd));
      const sink = !MARKS.test(add) && plainAppendable(word, add, this.pending, this.lineReady) && textSink(this.tail);
      if (sink) {
        sink.append(add);
        this.shownLen += add.length;
        this.pending ||= PAIRED.test(add);
        STATS.plainChars += add.length;
        this.freeze();
        return;
      }
      if (this.open && this.lineReady && !/[\n\r|]/.test(add) && !(add.includes("#") && /^H\d$/.test(this.open.sink.nodeName))
        && this.affordable(text.length - this.open.start)) {
        this.renderOpen(text);
        return;
      }
    }
    if (add.includes("\n") && this.commitTailIfEnded(text)) {
      this.advance(text, force); // go on with what follows the committed block
      return;
    }
    const src = text.slice(this.committedLen);
    if (!force && !this.affordable(2 * src.length)) {
      // over budget: show the new text as it is until a re-render is affordable
      const more = src.slice(this.shownLen);
      (textSink(this.tail) || this.tail).append(stripMarks(more));
      this.shownLen += more.length;
      this.exact = false;
      this.open = null;
      this.tailKind = null;
      STATS.previews += 1;
      STATS.plainChars += more.length;
      this.view.settleLater();
      return;
    }
    this.relex(src);
  }

  /**
   * The tail is one block that a line break (heading, rule) or a blank line (paragraph,
   * table, quote) has just ended: commit it as it is — its DOM is its rendering.
   */
  commitTailIfEnded(text) {
    const kind = this.tailKind;
    if (!kind || !this.exact) return false;
    const shownEnd = this.committedLen + this.shownLen;
    let i = shownEnd; // the end of the block's content: only blanks are shown after it
    while (i > this.committedLen && /\s/.test(text[i - 1])) i--;
    let j = i; // the end of the blank run that follows, in all the text we have
    while (j < text.length && /\s/.test(text[j])) j++;
    const blanks = text.slice(i, j);
    const lines = blanks.split("\n").length - 1;
    const ended = kind === "heading" || kind === "hr" ? lines >= 1
      : (kind === "paragraph" || kind === "table" || kind === "blockquote") && lines >= 2;
    // "<tag …>" becomes an HTML block only once its line ends: lex that one again
    if (!ended || /^ {0,3}</.test(text.slice(this.committedLen, i))) return false;
    const next = i + blanks.lastIndexOf("\n") + 1; // keep the next line's indentation
    const sink = textSink(this.tail); // drop the blanks shown after the content
    while (sink && sink.lastChild && sink.lastChild.nodeType === 3 && ONLY_WS.test(sink.lastChild.data)) {
      sink.lastChild.remove();
    }
    this.committed.append(...this.tail.childNodes);
    this.committedLen = next;
    this.shownLen = Math.max(0, shownEnd - next);
    if (this.shownLen > 0) this.tail.append(text.slice(next, shownEnd)); // shown blanks
    this.tailKind = null;
    this.open = null;
    this.pending = false;
    this.lineReady = false;
    STATS.moved += 1;
    return true;
  }

  /** Re-render the open inline part (after the last freeze point) from its source. */
  renderOpen(text) {
    const o = this.open;
    STATS.openRenders += 1;
    const src = text.slice(o.start);
    while (o.marker.nextSibling) o.marker.nextSibling.remove();
    o.sink.append(this.view.md.renderInline(src));
    this.work += src.length;
    this.shownLen = text.length - this.committedLen;
    this.pending = showsOpenMarks(o.marker.nextSibling) || openMath(src);
    this.freeze();
  }

  /**
   * Move the freeze point to the last space of the sink's trailing text node, if
   * nothing before it is left open: the text after it then re-renders on its own.
   */
  freeze() {
    if (this.pending || !this.exact) return;
    const sink = this.open ? this.open.sink : textSink(this.tail);
    const last = sink && sink.lastChild;
    if (!last || last.nodeType !== 3) return;
    const end = this.committedLen + this.shownLen;
    const data = last.data;
    const j = data.search(/\s\S*$/);
    // the node must be the source's literal end (no escapes or entities in it)
    if (j < 0 || this.block.text.slice(end - data.length, end) !== data) return;
    const keep = j + 1;
    if (keep < data.length) last.splitText(keep);
    this.open = { sink, marker: last, start: end - (data.length - keep) };
  }

  /** Lex the open region, commit the blocks that can no longer change, re-render the rest. */
  relex(src) {
    const md = this.view.md;
    // Trailing blanks are not rendered by some blocks ("## Title " → "Title"): lex
    // without them and keep them as text, so appending "more" gives "Title more".
    let core = src.replace(/[ \t]+$/, "");
    // …unless that changes the last line's kind ("  - " is a list item, "  -" a rule)
    if (!/\S\s+\S/.test(core.slice(core.lastIndexOf("\n") + 1))) core = src;
    STATS.relexes += 1;
    const tokens = md.lex(core);
    this.work += core.length;
    // A block is final once the next block's first line is complete (before that,
    // "para\n#" may still become "para\n#hashtag", one paragraph). Commit up to the
    // start of the last non-space token whose first line ended, if raws line up.
    const lastNL = core.lastIndexOf("\n");
    let off = 0;
    let cut = 0;
    let cutIndex = 0;
    for (let k = 0; k < tokens.length; k++) {
      const t = tokens[k];
      if (k > 0 && t.type !== "space" && off <= lastNL) {
        cut = off;
        cutIndex = k;
      }
      if (!core.startsWith(t.raw, off)) break; // raw differs from the source: stop here
      off += t.raw.length;
      // Some blocks are final sooner: a heading, rule or closed fence once its line
      // ended; a paragraph, table or quote once a blank line follows.
      if (cutIndex === k && (t.type === "space" || isFinal(t, tokens[k + 1]))) {
        cut = off;
        cutIndex = k + 1;
      }
    }
    if (cutIndex > 0) {
      this.committed.append(md.render(tokens.slice(0, cutIndex), tokens.links, cut));
      this.committedLen += cut;
    }
    this.renderTail(tokens.slice(cutIndex), tokens.links, src.slice(cut), core.length - cut);
  }

  /** Show `src` (the open region after the commits) in `tail`; `tokens` lex `src[0:n]`. */
  renderTail(tokens, links, src, n) {
    const md = this.view.md;
    this.fence = null;
    this.open = null;
    this.exact = true;
    this.shownLen = src.length;
    this.lineReady = LINE_READY.test(src.slice(src.lastIndexOf("\n") + 1));
    const nonSpace = tokens.filter((t) => t.type !== "space");
    const only = nonSpace.length === 1 ? nonSpace[0] : null;
    this.tailKind = only && only.type;
    const open = only && only.type === "code" && FENCE_OPEN.exec(src);
    if (open && !this.fenceClosed(src, open)) {
      // An open code fence grows by appending text: no re-rendering of long code.
      const code = h("code");
      const lang = (open[2].trim().match(/^\S*/) || [""])[0];
      if (lang) code.className = `language-${lang}`;
      const pre = h("pre");
      pre.append(code);
      this.tail.replaceChildren(pre);
      const start = this.committedLen + open[0].length;
      this.fence = { ch: open[1][0], len: open[1].length, code, shown: start, line: start };
      this.pending = false;
      this.fenceUpdate(this.committedLen + src.length);
      return;
    }
    this.tail.replaceChildren(md.render(tokens, links, n));
    this.work += n;
    if (n < src.length) {
      const sink = textSink(this.tail);
      if (sink) sink.append(src.slice(n));
    }
    this.pending = showsOpenMarks(this.tail.firstChild) || openMath(src);
    this.freeze();
  }

  fenceClosed(src, open) {
    const lines = src.slice(open[0].length).split("\n");
    lines.pop(); // the last line is incomplete (or empty)
    return lines.some((l) => this.isClosing(l, open[1][0], open[1].length));
  }

  isClosing(line, ch, len) {
    const m = MAYBE_FENCE_CLOSE.exec(line);
    return !!m && m[1][0] === ch && m[1].length >= len;
  }

  /** Append new code (up to `limit`) to the open fence; false when it closed (re-lex then). */
  fenceUpdate(limit) {
    const f = this.fence;
    const text = this.block.text.slice(0, limit);
    let nl;
    while ((nl = text.indexOf("\n", f.line)) !== -1) {
      if (this.isClosing(text.slice(f.line, nl), f.ch, f.len)) {
        this.fence = null;
        return false;
      }
      f.line = nl + 1;
    }
    // hold back a last line that may turn out to be the closing fence
    const upTo = MAYBE_FENCE_CLOSE.test(text.slice(f.line)) ? f.line : text.length;
    if (upTo > f.shown) {
      const add = text.slice(f.shown, upTo);
      f.code.append(stripMarks(add));
      STATS.plainChars += add.length;
      f.shown = upTo;
    }
    this.shownLen = f.shown - this.committedLen;
    return true;
  }

  /**
   * Check `text` (the block's text so far, or the part of a backlog about to be rendered)
   * against the nesting guard and MAX_LINE, each character once (both are incremental);
   * on a verdict, show the block as plain text from now on. True: it is plain text now.
   */
  vet(text, final) {
    const reason = this.guard.check(text, final) || this.longLine(text);
    if (reason) this.toPlain(reason);
    return !!reason;
  }

  /**
   * Mark the element that ends the block while the tail is empty: committed's last child
   * (view.css: .cw-last). One class on one element: restyles that element only.
   */
  markLast() {
    const last = this.tail.firstChild ? null : this.committed.lastElementChild;
    if (last === this.lastMarked) return;
    const old = this.lastMarked;
    if (old) {
      old.classList.remove("cw-last");
      if (!old.classList.length) old.removeAttribute("class"); // as rendered: no class="" left
    }
    if (last) last.classList.add("cw-last");
    this.lastMarked = last;
  }

  /**
   * Take a backlog a step at a time (View.step), through the streaming path (as if it had
   * arrived in such deltas: any chunking renders the same), while the frame has time.
   * False: a backlog is left for the next frame. True: at most one step is left, for the
   * caller's usual update (the final commit, when the block is done), and this flush has not
   * spent its budget yet (or has taken no step).
   */
  catchUp() {
    const text = this.block.text;
    const view = this.view;
    for (let first = true; ; first = false) {
      // Out of time first: the rest, even when a step or less, is the caller's usual update,
      // so it waits for the next frame too (a flush with no budget left takes one step only).
      if (!first && view.outOfTime()) return false;
      const from = this.committedLen + this.shownLen;
      if (text.length - from <= view.step) return true;
      const t0 = performance.now();
      let limit = from + view.step;
      if (/[\uD800-\uDBFF]/.test(text[limit - 1])) limit += 1; // not between a surrogate pair
      const step = text.slice(0, limit);
      if (this.vet(step, false)) return true; // shown as plain text from now on
      if (!(this.fence && this.fenceUpdate(limit))) this.advance(step, false);
      view.timeStep(limit - from, performance.now() - t0);
      if (this.committedLen + this.shownLen <= from) return true; // no progress (a line held back): take the rest at once
    }
  }

  commitAll() {
    const src = this.block.text.slice(this.committedLen);
    this.fence = null;
    this.open = null;
    if (src) {
      const tokens = this.view.md.lex(src);
      this.committed.append(this.view.md.render(tokens, tokens.links, src.length));
      this.committedLen += src.length;
    }
    this.tail.replaceChildren();
    this.shownLen = 0;
    this.exact = true;
    this.pending = false;
    this.tailKind = null;
  }
}

class ThinkingItem {
  constructor(view, block) {
    this.block = block;
    this.rev = block.rev;
    const redacted = block.type === "redacted_thinking";
    this.el = h("details", "cw-block cw-thinking");
    this.label = h("span", "cw-thinking-label", redacted ? "Thinking (redacted)" : "Thinking…");
    const summary = h("summary");
    summary.append(this.label);
    this.body = h("div", "cw-thinking-body");
    this.el.append(summary, this.body);
    this.el.open = !block.done && !redacted;
    this.shown = 0;
    this.wasDone = block.done;
    this.redacted = redacted;
  }

  update() {
    const b = this.block;
    if (!this.redacted && b.text.length > this.shown) {
      this.body.append(b.text.slice(this.shown)); // a text node: never HTML
      this.shown = b.text.length;
    }
    if (b.done !== this.wasDone) {
      this.wasDone = b.done;
      this.el.open = !b.done && !this.redacted; // collapse once when done
    }
    if (!this.redacted) {
      // an empty thinking text means the API omitted it (display: "omitted")
      this.label.textContent = !b.done ? "Thinking…" : b.text ? "Thinking" : "Thinking (omitted)";
    }
  }
}

/**
 * A tool call (`tool_use` and the other SDK block types that travel as it: its JSON
 * input grows as text, then is pretty-printed) or a `tool_result` (a tool that ran
 * between two requests: its result as text; an error is marked as one).
 */
class ToolItem {
  constructor(view, block) {
    this.block = block;
    this.rev = block.rev;
    this.result = block.type === "tool_result";
    const kind = !this.result ? "cw-tool-call" : block.isError ? "cw-tool-result cw-tool-error" : "cw-tool-result";
    this.el = h("div", `cw-block cw-tool ${kind}`);
    const label = !this.result ? "Tool call" : block.isError ? "Tool error" : "Tool result";
    const head = h("div", "cw-tool-head");
    head.append(h("span", "cw-tool-label", label), h("span", "cw-tool-name", block.name || "tool"));
    this.state = h("span", "cw-tool-state");
    head.append(this.state);
    this.pre = h("pre", "cw-tool-input");
    this.el.append(head, this.pre);
    this.shown = 0;
    this.pretty = false;
  }

  update() {
    const b = this.block;
    if (b.done && !this.pretty) {
      let value = this.result ? undefined : b.input;
      if (value == null && b.text) {
        try {
          value = JSON.parse(b.text);
        } catch {
          value = undefined;
        }
      }
      const json = value !== undefined && (!this.result || (value !== null && typeof value === "object"));
      this.pre.textContent = json ? JSON.stringify(value ?? {}, null, 2) : b.text;
      this.pretty = true;
      this.state.textContent = "";
      return;
    }
    if (!b.done) {
      if (this.pretty) {
        this.pre.textContent = "";
        this.shown = 0;
        this.pretty = false;
      }
      if (b.text.length > this.shown) {
        this.pre.append(b.text.slice(this.shown));
        this.shown = b.text.length;
      }
      this.state.textContent = "…";
    }
  }
}

/**
 * A structured output's text block (the request asked for JSON: `format` "json"). Its text
 * grows as code, as it came; once final it is pretty-printed when complete and valid, and
 * highlighted (the record: _static.py `_json_html`, the same markup). Never read as
 * Markdown: a "*" or "[x](…)" in a JSON string is just text.
 */
class JsonItem {
  constructor(view, block) {
    this.view = view;
    this.block = block;
    this.rev = block.rev;
    this.el = h("div", "cw-block cw-text cw-md cw-json jp-RenderedHTMLCommon");
    this.code = h("code", "language-json");
    const pre = h("pre");
    pre.append(this.code);
    this.el.append(pre);
    this.shown = 0;
    this.finalLen = -1; // the text length the final form was made for
  }

  update() {
    const b = this.block;
    if (b.done || FINAL.has(this.view.answer.status.state)) {
      if (this.finalLen === b.text.length) return;
      this.finalLen = b.text.length;
      let text = b.text;
      if (b.done) {
        try {
          text = JSON.stringify(JSON.parse(b.text), null, 2);
        } catch {
          text = b.text;
        }
      }
      const md = this.view.md;
      if (md) this.el.replaceChildren(md.render([{ type: "code", raw: text, lang: "json", text }], null, text.length));
      else this.code.textContent = text;
      return;
    }
    if (b.text.length > this.shown) {
      this.code.append(b.text.slice(this.shown)); // a text node: never HTML
      this.shown = b.text.length;
    }
  }
}

function isThinking(block) {
  return block.type === "thinking" || block.type === "redacted_thinking";
}

function makeItem(view, block) {
  if (block.type === "sources") return new SourcesItem(view, block);
  if (block.format === "json") return new JsonItem(view, block);
  if (block.type === "text") return new TextItem(view, block);
  if (isThinking(block)) return new ThinkingItem(view, block);
  return new ToolItem(view, block);
}

function formatElapsed(s) {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(Math.floor(s % 60)).padStart(2, "0")} s`;
}

/** A shown item's characters: a TextRun counts its members', a block its text. */
const charsOf = (b) => b.chars ?? b.text.length;

class View {
  /** pending: the renderer is still loading (render()); its text is laid in by ready(). */
  constructor(answer, el, md, pending = false) {
    this.answer = answer;
    this.md = md;
    this.pending = pending;
    this.items = [];
    this.runs = new Map(); // first block → its TextRun
    this.frame = 0;
    this.forceNext = false;
    this.step = STEP_START; // a backlog's step, in characters (TextItem.catchUp)
    this.ticker = 0;
    this.settleTimer = 0;
    this.stopClickedAt = 0;

    this.root = h("div", "cw-root");
    this.bar = h("div", "cw-bar");
    this.bar.setAttribute("role", "status");
    this.spinner = h("span", "cw-spinner");
    this.spinner.setAttribute("aria-hidden", "true");
    this.stateEl = h("span", "cw-state");
    this.modelEl = h("span", "cw-model");
    this.tokensEl = h("span", "cw-tokens");
    this.elapsedEl = h("span", "cw-elapsed");
    this.rateEl = h("span", "cw-rate");
    this.stopReasonEl = h("span", "cw-stop-reason");
    this.fallbackEl = h("span", "cw-fallback");
    this.retryEl = h("span", "cw-retry");
    this.stopBtn = h("button", "cw-stop", "Stop");
    this.stopBtn.type = "button";
    this.stopBtn.title = "Stop the stream and keep the partial answer";
    this.stopBtn.addEventListener("click", () => this.onStop());
    const info = h("span", "cw-info");
    info.append(this.stateEl, this.fallbackEl, this.retryEl, this.modelEl, this.tokensEl, this.elapsedEl, this.rateEl,
      this.stopReasonEl);
    this.copyAllBtn = copyButton("Copy the answer (its Markdown)");
    this.copyAllBtn.classList.add("cw-copy-all");
    this.bar.append(this.spinner, info, this.stopBtn, this.copyAllBtn);
    // every copy button (the answer's, each code block's) through one listener
    this.root.addEventListener("click", (e) => this.onCopy(e));
    this.blocksEl = h("div", "cw-blocks");
    this.errorEl = h("div", "cw-error");
    this.errorEl.setAttribute("role", "alert");
    this.errorEl.hidden = true;
    this.root.append(this.bar, this.blocksEl, this.errorEl);
    el.classList.add("claude-widgets-streamview");
    el.replaceChildren(this.root);
    // The first flush runs in the next frame (before it is painted, so nothing shows later):
    // a task of its own, not one more piece of whatever created the view (a view made when
    // the renderer becomes ready would otherwise share that step's frame).
    this.updateStatus();
    this.schedule(true);
  }

  schedule(force = false) {
    this.forceNext ||= force;
    if (this.frame) return;
    this.frame = requestAnimationFrame((ts) => {
      this.frame = 0;
      const f = this.forceNext;
      this.forceNext = false;
      this.flush(f, FRAME_WORK_MS, ts);
    });
  }

  /** Flush now, not in the next frame (the answer ended: Answer.onStatus). */
  flushNow() {
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.forceNext = false;
    this.flush(true);
  }

  settleLater() {
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => this.schedule(true), SETTLE_MS);
  }

  /**
   * The next backlog step: what STEP_MS of work takes at the rate of the step just taken,
   * but at most twice that step. One cheap step (plain text appended, no re-lexing) says
   * little of the next (a list or table re-lexed whole): growing at once to STEP_MAX after
   * it made the next step cost ~60 ms on a slow machine. A slow step shrinks the next at once.
   */
  timeStep(chars, ms) {
    const fit = Math.round((chars * STEP_MS) / Math.max(ms, 0.05));
    this.step = Math.min(STEP_MAX, 2 * Math.max(chars, STEP_MIN), Math.max(STEP_MIN, fit));
  }

  /** Has this flush spent its frame's budget? (Backlogs continue in the next frame.) */
  outOfTime() {
    return performance.now() > this.deadline;
  }

  /**
   * Bring the DOM up to date with the model-level answer (at most once per frame), or as
   * far as `budgetMs` of work allows: a backlog left over is taken on in the next frame.
   */
  flush(force, budgetMs = FRAME_WORK_MS, frameTs = null) {
    const t0 = performance.now();
    this.deadline = t0 + frameBudget(budgetMs, t0, frameTs);
    try {
      this.lay(force);
    } finally {
      LEDGER.spent += performance.now() - t0;
    }
  }

  /** flush's work: the items brought up to the blocks, until `deadline` for a backlog. */
  lay(force) {
    const a = this.answer;
    const blocks = a.blocks;
    const final = FINAL.has(a.status.state);
    if (this.pending) { // the status live, the text not laid in yet: not raw, then re-laid as Markdown
      // Leading thinking needs no renderer (its text is a text node): shown at once, as it
      // streams. Adaptive thinking comes first on the newest models, and is often over
      // before a page's first renderer has loaded. Ready, the next flush keeps these items.
      let lead = 0;
      while (lead < blocks.length && isThinking(blocks[lead])) lead++;
      this.place(blocks.slice(0, lead));
      for (const item of this.items) item.update(force);
      this.chars = blocks.reduce((n, b) => n + charsOf(b), 0);
      this.laidFinal = false;
      this.updateStatus();
      return;
    }
    force ||= final;
    this.place(this.segments(blocks, final));
    let chars = 0;
    this.behind = false;
    for (const item of this.items) {
      item.update(force);
      this.behind ||= !!item.behind;
      chars += charsOf(item.block);
    }
    this.chars = chars;
    this.root.dataset.cwBehind = this.behind ? "1" : "0";
    if (this.behind) this.schedule(force);
    this.root.dataset.cwTextChars = String(chars);
    this.root.dataset.cwSeq = String(a.seq);
    this.root.dataset.cwRenderedChars = String(STATS.renderedChars);
    this.laidFinal = final && !this.behind;
    this.updateStatus();
    if (this.laidFinal) this.watchSwap();
  }

  /** The items made to show `segs`: those already showing a segment as it is are kept. */
  place(segs) {
    let i = 0;
    while (i < segs.length && i < this.items.length && this.items[i].block === segs[i]
      && this.items[i].rev === segs[i].rev) i++;
    for (const gone of this.items.splice(i)) gone.el.remove();
    for (; i < segs.length; i++) {
      const item = makeItem(this, segs[i]);
      this.items.push(item);
      this.blocksEl.append(item.el);
    }
  }

  /**
   * What the items show: each block, but a run of adjacent text blocks as one TextRun
   * (followed by its sources when it has citations); a lone text block without
   * citations as itself, as before runs existed.
   */
  segments(blocks, final) {
    const out = [];
    const runs = new Map(); // the runs of this flush only: those of blocks gone are dropped
    let cited = 0;
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i];
      if (b.type !== "text" || b.format) {
        out.push(b);
        continue;
      }
      let j = i + 1;
      while (j < blocks.length && blocks[j].type === "text" && !blocks[j].format) j++;
      const members = blocks.slice(i, j);
      const cites = members.reduce((n, m) => n + m.citations.length, 0);
      if (members.length === 1 && !cites) {
        out.push(b);
      } else {
        let run = this.runs.get(b);
        if (!run || !run.fits(members, cited)) run = new TextRun(members, cited); // a new object: its items are rebuilt
        runs.set(b, run);
        run.sync(members, j < blocks.length || final);
        out.push(run);
        if (cites) out.push(run.sources);
      }
      cited += cites;
      i = j - 1;
    }
    this.runs = runs;
    return out;
  }

  updateStatus() {
    const a = this.answer;
    const s = a.status;
    // A final answer is shown as final once the flush that lays in all of it has run: not
    // while a backlog is stepped in (STEP_MS), nor between its status and the next frame
    // (this ticker may come first), so that "done" on the page means the text is all there.
    const state = FINAL.has(s.state) && !this.laidFinal ? "streaming" : s.state || "idle";
    const active = ACTIVE.has(state);
    this.root.dataset.cwState = state;
    this.root.classList.toggle("cw-active", active);
    this.root.dataset.cwResync = a.waiting ? "1" : "0";
    this.stateEl.textContent = STATE_LABEL[state] || state;
    const plain = this.items.filter((it) => it.plain).length;
    this.fallbackEl.textContent = fallbackLabel(plain);
    this.root.dataset.cwFallback = String(plain);
    this.modelEl.textContent = s.model || "";
    const inTok = s.input_tokens | 0;
    const outTok = s.output_tokens | 0;
    // The API counts output tokens only at the end (message_delta): while streaming, show an
    // estimate from the characters received (~4 a token), marked as one with "≈".
    const estimate = active ? Math.round((this.chars || 0) / 4) : 0;
    const approx = estimate > outTok;
    const out = approx ? estimate : outTok;
    const mark = approx || s.output_tokens_estimated ? "≈" : ""; // after Stop: the kernel's estimate
    this.tokensEl.textContent = inTok || out ? `in ${inTok} · out ${mark}${out} tokens` : "";
    const elapsed = a.elapsed();
    this.elapsedEl.textContent = state === "idle" ? "" : formatElapsed(elapsed);
    this.rateEl.textContent = out > 1 && elapsed > 0.2 ? `${mark}${(out / elapsed).toFixed(1)} tok/s` : "";
    this.stopReasonEl.textContent = s.stop_reason ? `stop: ${s.stop_reason}` : "";
    if (state === "retrying" && s.retry) {
      const r = s.retry;
      const left = Math.max(0, (Number(r.delay) || 0) - (performance.now() - a.statusAt) / 1000);
      this.retryEl.textContent =
        `retrying in ${Math.ceil(left)}s (attempt ${r.attempt}/${r.max_attempts})` + (r.reason ? ` — ${r.reason}` : "");
    } else {
      // after a failure: "resumed (continuation)" / "restarted", so the reader knows what happened
      this.retryEl.textContent = a.waiting ? "resyncing…" : s.recovery || "";
    }
    if (state === "error" && s.error) {
      this.errorEl.textContent = s.error;
      this.errorEl.hidden = false;
    } else {
      this.errorEl.hidden = true;
    }
    const stopping = a.stopSent && performance.now() - this.stopClickedAt < 5000;
    this.stopBtn.disabled = !active || stopping;
    this.stopBtn.textContent = stopping && active ? "Stopping…" : "Stop";
    if (active && !this.ticker) {
      this.ticker = setInterval(() => this.updateStatus(), 100);
    } else if (!active && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = 0;
    }
  }

  /** The answer as the model wrote it: its text blocks' Markdown (as `view.text` in Python). */
  answerText() {
    return this.answer.blocks.filter((b) => b.type === "text").map((b) => b.text).join("");
  }

  onCopy(e) {
    const btn = e.target instanceof Element ? e.target.closest(".cw-copy") : null;
    if (!btn || !this.root.contains(btn)) return;
    const code = btn.parentElement && btn.parentElement.querySelector("code");
    const text = btn === this.copyAllBtn ? this.answerText() : code ? code.textContent : "";
    copyText(text).then((ok) => {
      btn.dataset.copied = ok ? "yes" : "no";
      setTimeout(() => delete btn.dataset.copied, 1500);
    });
  }

  onStop() {
    const a = this.answer;
    if (!ACTIVE.has(a.status.state)) return;
    a.stopSent = true;
    this.stopClickedAt = performance.now();
    a.model.send({ k: "stop" });
    for (const v of a.views) {
      v.stopClickedAt = this.stopClickedAt;
      v.updateStatus();
    }
  }

  /**
   * Measure the finished text as laid in, then give its record's chunks those heights
   * (SWAP_MIN_CHARS). Called after each flush that lays in a final answer: an op that came
   * after the status (queued behind a snapshot) changes the text, and it is measured again.
   */
  watchSwap() {
    const chars = this.root.dataset.cwTextChars;
    if (this.swap && this.swap.chars === chars) return;
    const texts = this.items.filter((it) => it instanceof TextItem);
    if (!texts.some((it) => it.block.text.length >= SWAP_MIN_CHARS)) return;
    const host = this.root.closest(".jp-OutputArea, .output_area, .output") || this.root.parentElement;
    if (!host) return;
    // now, in the task that laid in the last of the text: the kernel's update that replaces
    // the view may be handled before the next frame (one layout, which that frame would do)
    const measured = texts.map((it) => blockBoxes(it.el));
    if (measured.includes(null)) return; // not laid out: nothing to size the chunks by
    const first = !this.swap;
    this.swap = { chars, measured };
    if (!first) return; // already watching: the record is sized by the latest measure
    const before = new Set(host.querySelectorAll(".cw-record"));
    const apply = () => {
      for (const rec of host.querySelectorAll(".cw-record")) {
        if (before.has(rec) || rec.dataset.cwTextChars !== this.swap.chars) continue;
        observer.disconnect();
        clearTimeout(timer);
        sizeChunks(rec, this.swap.measured);
        return;
      }
    };
    const observer = new MutationObserver(apply);
    const timer = setTimeout(() => observer.disconnect(), SWAP_WAIT_MS);
    observer.observe(host, { childList: true, subtree: true });
  }

  /** The renderer has loaded (null: it could not, plain text): the text is laid in now. */
  ready(md) {
    if (!this.answer.views.has(this)) return; // gone before the renderer came
    this.md = md;
    this.pending = false;
    this.schedule(true);
  }

  destroy() {
    cancelAnimationFrame(this.frame);
    clearInterval(this.ticker);
    clearTimeout(this.settleTimer);
  }
}

// ------------------------------------------------------------------ the record's chunks

/**
 * A text's top-level blocks, as the record has them: [tag, top, bottom + bottom margin];
 * null if the text is not laid out (a hidden tab, a collapsed output): nothing to go by.
 */
function blockBoxes(textEl) {
  if (!textEl.isConnected || textEl.getClientRects().length === 0) return null;
  const out = [];
  // A block's bottom margin is set by its tag, its class and whether it ends its part
  // (view.css): read once per kind, not per block (getComputedStyle for each of thousands
  // of blocks took ~40 ms of the final frame at 50k tokens).
  const margins = new Map();
  for (const part of textEl.children) {
    for (const el of part.children) {
      const r = el.getBoundingClientRect();
      const kind = `${el.tagName}.${el.className}${el.nextElementSibling ? "" : ":last"}`;
      let mb = margins.get(kind);
      if (mb === undefined) margins.set(kind, (mb = parseFloat(getComputedStyle(el).marginBottom) || 0));
      out.push([el.tagName, r.top, r.bottom + mb]);
    }
  }
  return out;
}

/**
 * Give the record's chunks the heights their blocks had in the live view, if the record's
 * texts have the same blocks (else leave its estimates). A chunk holds its blocks' margins
 * (layout containment), and its first block has none on top (_chunks.py).
 */
function sizeChunks(record, measured) {
  const texts = [...record.querySelectorAll(".cw-blocks > .cw-text:not(.cw-json)")];
  if (texts.length !== measured.length) return false;
  const sizes = [];
  for (let t = 0; t < texts.length; t++) {
    const boxes = measured[t];
    let k = 0;
    for (const el of texts[t].children) {
      const chunk = el.classList.contains("cw-chunk");
      const blocks = chunk ? [...el.children] : [el];
      for (const b of blocks) if (!boxes[k] || boxes[k++][0] !== b.tagName) return false;
      if (chunk && blocks.length) sizes.push([el, boxes[k - 1][2] - boxes[k - blocks.length][1]]);
    }
    if (k !== boxes.length) return false;
  }
  for (const [el, px] of sizes) el.style.containIntrinsicSize = `auto ${px.toFixed(2)}px`;
  STATS.chunksSized += sizes.length;
  return true;
}

// ------------------------------------------------------------------ anywidget entry

/** Internals, for tests/browser/test_view_unit.py (anywidget only uses the default export). */
export const __test__ = { loadVendor, Answer, View, plainAppendable, textSink, STATS, inflate, NestingGuard };

// A function default export: anywidget calls it once per widget model, so `answer`
// below is per model and shared by all of that model's views.
export default () => {
  const vendor = loadVendor();
  let answer = null;
  return {
    get _answer() {
      return answer; // for tests
    },
    initialize({ model }) {
      answer = new Answer(model);
      model.on("msg:custom", (msg) => answer.onMessage(msg));
      model.on("change:snapshot", () => answer.onSnapshot());
      model.on("change:status", () => answer.onStatus());
      answer.onSnapshot();
    },
    render({ model, el }) {
      if (!answer) answer = new Answer(model); // initialize() not called (very old anywidget)
      // The page's first view does not wait for its renderer (~0.5 s: its libraries and
      // warm-up, a step a frame): its status is live at once, and its text is laid in when the
      // renderer is ready. Waiting, a fast answer had ended before its view showed at all
      // (test_magic_tool_loop_streams_into_one_view: "never seen live").
      const settled = "md" in vendor;
      const view = new View(answer, el, settled ? vendor.md : null, !settled);
      if (!settled) {
        vendor.then((md) => view.ready(md), (err) => {
          console.error("[claude-widgets] could not load the Markdown renderer; showing plain text", err);
          view.ready(null);
        });
      }
      answer.views.add(view);
      return () => {
        answer.views.delete(view);
        view.destroy();
      };
    },
  };
};
