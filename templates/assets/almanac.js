// almanac.js draws the charts of an almanac page and makes its tables
// sortable and filterable. It reads everything from the page's JSON data
// block (#almanac-data); it makes no network request. Host-supplied text
// (series, host, process and mount names) only reaches the page through
// textContent, the canvas, or esc().
(function () {
  'use strict';

  var data = { tz: '', charts: [] };
  var block = document.getElementById('almanac-data');
  if (block) {
    try { data = JSON.parse(block.textContent); } catch (e) { data = { tz: '', charts: [] }; }
  }
  var tz = data.tz || undefined;

  function esc(s) {
    return String(s).replace(/[&<>"'`=\/]/g, function (c) {
      return '&#' + c.charCodeAt(0) + ';';
    });
  }

  function fmtter(opts) {
    if (tz) { opts.timeZone = tz; }
    try { return new Intl.DateTimeFormat(undefined, opts); } catch (e) {
      delete opts.timeZone;
      return new Intl.DateTimeFormat(undefined, opts);
    }
  }
  var full = fmtter({ year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZoneName: 'short' });
  var dayHour = fmtter({ month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
  var hourOnly = fmtter({ hour: '2-digit', minute: '2-digit', hour12: false });

  // Times written by the server (UTC or --tz) are shown in the viewer's zone.
  var times = document.querySelectorAll('time[datetime]');
  for (var i = 0; i < times.length; i++) {
    var ms = Date.parse(times[i].getAttribute('datetime'));
    if (!isNaN(ms)) { times[i].textContent = full.format(new Date(ms)); }
  }

  var IEC = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  function round(v) {
    var a = Math.abs(v);
    if (a >= 100) { return v.toFixed(0); }
    if (a >= 10) { return v.toFixed(1); }
    return v.toFixed(2);
  }
  function fmtVal(v, unit) {
    if (v === null || v === undefined || v === '-' || isNaN(v)) { return '–'; }
    if (unit === 'B' || unit === 'B/s') {
      var i = 0;
      while (Math.abs(v) >= 1024 && i < IEC.length - 1) { v /= 1024; i++; }
      return round(v) + ' ' + IEC[i] + (unit === 'B/s' ? '/s' : '');
    }
    var s;
    if (Math.abs(v) >= 1e6) { s = round(v / 1e6) + ' M'; }
    else if (Math.abs(v) >= 1e4) { s = round(v / 1e3) + ' k'; }
    else { s = round(v); }
    if (!unit) { return s; }
    return s + (unit === '%' ? ' %' : ' ' + unit);
  }

  function spanMs(opt) {
    var x = opt.xAxis || {};
    if (typeof x.min === 'number' && typeof x.max === 'number') { return x.max - x.min; }
    return 86400000;
  }
  function timeLabel(v, span) {
    var d = new Date(Number(v));
    return span > 2 * 86400000 ? dayHour.format(d) : hourOnly.format(d);
  }

  function decorate(opt, c) {
    var unit = c.unit;
    if (c.kind === 'line') {
      var span = spanMs(opt);
      opt.yAxis.axisLabel = { formatter: function (v) { return fmtVal(v, unit); } };
      if (tz) {
        opt.xAxis.axisLabel = { formatter: function (v) { return timeLabel(v, span); }, hideOverlap: true };
      }
      opt.tooltip.formatter = function (ps) {
        if (!ps || !ps.length) { return ''; }
        var out = esc(full.format(new Date(ps[0].value[0])));
        for (var i = 0; i < ps.length; i++) {
          var p = ps[i];
          var v = p.value[p.encode.y[0]];
          out += '<br>' + p.marker + esc(p.seriesName) + ': <b>' + esc(fmtVal(v, unit)) + '</b>';
        }
        return out;
      };
    } else if (c.kind === 'heatmap') {
      var xs = opt.xAxis.data;
      var hspan = xs.length > 1 ? xs[xs.length - 1] - xs[0] : 86400000;
      opt.xAxis.axisLabel = { formatter: function (v) { return timeLabel(v, hspan); } };
      var ys = opt.yAxis.data;
      opt.tooltip.formatter = function (p) {
        return esc(ys[p.value[1]]) + '<br>' + esc(full.format(new Date(Number(xs[p.value[0]])))) +
          ': <b>' + esc(fmtVal(p.value[2], unit)) + '</b>';
      };
    } else if (c.kind === 'calendar') {
      opt.tooltip.formatter = function (p) {
        return esc(p.value[0]) + ': <b>' + esc(fmtVal(p.value[1], unit)) + '</b> up';
      };
    }
    return opt;
  }

  // A chart that opens zoomed on its data (it covers a small part of the
  // range) gets a button that shows the whole range.
  function wholeRange(el, chart, opt) {
    var z = opt.dataZoom && opt.dataZoom[0];
    if (!z || z.startValue === undefined) { return; }
    var cap = el.parentNode && el.parentNode.querySelector('figcaption');
    if (!cap) { return; }
    var btn = cap.querySelector('button.whole');
    if (!btn) {
      btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'whole';
      btn.textContent = 'Whole range';
      btn.title = 'The data covers a small part of the range: show all of it';
      cap.appendChild(btn);
    }
    btn.onclick = function () { chart.dispatchAction({ type: 'dataZoom', start: 0, end: 100 }); };
  }

  var dark = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  var instances = [];
  function draw() {
    if (typeof echarts === 'undefined') { return; }
    for (var i = 0; i < instances.length; i++) { instances[i].dispose(); }
    instances = [];
    var theme = dark && dark.matches ? 'dark' : null;
    for (var j = 0; j < data.charts.length; j++) {
      var c = data.charts[j];
      var el = document.getElementById(c.id);
      if (!el) { continue; }
      if (c.kind === 'heatmap') {
        el.style.height = Math.max(160, 90 + 16 * c.option.yAxis.data.length) + 'px';
      }
      var chart = echarts.init(el, theme, { renderer: 'canvas' });
      var opt = decorate(JSON.parse(JSON.stringify(c.option)), c);
      opt.backgroundColor = 'transparent';
      chart.setOption(opt);
      instances.push(chart);
      wholeRange(el, chart, opt);
    }
  }
  draw();
  if (dark) {
    if (dark.addEventListener) { dark.addEventListener('change', draw); } else if (dark.addListener) { dark.addListener(draw); }
  }
  var resizing = null;
  window.addEventListener('resize', function () {
    if (resizing) { clearTimeout(resizing); }
    resizing = setTimeout(function () {
      for (var i = 0; i < instances.length; i++) { instances[i].resize(); }
    }, 100);
  });

  // Sortable tables: click a column title with a data-type.
  var tables = document.querySelectorAll('table.sortable');
  for (var t = 0; t < tables.length; t++) { sortable(tables[t]); }
  function sortable(table) {
    var ths = table.querySelectorAll('thead th');
    for (var k = 0; k < ths.length; k++) {
      (function (th, col) {
        var type = th.getAttribute('data-type');
        if (!type) { return; }
        th.classList.add('sort');
        th.tabIndex = 0;
        var dir = 1;
        function run() {
          var body = table.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows);
          rows.sort(function (a, b) {
            var x = a.cells[col].getAttribute('data-v') || a.cells[col].textContent;
            var y = b.cells[col].getAttribute('data-v') || b.cells[col].textContent;
            if (type === 'num') { return dir * ((parseFloat(x) || 0) - (parseFloat(y) || 0)); }
            return dir * x.localeCompare(y);
          });
          for (var r = 0; r < rows.length; r++) { body.appendChild(rows[r]); }
          for (var h = 0; h < ths.length; h++) { ths[h].removeAttribute('aria-sort'); }
          th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
          dir = -dir;
        }
        th.addEventListener('click', run);
        th.addEventListener('keydown', function (e) { if (e.key === 'Enter') { run(); } });
      })(ths[k], k);
    }
  }

  // The host filter of the overview.
  var filter = document.getElementById('filter');
  var hosts = document.getElementById('hosts');
  if (filter && hosts) {
    filter.addEventListener('input', function () {
      var q = filter.value.toLowerCase();
      var rows = hosts.tBodies[0].rows;
      for (var i = 0; i < rows.length; i++) {
        var name = (rows[i].getAttribute('data-host') || '').toLowerCase();
        rows[i].hidden = q !== '' && name.indexOf(q) < 0;
      }
    });
  }
})();
