// Quiz page: answered count, the countdown (the server enforces the deadline; this only
// shows it and submits on time), and a clear warning when an autosave fails.
(function () {
  "use strict";
  const form = document.getElementById("quiz-form");
  if (!form) return;
  const alertBox = document.getElementById("quiz-alert");
  const say = (text) => { alertBox.textContent = text; };

  function answered(fieldset) {
    return Array.from(fieldset.querySelectorAll("input")).some(
      (i) => (i.type === "text" ? i.value.trim() !== "" : i.checked));
  }
  function updateCount() {
    const n = Array.from(form.querySelectorAll("fieldset[data-question]")).filter(answered).length;
    document.getElementById("answered-count").textContent = n;
  }
  form.addEventListener("input", updateCount);

  // A refused autosave (409: submitted in another tab, time is up) carries the reason: show it
  // in the question's live status (htmx does not swap 4xx responses by default).
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.xhr.status === 409) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // A failed autosave (offline, server restart): say so, and try again shortly.
  document.body.addEventListener("htmx:sendError", retry);
  document.body.addEventListener("htmx:responseError", (event) => {
    if (event.detail.xhr.status >= 500) retry(event);
  });
  function retry(event) {
    const fieldset = event.detail.elt.closest("fieldset[data-question]");
    if (!fieldset) return;
    const status = fieldset.querySelector(".save-status");
    if (status) {
      status.innerHTML = '<span class="save-error">Not saved yet — retrying. ' +
        "Your answer is also sent when you submit.</span>";
    }
    setTimeout(() => htmx.trigger(fieldset, "change"), 3000);
  }

  let submitting = false;
  form.addEventListener("submit", () => {
    submitting = true;
    document.getElementById("submit-quiz").disabled = true;
  });

  const timer = document.querySelector(".quiz-timer");
  if (timer) {
    const deadline = new Date(timer.dataset.deadline).getTime();
    const out = document.getElementById("time-left");
    const warned = new Set();
    const tick = () => {
      const left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
      out.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
      for (const mark of [300, 60]) {
        if (left <= mark && !warned.has(mark)) {
          warned.add(mark);
          say(`${mark / 60} minute${mark > 60 ? "s" : ""} left.`);
        }
      }
      if (left === 0 && !submitting) {
        submitting = true;
        form.querySelector("input[name=auto]").value = "1";
        form.submit();
      }
    };
    tick();
    setInterval(tick, 1000);
  }
})();
