/** The client side of the in-pod step agent (runner/agent): protocol types, the client, a local launcher. */
export { AgentClient, type AgentClientOptions, type AgentClientSettings } from './client.js';
export type { AgentConnect, AgentEndpoint, AgentSocket } from './endpoint.js';
export { agentError } from './http.js';
export { startLocalAgent, type LocalAgent, type LocalAgentOptions } from './local-agent.js';
export * from './protocol.js';
