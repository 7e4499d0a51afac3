// A real FlyteAdmin client against `flytecpp serve`: @grpc/grpc-js with the
// official @flyteorg/flyteidl service stubs, as flytectl and flytekit's
// clients use the API. Registers the snacks-core package of flytepropeller's
// compiler suite (hydrating ids as `flytectl register files` does), reads it
// back, and checks flyteadmin's registration semantics.
//   node grpc_client_test.js FLYTECPP WORKDIR [CONFORMANCE_DIR]
'use strict';
const assert = require('assert');
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const { flyteidl } = require('@flyteorg/flyteidl/gen/pb-js/flyteidl.js');

const [flytecpp, workdir, conformanceArg] = process.argv.slice(2);
const conformance = process.env.FLYTECPP_CONFORMANCE_DIR || conformanceArg;
if (!flytecpp || !workdir) {
  console.error('usage: node grpc_client_test.js FLYTECPP WORKDIR [CONFORMANCE_DIR]');
  process.exit(2);
}
const core = flyteidl.core, admin = flyteidl.admin;
const PROJECT = 'flytesnacks', DOMAIN = 'development', VERSION = 'v1';

let passed = 0;
const skipped = []; // parts that could not run here: the test reports a skip (after passing)
const ok = (name) => { passed++; console.log(`ok   ${name}`); };

// Starts the server on a free port; resolves with its address once it says where.
function startServer() {
  fs.rmSync(workdir, { recursive: true, force: true });
  fs.mkdirSync(workdir, { recursive: true });
  // The store: a directory, or the PostgreSQL database with_pg_database.sh made.
  const url = process.env.FLYTECPP_TEST_STORE_URL;
  const store = url ? ['--store', url, '--home', path.join(workdir, 'home')]
                    : ['--store', path.join(workdir, 'store')];
  const proc = spawn(flytecpp, [...store, 'serve', '--grpc', '127.0.0.1:0', '--http', '127.0.0.1:0'],
                     { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/gRPC on ([^\s,]+), HTTP on ([^\s,]+)/);
      if (m) resolve({ proc, address: m[1], http: `http://${m[2]}` });
    });
    proc.on('exit', (code) => reject(new Error(`flytecpp serve exited ${code}: ${out}`)));
  });
}

// The official service stubs over a grpc-js channel (flyte-formats-and-api.md §3.2).
function services(address) {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const rpc = (svc) => (method, data, cb) =>
    client.makeUnaryRequest(`/${svc}/${method.name}`, (b) => Buffer.from(b), (b) => b, data, cb);
  return {
    client,
    admin: flyteidl.service.AdminService.create(rpc('flyteidl.service.AdminService')),
    signals: flyteidl.service.SignalService.create(rpc('flyteidl.service.SignalService')),
  };
}

// flytectl's hydration: every identifier gets the project, domain and version.
function hydrate(message) {
  if (message === null || typeof message !== 'object') return;
  if (message instanceof core.Identifier) {
    message.project = message.project || PROJECT;
    message.domain = message.domain || DOMAIN;
    message.version = message.version || VERSION;
  }
  for (const value of Object.values(message)) {
    if (Array.isArray(value)) value.forEach(hydrate);
    else if (value && typeof value === 'object') hydrate(value);
  }
}

async function expectCode(promise, code, needle) {
  try {
    await promise;
  } catch (e) {
    assert.strictEqual(e.code, code, `wanted code ${code}, got ${e.code}: ${e.details}`);
    if (needle) assert.ok(e.details.includes(needle), `"${e.details}" lacks "${needle}"`);
    return e;
  }
  assert.fail(`wanted code ${code}, the call succeeded`);
}

async function main() {
  const { proc, address, http } = await startServer();
  const { client, admin: svc, signals } = services(address);
  try {
    const version = await svc.getVersion({});
    assert.ok(version.controlPlaneVersion.Version.includes('flytecpp'));
    ok(`GetVersion over gRPC from the official client (${version.controlPlaneVersion.Version})`);

    const snacks = conformance && path.join(conformance, 'flytepropeller-compiler', 'snacks-core');
    if (!snacks || !fs.existsSync(snacks)) {
      skipped.push(`registering snacks-core: conformance artifacts not found at ${snacks}`);
      console.log(`SKIP ${skipped.at(-1)}`);
    } else {
      // Register every file in the package's order, as flytectl does.
      const files = fs.readdirSync(snacks).filter((f) => /_[123]\.pb$/.test(f)).sort();
      const counts = { task: 0, workflow: 0, launchPlan: 0 };
      for (const file of files) {
        const bytes = fs.readFileSync(path.join(snacks, file));
        try {
          if (file.endsWith('_1.pb')) {
            const spec = admin.TaskSpec.decode(bytes);
            hydrate(spec);
            await svc.createTask({ id: spec.template.id, spec });
            counts.task++;
          } else if (file.endsWith('_2.pb')) {
            const spec = admin.WorkflowSpec.decode(bytes);
            hydrate(spec);
            await svc.createWorkflow({ id: spec.template.id, spec });
            counts.workflow++;
          } else {
            const lp = admin.LaunchPlan.decode(bytes);
            hydrate(lp);
            await svc.createLaunchPlan({ id: lp.id, spec: lp.spec });
            counts.launchPlan++;
          }
        } catch (e) {
          throw new Error(`${file}: ${e.details || e.message}`);
        }
      }
      assert.ok(counts.task > 0 && counts.workflow > 0 && counts.launchPlan > 0);
      ok(`registered snacks-core: ${counts.task} tasks, ${counts.workflow} workflows, ` +
         `${counts.launchPlan} launch plans`);

      const wfId = { resourceType: core.ResourceType.WORKFLOW, project: PROJECT, domain: DOMAIN,
                     name: 'core.control_flow.chain_tasks.chain_tasks_wf', version: VERSION };
      const wf = await svc.getWorkflow({ id: wfId });
      assert.strictEqual(wf.id.name, wfId.name);
      assert.ok(wf.closure.compiledWorkflow.primary.template.nodes.length > 0);
      assert.ok(wf.closure.compiledWorkflow.tasks.length > 0);
      assert.ok(wf.closure.createdAt.seconds > 0);
      ok('GetWorkflow returns the workflow compiled at registration, with its tasks');

      const lps = await svc.listLaunchPlans({ id: { project: PROJECT, domain: DOMAIN }, limit: 5 });
      assert.strictEqual(lps.launchPlans.length, 5);
      assert.strictEqual(lps.token, '5');
      const next = await svc.listLaunchPlans({ id: { project: PROJECT, domain: DOMAIN }, limit: 5,
                                               token: lps.token });
      assert.notStrictEqual(next.launchPlans[0].id.name, lps.launchPlans[0].id.name);
      const lp = lps.launchPlans[0];
      assert.strictEqual(lp.closure.state, admin.LaunchPlanState.INACTIVE);
      ok('ListLaunchPlans pages with limit and token; new launch plans are INACTIVE');

      await expectCode(svc.getActiveLaunchPlan({ id: { project: PROJECT, domain: DOMAIN, name: lp.id.name } }),
                       grpc.status.NOT_FOUND, 'no active launch plan');
      await svc.updateLaunchPlan({ id: lp.id, state: admin.LaunchPlanState.ACTIVE });
      const active = await svc.getActiveLaunchPlan({ id: { project: PROJECT, domain: DOMAIN, name: lp.id.name } });
      assert.strictEqual(active.id.version, VERSION);
      assert.strictEqual(active.closure.state, admin.LaunchPlanState.ACTIVE);
      ok('UpdateLaunchPlan activates; GetActiveLaunchPlan finds it');

      // flyteadmin's registration semantics.
      const taskFile = files.find((f) => f.endsWith('_1.pb'));
      const spec = admin.TaskSpec.decode(fs.readFileSync(path.join(snacks, taskFile)));
      hydrate(spec);
      await expectCode(svc.createTask({ id: spec.template.id, spec }), grpc.status.ALREADY_EXISTS,
                       'identical structure');
      spec.template.container.image = 'somewhere/else:v2';
      const changed = await expectCode(svc.createTask({ id: spec.template.id, spec }),
                                       grpc.status.INVALID_ARGUMENT, 'different structure already exists');
      assert.ok(changed.details.includes('somewhere/else:v2'), changed.details);  // what differs
      ok('re-registering is ALREADY_EXISTS; a changed spec under the same version is refused');
    }

    // ---- Executions: a workflow of our own that runs here (a sandboxed shell task).
    const intType = { simple: core.SimpleType.INTEGER };
    const ident = (resourceType, name) => ({ resourceType, project: PROJECT, domain: DOMAIN, name,
                                             version: VERSION });
    const shellTask = (name, script) => ({
      id: ident(core.ResourceType.TASK, name),
      type: 'raw-container',
      metadata: { retries: {} },
      interface: { inputs: { variables: { x: { type: intType } } },
                   outputs: { variables: { y: { type: intType } } } },
      container: { image: 'debian:12', command: ['sh', '-c', script],
                   dataConfig: { enabled: true, inputPath: '/var/inputs', outputPath: '/var/outputs' } },
    });
    const double = shellTask('server.double', 'expr $(cat /var/inputs/x) \\* 2 > /var/outputs/y');
    const slow = shellTask('server.slow', 'sleep 600; echo 0 > /var/outputs/y');
    for (const t of [double, slow]) await svc.createTask({ id: t.id, spec: { template: t } });
    const wfOf = (name, task) => ({
      id: ident(core.ResourceType.WORKFLOW, name),
      metadata: {},
      interface: { inputs: { variables: { x: { type: intType } } },
                   outputs: { variables: { y: { type: intType } } } },
      nodes: [{ id: 'n0', inputs: [{ var: 'x', binding: { promise: { nodeId: 'start-node', var: 'x' } } }],
                taskNode: { referenceId: task.id } }],
      outputs: [{ var: 'y', binding: { promise: { nodeId: 'n0', var: 'y' } } }],
    });
    for (const [name, task] of [['server.double_wf', double], ['server.slow_wf', slow]]) {
      const template = wfOf(name, task);
      await svc.createWorkflow({ id: template.id, spec: { template } });
      await svc.createLaunchPlan({
        id: ident(core.ResourceType.LAUNCH_PLAN, name),
        spec: { workflowId: template.id,
                defaultInputs: { parameters: { x: { var: { type: intType },
                                                    default: { scalar: { primitive: { integer: 4 } } } } } } },
      });
    }
    const created = await svc.createExecution({
      project: PROJECT, domain: DOMAIN,
      spec: { launchPlan: ident(core.ResourceType.LAUNCH_PLAN, 'server.double_wf'), metadata: {} },
      inputs: { literals: { x: { scalar: { primitive: { integer: 21 } } } } },
    });
    assert.strictEqual(created.id.project, PROJECT);
    assert.ok(/^[a-z][a-z0-9]{19}$/.test(created.id.name), created.id.name);
    const waitFor = async (id, phases) => {
      for (let i = 0; i < 600; i++) {
        const e = await svc.getExecution({ id });
        if (phases.includes(e.closure.phase)) return e;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`execution ${id.name} never reached ${phases}`);
    };
    const P = core.WorkflowExecution.Phase;
    const done = await waitFor(created.id, [P.SUCCEEDED, P.FAILED, P.ABORTED]);
    assert.strictEqual(done.closure.phase, P.SUCCEEDED, JSON.stringify(done.closure.error));
    assert.strictEqual(done.closure.workflowId.name, 'server.double_wf');
    assert.strictEqual(done.spec.launchPlan.name, 'server.double_wf');
    const data = await svc.getExecutionData({ id: created.id });
    assert.strictEqual(data.fullOutputs.literals.y.scalar.primitive.integer.toString(), '42');
    assert.strictEqual(data.fullInputs.literals.x.scalar.primitive.integer.toString(), '21');
    ok('CreateExecution of a launch plan runs it; GetExecution reaches SUCCEEDED; GetExecutionData has full_outputs');

    // The launch plan's default input, and a single task launched directly.
    const byDefault = await svc.createExecution({ project: PROJECT, domain: DOMAIN, name: 'by-default',
      spec: { launchPlan: ident(core.ResourceType.LAUNCH_PLAN, 'server.double_wf') } });
    assert.strictEqual(byDefault.id.name, 'by-default');
    await waitFor(byDefault.id, [P.SUCCEEDED]);
    const single = await svc.createExecution({ project: PROJECT, domain: DOMAIN,
      spec: { launchPlan: ident(core.ResourceType.TASK, 'server.double') },
      inputs: { literals: { x: { scalar: { primitive: { integer: 5 } } } } } });
    await waitFor(single.id, [P.SUCCEEDED]);
    assert.strictEqual((await svc.getExecutionData({ id: byDefault.id })).fullOutputs.literals.y.scalar
      .primitive.integer.toString(), '8');
    assert.strictEqual((await svc.getExecutionData({ id: single.id })).fullOutputs.literals.y.scalar
      .primitive.integer.toString(), '10');
    ok('a launch plan\'s default inputs apply; a single task runs as its own execution');

    await expectCode(svc.createExecution({ project: PROJECT, domain: DOMAIN, name: 'by-default',
      spec: { launchPlan: ident(core.ResourceType.LAUNCH_PLAN, 'server.double_wf') } }),
      grpc.status.ALREADY_EXISTS, 'execution by-default already exists');
    await expectCode(svc.createExecution({ project: PROJECT, domain: DOMAIN,
      spec: { launchPlan: ident(core.ResourceType.LAUNCH_PLAN, 'server.double_wf') },
      inputs: { literals: { x: { scalar: { primitive: { stringValue: 'seven' } } } } } }),
      grpc.status.INVALID_ARGUMENT, 'x');
    await expectCode(svc.getExecution({ id: { project: PROJECT, domain: 'production', name: 'by-default' } }),
      grpc.status.NOT_FOUND, 'does not exist');

    // Node and task executions of the finished one.
    const nodes = await svc.listNodeExecutions({ workflowExecutionId: created.id, limit: 10 });
    const n0 = nodes.nodeExecutions.find((n) => n.id.nodeId === 'n0');
    assert.ok(n0, JSON.stringify(nodes.nodeExecutions.map((n) => n.id.nodeId)));
    assert.strictEqual(n0.closure.phase, core.NodeExecution.Phase.SUCCEEDED);
    const n0data = await svc.getNodeExecutionData({ id: n0.id });
    assert.strictEqual(n0data.fullInputs.literals.x.scalar.primitive.integer.toString(), '21');
    assert.strictEqual(n0data.fullOutputs.literals.y.scalar.primitive.integer.toString(), '42');
    const attempts = await svc.listTaskExecutions({ nodeExecutionId: n0.id, limit: 10 });
    assert.strictEqual(attempts.taskExecutions.length, 1);
    const attempt = attempts.taskExecutions[0];
    assert.strictEqual(attempt.closure.phase, core.TaskExecution.Phase.SUCCEEDED);
    assert.strictEqual(attempt.id.taskId.name, 'server.double');
    const stderrLog = attempt.closure.logs.find((l) => l.name === 'stderr');
    assert.ok(stderrLog && stderrLog.uri.startsWith(`${http}/logs/`), JSON.stringify(attempt.closure.logs));
    assert.strictEqual((await fetch(stderrLog.uri)).status, 200);
    const attemptData = await svc.getTaskExecutionData({ id: attempt.id });
    assert.strictEqual(attemptData.fullOutputs.literals.y.scalar.primitive.integer.toString(), '42');
    await expectCode(svc.getNodeExecution({ id: { executionId: created.id, nodeId: 'zz' } }),
                     grpc.status.NOT_FOUND, 'has no node zz');
    ok('node executions, their data, and task attempts with their logs and data');

    // A sub-workflow's nodes are its node's children (unique_parent_id).
    const child = wfOf('server.child_wf', double);
    const parent = {
      id: ident(core.ResourceType.WORKFLOW, 'server.parent_wf'), metadata: {},
      interface: child.interface,
      nodes: [{ id: 'sub', inputs: [{ var: 'x', binding: { promise: { nodeId: 'start-node', var: 'x' } } }],
                workflowNode: { subWorkflowRef: child.id } }],
      outputs: [{ var: 'y', binding: { promise: { nodeId: 'sub', var: 'y' } } }],
    };
    await svc.createWorkflow({ id: parent.id, spec: { template: parent, subWorkflows: [child] } });
    await svc.createLaunchPlan({ id: ident(core.ResourceType.LAUNCH_PLAN, 'server.parent_wf'),
                                 spec: { workflowId: parent.id } });
    const nested = await svc.createExecution({ project: PROJECT, domain: DOMAIN, name: 'nested',
      spec: { launchPlan: ident(core.ResourceType.LAUNCH_PLAN, 'server.parent_wf') },
      inputs: { literals: { x: { scalar: { primitive: { integer: 6 } } } } } });
    await waitFor(nested.id, [P.SUCCEEDED]);
    const top = await svc.listNodeExecutions({ workflowExecutionId: nested.id, limit: 10 });
    const sub = top.nodeExecutions.find((n) => n.id.nodeId === 'sub');
    assert.ok(sub && sub.metadata.isParentNode, JSON.stringify(top.nodeExecutions.map((n) => n.id)));
    assert.ok(top.nodeExecutions.every((n) => !n.id.nodeId.includes('/')));
    const children = await svc.listNodeExecutions({ workflowExecutionId: nested.id, limit: 10,
                                                    uniqueParentId: 'sub' });
    const inner = children.nodeExecutions.find((n) => n.id.nodeId === 'sub/n0');
    assert.ok(inner, JSON.stringify(children.nodeExecutions.map((n) => n.id.nodeId)));
    assert.strictEqual((await svc.getNodeExecutionData({ id: inner.id })).fullOutputs.literals.y
      .scalar.primitive.integer.toString(), '12');
    ok('ListNodeExecutions: top-level nodes, then a sub-workflow node\'s children by unique_parent_id');

    // A dynamic task (flytekit's protocol: a DynamicJobSpec in
    // {{.outputPrefix}}/futures.pb, written here by printf): the workflow it
    // generated is in its node's data.
    const generated = core.DynamicJobSpec.encode({
      nodes: [{ id: 'd0', inputs: [{ var: 'x', binding: { scalar: { primitive: { integer: 21 } } } }],
                taskNode: { referenceId: double.id } }],
      outputs: [{ var: 'y', binding: { promise: { nodeId: 'd0', var: 'y' } } }],
      tasks: [double] }).finish();
    const octal = Array.from(generated, (b) => '\\' + b.toString(8).padStart(3, '0')).join('');
    const dyn = { id: ident(core.ResourceType.TASK, 'server.dynamic'), type: 'python-task',
                  metadata: {}, interface: { outputs: { variables: { y: { type: intType } } } },
                  container: { image: 'debian:12', command: ['sh', '-c'],
                               args: [`printf '${octal}' > {{.outputPrefix}}/futures.pb`] } };
    await svc.createTask({ id: dyn.id, spec: { template: dyn } });
    const dynWf = { id: ident(core.ResourceType.WORKFLOW, 'server.dynamic_wf'), metadata: {},
                    interface: { outputs: { variables: { y: { type: intType } } } },
                    nodes: [{ id: 'n0', taskNode: { referenceId: dyn.id } }],
                    outputs: [{ var: 'y', binding: { promise: { nodeId: 'n0', var: 'y' } } }] };
    await svc.createWorkflow({ id: dynWf.id, spec: { template: dynWf } });
    await svc.createLaunchPlan({ id: ident(core.ResourceType.LAUNCH_PLAN, 'server.dynamic_wf'),
                                 spec: { workflowId: dynWf.id } });
    const dynRun = await svc.createExecution({ project: PROJECT, domain: DOMAIN, name: 'dynamic-one',
      spec: { launchPlan: ident(core.ResourceType.LAUNCH_PLAN, 'server.dynamic_wf') } });
    const dynDone = await waitFor(dynRun.id, [P.SUCCEEDED, P.FAILED]);
    assert.strictEqual(dynDone.closure.phase, P.SUCCEEDED, JSON.stringify(dynDone.closure.error));
    const dynNode = { executionId: dynRun.id, nodeId: 'n0' };
    const dynData = await svc.getNodeExecutionData({ id: dynNode });
    assert.ok(dynData.dynamicWorkflow, 'no dynamic_workflow in the node data');
    assert.deepStrictEqual(dynData.dynamicWorkflow.compiledWorkflow.primary.template.nodes
      .map((n) => n.id).filter((id) => id === 'd0'), ['d0']);
    assert.strictEqual(dynData.fullOutputs.literals.y.scalar.primitive.integer.toString(), '42');
    const dynWorkflow = await svc.getDynamicNodeWorkflow({ id: dynNode });
    assert.ok(dynWorkflow.compiledWorkflow.primary.template.nodes.some((n) => n.id === 'd0'));
    const dynChildren = await svc.listNodeExecutions({ workflowExecutionId: dynRun.id, limit: 10,
                                                       uniqueParentId: 'n0' });
    assert.ok(dynChildren.nodeExecutions.some((n) => n.id.nodeId === 'n0/d0'),
              JSON.stringify(dynChildren.nodeExecutions.map((n) => n.id.nodeId)));
    await expectCode(svc.getDynamicNodeWorkflow({ id: { executionId: created.id, nodeId: 'n0' } }),
                     grpc.status.NOT_FOUND, 'generated no dynamic workflow');
    ok('a dynamic task: GetNodeExecutionData and GetDynamicNodeWorkflow give the workflow it generated');

    // Relaunch: the same launch plan and inputs under a new name.
    const relaunched = await svc.relaunchExecution({ id: created.id, name: 'relaunched' });
    assert.strictEqual(relaunched.id.name, 'relaunched');
    const again = await waitFor(relaunched.id, [P.SUCCEEDED, P.FAILED]);
    assert.strictEqual(again.closure.phase, P.SUCCEEDED);
    assert.strictEqual(again.spec.metadata.mode, admin.ExecutionMetadata.ExecutionMode.RELAUNCH);
    assert.strictEqual(again.spec.metadata.referenceExecution.name, created.id.name);
    assert.strictEqual((await svc.getExecutionData({ id: relaunched.id })).fullOutputs.literals.y
      .scalar.primitive.integer.toString(), '42');
    ok('RelaunchExecution runs it again with the same inputs, marked RELAUNCH of the original');

    // FlyteConsole's way: HTTP with binary protobuf bodies, encoded and
    // decoded by the official classes.
    const octet = 'application/octet-stream';
    const viaHttp = await fetch(`${http}/api/v1/executions`, {
      method: 'POST', headers: { 'Content-Type': octet, Accept: octet },
      body: admin.ExecutionCreateRequest.encode({ project: PROJECT, domain: DOMAIN, name: 'by-http',
        spec: { launchPlan: ident(core.ResourceType.LAUNCH_PLAN, 'server.double_wf') },
        inputs: { literals: { x: { scalar: { primitive: { integer: 50 } } } } } }).finish() });
    assert.strictEqual(viaHttp.status, 200, await viaHttp.clone().text());
    assert.strictEqual(viaHttp.headers.get('content-type'), octet);
    const createdByHttp = admin.ExecutionCreateResponse.decode(new Uint8Array(await viaHttp.arrayBuffer()));
    assert.strictEqual(createdByHttp.id.name, 'by-http');
    await waitFor(createdByHttp.id, [P.SUCCEEDED]);
    const dataByHttp = await fetch(`${http}/api/v1/data/executions/${PROJECT}/${DOMAIN}/by-http`,
                                   { headers: { Accept: octet } });
    const decoded = admin.WorkflowExecutionGetDataResponse.decode(
      new Uint8Array(await dataByHttp.arrayBuffer()));
    assert.strictEqual(decoded.fullOutputs.literals.y.scalar.primitive.integer.toString(), '100');
    ok('HTTP with application/octet-stream bodies (as FlyteConsole sends them) creates and reads back');

    // Terminate a running one.
    const running = await svc.createExecution({ project: PROJECT, domain: DOMAIN,
      spec: { launchPlan: ident(core.ResourceType.LAUNCH_PLAN, 'server.slow_wf') } });
    await waitFor(running.id, [P.RUNNING]);
    await svc.terminateExecution({ id: running.id, cause: 'enough' });
    const aborted = await waitFor(running.id, [P.ABORTED]);
    assert.ok(aborted.closure.abortMetadata.cause.includes('enough'), JSON.stringify(aborted.closure));
    ok('TerminateExecution aborts a running execution, with its cause');

    const list = await svc.listExecutions({ id: { project: PROJECT, domain: DOMAIN }, limit: 3 });
    assert.strictEqual(list.executions.length, 3);
    assert.strictEqual(list.executions[0].id.name, running.id.name);  // newest first
    assert.strictEqual(list.token, '3');
    const rest = await svc.listExecutions({ id: { project: PROJECT, domain: DOMAIN }, limit: 3,
                                            token: list.token });
    assert.strictEqual(rest.executions.length, 3);
    assert.strictEqual(rest.token, '6');
    const last = await svc.listExecutions({ id: { project: PROJECT, domain: DOMAIN }, limit: 3,
                                            token: rest.token });
    assert.strictEqual(last.executions.length, 2);  // 8 in all
    assert.strictEqual(last.token, '');
    ok('ListExecutions pages, newest first');

    // Filters, in flyteadmin's syntax.
    const succeeded = await svc.listExecutions({ id: { project: PROJECT, domain: DOMAIN }, limit: 100,
                                                 filters: 'eq(execution.phase,SUCCEEDED)' });
    assert.strictEqual(succeeded.executions.length, 7);
    const stopped = await svc.listExecutions({ id: { project: PROJECT, domain: DOMAIN }, limit: 100,
      filters: 'value_in(phase,ABORTED;FAILED)+eq(launch_plan.name,server.slow_wf)' });
    assert.deepStrictEqual(stopped.executions.map((e) => e.id.name), [running.id.name]);
    const doubles = await svc.listTasks({ id: { project: PROJECT, domain: DOMAIN }, limit: 100,
                                          filters: 'contains(task.name,server.do)' });
    assert.deepStrictEqual(doubles.tasks.map((t) => t.id.name), ['server.double']);
    await expectCode(svc.listExecutions({ id: { project: PROJECT, domain: DOMAIN }, limit: 1,
                                          filters: 'eq(colour,red)' }),
                     grpc.status.INVALID_ARGUMENT, 'cannot filter on "colour"');
    ok('filters: eq, value_in, contains joined by +; an unknown field is INVALID_ARGUMENT');

    // Projects and domains.
    const domains = await svc.getDomains({});
    assert.deepStrictEqual(domains.domains.map((d) => d.id), ['development', 'staging', 'production']);
    await svc.registerProject({ project: { id: 'other', name: 'Other', description: 'a second project' } });
    await expectCode(svc.registerProject({ project: { id: 'other', name: 'Other' } }),
                     grpc.status.ALREADY_EXISTS, 'project other already exists');
    const projects = await svc.listProjects({ limit: 10 });
    assert.deepStrictEqual(projects.projects.map((p) => p.id), [PROJECT, 'other']);  // flytesnacks: by registration
    const other = await svc.getProject({ id: 'other' });
    assert.strictEqual(other.description, 'a second project');
    assert.strictEqual(other.domains.length, 3);
    ok('projects: registered explicitly or by registering into them; three domains each');

    // ---- Signals: a gate approved through SignalService, as flytekit's approve() does.
    const gated = wfOf('server.gated_wf', double);
    gated.nodes.unshift({ id: 'gate', gateNode: { approve: { signalId: 'go' } } });
    gated.nodes[1].upstreamNodeIds = ['gate'];
    await svc.createWorkflow({ id: gated.id, spec: { template: gated } });
    await svc.createLaunchPlan({ id: ident(core.ResourceType.LAUNCH_PLAN, 'server.gated_wf'),
                                 spec: { workflowId: gated.id } });
    const launchGated = (name) => svc.createExecution({ project: PROJECT, domain: DOMAIN, name,
      spec: { launchPlan: ident(core.ResourceType.LAUNCH_PLAN, 'server.gated_wf') },
      inputs: { literals: { x: { scalar: { primitive: { integer: 3 } } } } } });
    const gatedId = (await launchGated('gated-one')).id;
    await waitFor(gatedId, [P.RUNNING]);
    const listed = await signals.listSignals({ workflowExecutionId: gatedId, limit: 10 });
    assert.strictEqual(listed.signals.length, 1);
    assert.strictEqual(listed.signals[0].id.signalId, 'go');
    assert.strictEqual(listed.signals[0].type.simple, core.SimpleType.BOOLEAN);
    assert.ok(!listed.signals[0].value);
    const got = await signals.getOrCreateSignal({ id: { executionId: gatedId, signalId: 'go' },
                                                  type: { simple: core.SimpleType.BOOLEAN } });
    assert.strictEqual(got.type.simple, core.SimpleType.BOOLEAN);
    await expectCode(signals.setSignal({ id: { executionId: gatedId, signalId: 'go' },
                                         value: { scalar: { primitive: { integer: 1 } } } }),
                     grpc.status.INVALID_ARGUMENT);
    await expectCode(signals.setSignal({ id: { executionId: gatedId, signalId: 'nope' },
                                         value: { scalar: { primitive: { boolean: true } } } }),
                     grpc.status.NOT_FOUND);
    await signals.setSignal({ id: { executionId: gatedId, signalId: 'go' },
                              value: { scalar: { primitive: { boolean: true } } } });
    await waitFor(gatedId, [P.SUCCEEDED]);
    const after = await signals.listSignals({ workflowExecutionId: gatedId, limit: 10 });
    assert.strictEqual(after.signals[0].value.scalar.primitive.boolean, true);
    // Rejected: the gate fails the execution.
    const rejectedId = (await launchGated('gated-two')).id;
    await waitFor(rejectedId, [P.RUNNING]);
    await signals.setSignal({ id: { executionId: rejectedId, signalId: 'go' },
                              value: { scalar: { primitive: { boolean: false } } } });
    const rejected = await waitFor(rejectedId, [P.FAILED, P.SUCCEEDED]);
    assert.strictEqual(rejected.closure.phase, P.FAILED);
    ok('SignalService: ListSignals shows the gate\'s signal; SetSignal approves (SUCCEEDED) or rejects (FAILED); wrong types refused');

    await expectCode(svc.getTask({ id: { resourceType: core.ResourceType.TASK, project: PROJECT,
                                         domain: DOMAIN, name: 'nope', version: VERSION } }),
                     grpc.status.NOT_FOUND, 'is not registered');
    await expectCode(svc.createTask({ id: { project: PROJECT, name: 'x', version: 'v' }, spec: {} }),
                     grpc.status.INVALID_ARGUMENT, 'missing id.domain');
    await expectCode(svc.listTasks({ id: { project: PROJECT, domain: DOMAIN }, limit: 0 }),
                     grpc.status.INVALID_ARGUMENT, 'limit must be greater than 0');
    const orphan = { resourceType: core.ResourceType.WORKFLOW, project: PROJECT, domain: DOMAIN,
                     name: 'orphan', version: VERSION };
    await expectCode(svc.createWorkflow({ id: orphan, spec: { template: {
        id: orphan, interface: {}, nodes: [{ id: 'n0', taskNode: { referenceId: {
          resourceType: core.ResourceType.TASK, project: PROJECT, domain: DOMAIN, name: 'missing.task',
          version: VERSION } } }] } } }),
      grpc.status.INVALID_ARGUMENT, 'uses what is not registered: TASK:flytesnacks:development:missing.task:v1');
    await expectCode(svc.recoverExecution({ id: { project: PROJECT, domain: DOMAIN, name: 'x' } }),
                     grpc.status.NOT_FOUND, 'does not exist');
    await expectCode(svc.getExecutionMetrics({ id: { project: PROJECT, domain: DOMAIN, name: 'x' } }),
                     grpc.status.UNIMPLEMENTED);
    ok('errors: NOT_FOUND, INVALID_ARGUMENT naming the field or what is missing; UNIMPLEMENTED for what is not served yet');

    // Request sizes are bounded (64 MiB).
    const huge = { id: { resourceType: core.ResourceType.TASK, project: PROJECT, domain: DOMAIN,
                         name: 'huge', version: VERSION },
                   spec: { template: { type: 'x', container: { image: 'x', command: ['true'],
                                                               args: ['a'.repeat(65 << 20)] } } } };
    await expectCode(svc.createTask(huge), grpc.status.RESOURCE_EXHAUSTED);
    await svc.getVersion({});  // and the server is still there
    ok('a request over 64 MiB is refused (RESOURCE_EXHAUSTED); the server carries on');
  } finally {
    client.close();
    proc.kill('SIGTERM');
  }
  const code = await new Promise((resolve) => proc.on('exit', (c) => resolve(c)));
  assert.strictEqual(code, 0, `flytecpp serve exited ${code} on SIGTERM`);
  ok('flytecpp serve stops cleanly on SIGTERM');
  console.log(`${passed} passed`);
  // Reached only when nothing failed: a skip never hides a failure.
  if (skipped.length) console.log(`SKIPPED: NOT EVERYTHING RAN: ${skipped.join('; ')}`);
}

main().catch((e) => { console.error(`FAIL ${e.stack || e}`); process.exit(1); });
