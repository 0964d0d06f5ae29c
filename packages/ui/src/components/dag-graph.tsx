/**
 * A workflow's DAG drawn with @xyflow/react and laid out by dagre (left to right). The layout is
 * computed once per definition; live updates only change node data, so a 200-step graph stays
 * smooth while events stream in.
 */
import { memo, useCallback, useMemo, useState } from 'react';
import dagre from '@dagrejs/dagre';
import { Background, Controls, Handle, MarkerType, Position, ReactFlow } from '@xyflow/react';
import type { Dimensions, Edge, Node, NodeChange, NodeProps } from '@xyflow/react';
import type { AttemptView, StepStatus, StepView, WorkflowDefinition } from '../api/types.ts';
import { STATUS_COLOR, STATUS_LABEL } from './status.tsx';
import { retryExplanation } from './retry-countdown.tsx';
import { useNow } from '../store/react.tsx';
import { stepLabel } from '../store/run-reducer.ts';
import { NodeKindLine } from './step-kinds.tsx';

const NODE_W = 210;
const NODE_H = 86;

interface StepNodeData extends Record<string, unknown> {
  stepId: string;
  task: string;
  status: StepStatus;
  attempts: number;
  selected: boolean;
  current?: AttemptView;
  view?: StepView;
}

type StepNodeType = Node<StepNodeData, 'step'>;

const StepNode = memo(function StepNode({ data }: NodeProps<StepNodeType>) {
  const c = STATUS_COLOR[data.status];
  const progress = data.status === 'RUNNING' ? data.current?.progress : undefined;
  const retry = data.status === 'RETRY_WAIT' ? data.current?.retry : undefined;
  return (
    <div
      className={`ol-node ol-node-${data.status.toLowerCase()}${data.selected ? ' ol-node-selected' : ''}`}
      style={{ ['--c' as string]: c }}
      data-testid={`step-${data.stepId}`}
      data-status={data.status}
      data-attempts={data.attempts}
      data-kind={data.view?.items !== undefined ? 'forEach' : data.view?.waitingFor !== undefined ? 'wait' : data.view?.wakeAt !== undefined ? 'sleep' : undefined}
    >
      <Handle type="target" position={Position.Left} isConnectable={false} />
      <div className="ol-node-head">
        <span className="ol-node-id">{data.stepId}</span>
        {data.attempts > 0 && (
          <span className="ol-node-attempts" title="attempts" data-testid={`attempts-${data.stepId}`}>
            ×{data.attempts}
          </span>
        )}
      </div>
      <div className="ol-node-task">{data.task}</div>
      <div className="ol-node-status">
        <i />
        {STATUS_LABEL[data.status]}
        {progress !== undefined && <span className="ol-node-pct">{Math.round(progress.fraction * 100)}%</span>}
      </div>
      {progress !== undefined && (
        <div className="ol-bar ol-node-bar">
          <div style={{ width: `${Math.round(progress.fraction * 100)}%` }} />
        </div>
      )}
      {retry !== undefined && <NodeCountdown retry={retry} />}
      {data.view !== undefined && <NodeKindLine stepId={data.stepId} step={data.view} />}
      <Handle type="source" position={Position.Right} isConnectable={false} />
    </div>
  );
});

/** The node's own countdown: one line and a bar, so a waiting node keeps the size of the others. */
function NodeCountdown({ retry }: { retry: NonNullable<AttemptView['retry']> }) {
  const now = useNow(100);
  const left = Math.max(0, retry.dueAt - now);
  const fraction = retry.delayMs > 0 ? Math.min(1, 1 - left / retry.delayMs) : 1;
  return (
    <div className="ol-node-retry" data-testid="retry-countdown" title={retryExplanation(retry)}>
      <div className="ol-bar ol-bar-amber ol-node-bar">
        <div style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
      <span>
        ⟳ #{retry.nextAttempt} in <strong data-testid="retry-countdown-left">{left > 0 ? `${(left / 1000).toFixed(1)} s` : 'due'}</strong>
      </span>
    </div>
  );
}

const nodeTypes = { step: StepNode };

/** Positions for every step: dagre's layered layout of the dependency graph. */
export function layoutDag(definition: WorkflowDefinition): Map<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: 'LR', nodesep: 26, ranksep: 70, marginx: 10, marginy: 10 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const s of definition.steps) g.setNode(s.id, { width: NODE_W, height: NODE_H });
  for (const s of definition.steps) for (const d of s.dependsOn ?? []) if (g.hasNode(d)) g.setEdge(d, s.id);
  dagre.layout(g);
  const out = new Map<string, { x: number; y: number }>();
  for (const s of definition.steps) {
    const n = g.node(s.id) as { x: number; y: number } | undefined;
    out.set(s.id, { x: (n?.x ?? 0) - NODE_W / 2, y: (n?.y ?? 0) - NODE_H / 2 });
  }
  return out;
}

export interface DagGraphProps {
  definition: WorkflowDefinition;
  steps?: Record<string, StepView>;
  selected?: string;
  onSelect?: (stepId: string) => void;
  height?: number | string;
}

/**
 * The sizes React Flow measured, kept to hand back with every node. A node handed over without its
 * `measured` size counts as new: React Flow hides it until it is measured again, so without these
 * every live update would blank the graph for a frame and measure every node anew.
 */
function useMeasuredSizes() {
  const [sizes, setSizes] = useState<ReadonlyMap<string, Dimensions>>(() => new Map());
  const onNodesChange = useCallback((changes: NodeChange<StepNodeType>[]) => {
    const measured: [string, Dimensions][] = [];
    for (const c of changes) if (c.type === 'dimensions' && c.dimensions !== undefined) measured.push([c.id, c.dimensions]);
    if (measured.length > 0) setSizes((prev) => new Map([...prev, ...measured]));
  }, []);
  return { sizes, onNodesChange };
}

export function DagGraph({ definition, steps, selected, onSelect, height = 420 }: DagGraphProps) {
  const positions = useMemo(() => layoutDag(definition), [definition]);
  const { sizes, onNodesChange } = useMeasuredSizes();
  const edges = useMemo<Edge[]>(() => {
    const out: Edge[] = [];
    for (const s of definition.steps)
      for (const d of s.dependsOn ?? [])
        out.push({ id: `${d}->${s.id}`, source: d, target: s.id, type: 'smoothstep', markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 } });
    return out;
  }, [definition]);
  const liveEdges = useMemo(
    () =>
      edges.map((e) => {
        const src = steps?.[e.source]?.status;
        const tgt = steps?.[e.target]?.status;
        const active = src === 'SUCCEEDED' && (tgt === 'RUNNING' || tgt === 'SCHEDULED' || tgt === 'RETRY_WAIT');
        return { ...e, animated: active, className: src === 'SUCCEEDED' ? 'ol-edge-done' : undefined };
      }),
    [edges, steps],
  );
  const nodes = useMemo<StepNodeType[]>(
    () =>
      definition.steps.map((s) => {
        const view = steps?.[s.id];
        const attempts = view?.attempts ?? [];
        return {
          id: s.id,
          type: 'step',
          position: positions.get(s.id) ?? { x: 0, y: 0 },
          measured: sizes.get(s.id),
          draggable: false,
          connectable: false,
          data: {
            stepId: s.id,
            task: stepLabel(s),
            status: view?.status ?? 'PENDING',
            attempts: attempts.length,
            selected: selected === s.id,
            current: attempts[attempts.length - 1],
            view,
          },
        };
      }),
    [definition, steps, positions, selected, sizes],
  );
  return (
    <div className="ol-graph" style={{ height }} data-testid="dag">
      <ReactFlow
        nodes={nodes}
        edges={liveEdges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        fitView
        fitViewOptions={{ padding: 0.12, maxZoom: 1.1 }}
        minZoom={0.05}
        onlyRenderVisibleElements={definition.steps.length > 60}
        nodesDraggable={false}
        nodesConnectable={false}
        proOptions={{ hideAttribution: true }}
        onNodeClick={(_, n) => onSelect?.(n.id)}
        colorMode="dark"
      >
        <Background gap={22} size={1} color="#26314d" />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
