import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDataDir } from './base/data-dir';
import { appPaths, findAppRoot } from './paths';

describe('app paths', () => {
  it('finds the app root and the bundled resources', () => {
    const paths = appPaths();
    expect(JSON.parse(readFileSync(path.join(paths.appRoot, 'package.json'), 'utf8')).name).toBe('sightline');
    expect(existsSync(path.join(paths.defaultModelDir, 'model.json'))).toBe(true);
    expect(existsSync(paths.labelsFile)).toBe(true);
    expect(existsSync(path.join(paths.samplesDir, '235_german_shepherd'))).toBe(true);
    expect(paths.rendererDir).toBe(path.join(paths.appRoot, 'out', 'renderer'));
    expect(appPaths({ resourcesDir: '/opt/Sightline/resources' }).labelsFile).toBe('/opt/Sightline/resources/labels/imagenet_classes.json');
    expect(() => findAppRoot('/')).toThrow(/No package.json named "sightline"/);
  });

  it('puts the library where each platform expects it, unless SIGHTLINE_DATA_DIR says otherwise', () => {
    expect(defaultDataDir({}, 'linux', '/home/ada')).toBe('/home/ada/.local/share/sightline');
    expect(defaultDataDir({ XDG_DATA_HOME: '/xdg' }, 'linux', '/home/ada')).toBe('/xdg/sightline');
    expect(defaultDataDir({}, 'darwin', '/Users/ada')).toBe('/Users/ada/Library/Application Support/Sightline');
    expect(defaultDataDir({ APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, 'win32', 'C:\\Users\\ada')).toBe(
      path.join('C:\\Users\\ada\\AppData\\Roaming', 'Sightline'),
    );
    expect(defaultDataDir({ SIGHTLINE_DATA_DIR: '/data/lib', XDG_DATA_HOME: '/xdg' }, 'linux', '/home/ada')).toBe('/data/lib');
  });
});
