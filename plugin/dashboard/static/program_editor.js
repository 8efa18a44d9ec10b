/* The program editor's small script: list rows (add, move, remove, renumber), the default tier
   ladder when tiers are turned on, and a debounced check as the owner types (the server keeps the
   draft and answers each field's errors, the JSON and the preview). Without it the form still
   saves, checks and publishes. */
(() => {
  "use strict";
  const form = document.getElementById("program-form");
  if (!form) return;
  const rowsOf = (list) => [...list.children].filter((el) => el.classList.contains("row"));

  const renumber = (list) => {
    const section = list.dataset.rows;
    const pattern = new RegExp(`^${section.replace(/\./g, "\\.")}\\.(\\d+|__N__)`);
    rowsOf(list).forEach((row, n) => {
      row.dataset.row = `${section}.${n}`;
      for (const el of row.querySelectorAll("[name], [data-error-for]")) {
        if (el.name) el.name = el.name.replace(pattern, `${section}.${n}`);
        if (el.dataset.errorFor) el.dataset.errorFor = el.dataset.errorFor.replace(pattern, `${section}.${n}`);
      }
    });
  };

  const addRow = (list) => {
    const row = list.querySelector("template").content.firstElementChild.cloneNode(true);
    list.insertBefore(row, list.querySelector("template"));
    renumber(list);
    return row;
  };

  form.addEventListener("click", (event) => {
    const button = event.target.closest("button[type=button]");
    if (!button) return;
    if (button.dataset.add) {
      const row = addRow(form.querySelector(`[data-rows="${button.dataset.add}"]`));
      row.querySelector("input, select").focus();
    } else {
      const row = button.closest(".row");
      const list = row.parentElement;
      if (button.hasAttribute("data-remove")) row.remove();
      else if (button.dataset.move === "-1" && row.previousElementSibling) list.insertBefore(row, row.previousElementSibling);
      else if (button.dataset.move === "1" && row.nextElementSibling?.classList.contains("row")) list.insertBefore(row.nextElementSibling, row);
      renumber(list);
    }
    toggle();
    schedule();
  });

  /* A field that only one choice uses shows with that choice ("rate.kind:percent"). */
  const toggle = () => {
    for (const el of form.querySelectorAll("[data-when]")) {
      const [suffix, values] = el.dataset.when.split(":");
      const select = el.parentElement.closest(".row, .grid, fieldset").querySelector(`select[name$="${suffix}"]`);
      if (select) el.hidden = !values.split(" ").includes(select.value);
    }
  };
  form.addEventListener("change", toggle);

  /* The blank row each list has for a browser without this script: here "Add" makes rows. */
  for (const list of form.querySelectorAll("[data-rows]")) {
    const last = rowsOf(list).at(-1);
    if (last && ![...last.querySelectorAll("input")].some((i) => (i.type === "checkbox" ? i.checked : i.value))) last.remove();
  }

  /* Tiers turned on with no ladder yet: fill in the market's default one to edit from. */
  const tiersOn = form.elements["tiers.enabled"];
  tiersOn.addEventListener("change", () => {
    const list = form.querySelector('[data-rows="tiers.tiers"]');
    const filled = rowsOf(list).some((row) => [...row.querySelectorAll("input[type=text]")].some((i) => i.value));
    if (!tiersOn.checked || filled) return;
    const ladder = JSON.parse(list.parentElement.dataset.ladder);
    for (const row of rowsOf(list)) row.remove();
    const count = new Set(Object.keys(ladder).filter((k) => k.startsWith("tiers.tiers.")).map((k) => k.split(".")[2])).size;
    for (let n = 0; n < count; n += 1) addRow(list);
    for (const [name, value] of Object.entries(ladder)) {
      const el = form.elements[name];
      if (!el) continue;
      if (el.type === "checkbox") el.checked = value === "on"; else el.value = value;
    }
  });

  /* The check: errors next to their fields, the rest on top; the JSON and preview refreshed. */
  const state = document.getElementById("check-state");
  const loose = document.getElementById("form-errors");
  const json = document.getElementById("json");
  let timer = null;
  let jsonTouched = false;
  json.addEventListener("input", () => { jsonTouched = true; });
  const check = async () => {
    const body = new FormData(form);
    body.delete("json");
    const response = await fetch(form.dataset.check, { method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const answer = await response.json();
    for (const el of form.querySelectorAll("[data-error-for]")) el.textContent = "";
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    const list = loose.querySelector("dl");
    list.replaceChildren();
    for (const [path, messages] of Object.entries(answer.errors)) {
      const slot = [...form.querySelectorAll("[data-error-for]")].find((el) => el.dataset.errorFor === path);
      if (slot) {
        slot.textContent = messages.join(" ");
        const input = form.elements[path];
        if (input && input.setAttribute) input.setAttribute("aria-invalid", "true");
      } else {
        const term = document.createElement("dt");
        term.textContent = path;
        list.append(term, ...messages.map((m) => Object.assign(document.createElement("dd"), { textContent: m })));
      }
    }
    loose.hidden = !list.children.length;
    state.textContent = state.dataset[Object.keys(answer.errors).length ? "bad" : "good"] || "";
    if (!jsonTouched) json.value = answer.document;
    document.getElementById("preview").innerHTML = answer.preview; // the server's own escaped template
    for (const [id, selector] of [["category-names", 'input[name^="categories."][name$=".name"]'], ["point-type-names", 'input[name^="point_types."][name$=".name"]']]) {
      document.getElementById(id).replaceChildren(...[...form.querySelectorAll(selector)].filter((i) => i.value).map((i) => Object.assign(document.createElement("option"), { value: i.value })));
    }
    form.dispatchEvent(new CustomEvent("checked"));
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  };
  form.addEventListener("input", (event) => { if (event.target !== json) schedule(); });
  form.addEventListener("change", (event) => { if (event.target !== json) schedule(); });
  toggle();
  check();
})();
