// palabre's settings script, loaded by the import page only: the import
// form works without it (the page hands the file to the API); with it,
// the file goes straight to the API, and a progress bar shows the upload
// before the summary of what was imported.
(function () {
  "use strict";
  var doc = document;
  var form = doc.getElementById("import-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  var box = doc.getElementById("import-progress");
  var bar = doc.getElementById("import-bar");
  var status = doc.getElementById("import-status");
  var list = doc.getElementById("import-rejections");
  var meta = doc.querySelector('meta[name="csrf-token"]');

  // fill replaces each %d of a translated text by the next number.
  function fill(text, numbers) {
    var i = 0;
    return text.replace(/%d/g, function () { return String(numbers[i++]); });
  }

  function show(text, isError) {
    status.textContent = text;
    status.classList.toggle("error", !!isError);
  }

  form.addEventListener("submit", function (e) {
    var file = form.elements.file.files[0];
    if (!file) return; // the browser says the field is required
    e.preventDefault();
    var q = new URLSearchParams();
    q.set("format", form.elements.format.value);
    q.set("channel", form.elements.channel.value);
    q.set("name", file.name);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.dataset.api + "?" + q.toString());
    xhr.setRequestHeader("X-CSRF-Token", meta ? meta.content : "");
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "json";
    box.hidden = false;
    bar.value = 0;
    bar.max = 100;
    list.textContent = "";
    show(form.dataset.sending, false);
    form.querySelector('button[type="submit"]').disabled = true;
    xhr.upload.addEventListener("progress", function (ev) {
      if (!ev.lengthComputable) return;
      bar.value = Math.round(100 * ev.loaded / ev.total);
      if (ev.loaded >= ev.total) {
        bar.removeAttribute("value"); // indeterminate while the server imports
        show(form.dataset.importing, false);
      }
    });
    xhr.addEventListener("loadend", function () {
      form.querySelector('button[type="submit"]').disabled = false;
      var res = xhr.response || {};
      if (xhr.status >= 200 && xhr.status < 300) {
        bar.value = 100;
        show(fill(form.dataset.summary, [res.read, res.inserted, res.duplicates, res.rejected,
          res.conversations, res.members]), false);
        (res.rejections || []).forEach(function (r) {
          var li = doc.createElement("li");
          li.textContent = r;
          list.appendChild(li);
        });
        return;
      }
      bar.value = 0;
      show(form.dataset.failed + " " + (res.detail || res.title || xhr.statusText || String(xhr.status)), true);
    });
    xhr.send(file);
  });
})();
