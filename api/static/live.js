// Live parts of a page: an element with data-refresh-url is replaced by that URL's HTML fragment every few
// seconds, until the fragment says it is final (an element with data-final="true"). The fragments are the
// service's own templates, escaped like every page; nothing here evaluates code.
(function () {
  "use strict";
  function follow(el) {
    var url = el.getAttribute("data-refresh-url");
    var every = parseInt(el.getAttribute("data-refresh-every") || "2000", 10);
    function done() { return el.querySelector('[data-final="true"]') !== null; }
    function tick() {
      if (done()) { return; }
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) {
          if (response.redirected || !response.ok) { throw new Error(String(response.status)); }
          return response.text();
        })
        .then(function (html) {
          var template = document.createElement("template");
          template.innerHTML = html;
          el.replaceChildren(template.content);
          el.setAttribute("data-refreshed", String(Date.now()));
        })
        .catch(function () { /* keep the last good content; try again */ })
        .finally(function () { window.setTimeout(tick, every); });
    }
    window.setTimeout(tick, every);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-refresh-url]").forEach(follow);
  });
}());
