import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnProcess, type RealProcess } from './real-processes';

/**
 * The proxy the proxy tests and the soak run through: Debian's nginx package (or NGINX_PATH).
 * jest.config.ts leaves tests/proxy/ out when it is missing.
 */
export function findNginx(env: NodeJS.ProcessEnv = process.env): { path: string; found: boolean } {
  const path = env.NGINX_PATH?.trim() || '/usr/sbin/nginx';
  return { path, found: existsSync(path) };
}

/** KEYCARD_REQUIRE_NGINX=1 (set by .ci/run): a missing nginx fails the run, not skips it. */
export function nginxRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.KEYCARD_REQUIRE_NGINX === '1';
}

export interface NginxProcess extends RealProcess {
  url: string;
  /** Stops nginx and removes its directory. */
  close(): Promise<void>;
}

/**
 * The usual reverse-proxy setup: round robin over the upstreams, X-Forwarded-For appended
 * with the address nginx saw. One process (master_process off), so a SIGKILL leaves no
 * worker behind; everything it writes stays in a temporary directory.
 */
export function nginxConfig(directory: string, port: number, upstreams: number[]): string {
  const temp = (name: string) => `${name}_temp_path ${join(directory, name)};`;
  return `daemon off;
master_process off;
worker_processes 1;
error_log ${join(directory, 'error.log')} warn;
pid ${join(directory, 'nginx.pid')};
events { worker_connections 512; }
http {
  access_log off;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  upstream keycard {
    ${upstreams.map((upstream) => `server 127.0.0.1:${upstream};`).join('\n    ')}
    keepalive 16;
    # Below Node's keep-alive timeout (5 s): a connection nginx reuses just as the instance
    # closes it would cost that request a 502, and a POST is never retried elsewhere.
    keepalive_timeout 4s;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://keycard;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      # Which instance answered: the tests check that a flow really crossed instances.
      add_header X-Upstream $upstream_addr always;
      # A request is sent to one instance only: a retried POST could register twice.
      proxy_next_upstream off;
    }
  }
}
`;
}

export async function startNginx(options: {
  port: number;
  upstreams: number[];
}): Promise<NginxProcess> {
  const { path } = findNginx();
  const directory = mkdtempSync(join(tmpdir(), 'keycard-nginx-'));
  for (const name of ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) {
    mkdirSync(join(directory, name));
  }
  const config = join(directory, 'nginx.conf');
  writeFileSync(config, nginxConfig(directory, options.port, options.upstreams));
  const handle = spawnProcess(path, ['-c', config, '-p', directory, '-e', 'stderr'], {});
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await fetch(`${url}/health`);
      break;
    } catch (error) {
      if (handle.child.exitCode !== null || Date.now() > deadline) {
        await handle.stop('SIGKILL');
        rmSync(directory, { recursive: true, force: true });
        throw new Error(`nginx did not start: ${String(error)}\n${handle.output()}`, {
          cause: error,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    ...handle,
    url,
    close: async () => {
      await handle.stop('SIGQUIT', 5000);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
