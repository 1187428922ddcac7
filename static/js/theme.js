/* The theme a student picks: light, dark or the system's (the default).
 *
 * Loaded in <head> WITHOUT defer, before the stylesheets are applied: it sets html[data-theme]
 * from localStorage before the first paint, so a page never flashes in the wrong theme (the CSP
 * forbids an inline script for this). reading.css maps data-theme to podium.css's tokens; with no
 * data-theme the stylesheets follow prefers-color-scheme. The footer's picker (base.html) is
 * wired once the page has loaded; it is hidden until then, as it cannot work without script.
 */
(function () {
  "use strict";
  var KEY = "podium-theme";
  var root = document.documentElement;

  function stored() {
    try {
      var value = window.localStorage.getItem(KEY);
      return value === "light" || value === "dark" ? value : "system";
    } catch (e) {
      return "system"; // storage blocked: follow the system
    }
  }

  function apply(theme) {
    if (theme === "light" || theme === "dark") {
      root.setAttribute("data-theme", theme);
    } else {
      root.removeAttribute("data-theme");
    }
  }

  function save(theme) {
    try {
      if (theme === "system") {
        window.localStorage.removeItem(KEY);
      } else {
        window.localStorage.setItem(KEY, theme);
      }
    } catch (e) {
      /* not kept, but applied to this page */
    }
  }

  apply(stored());

  // Another tab changed the theme: follow it.
  window.addEventListener("storage", function (event) {
    if (event.key === KEY || event.key === null) {
      apply(stored());
      sync();
    }
  });

  function sync() {
    var current = stored();
    var inputs = document.querySelectorAll("input[name='theme']");
    for (var i = 0; i < inputs.length; i++) {
      inputs[i].checked = inputs[i].value === current;
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var picker = document.getElementById("theme-picker");
    if (!picker) {
      return;
    }
    sync();
    picker.hidden = false;
    picker.addEventListener("change", function (event) {
      var theme = event.target.value;
      save(theme);
      apply(theme);
    });
  });
})();
