// The billing run's live progress (pages/billing.py): the panel's server-sent events replace its content, the
// last one (`done`) when the run has finished. Without scripts the page's Refresh link does the same.
(function () {
  "use strict";
  function follow(panel) {
    var source = new EventSource(panel.getAttribute("data-events"));
    function show(event) { panel.innerHTML = event.data; }
    source.addEventListener("progress", function (event) {
      show(event);
      panel.setAttribute("data-followed", "progress");
    });
    source.addEventListener("done", function (event) {
      show(event);
      source.close();
      panel.setAttribute("data-followed", "done");
    });
    source.onerror = function () { source.close(); };
  }
  document.querySelectorAll("[data-events]").forEach(follow);
})();
