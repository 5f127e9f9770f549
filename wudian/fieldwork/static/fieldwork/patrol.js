/* The patrol page keeps its answers on the phone while the signal drops.
 *
 * Every change is saved in IndexedDB under the patrol (answers and photos), and the page says
 * "saved on this phone, not yet sent". Sending makes ONE request with a key chosen once per
 * draft, so a sending repeated after a lost answer is recorded once by the server. Without a
 * signal the sending waits, and goes as soon as the signal returns (or the page is opened
 * again). Without this script the form is an ordinary form. */
(function () {
  "use strict";
  var form = document.getElementById("patrol-form");
  if (!form) return;
  var patrol = form.dataset.patrol;
  var version = form.dataset.version;
  var status = document.getElementById("draft-status");
  var DB = "wudian-patrols";
  var STORE = "drafts";
  var draft = null;
  var sending = false;

  function say(text, kind) {
    status.hidden = false;
    status.textContent = text;
    status.classList.toggle("is-offline", kind === "offline");
    status.classList.toggle("is-sent", kind === "sent");
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function open() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB, 1);
      request.onupgradeneeded = function () { request.result.createObjectStore(STORE); };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function store(mode, action) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var request = action(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(request && request.result); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }

  function load() { return store("readonly", function (s) { return s.get(patrol); }); }
  function save() { return store("readwrite", function (s) { return s.put(draft, patrol); }); }
  function forget() { return store("readwrite", function (s) { return s.delete(patrol); }); }

  function capture() {
    var fields = {};
    var photos = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrfmiddlewaretoken" || el.name === "submission_key") return;
      if (el.type === "file") {
        if (el.files.length) photos[el.name] = Array.prototype.slice.call(el.files);
      } else if (el.type === "radio") {
        if (el.checked) fields[el.name] = el.value;
      } else {
        fields[el.name] = el.value;
      }
    });
    draft.fields = fields;
    draft.photos = photos;
  }

  function restore() {
    Object.keys(draft.fields || {}).forEach(function (name) {
      var value = draft.fields[name];
      var els = form.elements[name];
      if (!els || name === "version") return;
      if (els.length !== undefined && els.tagName !== "SELECT") {
        Array.prototype.forEach.call(els, function (el) { el.checked = el.value === value; });
      } else {
        els.value = value;
      }
    });
    Object.keys(draft.photos || {}).forEach(function (name) {
      var input = form.elements[name];
      if (!input || typeof DataTransfer === "undefined") return;
      try {
        var list = new DataTransfer();
        draft.photos[name].forEach(function (file) { list.items.add(file); });
        input.files = list.files;
      } catch (e) { /* the photos stay in the draft and go with it */ }
    });
  }

  function showFindings() {
    form.querySelectorAll(".patrol-item").forEach(function (item) {
      var checked = item.querySelector("input[type=radio]:checked");
      var finding = item.querySelector("[data-finding]");
      finding.hidden = !(checked && checked.value === "finding");
      var hint = finding.querySelector(".patrol-finding-hint");
      if (hint) hint.hidden = true;
    });
  }

  function body() {
    var data = new FormData();
    data.append("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
    data.append("submission_key", draft.key);
    data.append("version", draft.version);
    Object.keys(draft.fields).forEach(function (name) {
      if (name !== "version") data.append(name, draft.fields[name]);
    });
    Object.keys(draft.photos).forEach(function (name) {
      draft.photos[name].forEach(function (file) { data.append(name, file, file.name); });
    });
    return data;
  }

  function send() {
    if (sending || !draft || !draft.pending) return;
    if (!navigator.onLine) { say(form.dataset.msgOffline, "offline"); return; }
    sending = true;
    say(form.dataset.msgSending);
    fetch(form.action, {
      method: "POST",
      body: body(),
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": form.elements.csrfmiddlewaretoken.value },
    }).then(function (response) {
      // Not the page's answer (a login page after the session ended, a proxy's error): keep
      // the draft and say so; it is sent again with the same key.
      if ((response.headers.get("Content-Type") || "").indexOf("application/json") === -1) {
        return { ok: false, answer: { detail: String(response.status) } };
      }
      return response.json().then(function (answer) { return { ok: response.ok, answer: answer }; });
    }).then(function (result) {
      sending = false;
      if (result.ok) {
        say(form.dataset.msgSent, "sent");
        return forget().then(function () { window.location.assign(result.answer.url); });
      }
      draft.pending = false;
      save();
      say(form.dataset.msgFailed + " " + (result.answer.detail || ""));
    }).catch(function () {
      // No answer: the draft stays pending with its key and goes again when the signal returns.
      sending = false;
      say(form.dataset.msgOffline, "offline");
    });
  }

  form.addEventListener("change", function () {
    showFindings();
    if (!draft) return;
    capture();
    save().then(function () { if (!draft.pending) say(form.dataset.msgSaved); });
  });
  form.addEventListener("input", function (event) {
    if (!draft || event.target.tagName !== "TEXTAREA") return;
    capture();
    save().then(function () { if (!draft.pending) say(form.dataset.msgSaved); });
  });
  form.addEventListener("submit", function (event) {
    if (!draft) return;
    event.preventDefault();
    if (!form.reportValidity()) return;
    capture();
    draft.pending = true;
    save().then(send);
  });
  window.addEventListener("online", send);
  window.addEventListener("offline", function () { if (draft && draft.pending) say(form.dataset.msgOffline, "offline"); });
  setInterval(send, 30000);

  showFindings();
  load().then(function (kept) {
    if (kept && kept.version === version) {
      draft = kept;
      restore();
      say(draft.pending ? form.dataset.msgOffline : form.dataset.msgSaved, draft.pending ? "offline" : "");
    } else {
      draft = { version: version, key: newKey(), fields: {}, photos: {}, pending: false };
    }
    showFindings();
    if (draft.pending) send();
  }).catch(function () {
    // No IndexedDB (a private window): the form is sent as an ordinary form.
    draft = null;
  });
})();
