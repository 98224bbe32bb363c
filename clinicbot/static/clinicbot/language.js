// The console's language chooser (in the header of every admin page): choosing a language
// posts the form to set_language at once. A file, not an inline handler: the
// Content-Security-Policy allows scripts from this site only.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const choice = document.getElementById("language-choice");
  if (choice) {
    choice.addEventListener("change", () => choice.form.submit());
  }
});
