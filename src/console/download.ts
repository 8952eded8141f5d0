/**
 * Downloads a file from the API with the key in the Authorization header (never in a URL): the
 * reply becomes a Blob behind an object URL, clicked as an <a download>.
 */
import { send } from './api/http';

export async function downloadFile(path: string, query: URLSearchParams, fileName: string): Promise<void> {
  const blob = await (await send(path, { query })).blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  // Revoked once the click has handed the URL to the download.
  window.setTimeout(() => URL.revokeObjectURL(url), 1_000);
}
