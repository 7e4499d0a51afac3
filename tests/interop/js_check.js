// Decodes the messages C++ wrote (interop_test.cc ToJs.*) with the official JS
// bindings and checks them field by field, then as a whole against the same
// messages built in JS.   Usage: node js_check.js DIR
'use strict';
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const { flyteidl } = require('@flyteorg/flyteidl/gen/pb-js/flyteidl.js');
const m = require('./interop_messages.js');

const dir = process.argv[2];
if (!dir) { console.error('usage: node js_check.js DIR'); process.exit(2); }
const core = flyteidl.core;
const T = core.SimpleType;
const read = (name, type) => type.decode(fs.readFileSync(path.join(dir, name)));
const num = (v) => (typeof v === 'object' && v !== null ? Number(v.toString()) : v);  // Long

function checkId(id, type, name) {
  assert.equal(id.resourceType, type, name);
  assert.equal(id.project, 'flytesnacks');
  assert.equal(id.domain, 'development');
  assert.equal(id.name, name);
  assert.equal(id.version, 'v1');
}

function checkContainerTask(t) {
  checkId(t.id, core.ResourceType.TASK, 'interop.container_task');
  assert.equal(t.type, 'python-task');
  assert.equal(t.taskTypeVersion, 1);
  const md = t.metadata;
  assert.equal(md.discoverable, true);
  assert.equal(md.runtime.type, core.RuntimeMetadata.RuntimeType.FLYTE_SDK);
  assert.equal(md.runtime.version, '1.16.0');
  assert.equal(md.runtime.flavor, 'python');
  assert.equal(num(md.timeout.seconds), 1800);
  assert.equal(md.retries.retries, 3);
  assert.equal(md.discoveryVersion, '1.0');
  assert.equal(md.interruptibleValue, 'interruptible');
  assert.equal(md.interruptible, true);
  assert.equal(md.cacheSerializable, true);
  assert.deepEqual([...md.cacheIgnoreInputVars], ['seed']);
  assert.equal(md.tags.team, 'ml');
  assert.equal(md.podTemplateName, 'gpu-template');
  assert.equal(t.interface.inputs.variables.data.type.blob.format, 'csv');
  assert.equal(t.interface.inputs.variables.seed.type.simple, T.INTEGER);
  assert.equal(t.interface.outputs.variables.o0.type.simple, T.FLOAT);
  assert.equal(t.custom.fields.framework.stringValue, 'torch');
  assert.equal(t.config.testKey1, 'testValue1');
  assert.equal(t.target, 'container');
  const c = t.container;
  assert.equal(c.image, 'python:3.9-slim');
  assert.deepEqual([...c.command], ['python', '-m', 'train']);
  assert.deepEqual([...c.args], ['--seed', '{{.inputs.seed}}']);
  assert.equal(c.resources.requests[0].name, core.Resources.ResourceName.CPU);
  assert.equal(c.resources.requests[0].value, '500m');
  assert.equal(c.resources.requests[1].name, core.Resources.ResourceName.MEMORY);
  assert.equal(c.resources.requests[1].value, '1Gi');
  assert.equal(c.resources.limits[0].value, '1');
  assert.equal(c.resources.limits[1].value, '2Gi');
  assert.equal(c.env[0].key, 'PYTHONUNBUFFERED');
  assert.equal(c.env[0].value, '1');
  assert.equal(c.config[0].key, 'legacy');
  assert.equal(c.ports[0].containerPort, 8080);
  assert.equal(c.ports[0].name, 'http');
  assert.equal(c.dataConfig.enabled, true);
  assert.equal(c.dataConfig.inputPath, '/var/inputs');
  assert.equal(c.dataConfig.outputPath, '/var/outputs');
  assert.equal(c.dataConfig.format, core.DataLoadingConfig.LiteralMapFormat.YAML);
  assert.equal(c.dataConfig.ioStrategy.downloadMode, core.IOStrategy.DownloadMode.DOWNLOAD_STREAM);
  assert.equal(c.dataConfig.ioStrategy.uploadMode, core.IOStrategy.UploadMode.UPLOAD_EAGER);
  assert.equal(c.architecture, core.Container.Architecture.ARM64);
  assert.equal(t.securityContext.runAs.k8sServiceAccount, 'trainer');
  assert.equal(t.securityContext.secrets[0].group, 'aws');
  assert.equal(t.securityContext.secrets[0].key, 'token');
  assert.equal(t.securityContext.secrets[0].mountRequirement, core.Secret.MountType.ENV_VAR);
  assert.equal(t.extendedResources.gpuAccelerator.device, 'nvidia-tesla-a100');
  assert.equal(t.extendedResources.gpuAccelerator.partitionSize, '1g.5gb');
  assert.equal(t.extendedResources.sharedMemory.mountPath, '/dev/shm');
  assert.equal(t.extendedResources.sharedMemory.mountName, 'shm');
  assert.equal(t.extendedResources.sharedMemory.sizeLimit, '2Gi');
}

function checkPodTask(t) {
  checkId(t.id, core.ResourceType.TASK, 'interop.pod_task');
  assert.equal(t.type, 'sidecar');
  assert.equal(t.target, 'k8sPod');
  const pod = t.k8sPod;
  assert.equal(pod.metadata.labels.app, 'interop');
  assert.equal(pod.metadata.annotations.note, 'made in C++ or JS');
  assert.equal(pod.primaryContainerName, 'primary');
  const container = pod.podSpec.fields.containers.listValue.values[0].structValue.fields;
  assert.equal(container.name.stringValue, 'primary');
  assert.equal(container.image.stringValue, 'alpine:3');
  assert.equal(pod.dataConfig.enabled, true);
  assert.equal(pod.dataConfig.format, core.DataLoadingConfig.LiteralMapFormat.PROTO);
}

function checkSqlTask(t) {
  checkId(t.id, core.ResourceType.TASK, 'interop.sql_task');
  assert.equal(t.target, 'sql');
  assert.equal(t.sql.statement, 'SELECT * FROM t WHERE n > {{ .inputs.n }}');
  assert.equal(t.sql.dialect, core.Sql.Dialect.HIVE);
}

function checkClosure(c) {
  const wf = c.workflow;
  checkId(wf.id, core.ResourceType.WORKFLOW, 'interop.all_nodes');
  assert.equal(wf.metadata.qualityOfService.tier, core.QualityOfService.Tier.HIGH);
  assert.equal(wf.metadata.onFailure, core.WorkflowMetadata.OnFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE);
  assert.equal(wf.metadata.tags.owner, 'flytecpp');
  assert.equal(wf.metadataDefaults.interruptible, true);
  assert.equal(wf.interface.inputs.variables.items.type.collectionType.simple, T.STRING);
  const byId = Object.fromEntries(wf.nodes.map((n) => [n.id, n]));
  assert.deepEqual(Object.keys(byId).sort(),
    ['arr', 'b0', 'b1', 'g_approve', 'g_signal', 'g_sleep', 'lp', 'sub', 't0']);

  const t0 = byId.t0;
  assert.equal(t0.target, 'taskNode');
  assert.equal(t0.metadata.name, 'train');
  assert.equal(num(t0.metadata.timeout.seconds), 60);
  assert.equal(t0.metadata.retries.retries, 2);
  assert.equal(t0.metadata.interruptibleValue, 'interruptible');
  assert.equal(t0.metadata.interruptible, false);
  assert.equal(t0.metadata.cacheable, true);
  assert.equal(t0.metadata.cacheVersion, '2');
  assert.equal(t0.metadata.cacheSerializable, true);
  assert.equal(t0.metadata.config.queue, 'gpu');
  assert.equal(t0.outputAliases[0].var, 'o0');
  assert.equal(t0.outputAliases[0].alias, 'accuracy');
  checkId(t0.taskNode.referenceId, core.ResourceType.TASK, 'interop.container_task');
  assert.equal(t0.taskNode.overrides.resources.requests[0].value, '2');
  assert.equal(t0.taskNode.overrides.containerImage, 'python:3.10');
  assert.equal(t0.inputs[0].binding.scalar.blob.uri, 's3://bucket/data.csv');
  assert.equal(t0.inputs[1].binding.promise.nodeId, 'start-node');

  const b0 = byId.b0;
  assert.equal(b0.target, 'branchNode');
  assert.deepEqual([...b0.upstreamNodeIds], ['t0']);
  const ie = b0.branchNode.ifElse;
  const and = ie['case'].condition.conjunction;
  assert.equal(and.operator, core.ConjunctionExpression.LogicalOperator.AND);
  assert.equal(and.leftExpression.comparison.operator, core.ComparisonExpression.Operator.GT);
  assert.equal(and.leftExpression.comparison.leftValue.var, 'n');
  assert.equal(and.leftExpression.comparison.rightValue.val, 'primitive');
  assert.equal(num(and.leftExpression.comparison.rightValue.primitive.integer), 100);
  assert.equal(and.rightExpression.comparison.operator, core.ComparisonExpression.Operator.GTE);
  assert.equal(and.rightExpression.comparison.rightValue.primitive.floatValue, 0.5);
  assert.equal(ie['case'].thenNode.id, 'b0-big');
  const or = ie.other[0].condition.conjunction;
  assert.equal(or.operator, core.ConjunctionExpression.LogicalOperator.OR);
  assert.equal(or.leftExpression.comparison.rightValue.val, 'scalar');
  assert.equal(num(or.leftExpression.comparison.rightValue.scalar.primitive.integer), 1);
  assert.equal(or.rightExpression.comparison.operator, core.ComparisonExpression.Operator.NEQ);
  assert.equal(or.rightExpression.comparison.leftValue.primitive.stringValue, 'x');
  assert.equal(or.rightExpression.comparison.rightValue.var, 'label');
  assert.equal(ie['default'], 'elseNode');
  assert.equal(ie.elseNode.id, 'b0-small');

  const b1 = byId.b1.branchNode.ifElse;
  assert.equal(b1['default'], 'error');
  assert.equal(b1.error.failedNodeId, 'b1');
  assert.equal(b1.error.message, 'n must not be negative');

  assert.equal(num(byId.g_sleep.gateNode.sleep.duration.seconds), 10);
  assert.equal(byId.g_approve.gateNode.approve.signalId, 'ok-to-go');
  assert.equal(byId.g_signal.gateNode.signal.signalId, 'threshold');
  assert.equal(byId.g_signal.gateNode.signal.type.simple, T.FLOAT);
  assert.equal(byId.g_signal.gateNode.signal.outputVariableName, 'o0');
  checkId(byId.sub.workflowNode.subWorkflowRef, core.ResourceType.WORKFLOW, 'interop.sub');
  checkId(byId.lp.workflowNode.launchplanRef, core.ResourceType.LAUNCH_PLAN, 'interop.lp');

  const arr = byId.arr.arrayNode;
  assert.equal(arr.node.id, 'arr-sub');
  assert.equal(arr.parallelism, 10);
  assert.equal(arr.successCriteria, 'minSuccessRatio');
  assert.ok(Math.abs(arr.minSuccessRatio - 0.8) < 1e-6);
  assert.equal(arr.executionMode, core.ArrayNode.ExecutionMode.FULL_STATE);
  assert.equal(arr.dataMode, core.ArrayNode.DataMode.INDIVIDUAL_INPUT_FILES);
  assert.equal(arr.isOriginalSubNodeInterface.value, true);
  assert.deepEqual([...arr.boundInputs], ['seed']);
  assert.equal(arr.runAllSubNodes, true);

  const attr = wf.outputs[0].binding.promise.attrPath;
  assert.equal(attr[0].stringValue, 'metrics');
  assert.equal(attr[1].value, 'intValue');
  assert.equal(attr[1].intValue, 0);
  assert.equal(wf.outputs[1].binding.collection.bindings.length, 2);
  assert.equal(num(wf.outputs[2].binding.map.bindings.a.scalar.primitive.integer), 7);
  assert.equal(wf.failureNode.id, 'on_fail');

  assert.equal(c.tasks.length, 3);
  checkContainerTask(c.tasks[0]);
  checkPodTask(c.tasks[1]);
  checkSqlTask(c.tasks[2]);
}

const cases = [
  ['cpp_container_task.pb', core.TaskTemplate, checkContainerTask, m.containerTask],
  ['cpp_pod_task.pb', core.TaskTemplate, checkPodTask, m.podTask],
  ['cpp_sql_task.pb', core.TaskTemplate, checkSqlTask, m.sqlTask],
  ['cpp_all_nodes_closure.pb', core.WorkflowClosure, checkClosure, m.allNodesClosure],
];
let passed = 0;
let failed = 0;
for (const [file, type, check, build] of cases) {
  try {
    const decoded = read(file, type);
    check(decoded);
    // As a whole: the C++ bytes decode to what the JS-built message decodes to.
    assert.deepStrictEqual(decoded, type.decode(type.encode(build()).finish()));
    console.log(`ok   ${file}`);
    passed++;
  } catch (e) {
    console.log(`FAIL ${file}: ${e.message}`);
    failed++;
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
