/**
 * How a virtual node shows itself to the scheduler and how job pods find it: virtual-kubelet's conventions, shared
 * by the node (which registers them), the pod builders (which select and tolerate them) and the portal (which tells
 * virtual from regular placement).
 */

/** The label every virtual node carries (`type=virtual-kubelet`). */
export const VIRTUAL_NODE_LABEL = { key: 'type', value: 'virtual-kubelet' } as const;
export const VIRTUAL_NODE_SELECTOR = `${VIRTUAL_NODE_LABEL.key}=${VIRTUAL_NODE_LABEL.value}`;
export const HOSTNAME_LABEL = 'kubernetes.io/hostname';
export const ROLE_LABEL = { key: 'kubernetes.io/role', value: 'agent' } as const;

/** The taint `virtual-kubelet.io/provider=<provider>:NoSchedule` keeps ordinary pods off virtual nodes. */
export const VIRTUAL_NODE_TAINT_KEY = 'virtual-kubelet.io/provider';

/** The toleration job pods carry to run on any virtual node. */
export const virtualNodeToleration = () => ({
  key: VIRTUAL_NODE_TAINT_KEY,
  operator: 'Exists',
  effect: 'NoSchedule',
});

export const isVirtualNodeLabels = (labels: Record<string, string> | undefined): boolean =>
  labels?.[VIRTUAL_NODE_LABEL.key] === VIRTUAL_NODE_LABEL.value;
