/** The shape of jsonata 2.x's processed AST (`jsonata(expr).ast()`), as far as the compiler reads it. */
export interface Node {
  type: string;
  value?: any;
  position?: number;
  lhs?: any;
  rhs?: any;
  steps?: Node[];
  stages?: Array<{ type: string; expr: Node; position?: number }>;
  predicate?: Array<{ type: string; expr: Node; position?: number }>;
  expressions?: Node[];
  expression?: Node;
  condition?: Node;
  then?: Node;
  else?: Node;
  arguments?: Node[];
  procedure?: Node;
  body?: Node;
  signature?: unknown;
  thunk?: boolean;
  consarray?: boolean;
  [other: string]: unknown;
}

/** A compile-time refusal: the expression (or one node of it) is outside the compiled subset. */
export class Unsupported extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

// Properties that switch on jsonata features the compiler does not implement (tuple streams, focus
// and index bindings, parent references, grouping on a path step, singleton-array preservation).
const UNSUPPORTED_PROPS = ['group', 'keepArray', 'keepSingletonArray', 'tuple', 'focus', 'index', 'ancestor', 'seekingParent'] as const;

/** Refuses a node carrying any feature flag outside the subset. */
export function checkNode(node: Node): void {
  for (const prop of UNSUPPORTED_PROPS) {
    if (node[prop] !== undefined) throw new Unsupported(`'${prop}' at position ${node.position ?? '?'} (${describeFeature(prop)})`);
  }
}

function describeFeature(prop: string): string {
  switch (prop) {
    case 'group':
      return 'grouping a path step into an object';
    case 'keepArray':
    case 'keepSingletonArray':
      return 'the [] singleton-array suffix';
    case 'seekingParent':
    case 'ancestor':
      return 'the % parent operator';
    default:
      return 'focus/index variable bindings (@, #)';
  }
}
