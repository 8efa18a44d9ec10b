/* Loyalty widget: plain JS, no framework, no build step. Mounts into every <div data-loyalty-widget>.
 * Data comes from data- attributes and the widget API (JSON); every text is written with textContent.
 * Events on the mount element: loyalty:discount {code, amount, currency, redemption, points} when a
 * discount is held, loyalty:discount-removed {redemption, status} when it is gone; dispatch
 * loyalty:refresh on it to reload (e.g. after an order). Any text can be replaced without code:
 * data-text-<key> (data-text-title="Bonus points"); colours via the CSS custom properties. */
(() => {
  "use strict";
  const SRC = document.currentScript && document.currentScript.src;
  const TEXTS = {
    en: {
      title: "Your points", loading: "Loading…", available: "{p} available", pending: "{p} pending",
      earn: "You will earn {p} with this order", earnProduct: "Earn {p} with this purchase",
      spend: "Points to spend", worth: "{p} = {m} off", redeem: "Apply discount", cancel: "Cancel",
      applied: "Discount {m} applied", code: "Code: {c}", held: "{p} on hold until {t}",
      none: "No points can pay for this cart yet", join: "Join our rewards program",
      signin: "Sign in to earn and spend points.", rate: "{p} for every {m} spent",
      signup: "+{p} for joining", expiring: "{p} expire on {d}", offers: "For you",
      history: "Recent activity", used: "Your discount was used on your order.",
      back: "Your held points are back.", error: "Something went wrong. Please try again.",
      auth: "Please sign in again.", not_enough_points: "You do not have that many points.",
      cannot_redeem: "These points cannot pay for this cart.",
    },
    ru: {
      title: "Ваши баллы", loading: "Загрузка…", available: "Доступно: {p}", pending: "Ожидают начисления: {p}",
      earn: "За этот заказ вы получите {p}", earnProduct: "За эту покупку — {p}",
      spend: "Сколько баллов списать", worth: "{p} = скидка {m}", redeem: "Применить скидку",
      cancel: "Отменить", applied: "Скидка {m} применена", code: "Код: {c}",
      held: "{p} зарезервировано до {t}", none: "Для этой корзины пока нет доступных баллов",
      join: "Вступайте в программу лояльности", signin: "Войдите, чтобы копить и тратить баллы.",
      rate: "{p} за каждые {m}", signup: "+{p} за регистрацию", expiring: "{p} сгорят {d}",
      offers: "Для вас", history: "История", used: "Скидка использована в заказе.",
      back: "Зарезервированные баллы вернулись.", error: "Что-то пошло не так. Попробуйте ещё раз.",
      auth: "Войдите снова.", not_enough_points: "У вас нет столько баллов.",
      cannot_redeem: "Эти баллы нельзя списать для этой корзины.",
    },
  };
  const WORDS = {en: {one: "point", other: "points"}, ru: {one: "балл", few: "балла", many: "баллов", other: "балла"}};
  const LINE_KEYS = ["line_id", "product_id", "sku", "vendor", "product_type", "tags", "quantity", "price",
    "discount", "on_sale", "gift_card"];
  let seq = 0;

  const node = (tag, cls, text, attrs) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    return e;
  };
  const total = (o) => (typeof o === "number" ? o : o && o.by_type ? o.total
    : Object.values(o || {}).reduce((a, b) => a + b, 0));

  class Widget {
    constructor(root) {
      const d = (this.d = root.dataset);
      this.root = root;
      const lang = (d.lang || document.documentElement.lang || "en").slice(0, 2).toLowerCase();
      this.lang = TEXTS[lang] ? lang : "en";
      this.mode = d.mode || "checkout";
      this.api = (d.api || (SRC ? new URL(SRC).origin : location.origin)).replace(/\/+$/, "") + "/widget/v1";
      this.id = "loyalty-" + ++seq;
      this.seen = new Set();
      this.note = "";
      root.classList.add("loyalty", "loyalty--" + this.mode);
      root.addEventListener("loyalty:refresh", () => this.load());
      root.replaceChildren(node("p", "loyalty__muted", this.t("loading")));
      this.load();
    }

    t(key, vars) {
      let s = this.d["text" + key[0].toUpperCase() + key.slice(1)] || TEXTS[this.lang][key] || TEXTS.en[key];
      for (const k in vars || {}) s = s.split("{" + k + "}").join(vars[k]);
      return s;
    }

    pts(n) {
      const w = WORDS[this.lang];
      return new Intl.NumberFormat(this.lang).format(n) + " " + (w[new Intl.PluralRules(this.lang).select(n)] || w.other);
    }

    money(amount, currency) {
      const cur = currency || this.currency || "USD";
      try {
        return new Intl.NumberFormat(this.lang, {style: "currency", currency: cur}).format(Number(amount));
      } catch (e) {
        return amount + " " + cur;
      }
    }

    async call(method, path, body, extra) {
      const headers = Object.assign({Accept: "application/json", "X-Loyalty-Shop": this.d.shop || ""}, extra);
      if (this.d.token) headers.Authorization = "Bearer " + this.d.token;
      if (body) headers["Content-Type"] = "application/json";
      const r = await fetch(this.api + path, {method, headers, credentials: "omit",
        body: body ? JSON.stringify(body) : undefined});
      const data = await r.json().catch(() => ({}));
      if (!r.ok) throw Object.assign(new Error(data.message || r.statusText), {status: r.status, code: data.error});
      return data;
    }

    cart() {
      const d = this.d;
      let cart;
      if (this.mode === "product") {
        if (!d.price) return null;
        cart = {lines: [{line_id: "1", product_id: d.productId, sku: d.sku, price: d.price,
          quantity: Number(d.quantity || 1)}]};
      } else {
        let raw = d.cart;
        if (raw && raw[0] === "#") raw = (document.querySelector(raw) || {}).textContent;
        if (!raw) return null;
        cart = JSON.parse(raw);
      }
      const lines = cart.lines.map((line) => {
        const out = {};
        for (const k of LINE_KEYS) if (line[k] != null) out[k] = k === "product_id" ? String(line[k]) : line[k];
        return out;
      });
      const out = {lines, currency: cart.currency || d.currency || undefined};
      if (cart.shipping != null) out.shipping = String(cart.shipping);
      return out;
    }

    get storeKey() {
      return "loyalty:" + this.d.shop + ":" + (this.acct && this.acct.customer);
    }

    async load() {
      this.root.setAttribute("aria-busy", "true");
      try {
        const cart = this.cart();
        this.currency = (cart && cart.currency) || this.d.currency;
        const product = this.mode === "product";
        const [acct, quote, offers] = await Promise.all([
          product ? null : this.call("GET", "/account"),
          cart ? this.call("POST", "/quote", {cart}).catch((e) => (product ? null : Promise.reject(e))) : null,
          product ? null : (cart ? this.call("POST", "/offers", {cart, lang: this.lang})
            : this.call("GET", "/offers?lang=" + this.lang)).catch(() => null),
        ]);
        this.acct = acct;
        this.quote = quote;
        this.offers = ((offers && offers.offers) || []).slice(0, 3);
        if (acct && !this.currency) this.currency = acct.program && acct.program.currency;
        if (acct && acct.signed_in) await this.followHold();
        this.render();
      } catch (e) {
        this.fail(e);
      }
      this.root.removeAttribute("aria-busy");
    }

    async followHold() {
      const fresh = !this.hold;
      if (fresh) {
        try {
          this.hold = JSON.parse(sessionStorage.getItem(this.storeKey) || "null");
        } catch (e) {
          this.hold = null;
        }
        if (!this.hold) return;
      }
      const r = await this.call("GET", "/redemptions/" + this.hold.id)
        .catch((e) => (e.status === 404 ? {redemption: {status: "released"}} : null));
      if (!r) return;
      if (r.redemption.status !== "held") return this.drop(r.redemption.status);
      if (fresh) this.fire();
    }

    keep(redemption) {
      this.hold = redemption;
      try {
        sessionStorage.setItem(this.storeKey, JSON.stringify(redemption));
      } catch (e) { /* private mode: the hold just is not remembered across reloads */ }
    }

    drop(status) {
      const id = this.hold && this.hold.id;
      this.hold = null;
      try {
        sessionStorage.removeItem(this.storeKey);
      } catch (e) { /* nothing stored */ }
      this.note = this.t(status === "committed" ? "used" : "back");
      this.root.dispatchEvent(new CustomEvent("loyalty:discount-removed", {bubbles: true,
        detail: {redemption: id, status}}));
    }

    fire() {
      const h = this.hold;
      this.root.dispatchEvent(new CustomEvent("loyalty:discount", {bubbles: true, detail: {
        code: h.code, amount: h.amount, currency: h.currency, redemption: h.id, points: h.points}}));
    }

    fail(e) {
      const known = e.code === "not_enough_points" || e.code === "cannot_redeem";
      const msg = e.status === 401 ? this.t("auth") : this.t(known ? e.code : "error");
      if (this.mode === "product") return this.root.replaceChildren();
      this.say(msg, true);
    }

    say(text, alert) {
      const box = this.root.querySelector(".loyalty__msg");
      if (!box) return this.root.replaceChildren(node("p", "loyalty__msg loyalty__msg--error", text, {role: "alert"}));
      box.textContent = text;
      box.className = "loyalty__msg" + (alert ? " loyalty__msg--error" : "");
    }

    render() {
      const a = this.acct, q = this.quote;
      const earns = q && q.earns && q.earns.points;
      if (this.mode === "product") {
        return this.root.replaceChildren(earns ? node("p", "loyalty__earn", this.t("earnProduct", {p: this.pts(earns)})) : "");
      }
      const box = node("section", "loyalty__box", null, {"aria-labelledby": this.id + "-t"});
      box.append(node("h2", "loyalty__title", this.t(a.signed_in ? "title" : "join"), {id: this.id + "-t"}));
      if (!a.signed_in) this.anonymous(box, a.program);
      else this.account(box, a);
      if (earns) box.append(node("p", "loyalty__earn", this.t("earn", {p: this.pts(earns)})));
      this.offerList(box);
      if (a.signed_in && this.mode === "checkout") box.append(this.hold ? this.applied() : this.control());
      box.append(node("p", "loyalty__msg", this.note, {role: "status", "aria-live": "polite"}));
      this.note = "";
      this.root.replaceChildren(box);
    }

    anonymous(box, program) {
      box.append(node("p", null, this.t("signin")));
      const rate = program && program.earning && program.earning.rate;
      if (rate && rate.kind === "percent") {
        box.append(node("p", "loyalty__muted", this.t("rate", {p: this.pts(Number(rate.percent)), m: this.money(100)})));
      } else if (rate && rate.kind === "per_amount") {
        box.append(node("p", "loyalty__muted", this.t("rate", {p: this.pts(rate.points), m: this.money(rate.per)})));
      }
      if (program && program.signup_points) box.append(node("p", "loyalty__muted", this.t("signup", {p: this.pts(program.signup_points)})));
    }

    account(box, a) {
      const spendable = total(a.spendable), pending = total(a.pending);
      const bal = node("p", "loyalty__balance");
      bal.append(node("strong", "loyalty__points", this.t("available", {p: this.pts(spendable)})));
      if (pending) bal.append(node("span", "loyalty__muted", " · " + this.t("pending", {p: this.pts(pending)})));
      box.append(bal);
      const date = new Intl.DateTimeFormat(this.lang, {dateStyle: "medium"});
      for (const lot of a.expiring_soon || []) {
        box.append(node("p", "loyalty__muted", this.t("expiring", {p: this.pts(lot.points), d: date.format(new Date(lot.expires_at))})));
      }
      if (this.mode !== "account" || !(a.recent || []).length) return;
      box.append(node("h3", "loyalty__sub", this.t("history")));
      const list = node("ul", "loyalty__list");
      for (const e of a.recent) {
        const li = node("li");
        li.append(node("span", e.delta < 0 ? "loyalty__minus" : "loyalty__plus", (e.delta > 0 ? "+" : "") + e.delta),
          node("span", null, " " + (e.reason || e.kind) + " "), node("time", "loyalty__muted", date.format(new Date(e.created_at))));
        list.append(li);
      }
      box.append(list);
    }

    offerList(box) {
      if (!this.offers.length) return;
      box.append(node("h3", "loyalty__sub", this.t("offers")));
      const list = node("ul", "loyalty__list loyalty__offers");
      const fresh = [];
      for (const o of this.offers) {
        const li = node("li", "loyalty__offer");
        li.append(node("strong", null, o.title || ""), node("span", null, o.text || ""));
        li.addEventListener("click", () => this.track("/offers/" + encodeURIComponent(o.id) + "/events", {type: "click"}));
        list.append(li);
        if (!this.seen.has(o.id)) fresh.push(o.id);
        this.seen.add(o.id);
      }
      if (fresh.length) this.track("/offers/events", {type: "impression", offer_ids: fresh});
      box.append(list);
    }

    track(path, body) {
      this.call("POST", path, body).catch(() => {});
    }

    control() {
      const q = (this.quote && this.quote.payable) || {by_type: {}};
      const byType = q.by_type || {};
      const type = this.d.pointType || Object.keys(byType).find((k) => byType[k] > 0) || "regular";
      const max = byType[type] || 0;
      if (!max) return node("p", "loyalty__muted", this.t("none"));
      const value = Number(q.point_value || 1);
      const wrap = node("div", "loyalty__spend", null, {role: "group", "aria-labelledby": this.id + "-l"});
      const label = node("label", "loyalty__label", this.t("spend"), {id: this.id + "-l", for: this.id + "-n"});
      const attrs = {min: 0, max, step: 1};
      const range = node("input", "loyalty__range", null, Object.assign({type: "range", "aria-labelledby": this.id + "-l"}, attrs));
      const num = node("input", "loyalty__number", null, Object.assign({type: "number", id: this.id + "-n", inputmode: "numeric"}, attrs));
      const worth = node("p", "loyalty__worth", null, {"aria-live": "polite", id: this.id + "-w"});
      const btn = node("button", "loyalty__btn", this.t("redeem"), {type: "button", "aria-describedby": this.id + "-w"});
      const set = (v, typing) => {
        const n = Math.max(0, Math.min(max, Math.floor(Number(v) || 0)));
        this.want = n;
        range.value = n;
        if (!typing || String(n) !== num.value) num.value = n;
        const text = this.t("worth", {p: this.pts(n), m: this.money(n * value)});
        worth.textContent = text;
        range.setAttribute("aria-valuetext", text);
        btn.disabled = !n;
      };
      range.addEventListener("input", () => set(range.value));
      num.addEventListener("input", () => num.value !== "" && set(num.value, true));
      num.addEventListener("change", () => set(num.value));
      btn.addEventListener("click", () => this.redeem(this.want, type, btn));
      set(Math.min(this.want || max, max));
      const row = node("div", "loyalty__row");
      row.append(range, num);
      wrap.append(label, row, worth, btn);
      return wrap;
    }

    newKey() {
      if (crypto.randomUUID) return crypto.randomUUID();
      return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
    }

    async redeem(points, type, btn) {
      btn.disabled = true;
      this.key = this.key || this.newKey(); // kept after a network failure, so a retry gets the same code
      try {
        const r = await this.call("POST", "/redeem", {points, point_type: type, cart: this.cart()},
          {"Idempotency-Key": this.key});
        this.key = null;
        this.keep(r.redemption);
        this.fire();
        await this.load();
      } catch (e) {
        if (e.status) this.key = null;
        btn.disabled = false;
        this.fail(e);
      }
    }

    applied() {
      const h = this.hold;
      const wrap = node("div", "loyalty__applied", null, {role: "status"});
      const until = new Intl.DateTimeFormat(this.lang, {timeStyle: "short"}).format(new Date(h.expires_at));
      const code = node("p", "loyalty__code");
      code.append(node("code", null, this.t("code", {c: h.code})));
      const btn = node("button", "loyalty__btn loyalty__btn--ghost", this.t("cancel"), {type: "button"});
      btn.addEventListener("click", () => this.cancel(btn));
      wrap.append(node("p", "loyalty__discount", this.t("applied", {m: this.money(h.amount, h.currency)})), code,
        node("p", "loyalty__muted", this.t("held", {p: this.pts(h.points), t: until})), btn);
      return wrap;
    }

    async cancel(btn) {
      btn.disabled = true;
      try {
        const r = await this.call("POST", "/redemptions/" + this.hold.id + "/cancel");
        this.drop(r.redemption.status);
        await this.load();
      } catch (e) {
        btn.disabled = false;
        this.fail(e);
      }
    }
  }

  const mount = () => {
    for (const root of document.querySelectorAll("[data-loyalty-widget]")) {
      if (!root.loyaltyWidget) root.loyaltyWidget = new Widget(root);
    }
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
  else mount();
})();
