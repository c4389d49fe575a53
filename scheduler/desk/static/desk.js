// newsmon desk: keyboard shortcuts and in-place labelling. The pages work without it.
"use strict";
(function () {
  const body = document.body;
  const csrf = body.dataset.csrf;
  const list = document.getElementById("inbox");
  const article = document.querySelector("article.read");
  const status = document.getElementById("status");
  const undoStack = [];
  let current = 0;

  function say(text) { if (status) { status.textContent = text; } }
  function rows() { return list ? Array.from(list.querySelectorAll("li.story")) : []; }

  function select(i) {
    const all = rows();
    if (!all.length) { current = 0; return; }
    current = Math.max(0, Math.min(i, all.length - 1));
    all.forEach((el, n) => el.classList.toggle("current", n === current));
    all[current].focus({ preventScroll: true });
    all[current].scrollIntoView({ block: "nearest" });
  }

  async function post(url, fields) {
    const data = new FormData();
    for (const [k, v] of Object.entries(fields)) { data.append(k, v); }
    const resp = await fetch(url, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json" },
    });
    let json = {};
    try { json = await resp.json(); } catch (e) { json = { error: resp.statusText }; }
    return { status: resp.status, json: json };
  }

  async function askName() {
    const name = window.prompt("Your name, recorded with your labels:");
    if (!name || !name.trim()) { return false; }
    const r = await post("/reviewer", { name: name.trim() });
    return r.status === 200;
  }

  async function label(id, relevant) {
    let r = await post("/label", { article_id: id, relevant: relevant ? "1" : "0" });
    if (r.status === 409 && await askName()) {
      r = await post("/label", { article_id: id, relevant: relevant ? "1" : "0" });
    }
    if (r.status !== 200) { say("Not recorded: " + (r.json.error || r.status)); return null; }
    return r.json.label_id;
  }

  async function labelCurrent(relevant) {
    if (article) {
      const id = article.dataset.id;
      const labelId = await label(id, relevant);
      if (labelId !== null) { window.location.reload(); }
      return;
    }
    const el = rows()[current];
    if (!el) { return; }
    const labelId = await label(el.dataset.id, relevant);
    if (labelId === null) { return; }
    undoStack.push({ labelId: labelId, el: el, index: current });
    el.remove();
    const title = el.querySelector(".title").textContent;
    say("Labelled " + (relevant ? "relevant" : "not relevant") + ": " + title + " (u to undo)");
    select(current);
    if (rows().length < 10) { await refill(); }
    if (!rows().length) { say("Inbox empty: every story here is labelled."); }
  }

  // Bring in the next unlabelled stories (the inbox page itself, parsed), no page load.
  async function refill() {
    const resp = await fetch("/", { credentials: "same-origin", headers: { "Accept": "text/html" } });
    if (!resp.ok) { return; }
    const doc = new DOMParser().parseFromString(await resp.text(), "text/html");
    const have = new Set(rows().map((el) => el.dataset.id));
    const pending = new Set(undoStack.map((u) => u.el.dataset.id));
    doc.querySelectorAll("#inbox li.story").forEach((el) => {
      if (!have.has(el.dataset.id) && !pending.has(el.dataset.id)) {
        list.appendChild(document.importNode(el, true));
      }
    });
    if (rows().length && !rows()[current].classList.contains("current")) { select(current); }
  }

  async function undo() {
    const last = undoStack.pop();
    if (!last) { say("Nothing to undo."); return; }
    const r = await post("/undo", { label_id: last.labelId });
    if (r.status !== 200) { say("Undo failed: " + (r.json.error || r.status)); return; }
    const all = rows();
    if (last.index < all.length) { list.insertBefore(last.el, all[last.index]); }
    else { list.appendChild(last.el); }
    say("Label withdrawn.");
    select(last.index);
  }

  function currentUrl() {
    if (article) { return article.dataset.url; }
    const el = rows()[current];
    return el ? el.dataset.url : null;
  }

  document.addEventListener("keydown", function (ev) {
    const t = ev.target;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    if (t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName))) { return; }
    switch (ev.key) {
      case "j": select(current + 1); break;
      case "k": select(current - 1); break;
      case "r": labelCurrent(true); break;
      case "x": labelCurrent(false); break;
      case "u": undo(); break;
      case "o": {
        const url = currentUrl();
        if (url && url !== "#") { window.open(url, "_blank", "noopener,noreferrer"); }
        break;
      }
      case "Enter": {
        const el = rows()[current];
        if (list && el) { window.location.href = "/story/" + el.dataset.id; } else { return; }
        break;
      }
      default: return;
    }
    ev.preventDefault();
  });

  if (list) { select(0); }
})();
