/**
 * An export's file name with what it covers: the library names a file after its dataset and run
 * (sightline-photos-run1.csv) whatever it holds, so a flagged-only report and the whole table downloaded under one
 * name (the browser then adds " (1)"). The whole dataset ('all') keeps the plain name.
 */
export function scopedFileName(fileName: string, scope: string): string {
  if (scope === 'all') return fileName;
  const extension = /\.(paths\.txt|[^.]+)$/.exec(fileName);
  const at = extension ? extension.index : fileName.length;
  return `${fileName.slice(0, at)}-${scope}${fileName.slice(at)}`;
}
