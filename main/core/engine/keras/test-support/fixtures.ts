// The Keras fixture files (see ../../__fixtures__/keras/README.md).
import { fileURLToPath } from 'node:url';

export const kerasFixtures = fileURLToPath(new URL('../../__fixtures__/keras/', import.meta.url));
