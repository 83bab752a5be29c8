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
  // One date format on every page, in tables, tooltips and axes alike:
  // 2026-03-10 14:05:09 CET (the server writes the same form), and its
  // parts: 03-10 on axes, 14:05 for hours.
  var partsFmt = fmtter({ year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
  function parts(d) {
    var p = {};
    var list = partsFmt.formatToParts(d);
    for (var i = 0; i < list.length; i++) { p[list[i].type] = list[i].value; }
    if (p.hour === '24') { p.hour = '00'; }
    return p;
  }
  var full = { format: function (d) { var p = parts(d); return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute + ':' + p.second + (p.timeZoneName ? ' ' + p.timeZoneName : ''); } };
  var hourOnly = { format: function (d) { var p = parts(d); return p.hour + ':' + p.minute; } };
  var hourSec = { format: function (d) { var p = parts(d); return p.hour + ':' + p.minute + ':' + p.second; } };
  var monthDay = { format: function (d) { var p = parts(d); return p.month + '-' + p.day; } };

  // Times written by the server (UTC or --tz) are shown in the viewer's zone.
  var times = document.querySelectorAll('time[datetime]');
  for (var i = 0; i < times.length; i++) {
    var ms = Date.parse(times[i].getAttribute('datetime'));
    if (!isNaN(ms)) { times[i].textContent = full.format(new Date(ms)); }
  }

  var IEC = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  var SI = ['', 'k', 'M', 'G', 'T', 'P'];
  function round(v) {
    var a = Math.abs(v);
    if (a >= 100) { return v.toFixed(0); }
    if (a >= 10) { return v.toFixed(1); }
    return v.toFixed(2);
  }
  // fmtVal formats one value (a tooltip) with its unit.
  function fmtVal(v, unit) {
    if (v === null || v === undefined || v === '-' || isNaN(v)) { return '–'; }
    var i = 0;
    if (unit === 'B' || unit === 'B/s') {
      while (Math.abs(v) >= 1024 && i < IEC.length - 1) { v /= 1024; i++; }
      return round(v) + ' ' + IEC[i] + (unit === 'B/s' ? '/s' : '');
    }
    if (unit === 'bit/s') {
      while (Math.abs(v) >= 1000 && i < SI.length - 1) { v /= 1000; i++; }
      return round(v) + ' ' + SI[i] + 'bit/s';
    }
    var s;
    if (Math.abs(v) >= 1e6) { s = round(v / 1e6) + ' M'; }
    else if (Math.abs(v) >= 1e4) { s = round(v / 1e3) + ' k'; }
    else { s = round(v); }
    if (!unit) { return s; }
    return s + (unit === '%' ? ' %' : ' ' + unit);
  }
  // decimals returns how many decimals step needs ("0.25": 2).
  function decimals(step) {
    if (!(step > 0)) { return 0; }
    var s = String(Number(step.toPrecision(6)));
    var e = s.indexOf('e-');
    if (e >= 0) { return Number(s.slice(e + 2)); }
    var dot = s.indexOf('.');
    return dot < 0 ? 0 : s.length - dot - 1;
  }
  // axisLabel formats the ticks of a value axis whose step is step and
  // whose largest tick is top: one unit and one precision for all ticks.
  function axisLabel(v, unit, step, top) {
    var base = 1, names = null, suffix = '';
    if (unit === 'B' || unit === 'B/s') {
      names = IEC; base = 1024; suffix = unit === 'B/s' ? '/s' : '';
    } else if (unit === 'bit/s') {
      names = SI; base = 1000; suffix = 'bit/s';
    }
    var div = 1, k = 0;
    if (names) {
      // The unit of the step: 256 MiB steps read 0, 256, 512 MiB.
      while (step / div >= base && k < names.length - 1) { div *= base; k++; }
      return (v / div).toFixed(decimals(step / div)) + ' ' + names[k] + suffix;
    }
    var sfx = '';
    if (Math.abs(top) >= 1e6) { div = 1e6; sfx = ' M'; } else if (Math.abs(top) >= 1e4) { div = 1e3; sfx = ' k'; }
    var s = (v / div).toFixed(decimals(step / div)) + sfx;
    if (!unit) { return s; }
    return s + (unit === '%' ? ' %' : (sfx ? '' : ' ') + unit);
  }
  // binaryStep returns a step for a byte axis up to max: a power of two
  // times a power of 1024 (256 MiB, 2 GiB), giving about four to eight
  // ticks.
  function binaryStep(max, base) {
    if (!(max > 0)) { return 1; }
    var u = 1;
    while (max / u >= base) { u *= base; }
    var target = max / u / 5;
    if (target < 1 && u > 1) { u /= base; target *= base; }
    if (target < 1) { return base === 1024 ? Math.max(1, Math.pow(2, Math.floor(Math.log2(target)))) : niceDecimal(target); }
    if (base === 1000) { return niceDecimal(target) * u; }
    var p = 1;
    while (p * 2 <= target) { p *= 2; }
    return p * u;
  }
  function niceDecimal(x) {
    var e = Math.pow(10, Math.floor(Math.log10(x)));
    var m = x / e;
    return (m >= 5 ? 5 : m >= 2 ? 2 : 1) * e;
  }
  // dataMax returns the largest value a line chart draws between the
  // times from and to (ms): the largest row sum of its stacked series, or
  // the largest value.
  function dataMax(opt, from, to) {
    var src = opt.dataset && opt.dataset.source;
    if (!src) { return 0; }
    var stacked = [], plain = [];
    for (var j = 0; j < opt.series.length; j++) {
      var col = opt.series[j].encode.y;
      if (opt.series[j].stack) { stacked.push(col); } else { plain.push(col); }
    }
    var m = 0;
    for (var i = 0; i < src.length; i++) {
      var row = src[i];
      if (row[0] < from || row[0] > to) { continue; }
      var sum = 0;
      for (var a = 0; a < stacked.length; a++) { sum += row[stacked[a]] || 0; }
      m = Math.max(m, sum);
      for (var b = 0; b < plain.length; b++) { if (row[plain[b]] > m) { m = row[plain[b]]; } }
    }
    return m;
  }
  var isBinary = { 'B': 1024, 'B/s': 1024, 'bit/s': 1000 };
  // scaleBytes sets the step of a byte or bit axis for the data shown
  // between from and to (ms).
  function scaleBytes(opt, unit, from, to) {
    if (!isBinary[unit] || typeof opt.yAxis.max === 'number') { return null; }
    var step = binaryStep(dataMax(opt, from, to), isBinary[unit]);
    return { interval: step, max: function (e) { return Math.max(step, Math.ceil(e.max / step) * step); } };
  }

  function spanMs(opt) {
    var x = opt.xAxis || {};
    if (typeof x.min === 'number' && typeof x.max === 'number') { return x.max - x.min; }
    return 86400000;
  }
  // timeLabel is the label of a time tick on every chart, line or
  // heatmap, of a range span ms long of which vis ms are in view (zoomed
  // in; the whole range when not given): the time of day within two days,
  // the date and time within ten, the date beyond; the time of day too
  // once zoomed in to two days, and its seconds once zoomed in to ten
  // minutes, where ticks are seconds apart and minutes would repeat.
  function timeLabel(v, span, vis) {
    var d = new Date(Number(v));
    if (vis === undefined || vis > span) { vis = span; }
    var tod = vis <= 10 * 60000 ? hourSec : hourOnly;
    if (span <= 2 * 86400000) { return tod.format(d); }
    if (span <= 10 * 86400000 || vis <= 2 * 86400000) { return monthDay.format(d) + ' ' + tod.format(d); }
    return monthDay.format(d);
  }
  // viewSpan returns how many ms of a chart's time axis are in view, or
  // undefined before it is laid out.
  function viewSpan(inst) {
    var xa = inst && inst.getModel() && inst.getModel().getComponent('xAxis', 0);
    if (!xa || !xa.axis) { return undefined; }
    var ext = xa.axis.scale.getExtent();
    return ext[1] - ext[0];
  }

  // markLone gives each line series of opt a dot on its lone points, the
  // values with none just before or after them, which a line cannot draw:
  // a host's one point in a range, a sample between two gaps. The others
  // get no dot.
  function markLone(opt) {
    var ds = Array.isArray(opt.dataset) ? opt.dataset[0] : opt.dataset;
    var src = ds && ds.source;
    if (!Array.isArray(src) || !opt.series) { return; }
    var none = function (r, y) { return !r || r[y] === null || r[y] === undefined; };
    for (var s = 0; s < opt.series.length; s++) {
      var ser = opt.series[s];
      var y = ser.encode && (Array.isArray(ser.encode.y) ? ser.encode.y[0] : ser.encode.y);
      if (ser.type !== 'line' || typeof y !== 'number') { continue; }
      var lone = null;
      for (var i = 0; i < src.length; i++) {
        if (!none(src[i], y) && none(src[i - 1], y) && none(src[i + 1], y)) { (lone = lone || {})[i] = true; }
      }
      if (lone) {
        // A symbol only where one is wanted ('none' draws no element).
        ser.showSymbol = true;
        ser.symbolSize = 6;
        ser.symbol = (function (l) { return function (v, p) { return l[p.dataIndex] ? 'circle' : 'none'; }; })(lone);
      }
    }
  }

  function decorate(opt, c) {
    var unit = c.unit;
    if (c.kind === 'line') {
      markLone(opt);
      var span = spanMs(opt);
      var ax = null;
      opt.yAxis.axisLabel = {
        formatter: function (v) {
          var step = 0, top = v;
          if (ax) {
            var sc = ax.getModel().getComponent('yAxis', 0).axis.scale;
            step = sc.getInterval(); top = sc.getExtent()[1];
          }
          return axisLabel(v, unit, step, top);
        }
      };
      c.bind = function (inst) { ax = inst; };
      var z = opt.dataZoom && opt.dataZoom[0];
      var sb = scaleBytes(opt, unit, z && z.startValue !== undefined ? z.startValue : -Infinity, z && z.endValue !== undefined ? z.endValue : Infinity);
      if (sb) { opt.yAxis.interval = sb.interval; opt.yAxis.max = sb.max; }
      opt.xAxis.axisLabel = { formatter: function (v) { return timeLabel(v, span, viewSpan(ax)); }, hideOverlap: true };
      opt.tooltip.formatter = function (ps) {
        if (!ps || !ps.length) { return ''; }
        var out = esc(full.format(new Date(ps[0].value[0])));
        var n = ps.length;
        if (n > 12) {
          // Many series (a fleet chart with all hosts): the 12 highest.
          ps = ps.slice().sort(function (a, b) {
            return (b.value[b.encode.y[0]] || 0) - (a.value[a.encode.y[0]] || 0);
          }).slice(0, 12);
        }
        for (var i = 0; i < ps.length; i++) {
          var p = ps[i];
          var v = p.value[p.encode.y[0]];
          var text = fmtVal(v, unit);
          if (unit === 'bit/s') { text += ' (' + fmtVal(v / 8, 'B/s') + ')'; }
          out += '<br>' + p.marker + esc(p.seriesName) + ': <b>' + esc(text) + '</b>';
        }
        if (n > ps.length) { out += '<br>… ' + (n - ps.length) + ' more'; }
        return out;
      };
    } else if (c.kind === 'heatmap') {
      var xs = opt.xAxis.data;
      var hspan = xs.length > 1 ? xs[xs.length - 1] - xs[0] : 86400000;
      opt.xAxis.axisLabel = { formatter: function (v) { return timeLabel(v, hspan); }, hideOverlap: true };
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

  // csvCell quotes one CSV field; a leading = + - @ is defused so that a
  // spreadsheet never reads host-supplied text as a formula.
  function csvCell(v) {
    var s = String(v);
    if (/^[=+\-@\t\r]/.test(s) && isNaN(Number(s))) { s = "'" + s; }
    return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  // chartCSV returns a line chart's data as CSV: the time (ISO, UTC), then
  // one column per series.
  function chartCSV(opt) {
    var src = (opt.dataset && opt.dataset.source) || [];
    var cols = [], head = ['time'];
    for (var j = 0; j < opt.series.length; j++) {
      cols.push(opt.series[j].encode.y);
      head.push(csvCell(opt.series[j].name));
    }
    var lines = [head.join(',')];
    for (var i = 0; i < src.length; i++) {
      var row = [new Date(src[i][0]).toISOString()];
      for (var k = 0; k < cols.length; k++) {
        var v = src[i][cols[k]];
        row.push(v === null || v === undefined ? '' : String(v));
      }
      lines.push(row.join(','));
    }
    return lines.join('\r\n') + '\r\n';
  }
  // download saves text as a file named name, from a blob: URL (no request).
  function download(name, text, type) {
    var url = URL.createObjectURL(new Blob([text], { type: type }));
    var a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    document.body.removeChild(a);
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }
  // toolbox adds ECharts' toolbox to a chart: the chart as a PNG, and a
  // line chart's data as CSV. Both are made in the page, offline.
  var csvIcon = 'path://M4,2H14L20,8V22H4ZM14,2V8H20M7,12H17M7,15H17M7,18H13';
  function toolbox(opt, c, dark) {
    var features = {
      saveAsImage: { name: c.id, title: 'PNG', backgroundColor: dark ? '#14181c' : '#ffffff', pixelRatio: 2 }
    };
    if (c.kind === 'line') {
      features.myCSV = {
        show: true, title: 'CSV', icon: csvIcon,
        onclick: function () { download(c.id + '.csv', chartCSV(opt), 'text/csv'); }
      };
    }
    opt.toolbox = { right: 4, top: 0, itemSize: 13, itemGap: 6, feature: features };
    if (c.kind === 'heatmap') { opt.grid.top = 24; }
  }

  // legendRows estimates how many rows the legend of opt takes in a chart
  // width px wide: legends wrap rather than page, so no series is hidden.
  var measure = document.createElement('canvas').getContext('2d');
  function legendRows(opt, width) {
    if (!opt.legend || !opt.series) { return 0; }
    measure.font = '12px sans-serif';
    var rows = 1, x = 0, avail = Math.max(width - 76, 100);
    for (var i = 0; i < opt.series.length; i++) {
      // An item: its symbol (25 px), a gap (5), its text and the next gap (10).
      var w = 25 + 5 + measure.measureText(String(opt.series[i].name)).width * 1.1 + 10;
      if (x > 0 && x + w > avail) { rows++; x = 0; }
      x += w;
    }
    return rows;
  }

  // rescaleOnZoom keeps the step of a byte or bit axis fitting the data in
  // the zoomed window.
  function rescaleOnZoom(chart, opt, unit) {
    if (!isBinary[unit]) { return; }
    chart.on('datazoom', function () {
      var ext = chart.getModel().getComponent('xAxis', 0).axis.scale.getExtent();
      var sb = scaleBytes(opt, unit, ext[0], ext[1]);
      if (sb) { chart.setOption({ yAxis: { interval: sb.interval, max: sb.max } }); }
    });
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

  // allHosts gives a chart that draws the first columns of its dataset
  // only (c.all: the fleet charts) a button that draws every column; with
  // all of them, the legend gives way to the tooltip's highest values.
  function allHosts(el, c, opt) {
    if (!c.all) { return opt; }
    var cap = el.parentNode && el.parentNode.querySelector('figcaption');
    if (cap && !cap.querySelector('button.allhosts')) {
      var btn = document.createElement('button');
      btn.type = 'button';
      btn.className = 'allhosts';
      btn.textContent = 'All hosts (' + c.all + ')';
      btn.title = 'Draw every host, not only the ' + opt.series.length + ' with the highest mean';
      btn.onclick = function () {
        c.showAll = !c.showAll;
        btn.textContent = c.showAll ? 'Top ' + c.option.series.length : 'All hosts (' + c.all + ')';
        draw();
      };
      cap.appendChild(btn);
    }
    if (!c.showAll) { return opt; }
    var dims = (opt.dataset && opt.dataset.dimensions) || [];
    var proto = opt.series[0];
    for (var j = opt.series.length + 1; j <= c.all; j++) {
      opt.series.push({ type: 'line', name: String(dims[j] || j), showSymbol: false,
        encode: { x: 0, y: j }, lineStyle: { width: 1 } });
    }
    opt.series[0] = proto;
    delete opt.legend;
    return opt;
  }

  var dark = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;
  var instances = [];
  // The zoom of a page is shared by its time charts and kept in the URL
  // (#from=<ms>&to=<ms>), so that a link shows the same window.
  function hashWindow() {
    var m = /(?:^#|&)from=(\d+)&to=(\d+)/.exec(location.hash);
    if (!m) { return null; }
    var a = Number(m[1]), b = Number(m[2]);
    return b > a ? [a, b] : null;
  }
  function keepWindow(chart, opt) {
    chart.on('datazoom', function () {
      var ext = chart.getModel().getComponent('xAxis', 0).axis.scale.getExtent();
      var whole = Math.abs(ext[0] - opt.xAxis.min) < 1000 && Math.abs(ext[1] - opt.xAxis.max) < 1000;
      var h = whole ? '' : '#from=' + Math.round(ext[0]) + '&to=' + Math.round(ext[1]);
      if (h !== location.hash && window.history && history.replaceState) {
        history.replaceState(null, '', h || location.pathname + location.search);
      }
      zoomTables(ext[0], ext[1], whole);
    });
  }

  // whoDidIt makes a click on a time chart of a host's chart pages open
  // the processes page of the same range (the 24-hour one for the last 24
  // hours) zoomed on that time, whose tables then list the processes of
  // that moment. A click near a mark (an OOM kill, a reboot) takes the
  // mark's time.
  var procLink = document.querySelector('nav.hostnav a[href$="processes.html"]');
  var onProcs = !!document.getElementById('proctools') || /processes[^\/]*\.html$/.test(location.pathname);
  function whoDidIt(el, chart, opt) {
    if (!procLink || onProcs) { return; }
    el.title = 'Click a time to see the top processes of that moment';
    el.style.cursor = 'pointer';
    chart.getZr().on('click', function (e) {
      var pt = [e.offsetX, e.offsetY];
      if (!chart.containPixel('grid', pt)) { return; }
      var t = (chart.convertFromPixel({ gridIndex: 0 }, pt) || [])[0];
      if (!(t > 0)) { return; }
      var s0 = opt.series && opt.series[0], ml = s0 && s0.markLine && s0.markLine.data;
      for (var i = 0; ml && i < ml.length; i++) {
        var px = chart.convertToPixel({ xAxisIndex: 0 }, ml[i].xAxis);
        if (Math.abs(px - pt[0]) <= 8) { t = ml[i].xAxis; break; }
      }
      var end = opt.xAxis.max, day = 86400000;
      var file = 'processes.html', half = 5 * 60000;
      var m = /(7d|30d|365d)\.html$/.exec(location.pathname);
      if (m && t < end - day) { file = 'processes-' + m[1] + '.html'; half = 3600000; }
      var href = procLink.getAttribute('href').replace(/processes\.html$/, file);
      location.href = href + '#from=' + Math.round(t - half) + '&to=' + Math.round(t + half);
    });
  }

  // zoomTables narrows the top process tables of a processes page to the
  // zoomed window [a, b] (ms): a row shows when its process was seen in
  // it, its CPU time becomes the CPU time inside the window (from its CPU
  // seconds per bucket, data-cpub "first:v,v,..."), and the CPU table is
  // ranked again by it. The whole range restores the tables.
  var ptools = document.getElementById('proctools');
  function windowCPU(spec, b0, bw, a, b) {
    var m = /^(\d+):(.*)$/.exec(spec || '');
    if (!m) { return 0; }
    var k = Number(m[1]), vs = m[2].split(','), sum = 0;
    for (var i = 0; i < vs.length; i++) {
      if (!vs[i]) { continue; }
      var s = b0 + (k + i) * bw, e = s + bw;
      var over = Math.min(e, b) - Math.max(s, a);
      if (over > 0) { sum += Number(vs[i]) * over / bw; }
    }
    return sum;
  }
  function fmtDur(sec) {
    var s = Math.floor(sec), d = Math.floor(s / 86400); s %= 86400;
    var h = Math.floor(s / 3600); s %= 3600;
    var m = Math.floor(s / 60); s %= 60;
    if (d > 0) { return d + 'd ' + h + 'h'; }
    if (h > 0) { return h + 'h ' + m + 'm'; }
    if (m > 0) { return m + 'm ' + s + 's'; }
    return s + 's';
  }
  // fmtCPU formats CPU seconds as the server writes CPU time: 0.33s,
  // 12.3s, then 1m 2s.
  function fmtCPU(sec) {
    var r = Math.round(sec * 100) / 100;
    if (r < 10) { return r <= 0 ? '0s' : r.toFixed(2) + 's'; }
    r = Math.round(sec * 10) / 10;
    if (r < 60) { return r.toFixed(1) + 's'; }
    return fmtDur(Math.round(sec));
  }
  function zoomTables(a, b, whole) {
    if (!ptools) { return; }
    var b0 = Number(ptools.getAttribute('data-b0')), bw = Number(ptools.getAttribute('data-bw'));
    var rows = document.querySelectorAll('tr.proc[data-first]');
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      var out = !whole && (Number(r.getAttribute('data-last')) < a || Number(r.getAttribute('data-first')) > b);
      if (out) { r.setAttribute('data-out', ''); } else { r.removeAttribute('data-out'); }
      var cell = r.querySelector('td.cputime');
      if (!cell) { continue; }
      if (!cell.hasAttribute('data-orig')) {
        cell.setAttribute('data-orig', cell.textContent);
        cell.setAttribute('data-origv', cell.getAttribute('data-v'));
      }
      if (whole) {
        cell.textContent = cell.getAttribute('data-orig');
        cell.setAttribute('data-v', cell.getAttribute('data-origv'));
      } else {
        var sec = windowCPU(r.getAttribute('data-cpub'), b0, bw, a, b);
        cell.textContent = fmtCPU(sec);
        cell.setAttribute('data-v', String(sec));
      }
    }
    var body = document.querySelector('section[data-rank="cpu"] tbody');
    if (body) {
      var list = Array.prototype.slice.call(body.rows);
      list.sort(function (x, y) {
        var cx = x.querySelector('td.cputime'), cy = y.querySelector('td.cputime');
        return Number(cy.getAttribute('data-v')) - Number(cx.getAttribute('data-v'));
      });
      for (var j = 0; j < list.length; j++) { body.appendChild(list[j]); }
    }
    var note = document.getElementById('zoomnote');
    if (!note) {
      note = document.createElement('span');
      note.id = 'zoomnote';
      note.className = 'hint';
      ptools.appendChild(note);
    }
    note.textContent = whole ? '' : ' Tables: processes seen from ' + full.format(new Date(a)) + ' to ' +
      full.format(new Date(b)) + ', CPU time within that window.';
    procFilter();
  }

  function draw() {
    if (typeof echarts === 'undefined') { return; }
    var win = hashWindow();
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
      var opt = decorate(allHosts(el, c, JSON.parse(JSON.stringify(c.option))), c);
      if (c.kind === 'line' && opt.legend) {
        var rows = legendRows(opt, el.clientWidth || 600);
        opt.legend = { type: 'plain', top: 0, left: 10, right: 56 };
        opt.grid.top = 12 + 22 * rows;
        el.style.height = (236 + 22 * rows) + 'px';
      }
      toolbox(opt, c, theme === 'dark');
      var timed = c.kind === 'line' && typeof opt.xAxis.min === 'number';
      if (timed && win) {
        var lo = Math.max(win[0], opt.xAxis.min), hi = Math.min(win[1], opt.xAxis.max);
        if (hi > lo) {
          for (var z = 0; z < opt.dataZoom.length; z++) {
            opt.dataZoom[z].startValue = lo; opt.dataZoom[z].endValue = hi;
            delete opt.dataZoom[z].start; delete opt.dataZoom[z].end;
          }
        }
      }
      var chart = echarts.init(el, theme, { renderer: 'canvas' });
      if (timed) { chart.group = 'time'; keepWindow(chart, opt); }
      if (c.bind) { c.bind(chart); }
      opt.backgroundColor = 'transparent';
      chart.setOption(opt);
      instances.push(chart);
      wholeRange(el, chart, opt);
      if (c.kind === 'line') { rescaleOnZoom(chart, opt, c.unit); }
      if (timed) { whoDidIt(el, chart, opt); }
    }
    echarts.connect('time');
    for (var k = 0; k < instances.length; k++) {
      if (instances[k].group !== 'time') { continue; }
      var ext = instances[k].getModel().getComponent('xAxis', 0).axis.scale.getExtent();
      var xo = instances[k].getOption().xAxis[0];
      zoomTables(ext[0], ext[1], Math.abs(ext[0] - xo.min) < 1000 && Math.abs(ext[1] - xo.max) < 1000);
      break;
    }
  }
  draw();
  picker();
  if (dark) {
    if (dark.addEventListener) { dark.addEventListener('change', draw); } else if (dark.addListener) { dark.addListener(draw); }
  }
  // picker adds, under the range tabs of a page with time charts, buttons
  // that move the shared zoom window one width earlier or later, and a
  // day field that zooms on that day (on the shortest range page that
  // holds it, following the tab links).
  function picker() {
    var tabs = document.querySelector('nav.tabs');
    var first = null, fopt = null;
    for (var i = 0; i < instances.length; i++) {
      var o = instances[i].getOption();
      if (instances[i].group === 'time') { first = instances[i]; fopt = o; break; }
    }
    if (!tabs || !first) { return; }
    var min = fopt.xAxis[0].min, max = fopt.xAxis[0].max;
    function current() {
      var inst = instances.filter(function (x) { return x.group === 'time'; })[0];
      return inst.getModel().getComponent('xAxis', 0).axis.scale.getExtent();
    }
    function show(a, b) {
      var inst = instances.filter(function (x) { return x.group === 'time'; })[0];
      inst.dispatchAction({ type: 'dataZoom', startValue: a, endValue: b });
    }
    function move(dir) {
      var w = current(), width = w[1] - w[0];
      var a = Math.min(Math.max(w[0] + dir * width, min), max - width);
      show(a, a + width);
    }
    var bar = document.createElement('div');
    bar.className = 'picker';
    function button(text, title, fn) {
      var b = document.createElement('button');
      b.type = 'button';
      b.textContent = text;
      b.title = title;
      b.addEventListener('click', fn);
      bar.appendChild(b);
      return b;
    }
    button('◀ Earlier', 'Show the window before this one', function () { move(-1); }).className = 'earlier';
    button('Later ▶', 'Show the window after this one', function () { move(1); }).className = 'later';
    var label = document.createElement('label');
    label.textContent = 'Day ';
    var day = document.createElement('input');
    day.type = 'date';
    day.className = 'day';
    label.appendChild(day);
    bar.appendChild(label);
    day.addEventListener('change', function () {
      var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day.value);
      if (!m) { return; }
      var a = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).getTime(), b = a + 86400000;
      if (a >= min - 86400000 && b <= max + 86400000) { show(Math.max(a, min), Math.min(b, max)); return; }
      // Another range's page: the tab links, shortest first.
      var links = tabs.querySelectorAll('a');
      for (var i = 0; i < links.length; i++) {
        var span = { '24h': 1, '7d': 7, '30d': 30, '365d': 365 }[links[i].textContent];
        if (span && a >= max - span * 86400000) {
          location.href = links[i].getAttribute('href') + '#from=' + a + '&to=' + b;
          return;
        }
      }
    });
    tabs.parentNode.insertBefore(bar, tabs.nextSibling);
  }

  // A new width may change the legends' rows: draw again.
  var resizing = null, lastWidth = window.innerWidth;
  window.addEventListener('resize', function () {
    if (resizing) { clearTimeout(resizing); }
    resizing = setTimeout(function () {
      if (window.innerWidth !== lastWidth) { lastWidth = window.innerWidth; draw(); return; }
      for (var i = 0; i < instances.length; i++) { instances[i].resize(); }
    }, 100);
  });

  // Sortable tables: click a column title with a data-type.
  var tables = document.querySelectorAll('table.sortable');
  for (var t = 0; t < tables.length; t++) { sortable(tables[t]); }
  function cellValue(cell) {
    if (!cell) { return ''; }
    var v = cell.getAttribute('data-v');
    return v === null ? cell.textContent : v;
  }
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
            var x = cellValue(a.cells[col]), y = cellValue(b.cells[col]);
            if (type === 'num') { return dir * ((parseFloat(x) || 0) - (parseFloat(y) || 0)); }
            if (type === 'time') {
              // ISO times; a value that is not one (ongoing) is the latest.
              var tx = Date.parse(x), ty = Date.parse(y);
              return dir * ((isNaN(tx) ? Infinity : tx) - (isNaN(ty) ? Infinity : ty) || 0);
            }
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

  // The process filter of the processes pages: a row shows when its
  // command or user contains the text, or its PID starts with it, and it
  // belongs to the group picked in a group table (see pickGroup). A row
  // outside the zoomed window (data-out, see zoomTables) is hidden too.
  var picked = null; // the group picked, {by: 'unit', name: 'nginx.service'} (used before this line runs: test it as truthy)
  function procFilter() {
    var pf = document.getElementById('procfilter');
    var q = pf ? pf.value.trim().toLowerCase() : '';
    var rows = document.querySelectorAll('tr.proc');
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      r.hidden = r.hasAttribute('data-out') ||
        (picked && r.getAttribute('data-' + picked.by) !== picked.name) || (q !== '' &&
        (r.getAttribute('data-comm') || '').toLowerCase().indexOf(q) < 0 &&
        (r.getAttribute('data-user') || '').toLowerCase().indexOf(q) < 0 &&
        (r.getAttribute('data-pid') || '').indexOf(q) !== 0);
    }
  }
  var pfilter = document.getElementById('procfilter');
  if (pfilter) { pfilter.addEventListener('input', procFilter); }

  // The group tables of the processes pages (services, containers, users,
  // command names): a click on a group shows only its processes in the
  // process tables, named in a note with a button that shows them all
  // again; a second click on the same group does too. The zoom in the URL
  // is kept.
  var groupRows = document.querySelectorAll('tr.group[data-by]');
  function pickGroup(row) {
    var by = row.getAttribute('data-by'), name = row.getAttribute('data-name');
    picked = picked && picked.by === by && picked.name === name ? null : {by: by, name: name};
    for (var i = 0; i < groupRows.length; i++) { groupRows[i].classList.remove('picked'); }
    var tools = document.getElementById('proctools');
    var note = document.getElementById('groupnote');
    if (!picked) {
      if (note) { note.remove(); }
      procFilter();
      return;
    }
    row.classList.add('picked');
    if (!note && tools) {
      note = document.createElement('span');
      note.id = 'groupnote';
      note.className = 'hint';
      tools.appendChild(note);
    }
    if (note) {
      note.textContent = 'Showing the processes of ' + row.getAttribute('data-what') + ' ' + name + '. ';
      var all = document.createElement('button');
      all.type = 'button';
      all.textContent = 'Show all';
      all.addEventListener('click', function () { pickGroup(row); });
      note.appendChild(all);
    }
    procFilter();
    if (tools && tools.scrollIntoView) { tools.scrollIntoView(); }
  }
  for (var gi = 0; gi < groupRows.length; gi++) {
    (function (row) {
      var a = row.querySelector('a');
      if (!a) { return; }
      a.addEventListener('click', function (e) { e.preventDefault(); pickGroup(row); });
    })(groupRows[gi]);
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
