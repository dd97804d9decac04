/** The status-bar item that shows the serial ports the Jupyter server can see. */
import { Clipboard, Notification } from '@jupyterlab/apputils';
import { Poll } from '@lumino/polling';
import { CommandRegistry } from '@lumino/commands';
import { Menu, Widget } from '@lumino/widgets';

import {
  IPortsReply,
  PortsState,
  orderPorts,
  parsePortsReply,
  viewPorts
} from './ports';
import { ServerExtensionMissing, requestAPI } from './request';

/** Command that copies one port's path; the menu of several ports is built from it. */
export const COPY_PORT_COMMAND = 'hfwidgets:copy-port-path';

/** Seconds between two polls while the page is visible (a plugged-in board shows up this fast). */
export const REFRESH_SECONDS = 3;

/** Copy a port path and say so; the clipboard API can be refused, so failures are shown too. */
export function copyPortPath(device: string): void {
  Clipboard.copyToSystem(device);
  Notification.info(`Copied ${device} to the clipboard`, { autoClose: 2500 });
}

/** Register the copy command (used by the status item's menu and the command palette). */
export function addCopyPortCommand(commands: CommandRegistry): void {
  commands.addCommand(COPY_PORT_COMMAND, {
    label: args => `Copy ${args.device as string}`,
    caption: 'Copy this serial port path to the clipboard',
    execute: args => copyPortPath(args.device as string)
  });
}

/** Fetch the port list; never throws, every failure becomes a state the item can show. */
export async function fetchPortsState(): Promise<PortsState> {
  try {
    const reply = parsePortsReply(await requestAPI<IPortsReply>('ports'));
    return { kind: 'ok', reply };
  } catch (error) {
    if (error instanceof ServerExtensionMissing) {
      return { kind: 'missing' };
    }
    return {
      kind: 'error',
      message: (error as Error).message || String(error)
    };
  }
}

/**
 * A status-bar widget: "no sensor", a port path, or "sensor: ?" when listing failed.
 *
 * It polls `GET /hfwidgets/ports` every few seconds (less often while the tab is hidden, and
 * backing off when the server is unreachable). One port: a click copies its path; several: a
 * click opens a menu of them.
 */
export class PortsStatus extends Widget {
  constructor(commands: CommandRegistry) {
    super();
    this._commands = commands;
    this.addClass('hfw-PortsStatus');
    this.node.title = 'Serial ports the Jupyter server can see';
    this.node.addEventListener('click', this._onClick);
    this._render({ kind: 'loading' });
    this._poll = new Poll({
      factory: async () => this._render(await fetchPortsState()),
      frequency: {
        interval: REFRESH_SECONDS * 1000,
        backoff: true,
        max: 60 * 1000
      },
      name: 'hfwidgets:ports',
      standby: 'when-hidden'
    });
  }

  /** The state shown now (browser tests and the menu read it). */
  get state(): PortsState {
    return this._state;
  }

  /** Poll now instead of waiting for the next tick. */
  refresh(): Promise<void> {
    return this._poll.refresh();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    this.node.removeEventListener('click', this._onClick);
    super.dispose();
  }

  private _render(state: PortsState): void {
    this._state = state;
    const view = viewPorts(state);
    this.node.textContent = view.label;
    this.node.title = view.title;
    this.node.dataset.hfwState = view.modifier;
  }

  private _onClick = (event: MouseEvent): void => {
    if (this._state.kind !== 'ok') {
      // Nothing to copy: show the explanation that is otherwise only in the tooltip.
      const view = viewPorts(this._state);
      if (this._state.kind !== 'loading') {
        Notification.warning(view.title, { autoClose: 8000 });
      }
      return;
    }
    const ports = orderPorts(this._state.reply.ports);
    if (ports.length === 0) {
      Notification.info(viewPorts(this._state).title, { autoClose: 6000 });
    } else if (ports.length === 1) {
      copyPortPath(ports[0].device);
    } else {
      const menu = new Menu({ commands: this._commands });
      menu.addClass('hfw-PortsMenu');
      for (const port of ports) {
        menu.addItem({
          command: COPY_PORT_COMMAND,
          args: { device: port.device }
        });
      }
      menu.aboutToClose.connect(() => setTimeout(() => menu.dispose(), 0));
      menu.open(event.clientX, event.clientY);
    }
  };

  private _commands: CommandRegistry;
  private _poll: Poll;
  private _state: PortsState = { kind: 'loading' };
}
