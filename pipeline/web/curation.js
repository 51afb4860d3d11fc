// The curation page: keyboard and clicks change the worksheet at once through POST /decide.
// One listener for all stories and one note editor moved to the story being annotated keep a
// week of 500 stories quick to open.
"use strict";
(() => {
  const body = document.body;
  const main = document.getElementById("entries");
  let version = body.dataset.version;
  let stale = false;
  const token = body.dataset.token;
  const entries = [...document.querySelectorAll(".entry")];
  const status = document.getElementById("status");
  const alertBox = document.getElementById("alert");
  const editor = document.getElementById("note-editor");
  const filters = ["filter-theme", "filter-lang", "filter-state"].map((id) => document.getElementById(id));
  let current = null;

  const visible = () => entries.filter((e) => !e.hidden && !e.parentElement.hidden);
  const notesOf = (entry) => JSON.parse(entry.dataset.notes || "{}");
  const keepOf = (entry) => ({ kept: true, dropped: false, open: null })[entry.dataset.keep];

  function focusEntry(entry) {
    if (!entry) return;
    current = entry;
    entry.focus();
    entry.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    const shown = visible();
    if (!shown.length) return;
    const at = shown.indexOf(current);
    const next = at < 0 ? (step > 0 ? 0 : shown.length - 1) : Math.min(shown.length - 1, Math.max(0, at + step));
    focusEntry(shown[next]);
  }

  function show(entry, keep, notes) {
    const state = keep === true ? "kept" : keep === false ? "dropped" : "open";
    entry.dataset.keep = state;
    entry.dataset.notes = JSON.stringify(notes);
    entry.querySelector(".keep").setAttribute("aria-pressed", String(keep === true));
    entry.querySelector(".drop").setAttribute("aria-pressed", String(keep === false));
    entry.querySelector(".state").textContent = { kept: "Kept", dropped: "Left out", open: "To decide" }[state];
    const view = entry.querySelector(".note-view");
    view.replaceChildren();
    for (const [lang, text] of Object.entries(notes)) {
      if (view.childNodes.length) view.append(" · ");
      const span = document.createElement("span");
      span.lang = lang;
      span.textContent = `${lang.toUpperCase()}: ${text}`;
      view.append(span);
    }
    view.hidden = !Object.keys(notes).length;
  }

  async function send(entry, change) {
    if (stale) return false;
    const title = entry.querySelector("h3").textContent.trim();
    let response;
    try {
      response = await fetch("/decide", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Crebis-Token": token },
        body: JSON.stringify({ id: entry.dataset.id, version, ...change }),
      });
    } catch (error) {
      alertBox.textContent = "Not saved: the crebis server does not answer. Is `crebis watch curate` still running?";
      return false;
    }
    const answer = await response.json();
    if (!response.ok) {
      if (answer.stale) {
        stale = true;
        alertBox.replaceChildren(answer.error + " ");
        const again = document.createElement("button");
        again.type = "button";
        again.textContent = "Reload";
        again.addEventListener("click", () => location.reload());
        alertBox.append(again);
      } else {
        alertBox.textContent = "Not saved: " + answer.error;
      }
      return false;
    }
    version = answer.version;
    alertBox.textContent = "";
    show(entry, answer.keep, answer.notes);
    for (const key of ["kept", "dropped", "open"]) document.getElementById(key).textContent = answer.counts[key];
    status.textContent = `Saved: “${title}” (${new Date().toLocaleTimeString()})`;
    applyFilters();
    return true;
  }

  function openEditor(entry) {
    const notes = notesOf(entry);
    for (const input of editor.querySelectorAll("input")) input.value = notes[input.dataset.lang] || "";
    entry.querySelector(".actions").after(editor);
    editor.hidden = false;
    editor.querySelector("input").focus();
  }

  function closeEditor() {
    const entry = editor.closest(".entry");
    editor.hidden = true;
    document.body.append(editor);
    if (entry) focusEntry(entry);
  }

  function applyFilters() {
    const [theme, lang, state] = filters.map((f) => f.value);
    for (const entry of entries) {
      entry.hidden = Boolean((theme && entry.parentElement.dataset.theme !== theme) ||
        (lang && entry.dataset.lang !== lang) || (state && entry.dataset.keep !== state && entry !== current));
    }
    for (const section of document.querySelectorAll(".theme")) {
      section.hidden = ![...section.querySelectorAll(".entry")].some((e) => !e.hidden);
    }
  }

  main.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    const entry = event.target.closest(".entry");
    if (!button || !entry || editor.contains(button)) return;
    current = entry;
    if (button.classList.contains("keep")) send(entry, { keep: keepOf(entry) === true ? null : true });
    else if (button.classList.contains("drop")) send(entry, { keep: keepOf(entry) === false ? null : false });
    else if (button.classList.contains("note")) openEditor(entry);
  });
  main.addEventListener("focusin", (event) => {
    const entry = event.target.closest(".entry");
    if (entry) current = entry;
  });
  editor.addEventListener("submit", async (event) => {
    event.preventDefault();
    const entry = editor.closest(".entry");
    if (!entry) return;
    const notes = notesOf(entry);
    for (const input of editor.querySelectorAll("input")) {
      if ((notes[input.dataset.lang] || "") !== input.value.trim()) {
        if (!(await send(entry, { lang: input.dataset.lang, note: input.value }))) return;
      }
    }
    closeEditor();
  });
  for (const f of filters) f.addEventListener("change", applyFilters);

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, select, textarea")) {
      if (event.key === "Escape") {
        if (editor.contains(event.target)) closeEditor(); else event.target.blur();
        event.preventDefault();
      }
      return;
    }
    if (event.key === "j") move(1);
    else if (event.key === "k") move(-1);
    else if (event.key === "x" && current) send(current, { keep: keepOf(current) === true ? false : true });
    else if (event.key === "n" && current) openEditor(current);
    else return;
    event.preventDefault();
  });
  body.dataset.ready = "true";
})();
