// The two custom schemes: the renderer bundle (instead of file://) and media bytes by database id.
import { readFile } from 'node:fs/promises';
import { isMediaKind, mediaId } from '../../common/media';
import { bundleFile } from '../core/renderer-bundle';
import type { CoreService } from '../core/service-types';
import { APP_SCHEME, CONTENT_SECURITY_POLICY, MEDIA_SCHEME } from './security';

const notFound = (): Response => new Response('Not found', { status: 404 });

/** `sightline-media://thumb/42` → the bytes the database holds for image 42; nothing else, never a path. */
export async function handleMediaRequest(url: string, service: Pick<CoreService, 'readMedia'>): Promise<Response> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return new Response('Bad request', { status: 400 });
  }
  if (parsed.protocol !== `${MEDIA_SCHEME}:` || parsed.search || parsed.hash) return notFound();
  const kind = parsed.host;
  const id = mediaId(parsed.pathname.replace(/^\//, ''));
  if (!isMediaKind(kind) || id === null) return notFound();
  const media = await service.readMedia(kind, id);
  if (!media) return notFound();
  return new Response(new Uint8Array(media.body), {
    headers: { 'Content-Type': media.mime, 'Cache-Control': 'private, max-age=3600', 'X-Content-Type-Options': 'nosniff' },
  });
}

/** `sightline-app://bundle/<file>` → a file of the built renderer; traversal and other hosts refused. */
export async function handleAppRequest(url: string, rendererDir: string): Promise<Response> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return new Response('Bad request', { status: 400 });
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== 'bundle') return notFound();
  const found = bundleFile(rendererDir, parsed.pathname);
  if (!found) return notFound();
  const { file, type } = found;
  try {
    const body = await readFile(file);
    return new Response(new Uint8Array(body), {
      headers: { 'Content-Type': type, 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' },
    });
  } catch {
    return notFound();
  }
}
