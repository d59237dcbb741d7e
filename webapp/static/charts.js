// The /stats charts drawn in the browser from the same data the chat's pictures are
// drawn from (bot/media/stats_charts.py's ChartData: kind, title, labels, series). SVG built
// node by node (no markup parsed), coloured by Telegram's theme through CSS variables.
"use strict";

const Charts = (() => {
  const NS = "http://www.w3.org/2000/svg";
  const WIDTH = 640;
  // Series colours: the theme's button colour first, then fixed hues that read on light
  // and dark backgrounds alike.
  const COLOURS = ["var(--button)", "#e8a33d", "#4fae62", "#d9534f", "#8e6cc9", "#3bb0c9", "#b5651d", "#7f8c8d"];

  function node(name, attributes, parent) {
    const element = document.createElementNS(NS, name);
    for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
    if (parent) parent.appendChild(element);
    return element;
  }

  function text(parent, x, y, content, attributes = {}) {
    const element = node("text", { x, y, ...attributes }, parent);
    element.textContent = content;
    return element;
  }

  // ChartData.value_format is Python's ("¥{:,.0f}"): its text around the number is kept.
  function formatter(pattern) {
    const [before, after] = [pattern.split("{")[0], pattern.split("}").slice(1).join("}")];
    return (value) => before + Math.round(value).toLocaleString() + after;
  }

  function svg(height) {
    return node("svg", { viewBox: `0 0 ${WIDTH} ${height}`, role: "img", class: "chart" });
  }

  function barh(chart, format) {
    const values = chart.series[0][1];
    const top = Math.max(...values, 1);
    const picture = svg(values.length * 28 + 10);
    values.forEach((value, i) => {
      const y = 5 + i * 28;
      text(picture, 0, y + 17, chart.labels[i], { class: "label" });
      node("rect", { x: 160, y, width: Math.max(1, (value / top) * 400), height: 20, fill: COLOURS[0] }, picture);
      text(picture, 166 + (value / top) * 400, y + 16, format(value), { class: "value" });
    });
    return picture;
  }

  function pie(chart, format) {
    const values = chart.series[0][1];
    const total = values.reduce((a, b) => a + b, 0) || 1;
    const picture = svg(220);
    let angle = -Math.PI / 2;
    values.forEach((value, i) => {
      const sweep = (value / total) * Math.PI * 2;
      const [x1, y1] = [110 + 100 * Math.cos(angle), 110 + 100 * Math.sin(angle)];
      angle += sweep;
      const [x2, y2] = [110 + 100 * Math.cos(angle), 110 + 100 * Math.sin(angle)];
      const shape = values.length === 1 ? node("circle", { cx: 110, cy: 110, r: 100 }, picture)
        : node("path", { d: `M110,110 L${x1},${y1} A100,100 0 ${sweep > Math.PI ? 1 : 0},1 ${x2},${y2} Z` }, picture);
      shape.setAttribute("fill", COLOURS[i % COLOURS.length]);
      node("rect", { x: 240, y: 20 + i * 26, width: 14, height: 14, fill: COLOURS[i % COLOURS.length] }, picture);
      text(picture, 262, 32 + i * 26, `${chart.labels[i]}: ${format(value)} (${Math.round((value / total) * 100)}%)`, { class: "label" });
    });
    return picture;
  }

  function axes(chart, picture, top, format, height) {
    text(picture, 0, 14, format(top), { class: "value" });
    node("line", { x1: 60, y1: height, x2: WIDTH, y2: height, class: "axis" }, picture);
    const step = Math.ceil(chart.labels.length / 6);
    chart.labels.forEach((label, i) => {
      if (i % step === 0) text(picture, 60 + (i + 0.5) * ((WIDTH - 60) / chart.labels.length), height + 16, label, { class: "label", "text-anchor": "middle" });
    });
  }

  function legend(chart, picture, y) {
    chart.series.forEach(([name], i) => {
      if (!name) return;
      node("rect", { x: 60 + i * 150, y, width: 12, height: 12, fill: COLOURS[i % COLOURS.length] }, picture);
      text(picture, 78 + i * 150, y + 11, name, { class: "label" });
    });
  }

  function line(chart, format) {
    const height = 180;
    const top = Math.max(...chart.series.flatMap(([, values]) => values), 1);
    const picture = svg(height + 46);
    axes(chart, picture, top, format, height);
    const x = (i) => 60 + (i + 0.5) * ((WIDTH - 60) / chart.labels.length);
    chart.series.forEach(([, values], s) => {
      const points = values.map((value, i) => `${x(i)},${height - (value / top) * (height - 20)}`).join(" ");
      node("polyline", { points, fill: "none", stroke: COLOURS[s % COLOURS.length], "stroke-width": 2.5 }, picture);
    });
    legend(chart, picture, height + 28);
    return picture;
  }

  function bar(chart, format) {  // stacked: one bar a label, one block a series
    const height = 180;
    const sums = chart.labels.map((_, i) => chart.series.reduce((a, [, values]) => a + values[i], 0));
    const top = Math.max(...sums, 1);
    const picture = svg(height + 28 + 18 * Math.ceil(chart.series.length / 4));
    axes(chart, picture, top, format, height);
    const width = (WIDTH - 60) / chart.labels.length;
    chart.labels.forEach((_, i) => {
      let base = height;
      chart.series.forEach(([, values], s) => {
        const tall = (values[i] / top) * (height - 20);
        node("rect", { x: 60 + i * width + 2, y: base - tall, width: width - 4, height: tall, fill: COLOURS[s % COLOURS.length] }, picture);
        base -= tall;
      });
    });
    legend(chart, picture, height + 28);
    return picture;
  }

  function funnel(chart, format) {
    const values = chart.series[0][1];
    const top = Math.max(...values, 1);
    const picture = svg(values.length * 34 + 10);
    values.forEach((value, i) => {
      const width = Math.max(4, (value / top) * (WIDTH - 40));
      node("rect", { x: (WIDTH - width) / 2, y: 5 + i * 34, width, height: 28, fill: COLOURS[0], "fill-opacity": 0.55 - i * 0.08 }, picture);
      text(picture, WIDTH / 2, 24 + i * 34, `${chart.labels[i]} · ${format(value)}`, { class: "label", "text-anchor": "middle" });
    });
    return picture;
  }

  const KINDS = { barh, pie, line, bar, funnel };

  // One <figure> a chart; an empty one says so in the member's words.
  function figure(chart, nothing) {
    const shown = document.createElement("figure");
    const caption = document.createElement("figcaption");
    caption.textContent = chart.title;
    shown.appendChild(caption);
    if (chart.empty || !KINDS[chart.kind]) {
      const empty = document.createElement("p");
      empty.className = "hint";
      empty.textContent = nothing;
      shown.appendChild(empty);
    } else {
      shown.appendChild(KINDS[chart.kind](chart, formatter(chart.value_format)));
    }
    return shown;
  }

  return { figure };
})();
