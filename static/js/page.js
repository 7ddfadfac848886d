// On every page: after a form comes back with problems (or a result), move focus to the summary so
// keyboard and screen-reader users start there. Loaded as a module, so it runs after parsing.
const target = document.querySelector("[data-focus-on-load]");
if (target) target.focus();
