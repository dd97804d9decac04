/** Calls to the hfwidgets server extension, authenticated like every Jupyter request. */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

/** The server answered 404: the hfwidgets server extension is not loaded. */
export class ServerExtensionMissing extends Error {
  constructor(endpoint: string) {
    super(
      `The hfwidgets server extension does not answer ${endpoint}: enable it with ` +
        '`jupyter server extension enable hfwidgets` and restart JupyterLab.'
    );
    this.name = 'ServerExtensionMissing';
  }
}

/**
 * Request `/hfwidgets/<endpoint>` and return its JSON body.
 *
 * Throws `ServerExtensionMissing` on 404 and an `Error` carrying the server's own message
 * (`{"message": ...}` from jupyter_server's APIHandler) on any other failure.
 */
export async function requestAPI<T>(
  endpoint: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, 'hfwidgets', endpoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new ServerConnection.NetworkError(error as TypeError);
  }
  const text = await response.text();
  let data: unknown = text;
  if (text.length > 0) {
    try {
      data = JSON.parse(text);
    } catch {
      // Not JSON (an HTML error page from a proxy): keep the text for the message.
    }
  }
  if (response.status === 404) {
    throw new ServerExtensionMissing(endpoint);
  }
  if (!response.ok) {
    const message =
      typeof data === 'object' && data !== null && 'message' in data
        ? String((data as { message: unknown }).message)
        : text;
    throw new Error(
      `${response.status} ${response.statusText}: ${message}`.trim()
    );
  }
  return data as T;
}
