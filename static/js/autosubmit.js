// Submit a form when a <select data-autosubmit> changes (the CSP forbids onchange="..." attributes).
// Without JavaScript the form's <noscript> button does the same.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("select[data-autosubmit]") && field.form) {
      field.form.submit();
    }
  });
})();
