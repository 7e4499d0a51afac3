// A left-to-right layered layout for DAGs of any size: ranks by longest path
// from the sources, edges that skip ranks routed through a virtual point in
// each rank they cross (so they pass between nodes, not through them), order
// within a rank by a few barycenter sweeps, then coordinates. Linear per sweep, so a 10,000-node workflow lays out in tens
// of milliseconds (dagre took 0.5 s for 500 nodes and overflowed its stack
// on a 2,000-node chain: see docs/console.md).

export interface Box {
  id: string;
  w: number;
  h: number;
}
export interface Placed {
  x: number;
  y: number;
}
export interface Layout {
  pos: Map<string, Placed>;
  // Edges that skip ranks: the points they pass through, by "from>to".
  bends: Map<string, Placed[]>;
  width: number;
  height: number;
}

const RANK_GAP = 60;
const NODE_GAP = 18;
const BEND_HEIGHT = 6; // the room a passing edge takes in a rank

export function layout(real: Box[], edges: [string, string][]): Layout {
  const boxes = [...real];
  const index = new Map(boxes.map((b, i) => [b.id, i]));
  let n = boxes.length;
  const succ: number[][] = boxes.map(() => []);
  const pred: number[][] = boxes.map(() => []);
  const links: [number, number][] = [];
  for (const [a, b] of edges) {
    const i = index.get(a);
    const j = index.get(b);
    if (i === undefined || j === undefined || i === j) continue;
    succ[i].push(j);
    pred[j].push(i);
    links.push([i, j]);
  }
  // Ranks: longest path from a source, in Kahn's order. Nodes on a cycle
  // (a compiled workflow has none) keep rank 0 rather than hang.
  const rank = new Array<number>(n).fill(0);
  const indegree = pred.map((p) => p.length);
  const queue: number[] = [];
  for (let i = 0; i < n; i++) if (indegree[i] === 0) queue.push(i);
  for (let q = 0; q < queue.length; q++) {
    const i = queue[q];
    for (const j of succ[i]) {
      rank[j] = Math.max(rank[j], rank[i] + 1);
      if (--indegree[j] === 0) queue.push(j);
    }
  }
  const ranks: number[][] = [];
  const seen = new Uint8Array(n);
  for (const i of queue) {
    (ranks[rank[i]] ??= []).push(i);
    seen[i] = 1;
  }
  for (let i = 0; i < n; i++) if (!seen[i]) (ranks[0] ??= []).push(i);
  for (let r = 0; r < ranks.length; r++) ranks[r] ??= [];

  // A virtual point per rank an edge skips, unless there would be so many
  // that the layout stops being linear in the graph (then edges go straight).
  const chains = new Map<string, number[]>();
  let virtual = 0;
  for (const [i, j] of links) virtual += Math.max(0, rank[j] - rank[i] - 1);
  if (virtual <= 4 * real.length + 10000) {
    for (const [i, j] of links) {
      if (rank[j] - rank[i] < 2) continue;
      const chain: number[] = [];
      let prev = i;
      for (let r = rank[i] + 1; r < rank[j]; r++) {
        const v = n++;
        boxes.push({ id: '', w: 0, h: BEND_HEIGHT });
        rank.push(r);
        ranks[r].push(v);
        succ.push([]);
        pred.push([prev]);
        succ[prev].push(v);
        chain.push(v);
        prev = v;
      }
      succ[prev].push(j);
      pred[j].push(prev);
      // The direct link stays out of the ordering: the chain stands for it.
      succ[i].splice(succ[i].indexOf(j), 1);
      pred[j].splice(pred[j].indexOf(i), 1);
      chains.set(real[i].id + '>' + real[j].id, chain);
    }
  }

  // Order: barycenters of the neighbours in the rank before (down sweeps)
  // or after (up sweeps); edges spanning several ranks count too.
  const order = new Float64Array(n);
  const renumber = (r: number) => ranks[r].forEach((i, k) => (order[i] = k));
  ranks.forEach((_, r) => renumber(r));
  const sweep = (down: boolean) => {
    const rs = down ? ranks.map((_, r) => r) : ranks.map((_, r) => ranks.length - 1 - r);
    for (const r of rs) {
      const key = new Float64Array(n);
      for (const i of ranks[r]) {
        const ns = down ? pred[i] : succ[i];
        if (!ns.length) {
          key[i] = order[i];
          continue;
        }
        let sum = 0;
        for (const j of ns) sum += order[j];
        key[i] = sum / ns.length;
      }
      ranks[r].sort((a, b) => key[a] - key[b] || order[a] - order[b]);
      renumber(r);
    }
  };
  if (n <= 20000) for (let s = 0; s < 4; s++) sweep(s % 2 === 0);

  // Coordinates: ranks are columns as wide as their widest node; each
  // column is centred vertically.
  const at: Placed[] = new Array(n);
  const heights = ranks.map((rs) => rs.reduce((h, i) => h + boxes[i].h, 0) + NODE_GAP * Math.max(0, rs.length - 1));
  const height = Math.max(0, ...heights);
  let x = 0;
  ranks.forEach((rs, r) => {
    const w = Math.max(0, ...rs.map((i) => boxes[i].w));
    let y = (height - heights[r]) / 2;
    for (const i of rs) {
      at[i] = { x: x + (w - boxes[i].w) / 2, y };
      y += boxes[i].h + NODE_GAP;
    }
    x += w + RANK_GAP;
  });
  const pos = new Map<string, Placed>();
  for (let i = 0; i < real.length; i++) pos.set(real[i].id, at[i]);
  const bends = new Map<string, Placed[]>();
  for (const [key, chain] of chains) bends.set(key, chain.map((v) => ({ x: at[v].x, y: at[v].y + BEND_HEIGHT / 2 })));
  return { pos, bends, width: Math.max(0, x - RANK_GAP), height };
}
