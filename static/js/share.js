// The share panel: copy the public link. Without JavaScript the link is in a read-only field to select,
// and "Make public and copy link" still makes the page visible; with it, the link is also copied.
const source = document.querySelector("[data-copy-source]");
const status = document.querySelector("[data-copy-status]");

async function copyLink() {
  try {
    await navigator.clipboard.writeText(source.value);
    return true;
  } catch {
    return false;
  }
}

function offerManualCopy() {
  source.focus();
  source.select();
  status.textContent = "Your browser did not let the page copy. The link is selected: press Ctrl+C (⌘C on a Mac).";
}

const button = document.querySelector("[data-copy-button]");
if (source && button) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    if (await copyLink()) status.textContent = "Link copied.";
    else offerManualCopy();
  });
}

// The page is still hidden: copy while the click counts as the user's, then send the form, which makes
// the page visible and reports (from the "copied" field) whether the link is on the clipboard.
const form = document.querySelector("form[data-copy-form]");
if (source && form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    form.elements.copied.value = (await copyLink()) ? "1" : "";
    form.submit();
  });
}
