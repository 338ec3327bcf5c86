import type { MediaKind, Service } from '../../common/contract';

/** The core service as the Node-side transports see it: the contract plus media bytes and shutdown. */
export interface CoreService extends Service {
  /** Bytes for an image id the database knows; null for anything else. Never takes a path. */
  readMedia(kind: MediaKind, imageId: number): Promise<{ body: Buffer; mime: string } | null>;
  close(): Promise<void>;
}
