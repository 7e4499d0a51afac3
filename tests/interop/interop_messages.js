// The interop messages built with the official JS bindings. Mirrors
// interop_messages.cc field for field; interop_test.cc proves the two equal.
'use strict';
const { flyteidl } = require('@flyteorg/flyteidl/gen/pb-js/flyteidl.js');

const core = flyteidl.core;
const T = core.SimpleType;

const id = (resourceType, name) =>
  ({ resourceType, project: 'flytesnacks', domain: 'development', name, version: 'v1' });
const simple = (s) => ({ simple: s });
const promise = (nodeId, v, attrPath) =>
  ({ promise: attrPath ? { nodeId, var: v, attrPath } : { nodeId, var: v } });
const wfInput = (v) => promise('start-node', v);
const scalarInt = (n) => ({ primitive: { integer: n } });
// proto3 writes no zero-valued plain fields; leave them out here too so that
// decoded objects compare equal property for property (EQ and AND are 0).
const withOperator = (operator, rest) => (operator === 0 ? rest : { operator, ...rest });
const comparison = (operator, leftValue, rightValue) =>
  ({ comparison: withOperator(operator, { leftValue, rightValue }) });
const conjunction = (operator, leftExpression, rightExpression) =>
  ({ conjunction: withOperator(operator, { leftExpression, rightExpression }) });
const Op = core.ComparisonExpression.Operator;
const Logic = core.ConjunctionExpression.LogicalOperator;

function containerTask() {
  return core.TaskTemplate.create({
    id: id(core.ResourceType.TASK, 'interop.container_task'),
    type: 'python-task',
    metadata: {
      discoverable: true,
      runtime: { type: core.RuntimeMetadata.RuntimeType.FLYTE_SDK, version: '1.16.0', flavor: 'python' },
      timeout: { seconds: 1800 },
      retries: { retries: 3 },
      discoveryVersion: '1.0',
      interruptible: true,
      cacheSerializable: true,
      tags: { team: 'ml' },
      podTemplateName: 'gpu-template',
      cacheIgnoreInputVars: ['seed'],
    },
    interface: {
      inputs: { variables: { data: { type: { blob: { format: 'csv' } } }, seed: { type: simple(T.INTEGER) } } },
      outputs: { variables: { o0: { type: simple(T.FLOAT) } } },
    },
    custom: { fields: { framework: { stringValue: 'torch' } } },
    container: {
      image: 'python:3.9-slim',
      command: ['python', '-m', 'train'],
      args: ['--seed', '{{.inputs.seed}}'],
      resources: {
        requests: [{ name: core.Resources.ResourceName.CPU, value: '500m' },
                   { name: core.Resources.ResourceName.MEMORY, value: '1Gi' }],
        limits: [{ name: core.Resources.ResourceName.CPU, value: '1' },
                 { name: core.Resources.ResourceName.MEMORY, value: '2Gi' }],
      },
      env: [{ key: 'PYTHONUNBUFFERED', value: '1' }],
      config: [{ key: 'legacy', value: 'yes' }],
      ports: [{ containerPort: 8080, name: 'http' }],
      dataConfig: {
        enabled: true, inputPath: '/var/inputs', outputPath: '/var/outputs',
        format: core.DataLoadingConfig.LiteralMapFormat.YAML,
        ioStrategy: { downloadMode: core.IOStrategy.DownloadMode.DOWNLOAD_STREAM,
                      uploadMode: core.IOStrategy.UploadMode.UPLOAD_EAGER },
      },
      architecture: core.Container.Architecture.ARM64,
    },
    taskTypeVersion: 1,
    securityContext: {
      runAs: { k8sServiceAccount: 'trainer' },
      secrets: [{ group: 'aws', key: 'token', mountRequirement: core.Secret.MountType.ENV_VAR }],
    },
    extendedResources: {
      gpuAccelerator: { device: 'nvidia-tesla-a100', partitionSize: '1g.5gb' },
      sharedMemory: { mountPath: '/dev/shm', mountName: 'shm', sizeLimit: '2Gi' },
    },
    config: { testKey1: 'testValue1' },
  });
}

function podTask() {
  return core.TaskTemplate.create({
    id: id(core.ResourceType.TASK, 'interop.pod_task'),
    type: 'sidecar',
    metadata: {},
    interface: { inputs: {}, outputs: { variables: { o0: { type: simple(T.INTEGER) } } } },
    k8sPod: {
      metadata: { labels: { app: 'interop' }, annotations: { note: 'made in C++ or JS' } },
      podSpec: { fields: { containers: { listValue: { values: [{ structValue: { fields: {
        name: { stringValue: 'primary' }, image: { stringValue: 'alpine:3' } } } }] } } } },
      dataConfig: { enabled: true, inputPath: '/in', outputPath: '/out',
                    format: core.DataLoadingConfig.LiteralMapFormat.PROTO },
      primaryContainerName: 'primary',
    },
  });
}

function sqlTask() {
  return core.TaskTemplate.create({
    id: id(core.ResourceType.TASK, 'interop.sql_task'),
    type: 'sql',
    metadata: {},
    interface: { inputs: { variables: { n: { type: simple(T.INTEGER) } } }, outputs: {} },
    sql: { statement: 'SELECT * FROM t WHERE n > {{ .inputs.n }}', dialect: core.Sql.Dialect.HIVE },
  });
}

function taskNode(nodeId, name, inputs) {
  const n = { id: nodeId, taskNode: { referenceId: id(core.ResourceType.TASK, name) } };
  if (inputs) n.inputs = inputs;
  return n;
}

function allNodesClosure() {
  const nodes = [
    {
      id: 't0',
      metadata: { name: 'train', timeout: { seconds: 60 }, retries: { retries: 2 }, interruptible: false,
                  cacheable: true, cacheVersion: '2', cacheSerializable: true, config: { queue: 'gpu' } },
      inputs: [
        { var: 'data', binding: { scalar: { blob: { uri: 's3://bucket/data.csv', metadata: { type: { format: 'csv' } } } } } },
        { var: 'seed', binding: wfInput('n') },
      ],
      outputAliases: [{ var: 'o0', alias: 'accuracy' }],
      taskNode: {
        referenceId: id(core.ResourceType.TASK, 'interop.container_task'),
        overrides: { resources: { requests: [{ name: core.Resources.ResourceName.CPU, value: '2' }] },
                     containerImage: 'python:3.10' },
      },
    },
    {
      id: 'b0',
      inputs: [
        { var: 'n', binding: wfInput('n') },
        { var: 'acc', binding: promise('t0', 'o0') },
        { var: 'label', binding: { scalar: { primitive: { stringValue: 'y' } } } },
      ],
      upstreamNodeIds: ['t0'],
      branchNode: { ifElse: {
        case: {
          condition: conjunction(Logic.AND,
            comparison(Op.GT, { var: 'n' }, scalarInt(100)),
            comparison(Op.GTE, { var: 'acc' }, { primitive: { floatValue: 0.5 } })),
          thenNode: taskNode('b0-big', 'interop.sql_task', [{ var: 'n', binding: wfInput('n') }]),
        },
        other: [{
          condition: conjunction(Logic.OR,
            comparison(Op.EQ, { var: 'n' }, { scalar: scalarInt(1) }),
            comparison(Op.NEQ, { primitive: { stringValue: 'x' } }, { var: 'label' })),
          thenNode: taskNode('b0-one', 'interop.pod_task'),
        }],
        elseNode: taskNode('b0-small', 'interop.pod_task'),
      } },
    },
    {
      id: 'b1',
      inputs: [{ var: 'n', binding: wfInput('n') }],
      branchNode: { ifElse: {
        case: { condition: comparison(Op.LT, { var: 'n' }, scalarInt(0)),
                thenNode: taskNode('b1-neg', 'interop.pod_task') },
        error: { failedNodeId: 'b1', message: 'n must not be negative' },
      } },
    },
    { id: 'g_sleep', upstreamNodeIds: ['b1'], gateNode: { sleep: { duration: { seconds: 10 } } } },
    { id: 'g_approve', gateNode: { approve: { signalId: 'ok-to-go' } } },
    { id: 'g_signal', gateNode: { signal: { signalId: 'threshold', type: simple(T.FLOAT), outputVariableName: 'o0' } } },
    { id: 'sub', inputs: [{ var: 'n', binding: wfInput('n') }],
      workflowNode: { subWorkflowRef: id(core.ResourceType.WORKFLOW, 'interop.sub') } },
    { id: 'lp', inputs: [{ var: 'n', binding: wfInput('n') }],
      workflowNode: { launchplanRef: id(core.ResourceType.LAUNCH_PLAN, 'interop.lp') } },
    {
      id: 'arr',
      inputs: [{ var: 'data', binding: wfInput('items') }],
      arrayNode: {
        node: taskNode('arr-sub', 'interop.container_task', [{ var: 'data', binding: wfInput('items') }]),
        parallelism: 10,
        minSuccessRatio: 0.8,
        executionMode: core.ArrayNode.ExecutionMode.FULL_STATE,
        isOriginalSubNodeInterface: { value: true },
        dataMode: core.ArrayNode.DataMode.INDIVIDUAL_INPUT_FILES,
        boundInputs: ['seed'],
        runAllSubNodes: true,
      },
    },
  ];
  const workflow = {
    id: id(core.ResourceType.WORKFLOW, 'interop.all_nodes'),
    metadata: {
      qualityOfService: { tier: core.QualityOfService.Tier.HIGH },
      onFailure: core.WorkflowMetadata.OnFailurePolicy.FAIL_AFTER_EXECUTABLE_NODES_COMPLETE,
      tags: { owner: 'flytecpp' },
    },
    interface: {
      inputs: { variables: { n: { type: simple(T.INTEGER) },
                             items: { type: { collectionType: simple(T.STRING) } } } },
      outputs: { variables: { out: { type: simple(T.FLOAT) },
                              both: { type: { collectionType: simple(T.FLOAT) } },
                              named: { type: { mapValueType: simple(T.INTEGER) } } } },
    },
    nodes,
    outputs: [
      { var: 'out', binding: promise('t0', 'o0', [{ stringValue: 'metrics' }, { intValue: 0 }]) },
      { var: 'both', binding: { collection: { bindings: [promise('t0', 'o0'),
                                                          { scalar: { primitive: { floatValue: 1.5 } } }] } } },
      { var: 'named', binding: { map: { bindings: { a: { scalar: scalarInt(7) }, b: promise('g_signal', 'o0') } } } },
    ],
    failureNode: taskNode('on_fail', 'interop.container_task',
                          [{ var: 'seed', binding: { scalar: scalarInt(0) } }]),
    metadataDefaults: { interruptible: true },
  };
  return core.WorkflowClosure.create({ workflow, tasks: [containerTask(), podTask(), sqlTask()] });
}

module.exports = { containerTask, podTask, sqlTask, allNodesClosure };
