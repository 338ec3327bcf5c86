// The file browser's listing, with the folders and models the library has used offered as recent.
import type { Service } from '../../../common/contract';
import { browse } from '../browse';
import type { ModelRegistry } from '../models/registry';
import type { Store } from '../store/store';

/** Folders and models the file browser offers as recent. */
const RECENT_PATHS = 12;

export type FileBrowserCalls = Pick<Service, 'browse'>;

export function createFileBrowser(store: Store, registry: ModelRegistry): FileBrowserCalls {
  return {
    async browse(input) {
      const used = [
        ...store.datasetRecords().map((d) => ({ path: d.rootPath, at: d.createdAt })),
        ...registry.list().map((m) => ({ path: m.path, at: m.addedAt })),
      ];
      const recent = used.sort((a, b) => b.at.localeCompare(a.at)).map((u) => u.path).slice(0, RECENT_PATHS);
      return browse(input, { recent });
    },
  };
}
