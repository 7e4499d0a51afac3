// The web console in a real browser: Debian's Chromium driven by
// playwright-core (pinned; no browser is downloaded). Against `flytecpp ui`
// over a fresh store it checks that a local run is listed (and that its
// cached task is a cache hit for the API's run later), registers a
// package, launches from the generated form (a bad value first: inline
// message, nothing created), watches the graph turn green live, follows a
// node's logs, approves a gate, sends a typed signal, expands a sub-workflow
// and releases a gate inside a branch, shows a retried task's attempts,
// terminates a run and recovers it,
// relaunches from a pre-filled form, shows a server error, renders the
// 10,000-node graph (time to first render printed, not asserted) and checks
// that nothing is polled. A screenshot of each page goes to SHOTS_DIR.
//
// Usage: node console_test.mjs FLYTECPP WORK_DIR CONSOLE_PACKAGE_BIN SHOTS_DIR
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [flytecpp, work, packageBin, shots] = process.argv.slice(2);
if (!shots) {
  console.error('usage: node console_test.mjs FLYTECPP WORK_DIR CONSOLE_PACKAGE_BIN SHOTS_DIR');
  process.exit(2);
}
const chromiumPath = process.env.FLYTECPP_CHROMIUM ?? '/usr/bin/chromium';
if (!existsSync(chromiumPath)) {
  console.log(`SKIPPED: NO CHROMIUM at ${chromiumPath} (scripts/setup.sh installs Debian's chromium)`);
  process.exit(0);
}
const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'package.json'));
const { chromium } = require('playwright-core');

rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, 'pkg'), { recursive: true });
mkdirSync(shots, { recursive: true });
const store = join(work, 'store');
const step = (what) => console.log(`-- ${what}`);

// A local run first: the newcomer's `flytecpp ui` must list it.
execFileSync(packageBin, [join(work, 'pkg')]);
const pkg = join(work, 'console.tgz');
execFileSync('tar', ['-czf', pkg, '-C', join(work, 'pkg'), '.']);
// It runs console.shapes up to its gate (its cached task runs), and waits there.
const local = execFileSync(flytecpp, ['--store', store, 'run', pkg, '--workflow', 'console.shapes', '--detach'], { encoding: 'utf8' });
const localName = /execution (\S+)/.exec(local)?.[1] ?? /(\w{20})/.exec(local)?.[1];
assert.ok(localName, `no execution name in: ${local}`);

// A Python task that raises (with the pinned flytekit, when the test has
// it): the console must show its exception in one line, not a traceback.
const pythonBin = process.env.FLYTECPP_PYTHON_BIN ?? '';
const withPython = pythonBin !== '' && existsSync(join(pythonBin, 'pyflyte-execute'));
if (withPython) {
  writeFileSync(join(work, 'fails.py'), [
    'from flytekit import task, workflow', '', '',
    '@task', 'def boom(x: int) -> int:', '    if x > 1:', '        raise ValueError(f"x is too big: {x}")',
    '    return x', '', '',
    '@workflow', 'def fails(x: int = 5) -> int:', '    return boom(x=x)', ''].join('\n'));
  const env = { ...process.env, PATH: `${pythonBin}:${process.env.PATH}` };
  const failed = spawnSync(flytecpp, ['--store', store, 'run', join(work, 'fails.py'), 'fails', '--exec-id', 'pyfails'], { env, encoding: 'utf8' });
  assert.equal(failed.status, 1, `the Python run should fail: ${failed.stderr}`);
} else {
  console.log(`NOTE: no flytekit at FLYTECPP_PYTHON_BIN=${pythonBin}: the Python task's error is not checked`);
}

const ui = spawn(flytecpp, ['--store', store, 'ui', '--http', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
let browser;
const stop = () => {
  ui.kill('SIGTERM');
  return browser?.close();
};
process.on('exit', () => ui.kill('SIGKILL'));
const banner = await new Promise((resolve, reject) => {
  let text = '';
  ui.stdout.on('data', (d) => {
    text += d;
    if (text.includes('\n')) resolve(text);
  });
  ui.on('exit', (code) => reject(new Error(`flytecpp ui exited (${code}): ${text}`)));
  setTimeout(() => reject(new Error(`flytecpp ui printed nothing in 20 s: ${text}`)), 20000);
});
const url = /flytecpp ui: (http:\/\/\S+)/.exec(banner)?.[1];
const grpc = /gRPC on (\S+?);/.exec(banner)?.[1];
assert.ok(url && grpc, `unexpected banner: ${banner}`);
console.log(banner.trim());

execFileSync(flytecpp, ['register', pkg, '--server', grpc, '--version', 'v1'], { stdio: 'inherit' });

const api = async (path) => {
  const res = await fetch(url.replace(/\/$/, '') + '/api/v1/' + path);
  assert.equal(res.status, 200, `${path}: HTTP ${res.status}`);
  return res.json();
};
// Creates an execution of launch plan `name` (v1) with its defaults; its name.
const launch = async (name) => {
  const lp = { resource_type: 'LAUNCH_PLAN', project: 'flytesnacks', domain: 'development', name, version: 'v1' };
  const res = await fetch(url + 'api/v1/executions', {
    method: 'POST',
    body: JSON.stringify({ project: 'flytesnacks', domain: 'development', spec: { launch_plan: lp }, inputs: {} }),
  }).then((r) => r.json());
  assert.ok(res.id?.name, JSON.stringify(res));
  return res.id.name;
};
const executions = async () => (await api('executions/flytesnacks/development?limit=100')).executions ?? [];

try {
  browser = await chromium.launch({ executablePath: chromiumPath, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const apiCalls = [];
  page.on('request', (r) => r.url().includes('/api/v1/') && apiCalls.push(r.url()));
  const shot = (name) => page.screenshot({ path: join(shots, name + '.png') });
  const phaseOf = (sel) => page.locator(sel).getAttribute('data-phase');
  const waitPhase = (sel, phase, timeout = 60000) =>
    page.waitForSelector(`${sel}[data-phase="${phase}"]`, { timeout }).catch(async (e) => {
      throw new Error(`${sel} never reached ${phase} (it is ${await phaseOf(sel).catch(() => '?')}): ${e.message}`);
    });

  step('the executions page lists the local run');
  await page.goto(url);
  await page.waitForSelector(`tr[data-execution="${localName}"]`, { timeout: 15000 });
  await page.waitForSelector('[data-feed="on"]');

  step('launch form: a bad value is refused inline, nothing is created');
  await page.click('text=Launch plans');
  await page.click('tr[data-entity="console.review"] a');
  await page.waitForSelector('form.launch-form');
  assert.equal(await page.inputValue('form.launch-form input[name="n"]'), '3', 'the default of n is filled in');
  assert.equal(JSON.parse(await page.inputValue('form.launch-form textarea[name="xs"]')).length, 5);
  const before = (await executions()).length;
  await page.fill('form.launch-form input[name="n"]', 'three');
  await page.click('form.launch-form button[type="submit"]');
  await page.waitForSelector('.field.invalid .field-error:has-text("not an integer")');
  await shot('launch-form');
  assert.equal((await executions()).length, before, 'a refused form created an execution');

  step('launch console.review; its graph turns green live');
  await page.fill('form.launch-form input[name="n"]', '6');
  await page.click('form.launch-form button[type="submit"]');
  await page.waitForURL(/#\/executions\/flytesnacks\/development\/\w+/);
  const reviewName = decodeURIComponent(/executions\/flytesnacks\/development\/(\w+)/.exec(page.url())[1]);
  await waitPhase('[data-node="produce"]', 'RUNNING');

  step("follow produce's logs while it runs");
  await page.click('[data-node="produce"]');
  await page.waitForSelector('.node-panel .live');
  await page.waitForSelector('pre.log:has-text("line 1 of 6")', { timeout: 30000 });
  const early = await page.textContent('pre.log');
  assert.ok(!early.includes('line 6 of 6'), `the log was complete when first shown, so nothing was followed: ${early}`);
  await page.waitForSelector('pre.log:has-text("line 6 of 6")', { timeout: 30000 });
  await shot('logs');
  await page.click('.node-panel .tabs button:has-text("stderr")');
  await page.waitForSelector('pre.log[data-log="stderr"]:has-text("done")');

  step('the array node shows its elements; the gate waits with its buttons');
  await waitPhase('[data-node="produce"]', 'SUCCEEDED');
  await waitPhase('[data-node="squares"]', 'SUCCEEDED');
  const bar = page.locator('[data-node="squares"] .array-bar');
  assert.equal(await bar.getAttribute('data-total'), '5');
  assert.equal(await bar.getAttribute('data-succeeded'), '5');
  await waitPhase('[data-node="review"]', 'RUNNING');
  assert.equal(await phaseOf('[data-node="report"]'), 'PENDING', 'report ran before the gate was approved');
  await page.click('[data-node="squares"]');
  await page.waitForSelector('.node-panel table[data-elements="5"]');
  await page.click('.node-panel .close');
  await shot('graph-gate-waiting');

  step('approve the gate from the graph; the run finishes');
  await page.click('[data-node="review"] [data-gate-action="Approve"]');
  await waitPhase('[data-node="report"]', 'SUCCEEDED');
  await waitPhase('.exec-header h2 .phase', 'SUCCEEDED');
  await page.waitForSelector('.io td:has-text("approved 60")');
  await shot('execution');
  await page.click('.tabs button:has-text("Timeline")');
  await page.waitForSelector('[data-bar="produce #0"]');
  await page.waitForSelector('[data-bar="flaky #0"][data-phase="FAILED"]');
  await page.waitForSelector('[data-bar="flaky #1"][data-phase="SUCCEEDED"]');
  await page.waitForSelector('[data-bar="squares"][data-phase="SUCCEEDED"]');
  await shot('timeline');
  await page.click('[data-bar="flaky #0"]');
  await page.waitForSelector('.node-panel tr[data-attempt="1"]');
  await page.waitForSelector('.node-panel tr[data-attempt="0"] .error:has-text("attempt 0 fails")');

  step('nothing is polled: an idle page sends no API calls');
  await page.waitForTimeout(600);
  const idleFrom = apiCalls.length;
  await page.waitForTimeout(2500);
  assert.deepEqual(apiCalls.slice(idleFrom), [], 'API calls while nothing changed');
  const workflowReads = apiCalls.filter((u) => u.includes('/workflows/flytesnacks/development/console.review/v1'));
  assert.equal(workflowReads.length, 1, 'the workflow, which never changes, was read again on refreshes');

  step('relaunch: the form is pre-filled with the run\'s inputs');
  await page.click('.actions a:has-text("Relaunch")');
  await page.waitForSelector('form.launch-form h3:has-text("Relaunch")');
  assert.equal(await page.inputValue('form.launch-form input[name="n"]'), '6');

  step('a typed signal: a bad value is refused inline, a good one ends the run');
  const ask = await launch('console.ask');
  await page.goto(`${url}#/executions/flytesnacks/development/${ask}`);
  await waitPhase('[data-node="ask"]', 'RUNNING');
  await page.click('[data-node="ask"] [data-gate-action="Set value…"]');
  await page.fill('.gate-form input[name="limit"]', '7.5');
  await page.click('.gate-form button[type="submit"]');
  await page.waitForSelector('.gate-form .field-error:has-text("not an integer")');
  await shot('signal-form');
  await page.fill('.gate-form input[name="limit"]', '7');
  await page.click('.gate-form button[type="submit"]');
  await waitPhase('.exec-header h2 .phase', 'SUCCEEDED');
  await page.waitForSelector('.io td:has-text("7")');

  step('a sub-workflow expands in place; a gate inside a branch shows as waiting');
  const shapes = await launch('console.shapes');
  await page.goto(`${url}#/executions/flytesnacks/development/${shapes}`);
  await waitPhase('[data-node="inner"]', 'SUCCEEDED');
  assert.equal(await page.locator('[data-node="inner/pass"]').count(), 0, 'the sub-workflow was open from the start');
  await page.click('[data-expand="inner"]');
  await waitPhase('[data-node="inner/pass"]', 'SUCCEEDED');
  await page.click('[data-node="inner/pass"]');
  await page.waitForSelector('.node-panel [data-cache="CACHE_HIT"]'); // the local run cached it
  await page.waitForSelector('[data-node="choose"] .detail:has-text("took")');
  await page.click('[data-node="choose"] [data-gate-action="Set value…"]');
  await page.fill('.gate-form input[name="pick"]', '5');
  await shot('branch-subworkflow');
  await page.click('.gate-form button[type="submit"]');
  await waitPhase('.exec-header h2 .phase', 'SUCCEEDED');
  await page.waitForSelector('.io td:has-text("5")');

  step('terminate a running execution');
  await page.goto(`${url}#/launch_plans/flytesnacks/development/console.slow/v1`);
  await page.click('form.launch-form button[type="submit"]');
  await page.waitForURL(/#\/executions\//);
  await waitPhase('[data-node="sleep"]', 'RUNNING');
  page.once('dialog', (d) => d.accept('stopped by the console test'));
  await page.click('.actions button:has-text("Terminate")');
  await waitPhase('.exec-header h2 .phase', 'ABORTED');
  await page.waitForSelector('text=stopped by the console test');

  step('recover the aborted run: a new execution, marked as its recovery');
  await page.click('.actions button:has-text("Recover")');
  await page.waitForSelector('.exec-header p:has-text("recovered of")');
  await waitPhase('[data-node="sleep"]', 'RUNNING');
  page.once('dialog', (d) => d.accept('recovered, then stopped'));
  await page.click('.actions button:has-text("Terminate")');
  await waitPhase('.exec-header h2 .phase', 'ABORTED');

  step("a launch plan's schedule: activated from its page, when it fires next, deactivated");
  await page.goto(`${url}#/launch_plans/flytesnacks/development/console.slow/v1`);
  await page.waitForSelector('[data-lp-state="INACTIVE"]');
  await page.waitForSelector('text=it fires once this version is active');
  await page.click('[data-lp-state] button:has-text("Activate")');
  await page.waitForSelector('[data-lp-state="ACTIVE"]');
  const nextRun = await page.textContent('[data-next-run]');
  assert.match(nextRun, /Fires cron @yearly; next /, nextRun);
  assert.equal(
    (await api('launch_plans/flytesnacks/development/console.slow/v1')).closure.state, 'ACTIVE');
  await shot('schedule');
  await page.click('[data-lp-state] button:has-text("Deactivate")');
  await page.waitForSelector('[data-lp-state="INACTIVE"]');
  assert.equal(
    (await api('launch_plans/flytesnacks/development/console.slow/v1')).closure.state, 'INACTIVE');

  step('the list: counts, the phase filter');
  await page.goto(url + '#/executions');
  await page.waitForSelector(`tr[data-execution="${reviewName}"]`);
  await page.waitForSelector('[data-count="ABORTED"] b:has-text("2")');
  await page.click('[data-count="ABORTED"]');
  await page.waitForFunction(() => document.querySelectorAll('tr[data-execution]').length === 2);
  await page.click('.counts .chip:has-text("all")');
  await page.waitForSelector(`tr[data-execution="${reviewName}"]`);
  await page.fill('input[placeholder="workflow name contains"]', 'shapes');
  await page.click('.filters button[type="submit"]');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('tr[data-execution]')];
    return rows.length === 2 && rows.every((r) => r.textContent.includes('console.shapes'));
  }); // the local run and the API's
  await page.fill('input[placeholder="workflow name contains"]', '');
  await page.click('.filters button[type="submit"]');
  await page.waitForSelector(`tr[data-execution="${reviewName}"]`);
  await shot('executions');

  step('a server error is shown, not a blank page');
  await page.goto(`${url}#/executions/flytesnacks/development/nosuchexecution`);
  await page.waitForSelector('.error-box:has-text("does not exist")');

  if (withPython) {
    step("a Python task's exception, in one line");
    await page.goto(`${url}#/executions/flytesnacks/development/pyfails`);
    const box = page.locator('.error-box:has-text("ValueError: x is too big: 5")');
    await box.waitFor();
    const text = await box.innerText();
    assert.ok(!text.includes('Traceback'), `a traceback in the console: ${text}`);
    await shot('python-error');
  }

  step('the 10,000-node workflow renders');
  const started = Date.now();
  await page.goto(`${url}#/workflows/flytesnacks/development/console.big/v1`);
  await page.waitForSelector('svg.graph-canvas[data-nodes="10002"] [data-node="start-node"]', { timeout: 60000 });
  const firstRender = Date.now() - started;
  const drawn = await page.locator('svg.graph-canvas [data-node]').count();
  assert.ok(drawn < 2000, `${drawn} nodes drawn: everything out of view was drawn too`);
  await shot('big-graph');
  const fitStarted = Date.now();
  await page.click('.graph-tools button:has-text("Fit")');
  await page.waitForFunction(() => document.querySelectorAll('svg.graph-canvas [data-node]').length > 9000, null, { timeout: 60000 });
  const fitRender = Date.now() - fitStarted;
  await shot('big-graph-fit');
  console.log(`console.big_graph_nodes: 10002`);
  console.log(`console.big_graph_first_render_ms: ${firstRender}`);
  console.log(`console.big_graph_fit_all_ms: ${fitRender}`);

  assert.deepEqual(pageErrors, [], 'errors in the page');
  console.log('console_test: all passed');
} finally {
  await stop();
}
