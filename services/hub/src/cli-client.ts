import { createSwitchyardClient, type SwitchyardClient } from '@switchyard/client';
import { SwitchyardError } from '@switchyard/contracts';

/** How remote CLI commands reach a hub: its URL, an environment API key, and where lines go. */
export interface RemoteCliOptions {
  client: SwitchyardClient;
  /** Where output goes (stdout). */
  out: (text: string) => void;
  /** Milliseconds between reads while following something (a tail, a replay, a poll run). */
  everyMs?: number;
  /** Stops following after this long; the work itself goes on in the hub. */
  timeoutMs?: number;
  /** Set by SIGINT: a follower stops at its next turn. */
  signal?: AbortSignal;
}

export const REMOTE_USAGE_NOTE = `      Remote commands read the environment API key from SWITCHYARD_API_KEY and the hub URL from --url,
      else SWITCHYARD_URL, else http://127.0.0.1:8080. They call the hub through @switchyard/client,
      the client generated from the hub's OpenAPI document.`;

/** The generated API client for the hub the CLI was pointed at, or a coded error when no key is set. */
export function remoteClient(url: string | undefined): SwitchyardClient {
  const apiKey = process.env.SWITCHYARD_API_KEY;
  if (!apiKey) throw new SwitchyardError('SWY_ERR_UNAUTHORIZED', 'set SWITCHYARD_API_KEY to an environment API key');
  return createSwitchyardClient({ baseUrl: (url ?? process.env.SWITCHYARD_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, ''), token: apiKey });
}

/** Waits `ms`, or less when the signal fires. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
