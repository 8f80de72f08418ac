// The embedded demo configuration: one subnet from the benchmarking range 198.18.0.0/15, a pool of
// 1,000 addresses, a short lease so nothing lingers, and an LMDB file in a throwaway folder.

export interface DemoConfigOptions {
  interfaceName: string;
  leasePath: string;
  serverPort: number;
  clientPort: number;
  /** Relay addresses that select the subnet (giaddr). */
  relayAddresses: string[];
  workers: number;
}

export function demoConfig(o: DemoConfigOptions): Record<string, unknown> {
  return {
    Dhcp4: {
      'interfaces-config': { interfaces: [o.interfaceName], 'dhcp-socket-type': 'udp' },
      'lease-database': { type: 'lmdb', name: o.leasePath, persist: true },
      'valid-lifetime': 600,
      'renew-timer': 300,
      'rebind-timer': 525,
      'option-data': [{ name: 'domain-name-servers', data: '198.18.0.53' }],
      subnet4: [{
        id: 1,
        subnet: '198.19.0.0/22',
        pools: [{ pool: '198.19.0.10 - 198.19.3.250' }],
        relay: { 'ip-addresses': o.relayAddresses },
        'option-data': [{ name: 'routers', data: '198.19.0.1' }],
      }],
      loggers: [{ name: 'kea-dhcp4', severity: 'WARN', output_options: [{ output: 'stdout' }] }],
      nestor: { workers: o.workers, 'server-port': o.serverPort, 'client-port': o.clientPort },
    },
  };
}
