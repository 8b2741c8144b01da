// The sandbox's citizen Mini Program: each button calls the same /mp/ route
// the real Mini Program calls, and shows WeChat's side (the login code)
// from the sandbox's fake.
"use strict";
(function () {
  var token = "";
  var $ = function (id) { return document.getElementById(id); };
  function show(label, status, body) {
    $("out").textContent = label + " → HTTP " + status + "\n" + JSON.stringify(body, null, 2);
  }
  function call(method, path, body, label) {
    var opts = { method: method, headers: {} };
    if (token) { opts.headers["Authorization"] = "Bearer " + token; }
    if (body instanceof FormData) {
      opts.body = body;
    } else if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        show(label || (method + " " + path), resp.status, data);
        if (!resp.ok) { throw data; }
        return data;
      });
    });
  }
  function li(text, onclick) {
    var item = document.createElement("li");
    var a = document.createElement("a");
    a.href = "#"; a.textContent = text;
    a.addEventListener("click", function (e) { e.preventDefault(); onclick(); });
    item.appendChild(a);
    return item;
  }
  $("login").addEventListener("click", function () {
    var form = new URLSearchParams({ openid: $("openid").value.trim() });
    fetch("/sandbox/mp/code", { method: "POST", body: form }).then(function (r) { return r.json(); }).then(function (got) {
      $("openid").value = got.openid;
      return call("POST", "/mp/login", { code: got.code }, "POST /mp/login（wx.login 的 code：" + got.code + "）");
    }).then(function (s) {
      token = s.token;
      $("who").textContent = "已登录：" + $("openid").value + "（会话至 " + s.expires_at + "）";
    }).catch(function () {});
  });
  $("submit").addEventListener("click", function () {
    var files = Array.prototype.slice.call($("photos").files, 0, 9);
    var ids = [];
    var chain = Promise.resolve();
    files.forEach(function (f) {
      chain = chain.then(function () {
        var form = new FormData();
        form.append("photo", f);
        return call("POST", "/mp/uploads", form).then(function (u) { ids.push(u.id); });
      });
    });
    chain.then(function () {
      var body = { request_id: "web-" + Date.now(), scene: $("scene").value.trim(), text: $("text").value,
        photos: ids, "public": $("public").checked };
      var lat = parseFloat($("lat").value), lng = parseFloat($("lng").value);
      if (!isNaN(lat) && !isNaN(lng)) { body.location = { latitude: lat, longitude: lng, label: $("label").value }; }
      return call("POST", "/mp/cases", body);
    }).then(function (c) { $("number").value = c.number; }).catch(function () {});
  });
  $("mine").addEventListener("click", function () {
    call("GET", "/mp/cases").then(function (got) {
      var list = $("cases");
      list.textContent = "";
      (got.cases || []).forEach(function (c) {
        list.appendChild(li(c.number + " " + (c.status_label || c.status || ""), function () {
          $("number").value = c.number;
          call("GET", "/mp/cases/" + encodeURIComponent(c.number)).catch(function () {});
        }));
      });
    }).catch(function () {});
  });
  $("detail").addEventListener("click", function () {
    call("GET", "/mp/cases/" + encodeURIComponent($("number").value.trim())).catch(function () {});
  });
  $("rate").addEventListener("click", function () {
    call("POST", "/mp/cases/" + encodeURIComponent($("number").value.trim()) + "/rating",
      { verdict: $("verdict").value, comment: $("comment").value }).catch(function () {});
  });
  $("slots").addEventListener("click", function () {
    call("GET", "/mp/stations/" + encodeURIComponent($("station").value.trim()) + "/slots").then(function (got) {
      var list = $("slotlist");
      list.textContent = "";
      (got.slots || []).forEach(function (s) {
        list.appendChild(li("预约 " + s.day + " " + s.starts + "–" + s.ends + "（余" + s.left + "）", function () {
          call("POST", "/mp/bookings", { slot_id: s.id, topic: $("topic").value }).catch(function () {});
        }));
      });
      if (!list.firstChild) { list.textContent = "暂无接待时段：工作人员在控制台的接待登记中发布。"; }
    }).catch(function () {});
  });
  $("bookings").addEventListener("click", function () { call("GET", "/mp/bookings").catch(function () {}); });
}());
