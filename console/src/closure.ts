// Reading a CompiledWorkflowClosure (proto3 JSON): its nodes and their paths
// as the engine names node executions.

// A branch's cases: the nodes it may run, at its own level.
export function branchCases(node: any): any[] {
  const ie = node.branch_node?.if_else;
  if (!ie) return [];
  return [ie.case, ...(ie.other ?? [])].map((c: any) => c?.then_node).concat(ie.else_node ? [ie.else_node] : []).filter(Boolean);
}

// Walks the template as the graph does, calling `f` on every node with its
// path: sub-workflows' nodes, and branches' cases at the branch's level.
export function eachNode(closure: any, f: (node: any, path: string) => void) {
  const visitNode = (node: any, prefix: string, cl: any) => {
    f(node, prefix + node.id);
    for (const c of branchCases(node)) visitNode(c, prefix, cl);
    const ref = node.workflow_node?.sub_workflow_ref;
    if (ref) {
      const sub = (cl.sub_workflows ?? []).find((s: any) => s.template?.id?.name === ref.name && (s.template?.id?.version ?? '') === (ref.version ?? ''));
      for (const n of sub?.template?.nodes ?? []) visitNode(n, prefix + node.id + '/', cl);
    }
  };
  for (const n of closure?.primary?.template?.nodes ?? []) visitNode(n, '', closure ?? {});
}
