// Console behaviours, kept out of the templates: the Content-Security-Policy
// (config/csp.py) refuses inline event handlers.
//   <form data-confirm="Question?">      asks before submitting
//   <button data-confirm="Question?">    asks before the click does anything
//   <input data-select-on-click>         selects its text when clicked
//   <input data-autosubmit>              submits its form when changed
//   <button data-copy="#input-id">       copies that input's value to the clipboard
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);
  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target.closest("button[data-confirm], input[data-confirm]") : null;
    if (target && !window.confirm(target.getAttribute("data-confirm"))) event.preventDefault();
    var selectable = event.target.closest ? event.target.closest("[data-select-on-click]") : null;
    if (selectable && selectable.select) selectable.select();
    var copy = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (copy) {
      var input = document.querySelector(copy.getAttribute("data-copy"));
      if (input) {
        input.select();
        var done = function () { copy.textContent = "Copied"; };
        (navigator.clipboard ? navigator.clipboard.writeText(input.value) : Promise.reject())
          .then(done, function () { document.execCommand("copy"); done(); });
      }
    }
  }, true);
  document.addEventListener("change", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-autosubmit") && event.target.form) event.target.form.submit();
  });
})();
