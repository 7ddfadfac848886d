// On every page: after a form comes back with problems (or a result), move focus to the summary so
// keyboard and screen-reader users start there. Loaded as a module, so it runs after parsing.
const target = document.querySelector("[data-focus-on-load]");
if (target) target.focus();

// Signing out forgets the drafts this browser kept while the portal could not save them (see draft.js): the
// next person at a shared computer must not find them.
const signOut = document.querySelector("form[data-sign-out]");
if (signOut) {
  signOut.addEventListener("submit", () => {
    try {
      for (const key of Object.keys(localStorage)) {
        if (key.startsWith("portal-draft:")) localStorage.removeItem(key);
      }
    } catch {
      // Storage disabled: nothing was kept.
    }
  });
}

// Wide tables scroll inside their own labelled region. When one is wider than the screen, say so above it,
// so nobody misses the columns off to the right; the hint goes away when everything fits (resize, rotate).
function hintScrolling(region) {
  const hint = document.createElement("p");
  hint.className = "scroll-hint";
  hint.textContent = "Scroll sideways to see every column (or focus the table and use the arrow keys).";
  region.before(hint);
  const update = () => { hint.hidden = region.scrollWidth <= region.clientWidth + 1; };
  update();
  if ("ResizeObserver" in window) new ResizeObserver(update).observe(region);
}
document.querySelectorAll(".table-scroll").forEach(hintScrolling);
