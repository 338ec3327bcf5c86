// GET /media/<thumb|image>/<id>: bytes the database holds for an image id; never a path.
import type { ServerResponse } from 'node:http';
import { isMediaKind, mediaId } from '../../common/media';
import type { CoreService } from '../core/service-types';
import { SECURITY_HEADERS, sendError } from './guards';

export async function serveMedia(
  res: ServerResponse,
  kind: string,
  idText: string,
  service: Pick<CoreService, 'readMedia'>,
  headOnly: boolean,
): Promise<void> {
  if (!isMediaKind(kind)) return sendError(res, 404, 'Not found');
  const id = mediaId(idText);
  if (id === null) return sendError(res, 400, 'The image id must be a positive integer');
  const media = await service.readMedia(kind, id);
  if (!media) return sendError(res, 404, 'Not found');
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': media.mime,
    'Content-Length': media.body.length,
    // The URL carries the per-start token, so a cached copy never outlives the session that may read it.
    'Cache-Control': 'private, max-age=3600',
  });
  res.end(headOnly ? undefined : media.body);
}
