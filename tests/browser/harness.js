// A fake anywidget model around view.js, for tests/browser/test_view_unit.py.
// window.cw: the module (loaded from build_esm() by the fixture).
// fresh: a page that has not loaded the renderer yet (its cache emptied; not awaited: h.md null).
window.cwHarness = async function cwHarness(initial = {}, { fresh = false } = {}) {
  const mod = window.cw;
  const state = { status: { state: "streaming" }, snapshot: new DataView(new ArrayBuffer(0)), ...initial };
  const handlers = {};
  const sent = [];
  const model = {
    get: (k) => state[k],
    set(k, v) {
      state[k] = v;
      for (const f of handlers["change:" + k] || []) f();
    },
    on(ev, f) {
      (handlers[ev] ||= []).push(f);
    },
    off() {},
    send(m) {
      sent.push(m);
    },
    save_changes() {},
  };
  if (fresh) globalThis.__claudeWidgetsVendor = new Map();
  const widget = mod.default();
  const md = fresh ? null : await mod.__test__.loadVendor();
  let seq = 0;
  const h = {
    mod, md, model, widget, sent, views: [],
    initialize() {
      widget.initialize({ model });
      return h;
    },
    async addView() {
      const el = document.createElement("div");
      el.className = "cw-test-view";
      document.body.append(el);
      await widget.render({ model, el });
      h.views.push(el);
      return el;
    },
    /** Deliver a custom message (ops), as the kernel would. */
    msg(m) {
      for (const f of handlers["msg:custom"] || []) f(m, []);
    },
    ops(ops, s) {
      seq = s ?? seq + 1;
      h.msg({ k: "ops", seq, ops });
    },
    setSeq(s) {
      seq = s;
    },
    setStatus(status) {
      model.set("status", status);
    },
    setSnapshot(bytes) {
      model.set("snapshot", new DataView(new Uint8Array(bytes).buffer));
    },
    /**
     * Wait until queued messages are applied, then bring every view up to date now (all of
     * it: a backlog is not left for later frames, whatever it costs).
     */
    async settle(force = false) {
      const a = widget._answer;
      let q;
      do {
        q = a.queue;
        await q;
      } while (q !== a.queue);
      for (const v of a.views) v.flush(force, Infinity);
    },
    answer: () => widget._answer,
    /** The full, from-scratch rendering of `text` (what a finished block shows). */
    fullRender(text) {
      const div = document.createElement("div");
      const tokens = md.lex(text);
      div.append(md.render(tokens, tokens.links, text.length));
      return div.innerHTML;
    },
    /** A text item's HTML as rendered (without view.js's own .cw-last mark). */
    textItemHtml(el, i = 0) {
      const item = el.querySelectorAll(".cw-text")[i].cloneNode(true);
      for (const m of item.querySelectorAll(".cw-last")) {
        m.classList.remove("cw-last");
        if (!m.classList.length) m.removeAttribute("class");
      }
      return item.querySelector(".cw-committed").innerHTML + item.querySelector(".cw-tail").innerHTML;
    },
  };
  return h;
};

// Loose HTML comparison: whitespace runs collapsed, whitespace next to tags dropped.
window.cwNorm = (html) => html.replace(/\s+/g, " ").replace(/ ?(<[^>]+>) ?/g, "$1").trim();

/**
 * Stream `text` into one text block in chunks of the given sizes; after each chunk
 * compare the view with a full rendering of the text so far (when the view says its
 * tail is exact). Returns {mismatches, stats, finalOk}.
 */
window.cwStreamCompare = async function (text, sizes, { compare = true, probe = null } = {}) {
  const probeFn = probe ? (0, eval)(probe) : null;
  const probed = [];
  const h = (await window.cwHarness()).initialize();
  const el = await h.addView();
  h.ops([["start", 0, { type: "text", name: null, id: null }]]);
  const mismatches = [];
  let off = 0;
  let k = 0;
  const stats0 = { ...window.__claudeWidgetsStats };
  while (off < text.length) {
    const n = sizes[k++ % sizes.length];
    const chunk = text.slice(off, off + n);
    h.ops([["append", 0, off, chunk]]);
    off += chunk.length;
    await h.settle();
    const view = [...h.answer().views][0];
    const item = view.items[0];
    if (probeFn) for (const found of probeFn(el)) if (probed.length < 20) probed.push({ at: off, found });
    if (compare && item.exact && !item.fence) {
      const shown = item.committedLen + item.shownLen;
      const held = text.slice(shown, off);
      if (held.length > 16 && !/^ {0,3}\|[^\n]*$/.test(held)) mismatches.push({ at: off, heldBack: held });
      const got = window.cwNorm(h.textItemHtml(el));
      const want = window.cwNorm(h.fullRender(text.slice(0, shown)));
      if (got !== want && mismatches.length < 5) mismatches.push({ at: off, text: text.slice(0, off).slice(-80), got: got.slice(-300), want: want.slice(-300) });
    }
  }
  const stats1 = { ...window.__claudeWidgetsStats };
  h.ops([["stop", 0, null]]);
  h.setStatus({ state: "done" });
  await h.settle();
  const finalOk = window.cwNorm(h.textItemHtml(el)) === window.cwNorm(h.fullRender(text));
  if (probeFn) for (const found of probeFn(el)) probed.push({ at: "end", found });
  const shownText = el.querySelector(".cw-blocks").innerText;
  const stats = {};
  for (const key of Object.keys(stats1)) stats[key] = stats1[key] - stats0[key];
  el.remove();
  return { mismatches, stats, finalOk, probed, shownText, finalGot: finalOk ? "" : h.textItemHtml(el).slice(0, 500), finalWant: finalOk ? "" : h.fullRender(text).slice(0, 500) };
};
