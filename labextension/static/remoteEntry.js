// claude-widgets' JupyterLab 4 / Notebook 7 extension: a `%%claude` cell is a prompt, so its
// editor highlights it as Markdown instead of Python (an apostrophe in the prompt no longer opens
// a Python string that runs to the end of the cell).
//
// Written by hand, not built: JupyterLab loads a prebuilt extension by running this script and
// calling the module-federation container it registers in `window._JUPYTERLAB[name]`:
// `init(shareScope)`, then `get('./extension')` → a factory of the module whose default export is
// the plugin. The one import the plugin needs (the `INotebookTracker` token, which must be the
// very object the notebook extension provides) comes from JupyterLab's share scope, as a webpack
// build would take it. Why no build step: docs/cell-magic.md.
(function () {
  'use strict';

  const NAME = 'claude-widgets';
  // IPython runs a cell magic when the cell's first line starts with it.
  const MAGIC = /^%%claude(?:\s|$)/;
  // The characters that decide a match: "%%claude" and the one after it.
  const DECIDING = '%%claude '.length;
  // JupyterLab's Markdown (GFM with LaTeX math), the language of its Markdown cells.
  const PROSE = 'text/x-ipythongfm';
  // The magic is IPython's: only a cell in a Python notebook changes language.
  const PYTHON = new Set(['text/x-ipython', 'text/x-python']);

  let shareScope = null;

  /** A module JupyterLab shares, the instance its own plugins use (as webpack's singletons). */
  async function shared(name) {
    const versions = shareScope && shareScope[name];
    if (!versions || !Object.keys(versions).length) {
      throw new Error(`${NAME}: JupyterLab shares no ${name}`);
    }
    const keys = Object.keys(versions);
    const key = keys.find(k => versions[k].loaded) ??
      keys.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).at(-1);
    versions[key].loaded = 1;
    const factory = await versions[key].get();
    return factory();
  }

  /** Whether an edit (a Yjs delta of the cell's source) can change the cell's first characters. */
  function touchesStart(delta) {
    if (!delta || !delta.length) return false;
    const first = delta[0];
    return !(first.retain !== undefined && first.retain >= DECIDING);
  }

  const followed = new WeakSet();

  /**
   * Keep one code cell's language right: Markdown while its source starts with `%%claude`, else
   * the notebook's. The notebook sets every code cell's language when a cell is created and when
   * the kernel's language becomes known; this answers each of those settings, and each edit of
   * the cell's first characters (other keystrokes cost one comparison, so typing stays O(1)).
   */
  function follow(model) {
    if (model.type !== 'code' || followed.has(model)) return;
    followed.add(model);
    let notebookLanguage = model.mimeType;
    const update = () => {
      if (model.isDisposed) return;
      if (model.mimeType !== PROSE) notebookLanguage = model.mimeType;
      const prompt = PYTHON.has(notebookLanguage) && MAGIC.test(model.sharedModel.getSource());
      const want = prompt ? PROSE : notebookLanguage;
      if (model.mimeType !== want) model.mimeType = want;
    };
    model.mimeTypeChanged.connect(update);
    model.sharedModel.changed.connect((_, change) => {
      if (touchesStart(change.sourceChange)) update();
    });
    update();
  }

  /** Follow every code cell of a notebook: those it opens with, those added later, a new model's. */
  function watch(notebook) {
    const attach = () => {
      const cells = notebook.model && notebook.model.cells;
      if (!cells || followed.has(cells)) return;
      followed.add(cells);
      for (const cell of cells) follow(cell);
      cells.changed.connect((_, change) => change.newValues.forEach(follow));
    };
    notebook.modelChanged.connect(attach);
    attach();
  }

  async function extension() {
    const { INotebookTracker } = await shared('@jupyterlab/notebook');
    const plugin = {
      id: `${NAME}:cell-magic`,
      description: 'Highlights %%claude cells as Markdown, not Python.',
      autoStart: true,
      requires: [INotebookTracker],
      activate(app, tracker) {
        tracker.forEach(panel => watch(panel.content));
        tracker.widgetAdded.connect((_, panel) => watch(panel.content));
      },
    };
    return () => ({ __esModule: true, default: plugin });
  }

  window._JUPYTERLAB = window._JUPYTERLAB || {};
  window._JUPYTERLAB[NAME] = {
    init(scope) {
      shareScope = scope;
    },
    get(module) {
      if (module !== './extension') {
        return Promise.reject(new Error(`${NAME}: no module ${module}`));
      }
      return extension();
    },
  };
})();
