// Writes task templates shaped as pyflyte serializes them, built with the
// official JS bindings, for interop_run_test.cc to run on flytecpp's
// runtimes: a pod task (flytekit's Pod / pod_template: a "primary" container
// running the flytekit protocol, and a sidecar) and a SQLite3Task (type
// "sqlite", its query and database in `custom`).   Usage: node js_pyflyte.js OUTDIR
'use strict';
const fs = require('fs');
const path = require('path');
const { flyteidl } = require('@flyteorg/flyteidl/gen/pb-js/flyteidl.js');

const dir = process.argv[2];
if (!dir) { console.error('usage: node js_pyflyte.js OUTDIR'); process.exit(2); }
fs.mkdirSync(dir, { recursive: true });
const core = flyteidl.core;
const T = core.SimpleType;

// google.protobuf.Value from plain JSON.
const value = (v) => {
  if (v === null) return { nullValue: 0 };
  if (Array.isArray(v)) return { listValue: { values: v.map(value) } };
  if (typeof v === 'object') return { structValue: struct(v) };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return { stringValue: v };
};
const struct = (o) => ({ fields: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, value(v)])) });

const runtime = { type: core.RuntimeMetadata.RuntimeType.FLYTE_SDK, version: '1.16.1', flavor: 'python' };
const intVar = { type: { simple: T.INTEGER } };

// flytekit: the primary container carries pyflyte-execute's arguments with
// Flyte's template variables; here `sh` stands in for pyflyte-execute and
// keeps the protocol (inputs.pb in, outputs.pb out).
const podTask = core.TaskTemplate.create({
  id: { resourceType: core.ResourceType.TASK, project: 'flytesnacks', domain: 'development',
        name: 'workflows.pod.double_in_pod', version: 'v1' },
  type: 'sidecar',
  taskTypeVersion: 2,
  metadata: { runtime, retries: {}, timeout: { seconds: 120 } },
  interface: { inputs: { variables: { x: intVar } }, outputs: { variables: { x: intVar } } },
  config: { primary_container_name: 'primary' },
  k8sPod: {
    metadata: { labels: { team: 'interop' }, annotations: {} },
    podSpec: struct({
      containers: [
        {
          name: 'primary', image: 'ghcr.io/flyteorg/flytekit:py3.11-1.16.1',
          command: ['sh', '-c'],
          args: ['cp {{.input}} {{.outputPrefix}}/outputs.pb # pyflyte-execute --inputs {{.input}} ' +
                 '--output-prefix {{.outputPrefix}} --raw-output-data-prefix {{.rawOutputDataPrefix}} ' +
                 '--checkpoint-path {{.checkpointOutputPrefix}} --prev-checkpoint {{.prevCheckpointPrefix}}'],
          resources: { limits: { cpu: '1', memory: '256Mi' }, requests: { cpu: '500m', memory: '128Mi' } },
          env: [{ name: 'FLYTE_INTERNAL_IMAGE', value: 'ghcr.io/flyteorg/flytekit:py3.11-1.16.1' }],
        },
        { name: 'sidecar', image: 'busybox', command: ['sleep', '600'], resources: {} },
      ],
      restartPolicy: 'Never',
    }),
  },
});

const sqliteTask = core.TaskTemplate.create({
  id: { resourceType: core.ResourceType.TASK, project: 'flytesnacks', domain: 'development',
        name: 'workflows.sql.count_tracks', version: 'v1' },
  type: 'sqlite',
  metadata: { runtime, retries: {} },
  interface: {
    inputs: { variables: { limit: intVar } },
    outputs: { variables: { results: { type: { structuredDatasetType: { format: '' } } } } },
  },
  custom: struct({
    query_template: 'SELECT name, count(*) AS tracks FROM tracks WHERE id <= {{ .inputs.limit }} ' +
                    'GROUP BY name ORDER BY name',
    uri: path.join(dir, 'pyflyte.db'),
    compressed: false,
  }),
  container: {
    image: 'ghcr.io/flyteorg/flytekit:py3.11-sqlalchemy-1.16.1',
    args: ['pyflyte-execute', '--inputs', '{{.input}}', '--output-prefix', '{{.outputPrefix}}',
           '--resolver', 'flytekit.core.python_customized_container_task.default_task_template_resolver',
           '--', '{{.taskTemplatePath}}', 'flytekit.extras.sqlite3.task.SQLite3TaskExecutor'],
    resources: {},
  },
});

for (const [name, message] of [['pyflyte_pod_task.pb', podTask], ['pyflyte_sqlite_task.pb', sqliteTask]]) {
  const err = core.TaskTemplate.verify(message);
  if (err) throw new Error(`${name}: ${err}`);
  fs.writeFileSync(path.join(dir, name), core.TaskTemplate.encode(message).finish());
  console.log(`wrote ${name}`);
}
