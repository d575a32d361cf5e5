/* Display playlists: rows of slides (kind, contest, seconds) ⇄ the API's playlist objects. */
(function () {
  "use strict";
  var C = window.arenaConsole;
  var template = document.getElementById("slide-template");
  var secret = document.getElementById("display-secret");

  function addSlide(container, slide) {
    var row = template.content.firstElementChild.cloneNode(true);
    var kind = row.querySelector('[data-f="kind"]'), contest = row.querySelector('[data-f="contest"]');
    var preview = row.querySelector("a[data-preview]");
    kind.value = slide.kind || "board";
    if (slide.board && slide.board.indexOf("contest:") === 0) { contest.value = slide.board.split(":")[1]; }
    else if (container.dataset.main) { contest.value = container.dataset.main; }  // the main live contest
    row.querySelector('[data-f="seconds"]').value = slide.seconds || 20;
    function sync() {
      contest.disabled = kind.value === "badges" || kind.value === "stars" || kind.value === "fame";
      var option = contest.selectedOptions[0];
      preview.hidden = contest.disabled || !option;
      if (option) { preview.href = option.dataset.preview; }
    }
    kind.addEventListener("change", sync);
    contest.addEventListener("change", sync);
    sync();
    row.querySelector("[data-remove]").addEventListener("click", function () { row.remove(); });
    container.appendChild(row);
  }

  function slidesOf(container) {
    return Array.prototype.map.call(container.children, function (row) {
      var kind = row.querySelector('[data-f="kind"]').value;
      var contest = row.querySelector('[data-f="contest"]').value;
      var slide = {kind: kind, seconds: parseInt(row.querySelector('[data-f="seconds"]').value, 10) || 20};
      if (kind === "stars") { slide.board = "xp:month"; }
      else if (kind === "teams" || kind === "tug") { slide.board = "contest:" + contest + ":teams"; }
      else if (kind !== "badges" && kind !== "fame") { slide.board = "contest:" + contest; }
      return slide;
    });
  }

  function showSecret(data) {
    document.getElementById("display-url").textContent = data.url;
    document.getElementById("display-open").href = data.url;
    secret.hidden = false;
    secret.scrollIntoView({block: "center"});
  }

  Array.prototype.forEach.call(document.querySelectorAll(".display-form"), function (form) {
    var container = form.querySelector(".slides");
    var slides = JSON.parse(container.dataset.slides || "[]");
    if (!slides.length && container.dataset.default) { slides = [{kind: "board"}, {kind: "teams"}, {kind: "wins"}, {kind: "stars"}]; }
    slides.forEach(function (slide) { addSlide(container, slide); });
    form.querySelector("[data-add-slide]").addEventListener("click", function () { addSlide(container, {kind: "board"}); });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var errors = form.querySelector(".form-errors");
      errors.textContent = "";
      var body = {name: form.elements.name.value, locale: form.elements.locale.value || null,
                  sound: form.elements.sound.checked, brand: form.elements.brand.checked, playlist: slidesOf(container)};
      C.api(form.dataset.method, form.dataset.url, body).then(function (result) {
        if (!result.ok) { C.showErrors(errors, result); return; }
        if (result.data.url) { showSecret(result.data); setTimeout(function () { form.reset(); }, 0); }
        else { C.toast(C.config.text.saved); }
      });
    });
  });

  /* The organisation's logo and colours (admins): the logo goes as base64, the server checks colours and logo. */
  var brandForm = document.getElementById("brand-form");
  if (brandForm) {
    brandForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var errors = brandForm.querySelector(".form-errors");
      var body = {accent: brandForm.elements.accent.value, background: brandForm.elements.background.value};
      var file = brandForm.elements.logo.files[0];
      function send() {
        C.api("PUT", "/api/v1/org/brand", body).then(function (result) {
          if (!result.ok) { C.showErrors(errors, result); return; }
          location.reload();
        });
      }
      if (!file) { send(); return; }
      var reader = new FileReader();
      reader.addEventListener("load", function () {
        var data = String(reader.result);
        body.logo = data.slice(data.indexOf(",") + 1);
        send();
      });
      reader.readAsDataURL(file);
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-rotate]"), function (button) {
    button.addEventListener("click", function () {
      if (!window.confirm(C.config.text.confirm)) { return; }
      C.api("POST", "/api/v1/displays/" + button.dataset.rotate + "/rotate", {}).then(function (result) {
        if (result.ok) { showSecret(result.data); } else { C.showErrors(null, result); }
      });
    });
  });
})();
