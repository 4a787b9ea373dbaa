// devcluster's pod network, as a Node process of a pod sees it. The node agent runs pods as local
// processes without network namespaces; it loads this file into each of a pod's Node processes
// (NODE_OPTIONS=--require) so that they behave as they would in the pod:
// - a server that listens on one of the pod's ports (DEVCLUSTER_POD_PORTS, "8080=41021,8081=41022"),
//   on all interfaces or loopback, listens on that port's loopback port instead, where Services,
//   probes and port-forward reach it;
// - dns.lookup (what http, https, net and fetch use) answers Service names (NAME.NS.svc.cluster.local,
//   NAME.NS.svc, NAME.NS and, in the pod's namespace, NAME) from the namespace's hosts file
//   (DEVCLUSTER_POD_HOSTS), re-read when it changes; every other name goes to the system resolver.
// Plain CommonJS, no dependencies: it runs inside processes devcluster does not otherwise control,
// and must never make them fail (anything unexpected leaves Node's behaviour as it was).
'use strict';

const dns = require('node:dns');
const fs = require('node:fs');
const net = require('node:net');

const podPorts = new Map();
for (const pair of (process.env.DEVCLUSTER_POD_PORTS || '').split(',')) {
  const m = /^\s*(\d+)=(\d+)\s*$/.exec(pair);
  if (m) podPorts.set(Number(m[1]), Number(m[2]));
}
const hostsFile = process.env.DEVCLUSTER_POD_HOSTS || '';

// --- listen: pod ports to their loopback ports

const ANY_OR_LOOPBACK = new Set(['', '0.0.0.0', '::', '127.0.0.1', 'localhost', '::1']);

function loopbackPortOf(port, host) {
  if (host !== undefined && host !== null && !ANY_OR_LOOPBACK.has(String(host))) return undefined;
  if (typeof port === 'string' && /^\d+$/.test(port)) port = Number(port);
  return typeof port === 'number' ? podPorts.get(port) : undefined;
}

if (podPorts.size > 0) {
  const listen = net.Server.prototype.listen;
  net.Server.prototype.listen = function devclusterListen(...args) {
    const [first, second] = args;
    if (first !== null && typeof first === 'object' && first.path === undefined && first.handle === undefined) {
      const port = loopbackPortOf(first.port, first.host);
      if (port !== undefined) args[0] = { ...first, port, host: '127.0.0.1' };
    } else if (typeof first === 'number' || typeof first === 'string') {
      const port = loopbackPortOf(first, typeof second === 'string' ? second : undefined);
      if (port !== undefined) {
        args[0] = port;
        if (typeof second === 'string') args[1] = '127.0.0.1';
        else args.splice(1, 0, '127.0.0.1');
      }
    }
    return listen.apply(this, args);
  };
}

// --- dns.lookup: Service names from the namespace's hosts file

let hosts = { mtimeMs: -1, ino: -1, names: new Map() };

function parseHosts(text) {
  const names = new Map();
  for (const raw of text.split('\n')) {
    const [address, ...aliases] = raw.replace(/#.*/, '').trim().split(/\s+/);
    const family = net.isIP(address || '');
    if (!family) continue;
    for (const alias of aliases) {
      const key = alias.toLowerCase();
      if (!names.has(key)) names.set(key, []);
      names.get(key).push({ address, family });
    }
  }
  return names;
}

function addressesOf(hostname) {
  if (!hostsFile || typeof hostname !== 'string') return undefined;
  try {
    const stat = fs.statSync(hostsFile);
    if (stat.mtimeMs !== hosts.mtimeMs || stat.ino !== hosts.ino)
      hosts = { mtimeMs: stat.mtimeMs, ino: stat.ino, names: parseHosts(fs.readFileSync(hostsFile, 'utf8')) };
  } catch {
    return undefined;
  }
  return hosts.names.get(hostname.toLowerCase().replace(/\.$/, ''));
}

function wanted(found, options) {
  const family = typeof options === 'number' ? options : options?.family;
  const want = family === 'IPv4' ? 4 : family === 'IPv6' ? 6 : family;
  return want === 4 || want === 6 ? found.filter((a) => a.family === want) : found;
}

if (hostsFile) {
  const lookup = dns.lookup;
  dns.lookup = function devclusterLookup(...args) {
    const [hostname, options, callback] = args;
    const cb = typeof options === 'function' ? options : callback;
    const opts = typeof options === 'function' ? {} : options;
    const found = wanted(addressesOf(hostname) || [], opts);
    if (found.length === 0 || typeof cb !== 'function') return lookup.apply(this, args);
    const all = Boolean(opts && typeof opts === 'object' && opts.all);
    process.nextTick(() => (all ? cb(null, found.slice()) : cb(null, found[0].address, found[0].family)));
    return {};
  };
  const promises = dns.promises;
  const lookupPromise = promises.lookup;
  promises.lookup = function devclusterLookupPromise(...args) {
    const [hostname, options] = args;
    const found = wanted(addressesOf(hostname) || [], options);
    if (found.length === 0) return lookupPromise.apply(this, args);
    const all = Boolean(options && typeof options === 'object' && options.all);
    return Promise.resolve(all ? found.slice() : { address: found[0].address, family: found[0].family });
  };
}
