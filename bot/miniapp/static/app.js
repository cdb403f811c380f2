// Gridcare's Mini App: a supervisor's dashboard, review queue and person timeline.
// Every request carries Telegram's initData (checked by the server); ids travel in JSON bodies.
// Texts come from the server's labels (zh_CN, en); every value is set as text, never as HTML.
"use strict";
(function () {
  // Telegram's script loads without holding the page up: where it cannot be fetched (a closed
  // network, the sandbox) the initData and theme are read from the address's fragment, where
  // Telegram puts them too.
  const hash = new URLSearchParams(location.hash.slice(1));
  let tg = null;
  let initData = "";
  const view = document.getElementById("view");
  const back = document.getElementById("back");
  const title = document.getElementById("title");
  let L = {};
  let me = null;
  const stack = [];

  function theme() {
    let params = (tg && tg.themeParams) || {};
    if (!Object.keys(params).length && hash.get("tgWebAppThemeParams")) {
      try { params = JSON.parse(hash.get("tgWebAppThemeParams")); } catch (e) { params = {}; }
    }
    for (const [key, value] of Object.entries(params)) {
      document.documentElement.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), value);
    }
    document.documentElement.dataset.scheme = (tg && tg.colorScheme) || "light";
  }

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "on") for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
      else if (k === "class") el.className = v;
      else if (k === "style") el.style.cssText = v; // CSSOM: allowed by the page's CSP, an attribute is not
      else if (v !== false && v !== null && v !== undefined) el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false)
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return el;
  }
  const t = (key, fields) => (L[key] || key).replace(/\{(\w+)\}/g, (_, f) => (fields && f in fields ? fields[f] : ""));
  const pct = (n) => (n === null || n === undefined ? "—" : n + "%");

  async function api(endpoint, params, raw) {
    const res = await fetch("api/" + endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Telegram-Init-Data": initData },
      body: JSON.stringify(params || {}),
    });
    // Before the labels have come (the first request), refusals are said in both languages.
    if (res.status === 401) throw new Error(L.ma_unauthorized || "登录信息无效或已过期 · The sign-in is invalid or has expired");
    if (res.status === 403) throw new Error(L.ma_refused || "无权查看 · You may not see this");
    if (!res.ok) throw new Error(L.ma_error || "error");
    return raw ? res.blob() : res.json();
  }

  function show(heading, ...content) {
    title.textContent = heading;
    view.replaceChildren(...content.flat());
    back.hidden = stack.length < 2;
    if (tg && tg.BackButton) stack.length < 2 ? tg.BackButton.hide() : tg.BackButton.show();
    window.scrollTo(0, 0);
  }
  function fail(err) { view.replaceChildren(h("p", { class: "err", role: "alert" }, err.message)); }
  async function go(screen, replace) {
    if (replace) stack.pop();
    stack.push(screen);
    view.replaceChildren(h("p", { class: "hint card" }, t("ma_loading")));
    try { await screen(); } catch (err) { fail(err); }
  }
  function goBack() { if (stack.length > 1) { stack.pop(); const s = stack.pop(); go(s); } }
  back.addEventListener("click", goBack);

  function telegramScript() {
    if (window.Telegram && window.Telegram.WebApp) return Promise.resolve();
    const tag = document.getElementById("tg-script");
    return new Promise((resolve) => {
      tag.addEventListener("load", resolve);
      tag.addEventListener("error", resolve);
      setTimeout(resolve, 1500);
    });
  }

  const tile = (label, value, alarm) => h("div", { class: "tile" + (alarm ? " alarm" : "") }, h("b", {}, value), h("small", {}, label));
  const bar = (rate) => h("span", { class: "bar" }, h("i", { style: "width:" + (rate || 0) + "%" }));
  const obRow = (label, x) => h("div", { class: "ob" }, h("span", { style: "text-align:left" }, label),
    h("span", { class: "done" }, x.done), h("span", {}, x.due), h("span", { class: "overdue" }, x.overdue));

  function node(areaId, period) {
    return async function screenNode() {
      const d = await api("node", { area: areaId, period: period });
      const periods = ["day", "week", "month"].map((p) => h("button", {
        class: "plain" + (p === period ? " on" : ""), on: { click: () => go(node(d.area.id, p), true) } }, t("ma_period_" + p)));
      const o = d.obligations;
      show(d.area.name,
        h("div", { class: "seg" }, periods),
        h("div", { class: "tiles", id: "tiles" },
          tile(t("ma_people"), d.people.total),
          tile(t("ma_positives"), d.positives, d.positives > 0),
          tile(t("ma_alerts_open"), d.alerts_open, d.alerts_open > 0),
          tile(t("ma_unanswered"), d.unanswered_messages, d.unanswered_messages > 0),
          tile(t("ma_people_overdue"), d.people_overdue, d.people_overdue > 0),
          tile(t("ma_awaiting"), d.reviews.awaiting)),
        h("div", { class: "card", id: "obligations" },
          h("div", { class: "ob hint" }, h("span"), h("span", {}, t("ma_done")), h("span", {}, t("ma_due")), h("span", {}, t("ma_overdue"))),
          obRow(t("ma_meeting"), o.meeting), obRow(t("ma_drug_test"), o.drug_test), obRow(t("ma_others"), o.others)),
        h("h2", {}, t("ma_trend")),
        h("div", { class: "trend", id: "trend" }, d.trend.map((w, i) => h("div", { class: i === d.trend.length - 1 ? "now" : "" },
          pct(w.done_rate), h("i", { style: "height:" + Math.round(0.9 * (w.done_rate || 0)) + "px" }),
          t("ma_week_of", { start: w.start.slice(5) })))),
        h("h2", {}, d.bars_are_workers ? t("ma_bars_workers") : t("ma_children")),
        h("div", { id: "bars" }, d.bars.map((b) => h("div", {
          class: "row" + (b.kind === "area" || b.kind === "worker" ? " tap" : ""),
          "data-kind": b.kind, "data-id": b.id,
          on: { click: () => b.kind === "area" ? go(node(b.id, period)) : b.kind === "worker" ? go(worker(b.id, d.area.id)) : null } },
          h("span", { class: "name" }, b.kind === "unassigned" ? t("ma_unassigned") : b.kind === "worker" ? b.code + " " + b.name : b.name),
          bar(b.rate), h("span", {}, pct(b.rate))))),
        h("h2", {}, t("ma_workers")),
        h("div", { id: "workers" }, d.workers.map((w) => h("div", { class: "row tap", on: { click: () => go(worker(w.id, d.area.id)) } },
          h("span", { class: "name" }, w.code + " " + w.name), h("span", { class: "hint" }, t("ma_records") + " " + w.records),
          h("span", {}, t("ma_on_time") + " " + pct(w.on_time_rate))))),
        h("h2", {}, t("ma_overdue_people")),
        h("div", { id: "overdue" }, d.overdue.length ? d.overdue.map((p) => h("div", { class: "row tap", on: { click: () => go(person(p.person_id)) } },
          h("span", { class: "name" }, p.person_code), h("span", { class: "hint" }, p.worker_code || ""),
          h("span", { class: "overdue" }, t("ma_days_overdue", { n: p.days_overdue })))) : h("p", { class: "hint card" }, t("ma_none"))),
        h("div", { class: "actions card" },
          me.can_review ? h("button", { id: "open-queue", on: { click: () => go(queue({ area: d.area.id })) } }, t("ma_queue_open")) : null,
          h("button", { class: "plain", id: "export", on: { click: () => exportXlsx(d.area.id, period) } }, t("ma_export"))));
    };
  }

  async function exportXlsx(areaId, period) {
    try {
      if (tg && tg.initData) { // inside Telegram: the file comes to the chat, as /export sends it
        await api("export", { area: areaId, period: period, to_chat: true });
        if (tg.showAlert) tg.showAlert(t("ma_export_sent")); else document.getElementById("export").textContent = t("ma_export_sent");
        return;
      }
      const blob = await api("export", { area: areaId, period: period }, true);
      const a = h("a", { href: URL.createObjectURL(blob), download: "gridcare-" + period + ".xlsx" });
      document.body.append(a); a.click(); a.remove();
    } catch (err) { fail(err); }
  }

  function worker(workerId, areaId) {
    return async function screenWorker() {
      const d = await api("worker", { worker: workerId });
      show(d.worker.code + " " + d.worker.name,
        me.can_review ? h("div", { class: "actions card" }, h("button", { id: "worker-queue",
          on: { click: () => go(queue({ area: areaId, worker: workerId })) } }, t("ma_queue_worker"))) : null,
        h("h2", {}, t("ma_worker_overdue")),
        d.overdue.length ? d.overdue.map((i) => h("div", { class: "row tap", on: { click: () => go(person(i.person_id)) } },
          h("span", { class: "name" }, i.person_code), h("span", {}, t("sv_ob_" + i.obligation)),
          h("span", { class: "overdue" }, t("ma_days_overdue", { n: i.days_overdue })))) : h("p", { class: "hint card" }, t("ma_none")));
    };
  }

  function queue(filter) {
    return async function screenQueue() {
      const d = await api("queue", filter);
      const kind = h("select", { id: "q-kind" }, h("option", { value: "" }, t("ma_all_kinds")),
        ["visit", "drug_test", "education", "thought_report", "assessment", "help", "counselling", "registration", "note"]
          .map((k) => h("option", { value: k, selected: filter.kind === k }, t("sv_kind_" + k))));
      const late = h("input", { type: "checkbox", id: "q-late", checked: !!filter.late });
      const sample = h("input", { type: "number", id: "q-sample", min: 0, max: 20, value: filter.sample || 0 });
      const apply = () => go(queue({ area: filter.area, worker: filter.worker, kind: kind.value || null,
        late: late.checked, sample: parseInt(sample.value, 10) || 0 }), true);
      show(t("ma_queue") + " · " + d.area.name,
        h("div", { class: "card" }, kind, h("label", {}, late, t("ma_late_only")),
          h("label", {}, t("ma_sample"), sample), h("button", { id: "q-apply", on: { click: apply } }, t("ma_show"))),
        h("p", { class: "hint card", id: "q-count" }, t("ma_awaiting") + ": " + d.awaiting),
        h("div", { id: "queue" }, d.items.map(reportCard)));
    };
  }

  function reportCard(r) {
    const status = h("span", { class: "saved" });
    const comment = h("textarea", { rows: 2, placeholder: t("ma_comment"), hidden: true });
    const send = async (verdict) => {
      if (verdict === "no" && comment.hidden) { comment.hidden = false; comment.focus(); return; }
      if (verdict === "no" && !comment.value.trim()) { comment.focus(); return; }
      try {
        await api("review", { record: r.id, verdict: verdict, comment: verdict === "no" ? comment.value : null });
        status.textContent = t("ma_saved"); card.querySelectorAll("button").forEach((b) => { b.disabled = true; });
      } catch (err) { status.textContent = err.message; }
    };
    const card = h("div", { class: "card report", "data-record": r.id },
      h("div", {}, h("b", {}, t("sv_kind_" + r.kind)), " · ", h("a", { href: "#", on: { click: (e) => { e.preventDefault(); go(person(r.person_id)); } } }, r.person_code),
        r.late ? h("span", { class: "overdue" }, " · " + t("ma_late")) : null),
      h("div", { class: "hint" }, [r.occurred_at.slice(0, 10), r.author_code, r.subkind && t("sv_val_" + r.subkind),
        r.result && t("sv_val_" + r.result)].filter(Boolean).join(" · ")),
      r.notes ? h("div", { class: "notes" }, r.notes) : null,
      comment,
      h("div", { class: "actions" }, h("button", { class: "ok", on: { click: () => send("ok") } }, t("ma_correct")),
        h("button", { class: "danger", on: { click: () => send("no") } }, t("ma_has_errors")), status));
    return card;
  }

  function person(personId, page) {
    return async function screenPerson() {
      const d = await api("person", { person: personId, page: page || 0 });
      const c = d.card;
      show(c.code + " " + c.name,
        h("div", { class: "card", id: "person" }, h("div", {}, t("colour_" + c.colour), " · ", t("status_" + c.status)), h("div", { class: "hint" }, c.area)),
        h("h2", {}, t("ma_due_now")),
        c.due.length ? c.due.map((x) => h("div", { class: "row" }, h("span", { class: "name" }, t("sv_ob_" + x.obligation)),
          h("span", {}, x.done + "/" + x.required), h("span", { class: x.state === "overdue" ? "overdue" : "hint" }, t("ma_" + x.state)))) : h("p", { class: "hint card" }, t("ma_none")),
        d.events.length ? [h("h2", {}, t("ma_events")), h("div", { id: "events" }, d.events.map((e) => h("div", { class: "row" },
          h("span", {}, e.at.slice(0, 10)),
          h("span", { class: "name" }, e.kind === "case" ? t("cc_kind_" + e.change) : e.kind === "colour" ? (e.colour_from ? t("colour_" + e.colour_from) + " → " : "") + t("colour_" + e.colour_to) : t("ma_alert")),
          h("span", { class: e.kind === "alert" && !e.acknowledged ? "overdue" : "hint" }, e.kind === "case" ? t("ma_case_" + e.state) : e.kind === "alert" ? t(e.acknowledged ? "ma_alert_taken" : "ma_alert_open") : ""))))] : null,
        h("h2", {}, t("ma_records")),
        h("div", { id: "records" }, d.records.map((r) => h("div", { class: "row" + (r.voided ? " voided" : "") },
          h("span", {}, r.occurred_at.slice(0, 10)), h("span", { class: "name" }, t("sv_kind_" + r.kind) + (r.result ? " · " + t("sv_val_" + r.result) : "")),
          h("span", { class: "hint" }, r.voided ? t("ma_voided") : "")))),
        d.page + 1 < d.pages ? h("div", { class: "actions card" }, h("button", { class: "plain", on: { click: () => go(person(personId, d.page + 1)) } }, t("ma_more"))) : null);
    };
  }

  async function start() {
    await telegramScript();
    tg = (window.Telegram && window.Telegram.WebApp) || null;
    initData = (tg && tg.initData) || hash.get("tgWebAppData") || "";
    if (tg && tg.BackButton) tg.BackButton.onClick(goBack);
    theme();
    // Chinese needs the font the page serves (a phone may have none): wait for it, briefly.
    const font = document.fonts.load("16px GridcareCJK", "辖区").catch(() => null);
    await Promise.race([font, new Promise((resolve) => setTimeout(resolve, 3000))]);
    if (tg) { tg.ready(); if (tg.expand) tg.expand(); }
    try {
      me = await api("me", {});
      L = me.labels;
      back.textContent = t("ma_back");
      document.documentElement.lang = me.locale === "en" ? "en" : "zh-CN";
      if (!me.area) throw new Error(L.ma_refused);
      go(node(me.area.id, "day"));
    } catch (err) { fail(err); }
  }
  start();
})();
