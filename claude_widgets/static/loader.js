// StreamView's own ES module: a few lines that load the real one (view.js) once per page.
//
// Why: anywidget stores a widget's `_esm` and `_css` in every model's state, and a saved
// notebook keeps the state of every open model: ~100 KB per answer. So the view's code
// travels once per kernel, in one shared model (claude_widgets/_code.py: `z` = the module
// zlib-compressed, `css`, `key`), which each StreamView names in its `_code` trait
// ("IPY_MODEL_<id>"). This module fetches that model through the widget manager, inflates
// and imports its code from a blob: URL (once per page and code version, cached on
// globalThis), adds its stylesheet once, and hands each model's initialize/render to
// the real module's factory. (Comments are stripped from the copy sent: _code.py.)

// The shared model's code, by key: imported once per page (a promise of view.js's factory).
const CACHE = (globalThis.__claudeWidgetsViewCode ??= new Map());

// `m`: the StreamView's model. Its `_code` is "IPY_MODEL_<id>" of the shared model `c`,
// whose `z` is view.js deflated (a DataView, or an ArrayBuffer when restored from a file).
async function load(m) {
  const c = await m.widget_manager.get_model(m.get("_code").slice(10));
  const k = c.get("key");
  if (!document.getElementById(k)) {
    document.head.append(Object.assign(document.createElement("style"), { id: k, textContent: c.get("css") }));
  }
  if (!CACHE.has(k)) {
    const z = c.get("z");
    const src = new Response(new Blob([z]).stream().pipeThrough(new DecompressionStream("deflate"))).text();
    CACHE.set(k, src.then((s) => import(URL.createObjectURL(new Blob([s], { type: "text/javascript" })))));
  }
  return (await CACHE.get(k)).default;
}

// anywidget calls this once per model; view.js's factory is called once per model too.
export default () => {
  let w;
  const get = async (m) => (w ??= load(m).then((f) => f()));
  return {
    initialize: async (x) => (await get(x.model)).initialize?.(x),
    render: async (x) => (await get(x.model)).render(x),
  };
};
