// Small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  // Buttons with data-confirm ask before submitting their form.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.dataset.confirm) || event.target.dataset.confirm;
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  }, true);
  // The language switch submits on change.
  document.addEventListener("change", function (event) {
    if (event.target.id === "locale-switch") {
      event.target.form.requestSubmit();
    }
  });
})();
