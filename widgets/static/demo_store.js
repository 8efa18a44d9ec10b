/* The demo storefront's own page script (not part of the widget): it formats the cart, applies the
 * widget's loyalty:discount to the total the server priced (after the tier's discount), places the
 * order, follows the hold until committed and shows the next cart as the server prices it then. */
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const data = JSON.parse($("demo-data").textContent);
  const cart = JSON.parse($("demo-cart").textContent);
  const t = data.texts;
  const fmt = new Intl.NumberFormat(document.documentElement.lang, {style: "currency", currency: cart.currency});
  const cents = (amount) => Math.round(Number(amount) * 100); // display only; the server keeps Decimals
  const money = (minor) => fmt.format(minor / 100);
  const fill = (text, vars) => Object.keys(vars).reduce((s, k) => s.split("{" + k + "}").join(vars[k]), text);

  for (const el of document.querySelectorAll("[data-amount]")) el.textContent = money(cents(el.dataset.amount));
  const widget = $("loyalty");
  const button = $("place-order");
  if (!widget || !button) return;

  let totals = data.totals; // {subtotal, tier: {label, amount} | null, total}: the server's figures
  let discount = null;
  const show = () => {
    const due = cents(totals.total);
    const off = discount ? Math.min(cents(discount.amount), due) : 0;
    $("subtotal").textContent = money(cents(totals.subtotal));
    $("shipping").textContent = money(cents(totals.shipping));
    $("tier-label").hidden = $("tier-discount").hidden = !totals.tier;
    $("tier-label").textContent = totals.tier ? totals.tier.label : "";
    $("tier-discount").textContent = totals.tier ? "−" + money(cents(totals.tier.amount)) : "";
    $("discount-label").hidden = $("discount").hidden = !discount;
    $("discount-code").textContent = discount ? discount.code : "";
    $("discount").textContent = discount ? "−" + money(off) : "";
    $("total").textContent = money(due - off);
  };
  widget.addEventListener("loyalty:discount", (event) => {
    discount = event.detail;
    show();
  });
  widget.addEventListener("loyalty:discount-removed", () => {
    discount = null;
    show();
  });

  const follow = async (id) => {
    const status = $("hold-status");
    const headers = {Authorization: "Bearer " + widget.dataset.token, "X-Loyalty-Shop": widget.dataset.shop};
    for (let i = 0; i < 120; i++) {
      const response = await fetch(data.redemptions_url + id, {headers});
      const state = response.ok ? (await response.json()).redemption.status : "held";
      status.textContent = fill(t.hold, {s: t.statuses[state] || state});
      status.dataset.status = state;
      if (state !== "held") break;
      await new Promise((done) => setTimeout(done, 500));
    }
    widget.dispatchEvent(new CustomEvent("loyalty:refresh"));
  };

  button.addEventListener("click", async () => {
    const status = $("order-status");
    button.disabled = true;
    status.textContent = t.placing;
    try {
      const response = await fetch(data.order_url, {method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({customer: data.customer, code: discount ? discount.code : null})});
      const body = await response.json();
      if (!response.ok) throw new Error(body.message || response.statusText);
      status.textContent = fill(t.placed, {n: body.order.name, total: money(cents(body.order.total))});
      totals = body.totals; // the same cart again, at the tier this order may have reached
      discount = null; // the code was used
      show();
      if (body.redemption) await follow(body.redemption);
      else widget.dispatchEvent(new CustomEvent("loyalty:refresh"));
    } catch (error) {
      status.textContent = t.failed + " " + error.message;
    }
    button.disabled = false;
  });
  show();
})();
