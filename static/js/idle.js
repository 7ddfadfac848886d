// Idle sessions (WCAG 2.2.1): a few minutes before the server ends an unused session, ask whether the person is
// still there and let them extend it with one button. The server is the clock: before warning or leaving, the
// page asks how long is left (another tab may have been in use), and that question does not extend anything.
const dialog = document.getElementById("idle-dialog");
if (dialog) watch(dialog);

function watch(dialog) {
  const warnMs = Number(dialog.dataset.warnSeconds) * 1000;
  const countdown = dialog.querySelector("#idle-countdown");
  const problem = dialog.querySelector("#idle-problem");
  const stayButton = dialog.querySelector("#idle-stay");
  let deadline = Date.now() + Number(dialog.dataset.secondsLeft) * 1000;
  let timer = null;
  let ticker = null;

  const csrfToken = () => document.querySelector('input[name="csrf_token"]')?.value || "";

  async function askServer(url, method = "GET") {
    const response = await fetch(url, {
      method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    });
    const body = await response.json().catch(() => ({}));
    return body.signed_in ? Number(body.seconds_left) : 0;
  }

  function wakeAt(time, action) {
    clearTimeout(timer);
    timer = setTimeout(action, Math.max(time - Date.now(), 0));
  }

  async function check() {
    let left;
    try {
      left = await askServer(dialog.dataset.statusUrl);
    } catch {
      left = (deadline - Date.now()) / 1000; // offline: trust our own clock
    }
    deadline = Date.now() + left * 1000;
    if (left <= 0) return leave();
    if (left * 1000 > warnMs + 1000) {
      hide();
      return wakeAt(deadline - warnMs, check);
    }
    show();
    wakeAt(deadline + 500, check);
  }

  function show() {
    if (dialog.open) return;
    problem.hidden = true;
    tick();
    ticker = setInterval(tick, 1000);
    dialog.showModal();
    stayButton.focus();
  }

  function hide() {
    clearInterval(ticker);
    if (dialog.open) dialog.close();
  }

  function tick() {
    const seconds = Math.max(Math.ceil((deadline - Date.now()) / 1000), 0);
    const minutes = Math.ceil(seconds / 60);
    countdown.textContent = seconds > 60 ? `${minutes} minutes` : `${seconds} second${seconds === 1 ? "" : "s"}`;
  }

  async function stay() {
    let left;
    try {
      left = await askServer(dialog.dataset.extendUrl, "POST");
    } catch {
      problem.hidden = false;
      return;
    }
    if (left <= 0) return leave();
    deadline = Date.now() + left * 1000;
    hide();
    wakeAt(deadline - warnMs, check);
  }

  function leave() {
    hide();
    const here = window.location.pathname + window.location.search;
    window.location.assign(`${dialog.dataset.signInUrl}?next=${encodeURIComponent(here)}&expired=1`);
  }

  stayButton.addEventListener("click", stay);
  dialog.addEventListener("cancel", (event) => {
    // Escape means the person is here: keep them signed in.
    event.preventDefault();
    stay();
  });
  wakeAt(deadline - warnMs, check);
}
