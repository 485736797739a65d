/** Expression syntax tree. */
export type Node =
  | { type: 'literal'; value: unknown }
  | { type: 'context'; name: string }
  | { type: 'index'; target: Node; key: Node }
  | { type: 'filter'; target: Node }
  | { type: 'not'; operand: Node }
  | { type: 'binary'; op: string; left: Node; right: Node }
  | { type: 'call'; name: string; args: Node[] };
