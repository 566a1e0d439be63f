// The pack editor: every change is saved to the draft (debounced) and checked by `content check`;
// each problem is shown under the field it names. Plain JS, no build step.
"use strict";
(() => {
  const root = document.getElementById("editor");
  if (!root) return;
  const editable = root.dataset.editable === "1";
  const saveState = document.getElementById("save-state");
  const count = document.getElementById("problem-count");
  const DEBOUNCE_MS = 450;
  const timers = new Map();
  let queue = Promise.resolve();
  let pending = 0;
  let lastAnswer = null;

  function errorBoxes() {
    return document.querySelectorAll('.editor-form .field-error[data-for]');
  }

  function showProblems(result) {
    for (const box of errorBoxes()) box.textContent = "";
    for (const el of document.querySelectorAll(".has-problem")) el.classList.remove("has-problem");
    for (const p of result.problems) {
      let box = document.querySelector(`.editor-form .field-error[data-for="${CSS.escape(p.form_field)}"]`);
      if (!box) box = document.getElementById("pack-problems");
      const line = document.createElement("span");
      line.className = "problem";
      line.dataset.field = p.field;
      line.textContent = `faq.yaml line ${p.line}: ${p.field}: ${p.message}`;
      box.appendChild(line);
      const input = document.querySelector(`[data-path="${CSS.escape(p.form_field)}"]`);
      if (input) input.classList.add("has-problem");
    }
    markIntents();
    count.textContent = `${result.problems.length} problem(s)`;
    count.className = result.problems.length ? "bad" : "online";
    document.dispatchEvent(new CustomEvent("draft-checked", {detail: result}));
  }

  function save(path, text) {
    pending += 1;
    saveState.textContent = "saving…";
    queue = queue.then(async () => {
      try {
        const resp = await consoleFetch(root.dataset.fieldUrl, {
          method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({path, text})});
        const body = await resp.json();
        if (!resp.ok) {
          saveState.textContent = `not saved: ${body.error || resp.status}`;
          saveState.className = "bad";
          return;
        }
        showProblems(body);
        pending -= 1;
        if (pending === 0) { saveState.textContent = "saved"; saveState.className = "muted"; }
        if (body.reload && pending === 0) window.location.reload();
      } catch (err) {
        saveState.textContent = `not saved (${err}); your text is still here, it is sent again on the next change`;
        saveState.className = "bad";
      }
    });
  }

  // intents with a problem, as links; and a filter over the intents' words
  function markIntents() {
    const box = document.getElementById("problem-intents");
    if (!box) return;
    box.textContent = "";
    for (const section of document.querySelectorAll("fieldset.section[id^='intent-']")) {
      if (!section.querySelector(".has-problem")) continue;
      const a = document.createElement("a");
      a.href = `#${section.id}`;
      a.className = "bad";
      a.textContent = section.querySelector("legend").textContent.replace("Intent: ", "⚠ ");
      box.append(a, " ");
    }
  }
  const find = document.getElementById("find");
  if (find) {
    find.addEventListener("input", () => {
      const words = find.value.trim().toLowerCase();
      let shown = 0;
      const intents = document.querySelectorAll("fieldset.section[id^='intent-']");
      for (const section of intents) {
        const text = Array.from(section.querySelectorAll("[data-path]"), (el) => el.value).join(" ").toLowerCase();
        section.hidden = Boolean(words) && !text.includes(words);
        if (!section.hidden) shown += 1;
      }
      document.getElementById("find-count").textContent = words ? `${shown} of ${intents.length} intents` : "";
    });
  }

  if (editable) {
    root.addEventListener("input", (ev) => {
      const el = ev.target.closest("[data-path]");
      if (!el) return;
      if (el.classList.contains("answer")) lastAnswer = el;
      saveState.textContent = "changed…";
      clearTimeout(timers.get(el.dataset.path));
      timers.set(el.dataset.path, setTimeout(() => save(el.dataset.path, el.value), DEBOUNCE_MS));
    });
    root.addEventListener("focusin", (ev) => {
      if (ev.target.classList && ev.target.classList.contains("answer")) lastAnswer = ev.target;
    });
    for (const button of document.querySelectorAll("button.cue")) {
      button.addEventListener("click", () => {
        if (!lastAnswer) return;
        const at = lastAnswer.selectionStart ?? lastAnswer.value.length;
        const cue = `[${button.dataset.cue}] `;
        lastAnswer.value = lastAnswer.value.slice(0, at) + cue + lastAnswer.value.slice(at);
        lastAnswer.dispatchEvent(new Event("input", {bubbles: true}));
        lastAnswer.focus();
      });
    }
    window.addEventListener("beforeunload", (ev) => { if (pending) ev.preventDefault(); });
  }
  showProblems(JSON.parse(document.getElementById("initial-problems").textContent));
})();
