/* Template editor: the preview follows the typing (a short pause, then the server renders the draft
   with the message's sample data). Without JavaScript, the Preview button does the same. */
(() => {
  "use strict";
  const form = document.getElementById("template-form");
  if (!form) return;
  const error = document.getElementById("preview-error");
  const subject = document.getElementById("preview-subject");
  const html = document.getElementById("preview-html");
  const text = document.getElementById("preview-text");
  const length = document.getElementById("preview-length");
  let timer = null;
  let asked = 0;
  const refresh = async () => {
    const mine = ++asked;
    const response = await fetch(form.dataset.preview, { method: "POST", body: new FormData(form), credentials: "same-origin" });
    if (!response.ok || mine !== asked) return;
    const preview = await response.json();
    error.hidden = !preview.error;
    error.textContent = preview.error || "";
    if (preview.error) return;
    if (subject) subject.textContent = preview.subject;
    if (html) html.srcdoc = preview.html;
    if (text) text.textContent = preview.text;
    if (length) length.textContent = length.dataset.template.replace("{n}", preview.text.length);
  };
  form.addEventListener("input", (event) => {
    if (event.target.name !== "subject" && event.target.name !== "body") return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
})();
