// Where the user's library lives unless a --data-dir says otherwise; the engine keeps its ONNX cache there too,
// so this sits below the engine and the app's paths alike.
import os from 'node:os';
import path from 'node:path';

/** The per-user library folder: `SIGHTLINE_DATA_DIR` when set, else the platform's convention. */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  if (env.SIGHTLINE_DATA_DIR) return path.resolve(env.SIGHTLINE_DATA_DIR);
  switch (platform) {
    case 'darwin':
      return path.join(home, 'Library', 'Application Support', 'Sightline');
    case 'win32':
      return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Sightline');
    default:
      return path.join(env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'sightline');
  }
}
