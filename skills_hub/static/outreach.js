// The outreach page offline: registrations queue in IndexedDB (one record per operation, each with its own
// op_id) and go to POST /api/v1/sync when the connection is back. Without this script the page is the ordinary
// online registration form. A sync makes no PINs: residents without email come back pin_pending, and a button
// posts their ids to the PIN page (/staff/pins), which shows each PIN once with its login card. Nothing about a
// PIN is stored on the device.
(function () {
  "use strict";
  var app = document.getElementById("outreach-app");
  var form = document.getElementById("outreach-form");
  if (!app || !form || !window.indexedDB || !window.fetch) { return; }

  var userId = app.dataset.userId;
  var DB_NAME = "skills-hub-outreach";
  var STORE = "queue";
  var syncing = false;
  var again = false;

  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40; bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function openDb() {
    return new Promise(function (resolve, reject) {
      var request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        var store = request.result.createObjectStore(STORE, { keyPath: "op_id" });
        store.createIndex("user_id", "user_id");
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(result && result.result !== undefined ? result.result : result); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function mine() {  // this staff member's records only, oldest first
    return withStore("readonly", function (store) { return store.index("user_id").getAll(userId); })
      .then(function (records) { return records.sort(function (a, b) { return a.seq - b.seq; }); });
  }

  function put(records) {
    return withStore("readwrite", function (store) { records.forEach(function (r) { store.put(r); }); });
  }

  function remove(opIds) {
    return withStore("readwrite", function (store) { opIds.forEach(function (id) { store.delete(id); }); });
  }

  // What the page shows ------------------------------------------------------------------------------------------

  var STATUS_TEXT = { waiting: "Waiting to send", needs_attention: "Needs attention" };

  function announce(text) { document.getElementById("queue-status").textContent = text; }

  // A button in a row of the queue: "Fix" or "Remove", with the record's name for screen readers.
  function rowButton(text, label, onClick) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "link-button";
    button.textContent = text;
    var hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = " " + label;
    button.appendChild(hidden);
    button.addEventListener("click", onClick);
    return button;
  }

  function render() {
    return mine().then(function (records) {
      var rows = document.getElementById("queue-rows");
      rows.textContent = "";
      records.forEach(function (record) {
        var tr = document.createElement("tr");
        var what = document.createElement("td");
        what.textContent = record.label;
        var status = document.createElement("td");
        status.textContent = STATUS_TEXT[record.status] + (record.problem ? ": " + record.problem : "");
        var action = document.createElement("td");
        if (record.status === "needs_attention" && record.type === "create_learner") {
          action.appendChild(rowButton("Fix", record.label, function () { reopen(record); }));
          action.appendChild(document.createTextNode(" "));
        }
        if (record.status === "needs_attention") {
          action.appendChild(rowButton("Remove", record.label, function () {
            remove([record.op_id]).then(render).then(function () { announce("Removed " + record.label + "."); });
          }));
        }
        tr.appendChild(what); tr.appendChild(status); tr.appendChild(action);
        rows.appendChild(tr);
      });
      document.getElementById("queue-table").hidden = records.length === 0;
      var waiting = records.filter(function (r) { return r.status === "waiting"; }).length;
      document.getElementById("queue-heading").textContent = records.length ?
        "Saved on this computer: " + records.length + (records.length === 1 ? " record" : " records") :
        "Saved on this computer: nothing waiting";
      return waiting;
    });
  }

  function showConnection() {
    document.getElementById("connection-status").textContent = navigator.onLine ?
      "Connected. Records are sent straight away." :
      "No connection. Records are saved here and sent when the connection comes back.";
  }

  var pinsPending = [];  // learner ids sent this visit whose PIN is still to be made

  function showSent(result, label) {
    if (!result.learner_number) { return; }
    var item = document.createElement("li");
    var text = label + ": learner number " + result.learner_number + (result.pin_pending ? ", PIN to be made" : "") + ". ";
    if (result.pin_pending && pinsPending.indexOf(result.ref) === -1) { pinsPending.push(result.ref); }
    item.appendChild(document.createTextNode(text));
    var link = document.createElement("a");
    link.href = app.dataset.residentUrl.replace("LEARNER", result.ref);
    link.textContent = "Open " + label + "'s page";
    item.appendChild(link);
    document.getElementById("sent-list").appendChild(item);
    document.getElementById("sent-results").hidden = false;
  }

  // A registration the server refused goes back into the form, with what depended on it, to be corrected.
  function reopen(record) {
    mine().then(function (records) {
      var clientId = record.payload.client_id;
      var family = records.filter(function (r) {
        return r.op_id === record.op_id || (r.payload && r.payload.learner_client_id === clientId);
      });
      var body = record.payload;
      ["given_name", "family_name", "display_name", "postcode", "email", "phone", "preferred_language"]
        .forEach(function (name) { if (form.elements[name]) { form.elements[name].value = body[name] || ""; } });
      var born = (body.date_of_birth || "").split("-");  // ISO, as the API takes it
      form.elements["date_of_birth-day"].value = born.length === 3 ? String(Number(born[2])) : "";
      form.elements["date_of_birth-month"].value = born.length === 3 ? String(Number(born[1])) : "";
      form.elements["date_of_birth-year"].value = born.length === 3 ? born[0] : "";
      form.elements.client_id.value = clientId;
      Array.prototype.forEach.call(form.querySelectorAll('input[name="consent_method"]'), function (radio) {
        radio.checked = body.consent && radio.value === body.consent.method;
      });
      family.forEach(function (r) {
        if (r.type === "record_attendance") {
          form.elements.attended.checked = true;
          form.elements.session_date.value = r.payload.session_date;
          form.elements.venue.value = r.payload.venue;
        } else if (r.type === "enrol") {
          form.elements.course.value = r.payload.course;
        } else if (r.type === "record_progress") {
          form.elements.lesson.value = r.payload.course + "/" + r.payload.lesson;
        }
      });
      return remove(family.map(function (r) { return r.op_id; })).then(render).then(function () {
        clientErrors([["given_name", "Correct " + record.label + "'s details: " + (record.problem || "") +
                       " Then press Register again."]]);
      });
    });
  }

  // Saving a registration on the device --------------------------------------------------------------------------

  function value(name) {
    var field = form.elements[name];
    if (!field) { return null; }
    if (field.length !== undefined && field.tagName === undefined) {  // a radio group
      var checked = Array.prototype.filter.call(field, function (f) { return f.checked; })[0];
      return checked ? checked.value : null;
    }
    var text = (field.value || "").trim();
    return text === "" ? null : text;
  }

  // The date of birth typed in three boxes, as the API takes it (1985-03-27); null when all are empty, "" when it
  // is not a real date. The server checks it again, with the same words.
  function birthDate() {
    var parts = ["day", "month", "year"].map(function (part) { return value("date_of_birth-" + part) || ""; });
    if (!parts.join("")) { return null; }
    if (!/^[0-9]{1,2}$/.test(parts[0]) || !/^[0-9]{1,2}$/.test(parts[1]) || !/^[0-9]{4}$/.test(parts[2])) { return ""; }
    var day = Number(parts[0]), month = Number(parts[1]), year = Number(parts[2]);
    var made = new Date(Date.UTC(year, month - 1, day));
    if (year < 1900 || made.getUTCFullYear() !== year || made.getUTCMonth() !== month - 1 || made.getUTCDate() !== day) {
      return "";
    }
    return parts[2] + "-" + (month < 10 ? "0" : "") + month + "-" + (day < 10 ? "0" : "") + day;
  }

  function clientErrors(problems) {
    var box = document.getElementById("client-errors");
    box.textContent = "";
    if (!problems.length) { return; }
    var summary = document.createElement("div");
    summary.className = "error-summary";
    summary.setAttribute("role", "alert");
    summary.tabIndex = -1;
    var heading = document.createElement("h2");
    heading.textContent = "There is a problem";
    var list = document.createElement("ul");
    problems.forEach(function (problem) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "#" + problem[0];
      a.textContent = problem[1];
      li.appendChild(a);
      list.appendChild(li);
    });
    summary.appendChild(heading); summary.appendChild(list); box.appendChild(summary);
    summary.focus();
  }

  // As the server's accounts.models.default_display_name: family name first, with no space, in Han, Kana or
  // Hangul (王 + 秀英 → 王秀英); otherwise given then family name.
  var FAMILY_FIRST = /[\u1100-\u11ff\u2e80-\u2fdf\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uff9f]|[\ud840-\ud884][\udc00-\udfff]/;

  function defaultName(given, family) {
    given = given.trim(); family = family.trim();
    return FAMILY_FIRST.test(given + family) ? family + given : (given + " " + family).trim();
  }

  function operations() {
    var clientId = value("client_id");
    var now = new Date().toISOString();
    var name = value("display_name") || defaultName(value("given_name"), value("family_name"));
    var body = {
      client_id: clientId, given_name: value("given_name"), family_name: value("family_name"),
      date_of_birth: birthDate(), postcode: value("postcode"), email: value("email"),
      phone: value("phone"), preferred_language: value("preferred_language"),
      consent: { privacy_notice_version: value("privacy_notice_version"), given_by: "staff_on_behalf",
                 method: value("consent_method") }
    };
    if (value("display_name")) { body.display_name = value("display_name"); }
    if (value("branch_id")) { body.branch_id = value("branch_id"); }
    var ops = [{ type: "create_learner", payload: body, label: name }];
    var ref = { learner_client_id: clientId };
    if (form.elements.attended.checked && value("venue")) {
      ops.push({ type: "record_attendance", label: name + ": came to " + value("venue"),
                 payload: Object.assign({ session_date: value("session_date"), venue: value("venue") }, ref) });
    }
    if (value("course")) {
      ops.push({ type: "enrol", label: name + ": starts a course", payload: Object.assign({ course: value("course") }, ref) });
    }
    if (value("lesson")) {
      var parts = value("lesson").split("/");
      ops.push({ type: "record_progress", label: name + ": lesson done with a helper",
                 payload: Object.assign({ course: parts[0], lesson: parts[1], assisted: true }, ref) });
    }
    var seq = Date.now();
    return ops.map(function (op, i) {
      return { op_id: uuid(), user_id: userId, seq: seq + i / 10, type: op.type, recorded_at: now,
               payload: op.payload, label: op.label, status: "waiting" };
    });
  }

  function save(event) {
    event.preventDefault();
    var problems = [];
    if (!value("given_name")) { problems.push(["given_name", "Enter the resident's first name."]); }
    if (!value("family_name")) { problems.push(["family_name", "Enter the resident's last name."]); }
    var born = birthDate();
    if (born === "") { problems.push(["date_of_birth", "Enter a real date of birth, for example 27 3 1985."]); }
    else if (born && born >= new Date().toISOString().slice(0, 10)) {
      problems.push(["date_of_birth", "Date of birth must be in the past."]);
    }
    if (!value("consent_method")) { problems.push(["consent_method", "Say how the resident agreed to the privacy notice."]); }
    if (form.elements.attended.checked && !value("venue")) { problems.push(["venue", "Say where the session is."]); }
    clientErrors(problems);
    if (problems.length) { return; }
    var records = operations();
    var name = records[0].label;
    put(records).then(function () {
      var keep = { session_date: value("session_date"), venue: value("venue") };
      form.reset();
      form.elements.client_id.value = uuid();
      form.elements.session_date.value = keep.session_date;
      form.elements.venue.value = keep.venue || "";
      return render();
    }).then(function () {
      announce(name + " is saved on this computer.");
      form.elements.given_name.focus();
      sync();
    });
  }

  // Sending --------------------------------------------------------------------------------------------------------

  function problemText(result) {
    var messages = [];
    (function walk(node) {
      if (typeof node === "string") { messages.push(node); }
      else if (Array.isArray(node)) { node.forEach(walk); }
      else if (node && typeof node === "object") { Object.keys(node).forEach(function (k) { walk(node[k]); }); }
    })(result.errors || {});
    return messages.join(" ") || "The server could not take this record.";
  }

  function sync() {
    if (!navigator.onLine) { return Promise.resolve(); }
    if (syncing) { again = true; return Promise.resolve(); }  // records saved meanwhile go straight after
    syncing = true;
    return mine().then(function (records) {
      var waiting = records.filter(function (r) { return r.status === "waiting"; }).slice(0, 500);
      if (!waiting.length) { return null; }
      return fetch(app.dataset.meUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (me) {
          if (me.status === 401) { document.getElementById("sign-in-again").hidden = false; return null; }
          if (!me.ok) { return null; }
          return me.json().then(function (who) {
            if (who.id !== userId) { document.getElementById("sign-in-again").hidden = false; return null; }
            document.getElementById("sign-in-again").hidden = true;
            announce("Sending " + waiting.length + (waiting.length === 1 ? " record…" : " records…"));
            var body = JSON.stringify({ device_id: "outreach-page", operations: waiting.map(function (r) {
              return { op_id: r.op_id, type: r.type, recorded_at: r.recorded_at, payload: r.payload };
            }) });
            var send = function () {
              return fetch(app.dataset.syncUrl, {
                method: "POST", credentials: "same-origin", body: body,
                headers: { "Content-Type": "application/json", "X-CSRFToken": form.elements.csrf_token.value }
              });
            };
            return send().then(function (response) {
              if (response.status !== 400 && response.status !== 403) { return response; }
              // The form's token is from an earlier sign-in: fetch the page again for a fresh one, and retry once.
              return freshToken().then(function (ok) { return ok ? send() : response; });
            }).then(function (response) {
              if (response.status === 401 || response.status === 400 || response.status === 403) {
                document.getElementById("sign-in-again").hidden = false;
                return null;
              }
              if (!response.ok) { throw new Error("status " + response.status); }
              return response.json().then(function (answer) { return settle(waiting, answer.results); });
            });
          });
        });
    }).catch(function () {
      announce("Could not send yet. The records are safe on this computer; they go when the connection is back.");
    }).then(function () {
      syncing = false;
      if (again) { again = false; return sync(); }
      return render();
    });
  }

  function freshToken() {
    return fetch(app.dataset.scope, { credentials: "same-origin", cache: "no-store" }).then(function (page) {
      return page.ok && !page.redirected ? page.text() : "";
    }).then(function (html) {
      var match = /name="csrf_token" value="([^"]+)"/.exec(html);
      if (match) { form.elements.csrf_token.value = match[1]; }
      return Boolean(match);
    }).catch(function () { return false; });
  }

  // One form per 50 residents (the most the PIN page makes at once): a plain post, so the PIN page is an ordinary
  // page that shows each PIN once and prints the cards.
  function showPinForms() {
    var box = document.getElementById("pin-forms");
    box.textContent = "";
    for (var start = 0; start < pinsPending.length; start += 50) {
      var group = pinsPending.slice(start, start + 50);
      var pinForm = document.createElement("form");
      pinForm.method = "post";
      pinForm.action = app.dataset.pinsUrl;
      var token = document.createElement("input");
      token.type = "hidden"; token.name = "csrf_token"; token.value = form.elements.csrf_token.value;
      pinForm.appendChild(token);
      group.forEach(function (id) {
        var input = document.createElement("input");
        input.type = "hidden"; input.name = "learner_id"; input.value = id;
        pinForm.appendChild(input);
      });
      var button = document.createElement("button");
      button.type = "submit";
      button.className = "button";
      button.textContent = "Make PINs and print login cards for " + group.length +
        (group.length === 1 ? " resident" : " residents") +
        (pinsPending.length > 50 ? " (" + (start + 1) + " to " + (start + group.length) + ")" : "");
      pinForm.appendChild(button);
      box.appendChild(pinForm);
    }
    box.hidden = pinsPending.length === 0;
  }

  function showHeld(label) {
    var item = document.createElement("li");
    item.appendChild(document.createTextNode(label + " may already have an account, so has no learner number yet. "));
    var link = document.createElement("a");
    link.href = app.dataset.duplicatesUrl;
    link.textContent = "Check " + label + " on the Possible duplicates page";
    item.appendChild(link);
    document.getElementById("sent-list").appendChild(item);
    document.getElementById("sent-results").hidden = false;
  }

  function settle(sent, results) {
    var done = [], attention = [], counts = { sent: 0, attention: 0 };
    var refused = {};
    results.forEach(function (result, i) {
      var record = sent[i];
      if (result.status === "rejected") {
        record.status = "needs_attention";
        var parent = record.payload && record.payload.learner_client_id;
        record.problem = parent && refused[parent] ? "Waits for the registration above to be fixed." :
          problemText(result);
        if (record.type === "create_learner") { refused[record.payload.client_id] = true; }
        attention.push(record);
        counts.attention += 1;
      } else {
        done.push(record.op_id);
        counts.sent += 1;
        if (record.type === "create_learner" && result.status === "duplicate_suspected") { showHeld(record.label); }
        else if (record.type === "create_learner") { showSent(result, record.label); }
      }
    });
    showPinForms();
    return remove(done).then(function () { return put(attention); }).then(function () {
      var text = counts.sent + (counts.sent === 1 ? " record sent." : " records sent.");
      if (counts.attention) { text += " " + counts.attention + " need attention: see the list."; }
      announce(text);
    });
  }

  // Start ------------------------------------------------------------------------------------------------------------

  app.hidden = false;
  var extra = document.getElementById("session-fields");
  extra.hidden = false;
  extra.disabled = false;
  if (!form.elements.session_date.value) { form.elements.session_date.value = new Date().toISOString().slice(0, 10); }
  form.addEventListener("submit", save);
  document.getElementById("sync-now").addEventListener("click", function () {
    if (!navigator.onLine) { announce("No connection yet. The records are safe on this computer."); return; }
    sync();
  });
  window.addEventListener("online", function () { showConnection(); sync(); });
  window.addEventListener("offline", showConnection);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(app.dataset.workerUrl, { scope: app.dataset.scope }).catch(function () {});
  }
  showConnection();
  render().then(function () { sync(); });
})();
