import { describe, expect, it } from 'vitest';

import {
  IPortInfo,
  MAX_LABEL_CHARS,
  describePort,
  orderPorts,
  parsePortsReply,
  viewPorts
} from '../src/ports';

const port = (device: string, extra: Partial<IPortInfo> = {}): IPortInfo => ({
  device,
  description: '',
  likely_arduino: false,
  origin: 'system',
  ...extra
});

describe('orderPorts', () => {
  it('puts likely Arduinos first, then configured ports, keeping server order', () => {
    const ports = [
      port('/dev/ttyS0'),
      port('/dev/pts/7', { origin: 'config' }),
      port('/dev/ttyUSB0', { likely_arduino: true }),
      port('/dev/ttyS1'),
      port('/dev/ttyACM0', { likely_arduino: true })
    ];
    expect(orderPorts(ports).map(p => p.device)).toEqual([
      '/dev/ttyUSB0',
      '/dev/ttyACM0',
      '/dev/pts/7',
      '/dev/ttyS0',
      '/dev/ttyS1'
    ]);
    expect(ports[0].device).toBe('/dev/ttyS0'); // input untouched
  });
});

describe('viewPorts', () => {
  it('says "no sensor" when the server sees no port', () => {
    const view = viewPorts({ kind: 'ok', reply: { ports: [], warnings: [] } });
    expect(view.label).toBe('no sensor');
    expect(view.modifier).toBe('none');
    expect(view.title).toContain('hfw simulate-arduino');
  });

  it('shows the single port and offers to copy it', () => {
    const view = viewPorts({
      kind: 'ok',
      reply: {
        ports: [port('/dev/ttyACM0', { description: 'Arduino Uno' })],
        warnings: []
      }
    });
    expect(view.label).toBe('/dev/ttyACM0');
    expect(view.title).toContain('/dev/ttyACM0 (Arduino Uno)');
    expect(view.title).toContain('Click to copy its path.');
  });

  it('shows the most likely port and how many more there are', () => {
    const view = viewPorts({
      kind: 'ok',
      reply: {
        ports: [
          port('/dev/ttyS0'),
          port('/dev/ttyACM0', { likely_arduino: true })
        ],
        warnings: ['extra ports file /tmp/x.json is not valid JSON']
      }
    });
    expect(view.label).toBe('/dev/ttyACM0 +1');
    expect(view.title.indexOf('/dev/ttyACM0')).toBeLessThan(
      view.title.indexOf('/dev/ttyS0')
    );
    expect(view.title).toContain('not valid JSON');
  });

  it('shortens a very long pyserial URL so the status bar keeps its room', () => {
    const url = `socket://${'very-long-host-name.'.repeat(5)}example:7000`;
    const view = viewPorts({
      kind: 'ok',
      reply: { ports: [port(url)], warnings: [] }
    });
    expect(view.label.length).toBe(MAX_LABEL_CHARS);
    expect(view.label.endsWith('…')).toBe(true);
  });

  it('explains a missing server extension and a failed request', () => {
    const missing = viewPorts({ kind: 'missing' });
    expect(missing.label).toBe('sensor: ?');
    expect(missing.title).toContain(
      'jupyter server extension enable hfwidgets'
    );
    const failed = viewPorts({
      kind: 'error',
      message: '500 Internal Server Error: boom'
    });
    expect(failed.modifier).toBe('error');
    expect(failed.title).toContain('boom');
  });
});

describe('describePort', () => {
  it('omits descriptions that repeat the device or say n/a', () => {
    expect(describePort(port('/dev/ttyS0', { description: 'n/a' }))).toBe(
      '/dev/ttyS0'
    );
    expect(
      describePort(port('/dev/pts/3', { description: '/dev/pts/3' }))
    ).toBe('/dev/pts/3');
    expect(
      describePort(port('COM3', { description: 'USB-SERIAL CH340' }))
    ).toBe('COM3 (USB-SERIAL CH340)');
  });
});

describe('parsePortsReply', () => {
  it('accepts the endpoint reply and fills missing optional fields', () => {
    const reply = parsePortsReply({
      ports: [
        { device: '/dev/ttyACM0', likely_arduino: true },
        { device: '/dev/pts/2', origin: 'config' }
      ]
    });
    expect(reply.ports).toEqual([
      {
        device: '/dev/ttyACM0',
        description: '',
        likely_arduino: true,
        origin: 'system'
      },
      {
        device: '/dev/pts/2',
        description: '',
        likely_arduino: false,
        origin: 'config'
      }
    ]);
    expect(reply.warnings).toEqual([]);
  });

  it.each([null, 'oops', {}, { ports: 'x' }, { ports: [{ path: '/dev/x' }] }])(
    'rejects a malformed reply %j with a message naming the endpoint',
    bad => {
      expect(() => parsePortsReply(bad)).toThrow('/hfwidgets/ports');
    }
  );
});
