// The operators' page (templates/admin/operations.html): polls the JSON endpoint, derives rates
// and latency percentiles from two consecutive reads, fills the tiles and draws uPlot charts.
(function () {
  "use strict";

  var root = document.getElementById("operations");
  if (!root) return;
  var url = root.dataset.metricsUrl;
  var pollMs = parseInt(root.dataset.pollMs, 10) || 5000;
  var KEEP = 120; // points per chart
  var previous = null;
  var polls = 0;
  var charts = {};

  // --- derived figures ------------------------------------------------------------------------
  function delta(cur, prev, key) {
    var a = cur.values[key], b = prev ? prev.values[key] : null;
    if (a === null || a === undefined || b === null || b === undefined) return null;
    return Math.max(0, a - b); // a restarted server starts its counters again
  }

  function perSecond(cur, prev, key) {
    if (!prev) return null;
    var seconds = cur.time - prev.time;
    var d = delta(cur, prev, key);
    return d === null || seconds <= 0 ? null : d / seconds;
  }

  // Prometheus's histogram_quantile(): linear interpolation inside the bucket holding the rank.
  function quantile(q, buckets) {
    if (!buckets.length) return null;
    var total = buckets[buckets.length - 1][1];
    if (!total) return null;
    var rank = q * total, lower = 0, below = 0;
    for (var i = 0; i < buckets.length; i++) {
      var le = buckets[i][0], count = buckets[i][1];
      if (count >= rank) {
        if (le === null) return lower; // in the +Inf bucket: the highest finite bound
        var inBucket = count - below;
        return inBucket ? lower + (le - lower) * ((rank - below) / inBucket) : le;
      }
      if (le !== null) lower = le;
      below = count;
    }
    return lower;
  }

  function bucketDeltas(cur, prev) {
    if (!prev || prev.latency_buckets.length !== cur.latency_buckets.length) {
      return cur.latency_buckets;
    }
    return cur.latency_buckets.map(function (bucket, i) {
      return [bucket[0], Math.max(0, bucket[1] - prev.latency_buckets[i][1])];
    });
  }

  function ratio(a, b) {
    return a === null || b === null || b === 0 ? null : a / b;
  }

  function derive(cur, prev) {
    var v = cur.values, d = {};
    Object.keys(v).forEach(function (key) { d[key] = v[key]; });
    d.requests_per_second = perSecond(cur, prev, "responses");
    d.responses_4xx_per_second = perSecond(cur, prev, "responses_4xx");
    d.responses_5xx_per_second = perSecond(cur, prev, "responses_5xx");
    d.error_ratio = prev ? ratio(delta(cur, prev, "responses_5xx"), delta(cur, prev, "responses")) : null;
    d.latency_average = prev
      ? ratio(delta(cur, prev, "latency_sum"), delta(cur, prev, "latency_count"))
      : ratio(v.latency_sum, v.latency_count);
    var buckets = bucketDeltas(cur, prev);
    d.latency_p95 = quantile(0.95, buckets);
    d.latency_p99 = quantile(0.99, buckets);
    var hits = prev ? delta(cur, prev, "cache_hits") : v.cache_hits;
    var misses = prev ? delta(cur, prev, "cache_misses") : v.cache_misses;
    d.cache_hit_ratio = ratio(hits || 0, (hits || 0) + (misses || 0));
    d.cache_lookups = (v.cache_hits === null ? "–" : fmt.int(v.cache_hits)) + " / " +
      (v.cache_misses === null ? "–" : fmt.int(v.cache_misses));
    d.cache_compression_ratio = ratio(v.cache_stored_bytes, v.cache_raw_bytes);
    ["cache", "buffer"].forEach(function (role) {
      var used = v["redis_" + role + "_used_bytes"], max = v["redis_" + role + "_max_bytes"];
      d["redis_" + role + "_memory"] = used === null || used === undefined ? "down" :
        fmt.bytes(used) + " of " + (max ? fmt.bytes(max) : "no limit");
    });
    d.db_read_queries_per_second = perSecond(cur, prev, "db_read_queries");
    d.db_write_queries_per_second = perSecond(cur, prev, "db_write_queries");
    d.postgres_rows_read_per_second = perSecond(cur, prev, "postgres_rows_read");
    d.postgres_rows_written_per_second = perSecond(cur, prev, "postgres_rows_written");
    d.postgres_commits_per_second = perSecond(cur, prev, "postgres_commits");
    return d;
  }

  // --- formatting -----------------------------------------------------------------------------
  var fmt = {
    int: function (x) { return Math.round(x).toLocaleString("en-US"); },
    rate: function (x) { return x < 10 ? x.toFixed(2) : Math.round(x).toLocaleString("en-US"); },
    percent: function (x) { return (100 * x).toFixed(1) + " %"; },
    ratio: function (x) { return x.toFixed(3); },
    seconds: function (x) { return x < 1 ? (1000 * x).toFixed(1) + " ms" : x.toFixed(2) + " s"; },
    bytes: function (x) {
      var units = ["B", "KiB", "MiB", "GiB", "TiB"], i = 0;
      while (x >= 1024 && i < units.length - 1) { x /= 1024; i++; }
      return (i ? x.toFixed(1) : String(Math.round(x))) + " " + units[i];
    },
    time: function (x) {
      if (!x) return "never";
      var seconds = Math.round(x - Date.now() / 1000);
      var when = new Date(x * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC";
      var ago = Math.abs(seconds) < 60 ? Math.abs(seconds) + " s" : Math.round(Math.abs(seconds) / 60) + " min";
      return when + (seconds <= 0 ? " (" + ago + " ago)" : " (in " + ago + ")");
    },
    up: function (x) { return x ? "up" : "DOWN"; },
    success: function (x) { return x ? "succeeded" : "FAILED"; },
    text: function (x) { return String(x); },
  };

  function show(element, value) {
    var format = fmt[element.dataset.format] || fmt.text;
    element.textContent = value === null || value === undefined ? "–" : format(value);
    element.classList.toggle("ops-bad",
      (element.dataset.format === "up" || element.dataset.format === "success") && value === 0);
  }

  // --- charts ---------------------------------------------------------------------------------
  var COLOURS = ["#1f4e79", "#e07a00", "#b3261e"];

  function makeChart(figure) {
    var series = figure.dataset.series.split(",").map(function (item) {
      var parts = item.split(":");
      return { key: parts[0], label: parts[1] };
    });
    var caption = document.createElement("figcaption");
    caption.textContent = figure.dataset.title;
    figure.appendChild(caption);
    var data = [[]].concat(series.map(function () { return []; }));
    var plot = new uPlot({
      width: Math.max(280, figure.clientWidth - 16),
      height: 180,
      series: [{}].concat(series.map(function (s, i) {
        return { label: s.label, stroke: COLOURS[i % COLOURS.length], width: 2, spanGaps: true };
      })),
      axes: [{}, { size: 70 }],
    }, data, figure);
    return { series: series, data: data, plot: plot };
  }

  function drawCharts(t, derived) {
    Object.keys(charts).forEach(function (name) {
      var chart = charts[name];
      chart.data[0].push(t);
      chart.series.forEach(function (s, i) {
        var value = derived[s.key];
        chart.data[i + 1].push(typeof value === "number" ? value : null);
      });
      if (chart.data[0].length > KEEP) chart.data.forEach(function (column) { column.shift(); });
      chart.plot.setData(chart.data);
    });
  }

  function renderModels(models) {
    var body = document.getElementById("ops-models");
    body.textContent = "";
    models.forEach(function (row) {
      var tr = document.createElement("tr");
      [row.model, fmt.int(row.pending_records),
        row.pending_bytes === null ? "–" : fmt.bytes(row.pending_bytes),
        row.compression_ratio === null ? "–" : fmt.ratio(row.compression_ratio)].forEach(function (text) {
        var td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
  }

  // --- polling --------------------------------------------------------------------------------
  var status = document.getElementById("ops-status");

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("the metrics endpoint answered " + response.status);
        return response.json();
      })
      .then(function (current) {
        var derived = derive(current, previous);
        document.querySelectorAll("#operations output[data-key]").forEach(function (element) {
          show(element, derived[element.dataset.key]);
        });
        renderModels(current.models);
        drawCharts(current.time, derived);
        previous = current;
        polls += 1;
        root.dataset.polls = String(polls);
        status.textContent = "Updated " + new Date(current.time * 1000).toISOString().slice(11, 19) + " UTC.";
        status.classList.remove("ops-bad");
      })
      .catch(function (error) {
        status.textContent = "Could not read the metrics (" + error.message + "); trying again.";
        status.classList.add("ops-bad");
      })
      .then(function () { window.setTimeout(poll, pollMs); });
  }

  document.querySelectorAll("#operations .ops-chart").forEach(function (figure) {
    charts[figure.dataset.chart] = makeChart(figure);
  });
  poll();
})();
