// The dashboard's clinic filter: choosing a clinic shows its figures at once (without a script,
// the form's own "Show" button does). A file, not an inline handler: the Content-Security-Policy
// allows scripts from this site only.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const choice = document.querySelector("#clinic-filter select[name=clinic]");
  if (choice) {
    choice.addEventListener("change", () => choice.form.submit());
  }
});
