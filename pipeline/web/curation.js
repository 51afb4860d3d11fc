// The curation page: keyboard and clicks change the worksheet at once through POST /decide.
"use strict";
(() => {
  const body = document.body;
  let version = body.dataset.version;
  let stale = false;
  const token = body.dataset.token;
  const entries = [...document.querySelectorAll(".entry")];
  const status = document.getElementById("status");
  const alertBox = document.getElementById("alert");
  const filters = ["filter-theme", "filter-lang", "filter-state"].map((id) => document.getElementById(id));
  let current = -1;

  const visible = () => entries.filter((e) => !e.hidden && !e.parentElement.hidden);

  function focusEntry(entry) {
    if (!entry) return;
    current = entries.indexOf(entry);
    entry.focus();
    entry.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    const shown = visible();
    if (!shown.length) return;
    const at = shown.indexOf(entries[current]);
    const next = at < 0 ? (step > 0 ? 0 : shown.length - 1) : Math.min(shown.length - 1, Math.max(0, at + step));
    focusEntry(shown[next]);
  }

  function show(entry, keep, notes) {
    const state = keep === true ? "kept" : keep === false ? "dropped" : "open";
    entry.dataset.keep = state;
    entry.querySelector(".keep").setAttribute("aria-pressed", String(keep === true));
    entry.querySelector(".drop").setAttribute("aria-pressed", String(keep === false));
    entry.querySelector(".state").textContent = { kept: "Kept", dropped: "Left out", open: "To decide" }[state];
    for (const input of entry.querySelectorAll(".notes input")) input.value = notes[input.dataset.lang] || "";
  }

  async function send(entry, change) {
    if (stale) return;
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
      return;
    }
    const answer = await response.json();
    if (!response.ok) {
      if (answer.stale) {
        stale = true;
        alertBox.innerHTML = "";
        alertBox.append(answer.error + " ");
        const again = document.createElement("button");
        again.type = "button";
        again.textContent = "Reload";
        again.addEventListener("click", () => location.reload());
        alertBox.append(again);
      } else {
        alertBox.textContent = "Not saved: " + answer.error;
      }
      return;
    }
    version = answer.version;
    alertBox.textContent = "";
    show(entry, answer.keep, answer.notes);
    for (const key of ["kept", "dropped", "open"]) document.getElementById(key).textContent = answer.counts[key];
    status.textContent = `Saved: “${title}” (${new Date().toLocaleTimeString()})`;
    applyFilters();
  }

  function keepOf(entry) {
    return { kept: true, dropped: false, open: null }[entry.dataset.keep];
  }

  function applyFilters() {
    const [theme, lang, state] = filters.map((f) => f.value);
    for (const entry of entries) {
      entry.hidden = Boolean((theme && entry.parentElement.dataset.theme !== theme) ||
        (lang && entry.dataset.lang !== lang) || (state && entry.dataset.keep !== state && entry !== entries[current]));
    }
    for (const section of document.querySelectorAll(".theme")) {
      section.hidden = ![...section.querySelectorAll(".entry")].some((e) => !e.hidden);
    }
  }

  for (const entry of entries) {
    entry.querySelector(".keep").addEventListener("click", () => send(entry, { keep: keepOf(entry) === true ? null : true }));
    entry.querySelector(".drop").addEventListener("click", () => send(entry, { keep: keepOf(entry) === false ? null : false }));
    entry.addEventListener("focusin", () => { current = entries.indexOf(entry); });
    const form = entry.querySelector(".notes");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const notes = JSON.parse(entry.dataset.notes || "null");
      for (const input of form.querySelectorAll("input")) {
        if (notes === null || notes[input.dataset.lang] !== input.value) {
          await send(entry, { lang: input.dataset.lang, note: input.value });
        }
      }
      entry.dataset.notes = JSON.stringify(Object.fromEntries([...form.querySelectorAll("input")].map((i) => [i.dataset.lang, i.value])));
    });
    entry.dataset.notes = JSON.stringify(Object.fromEntries([...form.querySelectorAll("input")].map((i) => [i.dataset.lang, i.value])));
  }
  for (const f of filters) f.addEventListener("change", applyFilters);

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const typing = event.target.closest("input, select, textarea");
    if (typing) {
      if (event.key === "Escape") {
        const entry = event.target.closest(".entry");
        if (entry) focusEntry(entry); else event.target.blur();
        event.preventDefault();
      }
      return;
    }
    const entry = entries[current];
    if (event.key === "j") move(1);
    else if (event.key === "k") move(-1);
    else if (event.key === "x" && entry) send(entry, { keep: keepOf(entry) === true ? false : true });
    else if (event.key === "n" && entry) entry.querySelector(".notes input").focus();
    else return;
    event.preventDefault();
  });
  body.dataset.ready = "true";
})();
