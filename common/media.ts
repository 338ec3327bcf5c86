// How a media URL names an image's bytes, for every transport that serves them (the desktop's sightline-media
// scheme and the web host's /media/): a kind and a database id, never a path.
import type { MediaKind } from './contract';

const MEDIA_KINDS: readonly string[] = ['thumb', 'image'] satisfies MediaKind[];
const POSITIVE_ID = /^[1-9]\d{0,15}$/;

export const isMediaKind = (kind: string): kind is MediaKind => MEDIA_KINDS.includes(kind);

/** The image id a URL segment names: a positive integer of at most 16 digits, else null. */
export function mediaId(text: string): number | null {
  const id = Number(text);
  return POSITIVE_ID.test(text) && Number.isSafeInteger(id) ? id : null;
}
