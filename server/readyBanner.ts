// The line a person reads when the server is up. A lone node says which address to open;
// a node of a cluster does not, since people open the load balancer in front of the nodes
// (start:cluster prints that one), and a node's own address would contradict it.

export function readyBanner(url: string, cluster: { nodeId: string } | undefined): string {
  if (cluster) return `\n  Call server ready: ${cluster.nodeId} serves ${url} as one node of a cluster (open the load balancer's address, not this one)\n\n`;
  return `\n  Call server ready: open ${url}/?room=demo in two browser tabs\n\n`;
}
