/**
 * What the status bar shows about serial ports: pure functions, no DOM, no JupyterLab,
 * so they are unit-tested with vitest.
 */

/** One serial port as `GET /hfwidgets/ports` describes it. */
export interface IPortInfo {
  /** What to open: a device path (`/dev/ttyACM0`, `COM3`) or a pyserial URL. */
  device: string;
  /** Human description from the USB descriptor, '' when unknown. */
  description: string;
  /** True for Arduino boards and the USB-serial chips their clones use. */
  likely_arduino: boolean;
  /** `system` (found by pyserial) or `config` (named in HfwPorts.extra_ports*). */
  origin: 'system' | 'config';
}

/** The endpoint's reply. */
export interface IPortsReply {
  ports: IPortInfo[];
  /** Problems the server wants a person to see (e.g. an unreadable extra-ports file). */
  warnings: string[];
}

/** Everything the status item can be showing. */
export type PortsState =
  | { kind: 'loading' }
  | { kind: 'ok'; reply: IPortsReply }
  /** The server answered 404: the hfwidgets server extension is not enabled. */
  | { kind: 'missing' }
  | { kind: 'error'; message: string };

/** Text, tooltip and CSS modifier of the status item. */
export interface IPortsView {
  label: string;
  title: string;
  modifier: 'loading' | 'none' | 'found' | 'error';
}

/** Longest label before it is shortened, so the status bar keeps room for others. */
export const MAX_LABEL_CHARS = 32;

/**
 * Check and normalise a reply from the server; throw on anything that is not a port list.
 *
 * The server is ours, but a proxy or an old server version may answer something else, and a
 * status item that throws on every poll would spam the console instead of saying so once.
 */
export function parsePortsReply(data: unknown): IPortsReply {
  const reply = isRecord(data) ? data : {};
  if (!Array.isArray(reply.ports)) {
    throw new Error('unexpected reply from /hfwidgets/ports (no "ports" list)');
  }
  const ports: IPortInfo[] = reply.ports.map((port: unknown) => {
    if (!isRecord(port) || typeof port.device !== 'string') {
      throw new Error(
        'unexpected reply from /hfwidgets/ports (a port without "device")'
      );
    }
    return {
      device: port.device,
      description: typeof port.description === 'string' ? port.description : '',
      likely_arduino: port.likely_arduino === true,
      origin: port.origin === 'config' ? 'config' : 'system'
    };
  });
  const warnings = Array.isArray(reply.warnings)
    ? reply.warnings.filter((w: unknown): w is string => typeof w === 'string')
    : [];
  return { ports, warnings };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Order ports the way a person looks for their sensor: likely Arduinos first, then ports the
 * configuration names (the simulated Arduino's pty), then the rest; server order within each.
 */
export function orderPorts(ports: readonly IPortInfo[]): IPortInfo[] {
  const rank = (port: IPortInfo): number =>
    port.likely_arduino ? 0 : port.origin === 'config' ? 1 : 2;
  // Array.prototype.sort is stable (ES2019), so equal ranks keep the server's order.
  return [...ports].sort((a, b) => rank(a) - rank(b));
}

/** `/dev/ttyACM0 (Arduino Uno)`, or just the device when there is no useful description. */
export function describePort(port: IPortInfo): string {
  const description = port.description.trim();
  if (!description || description === 'n/a' || description === port.device) {
    return port.device;
  }
  return `${port.device} (${description})`;
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Turn a state into what the status bar shows. */
export function viewPorts(state: PortsState): IPortsView {
  switch (state.kind) {
    case 'loading':
      return {
        label: 'sensor: …',
        title: 'Looking for serial ports…',
        modifier: 'loading'
      };
    case 'missing':
      return {
        label: 'sensor: ?',
        title:
          'The hfwidgets server extension is not enabled, so serial ports cannot be listed. ' +
          'Run `jupyter server extension enable hfwidgets` and restart JupyterLab.',
        modifier: 'error'
      };
    case 'error':
      return {
        label: 'sensor: ?',
        title: `Could not list serial ports: ${state.message}`,
        modifier: 'error'
      };
    case 'ok':
      break;
  }
  const ports = orderPorts(state.reply.ports);
  const notes = state.reply.warnings.length
    ? `\n\n${state.reply.warnings.join('\n')}`
    : '';
  if (ports.length === 0) {
    return {
      label: 'no sensor',
      title:
        'No serial port found. Plug in the Arduino, or run `hfw simulate-arduino` and add its ' +
        `path to HfwPorts.extra_ports.${notes}`,
      modifier: 'none'
    };
  }
  const first = shorten(ports[0].device, MAX_LABEL_CHARS);
  const label = ports.length === 1 ? first : `${first} +${ports.length - 1}`;
  const lines = ports.map(port => `• ${describePort(port)}`).join('\n');
  const action =
    ports.length === 1 ? 'Click to copy its path.' : 'Click to copy a path.';
  return {
    label,
    title: `Serial ports:\n${lines}\n${action}${notes}`,
    modifier: 'found'
  };
}
