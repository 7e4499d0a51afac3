// What the execution page loads and its panels read: shared types, apart
// from the components, so that no component imports another's module for
// its types.
import type { GraphState } from './graph';

export interface NodeExec {
  id: { node_id: string };
  closure: any;
  metadata: any;
}

export interface ExecutionView {
  execution: any;
  closure: any; // the compiled workflow
  nodes: NodeExec[]; // every node execution, children included
  state: GraphState;
  signals: any[];
}
