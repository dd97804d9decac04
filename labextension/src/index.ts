/**
 * hfwidgets' JupyterLab plugins: the "High-Five Workbench" launcher card, palette entry and
 * File > New item, and a status-bar item listing the serial ports the server sees.
 *
 * Every JupyterLab service used here is optional, so the plugins still activate in a reduced
 * shell (no launcher, no status bar) and never stop JupyterLab from starting.
 */
import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import { ILauncher } from '@jupyterlab/launcher';
import { IMainMenu } from '@jupyterlab/mainmenu';
import { IStatusBar } from '@jupyterlab/statusbar';
import { LabIcon } from '@jupyterlab/ui-components';

import handSvg from '../style/hand.svg';
import { COPY_PORT_COMMAND, PortsStatus, addCopyPortCommand } from './status';
import { NEW_WORKBENCH_COMMAND, addWorkbenchCommand } from './workbench';

const CATEGORY = 'High-Five';

/** The hand on the launcher card. */
export const handIcon = new LabIcon({
  name: 'hfwidgets:hand',
  svgstr: handSvg
});

const workbenchPlugin: JupyterFrontEndPlugin<void> = {
  id: 'hfwidgets:workbench',
  description:
    'Create a High-Five Workbench notebook from the launcher, palette or File > New.',
  autoStart: true,
  optional: [ILauncher, ICommandPalette, IMainMenu, IDefaultFileBrowser],
  activate: (
    app: JupyterFrontEnd,
    launcher: ILauncher | null,
    palette: ICommandPalette | null,
    mainMenu: IMainMenu | null,
    fileBrowser: IDefaultFileBrowser | null
  ) => {
    addWorkbenchCommand(
      app.commands,
      () => fileBrowser?.model.path ?? '',
      handIcon
    );
    // Beside the kernels in the Notebook section (it makes a notebook); that section draws
    // `kernelIconUrl` images, not command icons, hence the data URL.
    launcher?.add({
      command: NEW_WORKBENCH_COMMAND,
      category: 'Notebook',
      rank: 10,
      kernelIconUrl: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(handSvg)}`
    });
    palette?.addItem({
      command: NEW_WORKBENCH_COMMAND,
      category: CATEGORY,
      args: { isPalette: true }
    });
    mainMenu?.fileMenu.newMenu.addGroup(
      [{ command: NEW_WORKBENCH_COMMAND }],
      30
    );
  }
};

const portsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'hfwidgets:ports-status',
  description:
    'Show the serial ports the Jupyter server sees in the status bar.',
  autoStart: true,
  optional: [IStatusBar, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    statusBar: IStatusBar | null,
    palette: ICommandPalette | null
  ) => {
    addCopyPortCommand(app.commands);
    if (!statusBar) {
      return;
    }
    const item = new PortsStatus(app.commands);
    statusBar.registerStatusItem('hfwidgets:ports', {
      item,
      align: 'left',
      rank: 50
    });
    app.commands.addCommand('hfwidgets:refresh-ports', {
      label: 'Refresh Serial Ports',
      caption: 'List the serial ports the server sees now',
      execute: () => item.refresh()
    });
    palette?.addItem({
      command: 'hfwidgets:refresh-ports',
      category: CATEGORY
    });
  }
};

// COPY_PORT_COMMAND is exported for other extensions that want to offer the same action.
export { COPY_PORT_COMMAND, NEW_WORKBENCH_COMMAND };

export default [workbenchPlugin, portsPlugin];
