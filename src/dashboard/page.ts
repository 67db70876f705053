/** The page's HTML shell and its stylesheet; the scripts (client/*.ts) fill it from the API. */

const STATES = ['pending', 'processing', 'completed', 'failed', 'dead', 'cancelled'];

/** The CSRF token is base64url, so it needs no escaping inside the attribute. */
export function pageHtml(csrfToken: string): string {
  const options = STATES.map((s) => `<option value="${s}">${s}</option>`).join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${csrfToken}">
<title>queuectl dashboard</title>
<link rel="stylesheet" href="/style.css">
<script type="module" src="/js/app.js"></script>
</head>
<body>
<header>
  <h1>queuectl</h1>
  <span id="location" class="muted"></span>
  <span id="live" class="live" data-state="connecting">connecting…</span>
</header>
<main>
  <section id="counts" class="counts" aria-label="Jobs by state"></section>
  <div class="grid">
    <section class="panel">
      <h2>Throughput <span class="muted">per minute, last hour</span></h2>
      <svg id="throughput-chart" class="chart" viewBox="0 0 600 180" role="img" aria-label="Completed and failed runs per minute"></svg>
      <p class="legend"><span class="key completed"></span>completed <span class="key failed"></span>failed</p>
    </section>
    <section class="panel">
      <h2>Run durations <span class="muted">all stored runs</span></h2>
      <svg id="duration-chart" class="chart" viewBox="0 0 600 180" role="img" aria-label="Runs by duration"></svg>
      <p id="duration-summary" class="legend muted"></p>
    </section>
  </div>
  <section class="panel">
    <h2>Workers</h2>
    <table id="workers"><thead><tr><th>Worker</th><th>Host</th><th>PID</th><th>Current job</th><th>Heartbeat</th></tr></thead><tbody></tbody></table>
  </section>
  <section class="panel" id="queues-panel">
    <h2>Queues</h2>
    <table id="queues"><thead><tr><th>Queue</th><th>Status</th><th>Limit</th><th>Running</th><th>Runnable</th><th>Pending</th><th>Blocked</th><th>Completed</th><th>Dead</th><th></th></tr></thead><tbody></tbody></table>
  </section>
  <section class="panel" id="jobs-panel">
    <h2>Jobs</h2>
    <div class="filters">
      <select id="state-filter" aria-label="State"><option value="">all states</option>${options}</select>
      <select id="queue-filter" aria-label="Queue"><option value="">all queues</option></select>
      <input id="search" type="search" placeholder="Search id or command" aria-label="Search">
    </div>
    <table id="jobs"><thead><tr><th>ID</th><th>Queue</th><th>State</th><th>Command</th><th>Attempts</th><th>Updated</th><th></th></tr></thead><tbody></tbody></table>
    <div class="pager"><button id="newer" type="button">‹ Newer</button><span id="page-info" class="muted"></span><button id="older" type="button">Older ›</button></div>
  </section>
  <section class="panel" id="schedules-panel">
    <h2>Schedules <span id="schedules-count" class="muted"></span></h2>
    <table id="schedules"><thead><tr><th>Name</th><th>When</th><th>Next run</th><th>Last job</th><th>Fired</th><th>Command</th></tr></thead><tbody></tbody></table>
  </section>
  <section class="panel" id="dlq-panel">
    <h2>Dead letter queue <span id="dlq-count" class="muted"></span> <button id="retry-all" type="button">Retry all</button></h2>
    <table id="dlq"><thead><tr><th>ID</th><th>Command</th><th>Last error</th><th>Died</th><th></th></tr></thead><tbody></tbody></table>
  </section>
</main>
<aside id="job-view" hidden>
  <div class="drawer-head"><h2>Job <code id="job-title"></code></h2><button id="close-job" type="button">Close</button></div>
  <dl id="job-fields"></dl>
  <div id="job-actions"></div>
  <h3>Attempts</h3>
  <table id="attempts"><thead><tr><th>#</th><th>Outcome</th><th>Exit</th><th>Worker</th><th>Started</th><th>Took</th></tr></thead><tbody></tbody></table>
  <h3>Output</h3>
  <div class="output-controls">
    <select id="attempt-select" aria-label="Attempt"></select>
    <button type="button" data-stream="stdout" class="stream active">stdout</button>
    <button type="button" data-stream="stderr" class="stream">stderr</button>
  </div>
  <pre id="output"></pre>
</aside>
<div id="toast" role="status" aria-live="polite"></div>
</body>
</html>
`;
}

export const PAGE_CSS = `:root {
  --bg: #f6f7f9; --panel: #fff; --ink: #1d2430; --muted: #6b7585; --line: #e3e6eb;
  --pending: #6c8ebf; --processing: #d8a106; --completed: #2e9d5b; --failed: #d9822b; --dead: #c8353e; --cancelled: #7a808a;
  font-family: system-ui, -apple-system, "Segoe UI", sans-serif; font-size: 14px; color: var(--ink);
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); }
header { display: flex; align-items: baseline; gap: 1rem; padding: .8rem 1.5rem; background: #1d2430; color: #fff; }
header h1 { margin: 0; font-size: 1.2rem; }
header .muted { color: #aeb6c2; }
.live { margin-left: auto; font-size: .85rem; }
.live::before { content: "●"; margin-right: .35rem; color: #aeb6c2; }
.live[data-state="live"]::before { color: #3ccf7a; }
.live[data-state="offline"]::before { color: #ff6b6b; }
main { padding: 1rem 1.5rem 3rem; max-width: 1300px; }
.muted { color: var(--muted); font-weight: normal; }
.counts { display: grid; grid-template-columns: repeat(6, 1fr); gap: .8rem; margin-bottom: 1rem; }
button.link { border: none; background: none; padding: 0; color: var(--ink); text-decoration: underline; }
.queue-status.paused { color: var(--processing); font-weight: 600; }
.count { background: var(--panel); border: 1px solid var(--line); border-left: 5px solid; border-radius: 6px; padding: .7rem 1rem; text-align: left; cursor: pointer; font: inherit; color: inherit; }
.count .n { display: block; font-size: 1.7rem; font-weight: 600; }
.count.selected { outline: 2px solid var(--ink); }
.grid { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .8rem 1rem; margin-bottom: 1rem; overflow-x: auto; }
h2 { font-size: 1rem; margin: 0 0 .6rem; }
h3 { font-size: .9rem; margin: 1rem 0 .4rem; }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .75rem; text-transform: uppercase; color: var(--muted); }
td.command, td.error { font-family: ui-monospace, monospace; font-size: .85rem; max-width: 420px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
tr.job-row { cursor: pointer; }
tr.job-row:hover { background: #f0f3f7; }
.state { display: inline-block; padding: .05rem .45rem; border-radius: 3px; color: #fff; font-size: .8rem; }
.state.pending { background: var(--pending); } .state.processing { background: var(--processing); }
.state.completed { background: var(--completed); } .state.failed { background: var(--failed); }
.state.dead { background: var(--dead); } .state.cancelled { background: var(--cancelled); }
.count.pending { border-left-color: var(--pending); } .count.processing { border-left-color: var(--processing); }
.count.completed { border-left-color: var(--completed); } .count.failed { border-left-color: var(--failed); }
.count.dead { border-left-color: var(--dead); } .count.cancelled { border-left-color: var(--cancelled); }
button { font: inherit; padding: .2rem .6rem; border: 1px solid #c5cbd5; border-radius: 4px; background: #fff; cursor: pointer; }
button:hover { background: #eef1f5; }
button.danger { color: var(--dead); border-color: #e7b3b7; }
button:disabled { opacity: .4; cursor: default; }
.filters { display: flex; gap: .5rem; margin-bottom: .5rem; }
.filters input { flex: 1; max-width: 360px; }
input, select { font: inherit; padding: .25rem .4rem; border: 1px solid #c5cbd5; border-radius: 4px; }
.pager { display: flex; gap: .8rem; align-items: center; margin-top: .5rem; }
.chart { width: 100%; height: 180px; }
.chart .axis { stroke: var(--line); }
.chart text { font-size: 10px; fill: var(--muted); }
.chart .completed { fill: var(--completed); stroke: var(--completed); }
.chart .failed { fill: var(--failed); stroke: var(--failed); }
.chart .bar { fill: var(--pending); }
.legend { margin: .3rem 0 0; font-size: .8rem; }
.key { display: inline-block; width: .8rem; height: .8rem; margin: 0 .3rem 0 .8rem; vertical-align: middle; }
.key.completed { background: var(--completed); } .key.failed { background: var(--failed); }
#job-view { position: fixed; top: 0; right: 0; bottom: 0; width: min(640px, 100%); background: var(--panel); border-left: 1px solid var(--line); box-shadow: -6px 0 18px rgba(0,0,0,.08); padding: 1rem 1.2rem; overflow-y: auto; }
.drawer-head { display: flex; justify-content: space-between; align-items: baseline; }
dl { display: grid; grid-template-columns: 9rem 1fr; gap: .25rem .8rem; margin: .5rem 0; }
dt { color: var(--muted); } dd { margin: 0; word-break: break-word; }
dd.command { font-family: ui-monospace, monospace; white-space: pre-wrap; }
.output-controls { display: flex; gap: .4rem; margin-bottom: .4rem; }
button.stream.active { background: #1d2430; color: #fff; }
pre#output { background: #11161f; color: #d7dde8; padding: .8rem; border-radius: 5px; min-height: 6rem; max-height: 50vh; overflow: auto; white-space: pre-wrap; word-break: break-all; }
#toast { position: fixed; bottom: 1rem; left: 50%; transform: translateX(-50%); background: #1d2430; color: #fff; padding: .5rem 1rem; border-radius: 5px; opacity: 0; transition: opacity .2s; pointer-events: none; }
#toast.shown { opacity: 1; }
#toast.error { background: var(--dead); }
.empty { color: var(--muted); font-style: italic; }
@media (max-width: 900px) { .grid, .counts { grid-template-columns: 1fr; } }
`;
