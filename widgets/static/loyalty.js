/* Loyalty widget: plain JS, no framework, no build step. Mounts into every <div data-loyalty-widget>.
 * Data comes from data- attributes and the widget API (JSON); every text is written with textContent.
 * Events on the mount element: loyalty:discount {code, amount, currency, redemption, points} when a
 * discount is held, loyalty:discount-removed {redemption, status} when it is gone; dispatch
 * loyalty:refresh on it to reload (e.g. after an order). Any text can be replaced without code:
 * data-text-<key> (data-text-title="Bonus points"); colours via the CSS custom properties.
 * Launcher: data-mode="launcher" on a mount, or the data- attributes on the <script> itself (any
 * page): a floating button opening a dialog with balance, tier and rewards. A <script> without
 * data-mode shows it only when the store turned the launcher on (the program's widget.launcher). */
(() => {
  "use strict";
  const ME = document.currentScript;
  const SRC = ME && ME.src;
  // The texts come from the server's catalogue (GET /widget/v1/strings?lang=), one fetch per language.
  // Keys named by data, not in a this.t("...") call: i18n-keys: not_enough_points cannot_redeem order review
  const STRINGS = {};
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
      this.lang = (d.lang || document.documentElement.lang || "en").slice(0, 2).toLowerCase();
      this.mode = d.mode || "checkout";
      this.api = (d.api || (SRC ? new URL(SRC).origin : location.origin)).replace(/\/+$/, "") + "/widget/v1";
      this.id = "loyalty-" + ++seq;
      this.seen = new Set();
      this.opened = {};
      this.note = "";
      this.out = root; // where render() writes: the launcher's dialog, or the mount itself
      root.hidden = !!d.auto; // shown once the program says the store wants the launcher
      root.classList.add("loyalty", "loyalty--" + this.mode);
      root.addEventListener("loyalty:refresh", () => this.load());
      root.replaceChildren(node("p", "loyalty__muted", "…"));
      this.ready = this.strings().then(() => {
        if (this.mode === "launcher") this.launcher();
        this.out.replaceChildren(node("p", "loyalty__muted", this.t("loading")));
      });
      this.load();
    }

    launcher() {
      const id = this.id + "-p";
      const btn = (this.btn = node("button", "loyalty__btn loyalty__launch", this.t("launch"),
        {type: "button", "aria-expanded": "false", "aria-controls": id, "aria-haspopup": "dialog"}));
      const panel = (this.out = node("div", "loyalty__panel", null,
        {id, role: "dialog", "aria-label": this.t("launch"), tabindex: -1, hidden: ""}));
      btn.addEventListener("click", () => this.toggle(panel.hidden));
      this.root.addEventListener("keydown", (e) => {
        if (e.key === "Escape" && !panel.hidden) this.toggle(false);
      });
      // a click elsewhere on the page closes it and leaves the focus where the shopper clicked
      document.addEventListener("pointerdown", (e) => {
        if (!panel.hidden && !this.root.contains(e.target)) this.toggle(false, true);
      });
      this.root.replaceChildren(btn, panel);
    }

    toggle(open, quiet) {
      this.out.hidden = !open;
      this.btn.setAttribute("aria-expanded", open);
      if (!quiet) (open ? this.out.querySelector("h2") || this.out : this.btn).focus();
    }

    strings() {
      const lang = this.lang;
      STRINGS[lang] = STRINGS[lang] || fetch(this.api + "/strings?lang=" + encodeURIComponent(lang), {credentials: "omit"})
        .then((r) => (r.ok ? r.json() : {})).catch(() => ({}));
      return STRINGS[lang].then((s) => {
        this.S = {texts: s.texts || {}, plurals: s.plurals || {}};
        if (s.lang) this.lang = s.lang;
      });
    }

    t(key, vars) {
      let s = this.d["text" + key[0].toUpperCase() + key.slice(1)] || this.S.texts[key] || key;
      for (const k in vars || {}) s = s.split("{" + k + "}").join(vars[k]);
      return s;
    }

    pts(n, words) {
      const forms = this.S.plurals[words || "points"] || {};
      const form = forms[new Intl.PluralRules(this.lang).select(n)] || forms.other || "{n}";
      return form.split("{n}").join(new Intl.NumberFormat(this.lang).format(n));
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
      await this.ready;
      this.root.setAttribute("aria-busy", "true");
      try {
        const cart = this.cart();
        this.currency = (cart && cart.currency) || this.d.currency;
        const product = this.mode === "product";
        const more = this.mode === "account" ? (path) => this.call("GET", path).catch(() => null) : () => null;
        const [acct, quote, offers, ref, games, rewards] = await Promise.all([
          product ? null : this.call("GET", "/account?lang=" + this.lang),
          cart ? this.call("POST", "/quote", {cart}).catch((e) => (product ? null : Promise.reject(e))) : null,
          product ? null : (cart ? this.call("POST", "/offers", {cart, lang: this.lang})
            : this.call("GET", "/offers?lang=" + this.lang)).catch(() => null),
          more("/referral"), more("/games"),
          !product && this.call("POST", "/rewards", {cart: cart || undefined, lang: this.lang}).catch(() => null),
        ]);
        this.rewards = (rewards && rewards.rewards) || [];
        this.ref = ref && ref.enabled ? ref : null;
        this.games = games;
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
      this.note = this.t({committed: "used", releasing: "returning"}[status] || "back");
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
      if (!box) return this.out.replaceChildren(node("p", "loyalty__msg loyalty__msg--error", text, {role: "alert"}));
      box.textContent = text;
      box.className = "loyalty__msg" + (alert ? " loyalty__msg--error" : "");
    }

    render() {
      const a = this.acct, q = this.quote;
      const earns = q && q.earns && q.earns.points;
      if (this.mode === "product") {
        return this.root.replaceChildren(earns ? node("p", "loyalty__earn", this.t("earnProduct", {p: this.pts(earns)})) : "");
      }
      const pop = this.mode === "launcher";
      if (pop && this.d.auto && !(a.program && a.program.launcher)) return this.root.remove();
      this.root.hidden = false;
      const box = node("section", "loyalty__box", null, {"aria-labelledby": this.id + "-t"});
      const head = node("div", "loyalty__head"), rules = a.program && a.program.rules_url;
      head.append(node("h2", "loyalty__title", this.t(a.signed_in ? "title" : "join"), {id: this.id + "-t", tabindex: -1}));
      if (rules) head.append(node("a", "loyalty__rules", this.t("rules"), {href: rules + "?lang=" + this.lang, target: "_blank", rel: "noopener"}));
      if (pop) {
        const x = node("button", "loyalty__btn loyalty__btn--ghost loyalty__x", "×", {type: "button", "aria-label": this.t("close")});
        x.addEventListener("click", () => this.toggle(false));
        head.append(x);
      }
      box.append(head);
      if (!a.signed_in) this.anonymous(box, a.program);
      else this.account(box, a);
      if (earns) box.append(node("p", "loyalty__earn", this.t("earn", {p: this.pts(earns)})));
      if (q && q.tier_benefits) this.perks(box, q.tier_benefits);
      this.offerList(box);
      if (a.signed_in) this.rewardList(box);
      if (a.signed_in && this.hold) box.append(this.applied()); // a code held anywhere shows everywhere
      else if (a.signed_in && (this.mode === "checkout" || (pop && q))) box.append(this.control());
      box.append(node("p", "loyalty__msg", this.note, {role: "status", "aria-live": "polite"}));
      this.note = "";
      const focused = this.out.contains(document.activeElement) || this.refocus; // re-rendered under the keyboard: keep it here
      this.refocus = false;
      this.out.replaceChildren(box);
      if (focused) (box.querySelector(".loyalty__applied") || box.querySelector("h2")).focus();
    }

    rewardList(box) {
      const list = this.rewards.slice().sort((a, b) => b.affordable - a.affordable);
      if (!list.length) return;
      box.append(node("h3", "loyalty__sub", this.t("rewards")));
      const ul = node("ul", "loyalty__list loyalty__rewards");
      for (const r of list) {
        const li = node("li", r.affordable ? "" : "loyalty__locked"), name = node("span");
        name.append(node("strong", null, r.title + " "), node("span", "loyalty__muted", this.pts(r.points)));
        li.append(name);
        if (r.available && !this.hold) {
          const b = node("button", "loyalty__btn loyalty__btn--ghost", this.t("take"),
            {type: "button", "aria-label": this.t("take") + ": " + r.title});
          b.addEventListener("click", () => this.redeem("/rewards/" + encodeURIComponent(r.id) + "/redeem",
            {cart: this.cart() || undefined, lang: this.lang}, b));
          li.append(b);
        } else if (r.why) li.append(node("span", "loyalty__muted loyalty__why", r.why));
        ul.append(li);
      }
      box.append(ul);
    }

    perks(box, p) {
      const n = this.name(p.title) || p.tier;
      if (Number(p.discount_percent)) {
        box.append(node("p", "loyalty__perk", this.t("perk", {n, d: p.discount_percent, m: this.money(Number(p.discount))})));
      }
      if (p.free_shipping) box.append(node("p", "loyalty__perk", this.t("ship")));
      else if (p.to_free_shipping) box.append(node("p", "loyalty__muted", this.t("shipFrom", {m: this.money(Number(p.to_free_shipping))})));
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
      if (a.tier) this.tier(box, a.tier);
      if (this.mode !== "account") return;
      this.referral(box);
      this.transfer(box, a);
      this.gameList(box);
      if (!(a.recent || []).length) return;
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

    name(o) {
      return (o && (o[this.lang] || o.en || Object.values(o)[0])) || "";
    }

    bar(now, max, label, min) {
      const id = this.id + "-b" + ++seq;
      const wrap = node("div", "loyalty__progress");
      const bar = node("div", "loyalty__bar", null, {role: "progressbar", "aria-valuemin": min || 0,
        "aria-valuemax": max, "aria-valuenow": now, "aria-valuetext": label, "aria-labelledby": id});
      const fill = node("span");
      fill.style.width = Math.max(0, Math.min(100, ((now - (min || 0)) / ((max - (min || 0)) || 1)) * 100)) + "%";
      bar.append(fill);
      wrap.append(node("span", "loyalty__muted", label, {id}), bar);
      return wrap;
    }

    tier(box, p) {
      const nxt = p.next, line = node("p", "loyalty__tier");
      line.append(node("strong", null, this.t("tier", {n: this.name(p.tier.title) || p.tier.id})));
      const v = Number(p.to_next), metric = p.metric;
      const left = nxt && this.t("next", {n: this.name(nxt.title) || nxt.id, v: metric === "orders"
        ? this.pts(v, "orders") : metric === "amount_spent" ? this.money(v) : this.pts(v)});
      if (this.mode !== "account" || !nxt) {
        line.append(node("span", "loyalty__muted", " · " + (left || this.t("top"))));
        return box.append(line);
      }
      box.append(line, this.bar(Number(p.value), Number(nxt.threshold), left, Number(p.tier.threshold)));
    }

    fold(key, title) {
      const d = node("details", "loyalty__more");
      d.open = !!this.opened[key];
      d.addEventListener("toggle", () => (this.opened[key] = d.open));
      d.append(node("summary", "loyalty__sub", title));
      return d;
    }

    referral(box) {
      const r = this.ref;
      if (!r) return;
      const d = this.fold("ref", this.t("invite")), id = this.id + "-ref";
      const text = r.share[this.lang] || r.share.en || r.link, status = node("p", "loyalty__muted", null, {role: "status"});
      const input = node("input", "loyalty__number loyalty__link", null, {id, readonly: "", value: r.link});
      const copy = node("button", "loyalty__btn loyalty__btn--ghost", this.t("copy"), {type: "button"});
      copy.addEventListener("click", () => {
        input.select();
        const done = () => (status.textContent = this.t("copied"));
        if (navigator.clipboard) navigator.clipboard.writeText(r.link).then(done, () => document.execCommand("copy") && done());
        else if (document.execCommand("copy")) done();
      });
      const row = node("div", "loyalty__row");
      row.append(input, copy);
      const share = node("p", "loyalty__share");
      if (navigator.share) {
        const b = node("button", "loyalty__btn", this.t("share"), {type: "button"});
        b.addEventListener("click", () => navigator.share({text, url: r.link}).catch(() => {}));
        share.append(b);
      } else {
        const u = encodeURIComponent(r.link), x = encodeURIComponent(text);
        for (const [label, href] of [["Telegram", "https://t.me/share/url?url=" + u + "&text=" + x],
          ["WhatsApp", "https://wa.me/?text=" + x], ["VK", "https://vk.com/share.php?url=" + u],
          [this.t("email"), "mailto:?subject=" + encodeURIComponent(this.t("invite")) + "&body=" + x]]) {
          share.append(node("a", null, label, {href, target: "_blank", rel: "noopener noreferrer"}), " ");
        }
      }
      d.append(node("p", null, this.t("inviteText", {f: this.pts(r.friend_points), r: this.pts(r.referrer_points)})),
        node("label", "loyalty__label", this.t("link"), {for: id}), row, share, status);
      box.append(d);
    }

    transfer(box, a) {
      const rule = a.program && a.program.transfers;
      if (this.noTransfer || (rule && !rule.enabled)) return;
      const d = this.fold("give", this.t("give")), id = this.id + "-g";
      const form = node("form", "loyalty__give");
      const to = node("input", "loyalty__number", null, {id: id + "t", required: "", autocomplete: "off"});
      const pts = node("input", "loyalty__number", null, {id: id + "p", type: "number", min: 1, step: 1,
        required: "", inputmode: "numeric"});
      const btn = node("button", "loyalty__btn", this.t("send"), {type: "submit"});
      const msg = node("p", "loyalty__msg", this.tnote || "", {role: "status", "aria-live": "polite"});
      this.tnote = "";
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        btn.disabled = true;
        this.tkey = this.tkey || this.newKey();
        try {
          const r = await this.call("POST", "/transfers", {to: to.value.trim(), points: Number(pts.value)},
            {"Idempotency-Key": this.tkey});
          this.tkey = null;
          this.tnote = this.t("sent", {p: this.pts(r.transfer.points), to: r.transfer.to});
          await this.load();
        } catch (e) {
          if (e.status && e.code !== "idempotency_in_progress") this.tkey = null; // still running: same key
          btn.disabled = false;
          if (e.status === 403 || e.status === 404) {
            this.noTransfer = true;
            return this.render();
          }
          msg.className = "loyalty__msg loyalty__msg--error";
          msg.textContent = e.code === "not_enough_points" ? this.t(e.code)
            : e.status === 422 && this.lang === "en" ? e.message : this.t("error");
        }
      });
      form.append(node("label", "loyalty__label", this.t("to"), {for: id + "t"}), to,
        node("label", "loyalty__label", this.t("amount"), {for: id + "p"}), pts, node("br"), btn, msg);
      d.append(form);
      box.append(d);
    }

    gameList(box) {
      const g = this.games;
      if (!g) return;
      const date = new Intl.DateTimeFormat(this.lang, {dateStyle: "medium"});
      const badges = g.badges || [], live = (g.challenges || []).filter((c) => c.status !== "ended"), quests = g.quests || [];
      if (badges.length) {
        const d = this.fold("badges", this.t("badges")), list = node("ul", "loyalty__list loyalty__badges");
        for (const b of badges) {
          const li = node("li", b.earned ? "loyalty__earned" : "loyalty__locked");
          li.append(node("span", null, (b.earned ? "★ " : "☆ ") + this.name(b.title) + " "),
            node("span", "loyalty__muted", this.t(b.earned ? "earned" : "notYet")));
          list.append(li);
        }
        d.append(list);
        box.append(d);
      }
      if (!live.length && !quests.length) return;
      const d = this.fold("games", this.t(live.length ? "challenges" : "quests"));
      for (const c of live) {
        const now = Number(c.progress), max = Number(c.target);
        const fmt = (n) => (c.goal === "spend" ? this.money(n) : new Intl.NumberFormat(this.lang).format(n));
        d.append(node("p", null, this.name(c.title)), this.bar(Math.min(now, max), max, fmt(now) + " / " + fmt(max)
          + (c.status === "completed" ? " · " + this.t("done") : " · " + this.t("until", {d: date.format(new Date(c.ends_at))}))));
      }
      for (const q of quests) {
        d.append(node("p", null, this.name(q.title)));
        const list = node("ol", "loyalty__steps");
        q.steps.forEach((s, n) => list.append(node("li", n < q.step ? "loyalty__earned" : "loyalty__locked",
          (n < q.step ? "✓ " : "") + (s.goal === "activity" ? s.name : this.t(s.goal)))));
        d.append(list);
      }
      box.append(d);
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
      btn.addEventListener("click", () => this.redeem("/redeem", {points: this.want, point_type: type, cart: this.cart()}, btn));
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

    async redeem(path, body, btn) {
      this.refocus = this.out.contains(document.activeElement); // disabling the button drops the focus
      btn.disabled = true;
      const what = path + JSON.stringify(body); // the key is kept after a network failure, so a retry gets the same code
      if (this.kfor !== what) [this.key, this.kfor] = [this.newKey(), what];
      try {
        const r = await this.call("POST", path, body, {"Idempotency-Key": this.key});
        this.kfor = null;
        this.keep(r.redemption);
        this.fire();
        await this.load();
      } catch (e) {
        if (e.status && e.code !== "idempotency_in_progress") this.kfor = null; // still running: same key
        btn.disabled = false;
        if (this.refocus) btn.focus();
        this.refocus = false;
        this.fail(e);
      }
    }

    applied() {
      const h = this.hold;
      const wrap = node("div", "loyalty__applied", null, {role: "status", tabindex: -1});
      const at = new Date(h.expires_at), reward = this.rewards.find((r) => r.id === h.reward);
      const until = new Intl.DateTimeFormat(this.lang, at - Date.now() > 864e5 ? {dateStyle: "medium", timeStyle: "short"}
        : {timeStyle: "short"}).format(at);
      const code = node("p", "loyalty__code");
      code.append(node("code", null, this.t("code", {c: h.code})));
      const btn = node("button", "loyalty__btn loyalty__btn--ghost", this.t("cancel"), {type: "button"});
      btn.addEventListener("click", () => this.cancel(btn));
      const m = this.money(h.amount, h.currency);
      wrap.append(node("p", "loyalty__discount", reward ? this.t("gotReward", {r: reward.title, m}) : this.t("applied", {m})), code,
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
    const d = ME && ME.dataset;
    if (d && d.shop && !ME.loyaltyHost && (!d.mode || d.mode === "launcher")) {
      const host = (ME.loyaltyHost = node("div", null, null, {"data-loyalty-widget": ""}));
      Object.assign(host.dataset, d, {mode: "launcher"}, d.mode ? {} : {auto: "1"});
      document.body.append(host);
    }
    for (const root of document.querySelectorAll("[data-loyalty-widget]")) {
      if (!root.loyaltyWidget) root.loyaltyWidget = new Widget(root);
    }
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount);
  else mount();
})();
