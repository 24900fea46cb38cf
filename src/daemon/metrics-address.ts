// `--metrics ADDRESS:PORT`: where the Prometheus endpoint listens. A loopback or named address only; a wildcard
// (0.0.0.0, ::) would publish every user's build names to the network, so it needs --metrics-any-address.
export type MetricsAddress = { readonly host: string; readonly port: number };

const WILDCARDS = new Set(['0.0.0.0', '::', '', '*', '[::]']);

export function parseMetricsAddress(text: string, allowAny: boolean): MetricsAddress | { readonly error: string } {
  const m = /^(\[[^\]]*\]|[^:[\]]*):(\d{1,5})$/.exec(text.trim());
  if (!m) return { error: `--metrics ${text}: give ADDRESS:PORT, e.g. 127.0.0.1:9464` };
  const host = m[1]!.replace(/^\[|\]$/g, '');
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return { error: `--metrics ${text}: port ${port} is not 1-65535` };
  if (WILDCARDS.has(m[1]!) && !allowAny) {
    return { error: `--metrics ${text}: listening on every address shows every user's builds to the network; add --metrics-any-address if that is meant` };
  }
  return { host: host === '' || host === '*' ? '0.0.0.0' : host, port };
}
