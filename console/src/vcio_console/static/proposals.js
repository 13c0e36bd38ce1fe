// The proposal builder's "Copy the link" button (pages/proposals.py): it is shown only where the clipboard can
// be written; without script the read-only field beside it can be selected and copied by hand.
(function () {
  "use strict";
  function wire(root) {
    root.querySelectorAll("button[data-copy]:not([data-wired])").forEach(function (button) {
      var field = document.getElementById(button.getAttribute("data-copy"));
      if (!field || !navigator.clipboard) { return; }
      button.setAttribute("data-wired", "");
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(field.value).then(function () { button.textContent = "Copied"; });
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { wire(document); });
  } else {
    wire(document);  // loaded again by an htmx swap of the page
  }
})();
