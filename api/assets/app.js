// Upturn's pages work without this script; it adds three things:
// times in the reader's own time zone, live updates (Server-Sent Events),
// and filing that survives a lost network (kept on the device, sent once
// with an Idempotency-Key when the network is back).
(function () {
  "use strict";

  var OUTBOX = "upturn-outbox";
  var lang = document.documentElement.lang || "en";

  function csrf() {
    var meta = document.querySelector('meta[name="csrf"]');
    return meta ? meta.content : "";
  }

  // ---- Times, in the reader's time zone --------------------------------
  function localTimes(root) {
    if (!window.Intl) return;
    var format = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      var at = new Date(el.getAttribute("datetime"));
      if (!isNaN(at)) el.textContent = format.format(at);
    });
  }

  // ---- Live updates ----------------------------------------------------
  var unread = document.getElementById("unread");

  function bump() {
    if (!unread) return;
    var n = parseInt(unread.textContent, 10) || 0;
    unread.textContent = String(n + 1);
  }

  function busyIn(live) {
    var el = document.activeElement;
    return el && live.contains(el) && (el.tagName === "TEXTAREA" || el.tagName === "INPUT" || el.tagName === "SELECT");
  }

  var refreshing = false;
  function refresh() {
    var live = document.getElementById("live");
    if (!live || refreshing) return;
    if (busyIn(live)) {
      say(words("live-busy"));
      return;
    }
    refreshing = true;
    fetch(location.pathname + location.search, {
      headers: { "X-Upturn-Fragment": "1" },
      credentials: "same-origin"
    }).then(function (r) {
      return r.ok ? r.text() : null;
    }).then(function (html) {
      if (html !== null && !busyIn(live)) {
        live.innerHTML = html;
        localTimes(live);
      }
    }).catch(function () {}).then(function () { refreshing = false; });
  }

  function words(name) {
    var t = document.getElementById("live-words");
    return t ? t.getAttribute("data-" + name) || "" : "";
  }

  function say(text) {
    var notice = document.getElementById("notice");
    if (notice && text) notice.textContent = text;
  }

  function openStream(delay) {
    setTimeout(function () {
      fetch("/app/stream-ticket", {
        method: "POST",
        headers: { "X-CSRF-Token": csrf() },
        credentials: "same-origin"
      }).then(function (r) {
        if (!r.ok) throw new Error("no ticket");
        return r.json();
      }).then(function (t) {
        var source = new EventSource("/api/v1/stream?ticket=" + encodeURIComponent(t.ticket));
        var first = true;
        source.onopen = function () {
          // Whatever happened while the stream was closed is on the page now.
          if (!first) refresh();
          first = false;
        };
        source.onmessage = function () {
          bump();
          say(words("update"));
          refresh();
        };
        source.onerror = function () {
          // A ticket lasts a minute: reconnect with a fresh one.
          source.close();
          openStream(3000);
          refresh();
        };
      }).catch(function () { openStream(15000); });
    }, delay);
  }

  // ---- Filing that survives a lost network ------------------------------
  function load() {
    try { return JSON.parse(localStorage.getItem(OUTBOX) || "[]"); } catch (e) { return []; }
  }
  function store(items) { localStorage.setItem(OUTBOX, JSON.stringify(items)); }

  function newKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  var outboxWords = document.getElementById("outbox-words");
  function outboxSays(name) { return outboxWords ? outboxWords.getAttribute("data-" + name) : ""; }

  // The last thing said about the queue stays until something new is said.
  var lastSaid = null;
  function showOutbox(extra, link) {
    var box = document.getElementById("outbox");
    if (!box) return;
    if (extra) lastSaid = { text: extra, link: link };
    else if (lastSaid) { extra = lastSaid.text; link = lastSaid.link; }
    var waiting = load().length;
    box.textContent = "";
    if (extra) {
      var p = document.createElement("p");
      p.textContent = extra;
      if (link) {
        var a = document.createElement("a");
        a.href = link;
        a.textContent = link.split("?")[0].split("/").pop();
        p.appendChild(document.createTextNode(" "));
        p.appendChild(a);
      }
      box.appendChild(p);
    }
    if (waiting > 0) {
      var w = document.createElement("p");
      w.textContent = outboxSays("waiting") + " " + waiting;
      w.id = "outbox-count";
      box.appendChild(w);
    }
    box.hidden = box.childNodes.length === 0;
  }

  var flushing = false;
  function flush(justQueued) {
    if (flushing) return;
    var items = load();
    if (!items.length) { showOutbox(); return; }
    flushing = true;
    var item = items[0];
    fetch("/app/file", {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
        "Idempotency-Key": item.key
      },
      body: item.body + "&csrf=" + encodeURIComponent(csrf()),
      credentials: "same-origin",
      redirect: "manual"
    }).then(function (r) {
      if (r.type === "opaqueredirect" || r.status === 0 || r.status === 403) {
        showOutbox(outboxSays("signin"));
        return "stop";
      }
      if (r.status === 201 || r.status === 200) {
        return r.json().then(function (answer) {
          store(load().filter(function (i) { return i.key !== item.key; }));
          if (justQueued === item.key && load().length === 0) {
            location.assign(answer.receipt);
            return "stop";
          }
          showOutbox(outboxSays("sent"), answer.receipt);
          return "next";
        });
      }
      if (r.status >= 400 && r.status < 500) {
        // Refused as written (e.g. a field to correct): show the form's
        // answer with its errors, and stop keeping it.
        store(load().filter(function (i) { return i.key !== item.key; }));
        return r.text().then(function (html) {
          document.open();
          document.write(html);
          document.close();
          return "stop";
        });
      }
      showOutbox(outboxSays("offline"));
      return "stop";
    }).catch(function () {
      showOutbox(outboxSays("offline"));
      return "stop";
    }).then(function (next) {
      flushing = false;
      if (next === "next") flush();
    });
  }

  function queueForms() {
    var form = document.querySelector('form[data-offline="queue"]');
    if (!form || !window.fetch || !window.localStorage) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var data = new URLSearchParams(new FormData(form));
      data.delete("csrf");
      var key = newKey();
      var items = load();
      items.push({ key: key, body: data.toString(), at: new Date().toISOString() });
      store(items);
      form.reset();
      showOutbox();
      flush(key);
    });
  }

  // How it was solved before: under what the customer expects, a moment
  // after typing stops; a tap takes a resolution as "what I did".
  function knowledge() {
    var box = document.getElementById("knowledge");
    var form = document.getElementById("intake");
    if (!box || !form || !window.fetch) return;
    var timer = null;
    var asked = "";
    function text() {
      var parts = ["customer_expectation", "title"].map(function (id) {
        var el = document.getElementById(id);
        return el ? el.value : "";
      });
      return parts.join(" ").trim().slice(0, 200);
    }
    function look() {
      var t = text();
      if (t === asked) return;
      asked = t;
      if (t.length < 3) { box.hidden = true; box.innerHTML = ""; return; }
      fetch("/app/knowledge?text=" + encodeURIComponent(t), { credentials: "same-origin" })
        .then(function (r) { return r.status === 200 ? r.text() : ""; })
        .then(function (html) {
          if (t !== asked) return;
          box.innerHTML = html;
          box.hidden = html === "";
          localTimes(box);
        })
        .catch(function () {});
    }
    form.addEventListener("input", function (event) {
      var id = event.target && event.target.id;
      if (id !== "customer_expectation" && id !== "title") return;
      clearTimeout(timer);
      timer = setTimeout(look, 350);
    });
    box.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("[data-use-note]") : null;
      if (!button) return;
      var spot = document.getElementById("on_the_spot");
      var note = document.getElementById("on_the_spot_note");
      if (spot) spot.checked = true;
      if (note) { note.value = button.getAttribute("data-use-note"); note.focus(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    localTimes(document);
    queueForms();
    knowledge();
    showOutbox();
    if (load().length) flush();
    window.addEventListener("online", function () { flush(); });
    setInterval(function () { if (load().length) flush(); }, 5000);
    if (document.body.getAttribute("data-live") === "on" && window.EventSource) openStream(0);
  });
})();
