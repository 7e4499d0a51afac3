// Writes the interop messages, built with the official JS bindings, for
// interop_test.cc (FromJs.*) to decode.   Usage: node js_write.js OUTDIR
'use strict';
const fs = require('fs');
const path = require('path');
const { flyteidl } = require('@flyteorg/flyteidl/gen/pb-js/flyteidl.js');
const m = require('./interop_messages.js');

const dir = process.argv[2];
if (!dir) { console.error('usage: node js_write.js OUTDIR'); process.exit(2); }
fs.mkdirSync(dir, { recursive: true });

const core = flyteidl.core;
const write = (name, type, message) => {
  const err = type.verify(message);
  if (err) throw new Error(`${name}: ${err}`);
  fs.writeFileSync(path.join(dir, name), type.encode(message).finish());
  console.log(`wrote ${name}`);
};
write('js_container_task.pb', core.TaskTemplate, m.containerTask());
write('js_pod_task.pb', core.TaskTemplate, m.podTask());
write('js_sql_task.pb', core.TaskTemplate, m.sqlTask());
write('js_all_nodes_closure.pb', core.WorkflowClosure, m.allNodesClosure());
