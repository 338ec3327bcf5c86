// POST /api/<call>: JSON in, the contract's schema checks it, the core service answers, JSON out.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isCallName, parseInput } from '../../common/contract';
import { UserError } from '../../common/errors';
import type { CoreService } from '../core/service-types';
import { sendError, sendJson } from './guards';

const MAX_BODY_BYTES = 1 << 20;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) throw new HttpError(415, 'Send the input as JSON (Content-Type: application/json)');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `The request body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'The request body is not valid JSON');
  }
}

export async function handleApiCall(req: IncomingMessage, res: ServerResponse, call: string, service: CoreService): Promise<void> {
  if (!isCallName(call)) return sendError(res, 404, `Unknown call ${JSON.stringify(call)}`);
  let input: unknown;
  try {
    input = parseInput(call, await readJsonBody(req));
  } catch (error) {
    return sendError(res, error instanceof HttpError || error instanceof UserError ? error.status : 400, messageOf(error));
  }
  try {
    const result = await (service[call] as (i: unknown) => Promise<unknown>)(input);
    sendJson(res, 200, result ?? null);
  } catch (error) {
    // A person's mistake (an unknown id, a path that is not a folder) is theirs to fix; anything else is ours.
    sendError(res, error instanceof UserError ? error.status : 500, messageOf(error));
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
