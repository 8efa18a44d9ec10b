/* Dashboard: the program editor's Tab key indents instead of leaving the field (Escape, then Tab, leaves). */
(() => {
  "use strict";
  for (const area of document.querySelectorAll("textarea[data-indent]")) {
    let escaped = false;
    area.addEventListener("keydown", (event) => {
      if (event.key === "Escape") { escaped = true; return; }
      if (event.key !== "Tab" || event.shiftKey || escaped) { escaped = false; return; }
      event.preventDefault();
      area.setRangeText(" ".repeat(Number(area.dataset.indent) || 2), area.selectionStart, area.selectionEnd, "end");
    });
  }
})();

/* Import progress: poll the run's JSON while it runs, reload when it is finished (the page then
   shows the report). Without JavaScript, a meta refresh reloads the page instead. */
(() => {
  "use strict";
  for (const bar of document.querySelectorAll("progress[data-poll]")) {
    const label = document.getElementById(bar.dataset.label);
    const poll = async () => {
      const response = await fetch(bar.dataset.poll, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const run = await response.json();
      bar.max = Math.max(run.total, 1);
      bar.value = run.done;
      const format = (n) => n.toLocaleString(document.documentElement.lang);
      if (label) label.textContent = `${format(run.done)} / ${format(run.total)}`;
      if (run.finished) window.location.reload();
      else setTimeout(poll, 1000);
    };
    setTimeout(poll, 1000);
  }
})();
