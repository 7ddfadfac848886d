// The draft page: autosave while typing, Markdown preview, and a clear stop when another tab saved first.
// What is typed is also kept in this browser (localStorage) until the server has it, so an outage, a lost
// connection or a reload loses nothing; saving is retried with growing pauses until it succeeds.
// Without this script the page still works: "Save draft" and the goal buttons post the whole form.
import { setServerCount } from "./wordcount.js";

const form = document.getElementById("draft-form");
const statusLine = document.getElementById("save-status");

function csrfToken() {
  return form.querySelector("input[name=csrf_token]").value;
}

function setStatus(state, text) {
  statusLine.dataset.state = state;
  statusLine.textContent = text;
}

function timeNow() {
  return new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

// Files are uploaded only by an explicit save, never by autosave.
function textFields() {
  const data = new FormData(form);
  for (const [name, value] of [...data.entries()]) {
    if (value instanceof File) data.delete(name);
  }
  data.set("action", "autosave");
  return data;
}

// The typed text, kept in this browser until the server has it.
const keeper = {
  key: `portal-draft:${form.getAttribute("action")}`,

  fields() {
    const fields = {};
    for (const field of form.querySelectorAll("textarea, input[type=text]")) {
      if (field.name) fields[field.name] = field.value;
    }
    return fields;
  },

  save() {
    const revision = form.querySelector("input[name=revision]").value;
    try {
      localStorage.setItem(this.key, JSON.stringify({ revision, fields: this.fields(), at: Date.now() }));
    } catch {
      // Storage full or disabled: autosave still works, only the browser copy is missing.
    }
  },

  load() {
    try {
      return JSON.parse(localStorage.getItem(this.key) || "null");
    } catch {
      return null;
    }
  },

  clear() {
    try {
      localStorage.removeItem(this.key);
    } catch {
      // Nothing to do: see save().
    }
  },
};

// Text typed here that the server never received (an outage, a closed tab): put it back and save it. A copy made
// from an older revision than the page's (another tab saved since) is offered instead, not applied.
function restoreKeptText() {
  const kept = keeper.load();
  if (!kept || !kept.fields) return;
  const page = keeper.fields();
  const differs = Object.entries(kept.fields).filter(([name, value]) => name in page && page[name] !== value);
  if (!differs.length) {
    keeper.clear();
    return;
  }
  const when = new Date(kept.at).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
  const notice = document.createElement("div");
  notice.id = "restored-notice";
  notice.className = "flash flash-info";
  notice.setAttribute("role", "status");
  const text = document.createElement("p");
  notice.append(text);
  form.before(notice);
  if (Number(kept.revision) >= Number(form.querySelector("input[name=revision]").value)) {
    applyKeptText(kept, differs);
    text.textContent = `Your text from ${when} had not reached the portal yet, so it was restored from this `
      + "browser. It is being saved now.";
    return;
  }
  text.textContent = `This browser kept text from ${when} that was never saved, and the draft has been saved `
    + "from elsewhere since. Restore it to compare, or discard it.";
  const restore = noticeButton("Restore my text", "button", () => applyKeptText(kept, differs));
  const discard = noticeButton("Discard it", "button secondary", () => keeper.clear());
  notice.append(restore, " ", discard);
}

function noticeButton(label, className, action) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = className;
  button.textContent = label;
  button.addEventListener("click", () => {
    action();
    document.getElementById("restored-notice").remove();
  });
  return button;
}

function applyKeptText(kept, differs) {
  // The revision the text was written against: if the draft was saved elsewhere since, saving it is a conflict,
  // and the author chooses, as with two tabs.
  form.querySelector("input[name=revision]").value = kept.revision;
  for (const [name, value] of differs) {
    const field = form.querySelector(`[name="${CSS.escape(name)}"]`);
    field.value = value;
    field.dispatchEvent(new Event("input", { bubbles: true }));
  }
}

// Another tab saved first: keep this tab's text on screen and let the author choose which copy wins.
function showConflict(message, savedRevision) {
  let banner = document.getElementById("conflict-banner");
  if (!banner) {
    banner = document.createElement("div");
    banner.id = "conflict-banner";
    banner.className = "error-summary conflict-banner";
    banner.setAttribute("role", "alert");
    form.before(banner);
  }
  banner.replaceChildren();
  const text = document.createElement("p");
  text.textContent = message;
  const keep = document.createElement("button");
  keep.type = "button";
  keep.className = "button";
  keep.textContent = "Keep my version";
  keep.addEventListener("click", () => {
    form.querySelector("input[name=revision]").value = savedRevision;
    keeper.save();
    banner.remove();
    autosave.stopped = false;
    autosave.dirty = true;
    autosave.run();
  });
  const load = document.createElement("button");
  load.type = "button";
  load.className = "button secondary";
  load.textContent = "Load the saved version";
  load.addEventListener("click", () => {
    autosave.dirty = false;
    keeper.clear();
    window.location.reload();
  });
  banner.append(text, keep, " ", load);
  keep.focus();
}

// The message under an essay that the page was rendered with ("Part 1 has 214 words; the limit is 200.",
// "Part 1 is empty.") speaks of the text as it was then. After each save it is replaced by what the server says
// of the saved text now, or removed, so it never contradicts the live counter.
function setServerMessage(textarea, message) {
  const id = `${textarea.id}-error`;
  let line = document.getElementById(id);
  const described = (textarea.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== id);
  if (message) {
    if (!line) {
      line = document.createElement("p");
      line.id = id;
      line.className = "field-error";
      textarea.before(line);
    }
    line.textContent = message;
    described.push(id);
  } else if (line) {
    line.remove();
    textarea.closest(".field")?.classList.remove("has-error");
    textarea.setAttribute("aria-invalid", "false");
    markFixed(textarea.id);
  }
  textarea.setAttribute("aria-describedby", described.join(" "));
}

// The problem list from the last submit attempt names this field: say it is fixed rather than leave it.
function markFixed(fieldId) {
  for (const link of document.querySelectorAll(`#error-summary a[href="#${fieldId}"]`)) {
    const item = link.closest("li");
    if (!item || item.dataset.fixed) continue;
    item.dataset.fixed = "1";
    item.replaceChildren(`Fixed: ${link.textContent}`);
  }
}

// The text of each essay as last sent, so a late server count never overwrites a newer live count.
const lastSent = new Map();

// Pauses between attempts while the portal cannot save: 2, 4, 8... seconds, at most a minute.
const FIRST_RETRY_SECONDS = 2;
const LONGEST_RETRY_SECONDS = 60;

const autosave = {
  timer: null,
  inFlight: null,
  dirty: false,
  stopped: false,
  retrySeconds: 0,  // 0: the last attempt did not fail

  schedule() {
    this.dirty = true;
    if (this.stopped || this.retrySeconds) return;  // a pending retry will send the latest text
    clearTimeout(this.timer);
    const seconds = Number(form.dataset.autosaveSeconds || 3);
    this.timer = setTimeout(() => this.run(), seconds * 1000);
  },

  async run() {
    clearTimeout(this.timer);
    if (this.inFlight) await this.inFlight;
    if (!this.dirty || this.stopped) return;
    this.dirty = false;
    this.inFlight = this.post().finally(() => { this.inFlight = null; });
    return this.inFlight;
  },

  async post() {
    setStatus("saving", "Saving…");
    for (const textarea of form.querySelectorAll("textarea[data-word-limit]")) lastSent.set(textarea.id, textarea.value);
    let response;
    try {
      response = await fetch(form.getAttribute("action"), {
        method: "POST",
        body: textFields(),
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
        credentials: "same-origin",
      });
    } catch {
      return this.retryLater();  // the connection was lost
    }
    const body = await response.json().catch(() => ({}));
    if (response.ok) return this.saved(body);
    if (response.status >= 500) return this.retryLater();  // the portal or its database is down for a moment
    this.stopped = true;
    if (response.status === 409 && body.conflict) {
      setStatus("conflict", "Not saved: this draft was changed in another tab.");
      showConflict(body.error, body.revision);
    } else {
      setStatus("error", body.error || "Not saved. Use “Save draft” to try again; your text is still here.");
    }
  },

  retryLater() {
    this.dirty = true;
    clearTimeout(this.timer);
    this.retrySeconds = Math.min(this.retrySeconds ? this.retrySeconds * 2 : FIRST_RETRY_SECONDS, LONGEST_RETRY_SECONDS);
    setStatus("retrying", "Not saved yet, retrying. Your text is kept in this browser.");
    this.timer = setTimeout(() => {
      this.timer = null;
      this.run();
    }, this.retrySeconds * 1000);
  },

  saved(body) {
    this.retrySeconds = 0;
    form.querySelector("input[name=revision]").value = body.revision;
    if (this.dirty) keeper.save();  // typed while saving: keep the newer text, with the new revision
    else keeper.clear();
    for (const [key, words] of Object.entries(body.words || {})) {
      const textarea = document.getElementById(`${key}-text`);
      if (textarea && textarea.value === lastSent.get(textarea.id)) setServerCount(textarea, words);
    }
    const warnings = new Map((body.warnings || []).map((w) => [w.field, w.message]));
    for (const textarea of form.querySelectorAll("textarea[data-word-limit]")) {
      if (textarea.value === lastSent.get(textarea.id)) setServerMessage(textarea, warnings.get(textarea.id));
    }
    setStatus("saved", `Saved at ${timeNow()}`);
  },
};

form.addEventListener("input", (event) => {
  if (event.target.type === "file") return;
  keeper.save();
  autosave.schedule();
});

restoreKeptText();

// An explicit save or submit must carry the revision of any autosave still on its way.
form.addEventListener("submit", async (event) => {
  if (!autosave.inFlight) return;
  event.preventDefault();
  await autosave.inFlight;
  form.requestSubmit(event.submitter);
});

form.addEventListener("focusout", () => {
  if (autosave.dirty) autosave.run();
});

document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "hidden" && autosave.dirty) autosave.run();
});

window.addEventListener("beforeunload", (event) => {
  if (autosave.dirty && !form.dataset.submitting) event.preventDefault();
});

form.addEventListener("submit", (event) => {
  if (event.defaultPrevented) return;
  form.dataset.submitting = "1";
  autosave.stopped = true;
  clearTimeout(autosave.timer);
});

for (const details of document.querySelectorAll("details[data-preview-for]")) {
  details.addEventListener("toggle", async () => {
    if (!details.open) return;
    const source = document.getElementById(details.dataset.previewFor);
    const target = details.querySelector(".preview-body");
    const response = await fetch(form.dataset.previewUrl, {
      method: "POST",
      body: JSON.stringify({ text: source.value }),
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
    });
    const body = await response.json().catch(() => ({}));
    if (response.ok) {
      // The server renders with the same sanitizer as every other page: the HTML is safe to insert.
      target.innerHTML = body.html;
    } else {
      target.textContent = body.error || "The preview is not available right now; your text is unchanged.";
    }
  });
}
