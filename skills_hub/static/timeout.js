// Warn two minutes before an idle sign-out and offer "Stay signed in" (WCAG 2.2.1 Timing Adjustable).
// The button keeps the session alive in the background, so a half-filled form stays as it is.
(function () {
  "use strict";
  var warning = document.getElementById("timeout-warning");
  if (!warning) { return; }
  var form = warning.querySelector("form");
  var secondsLeft = parseInt(warning.getAttribute("data-seconds-left"), 10);
  var warnBefore = parseInt(warning.getAttribute("data-warning-seconds"), 10);
  var timer = null;

  function schedule(seconds) {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      warning.hidden = false;
      document.getElementById("stay-signed-in").focus();
    }, Math.max(0, seconds - warnBefore) * 1000);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin", redirect: "manual"})
      .then(function () {
        warning.hidden = true;
        schedule(secondsLeft);
      });
  });
  schedule(secondsLeft);
}());
