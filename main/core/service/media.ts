// Image bytes and files by id, never by path: the stored thumbnail, the display image made from the photo, and
// the photo's path for "reveal in file manager".
import { DisplayImages } from '../display-images';
import type { CoreService } from '../service-types';
import type { Store } from '../store/store';

export type Media = Pick<CoreService, 'readMedia' | 'imagePath'>;

export function createMedia(store: Store): Media {
  const displayImages = new DisplayImages();
  return {
    async readMedia(kind, imageId) {
      if (kind === 'thumb') {
        const jpeg = store.thumbnail(imageId);
        return jpeg ? { body: jpeg, mime: 'image/jpeg' } : null;
      }
      const file = store.imageFile(imageId);
      if (!file) return null;
      // The file may have gone or changed since the import: that is a missing image, not a server error.
      const jpeg = await displayImages.get(file);
      return jpeg ? { body: jpeg, mime: 'image/jpeg' } : null;
    },
    imagePath(imageId) {
      return store.imageFile(imageId);
    },
  };
}
