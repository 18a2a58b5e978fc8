/**
 * Stock memcached for differential tests: started on a free loopback port, stopped by its pid.
 * A missing memcached is an error, never a skip (`.ci/run` installs it). The launcher is shared
 * with the load benchmark.
 */

export {
  requireMemcached,
  type ServerProcess as MemcachedProcess,
  startMemcached,
} from '../../bench/load/processes.js';
