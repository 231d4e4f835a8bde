// Move focus to the error summary when a form comes back with problems, so screen readers announce it
// and keyboard users start from the list of links to the fields.
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
}());
