// Hydrates the page's islands, in document order, then marks <body data-hydrated> (the
// end-to-end tests and `make weigh` wait for that mark, not for time). Leptos's own
// island script does the same walk but on idle and without telling anyone when it is
// done. A lazy island's hydration awaits its code chunk.
((pkg, js, wasm) => {
  const childrenCallbacks = [];
  async function walk(node, mod) {
    for (const child of node.children) {
      const tag = child.tagName;
      if (tag === 'LEPTOS-ISLAND') {
        const hydrate = mod[child.dataset.component];
        if (!hydrate) {
          console.warn(`No code for the island ${child.dataset.component}.`);
          continue;
        }
        const callback = childrenCallbacks[childrenCallbacks.length - 1];
        if (callback) callback();
        await hydrate(child);
        await walk(child, mod);
      } else if (tag === 'LEPTOS-CHILDREN') {
        childrenCallbacks.push(child.$$on_hydrate);
        await walk(child, mod);
        childrenCallbacks.pop();
      } else {
        await walk(child, mod);
      }
    }
  }
  import(`${pkg}/${js}.js`).then(async (mod) => {
    await mod.default({ module_or_path: `${pkg}/${wasm}.wasm` });
    mod.hydrate();
    await walk(document.body, mod);
    document.body.dataset.hydrated = 'true';
  });
})
