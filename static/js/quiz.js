// Quiz page: answered count and the question navigator, flags for review, the confirmation
// before submitting, the countdown (the server enforces the deadline; this only shows it and
// submits on time), and a clear warning when an autosave fails.
//
// Flags live in sessionStorage, per attempt: a flag is a note to oneself for this sitting, not
// part of the record, so the server keeps none (no write per click, nothing to migrate); a
// reload or leaving and coming back in the same tab keeps them. Without JavaScript a flag is
// still sent with the submit, and the server lists it on its confirmation page.
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
  const questions = Array.from(form.querySelectorAll("fieldset[data-question]"));
  const flagKey = `podium-quiz-flags:${form.action}`;
  const flagInputs = Array.from(form.querySelectorAll("input.flag-input"));

  function loadFlags() {
    try {
      return new Set(JSON.parse(sessionStorage.getItem(flagKey) || "[]"));
    } catch (e) {
      return new Set();  // storage off or unreadable: flags then last as long as the page
    }
  }
  function saveFlags() {
    const keys = flagInputs.filter((i) => i.checked).map((i) => i.value);
    try { sessionStorage.setItem(flagKey, JSON.stringify(keys)); } catch (e) { /* see loadFlags */ }
  }

  // The navigator's boxes say, to the eye and in words, answered or not and flagged.
  function updateNavigator() {
    const flagged = new Set(flagInputs.filter((i) => i.checked).map((i) => i.value));
    for (const fieldset of questions) {
      const key = fieldset.dataset.question;
      const link = document.querySelector(`.quiz-nav-item[data-nav="${key}"]`);
      if (!link) continue;
      const isAnswered = answered(fieldset);
      const isFlagged = flagged.has(key);
      link.classList.toggle("is-answered", isAnswered);
      link.classList.toggle("is-flagged", isFlagged);
      link.querySelector(".nav-state").textContent =
        (isAnswered ? ", answered" : ", not answered") + (isFlagged ? ", flagged for review" : "");
    }
  }
  function updateCount() {
    document.getElementById("answered-count").textContent = questions.filter(answered).length;
    updateNavigator();
  }
  form.addEventListener("input", updateCount);
  form.addEventListener("change", (event) => {
    if (event.target.classList.contains("flag-input")) {
      saveFlags();
      updateNavigator();
    }
  });
  const restored = loadFlags();
  for (const input of flagInputs) input.checked = input.checked || restored.has(input.value);
  updateNavigator();

  // Before submitting: list what is unanswered or flagged, each a link to its question.
  const dialog = document.getElementById("confirm-submit");
  function pending() {
    const flagged = new Set(flagInputs.filter((i) => i.checked).map((i) => i.value));
    const unanswered = [];
    const marked = [];
    questions.forEach((fieldset, index) => {
      const item = { key: fieldset.dataset.question, number: index + 1 };
      if (!answered(fieldset)) unanswered.push(item);
      if (flagged.has(item.key)) marked.push(item);
    });
    return { unanswered, marked };
  }
  function listOf(title, items) {
    const section = document.createDocumentFragment();
    if (!items.length) return section;
    const heading = document.createElement("h3");
    heading.textContent = `${title} (${items.length})`;
    const list = document.createElement("ul");
    list.className = "pending-list";
    for (const item of items) {
      const li = document.createElement("li");
      const link = document.createElement("a");
      link.href = `#question-${item.key}`;
      link.textContent = `Question ${item.number}`;
      link.addEventListener("click", () => dialog.close());
      li.appendChild(link);
      list.appendChild(li);
    }
    section.append(heading, list);
    return section;
  }
  if (dialog) {
    document.getElementById("confirm-back").addEventListener("click", () => dialog.close());
  }

  // A refused autosave (409: submitted in another tab, time is up; 403: the page is older than
  // the session, after logging in again elsewhere) carries the reason: show it in the
  // question's live status (htmx does not swap 4xx responses by default).
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.xhr.status === 409 || event.detail.xhr.status === 403) {
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
  form.addEventListener("submit", (event) => {
    // "Submit answers" asks first when something is left; "Submit anyway" and the timer don't.
    if (dialog && event.submitter && event.submitter.id === "submit-quiz") {
      const { unanswered, marked } = pending();
      if (unanswered.length || marked.length) {
        event.preventDefault();
        const lists = document.getElementById("confirm-lists");
        lists.replaceChildren(listOf("Not answered", unanswered), listOf("Flagged for review", marked));
        dialog.showModal();
        return;
      }
    }
    submitting = true;
    document.getElementById("submit-quiz").disabled = true;
    const anyway = document.getElementById("confirm-submit-anyway");
    if (anyway) anyway.disabled = true;
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
