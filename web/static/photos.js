/* Choosing or removing a rep's photo (the console's reps table, the rep's own phone): each
   <div class="photo-picker" data-rep data-name data-photo> holds a file input, a remove button and an error line.
   The picture goes as base64 in JSON to PUT /api/v1/reps/{id}/photo; the server checks it and answers its digest. */
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]').content;

  function send(method, rep, body) {
    var options = {method: method, credentials: "same-origin",
                   headers: {"X-CSRF-Token": csrf, "Accept": "application/json"}};
    if (body) { options.headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
    return fetch("/api/v1/reps/" + encodeURIComponent(rep) + "/photo", options).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return {ok: r.ok, data: data}; });
    });
  }

  function wire(picker) {
    var face = ArenaAvatar.make("picker-avatar");
    picker.querySelector(".photo-face").appendChild(face);
    var input = picker.querySelector("input[type=file]");
    var remove = picker.querySelector(".photo-remove");
    var error = picker.querySelector(".photo-error");
    function show(photo) {
      picker.dataset.photo = photo || "";
      ArenaAvatar.fill(face, picker.dataset.rep, picker.dataset.name, photo);
      remove.hidden = !photo;
      picker.dispatchEvent(new CustomEvent("photo-changed", {bubbles: true, detail: {photo: photo || ""}}));
    }
    function answered(result) {
      error.textContent = result.ok ? "" : (result.data && result.data.error) || "";
      picker.classList.remove("busy");
      if (result.ok) { show(result.data.photo); }
    }
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file) { return; }
      var reader = new FileReader();
      reader.addEventListener("load", function () {
        var data = String(reader.result);
        picker.classList.add("busy");
        send("PUT", picker.dataset.rep, {image: data.slice(data.indexOf(",") + 1)}).then(answered);
        input.value = "";
      });
      reader.readAsDataURL(file);
    });
    remove.addEventListener("click", function () {
      picker.classList.add("busy");
      send("DELETE", picker.dataset.rep).then(answered);
    });
    ArenaAvatar.fill(face, picker.dataset.rep, picker.dataset.name, picker.dataset.photo);
    remove.hidden = !picker.dataset.photo;
  }

  window.ArenaPhotos = {wire: wire};
  Array.prototype.forEach.call(document.querySelectorAll(".photo-picker"), wire);
})();
