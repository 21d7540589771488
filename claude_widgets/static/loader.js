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

const CACHE = (globalThis.__claudeWidgetsViewCode ??= new Map());

async function realFactory(model) {
  const ref = String(model.get("_code") || "");
  const code = await model.widget_manager.get_model(ref.replace(/^IPY_MODEL_/, ""));
  const key = code.get("key");
  if (!CACHE.has(key)) {
    CACHE.set(key, (async () => {
      const z = code.get("z");
      const bytes = new Uint8Array(z.buffer ?? z, z.byteOffset ?? 0, z.byteLength);
      const inflated = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
      const source = await new Response(inflated).text();
      const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
      try {
        return (await import(/* webpackIgnore: true */ url)).default;
      } finally {
        URL.revokeObjectURL(url);
      }
    })());
  }
  const id = `claude-widgets-css-${key}`;
  if (!document.getElementById(id)) {
    const style = Object.assign(document.createElement("style"), { id });
    style.textContent = code.get("css");
    document.head.append(style);
  }
  return CACHE.get(key);
}

// anywidget calls this once per model; the real factory is called once per model too.
export default () => {
  let real = null;
  const ready = (model) => (real ??= realFactory(model).then((factory) => factory()));
  return {
    async initialize(ctx) {
      const widget = await ready(ctx.model);
      return widget.initialize?.(ctx);
    },
    async render(ctx) {
      const widget = await ready(ctx.model);
      return widget.render(ctx);
    },
  };
};
