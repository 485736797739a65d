import Chip from '@material-ui/core/Chip';
import type { JobRecord } from '@eci-virtual/contract';

/** "virtual" / "regular" chip plus the node name; "—" before the pod has a node. */
export function PlacementBadge({ node }: { node: JobRecord['node'] }) {
  if (!node) return <span aria-label="placement unknown">—</span>;
  return (
    <span>
      <Chip
        size="small"
        label={node.type}
        color={node.type === 'virtual' ? 'primary' : 'default'}
        data-testid="placement-badge"
        aria-label={`placement ${node.type}`}
      />{' '}
      <span data-testid="node-name">{node.name}</span>
    </span>
  );
}
