/**
 * What importing a list costs: a CSV of N numbers (with a name column, as operators' lists have)
 * streamed in one `POST /campaigns` to an API running as its own process, as production runs it.
 * Timed from the first byte sent to the 201, with the API process's peak RSS. The campaign names an
 * agent nobody has, so it dials nothing, and is cancelled at once. Then 100,000 of those numbers go on
 * the do-not-call list in one `POST /dnc` (CSV), timed the same way.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { request } from 'node:http';
import path from 'node:path';
import { freePort } from '../temporal/devServer';
import type { Cleanup } from './cleanup';
import type { BenchEnvironment } from './environment';
import { API, startServiceProcess } from './serviceProcess';

export interface ImportFigures {
  numbers: number;
  accepted: number;
  csvBytes: number;
  seconds: number;
  numbersPerSecond: number;
  /** The API process's peak resident size over its life (VmHWM), MB; null where /proc is not available. */
  apiPeakRssMb: number | null;
  dnc: { entries: number; added: number; seconds: number };
}

/** How many numbers the do-not-call import puts on the list. */
const DNC_ENTRIES = 100_000;

export async function importFigures(
  env: BenchEnvironment,
  numbers: number,
  dir: string,
  cleanup: Cleanup,
  note: (line: string) => void,
): Promise<ImportFigures> {
  const csvPath = path.join(dir, `import-${numbers}.csv`);
  const csvBytes = await writeCsv(csvPath, numbers);
  const port = await freePort('127.0.0.1');
  const api = startServiceProcess(API, { ...env.env, PORT: String(port), LOG_LEVEL: 'info' });
  cleanup.add('import api process', () => api.stop());
  await api.ready;
  note(`import: ${numbers} numbers (${(csvBytes / 1e6).toFixed(1)} MB of CSV) into API process ${api.pid}`);

  const campaignId = `bench-import-${Date.now().toString(36)}`;
  const query = new URLSearchParams({ campaignId, agentIds: 'bench-import-nobody', name: 'Import benchmark' });
  const started = Date.now();
  const { status, body } = await postFile(`http://127.0.0.1:${port}/campaigns?${query}`, csvPath, csvBytes);
  const seconds = (Date.now() - started) / 1000;
  if (status !== 201) throw new Error(`import: POST /campaigns answered ${status}: ${body.slice(0, 500)}`);
  const accepted = Number((JSON.parse(body) as { accepted?: number }).accepted);
  await fetch(`${env.apiUrl}/campaigns/${campaignId}/cancel`, { method: 'POST' });
  const dnc = await dncImport(port, dir, note);
  const apiPeakRssMb = await api.peakRssMb();
  await api.stop();
  return {
    numbers,
    accepted,
    csvBytes,
    seconds: Math.round(seconds * 10) / 10,
    numbersPerSecond: Math.round(accepted / seconds),
    apiPeakRssMb: apiPeakRssMb === null ? null : Math.round(apiPeakRssMb),
    dnc,
  };
}

async function dncImport(port: number, dir: string, note: (line: string) => void): Promise<ImportFigures['dnc']> {
  const csvPath = path.join(dir, `dnc-${DNC_ENTRIES}.csv`);
  const bytes = await writeCsv(csvPath, DNC_ENTRIES);
  note(`import: ${DNC_ENTRIES} numbers onto the do-not-call list`);
  const started = Date.now();
  const { status, body } = await postFile(`http://127.0.0.1:${port}/dnc?reason=benchmark`, csvPath, bytes);
  const seconds = (Date.now() - started) / 1000;
  if (status !== 200) throw new Error(`import: POST /dnc answered ${status}: ${body.slice(0, 500)}`);
  return { entries: DNC_ENTRIES, added: Number((JSON.parse(body) as { added?: number }).added), seconds: Math.round(seconds * 10) / 10 };
}

/** Distinct valid mobile numbers (apart from the runs' own), each with a contact name. */
async function writeCsv(file: string, numbers: number): Promise<number> {
  const out = createWriteStream(file);
  let bytes = 0;
  const write = async (text: string): Promise<void> => {
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  };
  await write('phone,name\n');
  const rows: string[] = [];
  for (let i = 0; i < numbers; i++) {
    rows.push(`+86139${String(i).padStart(8, '0')},Contact ${i}\n`);
    if (rows.length === 10_000 || i === numbers - 1) await write(rows.splice(0).join(''));
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}

function postFile(url: string, file: string, bytes: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'text/csv', 'content-length': bytes } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    createReadStream(file).on('error', reject).pipe(req);
  });
}
