// Live word counter for textarea[data-word-limit].
//
// countWords() mirrors portal.text.count_words without a Markdown parser:
// it drops what a reader never sees (link/image URLs, HTML tags, comments,
// ordered-list numbers) and counts runs of non-whitespace that contain a
// letter or digit in any script. It is a hint while typing; the server's
// count is authoritative and can be shown with setServerCount().

const COMMENT = /<!--[\s\S]*?(?:-->|$)/g;
// <https://x> and <me@x.org> render as a link whose text is the address.
const AUTOLINK = /<((?:https?|ftp):\/\/[^<>\s]*|(?:mailto:)?[^<>\s!@]+@[^<>\s@]+)>/gi;
const IMAGE = /!\[[^\]]*\]\((?:[^()]|\([^()]*\))*\)/g;
const LINK = /\[([^\]]*)\]\((?:[^()]|\([^()]*\))*\)/g;
const REF_DEFINITION = /^ {0,3}\[[^\]]+\]:[ \t]*\S.*$/gm;
const TAG = /<\/?([A-Za-z][A-Za-z0-9]*)\b[^>]*>/g;
// Tags that separate words on screen; inline ones (b, em, span...) do not.
const BREAKING_TAG = /^(?:p|br|hr|li|ul|ol|h[1-6]|blockquote|pre|div|td|th|tr)$/i;
const ORDERED_MARKER = /^[ \t]*\d+\.[ \t]+/gm;
const ENTITY = /&(?:#(\d+)|#x([0-9a-f]+)|([a-z][a-z0-9]*));/gi;
const HAS_LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

function decodeEntity(match, dec, hex, name) {
  const code = dec ? parseInt(dec, 10) : hex ? parseInt(hex, 16) : null;
  if (code !== null) {
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : "";
  }
  return name.toLowerCase() === "nbsp" ? " " : "&";
}

export function countWords(text) {
  if (!text) return 0;
  const visible = String(text)
    .replace(COMMENT, " ")
    .replace(AUTOLINK, " $1 ")
    .replace(IMAGE, " ")
    .replace(LINK, "$1")
    .replace(REF_DEFINITION, " ")
    .replace(TAG, (tag, name) => (BREAKING_TAG.test(name) ? " " : ""))
    .replace(ORDERED_MARKER, " ")
    .replace(ENTITY, decodeEntity);
  return visible.split(/\s+/).filter((run) => HAS_LETTER_OR_DIGIT.test(run)).length;
}

function counterFor(textarea) {
  const ids = (textarea.getAttribute("aria-describedby") || "").split(/\s+/);
  for (const id of ids) {
    const el = id && document.getElementById(id);
    if (el && el.hasAttribute("data-word-counter")) return el;
  }
  return null;
}

function show(textarea, count) {
  const limit = parseInt(textarea.dataset.wordLimit, 10);
  const counter = counterFor(textarea);
  if (!counter || !(limit > 0)) return;
  const over = count - limit;
  let message = `${count} / ${limit} words`;
  if (over > 0) message += ` — ${over} over the limit`;
  counter.classList.toggle("is-over", over > 0);
  // Only touch the live region when the text changes, so screen readers
  // are not re-told the same count on every keystroke.
  if (counter.textContent !== message) counter.textContent = message;
}

export function setServerCount(textarea, n) {
  show(textarea, n);
}

function wire() {
  for (const textarea of document.querySelectorAll("textarea[data-word-limit]")) {
    const update = () => show(textarea, countWords(textarea.value));
    textarea.addEventListener("input", update);
    update();
  }
}

if (typeof document !== "undefined") {
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
}
