/* Reading a long lesson: a copy button on every code block, the table of contents marking the
 * section being read, back to top, and a reading progress bar.
 *
 * Everything here adds to a page that works without it: code blocks already scroll and are
 * focusable (courses/markdown.py), the table of contents is a list of links, "Back to top" is a
 * link to #main. Loaded with defer (the CSP allows no inline script).
 */
(function () {
  "use strict";

  var WIDE = window.matchMedia("(min-width: 1100px)"); // reading.css: the TOC becomes a column
  var status = document.getElementById("copy-status");
  var statusTimer = null;

  function announce(text) {
    if (!status) {
      return;
    }
    // Emptied first, so copying the same block twice is announced twice.
    status.textContent = "";
    window.clearTimeout(statusTimer);
    statusTimer = window.setTimeout(function () {
      status.textContent = text;
    }, 50);
  }

  /* --- Copy buttons ------------------------------------------------------------------------ */

  // The block's text exactly as written in the lesson: the fence's closing line adds one final
  // newline that is not part of the example (and would run a shell command on paste).
  function codeText(pre) {
    var code = pre.querySelector("code") || pre;
    return code.textContent.replace(/\n$/, "");
  }

  function copyWithSelection(text) {
    // For browsers without the async clipboard (or without permission): a textarea off screen.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (e) {
      ok = false;
    }
    document.body.removeChild(area);
    return ok;
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(
        function () { return true; },
        function () { return copyWithSelection(text); }
      );
    }
    return Promise.resolve(copyWithSelection(text));
  }

  function addCopyButton(block) {
    var pre = block.querySelector("pre");
    if (!pre || block.querySelector(".copy-button")) {
      return;
    }
    var name = pre.getAttribute("aria-label") || "code";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    var word = document.createElement("span");
    word.textContent = "Copy";
    var hidden = document.createElement("span");
    hidden.className = "visually-hidden";
    hidden.textContent = " " + name;
    button.appendChild(word);
    button.appendChild(hidden);
    var resetTimer = null;
    button.addEventListener("click", function () {
      copy(codeText(pre)).then(function (ok) {
        window.clearTimeout(resetTimer);
        if (ok) {
          word.textContent = "Copied";
          button.setAttribute("data-copied", "");
          announce("Copied");
        } else {
          word.textContent = "Copy";
          announce("Could not copy. Select the text and copy it yourself.");
        }
        resetTimer = window.setTimeout(function () {
          word.textContent = "Copy";
          button.removeAttribute("data-copied");
        }, 2500);
      });
    });
    block.insertBefore(button, block.firstChild);
  }

  /* --- Table of contents --------------------------------------------------------------------- */

  var toc = document.getElementById("lesson-toc");
  var links = toc ? Array.prototype.slice.call(toc.querySelectorAll("nav a[href^='#']")) : [];
  var headings = links.map(function (link) {
    return document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
  });
  var current = null;

  // A section is "being read" once its heading is in the top third of the window (below the
  // sticky header), the band the IntersectionObserver below watches.
  function readingLine() {
    var header = document.querySelector(".site-header");
    var below = (header ? header.getBoundingClientRect().bottom : 0) + 24;
    return Math.max(below, window.innerHeight * 0.34);
  }

  function markCurrent() {
    var line = readingLine();
    var index = -1;
    for (var i = 0; i < headings.length; i++) {
      if (headings[i] && headings[i].getBoundingClientRect().top <= line) {
        index = i;
      }
    }
    var link = index >= 0 ? links[index] : null;
    if (link === current) {
      return;
    }
    if (current) {
      current.removeAttribute("aria-current");
    }
    current = link;
    if (!link) {
      return;
    }
    link.setAttribute("aria-current", "location");
    // Keep the mark in view inside a table of contents taller than the window.
    if (WIDE.matches && toc.scrollHeight > toc.clientHeight) {
      var top = link.offsetTop - toc.offsetTop;
      if (top < toc.scrollTop || top > toc.scrollTop + toc.clientHeight - link.offsetHeight) {
        toc.scrollTop = Math.max(0, top - toc.clientHeight / 3);
      }
    }
  }

  function fitToc() {
    if (!toc) {
      return;
    }
    // A column that is always open on wide screens; a box the reader opens on narrow ones.
    toc.open = WIDE.matches;
    // The column's title toggles nothing: no tab stop there.
    var summary = toc.querySelector("summary");
    if (summary) {
      summary.tabIndex = WIDE.matches ? -1 : 0;
    }
  }

  /* --- Back to top and reading progress --------------------------------------------------- */

  var body = document.getElementById("lesson-body");
  var backToTop = document.getElementById("back-to-top");
  var bar = document.getElementById("reading-progress");

  function updatePosition() {
    if (backToTop) {
      backToTop.hidden = window.scrollY < window.innerHeight;
    }
    if (bar && body) {
      var box = body.getBoundingClientRect();
      var start = box.top + window.scrollY;
      var end = start + box.height - window.innerHeight;
      var read = end > start ? (window.scrollY - start) / (end - start) : 1;
      read = Math.min(1, Math.max(0, read));
      bar.style.setProperty("--read", read.toFixed(3)); // CSSOM, allowed by the CSP
      bar.setAttribute("data-read", Math.round(read * 100));
    }
  }

  var pending = false;
  function onScroll() {
    if (pending) {
      return;
    }
    pending = true;
    window.requestAnimationFrame(function () {
      pending = false;
      updatePosition();
      markCurrent();
    });
  }

  /* --- Start ------------------------------------------------------------------------------ */

  Array.prototype.forEach.call(document.querySelectorAll(".code-block"), addCopyButton);
  fitToc();
  if (toc) {
    toc.addEventListener("toggle", function () {
      if (WIDE.matches && !toc.open) {
        toc.open = true; // the column has nothing to collapse into
      }
    });
  }
  if (WIDE.addEventListener) {
    WIDE.addEventListener("change", fitToc);
  }
  if (bar) {
    bar.hidden = false;
  }
  if (backToTop) {
    // The link goes to #main, which starts under the sticky header: go to the very top instead,
    // and still move the keyboard focus there, as the link would.
    backToTop.addEventListener("click", function (event) {
      var main = document.getElementById("main");
      if (!main) {
        return;
      }
      event.preventDefault();
      window.scrollTo(0, 0);
      main.focus({ preventScroll: true });
    });
  }
  if ("IntersectionObserver" in window && headings.length) {
    // Headings crossing the top third of the window move the mark. The scroll handler checks
    // too (one rect per heading, once a frame): a jump can carry a heading across that band
    // without it ever intersecting, and then no observer fires.
    var observer = new IntersectionObserver(markCurrent, { rootMargin: "0px 0px -66% 0px" });
    headings.forEach(function (heading) {
      if (heading) {
        observer.observe(heading);
      }
    });
  }
  window.addEventListener("scroll", onScroll, { passive: true });
  window.addEventListener("resize", onScroll);
  updatePosition();
  markCurrent();
})();
