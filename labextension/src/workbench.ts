/** "High-Five Workbench": create a notebook from the template the Python package ships. */
import { Notification } from '@jupyterlab/apputils';
import { LabIcon } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';

import { requestAPI } from './request';

/** The command behind the launcher card, the palette entry and File > New. */
export const NEW_WORKBENCH_COMMAND = 'hfwidgets:new-workbench';

/** Reply of `POST /hfwidgets/workbench`. */
export interface IWorkbenchCreated {
  /** Path of the new notebook, relative to the server's root directory. */
  path: string;
}

/**
 * Ask the server to copy the workbench template into `directory` and return the new path.
 *
 * The server does the copy (not the browser) so the notebook always comes from the template of
 * the installed Python package: the two cannot drift apart.
 */
export async function createWorkbench(directory: string): Promise<string> {
  const reply = await requestAPI<IWorkbenchCreated>('workbench', {
    method: 'POST',
    body: JSON.stringify({ directory })
  });
  if (typeof reply?.path !== 'string') {
    throw new Error('unexpected reply from /hfwidgets/workbench (no "path")');
  }
  return reply.path;
}

/**
 * Register the command. `currentDirectory` gives the file browser's folder ('' = root).
 */
export function addWorkbenchCommand(
  commands: CommandRegistry,
  currentDirectory: () => string,
  icon?: LabIcon
): void {
  commands.addCommand(NEW_WORKBENCH_COMMAND, {
    label: args =>
      args.isPalette ? 'New High-Five Workbench' : 'High-Five Workbench',
    caption:
      'Create a notebook that streams, labels, trains and counts high-fives',
    icon: args => (args.isPalette ? undefined : icon),
    execute: async args => {
      const directory =
        typeof args.cwd === 'string' ? args.cwd : currentDirectory();
      try {
        const path = await createWorkbench(directory);
        return await commands.execute('docmanager:open', {
          path,
          factory: 'Notebook'
        });
      } catch (error) {
        Notification.error(
          `Could not create the High-Five Workbench: ${(error as Error).message}`,
          {
            autoClose: false
          }
        );
        return undefined;
      }
    }
  });
}
