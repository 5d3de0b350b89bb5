// The till: every scan gets its own id and goes into a queue kept in the browser, then is
// sent; without network the queue waits and is sent when the network is back. The server
// records a scan once whatever how many times it is sent.
"use strict";
(function () {
  var form = document.getElementById("scan-form");
  if (!form) return;
  var input = document.getElementById("code");
  var result = document.getElementById("result");
  var recent = document.getElementById("recent");
  var tally = document.getElementById("tally-count");
  var queueBox = document.getElementById("queue");
  var queueCount = document.getElementById("queue-count");
  var dirty = document.getElementById("dirty-count");
  var site = form.dataset.site;
  var csrf = form.dataset.csrf;
  var fr = form.dataset.lang !== "en";
  var key = "boucle.till.queue." + site;
  var lastKey = "boucle.till.last." + site;
  var undoForm = document.getElementById("undo-form");
  var sending = false;

  var T = fr ? {
    queued: "En attente d'envoi (hors ligne)",
    undone: "Retour annulé (il n'avait pas été envoyé)",
    offlineUndo: "Hors ligne : l'annulation se fera quand le réseau reviendra ; réessayez alors.",
    expired: "Session expirée : reconnectez-vous ; les scans en attente seront envoyés ensuite.",
    noCamera: "Caméra indisponible : scannez avec la douchette ou tapez le code."
  } : {
    queued: "Waiting to be sent (offline)",
    undone: "Return undone (it had not been sent)",
    offlineUndo: "Offline: undo once the network is back; try again then.",
    expired: "Session expired: sign in again; the waiting scans will be sent then.",
    noCamera: "Camera unavailable: scan with the hand scanner or type the code."
  };

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function load() {
    try { return JSON.parse(localStorage.getItem(key)) || []; } catch (e) { return []; }
  }
  function save(q) { localStorage.setItem(key, JSON.stringify(q)); showQueue(q); }
  function showQueue(q) {
    queueCount.textContent = String(q.length);
    queueBox.hidden = q.length === 0;
  }

  var audio = null;
  function beep(ok) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var tones = ok ? [[880, 0, 0.12]] : [[220, 0, 0.18], [220, 0.25, 0.18]];
      tones.forEach(function (t) {
        var o = audio.createOscillator(), g = audio.createGain();
        o.frequency.value = t[0];
        o.connect(g); g.connect(audio.destination);
        g.gain.value = 0.2;
        o.start(audio.currentTime + t[1]);
        o.stop(audio.currentTime + t[1] + t[2]);
      });
    } catch (e) { /* no sound on this device */ }
  }

  function show(code, ok, message, state) {
    result.className = "result " + (ok ? "ok" : "refused");
    result.textContent = code + " · " + message;
    var li = document.createElement("li");
    li.className = state;
    li.dataset.code = code;
    li.textContent = code + " · " + message;
    recent.insertBefore(li, recent.firstChild);
    while (recent.children.length > 20) recent.removeChild(recent.lastChild);
    if (state !== "queued") beep(ok);
  }

  function flush() {
    var q = load();
    showQueue(q);
    if (sending || q.length === 0) return;
    sending = true;
    var batch = q.slice(0, 100);
    fetch("/shop/scans", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ site: site, scans: batch })
    }).then(function (r) {
      if (r.status === 403 || r.status === 401 || r.redirected) {
        result.className = "result refused";
        result.textContent = T.expired;
        return null;
      }
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    }).then(function (body) {
      sending = false;
      if (!body) return;
      var done = {};
      body.results.forEach(function (a) {
        done[a.id] = true;
        show(a.code, a.ok, a.message, a.status);
        if (a.status === "recorded") {
          localStorage.setItem(lastKey, JSON.stringify({ id: a.id, code: a.code }));
          tally.textContent = String(Number(tally.textContent) + 1);
          if (dirty) dirty.textContent = String(Number(dirty.textContent) + 1);
        }
      });
      save(load().filter(function (s) { return !done[s.id]; }));
      if (load().length > 0) flush();
    }).catch(function () {
      sending = false;
      result.className = "result waiting";
      result.textContent = T.queued;
    });
  }

  function scan(code) {
    code = code.trim();
    if (!code) return;
    var q = load();
    q.push({ id: uuid(), code: code, at: new Date().toISOString() });
    save(q);
    if (!navigator.onLine) show(code, true, T.queued, "queued");
    flush();
  }

  // Undo the last return: still in the queue, it is simply not sent; sent, the server
  // records an undo of it.
  undoForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var q = load();
    if (q.length > 0) {
      var dropped = q.pop();
      save(q);
      show(dropped.code, true, T.undone, "undone");
      return;
    }
    var last = JSON.parse(localStorage.getItem(lastKey) || "null");
    var body = new URLSearchParams({ csrf: csrf, site: site, id: last ? last.id : "" });
    fetch("/shop/undo", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json" },
      body: body
    }).then(function (r) { return r.json(); }).then(function (a) {
      show(a.code, a.ok, a.message, a.ok ? "undone" : "rejected");
      if (a.ok) {
        localStorage.removeItem(lastKey);
        tally.textContent = String(Math.max(0, Number(tally.textContent) - 1));
        if (dirty) dirty.textContent = String(Math.max(0, Number(dirty.textContent) - 1));
      }
    }).catch(function () {
      result.className = "result refused";
      result.textContent = T.offlineUndo;
    });
    input.focus();
  });

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    scan(input.value);
    input.value = "";
    input.focus();
  });
  window.addEventListener("online", flush);
  setInterval(flush, 5000);
  flush();

  // The camera: the browser's own barcode reader where there is one, else jsQR.
  var button = document.getElementById("camera");
  var video = document.getElementById("preview");
  if (button && navigator.mediaDevices && window.isSecureContext) {
    button.hidden = false;
    var last = "", lastAt = 0, canvas = document.createElement("canvas");
    var detector = ("BarcodeDetector" in window) ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
    var found = function (text) {
      var now = Date.now();
      if (text === last && now - lastAt < 3000) return;
      last = text; lastAt = now;
      scan(text);
    };
    var tick = function () {
      if (video.hidden) return;
      if (video.readyState >= 2) {
        if (detector) {
          detector.detect(video).then(function (codes) {
            if (codes.length) found(codes[0].rawValue);
          }).catch(function () {});
        } else if (window.jsQR) {
          canvas.width = video.videoWidth; canvas.height = video.videoHeight;
          var ctx = canvas.getContext("2d");
          ctx.drawImage(video, 0, 0);
          var img = ctx.getImageData(0, 0, canvas.width, canvas.height);
          var qr = window.jsQR(img.data, img.width, img.height);
          if (qr) found(qr.data);
        }
      }
      setTimeout(tick, 200);
    };
    button.addEventListener("click", function () {
      if (!video.hidden) {
        video.srcObject.getTracks().forEach(function (t) { t.stop(); });
        video.hidden = true;
        return;
      }
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        video.play();
        tick();
      }).catch(function () {
        result.className = "result refused";
        result.textContent = T.noCamera;
      });
    });
  }
})();
