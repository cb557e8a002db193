/* The desk beside the served map: the parcel table (filters and sort of GET /parcels, Excel and CSV),
   the indicator dashboard (ECharts, each chart as PNG and its data as Excel), and the editing form for
   signed-in editors (PATCH with If-Match; a conflict shows the other person's change and keeps yours).
   Every text is Chinese with English beside it, shown by the page's language switch (body.lang-en). */
(function () {
  "use strict";
  var desk = window.plannerDesk = window.plannerDesk || {};
  var park = (window.plannerMeta && window.plannerMeta.park) || desk.park;  // the park the page shows
  var STATUSES = {planned: ["规划", "planned"], reserved: ["储备", "reserved"], supplied: ["已供", "supplied"],
    under_construction: ["在建", "under construction"], in_production: ["投产", "in production"]};
  var ITEMS = {road: ["通路", "road"], water: ["通给水", "water"], drainage: ["通排水", "drainage"],
    power: ["通电", "power"], telecom: ["通电信", "telecom"], gas: ["通燃气", "gas"], heat: ["通热力", "heat"],
    leveled: ["场地平整", "site leveled"]};
  var FIELDS = {status: ["供地状态", "supply status"], holder: ["土地使用权人", "holder"],
    contract_date: ["合同签订日期", "contract date"], agreed_start_date: ["约定动工日期", "agreed start"],
    actual_start_date: ["实际动工日期", "actual start"], agreed_completion_date: ["约定竣工日期", "agreed completion"],
    land_price_wan: ["土地价款（万元）", "land price (10,000 yuan)"],
    investment_total_wan: ["总投资额（万元）", "total investment (10,000 yuan)"],
    investment_actual_wan: ["已完成投资额（万元）", "investment made (10,000 yuan)"]};
  Object.keys(ITEMS).forEach(function (k) { FIELDS["declared_" + k] = [ITEMS[k][0] + "（登记）", ITEMS[k][1] + " (declared)"]; });
  var DATES = ["contract_date", "agreed_start_date", "actual_start_date", "agreed_completion_date"];
  var AMOUNTS = ["land_price_wan", "investment_total_wan", "investment_actual_wan"];
  var PAGE = 50;
  var state = {token: sessionStorage.getItem("plannerToken") || "", me: null, offset: 0, sort: "parcel_id",
    matched: 0, rows: [], parcel: null, charts: {}};
  desk.data = {};
  desk.charts = state.charts;

  function en() { return document.body.classList.contains("lang-en"); }
  function esc(v) { return String(v == null ? "" : v).replace(/[&<>"']/g, function (c) {
    return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]; }); }
  function t(zh, english) { return '<span class="zh">' + esc(zh) + '</span><span class="en">' + esc(english) + "</span>"; }
  function pair(p) { return t(p[0], p[1]); }
  function word(p) { return en() ? p[1] : p[0]; }
  function withPark(path) {
    if (!park) { return path; }
    return path + (path.indexOf("?") >= 0 ? "&" : "?") + "park=" + encodeURIComponent(park);
  }
  function api(path, options) {
    options = options || {};
    var headers = Object.assign({}, options.headers || {});
    if (state.token) { headers.Authorization = "Bearer " + state.token; }
    headers["Accept-Language"] = en() ? "en" : "zh-CN";  // the API's refusals in the page's language
    return fetch(withPark(path), Object.assign({}, options, {headers: headers}));
  }
  function errorText(body, status) {
    var e = body && body.error;
    return e ? e.message + (e.field ? " [" + e.field + "]" : "") : "HTTP " + status;
  }
  function $(sel) { return document.querySelector(sel); }
  function fmt(v, digits) {
    if (v == null || v === "") { return ""; }
    if (typeof v === "number") { return v.toLocaleString("zh-CN", {maximumFractionDigits: digits == null ? 2 : digits}); }
    return String(v);
  }

  // --- the frame -----------------------------------------------------------------------------------------------
  function build() {
    var open = document.createElement("button");
    open.id = "desk-open";
    open.innerHTML = t("台账与指标", "Desk");
    document.body.appendChild(open);
    var root = document.createElement("div");
    root.id = "desk";
    root.className = "closed";
    root.innerHTML =
      '<header><span class="tabs">' +
      '<button data-pane="table" class="on">' + t("宗地表", "Parcels") + "</button>" +
      '<button data-pane="dash">' + t("指标", "Indicators") + "</button>" +
      '<button data-pane="parcel">' + t("宗地", "Parcel") + "</button>" +
      '<button data-pane="sign">' + t("登录", "Sign in") + "</button></span>" +
      '<span class="who" id="desk-who"></span><button id="desk-close" title="×">×</button></header>' +
      '<div class="body">' + tablePane() + dashPane() +
      '<div class="pane" id="pane-parcel"><p>' + t("在表中或地图弹窗中选择一宗地。", "Pick a parcel in the table or a map popup.") + "</p></div>" +
      signPane() + "</div>";
    document.body.appendChild(root);
    open.onclick = function () { opened(true); };
    $("#desk-close").onclick = function () { opened(false); };
    root.querySelectorAll("header .tabs button").forEach(function (b) {
      b.onclick = function () { show(b.getAttribute("data-pane")); };
    });
  }
  var tableLoaded = false;
  function opened(yes) {  // the map gives the desk its room, beside it rather than under it
    $("#desk").classList.toggle("closed", !yes);
    if (yes && !tableLoaded) { tableLoaded = true; loadTable(); }
    $("#desk-open").style.display = yes ? "none" : "";
    var map = window.plannerMap;
    if (!map) { return; }
    var box = map.getContainer();
    box.style.width = yes ? "calc(100% - " + $("#desk").offsetWidth + "px)" : "";
    map.invalidateSize();
  }
  function show(name) {
    if ($("#desk").classList.contains("closed")) { opened(true); }
    document.querySelectorAll("#desk header .tabs button").forEach(function (b) {
      b.classList.toggle("on", b.getAttribute("data-pane") === name);
    });
    document.querySelectorAll("#desk .pane").forEach(function (p) { p.classList.toggle("on", p.id === "pane-" + name); });
    if (name === "dash") { loadDashboard(); }
  }
  desk.show = show;

  // --- signing in ----------------------------------------------------------------------------------------------
  function signPane() {
    return '<div class="pane" id="pane-sign"><form id="desk-sign"><label>' + t("令牌", "Token") +
      ' <input type="password" id="desk-token" autocomplete="off" size="32"></label> ' +
      '<button type="submit">' + t("登录", "Sign in") + '</button> <button type="button" id="desk-signout">' +
      t("退出", "Sign out") + '</button></form><p id="desk-sign-msg"></p></div>';
  }
  function signIn(token) {
    state.token = token;
    if (!token) { state.me = null; sessionStorage.removeItem("plannerToken"); return Promise.resolve(whoChanged()); }
    return api("me").then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) {
          state.token = ""; state.me = null; sessionStorage.removeItem("plannerToken");
          $("#desk-sign-msg").innerHTML = '<span class="error">' + esc(errorText(body, r.status)) + "</span>";
        } else {
          state.me = body; sessionStorage.setItem("plannerToken", token);
          $("#desk-sign-msg").innerHTML = '<span class="ok">' + t("已登录：", "Signed in: ") + esc(body.user) + "</span>";
        }
        whoChanged();
      });
    });
  }
  function whoChanged() {
    var me = state.me;
    $("#desk-who").innerHTML = me ? esc(me.user) + " · " + (me.may_edit ? t("编辑", "editor") : t("查看", "viewer")) :
      t("未登录（只读）", "not signed in (read only)");
    if (state.parcel) { renderParcel(); }
  }
  function bindSign() {
    $("#desk-sign").onsubmit = function (e) { e.preventDefault(); signIn($("#desk-token").value.trim()); };
    $("#desk-signout").onclick = function () { signIn(""); $("#desk-sign-msg").textContent = ""; };
  }
  desk.signIn = signIn;

  // --- the parcel table ----------------------------------------------------------------------------------------
  function tablePane() {
    var options = '<option value="">全部 / all</option>';
    var status = options + Object.keys(STATUSES).map(function (k) {
      return '<option value="' + k + '">' + STATUSES[k][0] + " / " + STATUSES[k][1] + "</option>"; }).join("");
    var yesNo = function (yes, no) { return options + '<option value="true">' + yes + '</option><option value="false">' + no + "</option>"; };
    return '<div class="pane on" id="pane-table"><form class="filters" id="desk-filters">' +
      "<label>" + t("供地状态", "status") + '<select name="status">' + status + "</select></label>" +
      "<label>" + t("熟地", "ready") + '<select name="ready">' + yesNo("熟地 ready", "生地 raw") + "</select></label>" +
      "<label>" + t("闲置", "idle") + '<select name="idle">' + yesNo("闲置 idle", "非闲置 not idle") + "</select></label>" +
      "<label>" + t("行业代码", "industry") + '<input name="industry" maxlength="8" placeholder="C36"></label>' +
      "<label>" + t("最小面积（亩）", "min area (mu)") + '<input name="min_area_mu" type="number" min="0" step="any"></label>' +
      "<label>" + t("最大面积（亩）", "max area (mu)") + '<input name="max_area_mu" type="number" min="0" step="any"></label>' +
      "<label>" + t("用地分类", "land use") + '<input name="land_use" maxlength="20" placeholder="1001"></label>' +
      '<label class="view"><span><input type="checkbox" name="view_only"> ' + t("仅地图范围", "map view only") + "</span>" +
      '<button type="submit">' + t("查询", "Filter") + "</button></label></form>" +
      '<div class="bar"><span id="desk-count"></span><button id="desk-prev">‹</button><button id="desk-next">›</button>' +
      '<button id="desk-xlsx">' + t("导出 Excel", "Excel") + '</button><button id="desk-csv">' + t("导出 CSV", "CSV") +
      '</button><span id="desk-table-msg" class="error"></span></div>' +
      '<table class="parcels" id="desk-table"><thead><tr>' +
      head("parcel_id", "宗地代码", "parcel id") + head("name", "地块名称", "name") + "<th>" + t("使用权人", "holder") + "</th>" +
      head("status", "供地状态", "status") + head("area_mu", "面积（亩）", "area (mu)") + "<th>" + t("熟地", "ready") + "</th>" +
      head("updated_at", "更新", "updated") + "</tr></thead><tbody></tbody></table></div>";
  }
  function head(key, zh, english) { return '<th data-sort="' + key + '">' + t(zh, english) + "</th>"; }
  function filterQuery() {
    var params = new URLSearchParams();
    new FormData($("#desk-filters")).forEach(function (v, k) {
      if (k !== "view_only" && String(v).trim() !== "") { params.set(k, String(v).trim()); }
    });
    var map = window.plannerMap;
    if (map && $("#desk-filters").elements.view_only.checked) {  // the map's view as the bbox of GET /parcels
      var b = map.getBounds();
      params.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(","));
    }
    params.set("sort", state.sort);
    return params;
  }
  function loadTable() {
    var params = filterQuery();
    params.set("limit", PAGE);
    params.set("offset", state.offset);
    return api("parcels?" + params).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) { $("#desk-table-msg").textContent = errorText(body, r.status); return; }
        $("#desk-table-msg").textContent = "";
        state.matched = body.numberMatched;
        state.rows = body.features.map(function (f) { return f.properties; });
        renderTable();
      });
    });
  }
  function renderTable() {
    var body = state.rows.map(function (p) {
      return '<tr data-id="' + esc(p.parcel_id) + '"><td>' + esc(p.parcel_id) + "</td><td>" + esc(p.name) + "</td><td>" +
        esc(p.holder) + '</td><td class="status">' + (STATUSES[p.status] ? pair(STATUSES[p.status]) : esc(p.status)) +
        '</td><td class="num">' + fmt(p.area_mu, 1) + "</td><td>" +
        (p.ready == null ? "" : p.ready ? t("熟地", "ready") : t("生地", "raw")) + "</td><td>" +
        esc(p.updated_by || "") + " v" + esc(p.version) + "</td></tr>";
    }).join("");
    $("#desk-table tbody").innerHTML = body;
    var last = Math.min(state.offset + PAGE, state.matched);
    $("#desk-count").innerHTML = t("共 " + state.matched + " 宗，第 " + (state.matched ? state.offset + 1 : 0) + "–" + last + " 宗",
      state.matched + " parcels, " + (state.matched ? state.offset + 1 : 0) + "–" + last);
    document.querySelectorAll("#desk-table tbody tr").forEach(function (tr) {
      tr.onclick = function () { openParcel(tr.getAttribute("data-id")); };
    });
  }
  function download(path, fallbackName, options) {
    return api(path, options).then(function (r) {
      if (!r.ok) { return r.json().then(function (b) { $("#desk-table-msg").textContent = errorText(b, r.status); }); }
      var name = fallbackName;
      var cd = r.headers.get("Content-Disposition") || "";
      var m = /filename\*=UTF-8''([^;]+)/.exec(cd);
      if (m) { name = decodeURIComponent(m[1]); }
      return r.blob().then(function (blob) { save(blob, name); });
    });
  }
  function save(blob, name) {
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }
  function bindTable() {
    $("#desk-filters").onsubmit = function (e) { e.preventDefault(); state.offset = 0; loadTable(); };
    $("#desk-prev").onclick = function () { state.offset = Math.max(0, state.offset - PAGE); loadTable(); };
    $("#desk-next").onclick = function () { if (state.offset + PAGE < state.matched) { state.offset += PAGE; loadTable(); } };
    document.querySelectorAll("#desk-table th[data-sort]").forEach(function (th) {
      th.onclick = function () {
        var key = th.getAttribute("data-sort");
        state.sort = state.sort === key ? "-" + key : key;
        state.offset = 0;
        loadTable();
      };
    });
    $("#desk-xlsx").onclick = function () {
      var q = filterQuery(); q.set("lang", en() ? "en" : "zh");
      download("parcels.xlsx?" + q, "parcels.xlsx");
    };
    $("#desk-csv").onclick = function () {
      var q = filterQuery(); q.set("lang", en() ? "en" : "zh");
      download("parcels.csv?" + q, "parcels.csv");
    };
  }
  desk.loadTable = loadTable;

  // --- one parcel: its record, history and (for editors) the form ----------------------------------------------
  function openParcel(id) {
    show("parcel");
    return Promise.all([api("parcels/" + encodeURIComponent(id)), api("parcels/" + encodeURIComponent(id) + "/history")])
      .then(function (rs) {
        return Promise.all([rs[0].json(), rs[1].json()]).then(function (bodies) {
          if (!rs[0].ok) { $("#pane-parcel").innerHTML = '<p class="error">' + esc(errorText(bodies[0], rs[0].status)) + "</p>"; return; }
          var mine = state.parcel && state.parcel.id === id ? state.parcel.mine : null;
          state.parcel = {id: id, props: bodies[0].properties, version: bodies[0].properties.version,
            history: (bodies[1].history || []), mine: mine, conflict: state.parcel && state.parcel.id === id ? state.parcel.conflict : null};
          renderParcel();
        });
      });
  }
  desk.openParcel = openParcel;
  function shown(key, value) {
    if (value == null || value === "") { return "—"; }
    if (key === "status" && STATUSES[value]) { return pair(STATUSES[value]); }
    if (value === true) { return t("是", "yes"); }
    if (value === false) { return t("否", "no"); }
    return esc(typeof value === "number" ? fmt(value) : value);
  }
  function when(iso) { return esc(String(iso || "").replace("T", " ").slice(0, 16)) + (iso ? " UTC" : ""); }
  function renderParcel() {
    var s = state.parcel;
    var p = s.props;
    var html = "<h3>" + esc(p.parcel_id) + " " + esc(p.name || "") + "</h3>";
    if (s.conflict) { html += s.conflict; }
    html += '<dl class="record">' + Object.keys(FIELDS).map(function (k) {
      return "<dt>" + pair(FIELDS[k]) + '</dt><dd data-field="' + k + '">' + shown(k, p[k]) + "</dd>";
    }).join("") + "<dt>" + t("版本", "version") + "</dt><dd>" + esc(p.version) + " · " + esc(p.updated_by || "") + "</dd></dl>";
    if (state.me && state.me.may_edit) { html += editForm(p); }
    html += "<h4>" + t("变更记录", "History") + '</h4><ol class="history" id="desk-history">' + s.history.slice().reverse().map(function (h) {
      var changes = Object.keys(h.changes || {}).filter(function (k) { return k !== "version" && k !== "updated_at" && k !== "updated_by"; })
        .map(function (k) { var c = h.changes[k]; return esc(k) + ": " + esc(Array.isArray(c) ? c[0] : "") + " → " + esc(Array.isArray(c) ? c[1] : c); });
      return "<li>" + when(h.changed_at) + " · " + esc(h.changed_by) + " · v" + esc(h.version) + " · " + changes.join("; ") + "</li>";
    }).join("") + "</ol>";
    $("#pane-parcel").innerHTML = html;
    var form = $("#desk-edit");
    if (form) {
      if (s.mine) { fillMine(form, s.mine); }
      form.onsubmit = function (e) { e.preventDefault(); submitEdit(form); };
    }
  }
  function editForm(p) {
    var status = Object.keys(STATUSES).map(function (k) {
      return '<option value="' + k + '"' + (p.status === k ? " selected" : "") + ">" + STATUSES[k][0] + " / " + STATUSES[k][1] + "</option>"; }).join("");
    var html = '<form class="edit" id="desk-edit"><label>' + pair(FIELDS.status) + '<select name="status">' + status + "</select></label>" +
      "<label>" + pair(FIELDS.holder) + '<input name="holder" maxlength="200" value="' + esc(p.holder || "") + '"></label>';
    DATES.forEach(function (k) { html += "<label>" + pair(FIELDS[k]) + '<input type="date" name="' + k + '" value="' + esc(p[k] || "") + '"></label>'; });
    AMOUNTS.forEach(function (k) { html += "<label>" + pair(FIELDS[k]) + '<input type="number" step="any" min="0" name="' + k + '" value="' + (p[k] == null ? "" : p[k]) + '"></label>'; });
    html += "<fieldset><legend>" + t("七通一平（登记）", "declared 七通一平") + "</legend>" + Object.keys(ITEMS).map(function (k) {
      return '<label><input type="checkbox" name="declared_' + k + '"' + (p["declared_" + k] ? " checked" : "") + ">" + pair(ITEMS[k]) + "</label>";
    }).join("") + "</fieldset>" +
      '<div><button type="submit" id="desk-save">' + t("保存", "Save") + '</button> <span id="desk-edit-msg"></span></div></form>';
    return html;
  }
  function formValues(form) {
    var out = {};
    Object.keys(FIELDS).forEach(function (k) {
      var el = form.elements[k];
      if (!el) { return; }
      if (el.type === "checkbox") { out[k] = el.checked; }
      else if (el.type === "number") { out[k] = el.value === "" ? null : Number(el.value); }
      else { out[k] = el.value === "" ? null : el.value; }
    });
    return out;
  }
  function fillMine(form, mine) {
    Object.keys(mine.values).forEach(function (k) {
      var el = form.elements[k];
      if (!el) { return; }
      if (el.type === "checkbox") { el.checked = !!mine.values[k]; } else { el.value = mine.values[k] == null ? "" : mine.values[k]; }
    });
  }
  function changedFrom(base, values) {
    var out = {};
    Object.keys(values).forEach(function (k) {
      var before = base[k] == null ? null : base[k];
      if (typeof values[k] === "boolean") { before = !!before; }
      if (values[k] !== before) { out[k] = values[k]; }
    });
    return out;
  }
  function submitEdit(form) {
    var s = state.parcel;
    var base = s.props;  // after a conflict: the latest version, the form showing it with my changes laid over it
    var values = formValues(form);
    var changes = changedFrom(base, values);
    if (!Object.keys(changes).length) { $("#desk-edit-msg").innerHTML = t("没有修改。", "Nothing changed."); return Promise.resolve(); }
    return api("parcels/" + encodeURIComponent(s.id), {method: "PATCH", body: JSON.stringify(changes),
      headers: {"Content-Type": "application/json", "If-Match": '"' + s.version + '"'}}).then(function (r) {
      return r.json().then(function (body) {
        if (r.status === 409) { return showConflict(changes); }
        if (!r.ok) { $("#desk-edit-msg").innerHTML = '<span class="error">' + esc(errorText(body, r.status)) + "</span>"; return; }
        state.parcel.mine = null;
        state.parcel.conflict = '<p class="ok" id="desk-saved">' + t("已保存，版本 " + body.properties.version, "Saved, version " + body.properties.version) + "</p>";
        return Promise.all([openParcel(s.id), loadTable(), refreshDashboard(), refreshMap(s.id, body.properties)]);
      });
    });
  }
  function showConflict(changes) {
    var s = state.parcel;
    return openParcel(s.id).then(function () {
      var theirs = state.parcel.history.filter(function (h) { return h.version > s.version; });
      var lines = [];
      theirs.forEach(function (h) {
        Object.keys(h.changes || {}).forEach(function (k) {
          if (k === "version" || k === "updated_at" || k === "updated_by") { return; }
          var c = h.changes[k];
          lines.push("<li>" + esc(h.changed_by) + " · " + when(h.changed_at) + " · " + (FIELDS[k] ? pair(FIELDS[k]) : esc(k)) + ": " +
            shown(k, Array.isArray(c) ? c[0] : null) + " → <b>" + shown(k, Array.isArray(c) ? c[1] : c) + "</b></li>");
        });
      });
      var yours = Object.keys(changes).map(function (k) { return "<li>" + (FIELDS[k] ? pair(FIELDS[k]) : esc(k)) + ": <b>" + shown(k, changes[k]) + "</b></li>"; });
      state.parcel.mine = {values: changes};  // only my changes, laid over their version in the form
      state.parcel.conflict = '<div class="conflict" id="desk-conflict"><b>' +
        t("保存未成功：您编辑期间，他人已修改此宗地。", "Not saved: someone else changed this parcel while you were editing.") +
        "</b><p>" + t("对方的修改（已保存）：", "Their change (saved):") + "</p><ul>" + lines.join("") + "</ul><p>" +
        t("您的修改（未保存，仍在表单中）：", "Your change (not saved, still in the form):") + "</p><ul>" + yours.join("") + "</ul><p>" +
        t("表单已是最新版本并保留了您的修改；核对后再次点“保存”，只提交您改动的字段。",
          "The form shows the latest version with your change kept; check, then press Save again: only your fields are sent.") +
        "</p></div>";
      renderParcel();
    });
  }

  // --- the map: a popup opens the parcel in the desk; an edit shows on the map ---------------------------------
  var CODE = /[0-9]{12}[A-Z]{2}[0-9]{5}/;
  function bindMap() {
    var map = window.plannerMap;
    if (!map) { return; }
    map.on("popupopen", function (e) {
      var source = e.popup._source;
      var props = source && source.feature && source.feature.properties;
      var id = props && props.parcel_id;
      var el = e.popup.getElement();
      if (!id && el) { var m = CODE.exec(el.textContent || ""); id = m && m[0]; }
      if (!id || !el) { return; }
      var content = el.querySelector(".leaflet-popup-content");
      if (!content || content.querySelector(".desk-open-parcel")) { return; }
      var b = document.createElement("button");
      b.className = "desk-open-parcel";
      b.innerHTML = state.me && state.me.may_edit ? t("编辑与记录", "Edit and history") : t("台账与记录", "Record and history");
      b.onclick = function () { openParcel(id); };
      content.appendChild(b);
    });
  }
  function refreshMap(id, props) {  // the parcel as saved, redrawn on the map: its colour, details and popup
    var layers = window.plannerLayers || {};
    var map = window.plannerMap;
    if (map) { map.closePopup(); }
    var parcels = window.plannerParcels || [];
    var k = -1;
    for (var i = 0; i < parcels.length; i++) { if (parcels[i].p === id) { k = i; break; } }
    var fill = window.plannerReadinessColor ? window.plannerReadinessColor(props.ready, props.missing) : null;
    if (k >= 0 && window.plannerFeatureQuery) {  // the page's one copy of its details: every layer's popup reads it
      var before = parcels[k];  // changed in place: each layer's popup holds this very object
      Object.assign(before, window.plannerFeatureQuery(props, {eval_class: props.eval_class || before.ec}));
    }
    Object.keys(layers).forEach(function (name) {
      var layer = layers[name];
      if (!layer) { return; }
      if (layer.plannerKind && layer.redraw) { layer.redraw(); return; }  // vector tiles: drawn again, as stored now
      if (!layer.eachLayer) { return; }
      layer.eachLayer(function (l) {
        var f = l.feature;
        var mine = f && f.properties && ((k >= 0 && f.properties.qi === k) || f.properties.parcel_id === id);
        if (!mine) { return; }
        if (name === "parcels" && fill && l.setStyle) { f.properties.fill = fill; l.setStyle({fillColor: fill}); }
        if (f.properties.qi === undefined) {
          Object.keys(props).forEach(function (key) { if (key !== "popup") { f.properties[key] = props[key]; } });
          if (l.getPopup && l.getPopup() && typeof l.getPopup().getContent() === "string") {
            l.setPopupContent(function () { return parcelPopup(f.properties); });
          }
        }
      });
    });
    desk.mapChanged = {id: id, fill: fill, at: Date.now()};
    return Promise.resolve();
  }
  function parcelPopup(p) {  // after an edit: the record as it is now (the page's own popup returns on reload)
    return "<b>" + esc(p.parcel_id) + "</b> " + esc(p.name || "") + "<br>" + pair(FIELDS.status) + "：" + shown("status", p.status) +
      "<br>" + pair(FIELDS.holder) + "：" + shown("holder", p.holder) + stage(p.disposal_stage) +
      "<br>" + t("版本", "version") + " " + esc(p.version);
  }
  function stage(code) {  // where an idle parcel stands in the procedure (闲置土地处置办法 arts. 5–14)
    if (!code) { return ""; }
    var words = ((window.plannerDict || {}).stages || {})[code] || [code, code];
    return "<br>" + t("处置阶段", "disposal stage") + "：" + pair(words);
  }

  // --- the dashboard --------------------------------------------------------------------------------------------
  var CHARTS = [
    ["status", "供地状态", "supply status"], ["indicators", "土地指标与全国2019（全国=100）", "land indicators vs national 2019 (national = 100)"],
    ["classes", "亩均评价分类", "per-mu evaluation classes"], ["idle", "闲置土地与闲置费", "idle land and its fees"],
    ["bands", "熟地按面积分档", "ready land by size band"], ["sources", "源点容量使用率", "source capacity used"]];
  function dashPane() {
    return '<div class="pane" id="pane-dash"><p id="desk-dash-msg" class="error"></p>' + CHARTS.map(function (c) {
      return '<div class="chart" id="chart-' + c[0] + '"><h4>' + t(c[1], c[2]) + '</h4><div class="plot"></div><div class="bar">' +
        '<button data-png="' + c[0] + '">' + t("下载图片 PNG", "PNG") + '</button><button data-xlsx="' + c[0] + '">' +
        t("下载数据 Excel", "Data as Excel") + '</button><span class="note"></span></div></div>';
    }).join("") + "</div>";
  }
  var loaded = false;
  var charting = null;
  function echartsReady() {  // ECharts (1 MB) is fetched the first time the dashboard opens, from this server
    if (window.echarts) { return Promise.resolve(); }
    if (!charting) {
      charting = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = "assets/echarts.min.js";
        script.onload = resolve;
        script.onerror = function () { charting = null; reject(new Error("assets/echarts.min.js")); };
        document.head.appendChild(script);
      });
    }
    return charting;
  }
  function loadDashboard() {
    if (loaded) { return Promise.resolve(); }
    return echartsReady().then(function () { loaded = true; return refreshDashboard(); }, function (e) {
      $("#desk-dash-msg").textContent = (en() ? "cannot load " : "无法加载 ") + e.message;
    });
  }
  function getJSON(path) {
    return api(path).then(function (r) { return r.json().then(function (b) { return {ok: r.ok, status: r.status, body: b}; }); });
  }
  function refreshDashboard() {
    if (!loaded || !window.echarts) { return Promise.resolve(); }
    return Promise.all([getJSON("stats"), getJSON("idle"), getJSON("parcels?ready=true&limit=1000"), getJSON("infra/sources")])
      .then(function (got) {
        var stats = got[0].body;
        if (!got[0].ok) { $("#desk-dash-msg").textContent = errorText(stats, got[0].status); return; }
        statusChart(stats); indicatorChart(stats); classChart(stats);
        idleChart(got[1]); bandChart(got[2]); sourceChart(got[3]);
        desk.dashboardAt = Date.now();
      });
  }
  desk.refreshDashboard = refreshDashboard;
  function chart(key) {
    if (!state.charts[key]) { state.charts[key] = window.echarts.init($("#chart-" + key + " .plot"), null, {renderer: "canvas"}); }
    return state.charts[key];
  }
  function note(key, text) { $("#chart-" + key + " .note").innerHTML = text || ""; }
  function bars(key, categories, series, extra) {
    chart(key).setOption(Object.assign({animation: false, tooltip: {trigger: "axis"}, legend: {top: 0},
      grid: {left: 60, right: 40, top: 30, bottom: 70}, xAxis: {type: "category", data: categories, axisLabel: {rotate: 30, fontSize: 10}},
      yAxis: {type: "value"}, series: series.map(function (s) { return Object.assign({type: "bar"}, s); })}, extra || {}), true);
  }
  function statusChart(stats) {
    var keys = Object.keys(STATUSES);
    var rows = keys.map(function (k) { return [word(STATUSES[k]), stats.status[k].count]; });
    desk.data.status = {columns: [en() ? "status" : "供地状态", en() ? "parcels" : "宗数"], rows: rows};
    bars("status", rows.map(function (r) { return r[0]; }), [{name: en() ? "parcels" : "宗数", data: rows.map(function (r) { return r[1]; })}]);
  }
  function indicatorChart(stats) {
    var rows = stats.indicators.filter(function (i) { return i.value != null && i.national_2019; }).map(function (i) {
      return [en() ? i.label_en : i.label, i.value, i.national_2019, Math.round(i.value / i.national_2019 * 1000) / 10];
    });
    desk.data.indicators = {columns: en() ? ["indicator", "park", "national 2019", "park / national (%)"] : ["指标", "本园区", "全国2019", "本园区/全国（%）"], rows: rows};
    var names = rows.map(function (r) { return r[0]; }).reverse();
    chart("indicators").setOption({animation: false, tooltip: {trigger: "axis"}, grid: {left: 210, right: 50, top: 10, bottom: 24},
      yAxis: {type: "category", data: names, axisLabel: {fontSize: 10, width: 200, overflow: "truncate"}}, xAxis: {type: "value"},
      series: [{type: "bar", name: desk.data.indicators.columns[3], data: rows.map(function (r) { return r[3]; }).reverse(),
        label: {show: true, position: "right", fontSize: 10},
        markLine: {symbol: "none", data: [{xAxis: 100}], label: {formatter: en() ? "national" : "全国"}}}]}, true);
  }
  function classChart(stats) {
    var counts = stats.evaluation || {};
    var rows = Object.keys(counts).sort().map(function (k) { return [k + (en() ? " class" : "类"), counts[k]]; });
    desk.data.classes = {columns: [en() ? "class" : "分类", en() ? "enterprises" : "企业数"], rows: rows};
    chart("classes").setOption({animation: false, tooltip: {}, legend: {bottom: 0},
      series: [{type: "pie", radius: ["30%", "65%"], label: {formatter: "{b}: {c}"}, data: rows.map(function (r) { return {name: r[0], value: r[1]}; })}]}, true);
  }
  function idleChart(got) {
    if (!got.ok) { note("idle", '<span class="error">' + esc(errorText(got.body, got.status)) + "</span>"); desk.data.idle = {columns: [], rows: []}; return; }
    var by = {};
    got.body.features.forEach(function (f) {
      var p = f.properties;
      var k = p.disposal_stage_zh || (en() ? "none" : "未定");
      by[k] = by[k] || [0, 0, 0];
      by[k][0] += p.area_mu || 0; by[k][1] += p.idle_fee_wan || 0; by[k][2] += p.idle_fee_paid_wan || 0;
    });
    var rows = Object.keys(by).map(function (k) { return [k, round(by[k][0]), round(by[k][1]), round(by[k][2])]; });
    desk.data.idle = {columns: en() ? ["disposal stage", "area (mu)", "fee owed (10,000 yuan)", "fee paid (10,000 yuan)"] :
      ["处置阶段", "面积（亩）", "闲置费（万元）", "已缴（万元）"], rows: rows};
    note("idle", t("闲置 " + got.body.numberMatched + " 宗，" + got.body.area_mu + " 亩，闲置费 " + got.body.idle_fee_wan + " 万元",
      got.body.numberMatched + " idle, " + got.body.area_mu + " mu, fees " + got.body.idle_fee_wan + " (10,000 yuan)"));
    bars("idle", rows.map(function (r) { return r[0]; }), [1, 2, 3].map(function (j) { return {name: desk.data.idle.columns[j], data: rows.map(function (r) { return r[j]; })}; }));
  }
  function round(v) { return Math.round(v * 100) / 100; }
  var BANDS = [[0, 30, "<30"], [30, 50, "30–50"], [50, 100, "50–100"], [100, 200, "100–200"], [200, Infinity, "≥200"]];
  function bandChart(got) {
    if (!got.ok) { note("bands", '<span class="error">' + esc(errorText(got.body, got.status)) + "</span>"); desk.data.bands = {columns: [], rows: []}; return; }
    var rows = BANDS.map(function (b) {
      var inside = got.body.features.filter(function (f) { var a = f.properties.area_mu; return a >= b[0] && a < b[1]; });
      return [b[2] + (en() ? " mu" : " 亩"), inside.length, round(inside.reduce(function (s, f) { return s + f.properties.area_mu; }, 0))];
    });
    desk.data.bands = {columns: en() ? ["size band", "parcels", "area (mu)"] : ["面积分档", "宗数", "面积（亩）"], rows: rows};
    bars("bands", rows.map(function (r) { return r[0]; }), [{name: desk.data.bands.columns[1], data: rows.map(function (r) { return r[1]; })},
      {name: desk.data.bands.columns[2], data: rows.map(function (r) { return r[2]; }), yAxisIndex: 1}],
      {yAxis: [{type: "value"}, {type: "value"}]});
  }
  function sourceChart(got) {
    if (!got.ok) { note("sources", '<span class="error">' + esc(errorText(got.body, got.status)) + "</span>"); desk.data.sources = {columns: [], rows: []}; return; }
    var rows = got.body.features.map(function (f) { return f.properties; }).filter(function (p) { return p.capacity; }).map(function (p) {
      return [p.name || p.source_id, p.capacity, round(p.load || 0), p.remaining == null ? null : round(p.remaining), round((p.load || 0) / p.capacity * 100)];
    });
    desk.data.sources = {columns: en() ? ["source", "capacity", "load", "left", "used (%)"] : ["源点", "容量", "负荷", "剩余", "使用率（%）"], rows: rows};
    bars("sources", rows.map(function (r) { return r[0]; }), [{name: desk.data.sources.columns[4], data: rows.map(function (r) { return r[4]; }),
      markLine: {symbol: "none", data: [{yAxis: 100}]}}]);
  }
  function bindDashboard() {
    document.querySelectorAll("#pane-dash button[data-png]").forEach(function (b) {
      b.onclick = function () {
        var key = b.getAttribute("data-png");
        var url = chart(key).getDataURL({type: "png", pixelRatio: 2, backgroundColor: "#fff"});
        fetch(url).then(function (r) { return r.blob(); }).then(function (blob) { save(blob, key + ".png"); });
      };
    });
    document.querySelectorAll("#pane-dash button[data-xlsx]").forEach(function (b) {
      b.onclick = function () {
        var key = b.getAttribute("data-xlsx");
        var c = CHARTS.filter(function (x) { return x[0] === key; })[0];
        var data = desk.data[key] || {columns: [], rows: []};
        var title = en() ? c[2] : c[1];
        download("sheet.xlsx", key + ".xlsx", {method: "POST", headers: {"Content-Type": "application/json"},
          body: JSON.stringify({title: title.slice(0, 100), columns: data.columns.length ? data.columns : ["—"], rows: data.rows,
            notes: [(park || "") + " · " + new Date().toISOString().slice(0, 10)]})});
      };
    });
    document.addEventListener("click", function (e) {  // the page's language switch: charts follow it
      if (e.target && e.target.id === "planner-lang" && loaded) { setTimeout(refreshDashboard, 0); }
    });
  }

  function start() {
    build(); bindSign(); bindTable(); bindDashboard(); bindMap();
    if (state.token) { signIn(state.token); } else { whoChanged(); }
    desk.ready = true;
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
