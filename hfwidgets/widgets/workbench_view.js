// Brings a freshly drawn workbench into view (hfwidgets.widgets.workbench_view). After Run All
// Cells JupyterLab leaves the notebook where it was, or scrolls to the last cell: the workbench
// the person just started would be off screen. Once per view, when the live plot and the
// labeller have their size, the notebook scrolls so the workbench's cell starts at the top; if
// the labeller still ends below the visible area, further, up to the workbench's own top.

const WAIT_MS = 100;
const GIVE_UP_MS = 15000;

function scroller(node) {
  for (let p = node.parentElement; p; p = p.parentElement) {
    const style = getComputedStyle(p);
    if (/(auto|scroll)/.test(style.overflowY) && p.scrollHeight > p.clientHeight) return p;
  }
  return document.scrollingElement;
}

function bringIntoView(bench) {
  const labeler = bench.querySelector(".hfw-labeler");
  const plot = bench.querySelector(".hfw-live-plot");
  if (!labeler || !plot || labeler.offsetHeight === 0 || plot.offsetHeight === 0) return false;
  const outer = scroller(bench);
  const cell = bench.closest(".jp-Cell") || bench;
  const top = (node) => node.getBoundingClientRect().top;
  const box = outer.getBoundingClientRect();
  const viewTop = outer === document.scrollingElement ? 0 : box.top;
  const viewBottom = outer === document.scrollingElement ? window.innerHeight : box.bottom;
  let delta = top(cell) - viewTop;
  const over = labeler.getBoundingClientRect().bottom - delta - viewBottom;
  if (over > 0) delta += Math.min(over + 8, top(bench) - top(cell));
  outer.scrollTop += delta;
  return true;
}

export default {
  render({ el }) {
    const started = Date.now();
    const step = () => {
      const bench = el.closest(".hfw-workbench");
      if (el.isConnected && bench && bringIntoView(bench)) return;
      if (Date.now() - started < GIVE_UP_MS) setTimeout(step, WAIT_MS);
    };
    setTimeout(step, WAIT_MS);
  },
};
